"""CME data: projects, attendance, the credit ledger, yearly requirements, exemptions, audit results.

Labels are plain Chinese until the CME pages add them to the translation catalogue.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q

from weijian.core.models import TimeStampedModel
from weijian.workforce.models import Profession, TitleLevel


class ProjectLevel(models.TextChoices):
    NATIONAL = "national", "国家级"
    PROVINCIAL = "provincial", "省级"
    MUNICIPAL = "municipal", "市级"


class Delivery(models.TextChoices):
    FACE_TO_FACE = "face_to_face", "面授"
    REMOTE = "remote", "远程"


class ProjectStatus(models.TextChoices):
    DRAFT = "draft", "申报中"
    ENDORSED = "endorsed", "单位已推荐"
    APPROVED = "approved", "已批准"
    REJECTED = "rejected", "未批准"
    HELD = "held", "已举办"
    CANCELLED = "cancelled", "已取消"


# Projects in the published catalogue: anyone in the business roles may see them and attend them.
PUBLISHED = (ProjectStatus.APPROVED, ProjectStatus.HELD)


class CreditClass(models.TextChoices):
    I = "I", "I类"  # noqa: E741 -- the official name of the class
    II = "II", "II类"


class CreditCategory(models.TextChoices):
    PROJECT = "project", "项目学分"
    SELF_STUDY = "self_study", "自学"
    PAPER = "paper", "发表论文"
    LECTURE = "lecture", "授课"
    REMOTE = "remote", "远程教育"
    OTHER = "other", "其他"


class Verification(models.TextChoices):
    PENDING = "pending", "待审核"
    VERIFIED = "verified", "已审核"
    REJECTED = "rejected", "未通过"


class TitleGroup(models.TextChoices):
    """The two groups the work plans set compliance targets for."""

    INTERMEDIATE_AND_ABOVE = "intermediate_and_above", "中级及以上"
    JUNIOR_AND_BELOW = "junior_and_below", "初级及以下"


SENIOR_TITLES = (TitleLevel.INTERMEDIATE, TitleLevel.ASSOCIATE_SENIOR, TitleLevel.SENIOR)


def title_group_of(title_level: str) -> str:
    return TitleGroup.INTERMEDIATE_AND_ABOVE if title_level in SENIOR_TITLES else TitleGroup.JUNIOR_AND_BELOW


CREDITS = dict(max_digits=6, decimal_places=1)
POSITIVE = [MinValueValidator(Decimal("0.1"))]


class CmeProject(TimeStampedModel):
    number = models.CharField("项目编号", max_length=32, unique=True)
    name = models.CharField("项目名称", max_length=200)
    level = models.CharField("项目级别", max_length=16, choices=ProjectLevel.choices)
    host = models.ForeignKey("orgs.Institution", verbose_name="主办机构", on_delete=models.PROTECT,
                             related_name="cme_projects")
    discipline = models.CharField("学科", max_length=64, blank=True)
    credits = models.DecimalField("学分", **CREDITS, validators=POSITIVE)
    credit_class = models.CharField("学分类别", max_length=2, choices=CreditClass.choices, default=CreditClass.I)
    delivery = models.CharField("举办方式", max_length=16, choices=Delivery.choices, default=Delivery.FACE_TO_FACE)
    start_date = models.DateField("开始日期")
    end_date = models.DateField("结束日期")
    status = models.CharField("状态", max_length=16, choices=ProjectStatus.choices, default=ProjectStatus.DRAFT)
    decision_reason = models.CharField("审核意见", max_length=500, blank=True)
    filed_on = models.DateField("备案日期", null=True, blank=True)
    reported_on = models.DateField("执行情况报告日期", null=True, blank=True)

    class Meta:
        ordering = ["-start_date", "number"]
        verbose_name = "继续医学教育项目"
        indexes = [models.Index(fields=["status", "start_date"])]
        constraints = [
            models.CheckConstraint(condition=Q(credits__gt=0), name="cme_project_credits_positive"),
            models.CheckConstraint(condition=Q(end_date__gte=models.F("start_date")), name="cme_project_dates"),
        ]

    def __str__(self):
        return f"{self.number} {self.name}"


class Attendance(TimeStampedModel):
    project = models.ForeignKey(CmeProject, verbose_name="项目", on_delete=models.PROTECT, related_name="attendances")
    worker = models.ForeignKey("workforce.Worker", verbose_name="人员", on_delete=models.PROTECT,
                               related_name="cme_attendances")
    attended_on = models.DateField("参加日期")

    class Meta:
        ordering = ["project", "worker"]
        verbose_name = "项目参加记录"
        constraints = [models.UniqueConstraint(fields=["project", "worker"], name="cme_attendance_once")]


class CreditSource(models.TextChoices):
    """Where a credit record came from; with `external_ref` it is the natural key of imports."""

    ATTENDANCE = "attendance", "项目参加"
    SELF_REPORTED = "self", "个人申报"
    IMPORT = "import", "批量导入"


class CreditRecord(TimeStampedModel):
    worker = models.ForeignKey("workforce.Worker", verbose_name="人员", on_delete=models.PROTECT,
                               related_name="cme_credits")
    year = models.PositiveSmallIntegerField("年度")
    credit_class = models.CharField("学分类别", max_length=2, choices=CreditClass.choices)
    category = models.CharField("学分来源类别", max_length=16, choices=CreditCategory.choices)
    credits = models.DecimalField("学分", **CREDITS, validators=POSITIVE)
    project = models.ForeignKey(CmeProject, verbose_name="项目", null=True, blank=True, on_delete=models.PROTECT,
                                related_name="credit_records")
    earned_on = models.DateField("获得日期")
    is_remote = models.BooleanField("远程学分", default=False)
    title = models.CharField("内容", max_length=200, blank=True)
    source = models.CharField("来源", max_length=16, choices=CreditSource.choices)
    # e.g. "project:<id>" for attendance, the platform's record id for imports; empty for self-reports.
    external_ref = models.CharField("外部编号", max_length=64, blank=True)
    status = models.CharField("审核状态", max_length=16, choices=Verification.choices, default=Verification.PENDING)
    verified_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="审核人", null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    verified_at = models.DateTimeField("审核时间", null=True, blank=True)

    class Meta:
        ordering = ["-earned_on", "id"]
        verbose_name = "学分记录"
        indexes = [models.Index(fields=["year", "status", "worker"])]
        constraints = [
            models.CheckConstraint(condition=Q(credits__gt=0), name="cme_credit_positive"),
            # Re-importing a file or re-recording an attendance finds the same row.
            models.UniqueConstraint(fields=["worker", "source", "external_ref"], condition=~Q(external_ref=""),
                                    name="cme_credit_natural_key"),
        ]


class CreditRequirement(TimeStampedModel):
    """The yearly requirement of one professional group. An empty profession applies to every
    profession that has no row of its own."""

    year = models.PositiveSmallIntegerField("年度")
    profession = models.CharField("职业类别", max_length=16, choices=Profession.choices, blank=True)
    title_group = models.CharField("职称组", max_length=32, choices=TitleGroup.choices)
    total = models.DecimalField("总学分", **CREDITS)
    min_class_i = models.DecimalField("I类最低学分", **CREDITS)
    min_class_ii = models.DecimalField("II类最低学分", **CREDITS)
    remote_cap = models.DecimalField("远程学分计入上限", **CREDITS)

    class Meta:
        ordering = ["-year", "title_group", "profession"]
        verbose_name = "年度学分要求"
        constraints = [models.UniqueConstraint(fields=["year", "profession", "title_group"],
                                               name="cme_requirement_once")]


class Exemption(TimeStampedModel):
    worker = models.ForeignKey("workforce.Worker", verbose_name="人员", on_delete=models.PROTECT,
                               related_name="cme_exemptions")
    year = models.PositiveSmallIntegerField("年度")
    reason = models.CharField("豁免理由", max_length=200)
    approved = models.BooleanField("已批准", default=False)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="批准人", null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    approved_at = models.DateTimeField("批准时间", null=True, blank=True)

    class Meta:
        ordering = ["-year", "worker"]
        verbose_name = "学分豁免"
        constraints = [models.UniqueConstraint(fields=["worker", "year"], name="cme_exemption_once")]


class AnnualAudit(TimeStampedModel):
    """One worker's audit result for a year, written by `annual_audit_run` (re-running replaces it)."""

    worker = models.ForeignKey("workforce.Worker", verbose_name="人员", on_delete=models.PROTECT,
                               related_name="cme_audits")
    year = models.PositiveSmallIntegerField("年度")
    # Where the worker was when audited, so last year's results stay put when people move.
    institution = models.ForeignKey("orgs.Institution", verbose_name="所在机构", on_delete=models.PROTECT,
                                    related_name="+")
    title_group = models.CharField("职称组", max_length=32, choices=TitleGroup.choices)
    passed = models.BooleanField("达标")
    exempt = models.BooleanField("豁免", default=False)
    counted_total = models.DecimalField("计入总学分", **CREDITS)
    class_i = models.DecimalField("计入I类学分", **CREDITS)
    class_ii = models.DecimalField("计入II类学分", **CREDITS)
    remote_counted = models.DecimalField("计入远程学分", **CREDITS)
    shortfall = models.DecimalField("差额", **CREDITS)
    reason = models.CharField("结论说明", max_length=255)

    class Meta:
        ordering = ["-year", "worker"]
        verbose_name = "年度学分审验"
        indexes = [models.Index(fields=["year", "institution", "passed"])]
        constraints = [models.UniqueConstraint(fields=["worker", "year"], name="cme_audit_once")]
