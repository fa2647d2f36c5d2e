"""Writes for CME. Each one: keyword-only `actor`, checks the role (accounts.access.require) and the
scope of the rows it touches, validates, writes and audits in one transaction.

One module per area; callers import from here (`from weijian.cme import services`).
"""

from weijian.cme.services._common import parse_credits
from weijian.cme.services.credits import (
    SELF_REPORTED_CATEGORIES,
    attendance_record,
    attendance_ref,
    credit_record_create,
    credit_verify,
)
from weijian.cme.services.projects import (
    project_approve,
    project_cancel,
    project_create,
    project_endorse,
    project_mark_held,
    project_reject,
)
from weijian.cme.services.requirements import AuditRun, annual_audit_run, exemption_grant, requirement_set

__all__ = [
    "SELF_REPORTED_CATEGORIES",
    "AuditRun",
    "annual_audit_run",
    "attendance_record",
    "attendance_ref",
    "credit_record_create",
    "credit_verify",
    "exemption_grant",
    "parse_credits",
    "project_approve",
    "project_cancel",
    "project_create",
    "project_endorse",
    "project_mark_held",
    "project_reject",
    "requirement_set",
]
