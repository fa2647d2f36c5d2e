"""The master patient index: one Person per resident, the source identities linked to it, and how.

A source identity is what one source knows of a resident (source code + local ID, as in the record
store's Patient). It is attached to exactly one Person at every moment: linking, merging and unmerging
move identities between persons, never drop them. Every move is a `LinkEvent` (the history), and the
identity's current `link_state` says how it got there. Manual decisions (`MANUAL_*`) win over later
automatic runs.

Personal data is encrypted: the golden record's ID number and phone (plus a blind index and a mask), the
standardised demographics of each identity (one encrypted JSON), and blocking keys are blind indexes.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from weijian.core.models import TimeStampedModel


class LinkState(models.TextChoices):
    NEW = "new", _("新建主索引")
    AUTO = "auto", _("自动匹配")
    POSSIBLE = "possible", _("疑似匹配待审核")
    MANUAL_MATCH = "manual_match", _("人工确认匹配")
    MANUAL_NO_MATCH = "manual_no_match", _("人工确认不匹配")


MANUAL_STATES = (LinkState.MANUAL_MATCH, LinkState.MANUAL_NO_MATCH)


class Person(TimeStampedModel):
    """The golden record of one resident (主索引). Its fields come from the linked identities by the
    survivorship rules (`survivorship` says which identity gave each field, and why)."""

    empi = models.CharField(_("主索引号"), max_length=20, unique=True)
    name = models.CharField(_("姓名"), max_length=64, blank=True)
    sex = models.CharField(_("性别"), max_length=1, blank=True)  # GB/T 2261.1: 1 male, 2 female
    birth_date = models.DateField(_("出生日期"), null=True, blank=True)
    id_number_encrypted = models.TextField(blank=True)
    id_number_index = models.CharField(max_length=64, blank=True, db_index=True)
    id_number_masked = models.CharField(_("身份证号"), max_length=18, blank=True)
    phone_encrypted = models.TextField(blank=True)
    phone_masked = models.CharField(_("联系电话"), max_length=20, blank=True)
    address = models.CharField(_("住址"), max_length=255, blank=True)
    address_district = models.CharField(_("所在区县"), max_length=6, blank=True)
    survivorship = models.JSONField(default=dict)
    merged_into = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("并入"))
    active = models.BooleanField(_("有效"), default=True)

    class Meta:
        ordering = ["empi"]
        verbose_name = _("主索引")

    def __str__(self):
        return f"{self.empi} {self.name}"


class SourceIdentity(TimeStampedModel):
    """What one source knows of a resident: the source's local ID and its demographics."""

    source_code = models.CharField(_("来源编码"), max_length=32)
    local_id = models.CharField(_("本地标识"), max_length=64)
    institution = models.ForeignKey("orgs.Institution", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+", verbose_name=_("所属机构"))
    patient_fhir_id = models.CharField(max_length=64, blank=True)  # the Patient resource in the record store
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="identities",
                               verbose_name=_("主索引"))
    link_state = models.CharField(_("关联状态"), max_length=16, choices=LinkState.choices)
    match_weight = models.FloatField(_("匹配权重"), null=True, blank=True)
    model_version = models.CharField(_("模型版本"), max_length=40, blank=True)
    standardised = models.TextField()  # encrypted JSON: the standardised demographics (weijian.linkage)
    received_at = models.DateTimeField(_("接收时间"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["source_code", "local_id"], name="mpi_identity_unique")]
        ordering = ["source_code", "local_id"]
        verbose_name = _("来源身份")

    def __str__(self):
        return f"{self.source_code}:{self.local_id}"


class BlockingKey(models.Model):
    """A candidate-retrieval key of an identity ("id:…", "ph:…", "nb:…"), stored as a blind index."""

    id = models.BigAutoField(primary_key=True)
    identity = models.ForeignKey(SourceIdentity, on_delete=models.CASCADE, related_name="blocking_keys")
    key = models.CharField(max_length=64)

    class Meta:
        indexes = [models.Index(fields=["key"], name="mpi_blocking_key")]

    def __str__(self):
        return self.key


class ReviewStatus(models.TextChoices):
    OPEN = "open", _("待审核")
    ACCEPTED = "accepted", _("已确认匹配")
    REJECTED = "rejected", _("已确认不匹配")
    SUPERSEDED = "superseded", _("已失效")


class ReviewItem(TimeStampedModel):
    """A possible match: the identity may be the candidate person. A reviewer accepts or rejects it."""

    identity = models.ForeignKey(SourceIdentity, on_delete=models.CASCADE, related_name="reviews")
    candidate = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    match_weight = models.FloatField(_("匹配权重"))
    match_probability = models.FloatField(_("匹配概率"))
    comparison = models.JSONField(default=list)  # per field: label, level, weight (no personal values)
    model_version = models.CharField(max_length=40, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=ReviewStatus.choices, default=ReviewStatus.OPEN)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(_("理由"), max_length=255, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "-match_weight"], name="mpi_review_queue")]
        ordering = ["-match_weight"]

    def __str__(self):
        return f"{self.identity_id} ? {self.candidate_id} ({self.match_weight:.1f})"


class LinkEventKind(models.TextChoices):
    LINK = "link", _("关联")
    REVIEW = "review", _("审核")
    MERGE = "merge", _("合并")
    UNMERGE = "unmerge", _("拆分")
    RELINK = "relink", _("重新关联")


class LinkEvent(models.Model):
    """Append-only history of where each identity was attached, and why."""

    id = models.BigAutoField(primary_key=True)
    identity = models.ForeignKey(SourceIdentity, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=16, choices=LinkEventKind.choices)
    from_person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    to_person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    state = models.CharField(max_length=16, choices=LinkState.choices)
    match_weight = models.FloatField(null=True, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+")
    reason = models.CharField(max_length=255, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"{self.kind} {self.identity_id} → {self.to_person_id}"
