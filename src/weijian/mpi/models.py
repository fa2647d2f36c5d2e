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
    patient_fhir_id = models.CharField(max_length=64, blank=True, db_index=True)  # the record store's Patient
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


class KeptApart(models.TextChoices):
    """Why a possible match above the auto-link weight was not linked (`linkage.realtime.APART_*`)."""

    ID_NUMBER = "id_number", _("候选含不同身份证号")
    BIRTH_ORDER = "birth_order", _("候选含不同的新生儿出生顺序")
    NAME = "name", _("候选已有两条记录的另一姓名")


class ReviewItem(TimeStampedModel):
    """A possible match: the identity may be the candidate person. A reviewer accepts or rejects it."""

    identity = models.ForeignKey(SourceIdentity, on_delete=models.CASCADE, related_name="reviews")
    candidate = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    match_weight = models.FloatField(_("匹配权重"))
    match_probability = models.FloatField(_("匹配概率"))
    comparison = models.JSONField(default=list)  # per field: label, level, weight (no personal values)
    model_version = models.CharField(max_length=40, blank=True)
    # the candidate holds what proves it is someone else: never linked automatically, whatever the weight
    # (`linkage.realtime.kept_apart`)
    kept_apart = models.CharField(_("未自动关联的原因"), max_length=16, choices=KeptApart.choices, blank=True)
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
    upload_id = models.BigIntegerField(null=True, blank=True, db_index=True)  # records.Upload that brought it
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"{self.kind} {self.identity_id} → {self.to_person_id}"


class LinkageModelStatus(models.TextChoices):
    CANDIDATE = "candidate", _("待启用")
    ACTIVE = "active", _("使用中")
    RETIRED = "retired", _("已停用")


class LinkageModel(models.Model):
    """A trained matching model (the `weijian.linkage.Model` JSON artefact). One is active at a time: the
    real-time matcher and re-linking use it. Without any row the shipped bootstrap model is used."""

    version = models.CharField(_("模型版本"), max_length=40, unique=True)
    artefact = models.TextField()  # Model.to_json(): comparisons, m/u, λ, thresholds, training notes
    status = models.CharField(_("状态"), max_length=16, choices=LinkageModelStatus.choices,
                              default=LinkageModelStatus.CANDIDATE)
    record_count = models.PositiveIntegerField(_("训练记录数"), default=0)
    comparison = models.JSONField(default=dict)  # against the active model: links that would change
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(_("训练时间"), auto_now_add=True)
    activated_at = models.DateTimeField(_("启用时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("匹配模型")

    def __str__(self):
        return self.version


class MpiJobKind(models.TextChoices):
    RETRAIN = "retrain", _("重新训练模型")
    RELINK = "relink", _("按新模型重新关联")


class MpiJobStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("运行中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")


class MpiJob(models.Model):
    """A long MPI job (retrain, relink) with its progress and result, for the model page."""

    kind = models.CharField(_("任务"), max_length=16, choices=MpiJobKind.choices)
    status = models.CharField(_("状态"), max_length=16, choices=MpiJobStatus.choices, default=MpiJobStatus.QUEUED)
    model = models.ForeignKey(LinkageModel, null=True, blank=True, on_delete=models.SET_NULL, related_name="jobs",
                              verbose_name=_("匹配模型"))
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    phase = models.CharField(max_length=64, blank=True)
    result = models.JSONField(default=dict)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(_("提交时间"), auto_now_add=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("主索引任务")

    def __str__(self):
        return f"{self.get_kind_display()} #{self.pk}"


# ---- Health cards (居民健康卡, WS/T 543) --------------------------------------------------------------------
# A card is bound to one person (一人一卡: at most one active card at a time). Its status only moves forward:
# active → lost → replaced / revoked, active → replaced / revoked; a replacement is a new card that points at
# the old one. `CardEvent` is the append-only status history and usage log; `CardPilotScope` says where the
# card may be issued and used (see card_services / card_selectors and docs/health-card.md).


class CardStatus(models.TextChoices):
    ACTIVE = "active", _("正常")
    LOST = "lost", _("已挂失")
    REPLACED = "replaced", _("已补换")
    REVOKED = "revoked", _("已注销")


class HealthCard(TimeStampedModel):
    """A resident health card (居民健康卡). The number follows `card_numbers` (19 digits: the issuing
    district's GB/T 2260 code, a random serial, a Luhn check digit)."""

    card_number = models.CharField(_("卡号"), max_length=19, unique=True)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="health_cards",
                               verbose_name=_("主索引"))
    institution = models.ForeignKey("orgs.Institution", on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("发卡机构"))
    issued_on = models.DateField(_("发卡日期"))
    expires_on = models.DateField(_("有效期至"))
    status = models.CharField(_("状态"), max_length=16, choices=CardStatus.choices, default=CardStatus.ACTIVE)
    status_changed_at = models.DateTimeField(_("状态变更时间"), null=True, blank=True)
    reason = models.CharField(_("变更理由"), max_length=255, blank=True)  # of the latest status change
    replaces = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="replaced_by", verbose_name=_("补换自"))
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")

    class Meta:
        ordering = ["-issued_on", "-id"]
        verbose_name = _("居民健康卡")
        constraints = [
            models.UniqueConstraint(fields=["person"], condition=models.Q(status="active"),
                                    name="mpi_card_one_active_per_person"),
            models.CheckConstraint(condition=models.Q(expires_on__gt=models.F("issued_on")),
                                   name="mpi_card_expires_after_issue"),
        ]
        indexes = [models.Index(fields=["institution", "status"], name="mpi_card_institution_status")]

    def __str__(self):
        return self.card_number


class CardEventKind(models.TextChoices):
    ISSUE = "issue", _("发卡")
    LOST = "lost", _("挂失")
    REPLACE = "replace", _("补换卡")
    REVOKE = "revoke", _("注销")
    LOOKUP = "lookup", _("刷卡查询")
    USE = "use", _("用卡")


STATUS_EVENT_KINDS = (CardEventKind.ISSUE, CardEventKind.LOST, CardEventKind.REPLACE, CardEventKind.REVOKE)
USAGE_EVENT_KINDS = (CardEventKind.LOOKUP, CardEventKind.USE)


class CardUsePurpose(models.TextChoices):
    REGISTRATION = "registration", _("挂号")
    PAYMENT = "payment", _("缴费")
    DISPENSING = "dispensing", _("取药")
    EXAMINATION = "examination", _("检查检验")
    ADMISSION = "admission", _("入院登记")
    OTHER = "other", _("其他")


class CardEventOutcome(models.TextChoices):
    OK = "ok", _("成功")
    REJECTED = "rejected", _("已拒绝")


class CardEvent(models.Model):
    """Append-only: one status change (issue, lost, replace, revoke) or one use of a card (a look-up at a
    desk, a registration, a payment…), where and by whom. Refused uses (a lost card swiped) are kept too."""

    id = models.BigAutoField(primary_key=True)
    card = models.ForeignKey(HealthCard, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(_("类型"), max_length=16, choices=CardEventKind.choices)
    purpose = models.CharField(_("用卡场景"), max_length=16, choices=CardUsePurpose.choices, blank=True)
    outcome = models.CharField(_("结果"), max_length=16, choices=CardEventOutcome.choices,
                               default=CardEventOutcome.OK)
    institution = models.ForeignKey("orgs.Institution", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+", verbose_name=_("机构"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+", verbose_name=_("操作人"))
    at = models.DateTimeField(_("时间"), auto_now_add=True)
    detail = models.CharField(_("说明"), max_length=255, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["card", "-at"], name="mpi_card_event_card_at")]

    def __str__(self):
        return f"{self.kind} {self.card_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("CardEvent is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("CardEvent is append-only")


class PilotScopeKind(models.TextChoices):
    CITY = "city", _("全市")
    DISTRICT = "district", _("区（县）")
    INSTITUTION = "institution", _("机构")


class CardPilotScope(models.Model):
    """One participant of the health-card pilot: an institution, a district (every institution in it), or
    the whole city. With no row at all the card is not open anywhere yet (issue and look-up are refused
    with a message saying so); status changes of existing cards (lost, revoke) are never restricted."""

    kind = models.CharField(_("范围类型"), max_length=16, choices=PilotScopeKind.choices)
    district = models.ForeignKey("orgs.Division", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("区（县）"))
    institution = models.ForeignKey("orgs.Institution", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+", verbose_name=_("机构"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(_("加入时间"), auto_now_add=True)

    class Meta:
        ordering = ["kind", "district_id", "institution_id"]
        verbose_name = _("居民健康卡试点范围")
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(kind="city", district__isnull=True, institution__isnull=True)
                           | models.Q(kind="district", district__isnull=False, institution__isnull=True)
                           | models.Q(kind="institution", district__isnull=True, institution__isnull=False)),
                name="mpi_card_pilot_kind_target"),
            models.UniqueConstraint(fields=["kind"], condition=models.Q(kind="city"), name="mpi_card_pilot_one_city"),
            models.UniqueConstraint(fields=["district"], condition=models.Q(district__isnull=False),
                                    name="mpi_card_pilot_district"),
            models.UniqueConstraint(fields=["institution"], condition=models.Q(institution__isnull=False),
                                    name="mpi_card_pilot_institution"),
        ]

    def __str__(self):
        return f"{self.kind} {self.district_id or self.institution_id or ''}".strip()
