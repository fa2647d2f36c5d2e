"""Research pages: the commission's expert pool (评审专家库): who reviews, in which specialties, at which
institution (what conflict avoidance compares), with how many open reviews against the cap.

An expert's page shows his declared conflicts (回避申报: added with a reason, removed with confirmation),
the login account he reviews with (a user of role 评审专家, linked by username, or unlinked), and his
assignments with their status, no-shows included. The writes are research.pool's.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from weijian.accounts.access import access_object, require, scoped_queryset
from weijian.accounts.pages import get_or_404
from weijian.core.errors import BusinessError
from weijian.core.forms import StyledForm
from weijian.core.pages import Col
from weijian.orgs.selectors import institution_choices
from weijian.research import pool, selectors, services
from weijian.research.models import AssignmentStatus, Expert
from weijian.research.views import ASSIGNMENT_BADGE, ResearchListPage, add_error, form_page
from weijian.workforce.models import TitleLevel


class ExpertListView(ResearchListPage):
    entity = "research-expert"
    title = gettext_lazy("评审专家库")
    export_name = "research-experts"
    empty_text = gettext_lazy("专家库为空")
    default_sort = "name"
    columns = (
        Col(gettext_lazy("姓名"), lambda e: e.name, sort="name", link=True),
        Col(gettext_lazy("所在单位"), lambda e: e.institution.name if e.institution_id else e.affiliation),
        Col(gettext_lazy("职称"), lambda e: e.get_title_level_display(), sort="title_level"),
        Col(gettext_lazy("专业领域"), lambda e: "、".join(e.specialties)),
        Col(gettext_lazy("待评审"), lambda e: e.open_reviews, sort="open_reviews"),
        Col(gettext_lazy("上限"), lambda e: e.load_cap, sort="load_cap"),
        Col(gettext_lazy("未按时评审"), lambda e: e.no_shows, sort="no_shows"),
        Col(gettext_lazy("可参加评审"), lambda e: _("是") if e.is_active else _("否"), sort="is_active"),
        Col(gettext_lazy("登录账号"), lambda e: _("已绑定") if e.user_id else "—"),
    )

    def get_queryset(self, request, filters: dict):
        return (scoped_queryset(request.user, Expert, "list").select_related("institution")
                .annotate(open_reviews=Count("assignments",
                                             filter=Q(assignments__status=AssignmentStatus.ASSIGNED)),
                          no_shows=Count("assignments", filter=Q(assignments__status=AssignmentStatus.NO_SHOW))))

    def row_url(self, obj) -> str:
        return reverse("research:expert-detail", args=[obj.pk])

    @property
    def actions(self):
        return ((_("专家入库"), reverse("research:expert-create")),)


class ExpertForm(StyledForm):
    name = forms.CharField(label=gettext_lazy("姓名"), max_length=64)
    specialties = forms.CharField(label=gettext_lazy("专业领域"), max_length=300, help_text=gettext_lazy("多个领域用顿号或逗号分隔，如：心血管内科、全科医学"))
    institution = forms.ModelChoiceField(label=gettext_lazy("本市单位"), required=False, queryset=None,
                                         help_text=gettext_lazy("本市专家请选择单位：与申请人或团队成员同单位时自动回避"))
    affiliation = forms.CharField(label=gettext_lazy("外单位名称"), max_length=200, required=False, help_text=gettext_lazy("外地或高校专家填写"))
    title_level = forms.ChoiceField(label=gettext_lazy("职称"), choices=TitleLevel.choices, initial=TitleLevel.SENIOR)
    load_cap = forms.IntegerField(label=gettext_lazy("每轮评审上限（项）"), min_value=1, max_value=100, initial=10)

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["institution"].queryset = institution_choices(actor=actor)

    def clean_specialties(self) -> list[str]:
        text = self.cleaned_data["specialties"]
        for separator in ("，", ",", "；", ";"):
            text = text.replace(separator, "、")
        return [part.strip() for part in text.split("、") if part.strip()]


@login_required
def expert_create_view(request):
    require(request.user, "research-expert", "create")
    form = ExpertForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            expert = services.expert_create(actor=request.user, **form.cleaned_data)
        except BusinessError as exc:
            add_error(form, exc)
        else:
            messages.success(request, _("专家 %(name)s 已入库") % {"name": expert.name})
            return redirect("research:expert-list")
    return form_page(request, form, title=_("专家入库"), crumbs=[(reverse("research:expert-list"), _("评审专家库"))],
                     cancel_url=reverse("research:expert-list"), submit_label=_("入库"))


# ---- one expert: declared conflicts, login account, assignments ---------------------------------------------

class ConflictForm(StyledForm):
    application = forms.CharField(label=gettext_lazy("申报编号"), max_length=32,
                                  widget=forms.TextInput(attrs={"placeholder": gettext_lazy("如 KY2026-001-0001")}))
    reason = forms.CharField(label=gettext_lazy("回避原因"), max_length=200, required=False,
                             widget=forms.TextInput(attrs={"placeholder": gettext_lazy("如：与项目负责人有合作关系")}))


class LinkUserForm(StyledForm):
    username = forms.CharField(label=gettext_lazy("登录用户名"), max_length=150, help_text=gettext_lazy("角色为“评审专家”的账号"))


def _expert(request, pk, action: str = "view") -> Expert:
    require(request.user, "research-expert", action)
    return get_or_404(access_object, request.user, Expert, pk, action)


def _page(request, expert, *, status: int = 200, conflict_form=None, link_form=None):
    actor, today = request.user, timezone.localdate()
    assignments = [(a, ASSIGNMENT_BADGE.get(a.status, "secondary"),
                    a.status == AssignmentStatus.ASSIGNED and today > a.due_on)
                   for a in pool.expert_assignments(actor=actor, expert=expert)]
    return render(request, "research/experts/detail.html", {
        "title": expert.name, "expert": expert, "conflicts": pool.expert_conflicts(actor=actor, expert=expert),
        "assignments": assignments,
        "no_shows": sum(a.status == AssignmentStatus.NO_SHOW for a, _badge, _late in assignments),
        "conflict_form": conflict_form or ConflictForm(prefix="conflict"),
        "link_form": link_form or LinkUserForm(prefix="link"),
    }, status=status)


@login_required
def expert_detail_view(request, pk: int):
    return _page(request, _expert(request, pk))


@login_required
@require_POST
def conflict_add_view(request, pk: int):
    actor = request.user
    expert = _expert(request, pk, "update")
    form = ConflictForm(request.POST, prefix="conflict")
    if form.is_valid():
        number = form.cleaned_data["application"].strip()
        application = selectors.application_list(actor=actor).filter(number=number).first()
        if application is None:
            form.add_error("application", _("未找到该申报编号"))
        else:
            try:
                pool.conflict_declare(actor=actor, expert=expert, application=application,
                                      reason=form.cleaned_data["reason"])
            except BusinessError as exc:
                add_error(form, exc)
            else:
                messages.success(request, _("已登记回避：%(name)s 不再被分配评审 %(number)s") % {
                    "name": expert.name, "number": application.number})
                return redirect("research:expert-detail", pk=expert.pk)
    return _page(request, expert, status=422, conflict_form=form)


@login_required
@require_POST
def conflict_remove_view(request, pk: int, conflict_pk: int):
    expert = _expert(request, pk, "update")
    conflict = expert.conflicts.select_related("application").filter(pk=conflict_pk).first()  # through the gate
    if conflict is None:
        raise Http404
    pool.conflict_remove(actor=request.user, conflict=conflict)
    messages.success(request, _("已撤销回避：%(number)s") % {"number": conflict.application.number})
    return redirect("research:expert-detail", pk=expert.pk)


@login_required
@require_POST
def expert_link_view(request, pk: int):
    expert = _expert(request, pk, "update")
    offered = expert.user_id is None  # the form is on the page only while no account is linked
    form = LinkUserForm(request.POST, prefix="link")
    if form.is_valid():
        try:
            pool.expert_link_user(actor=request.user, expert=expert, username=form.cleaned_data["username"])
        except BusinessError as exc:
            add_error(form, exc)
        else:
            messages.success(request, _("已为专家 %(name)s 绑定登录账号 %(username)s") % {
                "name": expert.name, "username": expert.user.username})
            return redirect("research:expert-detail", pk=expert.pk)
    if not offered:
        for errors in form.errors.values():
            messages.error(request, "；".join(errors))
    return _page(request, expert, status=422, link_form=form)


@login_required
@require_POST
def expert_unlink_view(request, pk: int):
    expert = _expert(request, pk, "update")
    try:
        pool.expert_unlink_user(actor=request.user, expert=expert)
    except BusinessError as exc:
        messages.error(request, exc.message)
        return _page(request, expert, status=422)
    messages.success(request, _("已解除专家 %(name)s 的登录账号绑定") % {"name": expert.name})
    return redirect("research:expert-detail", pk=expert.pk)


urlpatterns = [
    path("experts/", ExpertListView.as_view(), name="expert-list"),
    path("experts/new/", expert_create_view, name="expert-create"),
    path("experts/<int:pk>/", expert_detail_view, name="expert-detail"),
    path("experts/<int:pk>/conflicts/", conflict_add_view, name="expert-conflict-add"),
    path("experts/<int:pk>/conflicts/<int:conflict_pk>/remove/", conflict_remove_view,
         name="expert-conflict-remove"),
    path("experts/<int:pk>/account/", expert_link_view, name="expert-link"),
    path("experts/<int:pk>/account/remove/", expert_unlink_view, name="expert-unlink"),
]
