"""Research project data: calls, applications with their team and history, the expert pool, review
assignments and scores, ethics committees with their submissions, meetings and approvals, and integrity
sanctions.

The rules that judge them (eligibility, sanctions, scores, closure) are pure functions in rules.py;
expert assignment is assignment.py. Verbose names and choice labels are Chinese source strings in the
translation catalogue (gettext_lazy), so they follow the user's language.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from weijian.core.models import TimeStampedModel
from weijian.workforce.models import Sex, TitleLevel

MONEY = {"max_digits": 12, "decimal_places": 2, "validators": [MinValueValidator(Decimal("0"))]}


class CallCategory(models.TextChoices):
    MAJOR = "major", _("重大项目")
    GENERAL = "general", _("一般项目")
    YOUTH = "youth", _("青年项目")
    JOINT = "joint", _("联合攻关项目")
    APPROPRIATE_TECH = "appropriate_tech", _("适宜技术推广项目")
    RECOMMENDATION = "recommendation", _("省级、国家级推荐项目")


class CallStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    OPEN = "open", _("已发布")
    CLOSED = "closed", _("已截止")


class Call(TimeStampedModel):
    """A call for applications (申报通知/指南) with the rules checked when an application is submitted."""

    year = models.PositiveSmallIntegerField(_("年度"))
    title = models.CharField(_("通知标题"), max_length=200)
    category = models.CharField(_("项目类别"), max_length=24, choices=CallCategory.choices)
    priority_fields = models.JSONField(_("优先领域"), default=list, blank=True)
    budget_ceiling = models.DecimalField(_("单项资助上限（万元）"), **MONEY)
    opens_on = models.DateField(_("申报开始"))
    closes_on = models.DateField(_("申报截止"))
    min_title_level = models.CharField(_("最低职称"), max_length=24, choices=TitleLevel.choices, blank=True)
    youth_age_limit = models.PositiveSmallIntegerField(_("青年项目年龄上限"), null=True, blank=True)
    institution_quota = models.PositiveSmallIntegerField(_("每单位限报（项）"), null=True, blank=True)
    required_attachments = models.JSONField(_("必需附件"), default=list, blank=True)
    experts_per_application = models.PositiveSmallIntegerField(_("每项评审专家数"), default=5)
    status = models.CharField(_("状态"), max_length=16, choices=CallStatus.choices, default=CallStatus.DRAFT)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("发布人"), on_delete=models.PROTECT,
                                   related_name="+")

    class Meta:
        ordering = ["-year", "-opens_on", "id"]
        verbose_name = _("申报通知")
        constraints = [models.CheckConstraint(condition=Q(closes_on__gte=models.F("opens_on")),
                                              name="research_call_dates")]

    def __str__(self) -> str:
        return self.title


class ApplicationStatus(models.TextChoices):
    DRAFT = "draft", _("填写中")
    SUBMITTED = "submitted", _("待单位审核")
    RETURNED = "returned", _("退回修改")
    ENDORSED = "endorsed", _("单位已推荐")
    IN_REVIEW = "in_review", _("专家评审中")
    APPROVED = "approved", _("已立项")
    REJECTED = "rejected", _("未立项")
    WITHDRAWN = "withdrawn", _("已撤回")
    EXECUTING = "executing", _("执行中")
    CLOSED = "closed", _("已结题")
    TERMINATED = "terminated", _("已终止")


# The PI may edit only these; everything later is the institution's and the commission's.
EDITABLE = (ApplicationStatus.DRAFT, ApplicationStatus.RETURNED)
# Funded projects: approved, then executing under a task agreement, until closed or terminated.
FUNDED = (ApplicationStatus.APPROVED, ApplicationStatus.EXECUTING, ApplicationStatus.CLOSED,
          ApplicationStatus.TERMINATED)
# The commission's own projects: those of recommendation calls are recommended upwards and run under the
# programme that funds them (recommendations.py), not under the commission's agreements and closure.
OWN_PROJECTS = ~Q(call__category=CallCategory.RECOMMENDATION)


class ExternalLevel(models.TextChoices):
    PROVINCIAL = "provincial", pgettext_lazy("project level", "省级")
    NATIONAL = "national", _("国家级")


class ExternalResult(models.TextChoices):
    WON = "won", _("获批立项")
    NOT_WON = "not_won", _("未获立项")


class Application(TimeStampedModel):
    call = models.ForeignKey(Call, verbose_name=_("申报通知"), on_delete=models.PROTECT, related_name="applications")
    number = models.CharField(_("申报编号"), max_length=32, unique=True)
    title = models.CharField(_("项目名称"), max_length=200)
    specialty = models.CharField(_("学科专业"), max_length=64)
    pi = models.ForeignKey("workforce.Worker", verbose_name=pgettext_lazy("research", "项目负责人"), on_delete=models.PROTECT,
                           related_name="research_applications")
    institution = models.ForeignKey("orgs.Institution", verbose_name=_("申报单位"), on_delete=models.PROTECT,
                                    related_name="research_applications")
    status = models.CharField(_("状态"), max_length=16, choices=ApplicationStatus.choices,
                              default=ApplicationStatus.DRAFT)
    version = models.PositiveSmallIntegerField(_("版本"), default=1)
    summary = models.TextField(_("研究内容摘要"), blank=True)
    plan = models.TextField(_("研究计划与进度"), blank=True)
    expected_outputs = models.TextField(_("预期成果"), blank=True)
    budget_total = models.DecimalField(_("申请经费（万元）"), **MONEY, default=Decimal("0"))
    # {head: "amount"} by the heads of completeness.BUDGET_HEADS; budget_total is their sum once given.
    budget_lines = models.JSONField(_("经费预算明细"), default=dict, blank=True)
    milestones = models.JSONField(_("进度安排"), default=list, blank=True)  # [{"due": "YYYY-MM-DD", "goal": …}]
    human_subjects = models.BooleanField(_("涉及人体研究"), default=False)
    human_genetic_resources = models.BooleanField(_("涉及人类遗传资源"), default=False)
    pathogens = models.BooleanField(_("涉及病原微生物"), default=False)
    # What the flags above require before approval: the HGR licence or filing (人类遗传资源行政许可/备案)
    # and the pathogen lab's biosafety filing (病原微生物实验室备案).
    hgr_reference = models.CharField(_("人类遗传资源许可/备案号"), max_length=64, blank=True)
    biosafety_reference = models.CharField(_("生物安全实验室备案号"), max_length=64, blank=True)
    integrity_signed_at = models.DateTimeField(_("签署诚信承诺"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    score = models.DecimalField(_("评审得分"), max_digits=6, decimal_places=2, null=True, blank=True)
    funded_amount = models.DecimalField(_("资助金额（万元）"), max_digits=12, decimal_places=2, null=True, blank=True)
    decided_at = models.DateTimeField(_("立项决定时间"), null=True, blank=True)
    # Recommendation calls (省级、国家级推荐项目): what the province or the nation decided on a project the
    # commission recommended; "won" counts towards the provincial-and-above indicator.
    external_level = models.CharField(_("上级项目级别"), max_length=16, choices=ExternalLevel.choices, blank=True)
    external_result = models.CharField(_("上级评审结果"), max_length=16, choices=ExternalResult.choices, blank=True)
    external_funding = models.DecimalField(_("上级资助金额（万元）"), max_digits=12, decimal_places=2, null=True,
                                           blank=True)
    external_decided_on = models.DateField(_("上级立项日期"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "id"]
        verbose_name = _("项目申报书")
        indexes = [models.Index(fields=["call", "status"], name="research_app_call_status"),
                   models.Index(fields=["institution", "status"], name="research_app_inst_status")]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"


class TeamRole(models.TextChoices):
    CO_PI = "co_pi", _("共同负责人")
    MEMBER = "member", _("主要成员")
    STUDENT = "student", _("研究生")


class TeamMember(models.Model):
    application = models.ForeignKey(Application, verbose_name=_("申报书"), on_delete=models.CASCADE,
                                    related_name="team")
    worker = models.ForeignKey("workforce.Worker", verbose_name=_("成员"), on_delete=models.PROTECT,
                               related_name="research_teams")
    role = models.CharField(_("角色"), max_length=16, choices=TeamRole.choices, default=TeamRole.MEMBER)

    class Meta:
        verbose_name = _("团队成员")
        constraints = [models.UniqueConstraint(fields=["application", "worker"], name="research_team_once")]

    def __str__(self) -> str:
        return f"{self.worker_id}（{self.get_role_display()}）"


class ApplicationAttachment(TimeStampedModel):
    """A file of an application (申报附件): one the call requires, or another. Stored encrypted."""

    application = models.ForeignKey(Application, verbose_name=_("申报书"), on_delete=models.CASCADE,
                                    related_name="attachments")
    kind = models.CharField(_("附件类别"), max_length=100)
    file = models.FileField(_("文件"), upload_to="research/attachments/%Y/%m/")
    original_name = models.CharField(_("文件名"), max_length=200)
    content_type = models.CharField(_("文件类型"), max_length=100)
    size = models.PositiveIntegerField(_("大小（字节）"))
    sha256 = models.CharField("SHA-256", max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("上传人"), on_delete=models.PROTECT,
                                    related_name="+")

    class Meta:
        ordering = ["application", "id"]
        verbose_name = _("申报附件")
        constraints = [models.UniqueConstraint(fields=["application", "sha256"], name="research_attachment_once")]

    def __str__(self) -> str:
        return self.original_name


class ApplicationEvent(models.Model):
    """The history of an application: each step with its comment and, on submission, a snapshot of
    the form as submitted (a returned application keeps what it was)."""

    application = models.ForeignKey(Application, verbose_name=_("申报书"), on_delete=models.CASCADE,
                                    related_name="events")
    version = models.PositiveSmallIntegerField(_("版本"))
    action = models.CharField(_("操作"), max_length=16)
    comment = models.TextField(_("意见"), blank=True)
    snapshot = models.JSONField(_("提交内容"), null=True, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("操作人"), on_delete=models.PROTECT,
                              related_name="+")
    at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("申报记录")

    def __str__(self) -> str:
        return f"{self.application_id} v{self.version} {self.action}"


class Expert(TimeStampedModel):
    """A reviewer in the commission's pool: a health worker of the city or an outside expert."""

    name = models.CharField(_("姓名"), max_length=64)
    user = models.OneToOneField(settings.AUTH_USER_MODEL, verbose_name=_("登录账号"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="expert_profile")
    worker = models.ForeignKey("workforce.Worker", verbose_name=_("对应卫生人员"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="+")
    institution = models.ForeignKey("orgs.Institution", verbose_name=_("所在单位（本市）"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    affiliation = models.CharField(_("所在单位"), max_length=200, blank=True)
    title_level = models.CharField(_("职称"), max_length=24, choices=TitleLevel.choices, default=TitleLevel.SENIOR)
    specialties = models.JSONField(_("专业领域"), default=list)
    load_cap = models.PositiveSmallIntegerField(_("每轮评审上限（项）"), default=10)
    is_active = models.BooleanField(_("可参加评审"), default=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("评审专家")

    def __str__(self) -> str:
        return self.name


class ExpertConflict(models.Model):
    """A conflict an expert declared for one application (本人申报回避)."""

    expert = models.ForeignKey(Expert, verbose_name=_("专家"), on_delete=models.CASCADE, related_name="conflicts")
    application = models.ForeignKey(Application, verbose_name=_("申报书"), on_delete=models.CASCADE,
                                    related_name="declared_conflicts")
    reason = models.CharField(_("原因"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("回避申报")
        constraints = [models.UniqueConstraint(fields=["expert", "application"], name="research_conflict_once")]

    def __str__(self) -> str:
        return f"{self.expert_id} / {self.application_id}"


class AssignmentStatus(models.TextChoices):
    ASSIGNED = "assigned", _("待评审")
    SUBMITTED = "submitted", _("已评审")
    NO_SHOW = "no_show", _("未按时评审")


class ReviewAssignment(TimeStampedModel):
    application = models.ForeignKey(Application, verbose_name=_("申报书"), on_delete=models.CASCADE,
                                    related_name="assignments")
    expert = models.ForeignKey(Expert, verbose_name=_("专家"), on_delete=models.PROTECT, related_name="assignments")
    due_on = models.DateField(_("评审截止"))
    status = models.CharField(_("状态"), max_length=16, choices=AssignmentStatus.choices,
                              default=AssignmentStatus.ASSIGNED)
    scores = models.JSONField(_("分项评分"), null=True, blank=True)
    total = models.DecimalField(_("总分"), max_digits=6, decimal_places=2, null=True, blank=True)
    comment = models.TextField(_("评审意见"), blank=True)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)

    class Meta:
        ordering = ["application_id", "id"]
        verbose_name = _("评审任务")
        constraints = [models.UniqueConstraint(fields=["application", "expert"], name="research_review_once")]


class EthicsDecision(models.TextChoices):
    APPROVED = "approved", _("同意")
    APPROVED_WITH_CHANGES = "approved_with_changes", _("修改后同意")
    REJECTED = "rejected", _("不同意")
    # After a serious adverse event, a deviation or a continuing review (ethics_rules.ALLOWED_DECISIONS).
    SUSPENDED = "suspended", _("暂停已批准的研究")
    TERMINATED = "terminated", _("终止已批准的研究")


class EthicsApproval(TimeStampedModel):
    """An approval in force for an application (伦理审查批件), the row the approval gate of
    `services.application_decide` reads. Written by an ethics committee's decision (`ethics.py`, then
    `submission` says which) or recorded from paper (`services.ethics_approval_record`)."""

    application = models.ForeignKey(Application, verbose_name=_("申报书"), on_delete=models.CASCADE,
                                    related_name="ethics_approvals")
    committee = models.CharField(_("伦理委员会"), max_length=200)
    number = models.CharField(_("批件号"), max_length=64)
    decision = models.CharField(_("审查决定"), max_length=24, choices=EthicsDecision.choices)
    valid_from = models.DateField(_("有效期自"))
    valid_until = models.DateField(_("有效期至"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("登记人"), on_delete=models.PROTECT,
                                    related_name="+")
    submission = models.ForeignKey("EthicsSubmission", verbose_name=_("伦理审查申请"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="approvals")

    class Meta:
        ordering = ["-valid_from", "id"]
        verbose_name = _("伦理审查批件")

    def __str__(self) -> str:
        return self.number


class SanctionKind(models.TextChoices):
    BAN_ALL = "ban_all", _("全部禁止")
    BAN_APPLY = "ban_apply", _("禁止申报")
    BAN_REVIEW = "ban_review", _("取消评审专家资格")
    WARNING = "warning", _("警告")


class IntegrityCase(TimeStampedModel):
    """A research misconduct finding with its sanction (科研失信): while the sanction lasts, the person
    is stopped at every gate it covers (rules.BLOCKS)."""

    worker = models.ForeignKey("workforce.Worker", verbose_name=_("当事人"), on_delete=models.PROTECT,
                               related_name="integrity_cases")
    number = models.CharField(_("案件编号"), max_length=32, unique=True)
    finding = models.TextField(_("认定事实"))
    sanction = models.CharField(_("处理措施"), max_length=16, choices=SanctionKind.choices)
    starts_on = models.DateField(_("惩戒开始"))
    ends_on = models.DateField(_("惩戒结束"), null=True, blank=True)  # empty: indefinite
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("登记人"), on_delete=models.PROTECT,
                                    related_name="+")

    class Meta:
        ordering = ["-starts_on", "id"]
        verbose_name = _("科研失信案件")
        constraints = [models.CheckConstraint(condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                                              name="research_sanction_dates")]


# ---- execution and closure ------------------------------------------------------------------------------

class TaskAgreement(TimeStampedModel):
    """The task agreement (任务书) drawn from an approved application: the project's term and funding.
    Its end date is when the project is due for closure (an approved extension moves it)."""

    application = models.OneToOneField(Application, verbose_name=_("项目"), on_delete=models.CASCADE,
                                       related_name="agreement")
    number = models.CharField(_("任务书编号"), max_length=32, unique=True)
    starts_on = models.DateField(_("执行开始"))
    ends_on = models.DateField(_("执行结束（结题期限）"))
    funding = models.DecimalField(_("资助经费（万元）"), **MONEY)
    milestones = models.JSONField(_("年度目标与考核指标"), default=list, blank=True)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("下达人"), on_delete=models.PROTECT,
                                  related_name="+")

    class Meta:
        verbose_name = _("任务书")
        constraints = [models.CheckConstraint(condition=Q(ends_on__gt=models.F("starts_on")),
                                              name="research_agreement_dates")]

    def __str__(self) -> str:
        return self.number


class MidTermRating(models.TextChoices):
    GOOD = "good", _("良好")
    PASS = "pass", pgettext_lazy("mid-term check", "合格")
    FAIL = "fail", pgettext_lazy("mid-term check", "不合格")


class MidTermCheck(TimeStampedModel):
    application = models.ForeignKey(Application, verbose_name=_("项目"), on_delete=models.CASCADE,
                                    related_name="midterm_checks")
    report = models.TextField(_("中期报告"))
    fund_use = models.DecimalField(_("已使用经费（万元）"), **MONEY)
    rating = models.CharField(_("检查结论"), max_length=8, choices=MidTermRating.choices)
    comment = models.TextField(_("检查意见"), blank=True)
    checked_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("检查人"), on_delete=models.PROTECT,
                                   related_name="+")

    class Meta:
        ordering = ["-created_at", "id"]
        verbose_name = _("中期检查")

    def __str__(self) -> str:
        return f"{self.application_id} {self.get_rating_display()}"


class ChangeKind(models.TextChoices):
    EXTENSION = "extension", _("延期")
    PI_CHANGE = "pi_change", _("变更负责人")
    BUDGET_CHANGE = "budget_change", _("调整预算")
    TERMINATION = "termination", _("终止")


class ChangeStatus(models.TextChoices):
    PENDING = "pending", _("待审批")
    APPROVED = "approved", _("已批准")
    REJECTED = "rejected", _("不批准")


class ProjectChange(TimeStampedModel):
    application = models.ForeignKey(Application, verbose_name=_("项目"), on_delete=models.CASCADE,
                                    related_name="changes")
    kind = models.CharField(_("变更事项"), max_length=16, choices=ChangeKind.choices)
    reason = models.TextField(_("理由"))
    new_ends_on = models.DateField(_("延期至"), null=True, blank=True)
    new_pi = models.ForeignKey("workforce.Worker", verbose_name=_("新负责人"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="+")
    new_funding = models.DecimalField(_("调整后经费（万元）"), max_digits=12, decimal_places=2, null=True, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=ChangeStatus.choices, default=ChangeStatus.PENDING)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("申请人"), on_delete=models.PROTECT,
                                     related_name="+")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("审批人"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    decision_comment = models.TextField(_("审批意见"), blank=True)

    class Meta:
        ordering = ["-created_at", "id"]
        verbose_name = _("项目变更")

    def __str__(self) -> str:
        return f"{self.application_id} {self.get_kind_display()}"


class OutputKind(models.TextChoices):
    PAPER = "paper", _("论文")
    PATENT = "patent", _("专利")
    SOFTWARE = "software", _("软件著作权")
    STANDARD = "standard", _("标准规范")
    AWARD = "award", _("奖励")
    TALENT = "talent", _("人才培养")


class ProjectOutput(TimeStampedModel):
    application = models.ForeignKey(Application, verbose_name=_("项目"), on_delete=models.CASCADE,
                                    related_name="outputs")
    kind = models.CharField(_("成果类型"), max_length=16, choices=OutputKind.choices)
    title = models.CharField(_("名称"), max_length=300)
    reference = models.CharField(_("出处、编号或说明"), max_length=300, blank=True)
    achieved_on = models.DateField(_("取得日期"))

    class Meta:
        ordering = ["achieved_on", "id"]
        verbose_name = _("项目成果")

    def __str__(self) -> str:
        return self.title


class ClosureVerdict(models.TextChoices):
    PASSED = "passed", _("通过验收")
    PASSED_WITH_CONDITIONS = "conditional", _("整改后通过")
    FAILED = "failed", _("不通过")


class Closure(TimeStampedModel):
    """The closure (结题) of a project: the PI's summary, then the expert acceptance's verdict."""

    application = models.OneToOneField(Application, verbose_name=_("项目"), on_delete=models.CASCADE,
                                       related_name="closure")
    summary = models.TextField(_("结题报告"))
    submitted_at = models.DateTimeField(_("提交时间"))
    verdict = models.CharField(_("验收结论"), max_length=16, choices=ClosureVerdict.choices, blank=True)
    verdict_comment = models.TextField(_("验收意见"), blank=True)
    accepted_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("验收登记人"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    closed_on = models.DateField(_("结题日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("结题")

    def __str__(self) -> str:
        return f"{self.application_id} {self.get_verdict_display() or gettext('待验收')}"


# ---- achievements, awards, transfer, appropriate technologies ---------------------------------------------

class AppraisalVerdict(models.TextChoices):
    INTERNATIONAL_LEADING = "intl_leading", _("国际领先")
    INTERNATIONAL_ADVANCED = "intl_advanced", _("国际先进")
    DOMESTIC_LEADING = "domestic_leading", _("国内领先")
    DOMESTIC_ADVANCED = "domestic_advanced", _("国内先进")
    NOT_PASSED = "not_passed", _("未通过鉴定")


class Achievement(TimeStampedModel):
    """A research achievement put up for appraisal (成果鉴定), usually from a project."""

    title = models.CharField(_("成果名称"), max_length=300)
    application = models.ForeignKey(Application, verbose_name=_("来源项目"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="achievements")
    institution = models.ForeignKey("orgs.Institution", verbose_name=_("完成单位"), on_delete=models.PROTECT,
                                    related_name="research_achievements")
    lead = models.ForeignKey("workforce.Worker", verbose_name=_("第一完成人"), on_delete=models.PROTECT,
                             related_name="research_achievements")
    summary = models.TextField(_("成果简介"), blank=True)
    panel = models.JSONField(_("鉴定专家组"), default=list, blank=True)  # names; experts of the pool or outside
    appraised_on = models.DateField(_("鉴定日期"), null=True, blank=True)
    verdict = models.CharField(_("鉴定结论"), max_length=24, choices=AppraisalVerdict.choices, blank=True)

    class Meta:
        ordering = ["-created_at", "id"]
        verbose_name = _("科研成果")

    def __str__(self) -> str:
        return self.title


class AwardLevel(models.TextChoices):
    NATIONAL = "national", _("国家级")
    PROVINCIAL = "provincial", pgettext_lazy("project level", "省级")
    MUNICIPAL = "municipal", _("市级")


class AwardStatus(models.TextChoices):
    NOMINATED = "nominated", _("已推荐")
    WON = "won", _("获奖")
    NOT_WON = "not_won", _("未获奖")


class Award(TimeStampedModel):
    achievement = models.ForeignKey(Achievement, verbose_name=_("成果"), on_delete=models.PROTECT, related_name="awards")
    name = models.CharField(_("奖项名称"), max_length=200)
    level = models.CharField(_("级别"), max_length=16, choices=AwardLevel.choices)
    year = models.PositiveSmallIntegerField(_("年度"))
    grade = models.CharField(_("等级"), max_length=16, blank=True)  # 一等奖, 二等奖, 三等奖 …
    status = models.CharField(_("结果"), max_length=16, choices=AwardStatus.choices, default=AwardStatus.NOMINATED)

    class Meta:
        ordering = ["-year", "level", "id"]
        verbose_name = _("科技奖励")

    def __str__(self) -> str:
        return f"{self.year} {self.name}"


class TechTransfer(TimeStampedModel):
    """A transfer of an achievement (成果转化): contract, partner, amount."""

    achievement = models.ForeignKey(Achievement, verbose_name=_("成果"), on_delete=models.PROTECT,
                                    related_name="transfers")
    contract_number = models.CharField(_("合同编号"), max_length=64)
    partner = models.CharField(_("受让方"), max_length=200)
    amount = models.DecimalField(_("合同金额（万元）"), **MONEY)
    signed_on = models.DateField(_("签订日期"))

    class Meta:
        ordering = ["-signed_on", "id"]
        verbose_name = _("成果转化")

    def __str__(self) -> str:
        return self.contract_number


class AppropriateTech(TimeStampedModel):
    """An entry of the appropriate-technology library (适宜技术推广库) for primary care."""

    name = models.CharField(_("技术名称"), max_length=200)
    description = models.TextField(_("技术说明"))
    applicable_levels = models.JSONField(_("适用机构"), default=list)  # institution types, e.g. 乡镇卫生院
    training_materials = models.TextField(_("培训资料"), blank=True)
    contact = models.CharField(_("联系人及电话"), max_length=200)
    achievement = models.ForeignKey(Achievement, verbose_name=_("来源成果"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    is_published = models.BooleanField(_("已入库发布"), default=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("适宜技术")

    def __str__(self) -> str:
        return self.name


class Promotion(TimeStampedModel):
    """An institution that adopted an appropriate technology, and how many people it trained."""

    technology = models.ForeignKey(AppropriateTech, verbose_name=_("适宜技术"), on_delete=models.CASCADE,
                                   related_name="promotions")
    institution = models.ForeignKey("orgs.Institution", verbose_name=_("推广机构"), on_delete=models.PROTECT,
                                    related_name="+")
    adopted_on = models.DateField(_("推广日期"))
    people_trained = models.PositiveIntegerField(_("培训人数"), default=0)

    class Meta:
        ordering = ["-adopted_on", "id"]
        verbose_name = _("推广记录")
        constraints = [models.UniqueConstraint(fields=["technology", "institution"], name="research_promotion_once")]

    def __str__(self) -> str:
        return f"{self.technology_id} @ {self.institution_id}"


# ---- ethics committees (伦理审查委员会) and their review workflow --------------------------------------------
# The rules (quorum, majority, expedited review, what a decision does to the approval) are pure functions
# in ethics_rules.py; the steps are ethics.py.

class EthicsCommittee(TimeStampedModel):
    """An institution's ethics committee, filed with the health authority (备案)."""

    institution = models.ForeignKey("orgs.Institution", verbose_name=_("所属机构"), on_delete=models.PROTECT,
                                    related_name="ethics_committees")
    name = models.CharField(_("名称"), max_length=200)
    filing_number = models.CharField(_("备案号"), max_length=64, blank=True)
    is_active = models.BooleanField(_("受理审查"), default=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("伦理委员会")
        constraints = [models.UniqueConstraint(fields=["institution", "name"], name="research_ethics_committee_name")]

    def __str__(self) -> str:
        return self.name


class EthicsMemberRole(models.TextChoices):
    CHAIR = "chair", _("主任委员")
    VICE_CHAIR = "vice_chair", _("副主任委员")
    MEMBER = "member", _("委员")
    SECRETARY = "secretary", _("秘书")  # runs the office; does not vote and does not count for the quorum


class EthicsMember(TimeStampedModel):
    """A member of a committee. `user` is the member's login (the secretary's, who acts for the committee);
    `worker` links a member who is a health worker of the city, so that a member who leads or is on the
    team of an application is recused from it automatically."""

    committee = models.ForeignKey(EthicsCommittee, verbose_name=_("伦理委员会"), on_delete=models.CASCADE,
                                  related_name="members")
    name = models.CharField(_("姓名"), max_length=64)
    role = models.CharField(_("职务"), max_length=16, choices=EthicsMemberRole.choices, default=EthicsMemberRole.MEMBER)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("登录账号"), null=True, blank=True,
                             on_delete=models.PROTECT, related_name="ethics_memberships")
    worker = models.ForeignKey("workforce.Worker", verbose_name=_("对应卫生人员"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="+")
    expertise = models.CharField(_("专业领域"), max_length=64, blank=True)
    is_lay = models.BooleanField(_("非医药专业委员（伦理、法律、社会学等）"), default=False)
    is_external = models.BooleanField(_("外单位委员"), default=False)
    gender = models.CharField(_("性别"), max_length=1, choices=Sex.choices, blank=True)
    is_active = models.BooleanField(_("在任"), default=True)

    class Meta:
        ordering = ["committee_id", "role", "name", "id"]
        verbose_name = _("伦理委员会委员")
        constraints = [
            models.UniqueConstraint(fields=["committee", "user"], condition=Q(user__isnull=False),
                                    name="research_ethics_member_user_once"),
            models.UniqueConstraint(fields=["committee", "worker"], condition=Q(worker__isnull=False),
                                    name="research_ethics_member_worker_once"),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.get_role_display()}）"

    @property
    def votes(self) -> bool:
        return self.role != EthicsMemberRole.SECRETARY


class EthicsSubmissionKind(models.TextChoices):
    INITIAL = "initial", _("初始审查")
    AMENDMENT = "amendment", _("修正案审查")
    CONTINUING = "continuing", _("跟踪审查/年度报告")
    SAE = "sae", _("严重不良事件报告")
    DEVIATION = "deviation", _("违背方案报告")
    CLOSURE = "closure", _("结题审查")


class EthicsReviewType(models.TextChoices):
    EXPEDITED = "expedited", _("快速审查")
    MEETING = "meeting", _("会议审查")


class EthicsSubmissionStatus(models.TextChoices):
    SUBMITTED = "submitted", _("已提交待受理")
    ACCEPTED = "accepted", _("已受理")
    IN_MEETING = "in_meeting", _("已列入会议")
    DECIDED = "decided", _("已作出决定")
    WITHDRAWN = "withdrawn", _("已撤回")


# Still with the committee: not decided, not withdrawn.
ETHICS_OPEN = (EthicsSubmissionStatus.SUBMITTED, EthicsSubmissionStatus.ACCEPTED, EthicsSubmissionStatus.IN_MEETING)


class EthicsMeetingStatus(models.TextChoices):
    PLANNED = "planned", _("待召开")
    HELD = "held", _("已召开")


class EthicsMeeting(TimeStampedModel):
    """A review meeting (审查会议): who attended is EthicsMeetingAttendance; its agenda is the submissions
    whose `meeting` it is."""

    committee = models.ForeignKey(EthicsCommittee, verbose_name=_("伦理委员会"), on_delete=models.PROTECT,
                                  related_name="meetings")
    held_on = models.DateField(_("会议日期"))
    location = models.CharField(_("地点"), max_length=200, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=EthicsMeetingStatus.choices,
                              default=EthicsMeetingStatus.PLANNED)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("安排人"), on_delete=models.PROTECT,
                                   related_name="+")

    class Meta:
        ordering = ["-held_on", "id"]
        verbose_name = _("伦理审查会议")

    def __str__(self) -> str:
        return f"{self.committee} {self.held_on:%Y-%m-%d}"


class EthicsMeetingAttendance(models.Model):
    meeting = models.ForeignKey(EthicsMeeting, verbose_name=_("会议"), on_delete=models.CASCADE,
                                related_name="attendance")
    member = models.ForeignKey(EthicsMember, verbose_name=_("委员"), on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("到会记录")
        constraints = [models.UniqueConstraint(fields=["meeting", "member"], name="research_ethics_attend_once")]

    def __str__(self) -> str:
        return f"{self.meeting_id} / {self.member_id}"


class EthicsSubmission(TimeStampedModel):
    """A submission to an ethics committee about a research application, from the PI's submission to the
    committee's decision and its letter (审查批件 / 审查意见通知书, numbered `letter_number`)."""

    committee = models.ForeignKey(EthicsCommittee, verbose_name=_("伦理委员会"), on_delete=models.PROTECT,
                                  related_name="submissions")
    application = models.ForeignKey(Application, verbose_name=_("项目"), on_delete=models.PROTECT,
                                    related_name="ethics_submissions")
    kind = models.CharField(_("审查类别"), max_length=16, choices=EthicsSubmissionKind.choices)
    content = models.TextField(_("送审材料说明"), blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=EthicsSubmissionStatus.choices,
                              default=EthicsSubmissionStatus.SUBMITTED)
    review_type = models.CharField(_("审查方式"), max_length=16, choices=EthicsReviewType.choices, blank=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("提交人"), on_delete=models.PROTECT,
                                     related_name="+")
    submitted_at = models.DateTimeField(_("提交时间"))
    accepted_at = models.DateTimeField(_("受理时间"), null=True, blank=True)
    meeting = models.ForeignKey(EthicsMeeting, verbose_name=_("审查会议"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="agenda")
    decision = models.CharField(_("审查决定"), max_length=24, choices=EthicsDecision.choices, blank=True)
    decided_on = models.DateField(_("决定日期"), null=True, blank=True)
    opinion = models.TextField(_("审查意见"), blank=True)
    letter_number = models.CharField(_("批件/意见书编号"), max_length=64, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("签发人"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-submitted_at", "id"]
        verbose_name = _("伦理审查申请")
        indexes = [models.Index(fields=["committee", "status"], name="research_ethics_sub_status"),
                   models.Index(fields=["application", "kind"], name="research_ethics_sub_app")]
        constraints = [models.UniqueConstraint(fields=["letter_number"], condition=~Q(letter_number=""),
                                               name="research_ethics_letter_once")]

    def __str__(self) -> str:
        return f"{self.application_id} {self.get_kind_display()}"


class EthicsRecusal(models.Model):
    """A member who must stay out of one submission's review: automatic when he leads or is on the team of
    the application, or declared (利益冲突回避)."""

    submission = models.ForeignKey(EthicsSubmission, verbose_name=_("伦理审查申请"), on_delete=models.CASCADE,
                                   related_name="recusals")
    member = models.ForeignKey(EthicsMember, verbose_name=_("委员"), on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(_("回避原因"), max_length=200)
    automatic = models.BooleanField(_("系统识别"), default=False)

    class Meta:
        verbose_name = _("回避")
        constraints = [models.UniqueConstraint(fields=["submission", "member"], name="research_ethics_recusal_once")]

    def __str__(self) -> str:
        return f"{self.submission_id} / {self.member_id}"


class EthicsVote(models.Model):
    """A member's vote on a submission at its meeting, or an expedited reviewer's opinion (no meeting)."""

    submission = models.ForeignKey(EthicsSubmission, verbose_name=_("伦理审查申请"), on_delete=models.CASCADE,
                                   related_name="votes")
    member = models.ForeignKey(EthicsMember, verbose_name=_("委员"), on_delete=models.PROTECT, related_name="+")
    meeting = models.ForeignKey(EthicsMeeting, verbose_name=_("会议"), null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+")
    choice = models.CharField(_("意见"), max_length=24, choices=EthicsDecision.choices)

    class Meta:
        ordering = ["submission_id", "id"]
        verbose_name = _("表决票")
        constraints = [models.UniqueConstraint(fields=["submission", "member"], name="research_ethics_vote_once")]

    def __str__(self) -> str:
        return f"{self.submission_id} / {self.member_id}: {self.choice}"
