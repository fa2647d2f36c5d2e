"""The append-only audit log: every change (before/after) and every read or export of personal data.

Services call `audit.services.audit_record(...)` inside their own transaction. Only the audit
administrator reads the log (`selectors.audit_event_list`); nothing in the application updates
or deletes it, and database triggers refuse UPDATE and DELETE on the table.
"""
