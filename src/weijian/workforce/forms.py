"""Forms for the health-worker pages. They only parse input; the rules live in workforce.services."""

from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from weijian.core.forms import StyledForm
from weijian.workforce.models import Profession, TitleLevel, WorkerStatus


def _blank(choices):
    return [("", _("全部")), *choices]


class WorkerFilterForm(StyledForm):
    q = forms.CharField(label=_("姓名或机构"), required=False, max_length=64,
                        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("输入关键字")}))
    institution = forms.ChoiceField(label=_("所在机构"), required=False)
    district = forms.ChoiceField(label=_("区县"), required=False)
    profession = forms.ChoiceField(label=_("职业类别"), required=False, choices=_blank(Profession.choices))
    title_level = forms.ChoiceField(label=_("职称级别"), required=False, choices=_blank(TitleLevel.choices))
    status = forms.ChoiceField(label=_("状态"), required=False, choices=_blank(WorkerStatus.choices))

    def __init__(self, *args, institutions=(), districts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["institution"].choices = _blank(
            [(str(i.pk), i.name if i.is_active else _("%(name)s（已停用）") % {"name": i.name})
             for i in institutions])
        self.fields["district"].choices = _blank([(d.code, d.name) for d in districts])
        for name in ("institution", "district"):
            if len(self.fields[name].choices) <= 2:  # one option or none: nothing to choose
                del self.fields[name]


class WorkerForm(StyledForm):
    name = forms.CharField(label=_("姓名"), max_length=64)
    id_number = forms.CharField(
        label=_("身份证号"), max_length=18,
        help_text=_("18位居民身份证号，末位校验码须正确；出生日期和性别由身份证号自动生成。"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "inputmode": "text"}),
    )
    institution = forms.ChoiceField(label=_("所在机构"), error_messages={
        "invalid_choice": _("机构不存在或不在您的管辖范围内"), "required": _("请选择所在机构")})
    profession = forms.ChoiceField(label=_("职业类别"), choices=Profession.choices)
    title_level = forms.ChoiceField(label=_("职称级别"), choices=TitleLevel.choices, initial=TitleLevel.NONE)
    practising_since = forms.DateField(label=_("执业起始日期"), required=False,
                                       widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    status = forms.ChoiceField(label=_("状态"), choices=WorkerStatus.choices, initial=WorkerStatus.ACTIVE)
    licence_number = forms.CharField(label=_("执业证书编码"), required=False, max_length=32,
                                     help_text=_("选填；执业证书上的编码，签到表可凭此编码识别人员。"),
                                     widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}))

    def __init__(self, *args, institutions=(), masked_id: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        # Live check of the typed number (birth date, sex, check digit); POST so it stays out of URLs and logs.
        self.fields["id_number"].widget.attrs.update({
            "hx-post": reverse("workforce:worker-id-preview"), "hx-target": "#id-preview",
            "hx-trigger": "keyup changed delay:400ms, change", "hx-sync": "this:replace",
            "aria-describedby": "id-preview"})
        self.fields["institution"].choices = [("", _("请选择机构")),
                                              *[(str(i.pk), i.name) for i in institutions]]
        if masked_id:  # editing: the full number is never put back into the page
            field = self.fields["id_number"]
            field.required = False
            field.help_text = _("留空表示不修改；如需更正，请输入完整的18位身份证号。")
            field.widget.attrs["placeholder"] = masked_id
