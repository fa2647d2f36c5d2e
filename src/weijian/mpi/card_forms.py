"""Forms for the health-card pages. They parse input only; every rule (numbers, dates, pilot, statuses) is
`card_services`' and `card_numbers`', whose errors the views put back on the matching field."""

from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from weijian.core.forms import StyledForm
from weijian.mpi.models import CardStatus


def _blank(choices):
    return [("", _("全部")), *choices]


def _date_widget():
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _number_widget(**attrs):
    return forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "inputmode": "numeric", **attrs})


CARD_NUMBER_HELP = _("19位数字：发卡机构所在区县代码（6位）+ 序号（12位）+ 校验位（1位）；可含空格。")


class CardFilterForm(StyledForm):
    q = forms.CharField(label=_("卡号、主索引号或姓名"), required=False, max_length=64,
                        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("输入关键字")}))
    status = forms.ChoiceField(label=_("状态"), required=False, choices=_blank(CardStatus.choices))
    institution = forms.ChoiceField(label=_("发卡机构"), required=False)
    district = forms.ChoiceField(label=_("区县"), required=False)
    issued_from = forms.DateField(label=_("发卡日期起"), required=False, widget=_date_widget())
    issued_to = forms.DateField(label=_("发卡日期止"), required=False, widget=_date_widget())

    def __init__(self, *args, institutions=(), districts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["institution"].choices = _blank([(str(i.pk), i.name) for i in institutions])
        self.fields["district"].choices = _blank([(d.code, d.name) for d in districts])
        for name in ("institution", "district"):
            if len(self.fields[name].choices) <= 2:  # one option or none: nothing to choose
                del self.fields[name]

    def clean(self):
        data = super().clean()
        start, end = data.get("issued_from"), data.get("issued_to")
        if start and end and start > end:
            self.add_error("issued_to", _("截止日期不能早于起始日期"))
        return data


class CardIssueForm(StyledForm):
    empi = forms.CharField(label=_("主索引号"), max_length=20,
                           help_text=_("输入居民的主索引号（P 开头），点击“核对居民”确认身份后再发卡。"),
                           widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
                           error_messages={"required": _("请输入主索引号")})
    institution = forms.ChoiceField(label=_("发卡机构"), error_messages={
        "invalid_choice": _("机构不存在、不在您的管辖范围内或不在试点范围内"), "required": _("请选择发卡机构")})
    card_number = forms.CharField(label=_("卡号"), required=False, max_length=40, widget=_number_widget(),
                                  help_text=_("使用预制卡时输入卡面卡号；留空则由系统按规则生成。"))
    issued_on = forms.DateField(label=_("发卡日期"), required=False, widget=_date_widget(),
                                help_text=_("留空为今天"))
    expires_on = forms.DateField(label=_("有效期至"), required=False, widget=_date_widget(),
                                 help_text=_("留空为发卡日期起10年"))

    def __init__(self, *args, institutions=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["empi"].widget.attrs.update({
            "hx-post": reverse("cards:person-preview"), "hx-target": "#person-preview",
            "hx-trigger": "change, keyup changed delay:600ms", "hx-sync": "this:replace",
            "aria-describedby": "person-preview"})
        if institutions is None:  # a desk issues at its own institution
            del self.fields["institution"]
        else:
            self.fields["institution"].choices = [("", _("请选择机构")), *[(str(i.pk), i.name) for i in institutions]]


class CardReasonForm(StyledForm):
    reason = forms.CharField(label=_("理由"), max_length=255, widget=forms.Textarea(attrs={"rows": 3}),
                             error_messages={"required": _("请填写理由（至少4个字）")})


class CardReplaceForm(CardReasonForm):
    card_number = forms.CharField(label=_("新卡卡号"), required=False, max_length=40, widget=_number_widget(),
                                  help_text=_("使用预制卡时输入新卡卡号；留空则由系统生成。"))


class CardLookupForm(StyledForm):
    card_number = forms.CharField(label=_("卡号"), max_length=40, help_text=CARD_NUMBER_HELP,
                                  widget=_number_widget(autofocus=True),
                                  error_messages={"required": _("请输入居民健康卡卡号")})


class PilotScopeForm(StyledForm):
    city_wide = forms.BooleanField(label=_("全市推广（所有机构均可发卡、刷卡）"), required=False)
    districts = forms.ModelMultipleChoiceField(
        label=_("试点区县"), required=False, queryset=None, widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text=_("所选区县的全部机构均可发卡、刷卡。按住 Ctrl（Mac 为 ⌘）可多选。"))
    institutions = forms.ModelMultipleChoiceField(
        label=_("试点机构"), required=False, queryset=None, widget=forms.SelectMultiple(attrs={"size": 10}),
        help_text=_("单独加入试点的机构。"))

    def __init__(self, *args, districts, institutions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["districts"].queryset = districts
        self.fields["institutions"].queryset = institutions
        self.fields["institutions"].label_from_instance = lambda i: f"{i.name}（{i.district.name}）"
