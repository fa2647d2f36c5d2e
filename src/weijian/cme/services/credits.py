"""Attendance and the credit ledger."""

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from weijian.accounts.access import (
    access_object,
    require,
)
from weijian.accounts.roles import Role
from weijian.audit.actions import AuditAction
from weijian.audit.services import audit_changes, audit_snapshot
from weijian.cme.errors import CmeErrorCode as E
from weijian.cme.models import (
    PUBLISHED,
    ActivityType,
    Attendance,
    AttendanceMethod,
    CmeProject,
    CreditCategory,
    CreditClass,
    CreditRecord,
    CreditReview,
    CreditRule,
    CreditSource,
    Delivery,
    ReviewDecision,
    Verification,
    VerificationStage,
)
from weijian.cme.services._common import (
    _audit,
    _choice,
    _not_future,
    _require_worker,
    parse_credits,
)
from weijian.core.errors import BusinessError
from weijian.workforce.models import Worker, WorkerStatus

# ---- attendance and credits ------------------------------------------------------------------


def attendance_ref(project: CmeProject) -> str:
    return f"project:{project.pk}"


@transaction.atomic
def attendance_record(
    *,
    actor,
    project: CmeProject,
    worker: Worker,
    attended_on: dt.date,
    today: dt.date | None = None,
    method: str = AttendanceMethod.MANUAL,
) -> tuple[Attendance, bool]:
    """Record that `worker` attended `project`, and credit him the project's credits (verified: the
    sign-in sheet is the evidence). Idempotent: a second call returns the existing row and False."""
    # A QR check-in is the worker recording himself (checkin.py checks the window); others keep the roster.
    require(actor, *(("cme-checkin", "check-in") if method == AttendanceMethod.QR_CHECK_IN
                     else ("cme-attendance", "create")))
    _require_worker(actor, worker)
    if project.status not in PUBLISHED:
        raise BusinessError(E.PROJECT_NOT_OPEN, field="project")
    existing = Attendance.objects.filter(project=project, worker=worker).first()
    if existing is not None:
        return existing, False
    if worker.status != WorkerStatus.ACTIVE:
        raise BusinessError(E.WORKER_NOT_ACTIVE, field="worker")
    _not_future(attended_on, today, "attended_on")
    if not project.start_date <= attended_on <= project.end_date:
        raise BusinessError(E.DATE_OUTSIDE_PROJECT, field="attended_on")
    _choice(method, AttendanceMethod, "method")
    attendance = Attendance(project=project, worker=worker, attended_on=attended_on, method=method)
    attendance.full_clean()
    attendance.save()
    record = CreditRecord(
        worker=worker,
        year=attended_on.year,
        credit_class=project.credit_class,
        category=CreditCategory.PROJECT,
        credits=project.credits,
        project=project,
        earned_on=attended_on,
        is_remote=project.delivery == Delivery.REMOTE,
        title=project.name[:200],
        source=CreditSource.ATTENDANCE,
        external_ref=attendance_ref(project),
        status=Verification.VERIFIED,
        verified_by=actor,
        verified_at=timezone.now(),
    )
    record.full_clean()
    record.save()
    _audit(
        actor,
        AuditAction.CREATE,
        "cme-attendance",
        attendance,
        f"{worker.name} 参加 {project.number}",
        after={**audit_snapshot(attendance), "credit_record": record.pk, "credits": str(record.credits)},
    )
    return attendance, True


SELF_REPORTED_CATEGORIES = (
    CreditCategory.SELF_STUDY,
    CreditCategory.PAPER,
    CreditCategory.LECTURE,
    CreditCategory.REMOTE,
    CreditCategory.OTHER,
)

# ---- the activity catalogue ------------------------------------------------------------------

# The defaults follow the usual Chinese class II rules (《继续医学教育学分授予与管理办法》 and the
# provincial rules derived from it); the commission edits them on the catalogue page.
DEFAULT_ACTIVITY_TYPES = (
    dict(code="paper_core", name="发表论文（核心期刊）", category=CreditCategory.PAPER, unit="篇",
         credits_per_unit="10", max_per_year="20"),
    dict(code="paper_general", name="发表论文（一般期刊）", category=CreditCategory.PAPER, unit="篇",
         credits_per_unit="5", max_per_year="10"),
    dict(code="book", name="出版医学论著、译著", category=CreditCategory.PAPER, unit="万字",
         credits_per_unit="5", max_per_year="20"),
    dict(code="research", name="科研课题（市级以上立项）", category=CreditCategory.OTHER, unit="项",
         rule=CreditRule.FIXED, credits_per_unit="10", max_per_year="20"),
    dict(code="lecture_city", name="授课（市级以上继续医学教育项目）", category=CreditCategory.LECTURE,
         unit="学时", credits_per_unit="2", max_per_year="10"),
    dict(code="hospital_talk", name="参加院内学术讲座、病例讨论", category=CreditCategory.OTHER, unit="次",
         credits_per_unit="1", max_per_year="10"),
    dict(code="self_study", name="自学（读书笔记、综述）", category=CreditCategory.SELF_STUDY, unit="篇",
         credits_per_unit="1", max_per_year="10"),
    dict(code="remote_course", name="远程继续医学教育课程", category=CreditCategory.REMOTE, unit="学时",
         credits_per_unit="0.5", is_remote=True),
    dict(code="further_study", name="进修学习（三个月以上）", category=CreditCategory.OTHER, unit="月",
         credits_per_unit="2", max_per_year="12"),
)

_ACTIVITY_FIELDS = ("name", "credit_class", "category", "rule", "unit", "credits_per_unit", "max_per_year",
                    "is_remote", "needs_evidence", "is_active")


def _activity_values(values: dict) -> dict:
    """Validate and normalise the editable fields of an activity type (only those given)."""
    out = {}
    if "name" in values:
        out["name"] = (values["name"] or "").strip()[:100]
        if not out["name"]:
            raise BusinessError(E.NAME_REQUIRED, field="name")
    if "credit_class" in values:
        out["credit_class"] = _choice(values["credit_class"], CreditClass, "credit_class")
    if "category" in values:
        out["category"] = _choice(values["category"], CreditCategory, "category")
        if out["category"] not in SELF_REPORTED_CATEGORIES:
            raise BusinessError(E.CATEGORY_NOT_SELF_REPORTED, field="category")
    if "rule" in values:
        out["rule"] = _choice(values["rule"], CreditRule, "rule")
    if "unit" in values:
        out["unit"] = (values["unit"] or "").strip()[:16]
    if "credits_per_unit" in values:
        out["credits_per_unit"] = parse_credits(values["credits_per_unit"], "credits_per_unit")
    if "max_per_year" in values:
        raw = values["max_per_year"]
        out["max_per_year"] = None if raw in (None, "") else parse_credits(raw, "max_per_year")
    for flag in ("is_remote", "needs_evidence", "is_active"):
        if flag in values:
            out[flag] = bool(values[flag])
    return out


@transaction.atomic
def activity_type_create(*, actor, code: str, name: str, category: str, credits_per_unit,
                         credit_class: str = CreditClass.II, rule: str = CreditRule.PER_UNIT, unit: str = "",
                         max_per_year=None, is_remote: bool = False, needs_evidence: bool = True,
                         is_active: bool = True) -> ActivityType:
    """Add an activity to the catalogue (commission science)."""
    require(actor, "cme-activity-type", "create")
    code = (code or "").strip()
    if not code:
        raise BusinessError(E.NAME_REQUIRED, field="code")
    if ActivityType.objects.filter(code=code).exists():
        raise BusinessError(E.ACTIVITY_CODE_TAKEN, field="code")
    values = _activity_values(dict(name=name, credit_class=credit_class, category=category, rule=rule, unit=unit,
                                   credits_per_unit=credits_per_unit, max_per_year=max_per_year,
                                   is_remote=is_remote, needs_evidence=needs_evidence, is_active=is_active))
    activity = ActivityType(code=code[:32], **values)
    activity.full_clean()
    activity.save()
    _audit(actor, AuditAction.CREATE, "cme-activity-type", activity, f"学分活动类别 {activity.name}",
           after=audit_snapshot(activity))
    return activity


@transaction.atomic
def activity_type_update(*, actor, activity_type: ActivityType, **changes) -> ActivityType:
    """Change the rule of an activity; records already reported keep the credits they were given."""
    require(actor, "cme-activity-type", "update")
    unknown = set(changes) - set(_ACTIVITY_FIELDS)
    if unknown:
        raise TypeError(f"unknown fields: {sorted(unknown)}")
    activity = ActivityType.objects.select_for_update().get(pk=activity_type.pk)
    before = audit_snapshot(activity)
    for field, value in _activity_values(changes).items():
        setattr(activity, field, value)
    activity.full_clean()
    activity.save()
    old, new = audit_changes(before, audit_snapshot(activity))
    if new:
        _audit(actor, AuditAction.UPDATE, "cme-activity-type", activity, f"学分活动类别 {activity.name}",
               before=old, after=new)
    return activity


def activity_catalogue_seed(*, actor) -> int:
    """Create the default activities that are missing (by code); existing ones are left as edited.
    Returns how many were created."""
    require(actor, "cme-activity-type", "create")
    created = 0
    with transaction.atomic():
        existing = set(ActivityType.objects.values_list("code", flat=True))
        for spec in DEFAULT_ACTIVITY_TYPES:
            if spec["code"] not in existing:
                activity_type_create(actor=actor, **spec)
                created += 1
    return created


# ---- self-reported credits -------------------------------------------------------------------

ONE_PLACE = Decimal("0.1")
COUNTED_STATUSES = (Verification.PENDING, Verification.VERIFIED)


def _quantity(value) -> Decimal:
    try:
        return parse_credits(value, "quantity")
    except BusinessError:
        raise BusinessError(E.QUANTITY_INVALID, field="quantity") from None


def _activity_credits(activity: ActivityType, worker: Worker, year: int, quantity) -> tuple[Decimal, Decimal]:
    """(quantity, credits) for a report of `activity`: by the rule, cut to what the yearly cap leaves."""
    if activity.rule == CreditRule.FIXED:
        quantity = _quantity(quantity if quantity not in (None, "") else 1)
        credits = activity.credits_per_unit
    else:
        quantity = _quantity(quantity)
        credits = (quantity * activity.credits_per_unit).quantize(ONE_PLACE, rounding=ROUND_HALF_UP)
    if credits <= 0:
        raise BusinessError(E.QUANTITY_INVALID, field="quantity")
    if activity.max_per_year is not None:
        used = CreditRecord.objects.filter(
            worker=worker, activity_type=activity, year=year, status__in=COUNTED_STATUSES
        ).aggregate(total=Sum("credits"))["total"] or Decimal("0")
        remaining = activity.max_per_year - used
        if remaining <= 0:
            raise BusinessError(E.YEARLY_CAP_REACHED, field="quantity")
        credits = min(credits, remaining)
    return quantity, credits


@transaction.atomic
def credit_record_create(
    *,
    actor,
    worker: Worker,
    earned_on: dt.date,
    activity_type: ActivityType | None = None,
    quantity=None,
    credit_class: str = "",
    category: str = "",
    credits=None,
    title: str = "",
    is_remote: bool = False,
    today: dt.date | None = None,
) -> CreditRecord:
    """A self-reported activity (self-study, paper, lecture, ...): pending, at the department step.

    With `activity_type` the credits follow the catalogue rule (quantity × credits per unit, or the fixed
    credits), cut to what the type's yearly cap leaves; class, category and remote come from the type.
    Without it (older callers, imports) class, category and credits are given explicitly."""
    require(actor, "cme-credit", "create")
    _require_worker(actor, worker)
    _not_future(earned_on, today, "earned_on")
    if activity_type is not None:
        Worker.objects.select_for_update().filter(pk=worker.pk).first()  # serialise reports against the cap
        activity_type = ActivityType.objects.filter(pk=activity_type.pk, is_active=True).first()
        if activity_type is None:
            raise BusinessError(E.ACTIVITY_INACTIVE, field="activity_type")
        quantity, amount = _activity_credits(activity_type, worker, earned_on.year, quantity)
        credit_class, category = activity_type.credit_class, activity_type.category
        is_remote = activity_type.is_remote
    else:
        _choice(credit_class, CreditClass, "credit_class")
        _choice(category, CreditCategory, "category")
        amount, quantity = parse_credits(credits), None
    if category not in SELF_REPORTED_CATEGORIES:
        raise BusinessError(E.CATEGORY_NOT_SELF_REPORTED, field="category")
    record = CreditRecord(
        worker=worker,
        year=earned_on.year,
        credit_class=credit_class,
        category=category,
        credits=amount,
        earned_on=earned_on,
        title=(title or "").strip()[:200],
        is_remote=is_remote or category == CreditCategory.REMOTE,
        source=CreditSource.SELF_REPORTED,
        status=Verification.PENDING,
        stage=VerificationStage.DEPARTMENT,
        activity_type=activity_type,
        quantity=quantity,
    )
    record.full_clean()
    record.save()
    _audit(
        actor,
        AuditAction.CREATE,
        "cme-credit",
        record,
        f"{worker.name} {record.credits} 分",
        after=audit_snapshot(record),
    )
    return record


# ---- the verification chain: department → institution → commission ---------------------------

NEXT_STAGE = {
    VerificationStage.DEPARTMENT: VerificationStage.INSTITUTION,
    VerificationStage.INSTITUTION: VerificationStage.COMMISSION,
    VerificationStage.COMMISSION: VerificationStage.DONE,
}
STAGE_ROLES = {
    VerificationStage.DEPARTMENT: Role.INSTITUTION,
    VerificationStage.INSTITUTION: Role.INSTITUTION,
    VerificationStage.COMMISSION: Role.COMMISSION_SCIENCE,
}


def current_stage(record: CreditRecord) -> str:
    """The step a pending record waits for (records written before the chain say 'done': department)."""
    return VerificationStage.DEPARTMENT if record.stage == VerificationStage.DONE else record.stage


def can_review(actor, record: CreditRecord) -> bool:
    """Whether `actor` is the reviewer of the step `record` waits for (scope is checked by the gate)."""
    return record.status == Verification.PENDING and STAGE_ROLES.get(current_stage(record)) == actor.role


@transaction.atomic
def credit_review(*, actor, record: CreditRecord, approve: bool, comment: str = "") -> CreditRecord:
    """One step of the chain. The worker's institution checks the department and institution steps, the
    commission's science office the last one. Approving moves the record on (after the commission it is
    verified); rejecting, with a comment, ends it as rejected and sends it back to the worker."""
    require(actor, "cme-credit", "verify")
    record = access_object(actor, CreditRecord, record.pk, "verify")
    record = CreditRecord.objects.select_for_update(of=("self",)).select_related("worker", "activity_type").get(pk=record.pk)
    if record.status != Verification.PENDING:
        raise BusinessError(E.ALREADY_VERIFIED, field="status")
    stage = current_stage(record)
    if not can_review(actor, record):
        raise BusinessError(E.STAGE_NOT_YOURS, field="stage")
    comment = (comment or "").strip()[:500]
    if not approve and not comment:
        raise BusinessError(E.COMMENT_REQUIRED, field="comment")
    if (approve and stage == VerificationStage.DEPARTMENT and record.activity_type is not None
            and record.activity_type.needs_evidence and not record.evidence.exists()):
        raise BusinessError(E.EVIDENCE_REQUIRED, field="evidence")
    before = audit_snapshot(record)
    fields = ["stage", "updated_at"]
    if approve:
        record.stage = NEXT_STAGE[stage]
        if record.stage == VerificationStage.DONE:
            record.status = Verification.VERIFIED
            record.verified_by, record.verified_at = actor, timezone.now()
            fields += ["status", "verified_by", "verified_at"]
    else:
        record.status, record.stage = Verification.REJECTED, VerificationStage.DONE
        record.verified_by, record.verified_at = actor, timezone.now()
        fields += ["status", "verified_by", "verified_at"]
    record.save(update_fields=fields)
    review = CreditReview(record=record, stage=stage, comment=comment, reviewer=actor,
                          decision=ReviewDecision.APPROVE if approve else ReviewDecision.REJECT)
    review.full_clean()
    review.save()
    old, new = audit_changes(before, audit_snapshot(record))
    _audit(
        actor,
        AuditAction.VERIFY if approve else AuditAction.REJECT,
        "cme-credit",
        record,
        f"{record.worker.name} {record.credits} 分 {VerificationStage(stage).label}"
        f"{'通过' if approve else '退回'}",
        before=old,
        after={**new, "stage_reviewed": stage, "comment": comment},
    )
    return record


def credit_verify(*, actor, record: CreditRecord, approve: bool = True) -> CreditRecord:
    """Compatibility wrapper: one step of the chain at the record's current stage."""
    return credit_review(actor=actor, record=record, approve=approve, comment="" if approve else "审核未通过")
