"""The import framework every module uses for Excel/CSV uploads.

A domain registers an `ImportSpec` (columns, a batch validator and a bulk writer that
call its own services). The framework supplies the rest: .xlsx template with an
instructions sheet, file checks (type, size, zip bomb, encoding, headers), a dry run with
a row-level Chinese error report, an atomic apply (all rows, or only the valid ones when
the user says so), idempotent re-uploads, background jobs with progress, and audit.
"""
