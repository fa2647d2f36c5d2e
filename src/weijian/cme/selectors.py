"""Reads for CME, always through the scope gate; plus the one aggregate that the annual audit and
the indicators share (`yearly_outcomes`)."""

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.db import connections
from django.db.models import F, IntegerField, Q, QuerySet, Sum
from django.db.models.functions import Cast, Round

from weijian.accounts.access import access_object, can, institution_in_scope, require, scoped_queryset
from weijian.accounts.roles import Role, Scope
from weijian.cme.models import (
    ActivityType,
    AnnualAudit,
    Attendance,
    CheckInWindow,
    CmePolicy,
    CmeProject,
    CreditClass,
    CreditEvidence,
    CreditRecord,
    CreditRequirement,
    CycleCertification,
    Exemption,
    ProjectStatus,
    SpotCheckDraw,
    SpotCheckItem,
    Verification,
    VerificationStage,
    title_group_of,
)
from weijian.cme.rules import AuditOutcome, CreditTotals, evaluate
from weijian.core.errors import NotFoundOrForbidden
from weijian.workforce.models import TitleLevel, Worker

# ---- lists and single rows -------------------------------------------------------------------


def project_list(*, actor, level: str = "", status: str = "", host: str = "", district: str = "",
                 year: int | None = None, q: str = "", action: str = "list") -> QuerySet:
    qs = scoped_queryset(actor, CmeProject, action).select_related("host", "host__district")
    if level:
        qs = qs.filter(level=level)
    if status:
        qs = qs.filter(status=status)
    if host:
        qs = qs.filter(host_id=host)
    if district:
        qs = qs.filter(host__district_id=district)
    if year:
        qs = qs.filter(start_date__year=year)
    if q:
        qs = qs.filter(Q(name__contains=q) | Q(number__contains=q))
    return qs


def project_get(*, actor, pk, action: str = "view") -> CmeProject:
    return access_object(actor, CmeProject, pk, action)


def attendance_list(*, actor, project=None, worker=None, action: str = "list") -> QuerySet:
    qs = scoped_queryset(actor, Attendance, action).select_related("project", "worker", "worker__institution")
    if project is not None:
        qs = qs.filter(project=project)
    if worker is not None:
        qs = qs.filter(worker=worker)
    return qs


def credit_record_list(*, actor, year: int | None = None, worker=None, status: str = "", credit_class: str = "",
                       institution: str = "", district: str = "", action: str = "list") -> QuerySet:
    qs = scoped_queryset(actor, CreditRecord, action).select_related("worker", "worker__institution", "project")
    if year:
        qs = qs.filter(year=year)
    if worker is not None:
        qs = qs.filter(worker=worker)
    if status:
        qs = qs.filter(status=status)
    if credit_class:
        qs = qs.filter(credit_class=credit_class)
    if institution:
        qs = qs.filter(worker__institution_id=institution)
    if district:
        qs = qs.filter(worker__institution__district_id=district)
    return qs


def credit_record_get(*, actor, pk, action: str = "view") -> CreditRecord:
    return access_object(actor, CreditRecord, pk, action)


def requirement_list(*, actor, year: int | None = None) -> QuerySet:
    qs = scoped_queryset(actor, CreditRequirement)
    return qs.filter(year=year) if year else qs


def exemption_list(*, actor, year: int | None = None) -> QuerySet:
    qs = scoped_queryset(actor, Exemption).select_related("worker", "worker__institution")
    return qs.filter(year=year) if year else qs


def annual_audit_list(*, actor, year: int, passed: bool | None = None, institution: str = "",
                      district: str = "", action: str = "list") -> QuerySet:
    qs = scoped_queryset(actor, AnnualAudit, action).filter(year=year).select_related("worker", "institution")
    if passed is not None:
        qs = qs.filter(passed=passed)
    if institution:
        qs = qs.filter(institution_id=institution)
    if district:
        qs = qs.filter(institution__district_id=district)
    return qs


# ---- deadlines (备案 before the start, 执行情况报告 after the end) ------------------------------

def policy_for(year: int) -> CmePolicy:
    """The year's policy, or an unsaved one with the defaults when the commission has set none."""
    return CmePolicy.objects.filter(year=year).first() or CmePolicy(year=year)


def filing_deadline(project: CmeProject) -> dt.date:
    return project.start_date - dt.timedelta(days=policy_for(project.start_date.year).filing_days_before)


def report_deadline(project: CmeProject) -> dt.date:
    return project.end_date + dt.timedelta(days=policy_for(project.start_date.year).report_days_after)


def _per_year(qs: QuerySet, condition) -> QuerySet:
    """Filter `qs` with condition(policy, year) -> Q for each start year present (deadlines are per year)."""
    years = qs.order_by().values_list("start_date__year", flat=True).distinct()
    match = Q(pk__in=[])
    for year in years:
        match |= Q(start_date__year=year) & condition(policy_for(year))
    return qs.filter(match)


def overdue_filings(*, actor, today: dt.date, district: str = "", host: str = "") -> QuerySet:
    """Approved projects not filed although the filing deadline (start − N days) has passed."""
    qs = project_list(actor=actor, status=ProjectStatus.APPROVED, district=district, host=host).filter(
        filed_on__isnull=True)
    return _per_year(qs, lambda p: Q(start_date__lt=today + dt.timedelta(days=p.filing_days_before)))


def overdue_reports(*, actor, today: dt.date, district: str = "", host: str = "") -> QuerySet:
    """Approved projects whose execution report is missing although end + N days has passed."""
    qs = project_list(actor=actor, status=ProjectStatus.APPROVED, district=district, host=host).filter(
        reported_on__isnull=True)
    return _per_year(qs, lambda p: Q(end_date__lt=today - dt.timedelta(days=p.report_days_after)))


# ---- projects pages --------------------------------------------------------------------------

def is_filed_late(project: CmeProject) -> bool:
    """Filed (备案) after the filing deadline; accepted, but flagged."""
    return project.filed_on is not None and project.filed_on > filing_deadline(project)


def is_reported_late(project: CmeProject) -> bool:
    return project.reported_on is not None and project.reported_on > report_deadline(project)


def is_filing_overdue(project: CmeProject, today: dt.date) -> bool:
    return (project.status == ProjectStatus.APPROVED and project.filed_on is None
            and today > filing_deadline(project))


def is_report_overdue(project: CmeProject, today: dt.date) -> bool:
    return (project.status == ProjectStatus.APPROVED and project.reported_on is None
            and today > report_deadline(project))


def project_actions(*, actor, project: CmeProject) -> set[str]:
    """What the actor may do next on `project` (the services check it again): endorse, approve, reject,
    update, file, report, cancel, checkin."""
    host_side = actor.scope in (Scope.DISTRICT, Scope.INSTITUTION) and institution_in_scope(actor, project.host)
    status, actions = project.status, set()
    if status == ProjectStatus.DRAFT and host_side:
        if can(actor, "cme-project", "update"):
            actions.add("update")
        if can(actor, "cme-project", "endorse"):
            actions.add("endorse")
    if status == ProjectStatus.ENDORSED and can(actor, "cme-project", "approve"):
        actions |= {"approve", "reject"}
    if status == ProjectStatus.APPROVED and host_side and can(actor, "cme-project", "update"):
        if project.filed_on is None:
            actions.add("file")
        actions.add("report")
    if (status in (ProjectStatus.DRAFT, ProjectStatus.ENDORSED, ProjectStatus.APPROVED)
            and (host_side or actor.scope == Scope.CITY) and can(actor, "cme-project", "update")):
        actions.add("cancel")
    if (status in (ProjectStatus.APPROVED, ProjectStatus.HELD) and can(actor, "cme-checkin", "create")
            and (host_side or actor.scope == Scope.CITY)):
        actions.add("checkin")
    return actions


def review_queue(*, actor) -> QuerySet:
    """Endorsed applications waiting for the commission's decision."""
    require(actor, "cme-project", "approve")
    return project_list(actor=actor, status=ProjectStatus.ENDORSED)


def policy_list(*, actor) -> QuerySet:
    return scoped_queryset(actor, CmePolicy)


def checkin_window_list(*, actor, project: CmeProject) -> QuerySet:
    return scoped_queryset(actor, CheckInWindow, "view").filter(project=project)


def checkin_window_for_token(*, actor, token: str) -> CheckInWindow:
    """The window behind a QR code, for a worker about to check in; the token is the key."""
    require(actor, "cme-checkin", "check-in")
    window = CheckInWindow.objects.select_related("project", "project__host").filter(token=str(token)).first()
    if window is None:
        raise NotFoundOrForbidden
    return window


def spot_check_draw_list(*, actor, year: int | None = None) -> QuerySet:
    qs = scoped_queryset(actor, SpotCheckDraw).select_related("drawn_by")
    return qs.filter(period_end__year=year) if year else qs


def spot_check_draw_get(*, actor, pk) -> SpotCheckDraw:
    return access_object(actor, SpotCheckDraw, pk, "view")


def spot_check_item_list(*, actor, draw: SpotCheckDraw, action: str = "view") -> QuerySet:
    return (scoped_queryset(actor, SpotCheckItem, action).filter(draw=draw)
            .select_related("project", "project__host", "project__host__district", "inspector"))


def spot_check_item_get(*, actor, pk, action: str = "view") -> SpotCheckItem:
    return access_object(actor, SpotCheckItem, pk, action)


# ---- the shared aggregate --------------------------------------------------------------------
#
# Sized for the city: 70,000 workers and millions of credit records must give every district's and
# institution's compliance in about a second. Hence: one GROUP BY whose sums come back as integer tenths
# of a credit (exact on every backend), rows read straight from the cursor (no model instances, no
# per-value converters), workers as tuples, and `yearly_passes` judging pass/fail in integers.

def _tenths(credit_class: str, remote: bool):
    """Sum of verified credits of one kind, in tenths of a credit as an integer. Credits carry one decimal
    place, so the integer is exact on every backend and cheap to turn back into a Decimal."""
    # Each row becomes an integer before summing: integer sums are much cheaper than numeric ones on
    # PostgreSQL, and rounding per row keeps SQLite's floating-point storage exact.
    return Sum(Cast(Round(F("credits") * 10), IntegerField()), filter=Q(credit_class=credit_class, is_remote=remote))


def _from_tenths(value) -> Decimal:
    return Decimal(value or 0).scaleb(-1)


def _raw_rows(qs: QuerySet, chunk: int = 10_000) -> Iterator[tuple]:
    """The rows of a values_list queryset as the database returns them (the ORM builds and scopes the
    SQL; skipping its per-value converters matters when there are hundreds of thousands of values)."""
    sql, params = qs.query.sql_with_params()
    with connections[qs.db].cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(chunk):
            yield from rows


def _credit_tenths_by_worker(workers: QuerySet, year: int) -> dict[int, tuple[int, int, int, int]]:
    """worker id -> (class I on-site, class II on-site, class I remote, class II remote) verified credits in
    tenths; workers without any verified record in the year are absent."""
    qs = (
        CreditRecord.objects.filter(year=year, status=Verification.VERIFIED, worker__in=workers.values("pk"))
        .order_by()
        .values("worker_id")
        .annotate(i_onsite=_tenths(CreditClass.I, False), ii_onsite=_tenths(CreditClass.II, False),
                  i_remote=_tenths(CreditClass.I, True), ii_remote=_tenths(CreditClass.II, True))
        .values_list("worker_id", "i_onsite", "ii_onsite", "i_remote", "ii_remote")
    )
    return {pk: (int(a or 0), int(b or 0), int(c or 0), int(d or 0)) for pk, a, b, c, d in _raw_rows(qs)}


def credit_totals_by_worker(workers: QuerySet, year: int) -> dict[int, CreditTotals]:
    """Verified credits of `workers` in `year`, one GROUP BY query, keyed by worker id."""
    return {pk: CreditTotals(*(_from_tenths(v) for v in tenths))
            for pk, tenths in _credit_tenths_by_worker(workers, year).items()}


def _year_inputs(workers: QuerySet, year: int):
    """What judging a year needs: requirements by (profession, group), verified exemptions, credit tenths,
    and the workers as (pk, institution id, profession, title level) tuples in pk order."""
    requirements = {(r.profession, r.title_group): r for r in CreditRequirement.objects.filter(year=year)}
    exemptions = dict(
        Exemption.objects.filter(year=year, status=Verification.VERIFIED, worker__in=workers.values("pk"))
        .values_list("worker_id", "reason")
    )
    tenths = _credit_tenths_by_worker(workers, year)
    rows = _raw_rows(workers.order_by("pk").values_list("pk", "institution_id", "profession", "title_level"))
    return requirements, exemptions, tenths, rows


def _group_of() -> dict[str, str]:
    return {level: str(title_group_of(level)) for level in TitleLevel.values}


def yearly_outcomes(workers: QuerySet, year: int) -> Iterator[tuple[int, int, str, AuditOutcome | None]]:
    """(worker id, institution id, title group, outcome) for each worker of an already scoped queryset.

    Four queries whatever the number of workers: requirements, exemptions, credit sums, workers.
    The outcome is None when no requirement is set for the worker's group that year.
    """
    requirements, exemptions, tenths, rows = _year_inputs(workers, year)
    groups, nothing = _group_of(), (0, 0, 0, 0)
    for pk, institution_id, profession, title_level in rows:
        group = groups.get(title_level) or title_group_of(title_level)
        requirement = requirements.get((profession, group)) or requirements.get(("", group))
        outcome = None
        if requirement is not None:
            totals = CreditTotals(*(_from_tenths(v) for v in tenths.get(pk, nothing)))
            outcome = evaluate(totals, requirement, exemptions.get(pk))
        yield pk, institution_id, group, outcome


def _requirement_tenths(requirement) -> tuple[int, int, int, int]:
    return tuple(int((Decimal(str(v)) * 10).to_integral_value())
                 for v in (requirement.total, requirement.min_class_i, requirement.min_class_ii,
                           requirement.remote_cap))


def passes_in_tenths(sums: tuple[int, int, int, int], requirement: tuple[int, int, int, int]) -> bool:
    """`rules.evaluate(...).passed` for a non-exempt worker, in integer tenths (tested against evaluate)."""
    i_onsite, ii_onsite, i_remote, ii_remote = sums
    total, min_i, min_ii, cap = requirement
    remote_i = min(i_remote, cap)
    class_i = i_onsite + remote_i
    class_ii = ii_onsite + min(ii_remote, cap - remote_i)
    return class_i >= min_i and class_ii >= min_ii and class_i + class_ii >= total


def yearly_passes(workers: QuerySet, year: int) -> Iterator[tuple[int, int, str, bool | None, bool]]:
    """(worker id, institution id, title group, passed, covered) for each worker: the same judgement as
    `yearly_outcomes` (passed is None when no requirement applies), without building outcomes, plus
    whether the worker has any verified credit in the year. Four queries; for city-wide aggregates."""
    requirements, exemptions, tenths, rows = _year_inputs(workers, year)
    needs = {key: _requirement_tenths(r) for key, r in requirements.items()}
    groups, nothing = _group_of(), (0, 0, 0, 0)
    for pk, institution_id, profession, title_level in rows:
        group = groups.get(title_level) or title_group_of(title_level)
        need = needs.get((profession, group)) or needs.get(("", group))
        sums = tenths.get(pk)
        passed = None
        if need is not None:
            passed = bool(exemptions.get(pk)) or passes_in_tenths(sums or nothing, need)
        yield pk, institution_id, group, passed, sums is not None


# ---- credits pages ---------------------------------------------------------------------------

def activity_type_list(*, actor, active_only: bool = False) -> QuerySet:
    qs = scoped_queryset(actor, ActivityType)
    return qs.filter(is_active=True) if active_only else qs


def activity_type_get(*, actor, pk, action: str = "view") -> ActivityType:
    return access_object(actor, ActivityType, pk, action)


def credit_queue(*, actor) -> QuerySet:
    """Pending records waiting for the actor's step: an institution's department and institution steps,
    the commission's last step. Anyone else has an empty queue."""
    qs = scoped_queryset(actor, CreditRecord, "verify").filter(status=Verification.PENDING)
    if actor.role == Role.INSTITUTION:
        stages = (VerificationStage.DEPARTMENT, VerificationStage.INSTITUTION, VerificationStage.DONE)
    elif actor.role == Role.COMMISSION_SCIENCE:
        stages = (VerificationStage.COMMISSION,)
    else:
        return qs.none()
    return qs.filter(stage__in=stages).select_related("worker", "worker__institution", "activity_type")


def exemption_page_list(*, actor, year: int | None = None, status: str = "", institution: str = "",
                        district: str = "") -> QuerySet:
    qs = exemption_list(actor=actor, year=year).select_related("requested_by", "approved_by",
                                                                 "worker__institution__district")
    if status:
        qs = qs.filter(status=status)
    if institution:
        qs = qs.filter(worker__institution_id=institution)
    if district:
        qs = qs.filter(worker__institution__district_id=district)
    return qs


def exemption_get(*, actor, pk, action: str = "view") -> Exemption:
    return access_object(actor, Exemption, pk, action)


def cycle_list(*, actor, last_year: int | None = None, passed: bool | None = None, institution: str = "",
               district: str = "", action: str = "list") -> QuerySet:
    qs = scoped_queryset(actor, CycleCertification, action).select_related("worker", "institution")
    if last_year:
        qs = qs.filter(last_year=last_year)
    if passed is not None:
        qs = qs.filter(passed=passed)
    if institution:
        qs = qs.filter(institution_id=institution)
    if district:
        qs = qs.filter(institution__district_id=district)
    return qs


def evidence_get(*, actor, pk) -> CreditEvidence:
    return access_object(actor, CreditEvidence, pk, "view")


@dataclass(frozen=True)
class Transcript:
    """One worker's year: the ledger rows, the live audit outcome and what the checkers did."""

    worker: Worker
    year: int
    records: list
    outcome: AuditOutcome | None  # None: no requirement for the worker's group that year
    title_group: str
    years: list[int]  # years with records, for the selector
    cycle: CycleCertification | None


def worker_transcript(*, actor, worker: Worker, year: int) -> Transcript:
    """`worker` must already come from the gate (access_object / worker_get)."""
    records = list(
        credit_record_list(actor=actor, worker=worker, year=year)
        .select_related("activity_type", "verified_by")
        .prefetch_related("reviews__reviewer", "evidence")
        .order_by("earned_on", "pk")
    )
    single = scoped_queryset(actor, Worker, "view").filter(pk=worker.pk)
    _, _, group, outcome = next(yearly_outcomes(single, year), (None, None, title_group_of(worker.title_level), None))
    years = sorted(set(
        scoped_queryset(actor, CreditRecord, "view").filter(worker=worker).order_by()
        .values_list("year", flat=True).distinct()) | {year}, reverse=True)
    cycle = (scoped_queryset(actor, CycleCertification, "view").filter(worker=worker, first_year__lte=year,
                                                                         last_year__gte=year)
             .order_by("-last_year").first())
    return Transcript(worker, year, records, outcome, group, years, cycle)
