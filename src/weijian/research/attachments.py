"""Application attachments (申报附件): the files the call requires (单位承诺书, 伦理审查批件 …) and others.

The PI uploads while he may edit; files are recognised by content (PDF, JPEG, PNG, ≤ 20 MB), stored
encrypted under a random name, the same file twice is one row, and every read is audited. Whoever may
see the application may open its attachments, and so may the experts assigned to review it.
"""

import hashlib
import uuid

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _

from weijian.accounts.access import access_object, require
from weijian.accounts.roles import Role
from weijian.audit.actions import AuditAction
from weijian.audit.services import audit_record
from weijian.core.crypto import decrypt_bytes, encrypt_bytes
from weijian.core.errors import BusinessError, NotFoundOrForbidden
from weijian.core.files import FileEmpty, FileTooLarge, read_limited, sniff
from weijian.research.errors import ResearchErrorCode as E
from weijian.research.models import EDITABLE, Application, ApplicationAttachment, ReviewAssignment
from weijian.research.services import _own

MAX_BYTES = 20 * 1024 * 1024
OTHER = "其他附件"
ENTITY = "research-application"


def attachment_kinds(application: Application) -> list[str]:
    """What the PI may upload: the call's required attachments, then anything else."""
    return [*application.call.required_attachments, OTHER]


def _read(uploaded_file) -> bytes:
    try:
        data = read_limited(uploaded_file, MAX_BYTES)
    except FileTooLarge:
        raise BusinessError(E.ATTACHMENT_INVALID, _("附件不能超过 20 MB"), field="file") from None
    except FileEmpty:
        raise BusinessError(E.ATTACHMENT_INVALID, _("附件文件为空"), field="file") from None
    return data


def attachment_add(*, actor, application: Application, kind: str, uploaded_file) -> tuple[ApplicationAttachment, bool]:
    """Attach a file while the application is a draft or returned; returns (attachment, created)."""
    _own(actor, application, action=_("上传附件"))
    require(actor, ENTITY, "update")
    if application.status not in EDITABLE:
        raise BusinessError(E.NOT_EDITABLE)
    if kind not in attachment_kinds(application):
        raise BusinessError(E.ATTACHMENT_INVALID, _("请选择附件类别"), field="kind")
    data = _read(uploaded_file)
    sniffed = sniff(data)
    if sniffed is None:
        raise BusinessError(E.ATTACHMENT_INVALID, _("附件只能是 PDF、JPEG 或 PNG 文件"), field="file")
    content_type, extension = sniffed
    digest = hashlib.sha256(data).hexdigest()
    with transaction.atomic():
        existing = ApplicationAttachment.objects.filter(application=application, sha256=digest).first()
        if existing is not None:
            return existing, False
        original = (getattr(uploaded_file, "name", "") or f"attachment.{extension}").rsplit("/", 1)[-1][:200]
        attachment = ApplicationAttachment(application=application, kind=kind, original_name=original,
                                           content_type=content_type, size=len(data), sha256=digest,
                                           uploaded_by=actor)
        attachment.file.save(f"{uuid.uuid4().hex}.bin", ContentFile(encrypt_bytes(data)), save=False)
        attachment.save()
        audit_record(actor=actor, action=AuditAction.CREATE, entity=ENTITY, entity_id=application.pk,
                     summary=f"上传申报附件（{kind}）：{original}"[:255])
    return attachment, True


def attachment_remove(*, actor, attachment: ApplicationAttachment) -> None:
    application = attachment.application
    _own(actor, application, action=_("删除附件"))
    require(actor, ENTITY, "update")
    if application.status not in EDITABLE:
        raise BusinessError(E.NOT_EDITABLE)
    with transaction.atomic():
        attachment.file.delete(save=False)
        attachment.delete()
        audit_record(actor=actor, action=AuditAction.DELETE, entity=ENTITY, entity_id=application.pk,
                     summary=f"删除申报附件（{attachment.kind}）：{attachment.original_name}"[:255])


def _readable(actor, attachment: ApplicationAttachment) -> bool:
    if actor.role == Role.EXPERT:
        return ReviewAssignment.objects.filter(application_id=attachment.application_id,
                                               expert__user_id=actor.pk).exists()
    try:
        access_object(actor, Application, attachment.application_id, "view")
    except NotFoundOrForbidden:
        return False
    return True


def attachment_open(*, actor, attachment: ApplicationAttachment) -> bytes:
    """The decrypted file for a reader of the application (or its reviewer); the read is audited."""
    if not _readable(actor, attachment):
        raise NotFoundOrForbidden
    with attachment.file.open("rb") as handle:
        data = decrypt_bytes(handle.read())
    audit_record(actor=actor, action=AuditAction.VIEW_PERSONAL, entity=ENTITY, entity_id=attachment.application_id,
                 summary=f"查看申报附件（{attachment.kind}）：{attachment.original_name}"[:255])
    return data


def attached_kinds(application: Application) -> set[str]:
    """The kinds already uploaded (services.application_submit reads the same set; it cannot import this
    module, which imports it)."""
    return set(application.attachments.values_list("kind", flat=True))
