"""CME forms: the filter and input forms of the project and credit pages.

Forms only parse and validate what the user typed; the rules live in `services`, scoped choices come
from the selectors of the actor's scope.
"""

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from weijian.cme.models import (
    CreditCategory,
    CreditClass,
    CreditRule,
    Delivery,
    ProjectLevel,
    ProjectStatus,
    SpotCheckResult,
    TitleGroup,
    Verification,
)
from weijian.core.forms import StyledForm
from weijian.orgs.models import DivisionLevel
from weijian.orgs.selectors import division_list, institution_list
from weijian.workforce.idnumber import IdNumberError, parse_id_number
from weijian.workforce.models import Profession

# ---- shared ----------------------------------------------------------------------------------

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


def _blank(choices):
    return [("", gettext_lazy("全部")), *choices]


class _PlaceFilters(StyledForm):
    """Institution and district choices limited to the actor's scope; dropped when there is nothing to pick."""

    institution = forms.ChoiceField(label=gettext_lazy("所在机构"), required=False)
    district = forms.ChoiceField(label=gettext_lazy("区县"), required=False)

    def __init__(self, *args, actor=None, **kwargs):
        super().__init__(*args, **kwargs)
        institutions = institution_list(actor=actor).select_related(None).only("pk", "name").order_by("name")
        districts = division_list(actor=actor, level=DivisionLevel.DISTRICT)
        self.fields["institution"].choices = _blank([(str(i.pk), i.name) for i in institutions])
        self.fields["district"].choices = _blank([(str(d.pk), d.name) for d in districts])
        for name in ("institution", "district"):
            if len(self.fields[name].choices) <= 2:
                del self.fields[name]


# ---- projects --------------------------------------------------------------------------------

class ProjectFilterForm(StyledForm):
    q = forms.CharField(label=gettext_lazy("名称或编号"), required=False,
                        widget=forms.TextInput(attrs={"type": "search"}))
    level = forms.ChoiceField(label=gettext_lazy("项目级别"), required=False, choices=_blank(ProjectLevel.choices))
    status = forms.ChoiceField(label=gettext_lazy("状态"), required=False, choices=_blank(ProjectStatus.choices))
    district = forms.ChoiceField(label=gettext_lazy("区县"), required=False)
    year = forms.IntegerField(label=gettext_lazy("年度"), required=False, min_value=2000, max_value=2100)

    def __init__(self, *args, districts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["district"].choices = _blank([(d.code, d.name) for d in districts])


class DistrictFilterForm(StyledForm):
    district = forms.ChoiceField(label=gettext_lazy("区县"), required=False)

    def __init__(self, *args, districts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["district"].choices = _blank([(d.code, d.name) for d in districts])


class ProjectForm(StyledForm):
    number = forms.CharField(label=gettext_lazy("项目编号"), max_length=32)
    name = forms.CharField(label=gettext_lazy("项目名称"), max_length=200)
    level = forms.ChoiceField(label=gettext_lazy("项目级别"), choices=ProjectLevel.choices,
                              initial=ProjectLevel.MUNICIPAL)
    host = forms.ChoiceField(label=gettext_lazy("主办机构"))
    discipline = forms.CharField(label=gettext_lazy("学科"), max_length=64, required=False)
    credits = forms.CharField(label=gettext_lazy("学分"), max_length=8)
    credit_class = forms.ChoiceField(label=gettext_lazy("学分类别"), choices=CreditClass.choices)
    delivery = forms.ChoiceField(label=gettext_lazy("举办方式"), choices=Delivery.choices)
    start_date = forms.DateField(label=gettext_lazy("开始日期"), widget=DATE)
    end_date = forms.DateField(label=gettext_lazy("结束日期"), widget=DATE)
    lead_teacher = forms.CharField(label=gettext_lazy("项目负责人"), max_length=64, required=False)
    lead_id_number = forms.CharField(
        label=gettext_lazy("项目负责人身份证号"), max_length=18, required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),  # never echoed back
        help_text=gettext_lazy("负责人为本市卫生人员时填写：用于核查科研失信惩戒，不会显示"))
    audience = forms.CharField(label=gettext_lazy("教学对象"), max_length=200, required=False)
    schedule = forms.CharField(label=gettext_lazy("日程安排"), required=False, widget=forms.Textarea(attrs={"rows": 4}))
    budget = forms.CharField(label=gettext_lazy("经费预算（元）"), max_length=16, required=False)
    expected_attendees = forms.CharField(label=gettext_lazy("拟招收学员数"), max_length=8, required=False)

    def __init__(self, *args, hosts=(), city=False, editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["host"].choices = [(i.pk, i.name) for i in hosts]
        if not city:
            self.fields["level"].choices = [(ProjectLevel.MUNICIPAL.value, ProjectLevel.MUNICIPAL.label)]
        if editing:
            self.fields["lead_id_number"].help_text = gettext_lazy("留空则不更改已登记的负责人")
            for name in ("number", "level", "host"):
                self.fields[name].disabled = True
                self.fields[name].required = False

    def clean_lead_id_number(self) -> str:
        value = (self.cleaned_data.get("lead_id_number") or "").strip().upper()
        if not value:
            return ""
        try:
            return parse_id_number(value).value
        except IdNumberError as exc:
            raise forms.ValidationError(str(exc)) from None


class ReasonForm(StyledForm):
    reason = forms.CharField(label=gettext_lazy("理由"), max_length=500, required=False,
                             widget=forms.TextInput(attrs={"placeholder": gettext_lazy("请填写理由")}))


class FileForm(StyledForm):
    filed_on = forms.DateField(label=gettext_lazy("备案日期"), required=False, widget=DATE,
                               help_text=gettext_lazy("留空为今天"))


class ReportForm(StyledForm):
    held_from = forms.DateField(label=gettext_lazy("实际开始日期"), widget=DATE)
    held_to = forms.DateField(label=gettext_lazy("实际结束日期"), widget=DATE)
    attendee_count = forms.CharField(label=gettext_lazy("实际参加人数"), max_length=8)
    out_of_city_count = forms.CharField(label=gettext_lazy("市外学员人数"), max_length=8, initial="0")
    teachers = forms.CharField(label=gettext_lazy("授课教师"), max_length=500, required=False)
    summary = forms.CharField(label=gettext_lazy("执行情况总结"), required=False,
                              widget=forms.Textarea(attrs={"rows": 4}))


class WindowForm(StyledForm):
    session_label = forms.CharField(label=gettext_lazy("场次"), max_length=64, required=False)
    opens_at = forms.DateTimeField(label=gettext_lazy("签到开始"), widget=DATETIME)
    closes_at = forms.DateTimeField(label=gettext_lazy("签到截止"), widget=DATETIME)


# ---- policy ----------------------------------------------------------------------------------

class PolicyForm(StyledForm):
    year = forms.IntegerField(label=gettext_lazy("年度"), min_value=2000, max_value=2100)
    filing_days_before = forms.CharField(label=gettext_lazy("举办前备案天数"), max_length=4)
    report_days_after = forms.CharField(label=gettext_lazy("结束后报告天数"), max_length=4)
    spot_check_rate = forms.CharField(label=gettext_lazy("抽查比例"), max_length=6,
                                      help_text=gettext_lazy("0 到 1 之间的小数，如 0.15 表示 15%"))
    cycle_years = forms.CharField(label=gettext_lazy("验证周期（年）"), max_length=2)


# ---- spot checks -----------------------------------------------------------------------------

class DrawForm(StyledForm):
    name = forms.CharField(label=gettext_lazy("抽查批次"), max_length=100)
    period_start = forms.DateField(label=gettext_lazy("期间起"), widget=DATE)
    period_end = forms.DateField(label=gettext_lazy("期间止"), widget=DATE)
    rate = forms.CharField(label=gettext_lazy("抽查比例"), max_length=6, required=False,
                           help_text=gettext_lazy("留空按期间止所在年度的参数"))
    seed = forms.IntegerField(label=gettext_lazy("随机种子"), required=False,
                              help_text=gettext_lazy("留空则随机生成；填写已有批次的种子可复核抽样结果"))
    risk_weighted = forms.BooleanField(label=gettext_lazy("按风险加权"), required=False,
                                       help_text=gettext_lazy("首次举办项目的机构、以往抽查发现问题的机构权重加倍"))


class FindingsForm(StyledForm):
    result = forms.ChoiceField(label=gettext_lazy("检查结论"),
                               choices=[c for c in SpotCheckResult.choices if c[0] != SpotCheckResult.PENDING])
    findings = forms.CharField(label=gettext_lazy("检查发现"), required=False, widget=forms.Textarea(attrs={"rows": 4}))
    inspected_on = forms.DateField(label=gettext_lazy("检查日期"), widget=DATE)


# ---- self-report and the record page ---------------------------------------------------------

class CreditReportForm(StyledForm):
    activity_type = forms.ChoiceField(label=gettext_lazy("活动类别"))
    quantity = forms.DecimalField(label=gettext_lazy("数量"), min_value=0, max_digits=8, decimal_places=1,
                                  required=False, help_text=gettext_lazy("按所选类别的计量单位填写；固定学分的类别可不填"))
    earned_on = forms.DateField(label=gettext_lazy("获得日期"),
                                widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    title = forms.CharField(label=gettext_lazy("内容"), max_length=200, required=False,
                            help_text=gettext_lazy("如论文题目、刊物名称、讲座主题"))
    evidence = forms.FileField(label=gettext_lazy("证明材料"), required=False,
                               help_text=gettext_lazy("PDF、JPEG 或 PNG，不超过 10 MB"))

    def __init__(self, *args, activities=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.activities = {str(a.pk): a for a in activities}
        self.fields["activity_type"].choices = [("", _("请选择"))] + [
            (pk, f"{a.name}（{a.get_credit_class_display()}，{a.credits_per_unit} 分/{a.unit or _('项')}"
                 + (f"，{_('每年最高')} {a.max_per_year} 分" if a.max_per_year else "") + "）")
            for pk, a in self.activities.items()]


class ReviewForm(StyledForm):
    comment = forms.CharField(label=gettext_lazy("审核意见"), max_length=500, required=False,
                              widget=forms.Textarea(attrs={"rows": 2}))


class EvidenceForm(StyledForm):
    file = forms.FileField(label=gettext_lazy("证明材料"), help_text=gettext_lazy("PDF、JPEG 或 PNG，不超过 10 MB"))


# ---- credit list -----------------------------------------------------------------------------

class CreditFilterForm(_PlaceFilters):
    year = forms.IntegerField(label=gettext_lazy("年度"), required=False, min_value=2000, max_value=2100)
    status = forms.ChoiceField(label=gettext_lazy("审核状态"), required=False, choices=_blank(Verification.choices))
    credit_class = forms.ChoiceField(label=gettext_lazy("学分类别"), required=False,
                                     choices=_blank(CreditClass.choices))
    field_order = ["year", "status", "credit_class", "institution", "district"]


# ---- activity catalogue ----------------------------------------------------------------------

class ActivityTypeForm(StyledForm):
    code = forms.CharField(label=gettext_lazy("代码"), max_length=32)
    name = forms.CharField(label=gettext_lazy("活动名称"), max_length=100)
    credit_class = forms.ChoiceField(label=gettext_lazy("学分类别"), choices=CreditClass.choices,
                                     initial=CreditClass.II)
    category = forms.ChoiceField(label=gettext_lazy("学分来源类别"), choices=[
        c for c in CreditCategory.choices if c[0] != CreditCategory.PROJECT])
    rule = forms.ChoiceField(label=gettext_lazy("计分规则"), choices=CreditRule.choices)
    unit = forms.CharField(label=gettext_lazy("计量单位"), max_length=16, required=False)
    credits_per_unit = forms.CharField(label=gettext_lazy("每单位学分"), max_length=8)
    max_per_year = forms.CharField(label=gettext_lazy("每年最高学分"), max_length=8, required=False,
                                   help_text=gettext_lazy("留空表示不设上限"))
    is_remote = forms.BooleanField(label=gettext_lazy("远程学分"), required=False)
    needs_evidence = forms.BooleanField(label=gettext_lazy("须上传证明材料"), required=False, initial=True)
    is_active = forms.BooleanField(label=gettext_lazy("启用"), required=False, initial=True)


# ---- requirements ----------------------------------------------------------------------------

class RequirementFilterForm(StyledForm):
    year = forms.IntegerField(label=gettext_lazy("年度"), required=False, min_value=2000, max_value=2100)


class RequirementForm(StyledForm):
    year = forms.IntegerField(label=gettext_lazy("年度"), min_value=2000, max_value=2100)
    title_group = forms.ChoiceField(label=gettext_lazy("职称组"), choices=TitleGroup.choices)
    profession = forms.ChoiceField(label=gettext_lazy("职业类别"), required=False,
                                   choices=[("", gettext_lazy("全部职业")), *Profession.choices])
    total = forms.CharField(label=gettext_lazy("总学分"), max_length=8)
    min_class_i = forms.CharField(label=gettext_lazy("I类最低学分"), max_length=8)
    min_class_ii = forms.CharField(label=gettext_lazy("II类最低学分"), max_length=8)
    remote_cap = forms.CharField(label=gettext_lazy("远程学分计入上限"), max_length=8)


# ---- exemptions ------------------------------------------------------------------------------

class ExemptionFilterForm(_PlaceFilters):
    year = forms.IntegerField(label=gettext_lazy("年度"), required=False, min_value=2000, max_value=2100)
    status = forms.ChoiceField(label=gettext_lazy("审批状态"), required=False, choices=_blank(Verification.choices))
    field_order = ["year", "status", "institution", "district"]


class ExemptionRequestForm(StyledForm):
    worker = forms.ChoiceField(label=gettext_lazy("人员"))
    year = forms.IntegerField(label=gettext_lazy("年度"), min_value=2000, max_value=2100)
    reason = forms.CharField(label=gettext_lazy("豁免理由"), max_length=200,
                             help_text=gettext_lazy("如长期病假、出国进修、产假"))

    def __init__(self, *args, workers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.workers = {str(w.pk): w for w in workers}
        self.fields["worker"].choices = [(pk, f"{w.name}（{w.institution.name}）") for pk, w in self.workers.items()]


class ExemptionDecideForm(StyledForm):
    reason = forms.CharField(label=gettext_lazy("审批意见"), max_length=200, required=False,
                             help_text=gettext_lazy("驳回时必填"))


# ---- annual audit and cycle certification ----------------------------------------------------

class RunForm(StyledForm):
    year = forms.IntegerField(label=gettext_lazy("年度"), min_value=2000, max_value=2100)
    district = forms.ChoiceField(label=gettext_lazy("区县"), required=False)

    def __init__(self, *args, actor=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.districts = {str(d.pk): d for d in division_list(actor=actor, level=DivisionLevel.DISTRICT)}
        self.fields["district"].choices = [("", gettext_lazy("全部（我的管辖范围）")),
                                           *[(pk, d.name) for pk, d in self.districts.items()]]


class AuditFilterForm(_PlaceFilters):
    year = forms.IntegerField(label=gettext_lazy("年度"), required=False, min_value=2000, max_value=2100)
    passed = forms.ChoiceField(label=gettext_lazy("结论"), required=False, choices=[
        ("", gettext_lazy("全部")), ("1", gettext_lazy("达标")), ("0", gettext_lazy("未达标"))])
    field_order = ["year", "passed", "institution", "district"]


class CycleFilterForm(_PlaceFilters):
    last_year = forms.IntegerField(label=gettext_lazy("周期结束年度"), required=False, min_value=2000, max_value=2100)
    passed = forms.ChoiceField(label=gettext_lazy("结论"), required=False, choices=[
        ("", gettext_lazy("全部")), ("1", gettext_lazy("合格")), ("0", gettext_lazy("不合格"))])
    field_order = ["last_year", "passed", "institution", "district"]
