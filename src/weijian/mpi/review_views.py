"""The review queue (疑似匹配审核): possible matches side by side with each field's agreement and weight;
accept or reject with a reason, one by one or in bulk. District bureaus see their institutions' items;
only the information centre decides. Opening an item shows personal data, so each view is audited."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from weijian.accounts.access import access_object, can, require, scoped_queryset
from weijian.accounts.pages import ScopedListPage, get_or_404
from weijian.core.errors import BusinessError
from weijian.core.forms import StyledForm
from weijian.core.pages import Col
from weijian.mpi import selectors, services
from weijian.mpi.models import ReviewItem, ReviewStatus

ENTITY = "mpi-review"


class ReviewFilterForm(StyledForm):
    status = forms.ChoiceField(label=gettext_lazy("状态"), required=False,
                               choices=[("", gettext_lazy("全部")), *ReviewStatus.choices])
    source = forms.CharField(label=gettext_lazy("来源编码"), required=False, max_length=32)
    weight_min = forms.FloatField(label=gettext_lazy("权重不低于"), required=False)
    weight_max = forms.FloatField(label=gettext_lazy("权重低于"), required=False)


class DecisionForm(StyledForm):
    decision = forms.ChoiceField(choices=[("accept", gettext_lazy("确认匹配")), ("reject", gettext_lazy("确认不匹配"))])
    reason = forms.CharField(label=gettext_lazy("审核理由"), required=False, max_length=255,
                             widget=forms.Textarea(attrs={"rows": 2}),
                             help_text=gettext_lazy("至少4个字，如：身份证号一致，姓名为同音字"))


class ReviewListPage(ScopedListPage):
    entity = ENTITY
    title = gettext_lazy("疑似匹配审核")
    template_name = "mpi/review_list.html"
    partial_name = "mpi/partials/_review_table.html"
    filter_form = ReviewFilterForm
    default_sort = "-match_weight"
    export_name = "mpi-review"
    columns = (
        Col(gettext_lazy("来源身份"), lambda r: str(r.identity), link=True),
        Col(gettext_lazy("候选主索引"), lambda r: r.candidate.empi),
        Col(gettext_lazy("匹配权重"), lambda r: round(r.match_weight, 2), sort="match_weight"),
        Col(gettext_lazy("匹配概率"), lambda r: f"{r.match_probability:.1%}"),
        Col(gettext_lazy("未自动关联的原因"), lambda r: r.get_kept_apart_display()),
        Col(gettext_lazy("状态"), lambda r: r.get_status_display(), sort="status"),
        Col(gettext_lazy("进入队列"), lambda r: r.created_at.strftime("%Y-%m-%d %H:%M"), sort="created_at"),
        Col(gettext_lazy("审核人"), lambda r: r.decided_by.username if r.decided_by else ""),
    )

    def get_queryset(self, request, filters):
        return selectors.review_items(request.user, **filters)

    def row_url(self, obj):
        return f"/mpi/review/{obj.pk}/"

    def get(self, request):
        if not request.GET:  # the queue opens on what is left to do
            request.GET = request.GET.copy()
            request.GET["status"] = ReviewStatus.OPEN
        return super().get(request)

    def extra_context(self, request):
        return {"can_decide": can(request.user, ENTITY, "decide"), "bulk_form": DecisionForm(),
                "empty_text": _("没有待处理的疑似匹配")}


def review_detail_view(request, pk: int, *, form=None, status=200):
    require(request.user, ENTITY, "view")
    item = get_or_404(access_object, request.user, ReviewItem, pk, "view")
    sides = selectors.review_sides(request.user, item)
    return render(request, "mpi/review_detail.html", {
        "title": _("疑似匹配审核"), "item": item, "sides": sides, "form": form or DecisionForm(),
        "can_decide": can(request.user, ENTITY, "decide") and item.status == ReviewStatus.OPEN,
    }, status=status)


@login_required
def review_detail(request, pk: int):
    return review_detail_view(request, pk)


@login_required
@require_POST
def review_decide(request, pk: int):
    require(request.user, ENTITY, "decide")
    item = get_or_404(access_object, request.user, ReviewItem, pk, "decide")
    form = DecisionForm(request.POST)
    if form.is_valid():
        accept = form.cleaned_data["decision"] == "accept"
        try:
            if accept:
                person = services.review_accept(actor=request.user, item=item, reason=form.cleaned_data["reason"])
            else:
                services.review_reject(actor=request.user, item=item, reason=form.cleaned_data["reason"])
        except BusinessError as exc:
            form.add_error("reason" if exc.field == "reason" else None, exc.message)
        else:
            if accept:
                messages.success(request, _("已确认匹配，来源身份已并入主索引 %(empi)s（可在主索引页撤销合并）")
                                 % {"empi": person.empi})
            else:
                messages.success(request, _("已确认不匹配，今后自动匹配不会再把二者关联"))
            return redirect("mpi:review-list")
    return review_detail_view(request, pk, form=form, status=422)


@login_required
@require_POST
def review_bulk(request):
    require(request.user, ENTITY, "decide")
    form = DecisionForm(request.POST)
    ids = [int(i) for i in request.POST.getlist("item") if i.isdigit()]
    if form.is_valid():
        items = scoped_queryset(request.user, ReviewItem, "decide").filter(pk__in=ids)
        try:
            result = services.review_decide_many(actor=request.user, items=items,
                                                 accept=form.cleaned_data["decision"] == "accept",
                                                 reason=form.cleaned_data["reason"])
        except BusinessError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("已处理 %(done)s 条，跳过已处理的 %(skipped)s 条") % result)
    else:
        messages.error(request, _("请选择审核结论并填写理由"))
    return redirect(request.POST.get("next") if str(request.POST.get("next", "")).startswith("/mpi/")
                    else "mpi:review-list")


urlpatterns = [
    path("review/", ReviewListPage.as_view(), name="review-list"),
    path("review/bulk/", review_bulk, name="review-bulk"),
    path("review/<int:pk>/", review_detail, name="review-detail"),
    path("review/<int:pk>/decide/", review_decide, name="review-decide"),
]
