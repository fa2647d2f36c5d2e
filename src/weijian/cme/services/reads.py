"""Reads of personal data that are audited: opening another person's credit record or transcript.
A worker reading his own is not recorded (it is his data)."""

from weijian.accounts.access import access_object
from weijian.audit.actions import AuditAction
from weijian.audit.services import audit_record
from weijian.cme.models import CreditRecord
from weijian.workforce.models import Worker


def credit_record_view(*, actor, pk) -> CreditRecord:
    record = access_object(actor, CreditRecord, pk, "view")
    if record.worker_id != actor.worker_id:
        audit_record(actor=actor, action=AuditAction.VIEW_PERSONAL, entity="cme-credit", entity_id=record.pk,
                     summary=f"查看 {record.worker.name} 的学分记录")
    return record


def transcript_view(*, actor, worker: Worker, year: int) -> None:
    """`worker` comes from the gate; records the read when it is someone else's transcript."""
    if worker.pk != actor.worker_id:
        audit_record(actor=actor, action=AuditAction.VIEW_PERSONAL, entity="cme-transcript",
                     entity_id=worker.pk, summary=f"查看 {worker.name} {year}年度学分档案")
