"""Research pages: the dashboard (科研概览) of the actor's scope for a year: the indicators research
offers to target assessment, each with its numerator and denominator, and the drill-down table (per
district for the city, per institution inside a district), exportable."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from weijian.accounts.access import require, scoped_queryset
from weijian.accounts.roles import Scope
from weijian.audit.actions import AuditAction
from weijian.audit.services import audit_record
from weijian.core.spreadsheets import xlsx_bytes
from weijian.orgs.models import Division, DivisionLevel
from weijian.research import achievements, indicators

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADERS = (gettext_lazy("当年立项"), gettext_lazy("省级及以上立项"), gettext_lazy("近三年立项"),
           gettext_lazy("已结题（含终止）"), gettext_lazy("结题率"), gettext_lazy("逾期未结题"))


def _year(request, today) -> int:
    try:
        year = int(request.GET.get("year") or today.year)
    except ValueError:
        year = today.year
    return min(max(year, 2000), today.year)


def _district(request, actor):
    """The district asked for (?district=code), within the reader's scope; a district reader is always
    in his own."""
    code = request.GET.get("district", "")
    if actor.scope == Scope.DISTRICT:
        code = actor.district_id
    if not code:
        return None
    district = scoped_queryset(actor, Division, "list").filter(code=code, level=DivisionLevel.DISTRICT).first()
    if district is None:
        raise Http404
    return district


def _rate(row) -> str:
    return "—" if row.closure_rate is None else f"{row.closure_rate * 100:.1f}%"


@login_required
def dashboard_view(request):
    actor = request.user
    require(actor, "research-application", "export")  # the business readers, not the PI or the experts
    today = timezone.localdate()
    year = _year(request, today)
    on = today if year == today.year else today.replace(year=year, month=12, day=31)
    district = _district(request, actor)
    rows = indicators.breakdown(actor=actor, year=year, on=on, district=district)
    by_institution = not (actor.scope == Scope.CITY and district is None)
    by = _("机构") if by_institution else _("区（市）县")
    if request.GET.get("export") == "xlsx":
        table = [[row.name, row.funded, row.won, row.approved, row.closed, _rate(row), row.overdue] for row in rows]
        audit_record(actor=actor, action=AuditAction.EXPORT, entity="research-application",
                     summary=f"导出科研概览分{'机构' if by_institution else '区（市）县'}统计 {len(table)} 行"
                             f"（{year} 年{'，' + district.name if district else ''}）")
        body = xlsx_bytes([str(h) for h in (by, *HEADERS)], table,
                          sheet_title=(_("科研概览%(year)s") % {"year": year})[:30])
        response = HttpResponse(body, content_type=XLSX)
        response["Content-Disposition"] = f"attachment; filename=research-dashboard-{year}.xlsx"
        return response
    cards = indicators.scope_indicators(actor=actor, year=year, on=on, district=district)
    counts = achievements.achievement_counts(actor=actor, year=year, district=district)
    outputs = [(_("国家级奖励"), counts.get("awards_national", 0)), (_("省级奖励"), counts.get("awards_provincial", 0)),
               (_("市级奖励"), counts.get("awards_municipal", 0)), (_("成果转化"), counts["transferred"]),
               (_("适宜技术推广"), counts["promoted"])]
    links = {row.key: (f"?year={year}&district={row.key}" if not by_institution
                       else reverse("research:application-list") + f"?institution={row.key}") for row in rows}
    return render(request, "research/dashboard/dashboard.html", {
        "year": year, "years": list(range(today.year, today.year - 5, -1)), "cards": cards, "outputs": outputs,
        "on": on, "district": district, "rows": [(row, _rate(row), links[row.key]) for row in rows], "by": by,
        "by_institution": by_institution,
        "headers": HEADERS, "city_reader": actor.scope == Scope.CITY,
    })


urlpatterns = [path("dashboard/", dashboard_view, name="dashboard")]
