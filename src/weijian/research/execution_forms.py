"""Forms of the execution and closure pages (任务书, 中期检查, 变更, 成果, 结题). Fields only: the
rules are the services' (research.execution)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from weijian.research.models import ChangeKind, ClosureVerdict, MidTermRating, OutputKind

DATE = forms.DateInput(attrs={"type": "date", "class": "form-control form-control-sm"})
TEXT = forms.TextInput(attrs={"class": "form-control form-control-sm"})
AREA = forms.Textarea(attrs={"class": "form-control form-control-sm", "rows": 2})
SELECT = forms.Select(attrs={"class": "form-select form-select-sm"})
NUMBER = forms.NumberInput(attrs={"class": "form-control form-control-sm", "step": "0.01", "min": "0"})


class AgreementForm(forms.Form):
    starts_on = forms.DateField(label=_("执行开始"), widget=DATE)
    ends_on = forms.DateField(label=_("执行结束（结题期限）"), widget=DATE)
    milestones = forms.CharField(label=_("年度目标与考核指标（每行一条）"), required=False, widget=AREA)

    def milestone_list(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["milestones"].splitlines() if line.strip()]


class MidTermForm(forms.Form):
    report = forms.CharField(label=_("中期报告摘要"), widget=AREA)
    fund_use = forms.DecimalField(label=_("已使用经费（万元）"), min_value=0, decimal_places=2, widget=NUMBER)
    rating = forms.ChoiceField(label=_("检查结论"), choices=MidTermRating.choices, widget=SELECT)
    comment = forms.CharField(label=_("检查意见"), required=False, widget=AREA)


class ChangeForm(forms.Form):
    kind = forms.ChoiceField(label=_("变更事项"), choices=[c for c in ChangeKind.choices if c[0] != ChangeKind.PI_CHANGE],
                             widget=SELECT)
    reason = forms.CharField(label=_("理由"), widget=AREA)
    new_ends_on = forms.DateField(label=_("延期至（延期时填写）"), required=False, widget=DATE)
    new_funding = forms.DecimalField(label=_("调整后经费（调整预算时填写）"), required=False, min_value=0,
                                     decimal_places=2, widget=NUMBER)


class ChangeDecisionForm(forms.Form):
    approve = forms.TypedChoiceField(label=_("审批"), choices=[("1", _("批准")), ("0", _("不批准"))], coerce=lambda v: v == "1",
                                     widget=SELECT)
    comment = forms.CharField(label=_("审批意见（不批准时必填）"), required=False, widget=TEXT)


class OutputForm(forms.Form):
    kind = forms.ChoiceField(label=_("成果类型"), choices=OutputKind.choices, widget=SELECT)
    title = forms.CharField(label=_("名称"), max_length=300, widget=TEXT)
    reference = forms.CharField(label=_("出处、编号或说明"), max_length=300, required=False, widget=TEXT)
    achieved_on = forms.DateField(label=_("取得日期"), widget=DATE)


class ClosureForm(forms.Form):
    summary = forms.CharField(label=_("结题报告（研究完成情况、成果、经费使用）"), widget=AREA)


class AcceptanceForm(forms.Form):
    verdict = forms.ChoiceField(label=_("验收结论"), choices=ClosureVerdict.choices, widget=SELECT)
    comment = forms.CharField(label=_("验收意见（不通过时必填）"), required=False, widget=TEXT)


class TerminateForm(forms.Form):
    reason = forms.CharField(label=_("终止理由"), widget=TEXT)
