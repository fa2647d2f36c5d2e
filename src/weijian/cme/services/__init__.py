"""Writes for CME. Each one: keyword-only `actor`, checks the role (accounts.access.require) and the
scope of the rows it touches, validates, writes and audits in one transaction.

One module per area; callers import from here (`from weijian.cme import services`).
"""

from weijian.cme.services._common import parse_credits
from weijian.cme.services.checkin import checkin, checkin_window_open
from weijian.cme.services.credits import (
    DEFAULT_ACTIVITY_TYPES,
    SELF_REPORTED_CATEGORIES,
    activity_catalogue_seed,
    activity_type_create,
    activity_type_update,
    attendance_record,
    attendance_ref,
    can_review,
    credit_record_create,
    credit_review,
    credit_verify,
    current_stage,
)
from weijian.cme.services.evidence import MAX_EVIDENCE_BYTES, credit_evidence_add, credit_evidence_open
from weijian.cme.services.imports import (
    credit_bulk_import,
    credit_rows_check,
    credit_rows_plan,
    credit_rows_write,
)
from weijian.cme.services.projects import (
    parse_rate,
    policy_set,
    project_approve,
    project_cancel,
    project_create,
    project_endorse,
    project_file,
    project_mark_held,
    project_reject,
    project_report,
    project_update,
)
from weijian.cme.services.reads import credit_record_view, transcript_view
from weijian.cme.services.requirements import (
    AuditRun,
    CycleRun,
    annual_audit_run,
    cycle_certify_run,
    exemption_decide,
    exemption_grant,
    exemption_request,
    requirement_set,
)
from weijian.cme.services.spot_checks import risk_weights, spot_check_draw, spot_check_record

__all__ = [
    "credit_record_view", "transcript_view",
    "DEFAULT_ACTIVITY_TYPES",
    "MAX_EVIDENCE_BYTES",
    "SELF_REPORTED_CATEGORIES",
    "CycleRun",
    "activity_catalogue_seed",
    "activity_type_create",
    "activity_type_update",
    "can_review",
    "credit_evidence_add",
    "credit_evidence_open",
    "credit_review",
    "current_stage",
    "cycle_certify_run",
    "exemption_decide",
    "exemption_request",
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
    # projects, check-in, spot checks
    "checkin",
    "checkin_window_open",
    "parse_rate",
    "policy_set",
    "project_file",
    "project_report",
    "project_update",
    "risk_weights",
    "spot_check_draw",
    "spot_check_record",
    # imports and the bulk API (project lists and sign-in sheets: cme.importers uses services.imports)
    "credit_bulk_import",
    "credit_rows_check",
    "credit_rows_plan",
    "credit_rows_write",
]
