"""Reads of the audit log. Only the audit administrator may read it; every query starts at the gate."""

import datetime as dt

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from weijian.accounts.access import access_object, scoped_queryset
from weijian.audit.models import AuditEvent

# The entity names services write, with their labels for filters and pages.
ENTITY_LABELS = {
    "division": _("行政区划"),
    "institution": _("医疗卫生机构"),
    "worker": _("卫生人员"),
    "account": _("账户"),
    "api-token": _("API 令牌"),
    "import-job": _("导入任务"),
    "audit": _("审计日志"),
    "Patient": _("居民（健康档案）"),
    "Upload": _("健康档案上传批次"),
    "record-source": _("数据来源"),
    "record-grant": _("临床内容授权"),
}
OUTCOME_LABELS = {"ok": _("成功"), "failed": _("失败"), "locked": _("锁定"), "rejected": _("拒绝"), "not-found": _("未找到")}


def audit_event_list(
    *, actor, username: str = "", action: str = "", entity: str = "", entity_id: str = "", outcome: str = "",
    date_from: dt.date | None = None, date_to: dt.date | None = None,
) -> QuerySet:
    qs = scoped_queryset(actor, AuditEvent, "list")
    if username:
        qs = qs.filter(actor_username__icontains=username)
    if action:
        qs = qs.filter(action=action)
    if entity:
        qs = qs.filter(entity=entity)
    if entity_id:
        qs = qs.filter(entity_id=entity_id)
    if outcome:
        qs = qs.filter(outcome=outcome)
    if date_from:
        qs = qs.filter(at__date__gte=date_from)
    if date_to:
        qs = qs.filter(at__date__lte=date_to)
    return qs


def audit_event_get(*, actor, pk) -> AuditEvent:
    return access_object(actor, AuditEvent, pk, "view")


def audit_entity_choices(*, actor) -> list[tuple[str, str]]:
    """The known entities with their labels, then any other entity present in the log, for the filter."""
    present = set(scoped_queryset(actor, AuditEvent, "list").order_by().values_list("entity", flat=True).distinct())
    others = sorted((e, e) for e in present - set(ENTITY_LABELS) - {""})
    return list(ENTITY_LABELS.items()) + others
