"""Evidence files for self-reported credits: checked by content, stored encrypted, every read audited."""

import hashlib
import uuid

from django.core.files.base import ContentFile
from django.db import transaction

from weijian.accounts.access import access_object, require
from weijian.accounts.roles import Role, Scope
from weijian.audit.actions import AuditAction
from weijian.audit.services import audit_snapshot
from weijian.cme.errors import CmeErrorCode as E
from weijian.cme.models import CreditEvidence, CreditRecord, Verification
from weijian.cme.services._common import _audit
from weijian.core.crypto import decrypt_bytes, encrypt_bytes
from weijian.core.errors import BusinessError
from weijian.core.files import FileEmpty, FileTooLarge, read_limited, sniff

MAX_EVIDENCE_BYTES = 10 * 1024 * 1024

def _may_upload(actor, record: CreditRecord) -> bool:
    """The worker himself, or a user of his institution."""
    if actor.scope == Scope.SELF:
        return record.worker_id == actor.worker_id
    return actor.role == Role.INSTITUTION and record.worker.institution_id == actor.institution_id


def _read(uploaded_file) -> bytes:
    try:
        return read_limited(uploaded_file, MAX_EVIDENCE_BYTES)
    except FileTooLarge:
        raise BusinessError(E.EVIDENCE_TOO_LARGE, field="file") from None
    except FileEmpty:
        raise BusinessError(E.EVIDENCE_EMPTY, field="file") from None


@transaction.atomic
def credit_evidence_add(*, actor, record: CreditRecord, uploaded_file) -> tuple[CreditEvidence, bool]:
    """Attach a PDF/JPEG/PNG (≤ 10 MB) to a pending record. The same file twice gives one row:
    returns (evidence, created)."""
    require(actor, "cme-credit", "create")
    record = access_object(actor, CreditRecord, record.pk, "view")
    record = CreditRecord.objects.select_for_update(of=("self",)).select_related("worker").get(pk=record.pk)
    if not _may_upload(actor, record):
        raise BusinessError(E.NOT_OWN_RECORD, field="file")
    if record.status != Verification.PENDING:
        raise BusinessError(E.EVIDENCE_LOCKED, field="file")
    data = _read(uploaded_file)
    kind = sniff(data)
    if kind is None:
        raise BusinessError(E.EVIDENCE_TYPE, field="file")
    content_type, extension = kind
    digest = hashlib.sha256(data).hexdigest()
    existing = CreditEvidence.objects.filter(record=record, sha256=digest).first()
    if existing is not None:
        return existing, False
    original = (getattr(uploaded_file, "name", "") or f"evidence.{extension}").rsplit("/", 1)[-1][:200]
    evidence = CreditEvidence(record=record, original_name=original, content_type=content_type, size=len(data),
                              sha256=digest, uploaded_by=actor)
    # A random name: neither the person nor the original file name shows in the storage path.
    evidence.file.save(f"{uuid.uuid4().hex}.bin", ContentFile(encrypt_bytes(data)), save=False)
    evidence.full_clean()
    evidence.save()
    _audit(actor, AuditAction.CREATE, "cme-evidence", evidence,
           f"{record.worker.name} 学分记录 {record.pk} 上传证明材料", after=audit_snapshot(evidence))
    return evidence, True


@transaction.atomic
def credit_evidence_open(*, actor, evidence: CreditEvidence) -> bytes:
    """The decrypted file, for someone who may see the record; the read is audited as personal data."""
    require(actor, "cme-credit", "view")
    evidence = access_object(actor, CreditEvidence, evidence.pk, "view")
    with evidence.file.open("rb") as handle:
        data = decrypt_bytes(handle.read())
    _audit(actor, AuditAction.VIEW_PERSONAL, "cme-evidence", evidence,
           f"查看学分证明材料 {evidence.original_name}"[:255])
    return data
