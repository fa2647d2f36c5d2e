"""Reads of the audit log. Only the audit administrator may read it; every query starts at the gate."""

import datetime as dt

from django.db.models import QuerySet

from weijian.accounts.access import access_object, scoped_queryset
from weijian.audit.models import AuditEvent

# The entity names services write, with their labels for filters and pages.
ENTITY_LABELS = {
    "division": "行政区划",
    "institution": "医疗卫生机构",
    "worker": "卫生人员",
    "account": "账户",
    "api-token": "API 令牌",
    "import-job": "导入任务",
    "audit": "审计日志",
}
OUTCOME_LABELS = {"ok": "成功", "failed": "失败", "locked": "锁定", "rejected": "拒绝", "not-found": "未找到"}


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
