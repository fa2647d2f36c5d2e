"""Counts for the home dashboard, each through the scope gate (so every role sees only its scope)."""

from django.contrib.auth import get_user_model
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from weijian.accounts.access import can, scoped_queryset
from weijian.audit.models import AuditEvent
from weijian.imports.models import ImportJob
from weijian.orgs.models import Division, Institution, InstitutionType
from weijian.workforce.models import Worker


def dashboard_cards(*, actor) -> list[dict]:
    cards = []
    if can(actor, "division", "list"):
        cards.append({"label": _("行政区划"), "value": scoped_queryset(actor, Division).count(), "icon": "bi-map",
                      "url": "orgs:division-list"})
    if can(actor, "institution", "list"):
        qs = scoped_queryset(actor, Institution)
        cards.append({"label": _("在业机构"), "value": qs.filter(is_active=True).count(), "icon": "bi-building",
                      "url": "orgs:institution-list"})
    if can(actor, "worker", "list"):
        qs = scoped_queryset(actor, Worker)
        cards.append({"label": _("在岗卫生人员"), "value": qs.filter(status="active").count(), "icon": "bi-people",
                      "url": "workforce:worker-list"})
        cards.append({"label": _("中级及以上职称"), "value": qs.filter(
            status="active", title_level__in=["intermediate", "associate_senior", "senior"]).count(),
            "icon": "bi-mortarboard", "url": "workforce:worker-list"})
    if can(actor, "import-job", "list"):
        cards.append({"label": _("我的导入任务"), "value": scoped_queryset(actor, ImportJob).count(),
                      "icon": "bi-upload", "url": "imports:job-list"})
    if can(actor, "audit", "list"):
        cards.append({"label": _("审计事件"), "value": scoped_queryset(actor, AuditEvent).count(),
                      "icon": "bi-journal-check", "url": "audit:event-list"})
    if can(actor, "account", "list"):
        cards.append({"label": _("账户"), "value": scoped_queryset(actor, get_user_model()).count(),
                      "icon": "bi-person-gear", "url": "accounts:user-list"})
    return cards


def workers_by_profession(*, actor) -> list[dict]:
    if not can(actor, "worker", "list"):
        return []
    return list(scoped_queryset(actor, Worker).filter(status="active").values("profession")
                .annotate(n=Count("id")).order_by("profession"))


def institutions_breakdown(*, actor) -> tuple[str, list[dict]]:
    """City-wide users compare districts; a district or institution user sees its mix of types."""
    if not can(actor, "institution", "list"):
        return "", []
    qs = scoped_queryset(actor, Institution).filter(is_active=True)
    if actor.scope == "city":
        rows = qs.values("district__name").annotate(n=Count("id")).order_by("district__code")
        return "district", [{"label": r["district__name"], "n": r["n"]} for r in rows]
    labels = dict(InstitutionType.choices)
    rows = qs.values("type").annotate(n=Count("id")).order_by("-n")
    return "type", [{"label": str(labels.get(r["type"], r["type"])), "n": r["n"]} for r in rows]
