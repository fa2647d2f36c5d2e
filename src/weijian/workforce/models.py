from django.db import models
from django.utils.translation import gettext_lazy as _

from weijian.core.models import TimeStampedModel


class Profession(models.TextChoices):
    DOCTOR = "doctor", _("医师")
    NURSE = "nurse", _("护士")
    PHARMACIST = "pharmacist", _("药师")
    TECHNICIAN = "technician", _("技师")
    OTHER = "other", _("其他")


class TitleLevel(models.TextChoices):
    NONE = "none", _("无职称")
    JUNIOR = "junior", _("初级")
    INTERMEDIATE = "intermediate", _("中级")
    ASSOCIATE_SENIOR = "associate_senior", _("副高级")
    SENIOR = "senior", _("正高级")


class WorkerStatus(models.TextChoices):
    ACTIVE = "active", _("在岗")
    LEFT = "left", _("离职")
    RETIRED = "retired", _("退休")


class Sex(models.TextChoices):
    MALE = "M", _("男")
    FEMALE = "F", _("女")


class Worker(TimeStampedModel):
    """A health worker. The ID number is never stored in clear: ciphertext + blind index + mask."""

    name = models.CharField(_("姓名"), max_length=64, db_index=True)
    id_number_encrypted = models.TextField()
    id_number_index = models.CharField(max_length=64, unique=True)
    id_number_masked = models.CharField(_("身份证号"), max_length=18)
    birth_date = models.DateField(_("出生日期"))
    sex = models.CharField(_("性别"), max_length=1, choices=Sex.choices)
    institution = models.ForeignKey(
        "orgs.Institution", verbose_name=_("所在机构"), on_delete=models.PROTECT, related_name="workers"
    )
    profession = models.CharField(_("职业类别"), max_length=16, choices=Profession.choices)
    title_level = models.CharField(_("职称级别"), max_length=20, choices=TitleLevel.choices, default="none")
    practising_since = models.DateField(_("执业起始日期"), null=True, blank=True)
    # 执业证书编码: sign-in sheets often carry it instead of the ID number.
    licence_number = models.CharField(_("执业证书编码"), max_length=32, blank=True, default="", db_default="",
                                      db_index=True)
    status = models.CharField(_("状态"), max_length=16, choices=WorkerStatus.choices, default="active")

    class Meta:
        ordering = ["id"]
        verbose_name = _("卫生人员")
        indexes = [models.Index(fields=["institution", "status"])]

    def __str__(self):
        return self.name
