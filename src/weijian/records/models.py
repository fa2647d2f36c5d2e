"""The FHIR R4 record store: current resources, every version, search-index tables, sources and uploads.

Resources are kept as the JSON text a client reads back (meta included), so a read sends stored bytes
without parsing. Search runs on extracted index rows (token, string, date, reference), written and
replaced with each version; the current row also carries the patient compartment (`patient`) so a
resident's record is one index range. Index rows point at `Resource.id` without a database constraint:
the store writes and replaces them itself, and bulk loads skip the per-row foreign-key check.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from weijian.core.models import TimeStampedModel


class SourceKind(models.TextChoices):
    HOSPITAL = "hospital", _("医院")
    DISTRICT_PLATFORM = "district_platform", _("区（县）平台")
    PRIMARY_CARE = "primary_care", _("基层医疗卫生机构")
    PUBLIC_HEALTH = "public_health", _("公共卫生机构")


class SourceStatus(models.TextChoices):
    ACTIVE = "active", _("启用")
    SUSPENDED = "suspended", _("暂停")


class Source(TimeStampedModel):
    """A registered data source: a hospital or district platform that uploads records with its own account."""

    code = models.CharField(_("来源编码"), max_length=32, unique=True)
    name = models.CharField(_("来源名称"), max_length=128)
    kind = models.CharField(_("来源类别"), max_length=32, choices=SourceKind.choices)
    institution = models.ForeignKey("orgs.Institution", on_delete=models.PROTECT, related_name="record_sources",
                                    verbose_name=_("所属机构"))
    account = models.OneToOneField(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="record_source", verbose_name=_("接口账号"))
    allowed_types = models.JSONField(_("允许上传的资源类型"), default=list)
    status = models.CharField(_("状态"), max_length=16, choices=SourceStatus.choices, default=SourceStatus.ACTIVE)

    class Meta:
        ordering = ["code"]
        verbose_name = _("数据来源")

    def __str__(self):
        return self.name


class Resource(models.Model):
    """The current version of one resource (deleted ones stay, flagged, so ids are never reused)."""

    id = models.BigAutoField(primary_key=True)
    type = models.CharField(max_length=40)
    fhir_id = models.CharField(max_length=64)
    version = models.PositiveIntegerField()
    updated = models.DateTimeField()
    deleted = models.BooleanField(default=False)
    content = models.TextField()  # JSON with meta.versionId / meta.lastUpdated, identifiers encrypted
    content_hash = models.CharField(max_length=64)  # of the content without id and meta: same content → no new version
    patient = models.CharField(max_length=64, blank=True)  # the Patient compartment ("" when none)
    source = models.ForeignKey(Source, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    institution = models.ForeignKey("orgs.Institution", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["type", "fhir_id"], name="records_resource_type_id")]
        indexes = [
            models.Index(fields=["patient", "type", "updated"], name="records_res_compartment"),
            models.Index(fields=["type", "updated"], name="records_res_type_updated"),
            models.Index(fields=["content_hash"], name="records_res_hash"),
        ]

    def __str__(self):
        return f"{self.type}/{self.fhir_id}"


class ResourceVersion(models.Model):
    """Every version of every resource, the current one included (`_history`, vread)."""

    id = models.BigAutoField(primary_key=True)
    resource = models.ForeignKey(Resource, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    version = models.PositiveIntegerField()
    updated = models.DateTimeField()
    method = models.CharField(max_length=8)  # POST, PUT or DELETE
    deleted = models.BooleanField(default=False)
    content = models.TextField()
    upload = models.ForeignKey("Upload", null=True, blank=True, on_delete=models.DO_NOTHING, db_constraint=False,
                               related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["resource", "version"], name="records_version_unique")]

    def __str__(self):
        return f"{self.resource_id} v{self.version}"


class _IndexRow(models.Model):
    id = models.BigAutoField(primary_key=True)
    # No single-column index: the composite (resource, param) index serves every probe by resource.
    resource = models.ForeignKey(Resource, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False,
                                 related_name="+")
    type = models.CharField(max_length=40)
    param = models.CharField(max_length=64)

    class Meta:
        abstract = True


class TokenIndex(_IndexRow):
    system = models.CharField(max_length=255, blank=True)
    code = models.CharField(max_length=255)

    class Meta:
        indexes = [models.Index(fields=["type", "param", "code", "system"], name="records_tok_lookup"),
                   models.Index(fields=["resource", "param"], name="records_tok_resource")]

    def __str__(self):
        return f"{self.param}={self.system}|{self.code}"


class StringIndex(_IndexRow):
    value = models.CharField(max_length=255)  # normalised: lower case, no surrounding spaces

    class Meta:
        indexes = [models.Index(fields=["type", "param", "value"], name="records_str_lookup"),
                   models.Index(fields=["resource", "param"], name="records_str_resource")]

    def __str__(self):
        return f"{self.param}={self.value}"


class DateIndex(_IndexRow):
    low = models.DateTimeField()
    high = models.DateTimeField()  # a date's or period's whole extent, for FHIR's range comparisons

    class Meta:
        indexes = [models.Index(fields=["type", "param", "low"], name="records_date_lookup"),
                   models.Index(fields=["resource", "param", "low"], name="records_date_resource")]

    def __str__(self):
        return f"{self.param}={self.low}..{self.high}"


class ReferenceIndex(_IndexRow):
    target_type = models.CharField(max_length=40)
    target_id = models.CharField(max_length=64)

    class Meta:
        indexes = [models.Index(fields=["target_type", "target_id", "type", "param"], name="records_ref_target"),
                   models.Index(fields=["resource", "param"], name="records_ref_resource")]

    def __str__(self):
        return f"{self.param}={self.target_type}/{self.target_id}"


class UploadKind(models.TextChoices):
    TRANSACTION = "transaction", _("事务 Bundle")
    BATCH = "batch", _("批处理 Bundle")
    NDJSON = "ndjson", _("批量 NDJSON")
    WS365 = "ws365", _("WS 365 数据集文件")


class UploadStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("处理中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")


class Upload(models.Model):
    """One upload batch with its provenance and counts; a file upload is unique per source and content."""

    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="uploads", verbose_name=_("来源"))
    kind = models.CharField(_("方式"), max_length=16, choices=UploadKind.choices)
    dataset = models.CharField(_("数据集"), max_length=40, blank=True)
    file_name = models.CharField(_("文件名"), max_length=255, blank=True)
    file_sha256 = models.CharField(_("文件摘要"), max_length=64)
    stored_file = models.CharField(max_length=255, blank=True)  # encrypted copy in storage, for resuming
    status = models.CharField(_("状态"), max_length=16, choices=UploadStatus.choices, default=UploadStatus.QUEUED)
    total = models.PositiveIntegerField(_("条目数"), default=0)
    created = models.PositiveIntegerField(_("新增"), default=0)
    updated = models.PositiveIntegerField(_("更新"), default=0)
    unchanged = models.PositiveIntegerField(_("未变化"), default=0)
    rejected = models.PositiveIntegerField(_("拒收"), default=0)
    position = models.PositiveIntegerField(default=0)  # entries already committed: where a restarted job resumes
    error = models.TextField(_("错误"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    received_at = models.DateTimeField(_("接收时间"), auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("上传批次")
        indexes = [models.Index(fields=["source", "kind", "dataset", "file_sha256"], name="records_upload_file")]

    def __str__(self):
        return f"{self.get_kind_display()} #{self.pk}"


class UploadIssue(models.Model):
    """A rejected (or warned) entry of an upload, with its reason in Chinese."""

    upload = models.ForeignKey(Upload, on_delete=models.CASCADE, related_name="issues")
    entry = models.PositiveIntegerField(_("条目"))  # line of an NDJSON file, row of a sheet, index in a Bundle (1-based)
    severity = models.CharField(_("级别"), max_length=8, default="error")
    resource_type = models.CharField(_("资源类型"), max_length=40, blank=True)
    fhir_id = models.CharField(max_length=64, blank=True)
    message = models.TextField(_("原因"))

    class Meta:
        ordering = ["upload", "entry", "id"]

    def __str__(self):
        return f"#{self.upload_id}:{self.entry}"


class BreakGlass(models.Model):
    """An emergency read of a resident's record outside the clinician's own institution, with its reason."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    patient = models.CharField(max_length=64)
    reason = models.CharField(_("紧急访问理由"), max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["user", "patient", "expires_at"], name="records_breakglass_active")]

    def __str__(self):
        return f"{self.user_id} → Patient/{self.patient}"


class ClinicalGrant(models.Model):
    """Clinical content opened to a commission user who otherwise sees operational metadata only."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("被授权人"))
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(_("授权理由"), max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(_("有效期至"))
    # Set together by `services.clinical_grant_revoke`; a revoked grant gives no access from that moment.
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   null=True, blank=True, verbose_name=_("撤销人"))
    revoke_reason = models.CharField(_("撤销理由"), max_length=255, blank=True)

    class Status(models.TextChoices):
        """Derived, not stored: whether a grant opens clinical content now (the gate's rule:
        `accounts.access.clinical_grant_active_q`)."""

        ACTIVE = "active", pgettext_lazy("grant status", "有效")
        REVOKED = "revoked", pgettext_lazy("grant status", "已撤销")
        EXPIRED = "expired", pgettext_lazy("grant status", "已过期")

    def __str__(self):
        return f"{self.user_id} ≤ {self.expires_at:%Y-%m-%d}"

    def status_at(self, now) -> "ClinicalGrant.Status":
        if self.revoked_at is not None:
            return self.Status.REVOKED
        return self.Status.ACTIVE if self.expires_at > now else self.Status.EXPIRED

    @property
    def status(self) -> "ClinicalGrant.Status":
        return self.status_at(timezone.now())
