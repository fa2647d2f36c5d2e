from django.db import models
from django.utils.translation import gettext_lazy as _

from weijian.core.models import TimeStampedModel


class DivisionLevel(models.TextChoices):
    PROVINCE = "province", _("省级")
    CITY = "city", _("地市级")
    DISTRICT = "district", _("区县级")
    TOWNSHIP = "township", _("乡镇（街道）")


class Division(TimeStampedModel):
    """An administrative division, keyed by its GB/T 2260 code (6 digits; 9 for townships)."""

    code = models.CharField(_("区划代码"), max_length=12, primary_key=True)
    name = models.CharField(_("名称"), max_length=64)
    level = models.CharField(_("级别"), max_length=16, choices=DivisionLevel.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("上级区划"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    is_active = models.BooleanField(_("有效"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("行政区划")

    def __str__(self):
        return f"{self.name}（{self.code}）"


class InstitutionType(models.TextChoices):
    GENERAL_HOSPITAL = "general_hospital", _("综合医院")
    TCM_HOSPITAL = "tcm_hospital", _("中医医院")
    SPECIALIST_HOSPITAL = "specialist_hospital", _("专科医院")
    MATERNAL_CHILD = "maternal_child", _("妇幼保健院")
    CDC = "cdc", _("疾病预防控制中心")
    COMMUNITY_CENTRE = "community_centre", _("社区卫生服务中心")
    TOWNSHIP_HOSPITAL = "township_hospital", _("乡镇卫生院")
    VILLAGE_CLINIC = "village_clinic", _("村卫生室")
    BLOOD_CENTRE = "blood_centre", _("血液中心")
    HEALTH_SUPERVISION = "health_supervision", _("卫生监督所")
    PRIVATE_CLINIC = "private_clinic", _("民营诊所")
    OTHER = "other", _("其他")


# Primary care (基层医疗卫生机构); every other type counts as county-level-and-above in the work plans' targets.
PRIMARY_CARE_TYPES = (
    InstitutionType.COMMUNITY_CENTRE,
    InstitutionType.TOWNSHIP_HOSPITAL,
    InstitutionType.VILLAGE_CLINIC,
    InstitutionType.PRIVATE_CLINIC,
)


class InstitutionGrade(models.TextChoices):
    G3A = "3A", _("三级甲等")
    G3B = "3B", _("三级乙等")
    G3 = "3", _("三级")
    G2A = "2A", _("二级甲等")
    G2B = "2B", _("二级乙等")
    G2 = "2", _("二级")
    G1 = "1", _("一级")
    UNGRADED = "none", _("未定级")


class Ownership(models.TextChoices):
    PUBLIC = "public", _("公立")
    NON_PUBLIC = "non_public", _("非公立")


class Institution(TimeStampedModel):
    uscc = models.CharField(_("统一社会信用代码"), max_length=18, unique=True)
    name = models.CharField(_("机构名称"), max_length=128, db_index=True)
    type = models.CharField(_("机构类别"), max_length=32, choices=InstitutionType.choices)
    grade = models.CharField(_("等级"), max_length=8, choices=InstitutionGrade.choices, default="none")
    ownership = models.CharField(_("经济类型"), max_length=16, choices=Ownership.choices)
    division = models.ForeignKey(
        Division, verbose_name=_("所在区划"), on_delete=models.PROTECT, related_name="institutions"
    )
    # Derived from `division` by the service: the district-level ancestor, which data scopes filter on.
    district = models.ForeignKey(
        Division, verbose_name=_("所属区县"), on_delete=models.PROTECT, related_name="district_institutions"
    )
    is_active = models.BooleanField(_("在业"), default=True)

    class Meta:
        ordering = ["uscc"]
        verbose_name = _("医疗卫生机构")

    def __str__(self):
        return self.name
