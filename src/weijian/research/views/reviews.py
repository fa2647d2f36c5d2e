"""Research pages: expert review. Thin views: parse, call one service or selector, render.

我的评审 (an expert's own assignments), the scoring page (the application as the expert needs it, the five
criteria, the comment), the panel's scores (services.review_scores: sealed from an expert until every due
date has passed, anonymous to him), and the commission's view of the whole review round.

No-shows: the commission marks a pending assignment past its due date 未按时评审
(services.review_mark_no_show), and 补充分配专家 runs services.reviews_assign again for the call, which gives
the applications short of experts new ones (never the same). A call's review round (评审进度) shows both;
the call's page loads it with htmx.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from weijian.accounts.access import can, require
from weijian.accounts.pages import get_or_404
from weijian.core.errors import BusinessError
from weijian.core.pages import Col, display
from weijian.research import pool, rules, selectors, services
from weijian.research.forms import AssignForm, MyReviewFilterForm, ReviewForm, ReviewQueueFilterForm
from weijian.research.models import AssignmentStatus
from weijian.research.views import ASSIGNMENT_BADGE, ResearchListPage, add_error, iso
from weijian.research.views.calls import _call


def _total(a) -> str:
    return "" if a.total is None else str(a.total)


def _overdue(a, today=None) -> bool:
    return a.status == AssignmentStatus.ASSIGNED and (today or timezone.localdate()) > a.due_on


def _lateness(a) -> str:
    """What the commission must see in the queue: no-shows, and pending assignments past their due date."""
    if a.status == AssignmentStatus.NO_SHOW:
        return _("未按时评审")
    return _("已过截止，未评审") if _overdue(a) else ""


class MyReviewListView(ResearchListPage):
    entity = "research-review"
    title = gettext_lazy("我的评审")
    export_name = "research-my-reviews"
    empty_text = gettext_lazy("暂无评审任务")
    default_sort = "due_on"
    filter_form = MyReviewFilterForm
    columns = (
        Col(gettext_lazy("申报编号"), lambda a: a.application.number, sort="application__number", link=True),
        Col(gettext_lazy("项目名称"), lambda a: a.application.title, sort="application__title"),
        Col(gettext_lazy("学科专业"), lambda a: a.application.specialty, sort="application__specialty"),
        Col(gettext_lazy("申报通知"), lambda a: a.application.call.title),
        Col(gettext_lazy("评审截止"), lambda a: iso(a.due_on), sort="due_on"),
        Col(gettext_lazy("状态"), lambda a: display(a, "status"), sort="status"),
        Col(gettext_lazy("我的评分"), _total, sort="total"),
    )

    def authorize(self, request, action):
        require(request.user, self.entity, "score")
        super().authorize(request, action)

    def get_queryset(self, request, filters):
        return selectors.my_reviews(actor=request.user, **filters)

    def row_url(self, obj):
        return reverse("research:review-detail", args=[obj.pk])


class ReviewQueueView(ResearchListPage):
    entity = "research-review"
    title = gettext_lazy("评审任务")
    export_name = "research-reviews"
    empty_text = gettext_lazy("暂无评审任务")
    default_sort = "due_on"
    columns = (
        Col(gettext_lazy("申报编号"), lambda a: a.application.number, sort="application__number", link=True),
        Col(gettext_lazy("项目名称"), lambda a: a.application.title, sort="application__title"),
        Col(gettext_lazy("申报通知"), lambda a: a.application.call.title),
        Col(gettext_lazy("评审专家"), lambda a: a.expert.name, sort="expert__name"),
        Col(gettext_lazy("评审截止"), lambda a: iso(a.due_on), sort="due_on"),
        Col(gettext_lazy("状态"), lambda a: display(a, "status"), sort="status"),
        Col(gettext_lazy("逾期情况"), _lateness),
        Col(gettext_lazy("总分"), _total, sort="total"),
    )

    def authorize(self, request, action):
        require(request.user, self.entity, "assign")
        super().authorize(request, action)

    def filter_form(self, data):
        return ReviewQueueFilterForm(data, actor=self.request.user)

    def get_queryset(self, request, filters):
        return selectors.review_queue(actor=request.user, **filters)

    def row_url(self, obj):
        return reverse("research:review-detail", args=[obj.pk])


def _assignment(request, pk):
    require(request.user, "research-review", "view")
    return get_or_404(selectors.review_get, actor=request.user, pk=pk)


def _scorable(actor, assignment, today) -> bool:
    return (can(actor, "research-review", "score") and assignment.expert.user_id == actor.pk
            and assignment.status == AssignmentStatus.ASSIGNED and today <= assignment.due_on)


@login_required
def review_detail_view(request, pk: int):
    """The expert's scoring page (read-only once submitted or past the due date, and for the commission)."""
    actor, today = request.user, timezone.localdate()
    assignment = _assignment(request, pk)
    if request.method == "POST":
        require(actor, "research-review", "score")
    form = ReviewForm(request.POST or None) if _scorable(actor, assignment, today) or request.method == "POST" \
        else None
    if request.method == "POST" and form.is_valid():
        try:
            services.review_submit(actor=actor, assignment=assignment, scores=form.scores(),
                                   comment=form.cleaned_data["comment"])
        except BusinessError as exc:
            add_error(form, exc)
        else:
            messages.success(request, _("评审意见已提交，总分 %(total)s") % {"total": assignment.total})
            return redirect("research:review-detail", pk=assignment.pk)
    return _review_page(request, assignment, form, status=422 if form is not None and form.errors else 200)


def _review_page(request, assignment, form=None, *, status: int = 200):
    actor, today = request.user, timezone.localdate()
    criteria = [(c.label, c.weight, (assignment.scores or {}).get(c.key)) for c in rules.DEFAULT_CRITERIA]
    overdue = _overdue(assignment, today)
    return render(request, "research/reviews/detail.html", {
        "title": _("评审：%(title)s") % {"title": assignment.application.title}, "assignment": assignment,
        "application": assignment.application, "badge": ASSIGNMENT_BADGE.get(assignment.status),
        "form": form, "criteria": criteria, "overdue": overdue, "own": assignment.expert.user_id == actor.pk,
        "can_mark": overdue and can(actor, "research-review", "assign"),
        "back": reverse("research:my-reviews") if can(actor, "research-review", "score")
        else reverse("research:review-queue"),
    }, status=status)


def _back(request, default: str) -> str:
    """Where a POST came from (a page of this site), or `default`."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return default


@login_required
@require_POST
def review_no_show_view(request, pk: int):
    """标记未评审: the commission marks a pending assignment past its due date as a no-show."""
    actor = request.user
    require(actor, "research-review", "assign")
    assignment = _assignment(request, pk)
    try:
        services.review_mark_no_show(actor=actor, assignment=assignment)
    except BusinessError as exc:
        messages.error(request, exc.message)
        return _review_page(request, assignment, status=422)
    messages.success(request, _("已标记未按时评审：%(expert)s（%(number)s）。可在申报通知页“补充分配专家”为该申报书补充专家。")
                     % {"expert": assignment.expert.name, "number": assignment.application.number})
    return redirect(_back(request, reverse("research:review-detail", args=[assignment.pk])))


def _round_page(request, call, *, status: int = 200, reassign_form=None):
    """A call's review round: full page, or the panel alone when the call's page loads it by htmx."""
    today = timezone.localdate()
    round_ = pool.review_round(actor=request.user, call=call, today=today)
    context = {
        "title": _("评审进度：%(title)s") % {"title": call.title}, "call": call, "today": today,
        "round": round_, "counts": [(label, n, ASSIGNMENT_BADGE.get(value, "secondary"))
                                    for label, n, value in round_["counts"]],
        "reassign_form": reassign_form or AssignForm(prefix="reassign"),
    }
    htmx = getattr(request, "htmx", False) and not request.htmx.boosted
    # After a step, back to the page the panel was on: the call's page, or this page.
    context["next"] = reverse("research:call-detail" if htmx else "research:call-review-round", args=[call.pk])
    template = "research/reviews/_round.html" if htmx else "research/reviews/round.html"
    return render(request, template, context, status=status)


@login_required
def call_review_round_view(request, pk: int):
    require(request.user, "research-review", "assign")
    return _round_page(request, _call(request, pk))


@login_required
@require_POST
def call_reassign_view(request, pk: int):
    """补充分配专家: run the assignment again for the call; applications short of experts (no-shows, or too few
    free experts the first time) get new ones, never those they had."""
    actor = request.user
    require(actor, "research-review", "assign")
    call = _call(request, pk)
    form = AssignForm(request.POST, prefix="reassign")
    if not form.is_valid():
        return _round_page(request, call, status=422, reassign_form=form)
    try:
        result = services.reviews_assign(actor=actor, call=call, due_on=form.cleaned_data["due_on"])
    except BusinessError as exc:
        add_error(form, exc)
        return _round_page(request, call, status=422, reassign_form=form)
    if result["assigned"]:
        messages.success(request, _("已补充分配 %(count)s 名评审专家，评审截止 %(due)s") % {
            "count": result["assigned"], "due": iso(form.cleaned_data["due_on"])})
    else:
        messages.info(request, _("没有需要补充评审专家的申报书"))
    shortfalls = result["shortfalls"]
    if shortfalls:
        messages.warning(request, _("%(applications)s 项申报书可回避冲突的专家不足，共缺 %(missing)s 名，"
                                    "请补充专家库后再次分配") % {"applications": len(shortfalls),
                                                                 "missing": sum(shortfalls.values())})
    return redirect(_back(request, reverse("research:call-review-round", args=[call.pk])))


@login_required
def review_panel_view(request, pk: int):
    """The panel's scores for the application of this assignment. An expert sees them only once every due
    date has passed, without names; the service refuses earlier (and records the attempt)."""
    actor = request.user
    assignment = _assignment(request, pk)
    try:
        rows = services.review_scores(actor=actor, application=assignment.application)
    except BusinessError as exc:
        messages.error(request, exc.message)
        return redirect("research:review-detail", pk=assignment.pk)
    named = can(actor, "research-application", "decide")
    return render(request, "research/reviews/panel.html", {
        "title": _("专家组评分：%(title)s") % {"title": assignment.application.title}, "assignment": assignment,
        "application": assignment.application, "named": named,
        "rows": [{**row, "expert": row["expert"] if named else _("专家%(n)s") % {"n": i}} for i, row in enumerate(rows, 1)],
        "aggregate": rules.aggregate_scores([row["total"] for row in rows]),
    })


urlpatterns = [
    path("reviews/", ReviewQueueView.as_view(), name="review-queue"),
    path("reviews/mine/", MyReviewListView.as_view(), name="my-reviews"),
    path("reviews/<int:pk>/", review_detail_view, name="review-detail"),
    path("reviews/<int:pk>/panel/", review_panel_view, name="review-panel"),
    path("reviews/<int:pk>/no-show/", review_no_show_view, name="review-no-show"),
    path("reviews/calls/<int:pk>/", call_review_round_view, name="call-review-round"),
    path("reviews/calls/<int:pk>/reassign/", call_reassign_view, name="call-reassign"),
]
