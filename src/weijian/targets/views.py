"""Target-assessment pages: work plans (build, freeze, compute) and the assessment dashboards (city →
district → institution → the records behind a number). Thin views: parse, call one service or selector,
render. Every number shown comes from a stored assessment; the drill-down links lead to the owning app's
pages, which check access again."""

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
from weijian.accounts.roles import Scope
from weijian.audit.actions import AuditAction
from weijian.audit.services import audit_record
from weijian.core.errors import BusinessError
from weijian.core.indicators import HIGHER, RATE
from weijian.core.pages import Col
from weijian.core.spreadsheets import xlsx_bytes
from weijian.targets import report, selectors, services
from weijian.targets.forms import ItemForm, PlanForm, TargetForm
from weijian.targets.models import Assessment, Level, PlanItem, PlanTarget, ReportText, WorkPlan
from weijian.targets.registry import all_indicators
from weijian.targets.scoring import Rag, ScoringRule

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
RAG_CLASS = {Rag.GREEN: "success", Rag.AMBER: "warning", Rag.RED: "danger", Rag.GREY: "secondary"}


# ---- formatting ------------------------------------------------------------------------------

def show(value: Decimal | None, kind: str, unit: str) -> str:
    if value is None:
        return "—"
    if kind == RATE:
        return f"{value * 100:.1f}%"
    text = f"{value:f}"
    text = text.rstrip("0").rstrip(".") if "." in text else text
    return f"{text}{unit}"


def _score(value: Decimal | None) -> str:
    return "—" if value is None else services.points(value)


def _year(request) -> int:
    this_year = timezone.localdate().year
    try:
        year = int(request.GET.get("year", ""))
    except ValueError:
        return this_year
    return year if 2000 <= year <= this_year + 1 else this_year


def _trend(now, before, direction: str) -> str:
    """"better", "worse" or "same" against last year; "" when either is missing."""
    if now is None or before is None:
        return ""
    if now == before:
        return "same"
    return "better" if (now > before) == (direction == HIGHER) else "worse"


def _value_rows(values, assessment: Assessment, *, drill_district: str = "", drill_institution=None,
                previous: dict | None = None) -> list[dict]:
    rows = []
    previous = previous or {}
    indicators = all_indicators()  # once: reading the app configs per row would repeat the imports
    for value in values:
        item = value.item
        before = previous.get(item.indicator_code)
        indicator = indicators.get(item.indicator_code)
        drill = ""
        if indicator is not None and indicator.drill_url is not None:
            drill = indicator.drill_url(assessment.plan.year, drill_district or value.district_code,
                                        drill_institution if drill_institution is not None else value.institution_id)
        rows.append({
            "name": item.name, "weight": _score(item.weight), "rule": str(item.get_rule_display()),
            "actual": show(value.actual, item.kind, item.unit), "target": show(value.target, item.kind, item.unit),
            "floor": show(value.floor, item.kind, item.unit),
            "counts": (f"{services.points(value.numerator)}/{services.points(value.denominator)}"
                       if item.kind == RATE else ""),
            "score": _score(value.score), "rag": value.rag, "rag_label": str(Rag(value.rag).label),
            "rag_class": RAG_CLASS[value.rag], "drill": drill, "unit_name": value.unit_name,
            "previous": show(before, item.kind, item.unit) if before is not None else "",
            "trend": _trend(value.actual, before, item.direction),
        })
    return rows


def _total_rows(totals, url) -> list[dict]:
    return [{"name": t.unit_name, "score": _score(t.score), "rank": t.rank or "—", "rag": t.rag,
             "rag_label": str(Rag(t.rag).label), "rag_class": RAG_CLASS[t.rag], "met": t.items_met,
             "scored": t.items_scored, "url": url(t)} for t in totals]


def _xlsx(request, assessment: Assessment, title: str, headers, rows) -> HttpResponse:
    require(request.user, "target-assessment", "export")
    audit_record(actor=request.user, action=AuditAction.EXPORT, entity="target-assessment", entity_id=assessment.pk,
                 summary=f"导出{title} {len(rows)} 行")
    response = HttpResponse(xlsx_bytes(headers, rows, sheet_title=title[:30]), content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename=assessment-{assessment.pk}.xlsx"
    return response


def _export_rows(totals, values) -> tuple[list[str], list[list]]:
    headers = [_("单位"), _("综合得分"), _("排名"), _("评价"), _("指标"), _("实际值"), _("目标值"), _("底线值"),
               _("得分"), _("权重"), _("状态")]
    by_unit = {}
    for value in values:
        by_unit.setdefault(value["unit_name"], []).append(value)
    rows = []
    for total in totals:
        for value in by_unit.get(total["name"], [{}]):
            rows.append([total["name"], total["score"], total["rank"], total["rag_label"], value.get("name", ""),
                         value.get("actual", ""), value.get("target", ""), value.get("floor", ""),
                         value.get("score", ""), value.get("weight", ""), value.get("rag_label", "")])
    return headers, rows


# ---- dashboards ------------------------------------------------------------------------------

@login_required
@require_safe
def dashboard_view(request):
    """The city dashboard (commission); a district bureau lands on its district, an institution on itself."""
    actor = request.user
    require(actor, "target-assessment", "view")
    year = _year(request)
    assessment = selectors.latest_for_year(actor=actor, year=year)
    if assessment is not None and actor.scope == Scope.DISTRICT:
        return redirect("targets:district", pk=assessment.pk, code=actor.district_id)
    if assessment is not None and actor.scope == Scope.INSTITUTION:
        return redirect("targets:institution", pk=assessment.pk, institution=actor.institution_id)
    context = {"title": _("%(year)s年度目标考核") % {"year": year}, "year": year, "assessment": assessment,
               "years": list(range(timezone.localdate().year + 1, timezone.localdate().year - 6, -1)),
               "can_plan": can(actor, "target-plan", "update")}
    if assessment is None:
        return render(request, "targets/dashboard.html", context)
    city = selectors.unit_total(actor=actor, assessment=assessment, level=Level.CITY)
    districts = list(selectors.totals(actor=actor, assessment=assessment, level=Level.DISTRICT))
    district_rows = _total_rows(districts, lambda t: reverse("targets:district", args=[assessment.pk, t.district_code]))
    city_values = _value_rows(selectors.values(actor=actor, assessment=assessment, level=Level.CITY), assessment,
                              previous=selectors.previous_year_values(actor=actor, assessment=assessment,
                                                                      level=Level.CITY))
    if request.GET.get("export") == "xlsx":
        values = _value_rows(selectors.values(actor=actor, assessment=assessment, level=Level.DISTRICT), assessment)
        headers, rows = _export_rows(district_rows, values)
        return _xlsx(request, assessment, _("各区县考核结果"), headers, rows)
    by_code = sorted(districts, key=lambda t: t.district_code)
    chart = {"labels": [t.unit_name for t in by_code],
             "scores": [float(t.score) if t.score is not None else None for t in by_code],
             "colours": [RAG_CLASS[t.rag] for t in by_code], "text": {"score": _("综合得分")},
             "months": [{"month": month, "score": float(score) if score is not None else None}
                        for month, score in selectors.city_composite_by_month(actor=actor, assessment=assessment)]}
    context.update(city=city, city_rag_class=RAG_CLASS[city.rag] if city else "secondary",
                   city_score=_score(city.score) if city else "—", districts=district_rows, city_values=city_values,
                   tiles=[{"name": t.unit_name, "score": _score(t.score), "rag_class": RAG_CLASS[t.rag],
                           "rag_label": str(Rag(t.rag).label),
                           "url": reverse("targets:district", args=[assessment.pk, t.district_code])}
                          for t in by_code], chart=chart)
    return render(request, "targets/dashboard.html", context)


def _assessment(request, pk) -> Assessment:
    return get_or_404(selectors.assessment_get, actor=request.user, pk=pk)


@login_required
@require_safe
def district_view(request, pk: int, code: str):
    actor = request.user
    assessment = _assessment(request, pk)
    total = selectors.unit_total(actor=actor, assessment=assessment, level=Level.DISTRICT, district_code=code)
    if total is None:
        raise Http404
    institutions = list(selectors.totals(actor=actor, assessment=assessment, level=Level.INSTITUTION,
                                         district_code=code))
    rows = _total_rows(institutions, lambda t: reverse("targets:institution", args=[assessment.pk, t.institution_id]))
    values = _value_rows(selectors.values(actor=actor, assessment=assessment, level=Level.DISTRICT,
                                          district_code=code), assessment, drill_district=code,
                         previous=selectors.previous_year_values(actor=actor, assessment=assessment,
                                                                 level=Level.DISTRICT, district_code=code))
    if request.GET.get("export") == "xlsx":
        inst_values = _value_rows(selectors.values(actor=actor, assessment=assessment, level=Level.INSTITUTION,
                                                   district_code=code), assessment)
        headers, export = _export_rows(rows, inst_values)
        return _xlsx(request, assessment, _("%(name)s各机构考核结果") % {"name": total.unit_name}, headers, export)
    failing = [row for row in rows if row["rag"] == Rag.RED]
    return render(request, "targets/district.html", {
        "title": _("%(name)s目标考核") % {"name": total.unit_name}, "assessment": assessment, "total": total,
        "total_score": _score(total.score), "total_rag_class": RAG_CLASS[total.rag], "institutions": rows,
        "failing": failing, "values": values,
        "back": reverse("targets:dashboard") + f"?year={assessment.plan.year}" if actor.scope == Scope.CITY else "",
    })


@login_required
@require_safe
def institution_view(request, pk: int, institution: int):
    actor = request.user
    assessment = _assessment(request, pk)
    total = selectors.unit_total(actor=actor, assessment=assessment, level=Level.INSTITUTION,
                                 institution_id=institution)
    if total is None:
        raise Http404
    values = _value_rows(selectors.values(actor=actor, assessment=assessment, level=Level.INSTITUTION,
                                          institution_id=institution), assessment, drill_institution=institution,
                         previous=selectors.previous_year_values(actor=actor, assessment=assessment,
                                                                 level=Level.INSTITUTION, institution_id=institution))
    back = ""
    if actor.scope in (Scope.CITY, Scope.DISTRICT):
        back = reverse("targets:district", args=[assessment.pk, total.district_code])
    return render(request, "targets/institution.html", {
        "title": _("%(name)s目标考核") % {"name": total.unit_name}, "assessment": assessment, "total": total,
        "total_score": _score(total.score), "total_rag_class": RAG_CLASS[total.rag], "values": values, "back": back,
    })


# ---- work plans ------------------------------------------------------------------------------

class PlanListView(ScopedListPage):
    entity = "target-plan"
    empty_text = gettext_lazy("还没有工作计划")
    create_action = (gettext_lazy("新建工作计划"), "targets:plan-create")
    title = gettext_lazy("年度工作计划")
    columns = (
        Col(gettext_lazy("年度"), lambda p: p.year, sort="year"),
        Col(gettext_lazy("名称"), lambda p: p.title, sort="title", link=True),
        Col(gettext_lazy("状态"), lambda p: p.get_status_display(), sort="status"),
        Col(gettext_lazy("指标数"), lambda p: p.item_count),
        Col(gettext_lazy("冻结时间"), lambda p: timezone.localtime(p.frozen_at).strftime("%Y-%m-%d %H:%M")
            if p.frozen_at else ""),
    )
    default_sort = "-year"
    export_name = "work-plans"

    def get_queryset(self, request, filters):
        return selectors.plan_list(actor=request.user)

    def row_url(self, obj):
        return reverse("targets:plan-detail", args=[obj.pk])



@login_required
def plan_create_view(request):
    actor = request.user
    require(actor, "target-plan", "create")
    form = PlanForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            plan = services.create_plan(actor=actor, **form.cleaned_data)
        except BusinessError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("工作计划已新建，请加入指标并设置目标值。"))
            return redirect("targets:plan-detail", pk=plan.pk)
    return render(request, "web/form_page.html", {
        "form": form, "title": _("新建工作计划"), "cancel_url": reverse("targets:plan-list"),
        "crumbs": [(reverse("targets:plan-list"), _("年度工作计划"))],
    }, status=422 if form.errors else 200)


def _plan(request, pk, action: str = "view") -> WorkPlan:
    return get_or_404(selectors.plan_get, actor=request.user, pk=pk, action=action)


def _plan_page(request, plan: WorkPlan, *, status: int = 200, item_form=None, target_forms=None):
    actor = request.user
    items = selectors.plan_items(plan)
    editable = not plan.is_frozen and can(actor, "target-plan", "update")
    rows = []
    for item in items:
        targets = [{"pk": t.pk, "level": t.get_level_display(),
                    "type": t.get_institution_type_display() if t.institution_type else "",
                    "target": show(t.target, item.kind, item.unit), "floor": show(t.floor, item.kind, item.unit)}
                   for t in item.targets.all()]
        form = (target_forms or {}).get(item.pk) or TargetForm(is_rate=item.kind == RATE, prefix=f"t{item.pk}")
        rows.append({"item": item, "weight": _score(item.weight), "targets": targets, "form": form,
                     "rules": ScoringRule.choices,
                     "bonus_cap": _score(item.bonus_cap) if item.bonus_cap else ""})
    total = sum((item.weight for item in items), Decimal(0))
    return render(request, "targets/plan_detail.html", {
        "title": str(plan), "plan": plan, "rows": rows, "editable": editable, "weight_total": _score(total),
        "weights_ok": total == services.HUNDRED,
        "item_form": item_form or ItemForm(indicators=selectors.indicator_choices(plan)),
        "problems": services.plan_problems(plan) if not plan.is_frozen else [],
        "can_freeze": not plan.is_frozen and can(actor, "target-plan", "freeze"),
        "can_run": plan.is_frozen and can(actor, "target-assessment", "run"),
        "assessments": selectors.assessment_list(actor=actor, plan=plan)[:20],
        "crumbs": [(reverse("targets:plan-list"), _("年度工作计划"))],
    }, status=status)


@login_required
@require_safe
def plan_detail_view(request, pk: int):
    return _plan_page(request, _plan(request, pk))


@login_required
@require_POST
def item_add_view(request, pk: int):
    plan = _plan(request, pk, "update")
    form = ItemForm(request.POST, indicators=selectors.indicator_choices(plan))
    if form.is_valid():
        try:
            item = services.add_item(actor=request.user, plan=plan, **form.cleaned_data)
        except BusinessError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("已加入指标：%(name)s") % {"name": item.name})
            return redirect("targets:plan-detail", pk=plan.pk)
    return _plan_page(request, plan, status=422, item_form=form)


def _item(request, pk: int) -> PlanItem:
    item = PlanItem.objects.select_related("plan").filter(pk=pk).first()
    if item is None:
        raise Http404
    _plan(request, item.plan_id, "update")  # the gate
    return item


@login_required
@require_POST
def item_update_view(request, pk: int):
    """Change an item's weight, rule and bonus cap in place (a draft plan only)."""
    item = _item(request, pk)
    try:
        services.update_item(actor=request.user, item=item, weight=request.POST.get("weight", ""),
                             rule=request.POST.get("rule", ""), bonus_cap=request.POST.get("bonus_cap") or 0)
    except BusinessError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已修改指标：%(name)s") % {"name": item.name})
    return redirect(reverse("targets:plan-detail", args=[item.plan_id]) + f"#item-{item.pk}")


@login_required
@require_POST
def item_remove_view(request, pk: int):
    item = _item(request, pk)
    try:
        services.remove_item(actor=request.user, item=item)
    except BusinessError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已移除指标：%(name)s") % {"name": item.name})
    return redirect("targets:plan-detail", pk=item.plan_id)


@login_required
@require_POST
def target_set_view(request, pk: int):
    item = _item(request, pk)
    form = TargetForm(request.POST, is_rate=item.kind == RATE, prefix=f"t{item.pk}")
    if form.is_valid():
        try:
            services.set_target(actor=request.user, item=item, **form.for_service())
        except BusinessError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("目标值已保存：%(name)s") % {"name": item.name})
            return redirect(reverse("targets:plan-detail", args=[item.plan_id]) + f"#item-{item.pk}")
    return _plan_page(request, item.plan, status=422, target_forms={item.pk: form})


@login_required
@require_POST
def target_remove_view(request, pk: int):
    target = PlanTarget.objects.select_related("item__plan").filter(pk=pk).first()
    if target is None:
        raise Http404
    _plan(request, target.item.plan_id, "update")
    try:
        services.remove_target(actor=request.user, target=target)
    except BusinessError as exc:
        messages.error(request, exc.message)
    return redirect(reverse("targets:plan-detail", args=[target.item.plan_id]) + f"#item-{target.item_id}")


@login_required
@require_POST
def plan_freeze_view(request, pk: int):
    plan = _plan(request, pk, "freeze")
    try:
        services.freeze_plan(actor=request.user, plan=plan)
    except BusinessError as exc:
        messages.error(request, exc.message)
        return _plan_page(request, plan, status=422)
    messages.success(request, _("工作计划已冻结，可以计算考核结果。"))
    return redirect("targets:plan-detail", pk=plan.pk)


@login_required
@require_POST
def plan_assess_view(request, pk: int):
    plan = _plan(request, pk)
    try:
        assessment = services.run_assessment(actor=request.user, plan=plan)
    except BusinessError as exc:
        messages.error(request, exc.message)
        return redirect("targets:plan-detail", pk=plan.pk)
    messages.success(request, _("考核结果已计算（用时 %(seconds)s 秒）。") % {"seconds": assessment.seconds})
    return redirect(reverse("targets:dashboard") + f"?year={plan.year}")


# ---- annual summary --------------------------------------------------------------------------

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@login_required
def report_view(request, pk: int):
    """The annual summary of an assessment: the narrative blocks (editable by the commission), a preview of
    the sentences computed from the snapshot, and the Word and PDF downloads (audited)."""
    actor = request.user
    assessment = get_or_404(selectors.summary_assessment, actor=actor, pk=pk)
    plan = assessment.plan
    editable = can(actor, "target-plan", "update")
    texts = {t.block: t.text for t in plan.report_texts.all()}
    if request.method == "POST":
        require(actor, "target-plan", "update")
        for block in ReportText.Block.values:
            if block in request.POST:
                services.report_text_set(actor=actor, plan=plan, block=block, text=request.POST[block])
        messages.success(request, _("总结报告的文字已保存。"))
        return redirect("targets:report", pk=assessment.pk)
    fmt = request.GET.get("download")
    if fmt in ("docx", "pdf"):
        content = report.report_content(assessment)
        body = report.report_docx(content) if fmt == "docx" else report.report_pdf(content)
        audit_record(actor=actor, action=AuditAction.EXPORT, entity="target-assessment", entity_id=assessment.pk,
                     summary=f"下载年度总结报告（{fmt}）：{plan.year} {plan.title}")
        response = HttpResponse(body, content_type=DOCX if fmt == "docx" else "application/pdf")
        response["Content-Disposition"] = f"attachment; filename=summary-{plan.year}-{assessment.pk}.{fmt}"
        return response
    return render(request, "targets/report.html", {
        "title": _("%(year)s年度工作总结") % {"year": plan.year}, "assessment": assessment,
        "content": report.report_content(assessment), "editable": editable,
        "blocks": [(block, label, texts.get(block, "")) for block, label in ReportText.Block.choices],
        "back": reverse("targets:dashboard") + f"?year={plan.year}",
    })


app_name = "targets"
urlpatterns = [
    path("", dashboard_view, name="dashboard"),
    path("assessments/<int:pk>/districts/<str:code>/", district_view, name="district"),
    path("assessments/<int:pk>/institutions/<int:institution>/", institution_view, name="institution"),
    path("assessments/<int:pk>/report/", report_view, name="report"),
    path("plans/", PlanListView.as_view(), name="plan-list"),
    path("plans/new/", plan_create_view, name="plan-create"),
    path("plans/<int:pk>/", plan_detail_view, name="plan-detail"),
    path("plans/<int:pk>/items/", item_add_view, name="item-add"),
    path("plans/<int:pk>/freeze/", plan_freeze_view, name="plan-freeze"),
    path("plans/<int:pk>/assess/", plan_assess_view, name="plan-assess"),
    path("items/<int:pk>/", item_update_view, name="item-update"),
    path("items/<int:pk>/remove/", item_remove_view, name="item-remove"),
    path("items/<int:pk>/targets/", target_set_view, name="target-set"),
    path("targets/<int:pk>/remove/", target_remove_view, name="target-remove"),
]
