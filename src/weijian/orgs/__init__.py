"""Administrative divisions (GB/T 2260) and health institutions.

Offers: `selectors.division_list/institution_list/institution_get`, `services.institution_*`,
`uscc.validate_uscc` (GB 32100 check character).
"""
