"""The rule editor and the filters of the data-quality pages."""

from django import forms
from django.utils.translation import gettext_lazy as _

from weijian.core.forms import StyledForm
from weijian.dq.elements import CATALOGUE
from weijian.dq.engine import OUTLIER_METHODS
from weijian.dq.expressions import OPERATORS
from weijian.dq.models import Kind, Missing, TicketStatus

RESOURCE_TYPES = sorted({element.resource_type for element in CATALOGUE})


def _blank(choices):
    return [("", "—"), *choices]


def _list(text: str) -> list[str]:
    return [part.strip() for part in (text or "").replace("，", ",").split(",") if part.strip()]


class RuleForm(StyledForm):
    code = forms.SlugField(label=_("规则代码"), max_length=64, help_text=_("字母、数字和连字符，如 bp-order"))
    name = forms.CharField(label=_("规则名称"), max_length=120)
    kind = forms.ChoiceField(label=_("规则类型"), choices=Kind.choices)
    resource_type = forms.ChoiceField(label=_("资源类型"), choices=[(t, t) for t in RESOURCE_TYPES])
    element = forms.ChoiceField(label=_("数据元"), required=False,
                                choices=_blank([(e.code, f"{e.code}（{e.name}）") for e in CATALOGUE]))
    values = forms.CharField(label=_("有效值（逗号分隔）"), required=False)
    value_set = forms.CharField(label=_("或：值集地址"), required=False, max_length=255,
                                help_text=_("术语字典中的值集，如 http://weijian.local/fhir/ValueSet/gb-t-2261-1"))
    low = forms.DecimalField(label=_("下限"), required=False)
    high = forms.DecimalField(label=_("上限"), required=False)
    pattern = forms.CharField(label=_("格式（正则表达式）"), required=False, max_length=200)
    limit_hours = forms.DecimalField(label=_("上传时限（小时）"), required=False, min_value=0)
    keys = forms.CharField(label=_("唯一性键（数据元，逗号分隔）"), required=False)
    method = forms.ChoiceField(label=_("离群值方法"), required=False,
                               choices=_blank([(m, m) for m in OUTLIER_METHODS]))
    threshold = forms.DecimalField(label=_("离群阈值"), required=False, min_value=0)
    left = forms.CharField(label=_("左侧表达式"), required=False, max_length=500,
                           help_text=_("一致性规则：数据元写作 #{代码}，如 #{observation.diastolic}"))
    operator = forms.ChoiceField(label=_("运算符"), required=False, choices=_blank([(o, o) for o in OPERATORS]))
    right = forms.CharField(label=_("右侧表达式"), required=False, max_length=500)
    missing = forms.ChoiceField(label=_("缺失值处理"), choices=Missing.choices, initial=Missing.SKIP_IF_ANY)
    is_active = forms.BooleanField(label=_("启用"), required=False, initial=True)

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:
            self.fields["code"].disabled = True

    def for_service(self) -> dict:
        data = self.cleaned_data
        params = {"values": _list(data.get("values")), "value_set": (data.get("value_set") or "").strip(), "low": data.get("low"), "high": data.get("high"),
                  "pattern": data.get("pattern") or "", "limit_hours": data.get("limit_hours"),
                  "keys": _list(data.get("keys")), "method": data.get("method") or "",
                  "threshold": data.get("threshold")}
        params = {k: (float(v) if hasattr(v, "as_tuple") else v) for k, v in params.items() if v not in (None, "", [])}
        return {"code": data["code"], "name": data["name"], "kind": data["kind"],
                "resource_type": data["resource_type"], "element": data.get("element") or "", "params": params,
                "left": data.get("left") or "", "operator": data.get("operator") or "",
                "right": data.get("right") or "", "missing": data["missing"], "is_active": data.get("is_active")}

    @staticmethod
    def initial_from(rule) -> dict:
        params = rule.params or {}
        return {"code": rule.code, "name": rule.name, "kind": rule.kind, "resource_type": rule.resource_type,
                "element": rule.element, "values": ", ".join(params.get("values") or []),
                "value_set": params.get("value_set", ""),
                "low": params.get("low"), "high": params.get("high"), "pattern": params.get("pattern", ""),
                "limit_hours": params.get("limit_hours"), "keys": ", ".join(params.get("keys") or []),
                "method": params.get("method", ""), "threshold": params.get("threshold"), "left": rule.left,
                "operator": rule.operator, "right": rule.right, "missing": rule.missing, "is_active": rule.is_active}


class TicketFilterForm(StyledForm):
    status = forms.ChoiceField(label=_("状态"), required=False, choices=_blank(TicketStatus.choices))
    open_only = forms.BooleanField(label=_("仅未关闭"), required=False)


class TicketNoteForm(StyledForm):
    note = forms.CharField(label=_("处理说明"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class WeightsForm(StyledForm):
    """One whole-number weight per dimension."""

    def __init__(self, *args, initial_weights: dict[str, int], **kwargs):
        super().__init__(*args, **kwargs)
        for kind, label in Kind.choices:
            self.fields[kind] = forms.IntegerField(label=label, min_value=0, max_value=100,
                                                   initial=initial_weights.get(kind, 0))
