"""Continuing medical education (继续医学教育, CME).

Owns: the project catalogue (national, provincial, municipal), attendance, the per-worker credit
ledger, the annual credit requirements and exemptions, and the stored annual audit (学分审验).

Offers other apps:
- `rules.evaluate` / `rules.totals_from_records`: the audit rule as pure functions (no database);
- `services.*`: every write (`project_create`, `attendance_record`, `credit_verify`,
  `annual_audit_run`, ...), keyword-only `actor`, atomic, audited, scope-checked;
- `selectors.*`: scoped reads (`credit_record_list`, `project_list`, `annual_audit_list`, ...);
- `indicators.*`: compliance by title group, worker coverage, remote share, class I/II totals,
  for the city, a district or an institution (the target assessment reads `INDICATORS`).
"""
