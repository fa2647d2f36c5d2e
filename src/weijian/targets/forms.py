"""Forms of the work-plan pages. Rates are entered in percent (95) and handed to the services as
fractions (0.95)."""

from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from weijian.core.forms import StyledForm
from weijian.orgs.models import InstitutionType
from weijian.targets.models import Level
from weijian.targets.scoring import ScoringRule


def _years() -> list[tuple[int, str]]:
    this_year = timezone.localdate().year
    return [(y, str(y)) for y in range(this_year + 1, this_year - 6, -1)]


class PlanForm(StyledForm):
    year = forms.TypedChoiceField(label=_("年度"), coerce=int)
    title = forms.CharField(label=_("计划名称"), max_length=120)
    note = forms.CharField(label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = _years()
        self.fields["year"].initial = timezone.localdate().year


class ItemForm(StyledForm):
    indicator_code = forms.ChoiceField(label=_("指标"))
    weight = forms.DecimalField(label=_("权重（分）"), min_value=Decimal("0.01"), max_value=100, decimal_places=2)
    rule = forms.ChoiceField(label=_("评分规则"), choices=ScoringRule.choices, initial=ScoringRule.LINEAR)
    bonus_cap = forms.DecimalField(label=_("加分上限（分）"), required=False, min_value=0, decimal_places=2,
                                   help_text=_("仅封顶加分规则使用"))

    def __init__(self, *args, indicators: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["indicator_code"].choices = [("", "—")] + indicators


class TargetForm(StyledForm):
    level = forms.ChoiceField(label=_("层级"), choices=Level.choices)
    institution_type = forms.ChoiceField(label=_("机构类别"), required=False,
                                         choices=[("", _("所有机构"))] + list(InstitutionType.choices),
                                         help_text=_("仅对“机构”层级：只适用于该类别"))
    target = forms.DecimalField(label=_("目标值"), decimal_places=4, max_digits=14)
    floor = forms.DecimalField(label=_("底线值"), required=False, decimal_places=4, max_digits=14)

    def __init__(self, *args, is_rate: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.is_rate = is_rate
        if is_rate:
            self.fields["target"].label = _("目标值（%）")
            self.fields["floor"].label = _("底线值（%）")

    def for_service(self) -> dict:
        """The cleaned values as the service takes them (rates as fractions)."""
        data = self.cleaned_data

        def scaled(value):
            if value is None:
                return None
            return value / 100 if self.is_rate else value

        return {"level": data["level"], "institution_type": data.get("institution_type") or "",
                "target": scaled(data["target"]), "floor": scaled(data.get("floor"))}
