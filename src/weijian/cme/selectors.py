"""Reads for CME, always through the scope gate; plus the one aggregate that the annual audit and
the indicators share (`yearly_outcomes`)."""

import datetime as dt
from collections.abc import Iterator

from django.db.models import Q, QuerySet, Sum

from weijian.accounts.access import access_object, scoped_queryset
from weijian.cme.models import (
    AnnualAudit,
    Attendance,
    CmePolicy,
    CmeProject,
    CreditClass,
    CreditRecord,
    CreditRequirement,
    Exemption,
    ProjectStatus,
    Verification,
    title_group_of,
)
from weijian.cme.rules import AuditOutcome, CreditTotals, evaluate

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


# ---- the shared aggregate --------------------------------------------------------------------

def _verified_sum(credit_class: str, remote: bool) -> Sum:
    return Sum("credits", filter=Q(credit_class=credit_class, is_remote=remote))


def credit_totals_by_worker(workers: QuerySet, year: int) -> dict[int, CreditTotals]:
    """Verified credits of `workers` in `year`, one GROUP BY query, keyed by worker id."""
    rows = (
        CreditRecord.objects.filter(year=year, status=Verification.VERIFIED, worker__in=workers.values("pk"))
        .values("worker_id")
        .annotate(
            i_onsite=_verified_sum(CreditClass.I, False), ii_onsite=_verified_sum(CreditClass.II, False),
            i_remote=_verified_sum(CreditClass.I, True), ii_remote=_verified_sum(CreditClass.II, True),
        )
        .order_by()
    )
    return {
        row["worker_id"]: CreditTotals.of(row["i_onsite"], row["ii_onsite"], row["i_remote"], row["ii_remote"])
        for row in rows
    }


def yearly_outcomes(workers: QuerySet, year: int) -> Iterator[tuple[int, int, str, AuditOutcome | None]]:
    """(worker id, institution id, title group, outcome) for each worker of an already scoped queryset.

    Four queries whatever the number of workers: requirements, exemptions, credit sums, workers.
    The outcome is None when no requirement is set for the worker's group that year.
    """
    requirements = {(r.profession, r.title_group): r for r in CreditRequirement.objects.filter(year=year)}
    exemptions = dict(
        Exemption.objects.filter(year=year, status=Verification.VERIFIED, worker__in=workers.values("pk"))
        .values_list("worker_id", "reason")
    )
    totals = credit_totals_by_worker(workers, year)
    empty = CreditTotals()
    rows = workers.order_by("pk").values_list("pk", "institution_id", "profession", "title_level")
    for pk, institution_id, profession, title_level in rows.iterator(chunk_size=5000):
        group = title_group_of(title_level)
        requirement = requirements.get((profession, group)) or requirements.get(("", group))
        outcome = None
        if requirement is not None:
            outcome = evaluate(totals.get(pk, empty), requirement, exemptions.get(pk))
        yield pk, institution_id, group, outcome
