"""Forms of the ethics committee pages (伦理审查). Fields only: the rules are the services'
(research.ethics) and the choices come from rows the viewer was let see (research.ethics_selectors)."""

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from weijian.core.forms import StyledForm
from weijian.research import ethics_rules
from weijian.research.models import (
    EthicsDecision,
    EthicsMeetingStatus,
    EthicsMemberRole,
    EthicsReviewType,
    EthicsSubmissionKind,
    EthicsSubmissionStatus,
)
from weijian.workforce.models import Sex

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DECISIONS = dict(EthicsDecision.choices)
ALL = _("全部")


def _blank(choices, label=ALL):
    return [("", label), *choices]


def _decisions(kind: str):
    return [(value, DECISIONS[value]) for value in ethics_rules.ALLOWED_DECISIONS.get(kind, ())]


def _members(members):
    return [(str(m.pk), str(m)) for m in members]


# ---- lists -------------------------------------------------------------------------------------------

class SubmissionFilterForm(StyledForm):
    q = forms.CharField(label=_("申报编号、名称或批件号"), required=False, widget=forms.TextInput(attrs={"type": "search"}))
    committee = forms.ChoiceField(label=_("伦理委员会"), required=False)
    kind = forms.ChoiceField(label=_("审查类别"), required=False, choices=_blank(EthicsSubmissionKind.choices))
    status = forms.ChoiceField(label=_("状态"), required=False, choices=_blank(EthicsSubmissionStatus.choices))

    def __init__(self, *args, committees=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["committee"].choices = _blank([(str(c.pk), c.name) for c in committees])
        if len(self.fields["committee"].choices) <= 2:  # nothing to choose between
            del self.fields["committee"]


class CommitteeFilterForm(StyledForm):
    q = forms.CharField(label=_("名称或所属机构"), required=False, widget=forms.TextInput(attrs={"type": "search"}))


class MeetingFilterForm(StyledForm):
    committee = forms.ChoiceField(label=_("伦理委员会"), required=False)
    status = forms.ChoiceField(label=_("状态"), required=False, choices=_blank(EthicsMeetingStatus.choices))

    def __init__(self, *args, committees=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["committee"].choices = _blank([(str(c.pk), c.name) for c in committees])
        if len(self.fields["committee"].choices) <= 2:
            del self.fields["committee"]


# ---- committees and meetings -----------------------------------------------------------------------

class CommitteeForm(StyledForm):
    institution = forms.ChoiceField(label=_("所属机构"))
    name = forms.CharField(label=_("名称"), max_length=200)
    filing_number = forms.CharField(label=_("备案号"), max_length=64, required=False,
                                    help_text=_("伦理委员会在卫生健康主管部门的备案编号"))

    def __init__(self, *args, institutions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["institution"].choices = [(str(i.pk), i.name) for i in institutions]


class MemberForm(StyledForm):
    name = forms.CharField(label=_("姓名"), max_length=64)
    role = forms.ChoiceField(label=_("职务"), choices=EthicsMemberRole.choices, initial=EthicsMemberRole.MEMBER)
    expertise = forms.CharField(label=_("专业领域"), max_length=64, required=False)
    gender = forms.ChoiceField(label=_("性别"), required=False, choices=_blank(Sex.choices, _("未填")))
    is_lay = forms.BooleanField(label=_("非医药专业（伦理、法律、社会学等）"), required=False)
    is_external = forms.BooleanField(label=_("外单位委员"), required=False)
    username = forms.CharField(label=_("登录账号"), max_length=150, required=False,
                               help_text=_("代表本委员会办理审查事项的委员（如秘书）填写其“伦理委员会”角色的账号"))
    id_number = forms.CharField(label=_("身份证号"), max_length=18, required=False,
                                help_text=_("本市卫生人员填写，用于识别利益冲突（本人申报或参与的项目自动回避）；只用于查找，不保存"))


class MeetingForm(StyledForm):
    committee = forms.ChoiceField(label=_("伦理委员会"))
    held_on = forms.DateField(label=_("会议日期"), widget=DATE)
    location = forms.CharField(label=_("地点"), max_length=200, required=False)

    def __init__(self, *args, committees=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["committee"].choices = [(str(c.pk), c.name) for c in committees]


class AttendanceForm(StyledForm):
    members = forms.MultipleChoiceField(label=_("到会委员"), required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, members=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["members"].choices = _members(members)
        self.fields["members"].widget.attrs["class"] = "form-check-input"


class AgendaAddForm(StyledForm):
    submission = forms.ChoiceField(label=_("审查事项"))

    def __init__(self, *args, submissions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["submission"].choices = _blank(
            [(str(s.pk), f"{s.application.number} {s.application.title[:30]}（{s.get_kind_display()}）")
             for s in submissions], gettext("请选择已受理、待会议审查的申请"))


# ---- submissions ---------------------------------------------------------------------------------

class SubmissionForm(StyledForm):
    committee = forms.ChoiceField(label=_("伦理委员会"))
    kind = forms.ChoiceField(label=_("审查类别"), choices=EthicsSubmissionKind.choices,
                             help_text=_("首次送审选初始审查；获批后的方案修改、年度报告、严重不良事件、违背方案和结题向同一委员会提交"))
    content = forms.CharField(label=_("送审材料说明"), max_length=5000, required=False,
                              widget=forms.Textarea(attrs={"rows": 4}),
                              help_text=_("如研究方案和知情同意书的版本号、事件经过与处理、违背方案的情况等"))

    def __init__(self, *args, committees=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["committee"].choices = _blank([(str(c.pk), f"{c.name}（{c.institution.name}）")
                                                   for c in committees], gettext("请选择"))


class WithdrawForm(StyledForm):
    reason = forms.CharField(label=_("撤回理由"), max_length=1000, required=False,
                             widget=forms.TextInput(attrs={"placeholder": _("选填")}))


class AcceptForm(StyledForm):
    review_type = forms.ChoiceField(label=_("审查方式"), choices=EthicsReviewType.choices)


class AgendaForm(StyledForm):
    meeting = forms.ChoiceField(label=_("审查会议"))

    def __init__(self, *args, meetings=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["meeting"].choices = _blank([(str(m.pk), f"{m.held_on:%Y-%m-%d} {m.location}") for m in meetings],
                                                gettext("请选择待召开的会议"))


class RecusalForm(StyledForm):
    member = forms.ChoiceField(label=_("回避委员"))
    reason = forms.CharField(label=_("回避原因"), max_length=200)

    def __init__(self, *args, members=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].choices = _blank(_members(members), gettext("请选择"))


class ExpeditedForm(StyledForm):
    """One or two reviewers with their opinions; the decision follows from them (同意 / 修改后同意)."""

    reviewer1 = forms.ChoiceField(label=_("审查委员一"))
    opinion1 = forms.ChoiceField(label=_("意见"))
    reviewer2 = forms.ChoiceField(label=_("审查委员二"), required=False)
    opinion2 = forms.ChoiceField(label=_("意见"), required=False)
    opinion = forms.CharField(label=_("审查意见"), max_length=5000, required=False,
                              widget=forms.Textarea(attrs={"rows": 2, "placeholder": _("修改后同意时必填")}))
    valid_until = forms.DateField(label=_("批件有效期至"), required=False, widget=DATE,
                                  help_text=_("留空：初始审查和跟踪审查为一年，修正案至原批件期满"))

    def __init__(self, *args, members=(), kind: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reviewer1"].choices = _blank(_members(members), gettext("请选择"))
        self.fields["reviewer2"].choices = _blank(_members(members), gettext("（无）"))
        self.fields["opinion1"].choices = _decisions(kind)
        self.fields["opinion2"].choices = _blank(_decisions(kind), "—")

    def clean(self):
        data = super().clean()
        if data.get("reviewer2") and not data.get("opinion2"):
            self.add_error("opinion2", gettext("请选择审查委员二的意见"))
        if data.get("reviewer2") and data.get("reviewer2") == data.get("reviewer1"):
            self.add_error("reviewer2", gettext("两名审查委员不能是同一人"))
        return data

    def opinions(self) -> dict[int, str]:
        data = self.cleaned_data
        pairs = [(data["reviewer1"], data["opinion1"]), (data.get("reviewer2"), data.get("opinion2"))]
        return {int(member): opinion for member, opinion in pairs if member}


class VotesForm(StyledForm):
    """One field per member who may vote (present, not recused); a blank one did not vote."""

    def __init__(self, *args, voters=(), kind: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        for member in voters:
            field = forms.ChoiceField(label=str(member), required=False, choices=_blank(_decisions(kind), gettext("未表决")))
            field.widget.attrs["class"] = "form-select form-select-sm"
            self.fields[f"vote_{member.pk}"] = field

    def votes(self) -> dict[int, str]:
        return {int(name.removeprefix("vote_")): choice for name, choice in self.cleaned_data.items()
                if name.startswith("vote_") and choice}


class DecideForm(StyledForm):
    opinion = forms.CharField(label=_("审查意见"), max_length=5000, required=False,
                              widget=forms.Textarea(attrs={"rows": 2, "placeholder": _("修改后同意或否定性决定时必填")}))
    valid_until = forms.DateField(label=_("批件有效期至"), required=False, widget=DATE,
                                  help_text=_("留空：初始审查和跟踪审查为一年，修正案至原批件期满"))
