"""Research pages: expert review. Thin views: parse, call one service or selector, render.

我的评审 (an expert's own assignments), the scoring page (the application as the expert needs it, the five
criteria, the comment), the panel's scores (services.review_scores: sealed from an expert until every due
date has passed, anonymous to him), and the commission's view of the whole review round.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone

from weijian.accounts.access import can, require
from weijian.accounts.pages import get_or_404
from weijian.core.errors import BusinessError
from weijian.core.pages import Col, display
from weijian.research import rules, selectors, services
from weijian.research.forms import MyReviewFilterForm, ReviewForm, ReviewQueueFilterForm
from weijian.research.models import AssignmentStatus
from weijian.research.views import ASSIGNMENT_BADGE, ResearchListPage, add_error, iso


def _total(a) -> str:
    return "" if a.total is None else str(a.total)


class MyReviewListView(ResearchListPage):
    entity = "research-review"
    title = "我的评审"
    export_name = "research-my-reviews"
    empty_text = "暂无评审任务"
    default_sort = "due_on"
    filter_form = MyReviewFilterForm
    columns = (
        Col("申报编号", lambda a: a.application.number, sort="application__number", link=True),
        Col("项目名称", lambda a: a.application.title, sort="application__title"),
        Col("学科专业", lambda a: a.application.specialty, sort="application__specialty"),
        Col("申报通知", lambda a: a.application.call.title),
        Col("评审截止", lambda a: iso(a.due_on), sort="due_on"),
        Col("状态", lambda a: display(a, "status"), sort="status"),
        Col("我的评分", _total, sort="total"),
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
    title = "评审任务"
    export_name = "research-reviews"
    empty_text = "暂无评审任务"
    default_sort = "due_on"
    columns = (
        Col("申报编号", lambda a: a.application.number, sort="application__number", link=True),
        Col("项目名称", lambda a: a.application.title, sort="application__title"),
        Col("申报通知", lambda a: a.application.call.title),
        Col("评审专家", lambda a: a.expert.name, sort="expert__name"),
        Col("评审截止", lambda a: iso(a.due_on), sort="due_on"),
        Col("状态", lambda a: display(a, "status"), sort="status"),
        Col("总分", _total, sort="total"),
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
            messages.success(request, f"评审意见已提交，总分 {assignment.total}")
            return redirect("research:review-detail", pk=assignment.pk)
    criteria = [(c.label, c.weight, (assignment.scores or {}).get(c.key)) for c in rules.DEFAULT_CRITERIA]
    return render(request, "research/reviews/detail.html", {
        "title": f"评审：{assignment.application.title}", "assignment": assignment,
        "application": assignment.application, "badge": ASSIGNMENT_BADGE.get(assignment.status),
        "form": form, "criteria": criteria, "overdue": assignment.status == AssignmentStatus.ASSIGNED
        and today > assignment.due_on, "own": assignment.expert.user_id == actor.pk,
        "back": reverse("research:my-reviews") if can(actor, "research-review", "score")
        else reverse("research:review-queue"),
    }, status=422 if form is not None and form.errors else 200)


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
        "title": f"专家组评分：{assignment.application.title}", "assignment": assignment,
        "application": assignment.application, "named": named,
        "rows": [{**row, "expert": row["expert"] if named else f"专家{i}"} for i, row in enumerate(rows, 1)],
        "aggregate": rules.aggregate_scores([row["total"] for row in rows]),
    })


urlpatterns = [
    path("reviews/", ReviewQueueView.as_view(), name="review-queue"),
    path("reviews/mine/", MyReviewListView.as_view(), name="my-reviews"),
    path("reviews/<int:pk>/", review_detail_view, name="review-detail"),
    path("reviews/<int:pk>/panel/", review_panel_view, name="review-panel"),
]
