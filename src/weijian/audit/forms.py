from django import forms
from django.utils.translation import gettext_lazy as _

from weijian.audit.actions import AuditAction
from weijian.audit.selectors import OUTCOME_LABELS
from weijian.core.forms import StyledForm


def _blank(choices):
    return [("", _("全部")), *choices]


class AuditFilterForm(StyledForm):
    username = forms.CharField(label=_("操作人"), required=False, max_length=150,
                               widget=forms.TextInput(attrs={"type": "search", "placeholder": _("用户名包含")}))
    action = forms.ChoiceField(label=_("操作"), required=False, choices=_blank(AuditAction.choices))
    entity = forms.ChoiceField(label=_("对象类型"), required=False)
    entity_id = forms.CharField(label=_("对象标识"), required=False, max_length=64,
                                widget=forms.TextInput(attrs={"type": "search", "size": 8}))
    outcome = forms.ChoiceField(label=_("结果"), required=False, choices=_blank(list(OUTCOME_LABELS.items())))
    date_from = forms.DateField(label=_("起始日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("截止日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, entities=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["entity"].choices = _blank(list(entities))

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("截止日期不能早于起始日期"))
        return data
