"""Attendance and the credit ledger."""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from weijian.accounts.access import (
    access_object,
    require,
)
from weijian.audit.actions import AuditAction
from weijian.audit.services import audit_changes, audit_snapshot
from weijian.cme.errors import CmeErrorCode as E
from weijian.cme.models import (
    PUBLISHED,
    Attendance,
    CmeProject,
    CreditCategory,
    CreditClass,
    CreditRecord,
    CreditSource,
    Delivery,
    Verification,
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
    *, actor, project: CmeProject, worker: Worker, attended_on: dt.date, today: dt.date | None = None
) -> tuple[Attendance, bool]:
    """Record that `worker` attended `project`, and credit him the project's credits (verified: the
    sign-in sheet is the evidence). Idempotent: a second call returns the existing row and False."""
    require(actor, "cme-attendance", "create")
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
    attendance = Attendance(project=project, worker=worker, attended_on=attended_on)
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


@transaction.atomic
def credit_record_create(
    *,
    actor,
    worker: Worker,
    credit_class: str,
    category: str,
    credits,
    earned_on: dt.date,
    title: str = "",
    is_remote: bool = False,
    today: dt.date | None = None,
) -> CreditRecord:
    """A self-reported activity (self-study, paper, lecture, ...): pending until verified."""
    require(actor, "cme-credit", "create")
    _require_worker(actor, worker)
    _choice(credit_class, CreditClass, "credit_class")
    _choice(category, CreditCategory, "category")
    if category not in SELF_REPORTED_CATEGORIES:
        raise BusinessError(E.CATEGORY_NOT_SELF_REPORTED, field="category")
    _not_future(earned_on, today, "earned_on")
    record = CreditRecord(
        worker=worker,
        year=earned_on.year,
        credit_class=credit_class,
        category=category,
        credits=parse_credits(credits),
        earned_on=earned_on,
        title=(title or "").strip()[:200],
        is_remote=is_remote or category == CreditCategory.REMOTE,
        source=CreditSource.SELF_REPORTED,
        status=Verification.PENDING,
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


@transaction.atomic
def credit_verify(*, actor, record: CreditRecord, approve: bool = True) -> CreditRecord:
    """Verify (or reject) a pending record of a worker in the actor's scope."""
    require(actor, "cme-credit", "verify")
    record = access_object(actor, CreditRecord, record.pk, "verify")
    record = CreditRecord.objects.select_for_update().select_related("worker").get(pk=record.pk)
    if record.status != Verification.PENDING:
        raise BusinessError(E.ALREADY_VERIFIED, field="status")
    before = audit_snapshot(record)
    record.status = Verification.VERIFIED if approve else Verification.REJECTED
    record.verified_by, record.verified_at = actor, timezone.now()
    record.save(update_fields=["status", "verified_by", "verified_at", "updated_at"])
    old, new = audit_changes(before, audit_snapshot(record))
    _audit(
        actor,
        AuditAction.UPDATE,
        "cme-credit",
        record,
        f"{record.worker.name} {record.credits} 分",
        before=old,
        after=new,
    )
    return record
