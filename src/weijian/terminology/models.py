"""Code systems, their concepts, value sets and concept maps, after FHIR R4's terminology resources.

A resource is identified by its canonical `url` and `version` (unique together). History is the audit
log: every write records its before/after snapshot.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from weijian.core.models import TimeStampedModel


class ResourceStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    ACTIVE = "active", _("启用")
    RETIRED = "retired", _("停用")


class CodeSystemContent(models.TextChoices):
    COMPLETE = "complete", _("完整")
    FRAGMENT = "fragment", _("部分")


class Equivalence(models.TextChoices):
    EQUIVALENT = "equivalent", _("等价")
    EQUAL = "equal", _("相同")
    WIDER = "wider", _("较宽")
    NARROWER = "narrower", _("较窄")
    INEXACT = "inexact", _("近似")
    UNMATCHED = "unmatched", _("无对应")


class CodeSystem(TimeStampedModel):
    url = models.CharField(_("规范地址"), max_length=255)
    name = models.CharField(_("名称"), max_length=128)
    title = models.CharField(_("标题"), max_length=255, blank=True)
    standard = models.CharField(_("标准号"), max_length=64, blank=True)
    version = models.CharField(_("版本"), max_length=32, blank=True, default="")
    status = models.CharField(_("状态"), max_length=16, choices=ResourceStatus.choices,
                              default=ResourceStatus.ACTIVE)
    publisher = models.CharField(_("发布者"), max_length=128, blank=True)
    description = models.TextField(_("说明"), blank=True)
    is_case_sensitive = models.BooleanField(_("区分大小写"), default=True)
    content = models.CharField(_("内容范围"), max_length=16, choices=CodeSystemContent.choices,
                               default=CodeSystemContent.COMPLETE)

    class Meta:
        ordering = ["url", "version"]
        verbose_name = _("代码系统")
        constraints = [
            models.UniqueConstraint(fields=["url", "version"], name="terminology_codesystem_url_version"),
        ]

    def __str__(self):
        return f"{self.title or self.name}（{self.version}）" if self.version else (self.title or self.name)


class Concept(TimeStampedModel):
    code_system = models.ForeignKey(CodeSystem, verbose_name=_("代码系统"), on_delete=models.CASCADE,
                                    related_name="concepts")
    code = models.CharField(_("代码"), max_length=64)
    display = models.CharField(_("名称"), max_length=255)
    definition = models.TextField(_("说明"), blank=True)
    parent = models.ForeignKey("self", verbose_name=_("上级概念"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="children")
    is_active = models.BooleanField(_("有效"), default=True)
    properties = models.JSONField(_("属性"), default=dict, blank=True)

    class Meta:
        ordering = ["code_system", "code"]
        verbose_name = _("概念")
        constraints = [
            models.UniqueConstraint(fields=["code_system", "code"], name="terminology_concept_system_code"),
        ]
        indexes = [models.Index(fields=["code"], name="terminology_concept_code")]

    def __str__(self):
        return f"{self.code} {self.display}"


class ValueSet(TimeStampedModel):
    url = models.CharField(_("规范地址"), max_length=255)
    version = models.CharField(_("版本"), max_length=32, blank=True, default="")
    name = models.CharField(_("名称"), max_length=128)
    title = models.CharField(_("标题"), max_length=255, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=ResourceStatus.choices,
                              default=ResourceStatus.ACTIVE)
    description = models.TextField(_("说明"), blank=True)

    class Meta:
        ordering = ["url", "version"]
        verbose_name = _("值集")
        constraints = [
            models.UniqueConstraint(fields=["url", "version"], name="terminology_valueset_url_version"),
        ]

    def __str__(self):
        return self.title or self.name


class ValueSetInclude(models.Model):
    """One compose.include: the whole code system (no codes) or the listed codes of it."""

    value_set = models.ForeignKey(ValueSet, verbose_name=_("值集"), on_delete=models.CASCADE,
                                  related_name="includes")
    code_system = models.ForeignKey(CodeSystem, verbose_name=_("代码系统"), on_delete=models.PROTECT,
                                    related_name="+")
    codes = models.JSONField(_("列出的代码"), default=list, blank=True)

    class Meta:
        ordering = ["value_set", "id"]
        verbose_name = _("值集组成")

    def __str__(self):
        return f"{self.value_set_id}: {self.code_system_id}"


class ConceptMap(TimeStampedModel):
    url = models.CharField(_("规范地址"), max_length=255)
    version = models.CharField(_("版本"), max_length=32, blank=True, default="")
    name = models.CharField(_("名称"), max_length=128)
    title = models.CharField(_("标题"), max_length=255, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=ResourceStatus.choices,
                              default=ResourceStatus.ACTIVE)
    source_system = models.CharField(_("源代码系统"), max_length=255)
    target_system = models.CharField(_("目标代码系统"), max_length=255)
    # A hospital's local codes: the institution that keeps the map (and may maintain it).
    source_institution = models.ForeignKey("orgs.Institution", verbose_name=_("来源机构"), null=True,
                                           blank=True, on_delete=models.PROTECT, related_name="+")
    description = models.TextField(_("说明"), blank=True)

    class Meta:
        ordering = ["url", "version"]
        verbose_name = _("概念映射")
        constraints = [
            models.UniqueConstraint(fields=["url", "version"], name="terminology_conceptmap_url_version"),
        ]
        indexes = [models.Index(fields=["source_system", "target_system"], name="terminology_cmap_systems")]

    def __str__(self):
        return self.title or self.name


class ConceptMapElement(TimeStampedModel):
    concept_map = models.ForeignKey(ConceptMap, verbose_name=_("概念映射"), on_delete=models.CASCADE,
                                    related_name="elements")
    source_code = models.CharField(_("本地代码"), max_length=64)
    source_display = models.CharField(_("本地名称"), max_length=255, blank=True)
    target_code = models.CharField(_("标准代码"), max_length=64, blank=True)  # empty when unmatched
    target_display = models.CharField(_("标准名称"), max_length=255, blank=True)
    equivalence = models.CharField(_("对应关系"), max_length=16, choices=Equivalence.choices,
                                   default=Equivalence.EQUIVALENT)

    class Meta:
        ordering = ["concept_map", "source_code", "target_code"]
        verbose_name = _("映射条目")
        constraints = [
            models.UniqueConstraint(fields=["concept_map", "source_code", "target_code"],
                                    name="terminology_cmapelement_pair"),
        ]

    def __str__(self):
        return f"{self.source_code} → {self.target_code or '-'}"
