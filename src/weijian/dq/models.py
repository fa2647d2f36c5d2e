"""Data-quality rules as data (editable, versioned), the runs that check stored resources, every result per
run, rule and source, and the follow-up tickets of failing rules."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from weijian.core.models import TimeStampedModel


class Kind(models.TextChoices):
    COMPLETENESS = "completeness", _("完整性")
    VALIDITY = "validity", _("有效性")
    CONSISTENCY = "consistency", _("一致性")
    TIMELINESS = "timeliness", _("及时性")
    UNIQUENESS = "uniqueness", _("唯一性")
    OUTLIER = "outlier", _("离群值")


class Missing(models.TextChoices):
    SKIP_IF_ANY = "skip_if_any_value_missing", _("任一值缺失时跳过")
    SKIP_IF_ALL = "skip_if_all_values_missing", _("全部缺失时跳过")
    NEVER = "never_skip", _("不跳过（缺失按0或空计）")


class DqRule(TimeStampedModel):
    code = models.SlugField(_("规则代码"), max_length=64, unique=True)
    name = models.CharField(_("规则名称"), max_length=120)
    kind = models.CharField(_("规则类型"), max_length=16, choices=Kind.choices)
    resource_type = models.CharField(_("资源类型"), max_length=40)
    element = models.CharField(_("数据元"), max_length=64, blank=True)
    # validity: values (list), low, high, pattern; timeliness: limit_hours; uniqueness: keys (list);
    # outlier: method, threshold, low, high
    params = models.JSONField(_("参数"), default=dict, blank=True)
    left = models.CharField(_("左侧表达式"), max_length=500, blank=True)
    operator = models.CharField(_("运算符"), max_length=2, blank=True)
    right = models.CharField(_("右侧表达式"), max_length=500, blank=True)
    missing = models.CharField(_("缺失值处理"), max_length=32, choices=Missing.choices, default=Missing.SKIP_IF_ANY)
    is_active = models.BooleanField(_("启用"), default=True)
    version = models.PositiveIntegerField(_("版本"), default=1)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["resource_type", "kind", "code"]
        verbose_name = _("数据质量规则")

    def __str__(self):
        return f"{self.code} {self.name}"


class DqRuleVersion(models.Model):
    """What a rule said in each version: results name the version they were judged by."""

    rule = models.ForeignKey(DqRule, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField()
    definition = models.JSONField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["rule", "-version"]
        constraints = [models.UniqueConstraint(fields=["rule", "version"], name="dq_rule_version_once")]

    def __str__(self):
        return f"{self.rule_id} v{self.version}"


class DqRun(models.Model):
    class Status(models.TextChoices):
        RUNNING = "running", _("进行中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")

    started_at = models.DateTimeField(_("开始时间"), auto_now_add=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.RUNNING)
    upload = models.ForeignKey("records.Upload", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                               verbose_name=_("上传批次"))
    resources = models.PositiveIntegerField(_("资源数"), default=0)
    rules = models.PositiveIntegerField(_("规则数"), default=0)
    seconds = models.DecimalField(_("用时（秒）"), max_digits=9, decimal_places=2, default=0)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    error = models.TextField(_("错误"), blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]
        verbose_name = _("质控运行")

    def __str__(self):
        return f"DqRun {self.pk}"


class DqResult(models.Model):
    run = models.ForeignKey(DqRun, on_delete=models.CASCADE, related_name="results")
    rule = models.ForeignKey(DqRule, on_delete=models.PROTECT, related_name="results")
    rule_version = models.PositiveIntegerField()
    kind = models.CharField(max_length=16, choices=Kind.choices)
    source = models.ForeignKey("records.Source", null=True, on_delete=models.PROTECT, related_name="+")
    institution = models.ForeignKey("orgs.Institution", null=True, on_delete=models.PROTECT, related_name="+")
    district_code = models.CharField(max_length=12, blank=True)
    passed = models.PositiveIntegerField()
    failed = models.PositiveIntegerField()
    skipped = models.PositiveIntegerField()

    class Meta:
        indexes = [models.Index(fields=["run", "source"], name="dq_result_run_source"),
                   models.Index(fields=["rule", "source"], name="dq_result_rule_source")]

    def __str__(self):
        return f"{self.rule_id}@{self.source_id}: {self.failed} failed"

    @property
    def checked(self) -> int:
        return self.passed + self.failed


class TicketStatus(models.TextChoices):
    OPEN = "open", _("待处理")
    ACKNOWLEDGED = "acknowledged", _("已确认")
    FIXED = "fixed", _("已整改")
    VERIFIED = "verified", _("已核实关闭")


class DqTicket(TimeStampedModel):
    """A failing rule at one source, followed until it is fixed: opened by a run, acknowledged and fixed by
    the uploading institution, verified by the information centre, or closed by a later run that finds
    the rule passing at that source."""

    rule = models.ForeignKey(DqRule, on_delete=models.PROTECT, related_name="tickets", verbose_name=_("规则"))
    source = models.ForeignKey("records.Source", on_delete=models.PROTECT, related_name="+", verbose_name=_("来源"))
    institution = models.ForeignKey("orgs.Institution", on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("机构"))
    district_code = models.CharField(max_length=12, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=TicketStatus.choices, default=TicketStatus.OPEN)
    opened_run = models.ForeignKey(DqRun, on_delete=models.PROTECT, related_name="+")
    last_run = models.ForeignKey(DqRun, on_delete=models.PROTECT, related_name="+")
    failed = models.PositiveIntegerField(_("不合格数"))
    first_failed = models.PositiveIntegerField(_("首次不合格数"))
    note = models.TextField(_("处理说明"), blank=True)
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)
    closed_by_run = models.BooleanField(_("重传后自动关闭"), default=False)

    class Meta:
        ordering = ["status", "-updated_at"]
        constraints = [models.UniqueConstraint(fields=["rule", "source"], condition=models.Q(closed_at__isnull=True),
                                               name="dq_ticket_one_open")]
        verbose_name = _("质控整改单")

    def __str__(self):
        return f"{self.rule_id}@{self.source_id} {self.status}"


DEFAULT_WEIGHTS = {Kind.COMPLETENESS: 30, Kind.VALIDITY: 20, Kind.CONSISTENCY: 20, Kind.TIMELINESS: 15,
                   Kind.UNIQUENESS: 10, Kind.OUTLIER: 5}


class DqWeight(models.Model):
    """A dimension's weight in the composite score (the defaults above when not set)."""

    kind = models.CharField(_("维度"), max_length=16, choices=Kind.choices, unique=True)
    weight = models.PositiveSmallIntegerField(_("权重"))

    def __str__(self):
        return f"{self.kind}: {self.weight}"
