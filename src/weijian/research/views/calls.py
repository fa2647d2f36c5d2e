"""Research pages: calls for applications (申报通知). Thin views: parse, call one service or selector, render.

The list (filters, sorting, export), a call's page (its rules and dates, its applications as far as the
user may see them, the next steps: 发布, 新建申报书, 分配评审专家), and the commission's form for a new call.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from weijian.accounts.access import can, require
from weijian.accounts.pages import get_or_404
from weijian.core.errors import BusinessError, NotFoundOrForbidden
from weijian.core.pages import Col, display
from weijian.research import selectors, services
from weijian.research.forms import AssignForm, CallFilterForm, CallForm
from weijian.research.models import ApplicationStatus
from weijian.research.views import APPLICATION_BADGE, CALL_BADGE, ResearchListPage, add_error, form_page, iso

# How many of a call's applications its page lists; the rest are on the filtered application list.
CALL_PAGE_APPLICATIONS = 50


@login_required
def index_view(request):
    """The section's entry: experts go to their reviews, ethics committees to their submissions, everyone
    else who may to the calls."""
    actor = request.user
    if can(actor, "research-call", "list"):
        return redirect("research:call-list")
    if can(actor, "research-review", "score"):
        return redirect("research:my-reviews")
    if can(actor, "research-ethics-submission", "review"):
        return redirect("research:ethics-list")
    raise PermissionDenied


class CallListView(ResearchListPage):
    entity = "research-call"
    title = gettext_lazy("申报通知")
    export_name = "research-calls"
    export_entity = "research-call"
    empty_text = gettext_lazy("暂无申报通知")
    default_sort = "-opens_on"
    filter_form = CallFilterForm
    columns = (
        Col(gettext_lazy("通知标题"), lambda c: c.title, sort="title", link=True),
        Col(gettext_lazy("年度"), lambda c: c.year, sort="year"),
        Col(gettext_lazy("项目类别"), lambda c: display(c, "category"), sort="category"),
        Col(gettext_lazy("单项资助上限（万元）"), lambda c: str(c.budget_ceiling), sort="budget_ceiling"),
        Col(gettext_lazy("申报开始"), lambda c: iso(c.opens_on), sort="opens_on"),
        Col(gettext_lazy("申报截止"), lambda c: iso(c.closes_on), sort="closes_on"),
        Col(gettext_lazy("状态"), lambda c: display(c, "status"), sort="status"),
    )

    def get_queryset(self, request, filters):
        return selectors.call_list(actor=request.user, **filters)

    def row_url(self, obj):
        return reverse("research:call-detail", args=[obj.pk])

    @property
    def actions(self):
        if can(self.request.user, "research-call", "create"):
            return ((_("新建申报通知"), reverse("research:call-create")),)
        return ()


def _call(request, pk, action: str = "view"):
    require(request.user, "research-call", action)
    return get_or_404(selectors.call_get, actor=request.user, pk=pk)


def _detail(request, call, *, status: int = 200, assign_form=None):
    actor = request.user
    counts = selectors.application_status_counts(actor=actor, call=call)
    applications = list(selectors.application_list(actor=actor, call=call).order_by("number")
                        [:CALL_PAGE_APPLICATIONS])
    return render(request, "research/calls/detail.html", {
        "title": call.title, "call": call, "badge": CALL_BADGE.get(call.status),
        "actions": selectors.call_actions(actor=actor, call=call),
        "applications": [(a, APPLICATION_BADGE.get(a.status, "secondary")) for a in applications],
        "application_total": sum(counts.values()), "more": sum(counts.values()) > len(applications),
        "counts": [(label, counts[value]) for value, label in ApplicationStatus.choices if counts.get(value)],
        "endorsed": counts.get(ApplicationStatus.ENDORSED, 0),
        "assign_form": assign_form or AssignForm(prefix="assign"),
        "today": timezone.localdate(),
    }, status=status)


@login_required
def call_detail_view(request, pk: int):
    return _detail(request, _call(request, pk))


@login_required
def call_create_view(request):
    actor = request.user
    require(actor, "research-call", "create")
    form = CallForm(request.POST or None, initial={"year": timezone.localdate().year})
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items()}
        try:
            call = services.call_create(actor=actor, **data)
        except BusinessError as exc:
            add_error(form, exc)
        else:
            messages.success(request, _("申报通知已保存为草稿：%(title)s。发布后卫生人员方可申报。") % {"title": call.title})
            return redirect("research:call-detail", pk=call.pk)
    return form_page(request, form, title=_("新建申报通知"), crumbs=[(reverse("research:call-list"), _("申报通知"))],
                     cancel_url=reverse("research:call-list"))


@login_required
@require_POST
def call_publish_view(request, pk: int):
    call = _call(request, pk, "update")
    try:
        services.call_publish(actor=request.user, call=call)
    except BusinessError as exc:
        messages.error(request, exc.message)
        return _detail(request, call, status=422)
    messages.success(request, _("申报通知已发布：%(title)s") % {"title": call.title})
    return redirect("research:call-detail", pk=call.pk)


@login_required
@require_POST
def call_assign_view(request, pk: int):
    """分配评审专家 to every endorsed application of the call, with the due date given."""
    actor = request.user
    require(actor, "research-review", "assign")
    call = _call(request, pk)
    form = AssignForm(request.POST, prefix="assign")
    if not form.is_valid():
        return _detail(request, call, status=422, assign_form=form)
    try:
        result = services.reviews_assign(actor=actor, call=call, due_on=form.cleaned_data["due_on"])
    except NotFoundOrForbidden:
        raise PermissionDenied from None
    except BusinessError as exc:
        add_error(form, exc)
        return _detail(request, call, status=422, assign_form=form)
    if result["assigned"]:
        messages.success(request, _("已分配 %(count)s 个评审任务，评审截止 %(due)s") % {
            "count": result["assigned"], "due": iso(form.cleaned_data["due_on"])})
    else:
        messages.info(request, _("没有需要分配评审专家的申报书"))
    shortfalls = result["shortfalls"]
    if shortfalls:
        messages.warning(request, _("%(applications)s 项申报书可回避冲突的专家不足，共缺 %(missing)s 名，"
                                    "请补充专家库后再次分配") % {"applications": len(shortfalls),
                                                                 "missing": sum(shortfalls.values())})
    return redirect("research:call-detail", pk=call.pk)


urlpatterns = [
    path("", index_view, name="index"),
    path("calls/", CallListView.as_view(), name="call-list"),
    path("calls/new/", call_create_view, name="call-create"),
    path("calls/<int:pk>/", call_detail_view, name="call-detail"),
    path("calls/<int:pk>/publish/", call_publish_view, name="call-publish"),
    path("calls/<int:pk>/assign/", call_assign_view, name="call-assign"),
]
