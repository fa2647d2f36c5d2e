"""Projects: application, endorsement, review, filing (备案), execution report (执行情况报告),
cancellation; and the year's policy (deadlines and the spot-check rate)."""

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone

from weijian.accounts.access import (
    access_object,
    institution_in_scope,
    require,
)
from weijian.accounts.roles import Scope
from weijian.audit.actions import AuditAction
from weijian.audit.services import audit_changes, audit_record, audit_snapshot
from weijian.cme.errors import CmeErrorCode as E
from weijian.cme.models import (
    CmePolicy,
    CmeProject,
    CreditClass,
    Delivery,
    ProjectLevel,
    ProjectStatus,
)
from weijian.cme.selectors import filing_deadline
from weijian.cme.services._common import (
    _audit,
    _choice,
    _not_future,
    _year,
    parse_credits,
)
from weijian.core.errors import BusinessError, NotFoundOrForbidden
from weijian.orgs.models import Institution
from weijian.research import rules as research_rules
from weijian.research.services import sanctions_of
from weijian.workforce.models import Worker

# ---- projects --------------------------------------------------------------------------------

MAX_BUDGET = Decimal("9999999999.99")
FIRST_YEAR, LAST_YEAR = 2000, 2100  # project dates outside these are typing errors


def _budget(value) -> Decimal | None:
    if value is None or str(value).strip() == "":
        return None
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise BusinessError(E.BUDGET_INVALID, field="budget") from None
    if not number.is_finite() or number < 0 or number > MAX_BUDGET or number != number.quantize(Decimal("0.01")):
        raise BusinessError(E.BUDGET_INVALID, field="budget")
    return number.quantize(Decimal("0.01"))


def _count(value, field: str, *, optional: bool = False) -> int | None:
    if optional and (value is None or str(value).strip() == ""):
        return None
    if isinstance(value, bool):
        raise BusinessError(E.COUNT_INVALID, field=field)
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise BusinessError(E.COUNT_INVALID, field=field) from None
    if number < 0 or number > 1_000_000:
        raise BusinessError(E.COUNT_INVALID, field=field)
    return number


def _text(value, limit: int | None = None) -> str:
    text = (value or "").strip()
    return text[:limit] if limit else text


def _application(fields: dict) -> dict:
    """Normalise the application fields (those a draft may change)."""
    out = {}
    if "name" in fields:
        out["name"] = _text(fields["name"])
        if not out["name"]:
            raise BusinessError(E.NAME_REQUIRED, field="name")
    if "discipline" in fields:
        out["discipline"] = _text(fields["discipline"], 64)
    if "credits" in fields:
        out["credits"] = parse_credits(fields["credits"])
    if "credit_class" in fields:
        out["credit_class"] = _choice(fields["credit_class"], CreditClass, "credit_class")
    if "delivery" in fields:
        out["delivery"] = _choice(fields["delivery"], Delivery, "delivery")
    for name, limit in (("lead_teacher", 64), ("audience", 200), ("schedule", None)):
        if name in fields:
            out[name] = _text(fields[name], limit)
    if "budget" in fields:
        out["budget"] = _budget(fields["budget"])
    if "expected_attendees" in fields:
        out["expected_attendees"] = _count(fields["expected_attendees"], "expected_attendees", optional=True)
    for name in ("start_date", "end_date"):
        if name in fields:
            # Deadlines are computed from these dates (start − N days, end + N days): bound them.
            if not FIRST_YEAR <= fields[name].year <= LAST_YEAR:
                raise BusinessError(E.DATE_OUT_OF_RANGE, field=name)
            out[name] = fields[name]
    return out


EDITABLE_FIELDS = frozenset({
    "name", "discipline", "credits", "credit_class", "delivery", "start_date", "end_date",
    "lead_teacher", "lead_worker", "audience", "schedule", "budget", "expected_attendees",
})


def _lead_allowed(actor, lead: Worker | None, project: CmeProject | None = None,
                  today: dt.date | None = None) -> None:
    """Research integrity sanctions bar a person from hosting CME projects (主办继续医学教育项目) while they
    last. Called before the step's transaction so that the refusal's audit row is kept."""
    if lead is None:
        return
    reason = research_rules.blocking_reason(sanctions_of(lead.pk), today or timezone.localdate(), "host_cme")
    if reason:
        error = BusinessError(E.LEAD_SANCTIONED, f"{lead.name}：{reason}", field="lead_worker")
        audit_record(actor=actor, action=AuditAction.UPDATE, entity="cme-project",
                     entity_id=getattr(project, "pk", "") or "", summary=f"拒绝：{error.message}", outcome="denied")
        raise error


def _lead_of(project: CmeProject) -> Worker | None:
    lead_id = CmeProject.objects.filter(pk=project.pk).values_list("lead_worker_id", flat=True).first()
    return Worker.objects.filter(pk=lead_id).first() if lead_id else None


def project_create(*, actor, lead_worker: Worker | None = None, today: dt.date | None = None, **fields) -> CmeProject:
    """A municipal project starts as an application (draft); see `_project_create`. A lead from the
    city's workforce (`lead_worker`) must not be under an integrity sanction."""
    require(actor, "cme-project", "create")
    _lead_allowed(actor, lead_worker, today=today)
    if lead_worker is not None and not fields.get("lead_teacher"):
        fields["lead_teacher"] = lead_worker.name
    return _project_create(actor=actor, lead_worker=lead_worker, **fields)


@transaction.atomic
def _project_create(
    *,
    actor,
    lead_worker: Worker | None,
    number: str,
    name: str,
    level: str,
    host: Institution,
    credits,
    start_date: dt.date,
    end_date: dt.date,
    discipline: str = "",
    credit_class: str = CreditClass.I,
    delivery: str = Delivery.FACE_TO_FACE,
    lead_teacher: str = "",
    audience: str = "",
    schedule: str = "",
    budget=None,
    expected_attendees=None,
) -> CmeProject:
    """A municipal project starts as an application (draft). National and provincial projects come
    from the published national/provincial lists, so only the commission enters them, as approved."""
    require(actor, "cme-project", "create")
    number = (number or "").strip()
    if not number:
        raise BusinessError(E.NUMBER_REQUIRED, field="number")
    values = _application(dict(
        name=name, discipline=discipline, credits=credits, credit_class=credit_class, delivery=delivery,
        lead_teacher=lead_teacher, audience=audience, schedule=schedule, budget=budget,
        expected_attendees=expected_attendees, start_date=start_date, end_date=end_date,
    ))
    _choice(level, ProjectLevel, "level")
    if host is None or not institution_in_scope(actor, host):
        raise BusinessError(E.HOST_OUT_OF_SCOPE, field="host")
    if level != ProjectLevel.MUNICIPAL and actor.scope != Scope.CITY:
        raise BusinessError(E.MUNICIPAL_ONLY, field="level")
    if end_date < start_date:
        raise BusinessError(E.DATES_INVALID, field="end_date")
    if CmeProject.objects.filter(number=number).exists():
        raise BusinessError(E.NUMBER_TAKEN, field="number")
    status = ProjectStatus.DRAFT if level == ProjectLevel.MUNICIPAL else ProjectStatus.APPROVED
    project = CmeProject(number=number, level=level, host=host, status=status, applied_by=actor,
                         lead_worker=lead_worker, **values)
    project.full_clean()
    project.save()
    _audit(actor, AuditAction.CREATE, "cme-project", project, project.name, after=audit_snapshot(project))
    return project


def _host_side(actor, project: CmeProject) -> bool:
    """The host institution itself, or the district it lies in (not the commission)."""
    return actor.scope in (Scope.DISTRICT, Scope.INSTITUTION) and institution_in_scope(actor, project.host)


def _locked(actor, project: CmeProject, action: str) -> CmeProject:
    require(actor, "cme-project", action)
    # Re-read under a row lock: two reviewers must not both move the same project.
    project = access_object(actor, CmeProject, project.pk, "view")
    return CmeProject.objects.select_for_update(of=("self",)).select_related("host").get(pk=project.pk)


def _save(actor, project: CmeProject, before: dict, fields: list[str], audit_action: str, summary: str = ""):
    project.full_clean()
    project.save(update_fields=[*fields, "updated_at"])
    old, new = audit_changes(before, audit_snapshot(project))
    _audit(actor, audit_action, "cme-project", project, summary or project.name, before=old, after=new)
    return project


def _transition(
    actor,
    project: CmeProject,
    *,
    action: str,
    audit_action: str,
    allowed: tuple,
    to: str | None,
    host_scope: bool,
    summary: str = "",
    **fields,
) -> CmeProject:
    """Move `project` from one of `allowed` to `to` (None: keep the status), setting `fields`, audited
    with `audit_action`. `host_scope`: only the host institution or its district may do it."""
    project = _locked(actor, project, action)
    if host_scope and not _host_side(actor, project) and actor.scope != Scope.CITY:
        raise NotFoundOrForbidden
    if project.status not in allowed:
        raise BusinessError(E.STATUS_INVALID, field="status")
    before = audit_snapshot(project)
    if to is not None:
        project.status = to
    for field, value in fields.items():
        setattr(project, field, value)
    return _save(actor, project, before, [*(["status"] if to else []), *fields], audit_action, summary)


def project_update(*, actor, project: CmeProject, today: dt.date | None = None, **fields) -> CmeProject:
    """Change a draft application; only the host institution or its district, only while a draft."""
    if fields.get("lead_worker") is not None:
        require(actor, "cme-project", "update")
        _lead_allowed(actor, fields["lead_worker"], project, today)
    return _project_update(actor=actor, project=project, **fields)


@transaction.atomic
def _project_update(*, actor, project: CmeProject, **fields) -> CmeProject:
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise BusinessError(E.FIELD_NOT_EDITABLE, field=sorted(unknown)[0])
    project = _locked(actor, project, "update")
    if not _host_side(actor, project):
        raise NotFoundOrForbidden
    if project.status != ProjectStatus.DRAFT:
        raise BusinessError(E.STATUS_INVALID, field="status")
    values = _application(fields)
    if "lead_worker" in fields:
        values["lead_worker"] = fields["lead_worker"]
    start = values.get("start_date", project.start_date)
    end = values.get("end_date", project.end_date)
    if end < start:
        raise BusinessError(E.DATES_INVALID, field="end_date")
    before = audit_snapshot(project)
    changed = [name for name, value in values.items() if getattr(project, name) != value]
    for name in changed:
        setattr(project, name, values[name])
    if not changed:
        return project
    return _save(actor, project, before, changed, AuditAction.UPDATE)


def project_endorse(*, actor, project: CmeProject, today: dt.date | None = None) -> CmeProject:
    """The applicant's institution (or its district) recommends the application (单位推荐), unless its
    lead has come under an integrity sanction since it was written."""
    require(actor, "cme-project", "endorse")
    _lead_allowed(actor, _lead_of(project), project, today)
    return _project_endorse(actor=actor, project=project)


@transaction.atomic
def _project_endorse(*, actor, project: CmeProject) -> CmeProject:
    return _transition(actor, project, action="endorse", audit_action=AuditAction.SUBMIT,
                       allowed=(ProjectStatus.DRAFT,), to=ProjectStatus.ENDORSED, host_scope=True)


def project_approve(*, actor, project: CmeProject, reason: str = "", today: dt.date | None = None) -> CmeProject:
    require(actor, "cme-project", "approve")
    _lead_allowed(actor, _lead_of(project), project, today)
    return _project_approve(actor=actor, project=project, reason=reason)


@transaction.atomic
def _project_approve(*, actor, project: CmeProject, reason: str = "") -> CmeProject:
    return _transition(actor, project, action="approve", audit_action=AuditAction.APPROVE,
                       allowed=(ProjectStatus.ENDORSED,), to=ProjectStatus.APPROVED, host_scope=False,
                       decision_reason=(reason or "").strip()[:500])


@transaction.atomic
def project_reject(*, actor, project: CmeProject, reason: str) -> CmeProject:
    if not (reason or "").strip():
        raise BusinessError(E.REASON_REQUIRED, field="reason")
    return _transition(actor, project, action="approve", audit_action=AuditAction.REJECT,
                       allowed=(ProjectStatus.ENDORSED,), to=ProjectStatus.REJECTED, host_scope=False,
                       decision_reason=reason.strip()[:500])


@transaction.atomic
def project_file(
    *, actor, project: CmeProject, filed_on: dt.date | None = None, today: dt.date | None = None
) -> CmeProject:
    """The host files (备案) an approved project before it starts. Filing after the deadline
    (selectors.filing_deadline) is accepted and shows as late (selectors.is_filed_late)."""
    require(actor, "cme-project", "update")
    today = today or timezone.localdate()
    filed_on = filed_on or today
    _not_future(filed_on, today, "filed_on")
    locked = _locked(actor, project, "update")
    if not _host_side(actor, locked):
        raise NotFoundOrForbidden
    if locked.filed_on is not None:
        raise BusinessError(E.ALREADY_FILED, field="filed_on")
    late = filed_on > filing_deadline(locked)
    summary = f"{locked.name}（备案{'，逾期' if late else ''}）"
    return _transition(actor, locked, action="update", audit_action=AuditAction.SUBMIT,
                       allowed=(ProjectStatus.APPROVED,), to=None, host_scope=True, summary=summary,
                       filed_on=filed_on)


@transaction.atomic
def project_report(
    *,
    actor,
    project: CmeProject,
    held_from: dt.date,
    held_to: dt.date,
    attendee_count,
    out_of_city_count,
    teachers: str = "",
    summary: str = "",
    today: dt.date | None = None,
) -> CmeProject:
    """The host's execution report (执行情况报告): the project took place; status becomes held."""
    require(actor, "cme-project", "update")
    today = today or timezone.localdate()
    if held_to > today:
        raise BusinessError(E.REPORT_END_IN_FUTURE, field="held_to")
    if held_from > held_to:
        raise BusinessError(E.REPORT_DATES_INVALID, field="held_from")
    attendees = _count(attendee_count, "attendee_count")
    out_of_city = _count(out_of_city_count, "out_of_city_count")
    if out_of_city > attendees:
        raise BusinessError(E.OUT_OF_CITY_EXCEEDS, field="out_of_city_count")
    locked = _locked(actor, project, "update")
    if not _host_side(actor, locked):
        raise NotFoundOrForbidden
    return _transition(
        actor, locked, action="update", audit_action=AuditAction.SUBMIT, allowed=(ProjectStatus.APPROVED,),
        to=ProjectStatus.HELD, host_scope=True, summary=f"{locked.name}（执行情况报告）",
        reported_on=today, held_from=held_from, held_to=held_to, attendee_count=attendees,
        out_of_city_count=out_of_city, teachers=_text(teachers, 500), report_summary=_text(summary),
    )


@transaction.atomic
def project_mark_held(
    *, actor, project: CmeProject, reported_on: dt.date | None = None, today: dt.date | None = None
) -> CmeProject:
    """Shortcut kept for older callers: an execution report with the planned dates and the recorded
    attendance as the count. New code calls `project_report`."""
    day = reported_on or today or timezone.localdate()
    _not_future(day, today, "reported_on")
    if day < project.end_date:
        raise BusinessError(E.REPORT_END_IN_FUTURE, field="reported_on")
    return project_report(actor=actor, project=project, held_from=project.start_date, held_to=project.end_date,
                          attendee_count=project.attendances.count(), out_of_city_count=0, today=day)


@transaction.atomic
def project_cancel(*, actor, project: CmeProject, reason: str) -> CmeProject:
    if not (reason or "").strip():
        raise BusinessError(E.REASON_REQUIRED, field="reason")
    # The gate before any business answer: another district learns nothing about the project.
    project = _locked(actor, project, "update")
    if not _host_side(actor, project) and actor.scope != Scope.CITY:
        raise NotFoundOrForbidden
    if project.attendances.exists():
        raise BusinessError(E.STATUS_INVALID, field="status")
    return _transition(
        actor,
        project,
        action="update",
        audit_action=AuditAction.UPDATE,
        allowed=(ProjectStatus.DRAFT, ProjectStatus.ENDORSED, ProjectStatus.APPROVED),
        to=ProjectStatus.CANCELLED,
        host_scope=True,
        decision_reason=reason.strip()[:500],
    )


# ---- policy ----------------------------------------------------------------------------------

RATE_STEP = Decimal("0.001")


def _days(value, field: str) -> int:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise BusinessError(E.DAYS_INVALID, field=field) from None
    if isinstance(value, bool) or not 0 <= number <= 365:
        raise BusinessError(E.DAYS_INVALID, field=field)
    return number


def parse_rate(value, field: str = "spot_check_rate") -> Decimal:
    """A sampling rate in (0, 1] with at most three decimals (shared with the spot-check draw)."""
    try:
        rate = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise BusinessError(E.RATE_INVALID, field=field) from None
    if not rate.is_finite() or not 0 < rate <= 1 or rate != rate.quantize(RATE_STEP):
        raise BusinessError(E.RATE_INVALID, field=field)
    return rate.quantize(RATE_STEP)


@transaction.atomic
def policy_set(
    *, actor, year: int, filing_days_before, report_days_after, spot_check_rate, cycle_years
) -> CmePolicy:
    """Create or change the year's deadlines and rates (commission)."""
    require(actor, "cme-policy", "update")
    _year(year)
    try:
        cycle = int(str(cycle_years).strip())
    except (TypeError, ValueError):
        raise BusinessError(E.CYCLE_INVALID, field="cycle_years") from None
    if not 1 <= cycle <= 10:
        raise BusinessError(E.CYCLE_INVALID, field="cycle_years")
    values = {
        "filing_days_before": _days(filing_days_before, "filing_days_before"),
        "report_days_after": _days(report_days_after, "report_days_after"),
        "spot_check_rate": parse_rate(spot_check_rate),
        "cycle_years": cycle,
    }
    policy = CmePolicy.objects.select_for_update().filter(year=year).first()
    before = audit_snapshot(policy) if policy else None
    policy = policy or CmePolicy(year=year)
    for field, value in values.items():
        setattr(policy, field, value)
    policy.full_clean()
    policy.save()
    summary = f"{year}年度继续医学教育参数"
    if before is None:
        _audit(actor, AuditAction.CREATE, "cme-policy", policy, summary, after=audit_snapshot(policy))
    else:
        old, new = audit_changes(before, audit_snapshot(policy))
        if new:
            _audit(actor, AuditAction.UPDATE, "cme-policy", policy, summary, before=old, after=new)
    return policy
