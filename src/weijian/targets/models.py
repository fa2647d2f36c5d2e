"""A year's work plan (工作要点): the indicators picked, their weights, targets per org level and scoring
rule; and assessments, each a stored snapshot of every unit's values and scores, so a past year's result
is read back as it was computed, whatever the data do later."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from weijian.core.models import TimeStampedModel
from weijian.orgs.models import Institution, InstitutionType
from weijian.targets.scoring import Rag, ScoringRule


class PlanStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    FROZEN = "frozen", _("已冻结")


class Level(models.TextChoices):
    CITY = "city", _("全市")
    DISTRICT = "district", _("区（县）")
    INSTITUTION = "institution", _("机构")


class WorkPlan(TimeStampedModel):
    year = models.PositiveSmallIntegerField(_("年度"))
    title = models.CharField(_("名称"), max_length=120)
    status = models.CharField(_("状态"), max_length=16, choices=PlanStatus.choices, default=PlanStatus.DRAFT)
    note = models.TextField(_("说明"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    frozen_at = models.DateTimeField(_("冻结时间"), null=True, blank=True)
    frozen_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")

    class Meta:
        ordering = ["-year", "title"]
        constraints = [models.UniqueConstraint(fields=["year", "title"], name="targets_plan_year_title")]
        verbose_name = _("年度工作计划")

    def __str__(self):
        return f"{self.year} {self.title}"

    @property
    def is_frozen(self) -> bool:
        return self.status == PlanStatus.FROZEN


class PlanItem(TimeStampedModel):
    """One indicator of a plan. Name, unit, kind and direction are copied from the indicator when it is
    added, so a frozen plan reads the same if the code that declares the indicator changes later."""

    plan = models.ForeignKey(WorkPlan, on_delete=models.CASCADE, related_name="items")
    indicator_code = models.CharField(_("指标代码"), max_length=64)
    name = models.CharField(_("指标名称"), max_length=120)
    kind = models.CharField(_("类型"), max_length=8)
    unit = models.CharField(_("单位"), max_length=8)
    direction = models.CharField(_("方向"), max_length=8)
    weight = models.DecimalField(_("权重（分）"), max_digits=6, decimal_places=2)
    rule = models.CharField(_("评分规则"), max_length=16, choices=ScoringRule.choices, default=ScoringRule.LINEAR)
    bonus_cap = models.DecimalField(_("加分上限（分）"), max_digits=6, decimal_places=2, default=0)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [models.UniqueConstraint(fields=["plan", "indicator_code"], name="targets_item_once")]
        verbose_name = _("考核指标")

    def __str__(self):
        return self.name


class PlanTarget(models.Model):
    """A target for one org level; for institutions optionally for one institution type only (it wins
    over the general institution target). Rates are stored as fractions (0.95)."""

    item = models.ForeignKey(PlanItem, on_delete=models.CASCADE, related_name="targets")
    level = models.CharField(_("层级"), max_length=16, choices=Level.choices)
    institution_type = models.CharField(_("机构类别"), max_length=32, choices=InstitutionType.choices, blank=True)
    target = models.DecimalField(_("目标值"), max_digits=14, decimal_places=4)
    floor = models.DecimalField(_("底线值"), max_digits=14, decimal_places=4, null=True, blank=True)

    class Meta:
        ordering = ["item", "level", "institution_type"]
        constraints = [models.UniqueConstraint(fields=["item", "level", "institution_type"],
                                               name="targets_target_once")]
        verbose_name = _("目标值")

    def __str__(self):
        return f"{self.item} {self.level} {self.institution_type} {self.target}"


class Assessment(TimeStampedModel):
    """One computation of a frozen plan: what every unit counted and scored on `as_of`."""

    plan = models.ForeignKey(WorkPlan, on_delete=models.PROTECT, related_name="assessments")
    as_of = models.DateField(_("数据截至"))
    computed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    seconds = models.DecimalField(_("用时（秒）"), max_digits=8, decimal_places=2, default=0)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("考核结果")

    def __str__(self):
        return f"{self.plan} @ {self.as_of}"


class AssessmentValue(models.Model):
    """One unit's value and score on one item (a unit: the city, a district or an institution)."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="values")
    item = models.ForeignKey(PlanItem, on_delete=models.PROTECT, related_name="+")
    level = models.CharField(max_length=16, choices=Level.choices)
    district_code = models.CharField(max_length=12, blank=True)  # the unit's district ("" for the city)
    institution = models.ForeignKey(Institution, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    unit_name = models.CharField(max_length=128)
    numerator = models.DecimalField(max_digits=16, decimal_places=4)
    denominator = models.DecimalField(max_digits=16, decimal_places=4)
    actual = models.DecimalField(max_digits=16, decimal_places=4, null=True)
    target = models.DecimalField(max_digits=14, decimal_places=4, null=True)
    floor = models.DecimalField(max_digits=14, decimal_places=4, null=True)
    score = models.DecimalField(max_digits=8, decimal_places=2, null=True)
    rag = models.CharField(max_length=8, choices=Rag.choices)

    class Meta:
        indexes = [models.Index(fields=["assessment", "level", "district_code"], name="targets_value_unit")]

    def __str__(self):
        return f"{self.unit_name} {self.item_id} {self.actual}"


class AssessmentTotal(models.Model):
    """One unit's composite score (out of 100) and its rank among the units of its level."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="totals")
    level = models.CharField(max_length=16, choices=Level.choices)
    district_code = models.CharField(max_length=12, blank=True)
    institution = models.ForeignKey(Institution, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    unit_name = models.CharField(max_length=128)
    score = models.DecimalField(max_digits=8, decimal_places=2, null=True)
    rank = models.PositiveIntegerField(null=True)
    rag = models.CharField(max_length=8, choices=Rag.choices)
    items_met = models.PositiveSmallIntegerField(default=0)
    items_scored = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["level", "rank", "unit_name"]
        indexes = [models.Index(fields=["assessment", "level", "district_code"], name="targets_total_unit")]

    def __str__(self):
        return f"{self.unit_name} {self.score}"


class ReportText(TimeStampedModel):
    """An editable narrative block of a plan's annual summary (the figures always come from data)."""

    class Block(models.TextChoices):
        OPENING = "opening", _("总体情况（开篇）")
        HIGHLIGHTS = "highlights", _("主要工作与亮点")
        NEXT_YEAR = "next_year", _("存在问题与下一步工作")

    plan = models.ForeignKey(WorkPlan, on_delete=models.CASCADE, related_name="report_texts")
    block = models.CharField(_("段落"), max_length=16, choices=Block.choices)
    text = models.TextField(_("内容"), blank=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["plan", "block"], name="targets_report_text_once")]
        verbose_name = _("总结报告段落")

    def __str__(self):
        return f"{self.plan_id} {self.block}"
