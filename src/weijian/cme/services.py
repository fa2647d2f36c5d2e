"""Writes for CME. Each one: keyword-only `actor`, checks the role (accounts.access.require) and the
scope of the rows it touches, validates, writes and audits in one transaction."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone

from weijian.accounts.access import (
    access_object,
    division_in_scope,
    institution_in_scope,
    require,
    scoped_queryset,
)
from weijian.accounts.roles import Scope
from weijian.audit.actions import AuditAction
from weijian.audit.services import audit_changes, audit_record, audit_snapshot
from weijian.cme.errors import CmeErrorCode as E
from weijian.cme.models import (
    PUBLISHED,
    AnnualAudit,
    Attendance,
    CmeProject,
    CreditCategory,
    CreditClass,
    CreditRecord,
    CreditRequirement,
    CreditSource,
    Delivery,
    Exemption,
    ProjectLevel,
    ProjectStatus,
    TitleGroup,
    Verification,
)
from weijian.cme.selectors import yearly_outcomes
from weijian.core.errors import BusinessError, NotFoundOrForbidden
from weijian.orgs.models import Division, Institution
from weijian.workforce.models import Profession, Worker, WorkerStatus

MAX_CREDITS = Decimal("9999.9")


def _choice(value: str, choices, field: str) -> str:
    if value not in choices._value2member_map_:
        raise BusinessError(E.CHOICE_INVALID, f"取值“{value}”无效", field=field)
    return value


def parse_credits(value, field: str = "credits") -> Decimal:
    """A positive number of credits with at most one decimal place (shared with the importers)."""
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise BusinessError(E.CREDITS_INVALID, field=field) from None
    if not number.is_finite() or number <= 0 or number > MAX_CREDITS or number != number.quantize(Decimal("0.1")):
        raise BusinessError(E.CREDITS_INVALID, field=field)
    return number.quantize(Decimal("0.1"))


def _not_future(day: dt.date, today: dt.date | None, field: str) -> None:
    if day > (today or timezone.localdate()):
        raise BusinessError(E.DATE_IN_FUTURE, field=field)


def _worker_in_write_scope(actor, worker: Worker) -> bool:
    if actor.scope == Scope.SELF:
        return worker.pk == actor.worker_id
    return institution_in_scope(actor, worker.institution)


def _require_worker(actor, worker: Worker) -> None:
    if worker is None or not _worker_in_write_scope(actor, worker):
        raise BusinessError(E.WORKER_OUT_OF_SCOPE, field="worker")


def _audit(actor, action, entity: str, obj, summary: str, before=None, after=None) -> None:
    audit_record(actor=actor, action=action, entity=entity, entity_id=obj.pk, summary=summary,
                 before=before, after=after)


# ---- projects --------------------------------------------------------------------------------

@transaction.atomic
def project_create(
    *, actor, number: str, name: str, level: str, host: Institution, credits, start_date: dt.date,
    end_date: dt.date, discipline: str = "", credit_class: str = CreditClass.I,
    delivery: str = Delivery.FACE_TO_FACE,
) -> CmeProject:
    """A municipal project starts as an application (draft). National and provincial projects come
    from the published national/provincial lists, so only the commission enters them, as approved."""
    require(actor, "cme-project", "create")
    number, name = (number or "").strip(), (name or "").strip()
    if not number:
        raise BusinessError(E.NUMBER_REQUIRED, field="number")
    if not name:
        raise BusinessError(E.NAME_REQUIRED, field="name")
    _choice(level, ProjectLevel, "level")
    _choice(credit_class, CreditClass, "credit_class")
    _choice(delivery, Delivery, "delivery")
    if host is None or not institution_in_scope(actor, host):
        raise BusinessError(E.HOST_OUT_OF_SCOPE, field="host")
    if level != ProjectLevel.MUNICIPAL and actor.scope != Scope.CITY:
        raise BusinessError(E.MUNICIPAL_ONLY, field="level")
    if end_date < start_date:
        raise BusinessError(E.DATES_INVALID, field="end_date")
    if CmeProject.objects.filter(number=number).exists():
        raise BusinessError(E.NUMBER_TAKEN, field="number")
    status = ProjectStatus.DRAFT if level == ProjectLevel.MUNICIPAL else ProjectStatus.APPROVED
    project = CmeProject(number=number, name=name, level=level, host=host, discipline=discipline.strip(),
                         credits=parse_credits(credits), credit_class=credit_class, delivery=delivery,
                         start_date=start_date, end_date=end_date, status=status)
    project.full_clean()
    project.save()
    _audit(actor, AuditAction.CREATE, "cme-project", project, project.name, after=audit_snapshot(project))
    return project


def _transition(actor, project: CmeProject, *, action: str, allowed: tuple, to: str, host_scope: bool,
                **fields) -> CmeProject:
    require(actor, "cme-project", action)
    # Re-read under a row lock: two reviewers must not both move the same project.
    project = access_object(actor, CmeProject, project.pk, "view")
    project = CmeProject.objects.select_for_update().get(pk=project.pk)
    if host_scope and not institution_in_scope(actor, project.host):
        raise NotFoundOrForbidden
    if project.status not in allowed:
        raise BusinessError(E.STATUS_INVALID, field="status")
    before = audit_snapshot(project)
    project.status = to
    for field, value in fields.items():
        setattr(project, field, value)
    project.full_clean()
    project.save(update_fields=["status", *fields, "updated_at"])
    old, new = audit_changes(before, audit_snapshot(project))
    _audit(actor, AuditAction.UPDATE, "cme-project", project, project.name, before=old, after=new)
    return project


@transaction.atomic
def project_endorse(*, actor, project: CmeProject) -> CmeProject:
    """The applicant's institution (or its district) recommends the application to the commission."""
    return _transition(actor, project, action="endorse", allowed=(ProjectStatus.DRAFT,),
                       to=ProjectStatus.ENDORSED, host_scope=True)


@transaction.atomic
def project_approve(*, actor, project: CmeProject, reason: str = "") -> CmeProject:
    return _transition(actor, project, action="approve", allowed=(ProjectStatus.ENDORSED,),
                       to=ProjectStatus.APPROVED, host_scope=False, decision_reason=reason.strip())


@transaction.atomic
def project_reject(*, actor, project: CmeProject, reason: str) -> CmeProject:
    if not (reason or "").strip():
        raise BusinessError(E.REASON_REQUIRED, field="reason")
    return _transition(actor, project, action="approve", allowed=(ProjectStatus.ENDORSED,),
                       to=ProjectStatus.REJECTED, host_scope=False, decision_reason=reason.strip())


@transaction.atomic
def project_mark_held(*, actor, project: CmeProject, reported_on: dt.date | None = None,
                      today: dt.date | None = None) -> CmeProject:
    """The host reports that the project took place (执行情况报告)."""
    require(actor, "cme-project", "update")
    reported_on = reported_on or today or timezone.localdate()
    _not_future(reported_on, today, "reported_on")
    if reported_on < project.start_date:
        raise BusinessError(E.STATUS_INVALID, field="reported_on")
    return _transition(actor, project, action="update", allowed=(ProjectStatus.APPROVED,),
                       to=ProjectStatus.HELD, host_scope=True, reported_on=reported_on)


@transaction.atomic
def project_cancel(*, actor, project: CmeProject, reason: str) -> CmeProject:
    if not (reason or "").strip():
        raise BusinessError(E.REASON_REQUIRED, field="reason")
    if project.attendances.exists():
        raise BusinessError(E.STATUS_INVALID, field="status")
    return _transition(actor, project, action="update",
                       allowed=(ProjectStatus.DRAFT, ProjectStatus.ENDORSED, ProjectStatus.APPROVED),
                       to=ProjectStatus.CANCELLED, host_scope=True, decision_reason=reason.strip())


# ---- attendance and credits ------------------------------------------------------------------

def attendance_ref(project: CmeProject) -> str:
    return f"project:{project.pk}"


@transaction.atomic
def attendance_record(*, actor, project: CmeProject, worker: Worker, attended_on: dt.date,
                      today: dt.date | None = None) -> tuple[Attendance, bool]:
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
        worker=worker, year=attended_on.year, credit_class=project.credit_class, category=CreditCategory.PROJECT,
        credits=project.credits, project=project, earned_on=attended_on,
        is_remote=project.delivery == Delivery.REMOTE, title=project.name[:200], source=CreditSource.ATTENDANCE,
        external_ref=attendance_ref(project), status=Verification.VERIFIED, verified_by=actor,
        verified_at=timezone.now(),
    )
    record.full_clean()
    record.save()
    _audit(actor, AuditAction.CREATE, "cme-attendance", attendance, f"{worker.name} 参加 {project.number}",
           after={**audit_snapshot(attendance), "credit_record": record.pk, "credits": str(record.credits)})
    return attendance, True


SELF_REPORTED_CATEGORIES = (CreditCategory.SELF_STUDY, CreditCategory.PAPER, CreditCategory.LECTURE,
                            CreditCategory.REMOTE, CreditCategory.OTHER)


@transaction.atomic
def credit_record_create(*, actor, worker: Worker, credit_class: str, category: str, credits,
                         earned_on: dt.date, title: str = "", is_remote: bool = False,
                         today: dt.date | None = None) -> CreditRecord:
    """A self-reported activity (self-study, paper, lecture, ...): pending until verified."""
    require(actor, "cme-credit", "create")
    _require_worker(actor, worker)
    _choice(credit_class, CreditClass, "credit_class")
    _choice(category, CreditCategory, "category")
    if category not in SELF_REPORTED_CATEGORIES:
        raise BusinessError(E.CATEGORY_NOT_SELF_REPORTED, field="category")
    _not_future(earned_on, today, "earned_on")
    record = CreditRecord(
        worker=worker, year=earned_on.year, credit_class=credit_class, category=category,
        credits=parse_credits(credits), earned_on=earned_on, title=(title or "").strip()[:200],
        is_remote=is_remote or category == CreditCategory.REMOTE, source=CreditSource.SELF_REPORTED,
        status=Verification.PENDING,
    )
    record.full_clean()
    record.save()
    _audit(actor, AuditAction.CREATE, "cme-credit", record, f"{worker.name} {record.credits} 分",
           after=audit_snapshot(record))
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
    _audit(actor, AuditAction.UPDATE, "cme-credit", record, f"{record.worker.name} {record.credits} 分",
           before=old, after=new)
    return record


# ---- requirements, exemptions, the annual audit ----------------------------------------------

def _year(year: int) -> int:
    if not isinstance(year, int) or not 2000 <= year <= 2100:
        raise BusinessError(E.YEAR_INVALID, field="year")
    return year


@transaction.atomic
def requirement_set(*, actor, year: int, title_group: str, total, min_class_i, min_class_ii, remote_cap,
                    profession: str = "") -> CreditRequirement:
    """Create or change the requirement of one group for one year (empty profession = all professions)."""
    require(actor, "cme-requirement", "update")
    _year(year)
    _choice(title_group, TitleGroup, "title_group")
    if profession:
        _choice(profession, Profession, "profession")
    values = {
        "total": parse_credits(total, "total"),
        "min_class_i": _non_negative(min_class_i, "min_class_i"),
        "min_class_ii": _non_negative(min_class_ii, "min_class_ii"),
        "remote_cap": _non_negative(remote_cap, "remote_cap"),
    }
    if values["min_class_i"] + values["min_class_ii"] > values["total"]:
        raise BusinessError(E.REQUIREMENT_INVALID, field="min_class_i")
    requirement = CreditRequirement.objects.filter(year=year, profession=profession, title_group=title_group).first()
    before = audit_snapshot(requirement) if requirement else None
    requirement = requirement or CreditRequirement(year=year, profession=profession, title_group=title_group)
    for field, value in values.items():
        setattr(requirement, field, value)
    requirement.full_clean()
    requirement.save()
    summary = f"{year}年度学分要求 {requirement.get_title_group_display()}"
    if before is None:
        _audit(actor, AuditAction.CREATE, "cme-requirement", requirement, summary, after=audit_snapshot(requirement))
    else:
        old, new = audit_changes(before, audit_snapshot(requirement))
        if new:
            _audit(actor, AuditAction.UPDATE, "cme-requirement", requirement, summary, before=old, after=new)
    return requirement


def _non_negative(value, field: str) -> Decimal:
    if str(value).strip() in {"0", "0.0"}:
        return Decimal("0.0")
    return parse_credits(value, field)


@transaction.atomic
def exemption_grant(*, actor, worker: Worker, year: int, reason: str) -> Exemption:
    """Exempt a worker from one year's requirement (long sick leave, study abroad, ...), approved at once."""
    require(actor, "cme-exemption", "approve")
    _require_worker(actor, worker)
    _year(year)
    reason = (reason or "").strip()
    if not reason:
        raise BusinessError(E.REASON_REQUIRED, field="reason")
    exemption = Exemption.objects.filter(worker=worker, year=year).first()
    before = audit_snapshot(exemption) if exemption else None
    exemption = exemption or Exemption(worker=worker, year=year)
    exemption.reason, exemption.status = reason[:200], Verification.VERIFIED
    exemption.approved_by, exemption.approved_at = actor, timezone.now()
    exemption.full_clean()
    exemption.save()
    _audit(actor, AuditAction.CREATE if before is None else AuditAction.UPDATE, "cme-exemption", exemption,
           f"{worker.name} {year}年度豁免", before=before, after=audit_snapshot(exemption))
    return exemption


@dataclass(frozen=True)
class AuditRun:
    year: int
    audited: int
    passed: int
    failed: int
    no_requirement: int  # active workers whose group has no requirement that year: no row written


@transaction.atomic
def annual_audit_run(*, actor, year: int, district: Division | None = None, batch_size: int = 2000) -> AuditRun:
    """Judge every active worker in the actor's scope (optionally one district) for `year` and store one
    AnnualAudit row each, replacing the rows of an earlier run for the same workers."""
    require(actor, "cme-audit", "run")
    _year(year)
    workers = scoped_queryset(actor, Worker, "list")
    if district is not None:
        if not division_in_scope(actor, district):
            raise BusinessError(E.DISTRICT_OUT_OF_SCOPE, field="district")
        workers = workers.filter(institution__district=district)
    AnnualAudit.objects.filter(year=year, worker__in=workers.values("pk")).delete()
    rows, passed, missing = [], 0, 0
    for worker_id, institution_id, group, outcome in yearly_outcomes(workers.filter(status=WorkerStatus.ACTIVE), year):
        if outcome is None:
            missing += 1
            continue
        passed += outcome.passed
        rows.append(AnnualAudit(
            worker_id=worker_id, year=year, institution_id=institution_id, title_group=group,
            passed=outcome.passed, exempt=outcome.exempt, counted_total=outcome.counted_total,
            class_i=outcome.class_i, class_ii=outcome.class_ii, remote_counted=outcome.remote_counted,
            shortfall=outcome.shortfall, reason=outcome.reason[:255],
        ))
    AnnualAudit.objects.bulk_create(rows, batch_size=batch_size)
    result = AuditRun(year, len(rows), passed, len(rows) - passed, missing)
    audit_record(
        actor=actor, action=AuditAction.CREATE, entity="cme-annual-audit", entity_id=year,
        summary=f"{year}年度学分审验：{result.audited}人，达标{result.passed}人，未达标{result.failed}人",
        after={"year": year, "district": district.pk if district else None, "audited": result.audited,
               "passed": result.passed, "failed": result.failed, "no_requirement": missing},
    )
    return result
