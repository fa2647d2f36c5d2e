"""Data-quality pages: scorecards (by source, institution, district) with the worst rules and the failing
records behind them, the rule editor with a test on a sample of stored data, runs, and follow-up tickets.
Thin views: parse, call one service or selector, render."""

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from weijian.accounts.access import can, require
from weijian.accounts.pages import ScopedListPage, get_or_404
from weijian.audit.actions import AuditAction
from weijian.audit.services import audit_record
from weijian.core.errors import BusinessError, NotFoundOrForbidden
from weijian.core.pages import Col
from weijian.core.spreadsheets import xlsx_bytes
from weijian.dq import engine, selectors, services
from weijian.dq.forms import RuleForm, TicketFilterForm, TicketNoteForm, WeightsForm
from weijian.dq.loading import stored_resources
from weijian.dq.models import DqTicket, Kind

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BY = {"source": gettext_lazy("按数据来源"), "institution": gettext_lazy("按机构"), "district": gettext_lazy("按区县")}


def _score_class(value: Decimal | None) -> str:
    if value is None:
        return "secondary"
    return "success" if value >= 95 else "warning" if value >= 85 else "danger"


def _show(value: Decimal | None) -> str:
    return "—" if value is None else f"{value}"


@login_required
@require_safe
def scorecards_view(request):
    actor = request.user
    require(actor, "dq-result", "view")
    by = request.GET.get("by") if request.GET.get("by") in BY else "source"
    try:
        year = int(request.GET.get("year") or 0) or None
    except ValueError:
        year = None
    weights = selectors.weights()
    institution = request.GET.get("institution", "")
    cards = selectors.scorecards(actor=actor, year=year, by=by,
                                 institution_id=int(institution) if by == "source" and institution.isdigit() else None)
    kinds = list(Kind)
    rows = []
    for card in cards:
        composite = card.composite(weights)
        rows.append({"key": card.key, "name": card.name, "composite": _show(composite),
                     "composite_class": _score_class(composite),
                     "scores": [{"value": _show(card.score(k)), "class": _score_class(card.score(k))} for k in kinds],
                     "worst": card.worst_rules(), "worst_elements": card.worst_elements(), "url": reverse("dq:source", args=[card.key])
                     if by == "source" and card.key else ""})
    if request.GET.get("export") == "xlsx":
        require(actor, "dq-result", "export")
        headers = [_("单位"), _("综合得分"), *[str(k.label) for k in kinds], _("问题最多的规则"),
                   _("问题最多的数据元")]
        body = [[r["name"], r["composite"], *[s["value"] for s in r["scores"]],
                 "；".join(f"{name}（{n}）" for name, n in r["worst"]),
                 "；".join(f"{name}（{n}）" for name, n in r["worst_elements"])] for r in rows]
        audit_record(actor=actor, action=AuditAction.EXPORT, entity="dq-result", summary=f"导出数据质量评分 {len(body)} 行")
        response = HttpResponse(xlsx_bytes(headers, body, sheet_title="数据质量评分"), content_type=XLSX)
        response["Content-Disposition"] = "attachment; filename=dq-scorecards.xlsx"
        return response
    latest = selectors.run_list(actor=actor).first()
    trend_year = year or timezone.localdate().year
    trend = [{"month": f"{trend_year}-{month:02d}", "score": float(score) if score is not None else None}
             for month, score in selectors.composite_by_month(actor=actor, year=trend_year)]
    return render(request, "dq/scorecards.html", {
        "title": _("数据质量评分"), "rows": rows, "kinds": kinds, "by": by, "by_choices": list(BY.items()),
        "weights": [(k.label, weights[k]) for k in kinds], "latest": latest, "year": year or "",
        "can_run": can(actor, "dq-run", "run"), "trend": trend, "trend_year": trend_year,
        "years": list(range(timezone.localdate().year, timezone.localdate().year - 5, -1)),
        "open_tickets": selectors.ticket_list(actor=actor).filter(closed_at__isnull=True).count(),
    })


@login_required
@require_safe
def source_view(request, pk: int):
    """One source's newest results per rule, with the failing records of each."""
    actor = request.user
    require(actor, "dq-result", "view")
    results = [r for r in selectors.latest_results(actor=actor) if r.source_id == pk]
    if not results:
        raise Http404
    source = results[0].source
    today = timezone.localdate()
    on_time, due = selectors.reporting_on_time(year=today.year, today=today, source_ids=[pk]).get(pk, (0, 0))
    return render(request, "dq/source.html", {
        "reporting": {"on_time": on_time, "due": due, "year": today.year},
        "title": _("%(name)s数据质量") % {"name": source.name}, "source": source,
        "results": sorted(results, key=lambda r: (-r.failed, r.rule.code)), "run": results[0].run,
    })


@login_required
@require_safe
def failures_view(request, rule: int, source: int):
    """The resources failing one rule at one source (ids and times, not their content), recomputed now."""
    actor = request.user
    require(actor, "dq-result", "view")
    result = selectors.newest_result(actor=actor, rule_id=rule, source_id=source)
    if result is None:
        raise Http404
    spec = services.spec_of(result.rule)
    frame = stored_resources(types=(spec.resource_type,), source_ids=(source,))
    ids = engine.failing_ids(frame, spec, source_id=source, limit=500)
    resources = selectors.resources_by_id(ids)
    return render(request, "dq/failures.html", {
        "title": _("%(rule)s：不合格记录") % {"rule": result.rule.name}, "result": result, "resources": resources,
        "count": len(ids), "limited": len(ids) == 500,
    })


# ---- rules -----------------------------------------------------------------------------------

class RuleListView(ScopedListPage):
    entity = "dq-rule"
    empty_text = gettext_lazy("还没有质控规则")
    create_action = (gettext_lazy("新增规则"), "dq:rule-create")
    title = gettext_lazy("质控规则")
    export_name = "dq-rules"
    default_sort = "code"
    columns = (
        Col(gettext_lazy("规则代码"), lambda r: r.code, sort="code", link=True),
        Col(gettext_lazy("规则名称"), lambda r: r.name, sort="name"),
        Col(gettext_lazy("类型"), lambda r: r.get_kind_display(), sort="kind"),
        Col(gettext_lazy("资源类型"), lambda r: r.resource_type, sort="resource_type"),
        Col(gettext_lazy("数据元"), lambda r: r.element or "—"),
        Col(gettext_lazy("版本"), lambda r: r.version),
        Col(gettext_lazy("启用"), lambda r: _("是") if r.is_active else _("否"), sort="is_active"),
    )

    def get_queryset(self, request, filters):
        return selectors.rule_list(actor=request.user)

    def row_url(self, obj):
        return reverse("dq:rule-edit", args=[obj.pk])



def _rule_page(request, form, *, rule=None, tested=None, status=200):
    return render(request, "dq/rule_form.html", {
        "title": _("修改质控规则") if rule else _("新增质控规则"), "form": form, "rule": rule, "tested": tested,
        "can_edit": can(request.user, "dq-rule", "update"),
        "versions": rule.versions.select_related("created_by")[:10] if rule else [],
    }, status=status)


def _save_rule(request, form, rule=None):
    if request.POST.get("action") == "test":
        try:
            tested = services.rule_test(actor=request.user, fields=form.for_service())
        except BusinessError as exc:
            form.add_error(None, exc.message)
            return _rule_page(request, form, rule=rule, status=422)
        return _rule_page(request, form, rule=rule, tested=tested)
    data = form.for_service()
    try:
        if rule is None:
            rule = services.rule_create(actor=request.user, **data)
        else:
            data.pop("code")
            rule = services.rule_update(actor=request.user, rule=rule, **data)
    except BusinessError as exc:
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        return _rule_page(request, form, rule=rule, status=422)
    messages.success(request, _("规则已保存（第 %(version)s 版）。") % {"version": rule.version})
    return redirect("dq:rule-list")


@login_required
def rule_create_view(request):
    require(request.user, "dq-rule", "create")
    form = RuleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        return _save_rule(request, form)
    return _rule_page(request, form, status=422 if form.errors else 200)


@login_required
def rule_edit_view(request, pk: int):
    rule = get_or_404(selectors.rule_get, actor=request.user, pk=pk)
    form = RuleForm(request.POST or None, initial=RuleForm.initial_from(rule), editing=True)
    if request.method == "POST":
        require(request.user, "dq-rule", "update")
        if form.is_valid():
            return _save_rule(request, form, rule)
    return _rule_page(request, form, rule=rule, status=422 if form.errors else 200)


@login_required
@require_POST
def run_view(request):
    try:
        run = services.run_checks(actor=request.user)
    except BusinessError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("质控完成：%(rules)s 条规则，%(resources)s 条资源，用时 %(seconds)s 秒。") % {
            "rules": run.rules, "resources": run.resources, "seconds": run.seconds})
    return redirect("dq:scorecards")


@login_required
def weights_view(request):
    actor = request.user
    require(actor, "dq-result", "view")
    form = WeightsForm(request.POST or None, initial_weights=selectors.weights())
    if request.method == "POST":
        require(actor, "dq-rule", "update")
        if form.is_valid():
            try:
                services.weights_set(actor=actor, weights=form.cleaned_data)
            except BusinessError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(request, _("维度权重已保存，评分即按新权重计算。"))
                return redirect("dq:scorecards")
    return render(request, "web/form_page.html", {
        "form": form, "title": _("数据质量维度权重"), "cancel_url": reverse("dq:scorecards"),
        "crumbs": [(reverse("dq:scorecards"), _("数据质量评分"))],
    }, status=422 if form.errors else 200)


@login_required
@require_POST
def seed_view(request):
    created = services.seed_default_rules(actor=request.user)
    messages.success(request, _("已加入 %(n)s 条默认规则。") % {"n": created})
    return redirect("dq:rule-list")


# ---- tickets ---------------------------------------------------------------------------------

def _age(ticket: DqTicket) -> str:
    days = (timezone.now() - ticket.created_at).days
    return _("%(n)s 天") % {"n": days}


class TicketListView(ScopedListPage):
    entity = "dq-ticket"
    title = gettext_lazy("质控整改单")
    empty_text = gettext_lazy("没有整改单")
    export_name = "dq-tickets"
    filter_form = TicketFilterForm
    default_sort = "status"
    columns = (
        Col(gettext_lazy("规则"), lambda t: t.rule.name, sort="rule__code", link=True),
        Col(gettext_lazy("数据来源"), lambda t: t.source.name, sort="source__name"),
        Col(gettext_lazy("机构"), lambda t: t.institution.name, sort="institution__name"),
        Col(gettext_lazy("状态"), lambda t: t.get_status_display(), sort="status"),
        Col(gettext_lazy("当前不合格数"), lambda t: t.failed, sort="failed"),
        Col(gettext_lazy("首次不合格数"), lambda t: t.first_failed),
        Col(gettext_lazy("已开"), _age),
        Col(gettext_lazy("关闭方式"), lambda t: (_("重传后自动关闭") if t.closed_by_run else _("人工核实"))
            if t.closed_at else ""),
    )

    def get_queryset(self, request, filters):
        qs = selectors.ticket_list(actor=request.user)
        if filters.get("status"):
            qs = qs.filter(status=filters["status"])
        if filters.get("open_only"):
            qs = qs.filter(closed_at__isnull=True)
        return qs

    def row_url(self, obj):
        return reverse("dq:ticket", args=[obj.pk])



@login_required
def ticket_view(request, pk: int):
    actor = request.user
    ticket = selectors.ticket_list(actor=actor).filter(pk=pk).first()
    if ticket is None:
        raise Http404
    form = TicketNoteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        move = request.POST.get("move", "")
        if move not in ("acknowledge", "fix", "verify"):
            raise Http404
        try:
            services.ticket_move(actor=actor, ticket_id=ticket.pk, move=move, note=form.cleaned_data["note"])
        except NotFoundOrForbidden:
            raise Http404 from None
        except BusinessError as exc:
            form.add_error("note" if exc.field == "note" else None, exc.message)
        else:
            messages.success(request, _("整改单已更新。"))
            return redirect("dq:ticket", pk=ticket.pk)
    labels = {"acknowledge": _("确认问题"), "fix": _("已整改"), "verify": _("核实并关闭")}
    moves = [(move, labels[move]) for move in services.ticket_moves(actor=actor, ticket=ticket)]
    return render(request, "dq/ticket.html", {
        "title": _("质控整改单"), "ticket": ticket, "form": form, "moves": moves,
        "failures_url": reverse("dq:failures", args=[ticket.rule_id, ticket.source_id]),
    }, status=422 if form.errors else 200)


app_name = "dq"
urlpatterns = [
    path("", scorecards_view, name="scorecards"),
    path("sources/<int:pk>/", source_view, name="source"),
    path("failures/<int:rule>/<int:source>/", failures_view, name="failures"),
    path("rules/", RuleListView.as_view(), name="rule-list"),
    path("rules/new/", rule_create_view, name="rule-create"),
    path("rules/defaults/", seed_view, name="rule-seed"),
    path("rules/<int:pk>/", rule_edit_view, name="rule-edit"),
    path("runs/", run_view, name="run"),
    path("weights/", weights_view, name="weights"),
    path("tickets/", TicketListView.as_view(), name="ticket-list"),
    path("tickets/<int:pk>/", ticket_view, name="ticket"),
]
