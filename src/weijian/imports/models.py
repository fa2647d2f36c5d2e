import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from weijian.core.models import TimeStampedModel


class JobStatus(models.TextChoices):
    VALIDATING = "validating", _("校验中")
    VALIDATED = "validated", _("校验完成，待确认")
    QUEUED = "queued", _("排队导入")
    IMPORTING = "importing", _("导入中")
    DONE = "done", _("导入完成")
    REJECTED = "rejected", _("文件被拒绝")
    FAILED = "failed", _("导入失败")
    CANCELLED = "cancelled", _("已取消")


class ImportJob(TimeStampedModel):
    """One uploaded file and what became of it. The file itself is stored encrypted."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    entity = models.CharField(_("导入对象"), max_length=32)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    filename = models.CharField(_("文件名"), max_length=255)
    size = models.PositiveBigIntegerField(_("大小"), default=0)
    sha256 = models.CharField(max_length=64, db_index=True)
    stored_name = models.CharField(max_length=255, blank=True)
    encoding = models.CharField(max_length=16, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=JobStatus.choices)
    message = models.TextField(_("说明"), blank=True)
    only_valid = models.BooleanField(_("仅导入有效行"), default=False)
    total_rows = models.PositiveIntegerField(_("数据行"), default=0)
    error_rows = models.PositiveIntegerField(_("错误行"), default=0)
    create_count = models.PositiveIntegerField(_("新增"), default=0)
    update_count = models.PositiveIntegerField(_("更新"), default=0)
    unchanged_count = models.PositiveIntegerField(_("无变化"), default=0)
    report_name = models.CharField(max_length=255, blank=True)
    errors_preview = models.JSONField(default=list, blank=True)  # first rows of the error report
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("导入任务")

    @property
    def valid_rows(self) -> int:
        return self.total_rows - self.error_rows

    @property
    def is_running(self) -> bool:
        return self.status in (JobStatus.VALIDATING, JobStatus.QUEUED, JobStatus.IMPORTING)
