from django import forms
from django.utils.translation import gettext_lazy as _

from weijian.core.forms import StyledForm
from weijian.orgs.models import DivisionLevel, InstitutionGrade, InstitutionType, Ownership


def _blank(choices):
    return [("", _("全部")), *choices]


class InstitutionFilterForm(StyledForm):
    q = forms.CharField(label=_("名称或信用代码"), required=False,
                        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("输入关键字")}))
    type = forms.ChoiceField(label=_("机构类别"), required=False, choices=_blank(InstitutionType.choices))
    grade = forms.ChoiceField(label=_("等级"), required=False, choices=_blank(InstitutionGrade.choices))
    ownership = forms.ChoiceField(label=_("经济类型"), required=False, choices=_blank(Ownership.choices))
    district = forms.ChoiceField(label=_("区县"), required=False)
    active = forms.ChoiceField(label=_("状态"), required=False,
                               choices=[("", _("全部")), ("1", _("在业")), ("0", _("已停用"))])

    def __init__(self, *args, districts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["district"].choices = _blank([(d.code, d.name) for d in districts])


class DivisionFilterForm(StyledForm):
    q = forms.CharField(label=_("名称或代码"), required=False, widget=forms.TextInput(attrs={"type": "search"}))
    level = forms.ChoiceField(label=_("级别"), required=False, choices=_blank(DivisionLevel.choices))


class InstitutionForm(StyledForm):
    uscc = forms.CharField(label=_("统一社会信用代码"), max_length=18, min_length=18,
                           help_text=_("18位，末位为校验码；登记后不可修改"))
    name = forms.CharField(label=_("机构名称"), max_length=128)
    type = forms.ChoiceField(label=_("机构类别"), choices=InstitutionType.choices)
    grade = forms.ChoiceField(label=_("等级"), choices=InstitutionGrade.choices, initial="none")
    ownership = forms.ChoiceField(label=_("经济类型"), choices=Ownership.choices)
    division = forms.ChoiceField(label=_("所在区划"))

    def __init__(self, *args, divisions=(), editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["division"].choices = [(d.code, f"{d.name}（{d.code}）") for d in divisions]
        if editing:
            self.fields["uscc"].disabled = True


class DivisionForm(StyledForm):
    code = forms.CharField(label=_("区划代码"), max_length=12,
                           help_text=_("GB/T 2260 代码：区县及以上6位，乡镇（街道）9位；登记后不可修改"),
                           widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}))
    name = forms.CharField(label=_("名称"), max_length=64)
    level = forms.ChoiceField(label=_("级别"), choices=DivisionLevel.choices, initial=DivisionLevel.TOWNSHIP)
    parent = forms.ChoiceField(label=_("上级区划"), required=False,
                               help_text=_("省级区划无上级；其他级别须选择上一级区划"))

    def __init__(self, *args, parents=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent"].choices = [("", _("（无）")),
                                         *[(d.code, f"{d.name}（{d.code}）") for d in parents]]


class DivisionUpdateForm(StyledForm):
    name = forms.CharField(label=_("名称"), max_length=64)
    is_active = forms.BooleanField(label=_("有效"), required=False,
                                   help_text=_("区划撤销后取消勾选；已有机构仍保留原区划。"))
