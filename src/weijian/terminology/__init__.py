"""Terminology (术语与字典管理): code systems with versions, value sets, concept maps (local codes →
standard codes), their imports (CSV/XLSX rows, FHIR JSON resources) and the FHIR terminology
operations as plain Python reads.

Offers: `services.*` (audited writes and imports, `terminology_seed`), `operations.lookup/expand/
validate_code/translate` (reads other apps call, e.g. records when checking coded elements),
`selectors.*` (scoped lists for pages).
"""
