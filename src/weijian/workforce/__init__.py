"""Health workers: GB 11643 ID numbers (encrypted, blind-indexed, masked), professions and titles.

Offers: `idnumber.parse_id_number`, `services.worker_*`, `selectors.worker_list/worker_get`.
"""
