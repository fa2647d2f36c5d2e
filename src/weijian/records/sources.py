"""Registering the hospitals and district platforms that upload records, with their machine accounts."""

import secrets

from django.db import transaction
from django.utils.translation import gettext as _

from weijian.accounts import services as account_services
from weijian.accounts.access import institution_in_scope, require
from weijian.accounts.roles import Role
from weijian.audit.actions import AuditAction
from weijian.audit.services import audit_record, audit_snapshot
from weijian.core.errors import BusinessError
from weijian.records import store
from weijian.records.errors import RecordsErrorCode as E
from weijian.records.identity import USCC_SYSTEM, organization_id
from weijian.records.models import Source, SourceKind, SourceStatus
from weijian.records.searchparams import SUPPORTED_TYPES

ENTITY = "record-source"


@transaction.atomic
def source_register(*, actor, institution, kind: str = SourceKind.HOSPITAL, name: str = "",
                    allowed_types: list[str] | None = None, code: str = "") -> Source:
    """A new source for `institution` and its machine account (role 数据上报接口, anchored to the institution,
    no usable password: it authenticates with API tokens the source's administrators issue)."""
    require(actor, ENTITY, "create")
    if not institution_in_scope(actor, institution):
        raise BusinessError(E.SOURCE_NOT_REGISTERED, _("机构不在您的管辖范围内"))
    unknown = sorted(set(allowed_types or ()) - set(SUPPORTED_TYPES))
    if unknown:
        raise BusinessError(E.TYPE_UNSUPPORTED, _("不支持的资源类型：%(types)s") % {"types": "、".join(unknown)})
    code = code or institution.uscc
    if Source.objects.filter(code=code).exists():
        raise BusinessError(E.SOURCE_NOT_REGISTERED, _("该来源编码已登记"))
    account = account_services.user_create(
        actor=None, bootstrap=True, username=f"source-{code.lower()}", password=f"Wj-{secrets.token_urlsafe(32)}-9a",  # unusable below; the policy still applies
        display_name=name or institution.name, role=Role.DATA_SOURCE, institution=institution)
    account.set_unusable_password()
    account.save(update_fields=["password"])
    source = Source.objects.create(code=code, name=name or institution.name, kind=kind, institution=institution,
                                   account=account, allowed_types=list(allowed_types or []))
    audit_record(actor=actor, action=AuditAction.CREATE, entity=ENTITY, entity_id=source.pk,
                 summary=source.name, after=audit_snapshot(source))
    organization_publish(institution)
    return source


def organization_publish(institution) -> store.Outcome:
    """The institution as an Organization resource of the platform's directory (id = its credit code), so
    uploads may refer to it; owned by no source. Re-publishing unchanged details writes nothing."""
    resource = {"resourceType": "Organization", "active": institution.is_active, "name": institution.name,
                "identifier": [{"system": USCC_SYSTEM, "value": institution.uscc}],
                "address": [{"district": institution.district_id or "", "text": institution.division.name}]}
    change = store.Change("Organization", organization_id(institution.uscc), resource, "PUT")
    return store.apply_changes([change], institution_id=institution.pk)[0]


@transaction.atomic
def source_set_status(*, actor, source: Source, status: str) -> Source:
    require(actor, ENTITY, "update")
    before = audit_snapshot(source)
    source.status = SourceStatus(status)
    source.save(update_fields=["status", "updated_at"])
    audit_record(actor=actor, action=AuditAction.UPDATE, entity=ENTITY, entity_id=source.pk, summary=source.name,
                 before=before, after=audit_snapshot(source))
    return source
