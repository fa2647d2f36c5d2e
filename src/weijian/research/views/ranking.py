"""Research pages: the ranking of a call's applications (评审排名), for the commission's panel decision;
exportable to Excel."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from weijian.accounts.access import require
from weijian.audit.actions import AuditAction
from weijian.audit.services import audit_record
from weijian.core.errors import NotFoundOrForbidden
from weijian.core.spreadsheets import xlsx_bytes
from weijian.research import ranking
from weijian.research.views import APPLICATION_BADGE
from weijian.research.views.calls import _call

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADERS = (gettext_lazy("排名"), gettext_lazy("申报编号"), gettext_lazy("项目名称"), pgettext_lazy("research", "项目负责人"),
           gettext_lazy("申报单位"), gettext_lazy("申请经费（万元）"), gettext_lazy("已评/分配专家"),
           gettext_lazy("综合得分"), gettext_lazy("状态"))


@login_required
def call_ranking_view(request, pk: int):
    require(request.user, "research-review", "assign")
    call = _call(request, pk)
    try:
        rows = ranking.call_ranking(actor=request.user, call=call)
    except NotFoundOrForbidden:
        raise Http404 from None
    if request.GET.get("export") == "xlsx":
        table = [[r.rank or "", r.application.number, r.application.title, r.application.pi.name,
                  r.application.institution.name, str(r.application.budget_total), f"{r.scored}/{r.assigned}",
                  "" if r.score is None else str(r.score), r.application.get_status_display()] for r in rows]
        audit_record(actor=request.user, action=AuditAction.EXPORT, entity="research-review", entity_id=call.pk,
                     summary=f"导出评审排名 {len(table)} 行：{call.title}"[:255])
        response = HttpResponse(xlsx_bytes([str(h) for h in HEADERS], table, sheet_title=_("评审排名")), content_type=XLSX)
        response["Content-Disposition"] = f"attachment; filename=research-ranking-{call.pk}.xlsx"
        return response
    return render(request, "research/calls/ranking.html", {
        "call": call, "headers": HEADERS, "call_url": reverse("research:call-detail", args=[call.pk]),
        "rows": [(r, APPLICATION_BADGE.get(r.application.status, "secondary")) for r in rows],
    })


urlpatterns = [path("calls/<int:pk>/ranking/", call_ranking_view, name="call-ranking")]
