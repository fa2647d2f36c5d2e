"""Research pages: achievements (科研成果) and the appropriate-technology library (适宜技术推广库).

Achievements: the list in the reader's scope (filters, search, export), registration by the institution,
district or commission, and one page per achievement with its appraisal (the commission's 成果鉴定), its
awards (nominated, then the result) and its transfers (成果转化). The library: a search for everyone who
reads research (primary care is its audience), one page per technology with the institutions that
adopted it, the commission's 入库, and 登记推广 by an institution for itself. Every POST calls one
service of research.achievements; a refusal comes back on its form with status 422.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from django.views.decorators.http import require_POST

from weijian.accounts.access import can, require
from weijian.accounts.pages import get_or_404
from weijian.core.errors import BusinessError
from weijian.core.forms import StyledForm
from weijian.core.pages import Col, display
from weijian.orgs.selectors import institution_choices, institution_list
from weijian.research import achievements, selectors
from weijian.research.models import FUNDED, AppraisalVerdict, AwardLevel, AwardStatus
from weijian.research.views import ResearchListPage, add_error, form_page, iso
from weijian.workforce.idnumber import IdNumberError, parse_id_number
from weijian.workforce.services import worker_find_by_id_number

ENTITY = achievements.ENTITY
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
VERDICT_BADGE = {"intl_leading": "success", "intl_advanced": "success", "domestic_leading": "primary",
                 "domestic_advanced": "info", "not_passed": "danger"}
AWARD_BADGE = {AwardStatus.NOMINATED: "warning", AwardStatus.WON: "success", AwardStatus.NOT_WON: "secondary"}


ALL = gettext_lazy("全部")
# The library's institution types are stored as their Chinese names (achievements.TECH_LEVELS); the choices
# show them in the user's language through the catalogue entries of orgs.InstitutionType.
TECH_LEVEL_CHOICES = [(level, gettext_lazy(level)) for level in achievements.TECH_LEVELS]


def _blank(choices, label=ALL):
    return [("", label), *choices]


def _subnav(request, current: str) -> dict:
    return {"subnav": [(reverse("research:achievement-list"), _("科研成果"), current == "achievements"),
                       (reverse("research:technology-list"), _("适宜技术推广库"), current == "technologies")]}


# ---- achievements: the list --------------------------------------------------------------------------

class AchievementFilterForm(StyledForm):
    q = forms.CharField(label=gettext_lazy("成果名称"), required=False, widget=forms.TextInput(attrs={"type": "search"}))
    year = forms.IntegerField(label=gettext_lazy("登记年度"), required=False, min_value=2000, max_value=2100)
    institution = forms.ChoiceField(label=gettext_lazy("完成单位"), required=False)
    verdict = forms.ChoiceField(label=gettext_lazy("鉴定结论"), required=False,
                                choices=_blank([("pending", gettext_lazy("待鉴定")), *AppraisalVerdict.choices]))

    def __init__(self, *args, actor=None, **kwargs):
        super().__init__(*args, **kwargs)
        institutions = institution_list(actor=actor).select_related(None).only("pk", "name").order_by("name")
        self.fields["institution"].choices = _blank([(str(i.pk), i.name) for i in institutions])
        if len(self.fields["institution"].choices) <= 2:  # nothing to choose between
            del self.fields["institution"]


class AchievementListView(ResearchListPage):
    entity = ENTITY
    export_entity = ENTITY
    title = gettext_lazy("科研成果")
    export_name = "research-achievements"
    empty_text = gettext_lazy("暂无科研成果")
    default_sort = "-created_at"
    template_name = "research/achievements/list.html"
    columns = (
        Col(gettext_lazy("成果名称"), lambda a: a.title, sort="title", link=True),
        Col(gettext_lazy("完成单位"), lambda a: a.institution.name, sort="institution__name"),
        Col(gettext_lazy("第一完成人"), lambda a: a.lead.name, sort="lead__name"),
        Col(gettext_lazy("登记日期"), lambda a: iso(timezone.localdate(a.created_at)), sort="created_at"),
        Col(gettext_lazy("鉴定结论"), lambda a: display(a, "verdict") or _("待鉴定"), sort="verdict"),
        Col(gettext_lazy("鉴定日期"), lambda a: iso(a.appraised_on), sort="appraised_on"),
        Col(gettext_lazy("获奖（项）"), lambda a: a.awards_won, sort="awards_won"),
        Col(gettext_lazy("转化（项）"), lambda a: a.transfer_count, sort="transfer_count"),
    )

    def filter_form(self, data):
        return AchievementFilterForm(data, actor=self.request.user)

    def get_queryset(self, request, filters):
        return achievements.achievement_list(actor=request.user, **filters)

    def row_url(self, obj):
        return reverse("research:achievement-detail", args=[obj.pk])

    @property
    def actions(self):
        if can(self.request.user, ENTITY, "create"):
            return ((pgettext("achievement", "登记成果"), reverse("research:achievement-create")),)
        return ()

    def extra_context(self, request):
        return {**super().extra_context(request), **_subnav(request, "achievements")}


# ---- achievements: registration ------------------------------------------------------------------------

class AchievementForm(StyledForm):
    title = forms.CharField(label=gettext_lazy("成果名称"), max_length=300)
    institution = forms.ModelChoiceField(label=gettext_lazy("完成单位"), queryset=None)
    lead_id_number = forms.CharField(label=gettext_lazy("第一完成人身份证号"), max_length=18,
                                     help_text=gettext_lazy("按身份证号查找本单位（管辖范围内）的卫生人员；页面和记录中不显示完整号码"))
    application_number = forms.CharField(label=gettext_lazy("来源项目编号"), max_length=32, required=False,
                                         help_text=gettext_lazy("已立项科研项目的编号，如 KY2026-001-0001；非项目成果可不填"))
    summary = forms.CharField(label=gettext_lazy("成果简介"), required=False, widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["institution"].queryset = institution_choices(actor=actor).order_by("name")
        if actor.institution_id:
            self.fields["institution"].initial = actor.institution_id

    def clean_lead_id_number(self):
        try:
            return parse_id_number(self.cleaned_data["lead_id_number"]).value
        except IdNumberError as exc:
            raise forms.ValidationError(str(exc)) from None


@login_required
def achievement_create_view(request):
    actor = request.user
    require(actor, ENTITY, "create")
    form = AchievementForm(request.POST or None, actor=actor)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        lead = worker_find_by_id_number(actor=actor, id_number=data["lead_id_number"])
        application = None
        if data["application_number"]:
            application = (selectors.application_list(actor=actor).filter(
                number=data["application_number"].strip(), status__in=FUNDED).first())
        if lead is None:
            form.add_error("lead_id_number", _("未找到该人员，或其不在您的管辖范围内"))
        elif data["application_number"] and application is None:
            form.add_error("application_number", _("未找到该项目，或其尚未立项"))
        else:
            try:
                achievement = achievements.achievement_register(
                    actor=actor, title=data["title"], institution=data["institution"], lead=lead,
                    summary=data["summary"], application=application)
            except BusinessError as exc:
                add_error(form, exc)
            else:
                messages.success(request, _("已登记科研成果：%(title)s") % {"title": achievement.title})
                return redirect("research:achievement-detail", pk=achievement.pk)
    return form_page(request, form, title=_("登记科研成果"), crumbs=[(reverse("research:achievement-list"), _("科研成果"))],
                     cancel_url=reverse("research:achievement-list"), submit_label=_("登记"),
                     intro=_("登记后由卫健委科教处组织成果鉴定（鉴定专家组不少于5人），并可推荐报奖、登记成果转化。"))


# ---- one achievement: appraisal, awards, transfers --------------------------------------------------------

class AppraiseForm(StyledForm):
    panel = forms.CharField(label=gettext_lazy("鉴定专家组"), widget=forms.Textarea(attrs={"rows": 2}),
                            help_text=gettext_lazy("至少5名不同的专家，每行一名或用顿号分隔"))
    appraised_on = forms.DateField(label=gettext_lazy("鉴定日期"), widget=DATE)
    verdict = forms.ChoiceField(label=gettext_lazy("鉴定结论"), choices=AppraisalVerdict.choices)

    def clean_panel(self) -> list[str]:
        text = self.cleaned_data["panel"]
        for separator in ("\n", "，", ",", "；", ";"):
            text = text.replace(separator, "、")
        return [name.strip() for name in text.split("、") if name.strip()]


class AwardForm(StyledForm):
    name = forms.CharField(label=gettext_lazy("奖项名称"), max_length=200, widget=forms.TextInput(attrs={"placeholder": gettext_lazy("如：市科学技术进步奖")}))
    level = forms.ChoiceField(label=gettext_lazy("级别"), choices=AwardLevel.choices)
    year = forms.IntegerField(label=gettext_lazy("年度"), min_value=2000, max_value=2100)


class AwardResultForm(StyledForm):
    status = forms.ChoiceField(label=gettext_lazy("评审结果"), choices=[(AwardStatus.WON, gettext_lazy("获奖")), (AwardStatus.NOT_WON, gettext_lazy("未获奖"))])
    grade = forms.CharField(label=gettext_lazy("奖励等级"), max_length=16, required=False,
                            widget=forms.TextInput(attrs={"placeholder": gettext_lazy("获奖时填写，如：二等奖")}))


class TransferForm(StyledForm):
    contract_number = forms.CharField(label=gettext_lazy("合同编号"), max_length=64)
    partner = forms.CharField(label=gettext_lazy("受让方"), max_length=200)
    amount = forms.DecimalField(label=gettext_lazy("合同金额（万元）"), max_digits=12, decimal_places=2, min_value=0)
    signed_on = forms.DateField(label=gettext_lazy("签订日期"), widget=DATE)


def _achievement(request, pk, action: str = "view"):
    require(request.user, ENTITY, action)
    return get_or_404(achievements.achievement_get, actor=request.user, pk=pk, action=action)


def _steps(actor) -> set[str]:
    """What the viewer may do on an achievement's page (the services check again)."""
    steps = set()
    if can(actor, ENTITY, "appraise"):
        steps |= {"appraise", "award"}
    if can(actor, ENTITY, "create"):
        steps.add("transfer")
    return steps


def _detail(request, achievement, *, status: int = 200, result_for=None, **forms_):
    actor = request.user
    steps = _steps(actor)
    today = timezone.localdate()
    awards = list(achievement.awards.order_by("-year", "level", "id"))
    results = []
    for award in awards:
        form = None
        if "award" in steps and award.status == AwardStatus.NOMINATED:
            form = forms_.get("result") if result_for == award.pk else None
            form = form or AwardResultForm(prefix="result")
        results.append((award, AWARD_BADGE.get(award.status, "secondary"), form))
    return render(request, "research/achievements/detail.html", {
        "title": achievement.title, "achievement": achievement, "steps": steps,
        "verdict_badge": VERDICT_BADGE.get(achievement.verdict, "secondary"),
        "awards": results, "transfers": achievement.transfers.order_by("-signed_on", "id"),
        "appraise_form": forms_.get("appraise") or AppraiseForm(prefix="appraise", initial={"appraised_on": today}),
        "award_form": forms_.get("award") or AwardForm(prefix="award", initial={"year": today.year}),
        "transfer_form": forms_.get("transfer") or TransferForm(prefix="transfer", initial={"signed_on": today}),
    }, status=status)


@login_required
def achievement_detail_view(request, pk: int):
    return _detail(request, _achievement(request, pk))


def _act(request, achievement, key: str, form_class, step, *, result_for=None, offered: bool = True):
    """Run one step from the achievement's page; a refusal re-renders the page (422) with the reason on the
    step's form, or as a message when the step's form is no longer on the page."""
    form = form_class(request.POST, prefix=key)
    if form.is_valid():
        try:
            done = step(form.cleaned_data)
        except BusinessError as exc:
            add_error(form, exc)
        else:
            messages.success(request, done)
            return redirect("research:achievement-detail", pk=achievement.pk)
    if not offered:
        for errors in form.errors.values():
            messages.error(request, "；".join(errors))
    return _detail(request, achievement, status=422, result_for=result_for, **{key: form})


@login_required
@require_POST
def achievement_appraise_view(request, pk: int):
    achievement = _achievement(request, pk, "appraise")

    def step(data):
        achievements.achievement_appraise(actor=request.user, achievement=achievement, **data)
        return _("已登记成果鉴定：%(verdict)s") % {"verdict": achievement.get_verdict_display()}

    return _act(request, achievement, "appraise", AppraiseForm, step)


@login_required
@require_POST
def award_create_view(request, pk: int):
    achievement = _achievement(request, pk, "appraise")

    def step(data):
        award = achievements.award_record(actor=request.user, achievement=achievement, **data)
        return _("已推荐报奖：%(name)s（%(level)s）") % {"name": award.name, "level": award.get_level_display()}

    return _act(request, achievement, "award", AwardForm, step)


@login_required
@require_POST
def award_result_view(request, pk: int, award_pk: int):
    achievement = _achievement(request, pk, "appraise")
    award = achievement.awards.filter(pk=award_pk).first()  # the achievement came through the gate
    if award is None:
        raise Http404

    def step(data):
        achievements.award_result_record(actor=request.user, award=award, **data)
        return _("已登记评奖结果：%(name)s，%(result)s%(grade)s") % {
            "name": award.name, "result": award.get_status_display(), "grade": award.grade}

    return _act(request, achievement, "result", AwardResultForm, step, result_for=award.pk,
                offered=award.status == AwardStatus.NOMINATED)


@login_required
@require_POST
def transfer_create_view(request, pk: int):
    achievement = _achievement(request, pk, "create")

    def step(data):
        transfer = achievements.transfer_record(actor=request.user, achievement=achievement, **data)
        return _("已登记成果转化：%(partner)s，%(amount)s 万元") % {"partner": transfer.partner, "amount": transfer.amount}

    return _act(request, achievement, "transfer", TransferForm, step)


# ---- the appropriate-technology library -------------------------------------------------------------------

class TechnologyFilterForm(StyledForm):
    q = forms.CharField(label=gettext_lazy("技术名称或说明"), required=False, widget=forms.TextInput(attrs={"type": "search"}))
    level = forms.ChoiceField(label=gettext_lazy("适用机构"), required=False, choices=_blank(TECH_LEVEL_CHOICES))


class TechnologyListView(ResearchListPage):
    entity = ENTITY
    export_entity = ENTITY
    title = gettext_lazy("适宜技术推广库")
    export_name = "research-technologies"
    empty_text = gettext_lazy("没有符合条件的适宜技术")
    default_sort = "name"
    template_name = "research/achievements/list.html"
    filter_form = TechnologyFilterForm
    columns = (
        Col(gettext_lazy("技术名称"), lambda t: t.name, sort="name", link=True),
        Col(gettext_lazy("适用机构"), lambda t: "、".join(t.applicable_levels)),
        Col(gettext_lazy("技术说明"), lambda t: t.description[:60]),
        Col(gettext_lazy("联系人及电话"), lambda t: t.contact),
        Col(gettext_lazy("推广机构（家）"), lambda t: t.adopters, sort="adopters"),
        Col(gettext_lazy("培训人数"), lambda t: t.trained or 0, sort="trained"),
    )

    def get_queryset(self, request, filters):
        return achievements.technology_search(actor=request.user, text=filters.get("q", ""),
                                              institution_type=filters.get("level", ""))

    def row_url(self, obj):
        return reverse("research:technology-detail", args=[obj.pk])

    @property
    def actions(self):
        if can(self.request.user, ENTITY, "appraise"):
            return ((_("适宜技术入库"), reverse("research:technology-create")),)
        return ()

    def extra_context(self, request):
        return {**super().extra_context(request), **_subnav(request, "technologies")}


class TechnologyForm(StyledForm):
    name = forms.CharField(label=gettext_lazy("技术名称"), max_length=200)
    description = forms.CharField(label=gettext_lazy("技术说明"), widget=forms.Textarea(attrs={"rows": 4}),
                                  help_text=gettext_lazy("适应症、操作要点、所需设备与人员，便于基层机构判断能否开展"))
    applicable_levels = forms.MultipleChoiceField(label=gettext_lazy("适用机构"), choices=TECH_LEVEL_CHOICES,
                                                  widget=forms.CheckboxSelectMultiple,
                                                  error_messages={"required": gettext_lazy("请选择适用的机构类别")})
    training_materials = forms.CharField(label=gettext_lazy("培训资料"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
                                         help_text=gettext_lazy("培训课件、操作规范、视频等的名称与获取方式"))
    contact = forms.CharField(label=gettext_lazy("联系人及电话"), max_length=200)
    achievement = forms.ChoiceField(label=gettext_lazy("来源成果"), required=False)

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["applicable_levels"].widget.attrs["class"] = "form-check-input"
        self.achievements = achievements.achievement_list(actor=actor).exclude(
            verdict__in=("", AppraisalVerdict.NOT_PASSED)).select_related(None).only("pk", "title").order_by("title")
        self.fields["achievement"].choices = _blank([(str(a.pk), a.title) for a in self.achievements], _("无"))

    def clean_achievement(self):
        pk = self.cleaned_data["achievement"]
        return self.achievements.get(pk=pk) if pk else None


@login_required
def technology_create_view(request):
    actor = request.user
    require(actor, ENTITY, "appraise")
    form = TechnologyForm(request.POST or None, actor=actor)
    if request.method == "POST" and form.is_valid():
        try:
            technology = achievements.technology_publish(actor=actor, **form.cleaned_data)
        except BusinessError as exc:
            add_error(form, exc)
        else:
            messages.success(request, _("适宜技术已入库：%(name)s") % {"name": technology.name})
            return redirect("research:technology-detail", pk=technology.pk)
    return form_page(request, form, title=_("适宜技术入库"), crumbs=[(reverse("research:technology-list"), _("适宜技术推广库"))],
                     cancel_url=reverse("research:technology-list"), submit_label=_("入库发布"),
                     intro=_("入库后全市卫生人员和各级机构均可检索；基层机构开展后可自行登记推广情况。"))


class PromotionForm(StyledForm):
    institution = forms.ModelChoiceField(label=gettext_lazy("推广机构"), queryset=None)
    adopted_on = forms.DateField(label=gettext_lazy("开展日期"), widget=DATE)
    people_trained = forms.IntegerField(label=gettext_lazy("培训人数"), min_value=0, max_value=100000)

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["institution"].queryset = institution_choices(actor=actor).order_by("name")
        if actor.institution_id:
            self.fields["institution"].initial = actor.institution_id


def _technology(request, pk):
    return get_or_404(achievements.technology_get, actor=request.user, pk=pk)


def _technology_page(request, technology, *, status: int = 200, promotion_form=None):
    actor = request.user
    form = None
    if can(actor, ENTITY, "create"):
        form = promotion_form or PromotionForm(prefix="promotion", actor=actor,
                                               initial={"adopted_on": timezone.localdate()})
    return render(request, "research/achievements/technology.html", {
        "title": technology.name, "technology": technology, "promotion_form": form,
        "promotions": achievements.technology_promotions(actor=actor, technology=technology),
    }, status=status)


@login_required
def technology_detail_view(request, pk: int):
    return _technology_page(request, _technology(request, pk))


@login_required
@require_POST
def promotion_create_view(request, pk: int):
    """登记推广: an institution (or its district, or the commission) records that it adopted the technology;
    recording again for the same institution updates its figures."""
    actor = request.user
    require(actor, ENTITY, "create")
    technology = _technology(request, pk)
    form = PromotionForm(request.POST, prefix="promotion", actor=actor)
    if form.is_valid():
        try:
            promotion = achievements.promotion_record(actor=actor, technology=technology, **form.cleaned_data)
        except BusinessError as exc:
            add_error(form, exc)
        else:
            messages.success(request, _("已登记推广：%(institution)s，培训 %(people)s 人") % {
                "institution": promotion.institution.name, "people": promotion.people_trained})
            return redirect("research:technology-detail", pk=technology.pk)
    return _technology_page(request, technology, status=422, promotion_form=form)


urlpatterns = [
    path("achievements/", AchievementListView.as_view(), name="achievement-list"),
    path("achievements/new/", achievement_create_view, name="achievement-create"),
    path("achievements/<int:pk>/", achievement_detail_view, name="achievement-detail"),
    path("achievements/<int:pk>/appraise/", achievement_appraise_view, name="achievement-appraise"),
    path("achievements/<int:pk>/awards/", award_create_view, name="achievement-award"),
    path("achievements/<int:pk>/awards/<int:award_pk>/result/", award_result_view, name="achievement-award-result"),
    path("achievements/<int:pk>/transfers/", transfer_create_view, name="achievement-transfer"),
    path("achievements/technologies/", TechnologyListView.as_view(), name="technology-list"),
    path("achievements/technologies/new/", technology_create_view, name="technology-create"),
    path("achievements/technologies/<int:pk>/", technology_detail_view, name="technology-detail"),
    path("achievements/technologies/<int:pk>/promotions/", promotion_create_view, name="technology-promotion"),
]
