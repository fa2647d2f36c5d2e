"""Research forms: the filters and inputs of the call, application and review pages.

Forms only parse what the user typed; every rule (dates, eligibility, amounts, who may do what) is judged
by `services`, and choices come from the selectors of the actor's scope. Labels are Chinese source strings
in the translation catalogue, like the research models'.
"""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from weijian.core.forms import StyledForm
from weijian.orgs.selectors import institution_list
from weijian.research import selectors
from weijian.research.completeness import BUDGET_HEADS, milestones_text
from weijian.research.models import (
    ApplicationStatus,
    AssignmentStatus,
    CallCategory,
    CallStatus,
    ExternalLevel,
    ExternalResult,
    TeamRole,
)
from weijian.research.rules import DEFAULT_CRITERIA
from weijian.workforce.models import TitleLevel

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
MONEY = {"max_digits": 12, "decimal_places": 2, "min_value": 0}
ALL = _("全部")


def _blank(choices, label=ALL):
    return [("", label), *choices]


def _text(label, rows=4, required=False):
    return forms.CharField(label=label, required=required, widget=forms.Textarea(attrs={"rows": rows}))


# ---- calls -----------------------------------------------------------------------------------------

class CallFilterForm(StyledForm):
    year = forms.IntegerField(label=_("年度"), required=False, min_value=2000, max_value=2100)
    category = forms.ChoiceField(label=_("项目类别"), required=False, choices=_blank(CallCategory.choices))
    status = forms.ChoiceField(label=_("状态"), required=False, choices=_blank(CallStatus.choices))


class CallForm(StyledForm):
    title = forms.CharField(label=_("通知标题"), max_length=200)
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)
    category = forms.ChoiceField(label=_("项目类别"), choices=CallCategory.choices)
    budget_ceiling = forms.DecimalField(label=_("单项资助上限（万元）"), **MONEY)
    opens_on = forms.DateField(label=_("申报开始"), widget=DATE)
    closes_on = forms.DateField(label=_("申报截止"), widget=DATE)
    min_title_level = forms.ChoiceField(label=_("最低职称"), required=False, choices=_blank(TitleLevel.choices, _("不限")))
    youth_age_limit = forms.IntegerField(label=_("青年项目年龄上限"), required=False, min_value=18, max_value=70,
                                         help_text=_("仅青年项目需要填写，如 35"))
    institution_quota = forms.IntegerField(label=_("每单位限报（项）"), required=False, min_value=1, max_value=999,
                                           help_text=_("留空为不限"))
    experts_per_application = forms.IntegerField(label=_("每项评审专家数"), min_value=1, max_value=15, initial=5)
    priority_fields = forms.CharField(label=_("优先领域"), max_length=500, required=False,
                                      help_text=_("多个领域用顿号或逗号分隔，如：基层卫生、慢病防治"))
    required_attachments = forms.CharField(label=_("必需附件"), max_length=500, required=False,
                                           help_text=_("申报人提交前须上传的附件，用顿号或逗号分隔，如：单位推荐意见、伦理审查批件"))

    def _items(self, name: str) -> list[str]:
        text = self.cleaned_data.get(name) or ""
        for separator in ("，", ",", "；", ";", "\n"):
            text = text.replace(separator, "、")
        items = [item.strip() for item in text.split("、") if item.strip()]
        if any(len(item) > 100 for item in items):
            raise forms.ValidationError(gettext("每项不超过100字"))
        return list(dict.fromkeys(items))  # in order, once each

    def clean_priority_fields(self) -> list[str]:
        return self._items("priority_fields")

    def clean_required_attachments(self) -> list[str]:
        return self._items("required_attachments")


# ---- applications ------------------------------------------------------------------------------------

class ApplicationFilterForm(StyledForm):
    q = forms.CharField(label=_("名称或编号"), required=False, widget=forms.TextInput(attrs={"type": "search"}))
    call = forms.ChoiceField(label=_("申报通知"), required=False)
    status = forms.ChoiceField(label=_("状态"), required=False, choices=_blank(ApplicationStatus.choices))
    institution = forms.ChoiceField(label=_("申报单位"), required=False)

    def __init__(self, *args, actor=None, **kwargs):
        super().__init__(*args, **kwargs)
        calls = selectors.call_list(actor=actor).only("pk", "title", "year")
        self.fields["call"].choices = _blank([(str(c.pk), f"{c.year} {c.title}") for c in calls])
        institutions = institution_list(actor=actor).select_related(None).only("pk", "name").order_by("name")
        self.fields["institution"].choices = _blank([(str(i.pk), i.name) for i in institutions])
        if len(self.fields["institution"].choices) <= 2:  # nothing to choose between
            del self.fields["institution"]


class ApplicationForm(StyledForm):
    """The application form. The budget is one field per head (预算科目; the total is their sum) and the
    milestones one line each; `for_service` turns them into what the services take."""

    title = forms.CharField(label=_("项目名称"), max_length=200)
    specialty = forms.CharField(label=_("学科专业"), max_length=64)
    summary = _text(_("研究内容摘要"))
    plan = _text(_("研究计划与进度"))
    milestones = _text(_("进度安排（阶段目标）"), rows=4)
    expected_outputs = _text(_("预期成果"), rows=3)
    human_subjects = forms.BooleanField(label=_("涉及人体研究"), required=False,
                                        help_text=_("涉及人体研究的项目须有有效的伦理审查批件方可立项"))
    human_genetic_resources = forms.BooleanField(label=_("涉及人类遗传资源"), required=False,
                                                 help_text=_("须有伦理审查批件和人类遗传资源许可或备案号方可立项"))
    hgr_reference = forms.CharField(label=_("人类遗传资源许可/备案号"), max_length=64, required=False)
    pathogens = forms.BooleanField(label=_("涉及病原微生物"), required=False,
                                   help_text=_("须有生物安全实验室备案号方可立项"))
    biosafety_reference = forms.CharField(label=_("生物安全实验室备案号"), max_length=64, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["milestones"].help_text = gettext(
            "每行一项：完成日期 阶段目标，如“2027-06-30 完成入组300例”；提交前至少填写一项")
        budget = {f"budget_{head}": forms.DecimalField(label=gettext("%(head)s（万元）") % {"head": label},
                                                       required=False, max_digits=7, decimal_places=2, min_value=0)
                  for head, label in BUDGET_HEADS}
        first, *_rest = budget
        budget[first].help_text = gettext("按科目填写，申请经费为各科目之和，不得超过通知的单项资助上限")
        # The budget heads go after the expected outputs, before the declarations.
        names = list(self.fields)
        at = names.index("expected_outputs") + 1
        self.fields = {**{name: self.fields[name] for name in names[:at]}, **budget,
                       **{name: self.fields[name] for name in names[at:]}}

    @staticmethod
    def initial_for(application) -> dict:
        data = {name: getattr(application, name) for name in ApplicationForm.base_fields if name != "milestones"}
        data["milestones"] = milestones_text(application.milestones)
        data |= {f"budget_{head}": amount for head, amount in application.budget_lines.items()}
        return data

    def for_service(self) -> dict:
        data = {name: value for name, value in self.cleaned_data.items() if not name.startswith("budget_")}
        data["budget_lines"] = {head: str(self.cleaned_data[f"budget_{head}"]) for head, _label in BUDGET_HEADS
                                if self.cleaned_data.get(f"budget_{head}")}
        return data


class TeamMemberForm(StyledForm):
    worker = forms.ChoiceField(label=_("成员"))
    role = forms.ChoiceField(label=_("角色"), choices=TeamRole.choices, initial=TeamRole.MEMBER)

    def __init__(self, *args, candidates=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["worker"].choices = _blank(
            [(str(w.pk), f"{w.name}（{w.get_profession_display()}，{w.get_title_level_display()}）")
             for w in candidates], gettext("请选择本单位人员"))


class SubmitForm(StyledForm):
    sign_integrity = forms.BooleanField(label=_("本人已阅读并签署科研诚信承诺书"),
                                        error_messages={"required": _("请先签署科研诚信承诺书")})


class WithdrawForm(StyledForm):
    reason = forms.CharField(label=_("撤回理由"), max_length=1000, required=False,
                             widget=forms.TextInput(attrs={"placeholder": _("选填")}))


class EndorseForm(StyledForm):
    comment = forms.CharField(label=_("推荐意见"), max_length=1000, required=False,
                              widget=forms.TextInput(attrs={"placeholder": _("可不填")}))


class ReturnForm(StyledForm):
    comment = forms.CharField(label=_("退回意见"), max_length=1000, required=False,
                              widget=forms.TextInput(attrs={"placeholder": _("请填写退回意见（必填）")}))


class ExternalResultForm(StyledForm):
    level = forms.ChoiceField(label=_("上级项目级别"), choices=ExternalLevel.choices)
    result = forms.ChoiceField(label=_("评审结果"), choices=ExternalResult.choices)
    funding = forms.DecimalField(label=_("上级资助金额（万元）"), required=False, **MONEY)
    decided_on = forms.DateField(label=_("上级立项日期"), widget=DATE)


class AttachmentForm(StyledForm):
    kind = forms.ChoiceField(label=_("附件类别"))
    file = forms.FileField(label=_("文件（PDF、JPEG 或 PNG，不超过 20 MB）"))

    def __init__(self, *args, kinds=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(kind, kind) for kind in kinds]


class DecideForm(StyledForm):
    decision = forms.ChoiceField(label=_("决定"), choices=[("approve", _("立项")), ("reject", _("不予立项"))],
                                 widget=forms.RadioSelect)
    funded_amount = forms.DecimalField(label=_("资助金额（万元）"), required=False, **MONEY,
                                       help_text=_("立项时填写；留空按申请经费"))
    comment = forms.CharField(label=_("意见"), max_length=1000, required=False,
                              widget=forms.Textarea(attrs={"rows": 2, "placeholder": _("不予立项时必填")}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["decision"].widget.attrs["class"] = "form-check-input"


# ---- reviews -----------------------------------------------------------------------------------------

class AssignForm(StyledForm):
    due_on = forms.DateField(label=_("评审截止"), widget=DATE)

    def clean_due_on(self):
        due_on = self.cleaned_data["due_on"]
        if due_on < timezone.localdate():
            raise forms.ValidationError(gettext("评审截止日期不能早于今天"))
        return due_on


class ReviewQueueFilterForm(StyledForm):
    call = forms.ChoiceField(label=_("申报通知"), required=False)
    status = forms.ChoiceField(label=_("状态"), required=False, choices=_blank(AssignmentStatus.choices))

    def __init__(self, *args, actor=None, **kwargs):
        super().__init__(*args, **kwargs)
        calls = selectors.call_list(actor=actor).only("pk", "title", "year")
        self.fields["call"].choices = _blank([(str(c.pk), f"{c.year} {c.title}") for c in calls])


class MyReviewFilterForm(StyledForm):
    status = forms.ChoiceField(label=_("状态"), required=False, choices=_blank(AssignmentStatus.choices))


class ReviewForm(StyledForm):
    """The five criteria of rules.DEFAULT_CRITERIA (0 to their maximum each), then the comment."""

    comment = _text(_("评审意见"), rows=4)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        comment = self.fields.pop("comment")
        for criterion in DEFAULT_CRITERIA:
            field = forms.DecimalField(label=gettext("%(criterion)s（权重 %(weight)s%%）") % {
                                           "criterion": criterion.label, "weight": f"{criterion.weight:.0f}"},
                                       min_value=0, max_value=criterion.max_score, max_digits=4, decimal_places=1,
                                       help_text=gettext("0 至 %(max)s 分") % {"max": f"{criterion.max_score:.0f}"},
                                       widget=forms.NumberInput(attrs={"step": "0.5", "min": "0",
                                                                       "max": f"{criterion.max_score:.0f}"}))
            field.widget.attrs["class"] = "form-control form-control-sm"
            self.fields[criterion.key] = field
        self.fields["comment"] = comment

    def scores(self) -> dict:
        return {c.key: self.cleaned_data[c.key] for c in DEFAULT_CRITERIA}
