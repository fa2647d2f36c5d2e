"""Pages for the audit log: list (filter, sort, export — the export itself is audited) and one event.

Only the audit administrator gets here (`require(actor, "audit", ...)`); there is no edit or delete.
"""

from django.apps import apps
from django.contrib.auth.decorators import login_required
from django.core.exceptions import FieldDoesNotExist
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from weijian.accounts.access import MODEL_ENTITY, require
from weijian.accounts.pages import ScopedListPage, get_or_404
from weijian.accounts.roles import Role
from weijian.audit import selectors
from weijian.audit.forms import AuditFilterForm
from weijian.core.pages import Col

ROLE_LABELS = dict(Role.choices)
ENTITY_MODEL = {entity: label for label, entity in MODEL_ENTITY.items()}


def _role(event) -> str:
    return str(ROLE_LABELS.get(event.actor_role, event.actor_role))


def _entity(event) -> str:
    return str(selectors.ENTITY_LABELS.get(event.entity, event.entity))


def _outcome(event) -> str:
    return str(selectors.OUTCOME_LABELS.get(event.outcome, event.outcome))


class AuditEventListView(ScopedListPage):
    entity = "audit"
    title = gettext_lazy("审计日志")
    export_name = "audit-log"
    default_sort = "-at"
    columns = (
        Col(gettext_lazy("时间"), lambda e: timezone.localtime(e.at).strftime("%Y-%m-%d %H:%M:%S"), sort="at", link=True),
        Col(gettext_lazy("操作人"), lambda e: e.actor_username or "—", sort="actor_username"),
        Col(gettext_lazy("角色"), _role),
        Col(gettext_lazy("操作"), lambda e: e.get_action_display(), sort="action"),
        Col(gettext_lazy("对象类型"), _entity, sort="entity"),
        Col(gettext_lazy("对象标识"), lambda e: e.entity_id),
        Col(gettext_lazy("摘要"), lambda e: e.summary),
        Col(gettext_lazy("结果"), _outcome, sort="outcome"),
        Col(gettext_lazy("来源地址"), lambda e: e.address),
        Col(gettext_lazy("渠道"), lambda e: e.channel),
    )

    def filter_form(self, data):
        return AuditFilterForm(data, entities=selectors.audit_entity_choices(actor=self.request.user))

    def get_queryset(self, request, filters):
        return selectors.audit_event_list(actor=request.user, **filters)

    def row_url(self, obj):
        return reverse("audit:event-detail", args=[obj.pk])


def _field_label(entity: str, name: str) -> str:
    """The model's own Chinese label for a field in before/after, when the entity maps to a model."""
    label = ENTITY_MODEL.get(entity)
    if not label:
        return ""
    model = apps.get_model(label)
    for candidate in (name, name.removesuffix("_id")):
        try:
            return str(model._meta.get_field(candidate).verbose_name)
        except FieldDoesNotExist:
            continue
    return ""


def _changes(event) -> list[dict]:
    before, after = event.before or {}, event.after or {}
    if not isinstance(before, dict) or not isinstance(after, dict):
        return []
    names = list(dict.fromkeys([*before, *after]))
    return [{"name": n, "label": _field_label(event.entity, n), "before": before.get(n), "after": after.get(n),
             "in_before": n in before, "in_after": n in after,
             "changed": n in before and n in after and before.get(n) != after.get(n)} for n in names]


@login_required
@require_safe
def audit_event_detail_view(request, pk: int):
    require(request.user, "audit", "view")
    event = get_or_404(selectors.audit_event_get, actor=request.user, pk=pk)
    return render(request, "audit/event_detail.html", {
        "title": gettext_lazy("审计事件"), "event": event, "rows": _changes(event),
        "role_label": _role(event), "entity_label": _entity(event), "outcome_label": _outcome(event),
        "has_before": bool(event.before), "has_after": bool(event.after),
    })
