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
    # The application (municipal projects); national/provincial lists fill only the fields above.
    lead_teacher = models.CharField("项目负责人", max_length=64, blank=True)
    # The lead as a worker record when he is one of the city's: research integrity sanctions bar him from
    # hosting (科研诚信：禁止主办继续医学教育项目) while they last.
    lead_worker = models.ForeignKey("workforce.Worker", verbose_name="项目负责人（本市人员）", null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    audience = models.CharField("教学对象", max_length=200, blank=True)
    schedule = models.TextField("日程安排", blank=True)
    budget = models.DecimalField("经费预算（元）", max_digits=12, decimal_places=2, null=True, blank=True)
    expected_attendees = models.PositiveIntegerField("拟招收学员数", null=True, blank=True)
    applied_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="申报人", null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    filed_on = models.DateField("备案日期", null=True, blank=True)
    # The execution report (执行情况报告), due a configurable number of days after the end date.
    reported_on = models.DateField("执行情况报告日期", null=True, blank=True)
    held_from = models.DateField("实际开始日期", null=True, blank=True)
    held_to = models.DateField("实际结束日期", null=True, blank=True)
    attendee_count = models.PositiveIntegerField("实际参加人数", null=True, blank=True)
    # Attendees from outside the city: the work plans want national/provincial projects to draw them.
    out_of_city_count = models.PositiveIntegerField("市外学员人数", null=True, blank=True)
    teachers = models.CharField("授课教师", max_length=500, blank=True)
    report_summary = models.TextField("执行情况总结", blank=True)

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


class AttendanceMethod(models.TextChoices):
    SIGN_IN_SHEET = "sheet", "签到表导入"
    QR_CHECK_IN = "qr", "扫码签到"
    MANUAL = "manual", "手工登记"


class Attendance(TimeStampedModel):
    project = models.ForeignKey(CmeProject, verbose_name="项目", on_delete=models.PROTECT, related_name="attendances")
    worker = models.ForeignKey("workforce.Worker", verbose_name="人员", on_delete=models.PROTECT,
                               related_name="cme_attendances")
    attended_on = models.DateField("参加日期")
    method = models.CharField("登记方式", max_length=8, choices=AttendanceMethod.choices,
                              default=AttendanceMethod.MANUAL)

    class Meta:
        ordering = ["project", "worker"]
        verbose_name = "项目参加记录"
        constraints = [models.UniqueConstraint(fields=["project", "worker"], name="cme_attendance_once")]


class VerificationStage(models.TextChoices):
    """Where a pending self-reported record stands in the chain department → institution → commission."""

    DEPARTMENT = "department", "科室审核"
    INSTITUTION = "institution", "单位审核"
    COMMISSION = "commission", "卫健委审核"
    DONE = "done", "审核完成"


class CreditRule(models.TextChoices):
    PER_UNIT = "per_unit", "按数量计分"
    FIXED = "fixed", "每项固定学分"


class ActivityType(TimeStampedModel):
    """The configurable catalogue of class II (and other self-reported) activities and their credit rules,
    e.g. 发表论文（核心期刊）: 10 credits per paper, at most 20 a year."""

    code = models.CharField("代码", max_length=32, unique=True)
    name = models.CharField("活动名称", max_length=100)
    credit_class = models.CharField("学分类别", max_length=2, choices=CreditClass.choices, default=CreditClass.II)
    category = models.CharField("学分来源类别", max_length=16, choices=CreditCategory.choices)
    rule = models.CharField("计分规则", max_length=16, choices=CreditRule.choices, default=CreditRule.PER_UNIT)
    unit = models.CharField("计量单位", max_length=16, blank=True)  # 篇, 学时, 次 ...
    credits_per_unit = models.DecimalField("每单位学分", **CREDITS, validators=POSITIVE)
    max_per_year = models.DecimalField("每年最高学分", **CREDITS, null=True, blank=True)
    is_remote = models.BooleanField("远程学分", default=False)
    needs_evidence = models.BooleanField("须上传证明材料", default=True)
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = "学分活动类别"
        constraints = [models.CheckConstraint(condition=Q(credits_per_unit__gt=0), name="cme_activity_credits_positive")]

    def __str__(self):
        return self.name


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
    # The nullable links are indexed only where set (see Meta): an imported record skips those indexes.
    project = models.ForeignKey(CmeProject, verbose_name="项目", null=True, blank=True, on_delete=models.PROTECT,
                                related_name="credit_records", db_index=False)
    earned_on = models.DateField("获得日期")
    is_remote = models.BooleanField("远程学分", default=False)
    title = models.CharField("内容", max_length=200, blank=True)
    source = models.CharField("来源", max_length=16, choices=CreditSource.choices)
    # e.g. "project:<id>" for attendance, the platform's record id for imports; empty for self-reports.
    external_ref = models.CharField("外部编号", max_length=64, blank=True)
    status = models.CharField("审核状态", max_length=16, choices=Verification.choices, default=Verification.PENDING)
    stage = models.CharField("审核环节", max_length=16, choices=VerificationStage.choices,
                             default=VerificationStage.DONE)
    activity_type = models.ForeignKey(ActivityType, verbose_name="活动类别", null=True, blank=True,
                                      on_delete=models.PROTECT, related_name="credit_records", db_index=False)
    quantity = models.DecimalField("数量", max_digits=8, decimal_places=1, null=True, blank=True)
    # No database constraint (as AuditEvent.actor): an import names its uploader on every row it writes,
    # and the per-row check of that one user row was a sixth of the import's time. Accounts are never
    # deleted, only deactivated, and PROTECT still guards deletes made through the ORM.
    verified_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="审核人", null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+", db_index=False,
                                    db_constraint=False)
    verified_at = models.DateTimeField("审核时间", null=True, blank=True)

    class Meta:
        ordering = ["-earned_on", "id"]
        verbose_name = "学分记录"
        indexes = [
            # Covers the yearly per-worker sums, so SQLite answers them from the index alone.
            models.Index(fields=["year", "status", "worker", "credit_class", "is_remote", "credits"],
                         name="cme_credit_year_cover"),
            # Only pending records are looked up by stage (the review queues): a partial index stays small.
            models.Index(fields=["stage"], condition=Q(status="pending"), name="cme_credit_pending"),
            models.Index(fields=["project"], condition=Q(project__isnull=False), name="cme_credit_project"),
            models.Index(fields=["activity_type", "worker"], condition=Q(activity_type__isnull=False),
                         name="cme_credit_activity"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(credits__gt=0), name="cme_credit_positive"),
            # Re-importing a file or re-recording an attendance finds the same row.
            # Source and reference first: an import looks up a batch of platform record numbers at once.
            models.UniqueConstraint(fields=["source", "external_ref", "worker"], condition=~Q(external_ref=""),
                                    name="cme_credit_natural_key"),
        ]


class CreditEvidence(TimeStampedModel):
    """A file proving a self-reported credit (certificate, paper, lecture notice). Stored encrypted."""

    record = models.ForeignKey(CreditRecord, verbose_name="学分记录", on_delete=models.CASCADE,
                               related_name="evidence")
    file = models.FileField("文件", upload_to="cme/evidence/%Y/%m/")
    original_name = models.CharField("文件名", max_length=200)
    content_type = models.CharField("文件类型", max_length=100)
    size = models.PositiveIntegerField("大小（字节）")
    sha256 = models.CharField("SHA-256", max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="上传人", on_delete=models.PROTECT,
                                    related_name="+")

    class Meta:
        ordering = ["record", "id"]
        verbose_name = "学分证明材料"
        constraints = [models.UniqueConstraint(fields=["record", "sha256"], name="cme_evidence_once")]


class ReviewDecision(models.TextChoices):
    APPROVE = "approve", "通过"
    REJECT = "reject", "退回"


class CreditReview(TimeStampedModel):
    """One step of the verification chain, kept so the transcript can show who checked what."""

    record = models.ForeignKey(CreditRecord, verbose_name="学分记录", on_delete=models.CASCADE,
                               related_name="reviews")
    stage = models.CharField("审核环节", max_length=16, choices=VerificationStage.choices)
    decision = models.CharField("审核结果", max_length=8, choices=ReviewDecision.choices)
    comment = models.CharField("审核意见", max_length=500, blank=True)
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="审核人", on_delete=models.PROTECT,
                                 related_name="+")

    class Meta:
        ordering = ["record", "id"]
        verbose_name = "学分审核记录"


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
    status = models.CharField("审批状态", max_length=16, choices=Verification.choices, default=Verification.PENDING)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="申请人", null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    decision_reason = models.CharField("审批意见", max_length=200, blank=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="审批人", null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    approved_at = models.DateTimeField("审批时间", null=True, blank=True)

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


class CycleCertification(TimeStampedModel):
    """A worker's certification for a multi-year cycle (e.g. 2022–2026): every year of the cycle audited
    and passed (or exempt). Written by `cycle_certify_run`; re-running replaces it."""

    worker = models.ForeignKey("workforce.Worker", verbose_name="人员", on_delete=models.PROTECT,
                               related_name="cme_cycles")
    first_year = models.PositiveSmallIntegerField("周期起始年度")
    last_year = models.PositiveSmallIntegerField("周期结束年度")
    institution = models.ForeignKey("orgs.Institution", verbose_name="所在机构", on_delete=models.PROTECT,
                                    related_name="+")
    passed = models.BooleanField("合格")
    years_passed = models.PositiveSmallIntegerField("达标年数")
    counted_total = models.DecimalField("周期计入总学分", **CREDITS)
    reason = models.CharField("结论说明", max_length=255)

    class Meta:
        ordering = ["-last_year", "worker"]
        verbose_name = "周期验证"
        constraints = [models.UniqueConstraint(fields=["worker", "first_year"], name="cme_cycle_once"),
                       models.CheckConstraint(condition=Q(last_year__gte=models.F("first_year")),
                                              name="cme_cycle_years")]


class CmePolicy(TimeStampedModel):
    """The year's deadlines and rates, set by the commission. A year without a row uses the defaults."""

    year = models.PositiveSmallIntegerField("年度", unique=True)
    filing_days_before = models.PositiveSmallIntegerField("举办前备案天数", default=15)
    report_days_after = models.PositiveSmallIntegerField("结束后报告天数", default=30)
    spot_check_rate = models.DecimalField("抽查比例", max_digits=4, decimal_places=3, default=Decimal("0.150"))
    cycle_years = models.PositiveSmallIntegerField("验证周期（年）", default=5)

    class Meta:
        ordering = ["-year"]
        verbose_name = "继续医学教育年度参数"
        constraints = [models.CheckConstraint(condition=Q(spot_check_rate__gt=0, spot_check_rate__lte=1),
                                              name="cme_policy_rate")]


class CheckInWindow(TimeStampedModel):
    """A session's QR check-in: the page behind `token` accepts check-ins between opens_at and closes_at."""

    project = models.ForeignKey(CmeProject, verbose_name="项目", on_delete=models.PROTECT,
                                related_name="checkin_windows")
    session_label = models.CharField("场次", max_length=64, blank=True)
    opens_at = models.DateTimeField("签到开始")
    closes_at = models.DateTimeField("签到截止")
    token = models.CharField("签到码", max_length=43, unique=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="创建人", on_delete=models.PROTECT,
                                   related_name="+")

    class Meta:
        ordering = ["-opens_at"]
        verbose_name = "扫码签到场次"
        constraints = [models.CheckConstraint(condition=Q(closes_at__gt=models.F("opens_at")),
                                              name="cme_checkin_window")]


class SpotCheckDraw(TimeStampedModel):
    """One reproducible sample of held projects: the same period, rate, seed and weighting draw the same
    projects again, so anyone can verify the sample was not hand-picked."""

    name = models.CharField("抽查批次", max_length=100)
    period_start = models.DateField("期间起")
    period_end = models.DateField("期间止")
    rate = models.DecimalField("抽查比例", max_digits=4, decimal_places=3)
    seed = models.BigIntegerField("随机种子")
    risk_weighted = models.BooleanField("按风险加权", default=False)
    population = models.PositiveIntegerField("应抽项目数")
    drawn_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="抽取人", on_delete=models.PROTECT,
                                 related_name="+")

    class Meta:
        ordering = ["-period_end", "-id"]
        verbose_name = "项目抽查批次"


class SpotCheckResult(models.TextChoices):
    PENDING = "pending", "待检查"
    COMPLIANT = "compliant", "合格"
    MINOR = "minor", "基本合格"
    SERIOUS = "serious", "不合格"


class SpotCheckItem(TimeStampedModel):
    draw = models.ForeignKey(SpotCheckDraw, verbose_name="抽查批次", on_delete=models.CASCADE, related_name="items")
    project = models.ForeignKey(CmeProject, verbose_name="项目", on_delete=models.PROTECT,
                                related_name="spot_checks")
    stratum = models.CharField("分层", max_length=64)  # "<level>|<district code>"
    risk_weight = models.DecimalField("风险权重", max_digits=4, decimal_places=2, default=Decimal("1.00"))
    result = models.CharField("检查结论", max_length=16, choices=SpotCheckResult.choices,
                              default=SpotCheckResult.PENDING)
    findings = models.TextField("检查发现", blank=True)
    inspector = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="检查人", null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+")
    inspected_on = models.DateField("检查日期", null=True, blank=True)

    class Meta:
        ordering = ["draw", "stratum", "project"]
        verbose_name = "项目抽查记录"
        constraints = [models.UniqueConstraint(fields=["draw", "project"], name="cme_spot_check_once")]
