"""Research pages: the commission's expert pool (评审专家库): who reviews, in which specialties, at which
institution (what conflict avoidance compares), with how many open reviews against the cap."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.shortcuts import redirect
from django.urls import path, reverse

from weijian.accounts.access import require, scoped_queryset
from weijian.core.errors import BusinessError
from weijian.core.forms import StyledForm
from weijian.core.pages import Col
from weijian.orgs.selectors import institution_choices
from weijian.research import services
from weijian.research.models import AssignmentStatus, Expert
from weijian.research.views import ResearchListPage, add_error, form_page
from weijian.workforce.models import TitleLevel


class ExpertListView(ResearchListPage):
    entity = "research-expert"
    title = "评审专家库"
    export_name = "research-experts"
    empty_text = "专家库为空"
    default_sort = "name"
    actions = (("专家入库", "research:expert-create"),)
    columns = (
        Col("姓名", lambda e: e.name, sort="name"),
        Col("所在单位", lambda e: e.institution.name if e.institution_id else e.affiliation),
        Col("职称", lambda e: e.get_title_level_display(), sort="title_level"),
        Col("专业领域", lambda e: "、".join(e.specialties)),
        Col("待评审", lambda e: e.open_reviews, sort="open_reviews"),
        Col("上限", lambda e: e.load_cap, sort="load_cap"),
        Col("可参加评审", lambda e: "是" if e.is_active else "否", sort="is_active"),
        Col("登录账号", lambda e: "已绑定" if e.user_id else "—"),
    )

    def get_queryset(self, request, filters: dict):
        return (scoped_queryset(request.user, Expert, "list").select_related("institution")
                .annotate(open_reviews=Count("assignments",
                                             filter=Q(assignments__status=AssignmentStatus.ASSIGNED))))

    def row_url(self, obj) -> str:
        return ""


class ExpertForm(StyledForm):
    name = forms.CharField(label="姓名", max_length=64)
    specialties = forms.CharField(label="专业领域", max_length=300, help_text="多个领域用顿号或逗号分隔，如：心血管内科、全科医学")
    institution = forms.ModelChoiceField(label="本市单位", required=False, queryset=None,
                                         help_text="本市专家请选择单位：与申请人或团队成员同单位时自动回避")
    affiliation = forms.CharField(label="外单位名称", max_length=200, required=False, help_text="外地或高校专家填写")
    title_level = forms.ChoiceField(label="职称", choices=TitleLevel.choices, initial=TitleLevel.SENIOR)
    load_cap = forms.IntegerField(label="每轮评审上限（项）", min_value=1, max_value=100, initial=10)

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
            messages.success(request, f"专家 {expert.name} 已入库")
            return redirect("research:expert-list")
    return form_page(request, form, title="专家入库", crumbs=[(reverse("research:expert-list"), "评审专家库")],
                     cancel_url=reverse("research:expert-list"), submit_label="入库")


urlpatterns = [
    path("experts/", ExpertListView.as_view(), name="expert-list"),
    path("experts/new/", expert_create_view, name="expert-create"),
]
