"""CME pages: dashboards. Thin views: parse, call one service or selector, render.

`cme:dashboard` is the commission's city view; a district bureau lands on its district, an institution on
itself, a health worker on his transcript. Every number comes from `cme.indicators` (which applies the
access gate); the drill-down page lists the people or projects behind a number and exports them (audited).
"""

from decimal import Decimal

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from weijian.accounts.access import require
from weijian.accounts.pages import get_or_404
from weijian.accounts.roles import Scope
from weijian.audit.actions import AuditAction
from weijian.audit.services import audit_record
from weijian.cme import indicators
from weijian.cme.models import TitleGroup, title_group_of
from weijian.cme.selectors import filing_deadline, report_deadline
from weijian.core.errors import NotFoundOrForbidden
from weijian.core.forms import StyledForm
from weijian.core.spreadsheets import xlsx_bytes
from weijian.orgs.models import DivisionLevel
from weijian.orgs.selectors import division_get, division_list, institution_get, institution_list

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PAGE_SIZE = 50
TREND_YEARS = 5
# Indicators shown as percentages; the others are counts or credit sums.
RATE_CODES = ("cme-compliance-", "cme-worker-coverage", "cme-institution-coverage-", "cme-spot-check-rate",
              "cme-remote-share", "cme-out-of-city-share")
SENIOR, JUNIOR = TitleGroup.INTERMEDIATE_AND_ABOVE, TitleGroup.JUNIOR_AND_BELOW


# ---- helpers ---------------------------------------------------------------------------------

def _year(request) -> int:
    this_year = timezone.localdate().year
    try:
        year = int(request.GET.get("year", ""))
    except ValueError:
        return this_year
    return year if 2000 <= year <= this_year + 1 else this_year


def _years() -> list[int]:
    this_year = timezone.localdate().year
    return list(range(this_year, this_year - 8, -1))


def _is_rate(code: str) -> bool:
    return code.startswith(RATE_CODES)


def _percent(value: Decimal | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _show(code: str, value) -> str:
    if value is None:
        return "—"
    return _percent(value) if _is_rate(code) else f"{value:g}" if isinstance(value, Decimal) else str(value)


def _gap(ind: indicators.Indicator) -> str:
    gap = ind.gap
    if gap is None:
        return ""
    sign = "+" if gap > 0 else ""
    return f"{sign}{gap * 100:.1f}" + _("个百分点") if _is_rate(ind.code) else f"{sign}{gap:g}"


def _drill_link(code: str, query: dict) -> str:
    """The drill-down page behind an indicator card, or "" when the number has no list behind it."""
    if code.startswith("cme-compliance-"):
        target, extra = "cme-compliance", {"title_group": code.removeprefix("cme-compliance-"), "passed": "0"}
    elif code.startswith("cme-institution-coverage-"):
        target, extra = "cme-institution-coverage", {"tier": code.removeprefix("cme-institution-coverage-")}
    elif code in ("cme-worker-coverage", "cme-overdue-filings", "cme-overdue-reports"):
        target, extra = code, {}
    else:
        return ""
    return reverse("cme:indicator-detail", args=[target]) + "?" + urlencode({**query, **extra})


def _cards(items: list[indicators.Indicator], query: dict) -> list[dict]:
    cards = []
    for ind in items:
        cards.append({
            "code": ind.code, "name": ind.name, "actual": _show(ind.code, ind.actual),
            "target": _show(ind.code, ind.target) if ind.target is not None else "",
            "previous": _show(ind.code, ind.previous) if ind.previous is not None else "",
            "gap": _gap(ind), "met": ind.met, "trend": ind.trend, "lower_is_better": ind.lower_is_better,
            "numerator": _show("", ind.numerator), "denominator": _show("", ind.denominator),
            "url": _drill_link(ind.code, query),
        })
    return cards


def _ratio(pair: list[int]) -> str:
    passed, total = pair
    return f"{_percent(indicators._rate(passed, total))}（{passed}/{total}）" if total else "—"


def _scope_rows(rows: list[indicators.ScopeRow], url_name: str = "", year: int | None = None) -> list[dict]:
    out = []
    for row in rows:
        url = reverse(url_name, args=[row.key]) + f"?year={year}" if url_name else ""
        out.append({"name": row.name, "url": url, "headcount": row.headcount,
                    "senior": _ratio(row.counts[SENIOR]), "junior": _ratio(row.counts[JUNIOR]),
                    "coverage": _percent(row.coverage), "short": row.short})
    return out


def _chart_rate(value: Decimal | None):
    return None if value is None else float(value * 100)


def _transcript_url() -> str:
    try:
        return reverse("cme:my-transcript")
    except NoReverseMatch:  # during development the transcript pages may not be wired yet
        return reverse("web:home")


def _gate(fetch, **kwargs):
    """Call an indicator function; out-of-scope districts/institutions become 404."""
    try:
        return fetch(**kwargs)
    except NotFoundOrForbidden:
        raise Http404 from None


def _page_context(request, year: int, title: str, **extra) -> dict:
    return {"title": title, "year": year, "years": _years(), **extra}


# ---- the commission dashboard ----------------------------------------------------------------

@login_required
@require_safe
def dashboard_view(request):
    actor = request.user
    if actor.scope == Scope.SELF:
        return redirect(_transcript_url())
    require(actor, "cme-indicator", "view")
    query = request.GET.urlencode()
    suffix = f"?{query}" if query else ""
    if actor.scope == Scope.DISTRICT and actor.district_id:
        return redirect(reverse("cme:district", args=[actor.district_id]) + suffix)
    if actor.scope == Scope.INSTITUTION and actor.institution_id:
        return redirect(reverse("cme:institution", args=[actor.institution_id]) + suffix)
    year = _year(request)
    breakdown = indicators.compliance_breakdown(actor=actor, year=year)
    trend = indicators.compliance_trend(actor=actor, year=year, years=TREND_YEARS)
    city = breakdown.city.compliance
    charts = {
        "districts": {
            "labels": [d.name for d in breakdown.districts],
            "senior": [_chart_rate(d.compliance[SENIOR].actual) for d in breakdown.districts],
            "junior": [_chart_rate(d.compliance[JUNIOR].actual) for d in breakdown.districts],
        },
        "trend": {
            "labels": [str(row["year"]) for row in trend],
            "senior": [_chart_rate(row[SENIOR]) for row in trend],
            "junior": [_chart_rate(row[JUNIOR]) for row in trend],
        },
        "groups": {
            "labels": [str(TitleGroup(g).label) for g in (SENIOR, JUNIOR)],
            "actual": [_chart_rate(city[g].actual) for g in (SENIOR, JUNIOR)],
            "target": [_chart_rate(indicators.COMPLIANCE_TARGETS[g]) for g in (SENIOR, JUNIOR)],
        },
        "targets": {"senior": 95.0, "junior": 80.0},
        "text": {"senior": str(TitleGroup(SENIOR).label), "junior": str(TitleGroup(JUNIOR).label),
                 "target": _("目标"), "actual": _("实际")},
    }
    return render(request, "cme/dashboards/dashboard.html", _page_context(
        request, year, _("继续医学教育指标"),
        cards=_cards(indicators.all_indicators(actor=actor, year=year), {"year": year}),
        districts=_scope_rows(breakdown.districts, "cme:district", year),
        charts=charts,
    ))


# ---- a district ------------------------------------------------------------------------------

@login_required
@require_safe
def district_view(request, code: str):
    actor = request.user
    require(actor, "cme-indicator", "view")
    district = get_or_404(division_get, actor=actor, code=code)
    if district.level != DivisionLevel.DISTRICT:
        raise Http404
    year = _year(request)
    breakdown = _gate(indicators.compliance_breakdown, actor=actor, year=year, district=district)
    cards = _cards(_gate(indicators.all_indicators, actor=actor, year=year, district=district),
                   {"year": year, "district": district.pk})
    return render(request, "cme/dashboards/district.html", _page_context(
        request, year, _("%(name)s继续医学教育指标") % {"name": district.name},
        district=district, cards=cards, summary=_scope_rows([breakdown.city])[0],
        institutions=_scope_rows(breakdown.institutions, "cme:institution", year),
        back=reverse("cme:dashboard") if actor.scope == Scope.CITY else "",
    ))


# ---- an institution, with the reminder list --------------------------------------------------

def _reminder_rows(people) -> list[list]:
    return [
        [w.name, w.id_number_masked, w.get_profession_display(), w.get_title_level_display(),
         float(o.counted_total), float(o.class_i), float(o.class_ii), float(o.shortfall), o.reason]
        for w, o in people
    ]


REMINDER_HEADERS = (gettext_lazy("姓名"), gettext_lazy("身份证号"), gettext_lazy("职业类别"),
                    gettext_lazy("职称级别"), gettext_lazy("计入总学分"), gettext_lazy("I类学分"),
                    gettext_lazy("II类学分"), gettext_lazy("尚差学分"), gettext_lazy("未达标原因"))


def _xlsx_response(headers, rows, title: str, filename: str) -> HttpResponse:
    body = xlsx_bytes([str(h) for h in headers], rows, sheet_title=title[:30])
    response = HttpResponse(body, content_type=XLSX)
    stamp = timezone.localtime().strftime("%Y%m%d%H%M")
    response["Content-Disposition"] = f"attachment; filename={filename}-{stamp}.xlsx"
    return response


@login_required
@require_safe
def institution_view(request, pk: int):
    actor = request.user
    require(actor, "cme-indicator", "view")
    institution = get_or_404(institution_get, actor=actor, pk=pk)
    year = _year(request)
    short = _gate(indicators.compliance_people, actor=actor, year=year, passed=False, institution=institution)
    if request.GET.get("export") == "xlsx":
        require(actor, "cme-credit", "export")
        rows = _reminder_rows(short)
        audit_record(actor=actor, action=AuditAction.EXPORT, entity="cme-indicator", entity_id=institution.pk,
                     summary=f"导出{institution.name}{year}年度学分未达标提醒名单 {len(rows)} 人（xlsx）")
        return _xlsx_response(REMINDER_HEADERS, rows, _("学分未达标提醒名单"), f"cme-reminders-{year}")
    cards = _cards(_gate(indicators.all_indicators, actor=actor, year=year, institution=institution),
                   {"year": year, "institution": institution.pk})
    back = ""
    if actor.scope in (Scope.CITY, Scope.DISTRICT):
        back = reverse("cme:district", args=[institution.district_id]) + f"?year={year}"
    return render(request, "cme/dashboards/institution.html", _page_context(
        request, year, _("%(name)s继续医学教育指标") % {"name": institution.name},
        institution=institution, cards=cards, back=back,
        short=[{"worker": w, "outcome": o, "group": TitleGroup(title_group_of(w.title_level)).label}
               for w, o in short],
    ))


# ---- drill-down: the people or projects behind a number --------------------------------------

DRILL_TITLES = {
    "cme-compliance": gettext_lazy("学分达标情况明细"),
    "cme-worker-coverage": gettext_lazy("本年度无已审核学分的人员"),
    "cme-institution-coverage": gettext_lazy("本年度未覆盖的机构"),
    "cme-overdue-filings": gettext_lazy("逾期未备案项目"),
    "cme-overdue-reports": gettext_lazy("逾期未报告执行情况项目"),
}
PASSED_CHOICES = (("", gettext_lazy("全部")), ("0", gettext_lazy("未达标")), ("1", gettext_lazy("达标")))
TIER_CHOICES = (("", gettext_lazy("全部")), (indicators.COUNTY, gettext_lazy("县级及以上")),
                (indicators.PRIMARY, gettext_lazy("基层")))


class DrillFilterForm(StyledForm):
    year = forms.TypedChoiceField(label=gettext_lazy("年度"), coerce=int, required=False)
    district = forms.ModelChoiceField(label=gettext_lazy("区县"), queryset=None, required=False,
                                      empty_label=gettext_lazy("全部"))
    institution = forms.ModelChoiceField(label=gettext_lazy("机构"), queryset=None, required=False,
                                         empty_label=gettext_lazy("全部"))
    title_group = forms.ChoiceField(label=gettext_lazy("职称组"), required=False,
                                    choices=(("", gettext_lazy("全部")), *TitleGroup.choices))
    passed = forms.ChoiceField(label=gettext_lazy("是否达标"), required=False, choices=PASSED_CHOICES)
    tier = forms.ChoiceField(label=gettext_lazy("机构层级"), required=False, choices=TIER_CHOICES)

    def __init__(self, data, *, actor, code: str):
        super().__init__(data)
        self.fields["year"].choices = [(y, str(y)) for y in _years()]
        self.fields["district"].queryset = division_list(actor=actor, level=DivisionLevel.DISTRICT)
        self.fields["institution"].queryset = (institution_list(actor=actor).select_related(None)
                                               .only("pk", "name").order_by("name"))
        if actor.scope == Scope.INSTITUTION:  # one institution: nothing to narrow by place
            del self.fields["district"], self.fields["institution"]
        if code != "cme-compliance":
            del self.fields["title_group"], self.fields["passed"]
        if code != "cme-institution-coverage":
            del self.fields["tier"]


def _drill_rows(actor, code: str, year: int, filters: dict) -> tuple[tuple, list[list], bool]:
    """(headers, rows, personal) for the drill-down `code`; personal = rows name people."""
    scope = {"district": filters.get("district"), "institution": filters.get("institution")}
    if code == "cme-compliance":
        passed = {"0": False, "1": True}.get(filters.get("passed") or "")
        people = indicators.compliance_people(actor=actor, year=year, title_group=filters.get("title_group") or "",
                                              passed=passed, **scope)
        headers = (_("姓名"), _("身份证号"), _("所在机构"), _("职称组"), _("计入总学分"), _("I类学分"),
                   _("II类学分"), _("尚差学分"), _("结论"))
        rows = [[w.name, w.id_number_masked, w.institution.name, str(TitleGroup(title_group_of(w.title_level)).label),
                 float(o.counted_total), float(o.class_i), float(o.class_ii), float(o.shortfall), o.reason]
                for w, o in people]
        return headers, rows, True
    if code == "cme-worker-coverage":
        workers = indicators.uncovered_workers(actor=actor, year=year, **scope)
        headers = (_("姓名"), _("身份证号"), _("所在机构"), _("所属区县"), _("职业类别"), _("职称级别"))
        rows = [[w.name, w.id_number_masked, w.institution.name, w.institution.district.name,
                 w.get_profession_display(), w.get_title_level_display()] for w in workers.iterator(chunk_size=2000)]
        return headers, rows, True
    if code == "cme-institution-coverage":
        institutions = indicators.uncovered_institutions(actor=actor, year=year, tier=filters.get("tier") or "",
                                                         **scope)
        headers = (_("机构名称"), _("机构类别"), _("所属区县"))
        return headers, [[i.name, i.get_type_display(), i.district.name] for i in institutions], False
    kind = "filing" if code == "cme-overdue-filings" else "report"
    projects = indicators.overdue_projects(actor=actor, kind=kind, year=year, **scope).order_by("start_date", "pk")
    deadline = filing_deadline if kind == "filing" else report_deadline
    headers = (_("项目编号"), _("项目名称"), _("项目级别"), _("主办机构"), _("开始日期"), _("结束日期"), _("截止日期"))
    rows = [[p.number, p.name, p.get_level_display(), p.host.name, p.start_date.isoformat(),
             p.end_date.isoformat(), deadline(p).isoformat()] for p in projects]
    return headers, rows, False


@login_required
@require_safe
def indicator_detail_view(request, code: str):
    actor = request.user
    require(actor, "cme-indicator", "view")
    if code not in DRILL_TITLES:
        raise Http404
    form = DrillFilterForm(request.GET or None, actor=actor, code=code)
    filters = {}
    if form.is_bound:
        form.is_valid()  # an invalid field (a district outside the scope, say) is left out of cleaned_data
        filters = form.cleaned_data
    year = filters.get("year") or _year(request)
    headers, rows, personal = _gate(_drill_rows, actor=actor, code=code, year=year, filters=filters)
    title = str(DRILL_TITLES[code])
    if request.GET.get("export") == "xlsx":
        require(actor, "cme-credit" if personal else "cme-project", "export")
        audit_record(actor=actor, action=AuditAction.EXPORT, entity="cme-indicator", entity_id=code,
                     summary=f"导出{title}（{year}年度）{len(rows)} 行；筛选：{request.GET.urlencode()[:120]}")
        return _xlsx_response(headers, rows, title, f"{code}-{year}")
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = urlencode({k: v for k, v in request.GET.items() if k not in ("page", "export") and v})
    return render(request, "cme/dashboards/indicator_detail.html", _page_context(
        request, year, title, code=code, form=form, headers=headers, page=page, count=len(rows), query=query,
        back=reverse("cme:dashboard") + f"?year={year}",
    ))


urlpatterns = [
    path("", dashboard_view, name="dashboard"),
    path("districts/<str:code>/", district_view, name="district"),
    path("institutions/<int:pk>/", institution_view, name="institution"),
    path("indicators/<str:code>/", indicator_detail_view, name="indicator-detail"),
]
