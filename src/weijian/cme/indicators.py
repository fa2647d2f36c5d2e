"""The indicators CME offers to target assessment, for a year and a scope (the city, one district or
one institution). Each returns target, actual, numerator and denominator, so a dashboard can show
the gap and drill down to the people behind the number, plus last year's actual for the same scope
(`previous`) and the direction it moved (`trend`).

Compliance is computed live from the ledger with the same rule as the annual audit
(`selectors.yearly_outcomes`), so it moves as soon as credits are recorded; exempt workers count as
compliant. Rates are fractions (0.95 = 95%) rounded to four places; None when nothing to count.

A project is "held in a year" when its status is held and it started that year; it belongs to the scope
of its host institution. Overdue counts are taken as of `today`, over the projects that start in the year.

`compliance_breakdown` gives compliance for the city, every district and every institution in one pass;
the drill-down functions at the bottom list the workers or projects behind a number.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from weijian.accounts.access import division_in_scope, institution_in_scope, require, scoped_queryset
from weijian.accounts.roles import Scope
from weijian.cme.models import (
    CmeProject,
    CreditClass,
    CreditRecord,
    ProjectLevel,
    ProjectStatus,
    SpotCheckItem,
    SpotCheckResult,
    TitleGroup,
    Verification,
)
from weijian.cme.rules import AuditOutcome
from weijian.cme.selectors import (
    overdue_filings,
    overdue_reports,
    policy_for,
    yearly_outcomes,
    yearly_passes,
)
from weijian.core.errors import NotFoundOrForbidden
from weijian.core.indicators import HIGHER, INSTITUTION, RATE, AssessmentIndicator, Tally, shared
from weijian.orgs.models import PRIMARY_CARE_TYPES, Institution
from weijian.workforce.models import Worker, WorkerStatus

COMPLIANCE_TARGETS = {
    TitleGroup.INTERMEDIATE_AND_ABOVE: Decimal("0.95"),
    TitleGroup.JUNIOR_AND_BELOW: Decimal("0.80"),
}
RATE_PLACES = Decimal("0.0001")
FULL = Decimal("1")
NONE_ALLOWED = Decimal("0")
COUNTY, PRIMARY = "county", "primary"  # institution tiers: county-level-and-above, primary care
TIER_LABELS = {COUNTY: _("县级及以上"), PRIMARY: _("基层")}
Trend = str  # "up" | "down" | "flat"


@dataclass(frozen=True)
class Indicator:
    code: str
    name: str
    target: Decimal | None
    actual: Decimal | None
    numerator: Decimal | int
    denominator: Decimal | int | None
    previous: Decimal | None = None  # last year's actual, same scope
    lower_is_better: bool = False  # overdue counts: the target is a ceiling, not a floor

    @property
    def gap(self) -> Decimal | None:
        """Actual minus target; negative means below target."""
        if self.target is None or self.actual is None:
            return None
        return self.actual - self.target

    @property
    def trend(self) -> Trend | None:
        """'up', 'down' or 'flat' against last year; None when either year has nothing to count."""
        if self.actual is None or self.previous is None:
            return None
        if self.actual > self.previous:
            return "up"
        return "down" if self.actual < self.previous else "flat"

    @property
    def met(self) -> bool | None:
        if self.target is None or self.actual is None:
            return None
        return self.actual <= self.target if self.lower_is_better else self.actual >= self.target


def _rate(numerator, denominator) -> Decimal | None:
    if not denominator:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(RATE_PLACES, rounding=ROUND_HALF_UP)


def _with_previous(current: Indicator, previous: Indicator) -> Indicator:
    return replace(current, previous=previous.actual)


# ---- scope -----------------------------------------------------------------------------------

def _check_scope(actor, district, institution) -> None:
    require(actor, "cme-indicator", "view")
    if district is not None and not division_in_scope(actor, district):
        raise NotFoundOrForbidden
    if institution is not None and not institution_in_scope(actor, institution):
        raise NotFoundOrForbidden


def scope_workers(*, actor, district=None, institution=None):
    """Active workers of the city, a district or an institution, limited to the actor's scope.
    Asking for a district or institution outside the scope is the same as asking for a missing one."""
    _check_scope(actor, district, institution)
    workers = scoped_queryset(actor, Worker, "list").filter(status=WorkerStatus.ACTIVE)
    if district is not None:
        workers = workers.filter(institution__district=district)
    if institution is not None:
        workers = workers.filter(institution=institution)
    return workers


def scope_institutions(*, actor, district=None, institution=None) -> QuerySet:
    """Institutions (active or not) of the city, a district or one institution, within the actor's scope."""
    _check_scope(actor, district, institution)
    institutions = scoped_queryset(actor, Institution, "list")
    if district is not None:
        institutions = institutions.filter(district=district)
    if institution is not None:
        institutions = institutions.filter(pk=institution.pk)
    return institutions


def _held_projects(hosts: QuerySet, year: int) -> QuerySet:
    return CmeProject.objects.filter(status=ProjectStatus.HELD, start_date__year=year, host__in=hosts.values("pk"))


# ---- compliance ------------------------------------------------------------------------------

def _compliance_counts(workers, year: int) -> dict[str, list[int]]:
    counts = {group: [0, 0] for group in TitleGroup.values}
    for _pk, _inst, group, passed, _covered in yearly_passes(workers, year):
        if passed is not None:
            counts[group][0] += passed
            counts[group][1] += 1
    return counts


def _compliance_indicators(counts: dict[str, list[int]]) -> dict[str, Indicator]:
    return {
        group: Indicator(f"cme-compliance-{group}", str(_("学分达标率（{group}）")).format(group=TitleGroup(group).label),
                         COMPLIANCE_TARGETS[group], _rate(passed, total), passed, total)
        for group, (passed, total) in counts.items()
    }


def compliance_by_title_group(*, actor, year: int, district=None, institution=None) -> dict[str, Indicator]:
    """Share of workers meeting the year's requirement, per title group (targets 95% and 80%).
    Workers whose group has no requirement that year are left out of both numbers."""
    workers = scope_workers(actor=actor, district=district, institution=institution)
    now = _compliance_indicators(_compliance_counts(workers, year))
    before = _compliance_indicators(_compliance_counts(workers, year - 1))
    return {group: _with_previous(now[group], before[group]) for group in now}


def compliance_trend(*, actor, year: int, years: int = 5, district=None, institution=None) -> list[dict]:
    """Compliance per title group for the `years` years ending with `year`, oldest first:
    [{"year": 2021, "intermediate_and_above": Decimal | None, "junior_and_below": ...}, ...]."""
    workers = scope_workers(actor=actor, district=district, institution=institution)
    out = []
    for y in range(year - years + 1, year + 1):
        counts = _compliance_counts(workers, y)
        out.append({"year": y, **{group: _rate(p, t) for group, (p, t) in counts.items()}})
    return out


# ---- coverage --------------------------------------------------------------------------------

def _verified(workers, year: int):
    return CreditRecord.objects.filter(year=year, status=Verification.VERIFIED, worker__in=workers.values("pk"))


def _worker_coverage(workers, year: int) -> Indicator:
    covered = _verified(workers, year).values("worker_id").distinct().count()
    total = workers.count()
    return Indicator("cme-worker-coverage", str(_("人员覆盖率")), FULL, _rate(covered, total), covered, total)


def worker_coverage(*, actor, year: int, district=None, institution=None) -> Indicator:
    """Share of active workers with at least one verified credit in the year (target 100%)."""
    workers = scope_workers(actor=actor, district=district, institution=institution)
    return _with_previous(_worker_coverage(workers, year), _worker_coverage(workers, year - 1))


def _covered_institution_ids(institutions: QuerySet, year: int) -> set[int]:
    """Active institutions with an active worker holding a verified credit in the year, or hosting a
    project held that year."""
    active = institutions.filter(is_active=True)
    by_credit = CreditRecord.objects.filter(
        year=year, status=Verification.VERIFIED, worker__status=WorkerStatus.ACTIVE,
        worker__institution__in=active.values("pk"),
    ).order_by().values_list("worker__institution_id", flat=True).distinct()
    by_project = _held_projects(active, year).order_by().values_list("host_id", flat=True).distinct()
    return set(by_credit) | set(by_project)


def _tier(institution_type: str) -> str:
    return PRIMARY if institution_type in PRIMARY_CARE_TYPES else COUNTY


def _institution_coverage(institutions: QuerySet, year: int) -> dict[str, Indicator]:
    covered_ids = _covered_institution_ids(institutions, year)
    counts = {COUNTY: [0, 0], PRIMARY: [0, 0]}
    for pk, institution_type in institutions.filter(is_active=True).values_list("pk", "type"):
        tier = counts[_tier(institution_type)]
        tier[0] += pk in covered_ids
        tier[1] += 1
    return {
        tier: Indicator(f"cme-institution-coverage-{tier}",
                        str(_("机构覆盖率（{tier}）")).format(tier=TIER_LABELS[tier]),
                        FULL, _rate(covered, total), covered, total)
        for tier, (covered, total) in counts.items()
    }


def institution_coverage(*, actor, year: int, district=None, institution=None) -> dict[str, Indicator]:
    """Share of active institutions covered by CME in the year, split into county-level-and-above and
    primary care (target 100%). Covered: one of its active workers has a verified credit in the year,
    or it hosted a project held that year."""
    institutions = scope_institutions(actor=actor, district=district, institution=institution)
    now, before = _institution_coverage(institutions, year), _institution_coverage(institutions, year - 1)
    return {tier: _with_previous(now[tier], before[tier]) for tier in now}


# ---- projects --------------------------------------------------------------------------------

def _spot_check_rate(hosts: QuerySet, year: int) -> Indicator:
    held = _held_projects(hosts, year).count()
    checked = SpotCheckItem.objects.filter(
        draw__period_end__year=year, project__host__in=hosts.values("pk"),
    ).exclude(result=SpotCheckResult.PENDING).count()
    return Indicator("cme-spot-check-rate", str(_("项目抽查率")), policy_for(year).spot_check_rate,
                     _rate(checked, held), checked, held)


def spot_check_rate(*, actor, year: int, district=None, institution=None) -> Indicator:
    """Spot-checked projects (items with a result other than pending, of draws whose period ends in the
    year) over the projects held that year in scope; the target is the year's policy rate."""
    hosts = scope_institutions(actor=actor, district=district, institution=institution)
    return _with_previous(_spot_check_rate(hosts, year), _spot_check_rate(hosts, year - 1))


def _out_of_city_share(hosts: QuerySet, year: int) -> Indicator:
    sums = _held_projects(hosts, year).filter(
        level__in=(ProjectLevel.NATIONAL, ProjectLevel.PROVINCIAL), attendee_count__isnull=False,
    ).aggregate(out=Sum("out_of_city_count"), all=Sum("attendee_count"))
    out, attendees = sums["out"] or 0, sums["all"] or 0
    return Indicator("cme-out-of-city-share", str(_("国家级、省级项目市外学员占比")), None,
                     _rate(out, attendees), out, attendees)


def out_of_city_share(*, actor, year: int, district=None, institution=None) -> Indicator:
    """Held national and provincial projects hosted in scope: out-of-city attendees over all attendees
    (projects without an execution report are left out). No fixed target: the plans want it higher."""
    hosts = scope_institutions(actor=actor, district=district, institution=institution)
    return _with_previous(_out_of_city_share(hosts, year), _out_of_city_share(hosts, year - 1))


def _project_filter(actor, district, institution) -> dict:
    """district/host arguments of the overdue selectors for the scope (an actor's own scope by default)."""
    if institution is not None:
        return {"host": institution.pk}
    if district is not None:
        return {"district": district.pk}
    if actor.scope == Scope.DISTRICT:
        return {"district": actor.district_id or "-"}
    if actor.scope == Scope.INSTITUTION:
        return {"host": actor.institution_id or 0}
    return {}


def overdue_projects(*, actor, kind: str, year: int | None = None, today: dt.date | None = None,
                     district=None, institution=None) -> QuerySet:
    """Projects behind the overdue counts: kind "filing" (approved, not filed, filing deadline passed) or
    "report" (approved, execution report missing, end + N days passed), hosted in scope, as of `today`."""
    _check_scope(actor, district, institution)
    selector = {"filing": overdue_filings, "report": overdue_reports}[kind]
    qs = selector(actor=actor, today=today or timezone.localdate(), **_project_filter(actor, district, institution))
    return qs.filter(start_date__year=year) if year else qs


def _overdue(kind: str, code: str, name: str):
    def indicator(*, actor, year: int, district=None, institution=None, today: dt.date | None = None) -> Indicator:
        def one(y):
            count = overdue_projects(actor=actor, kind=kind, year=y, today=today, district=district,
                                     institution=institution).count()
            return Indicator(code, str(name), NONE_ALLOWED, Decimal(count), count, None, lower_is_better=True)

        return _with_previous(one(year), one(year - 1))

    indicator.__doc__ = f"Projects of the year overdue for {kind} as of `today` (target 0); previous: last year's."
    return indicator


overdue_filings_count = _overdue("filing", "cme-overdue-filings", _("逾期未备案项目数"))
overdue_reports_count = _overdue("report", "cme-overdue-reports", _("逾期未报告执行情况项目数"))


# ---- credits ---------------------------------------------------------------------------------

def _credit_sums(workers, year: int) -> dict:
    zero = Decimal("0.0")
    sums = _verified(workers, year).aggregate(
        total=Sum("credits"), remote=Sum("credits", filter=Q(is_remote=True)),
        class_i=Sum("credits", filter=Q(credit_class=CreditClass.I)),
        class_ii=Sum("credits", filter=Q(credit_class=CreditClass.II)),
    )
    return {key: Decimal(str(value)).quantize(Decimal("0.1")) if value is not None else zero
            for key, value in sums.items()}


def _remote_share(workers, year: int) -> Indicator:
    sums = _credit_sums(workers, year)
    return Indicator("cme-remote-share", str(_("远程学分占比")), None, _rate(sums["remote"], sums["total"]),
                     sums["remote"], sums["total"])


def remote_credit_share(*, actor, year: int, district=None, institution=None) -> Indicator:
    """Remote credits as a share of all verified credits earned (before any cap). No fixed target:
    the plans want it higher but capped, so the dashboard shows the trend."""
    workers = scope_workers(actor=actor, district=district, institution=institution)
    return _with_previous(_remote_share(workers, year), _remote_share(workers, year - 1))


def _credit_totals(workers, year: int, headcount: int) -> dict[str, Indicator]:
    sums = _credit_sums(workers, year)
    return {
        "I": Indicator("cme-class-i-total", str(_("I类学分总数")), None, sums["class_i"], sums["class_i"], headcount),
        "II": Indicator("cme-class-ii-total", str(_("II类学分总数")), None, sums["class_ii"], sums["class_ii"],
                        headcount),
    }


def credit_totals(*, actor, year: int, district=None, institution=None) -> dict[str, Indicator]:
    """Verified class I and class II credits earned; `actual` is the sum, the denominator the number of
    active workers (so actual / denominator is the mean per worker)."""
    workers = scope_workers(actor=actor, district=district, institution=institution)
    headcount = workers.count()
    now, before = _credit_totals(workers, year, headcount), _credit_totals(workers, year - 1, headcount)
    return {key: _with_previous(now[key], before[key]) for key in now}


def all_indicators(*, actor, year: int, district=None, institution=None,
                   today: dt.date | None = None) -> list[Indicator]:
    scope = dict(actor=actor, year=year, district=district, institution=institution)
    return [
        *compliance_by_title_group(**scope).values(),
        worker_coverage(**scope),
        *institution_coverage(**scope).values(),
        spot_check_rate(**scope),
        remote_credit_share(**scope),
        out_of_city_share(**scope),
        *credit_totals(**scope).values(),
        overdue_filings_count(**scope, today=today),
        overdue_reports_count(**scope, today=today),
    ]


# What target assessment reads: code -> function returning one or more Indicators.
INDICATORS: dict[str, Callable] = {
    "cme-compliance": compliance_by_title_group,
    "cme-worker-coverage": worker_coverage,
    "cme-institution-coverage": institution_coverage,
    "cme-spot-check-rate": spot_check_rate,
    "cme-remote-share": remote_credit_share,
    "cme-out-of-city-share": out_of_city_share,
    "cme-credit-totals": credit_totals,
    "cme-overdue-filings": overdue_filings_count,
    "cme-overdue-reports": overdue_reports_count,
}


# ---- breakdown: the city, every district, every institution in one pass ----------------------

@dataclass
class ScopeRow:
    """Compliance and coverage of one scope (the city, a district or an institution)."""

    key: str | int  # "city", a district code or an institution id
    name: str
    district: str = ""  # the district code (institutions and districts)
    counts: dict[str, list[int]] = field(default_factory=lambda: {g: [0, 0] for g in TitleGroup.values})
    headcount: int = 0
    covered: int = 0  # workers with a verified credit in the year

    @property
    def compliance(self) -> dict[str, Indicator]:
        return _compliance_indicators(self.counts)

    @property
    def short(self) -> int:
        """Workers below the requirement (not exempt)."""
        return sum(total - passed for passed, total in self.counts.values())

    @property
    def coverage(self) -> Decimal | None:
        return _rate(self.covered, self.headcount)


@dataclass
class Breakdown:
    year: int
    city: ScopeRow
    districts: list[ScopeRow]
    institutions: list[ScopeRow]


def compliance_breakdown(*, actor, year: int, district=None) -> Breakdown:
    """Compliance per title group (and coverage) for the scope, every district and every institution
    in it, from one pass over `yearly_passes` (the judgement of `yearly_outcomes`): a fixed number of
    queries however many institutions. `city` is the whole scope (the city for the commission, the
    district for a district bureau)."""
    workers = scope_workers(actor=actor, district=district)
    institutions = scope_institutions(actor=actor, district=district)
    senior, junior = TitleGroup.INTERMEDIATE_AND_ABOVE.value, TitleGroup.JUNIOR_AND_BELOW.value
    slot = {(senior, True): 0, (senior, False): 1, (junior, True): 2, (junior, False): 3}
    # per institution: [senior passed, senior failed, junior passed, junior failed, headcount, covered]
    tally: dict[int, list[int]] = {}
    for _pk, institution_id, group, passed, covered in yearly_passes(workers, year):
        counts = tally.get(institution_id)
        if counts is None:
            counts = tally[institution_id] = [0, 0, 0, 0, 0, 0]
        if passed is not None:
            counts[slot[group, passed]] += 1
        counts[4] += 1
        counts[5] += covered

    def add(row: ScopeRow, counts: list[int]) -> None:
        row.counts[senior][0] += counts[0]
        row.counts[senior][1] += counts[0] + counts[1]
        row.counts[junior][0] += counts[2]
        row.counts[junior][1] += counts[2] + counts[3]
        row.headcount += counts[4]
        row.covered += counts[5]

    city = ScopeRow("city", str(district.name) if district is not None else str(_("全市")))
    rows: list[ScopeRow] = []
    districts: dict[str, ScopeRow] = {}
    for pk, name, district_code, district_name in (
        institutions.order_by("district_id", "name", "pk").values_list("pk", "name", "district_id", "district__name")
    ):
        row = ScopeRow(pk, name, district_code)
        rows.append(row)
        if district_code not in districts:
            districts[district_code] = ScopeRow(district_code, district_name, district_code)
        counts = tally.get(pk)
        if counts is not None:
            for scope in (row, districts[district_code], city):
                add(scope, counts)
    return Breakdown(year, city, list(districts.values()), rows)


# ---- drill-down: the people and projects behind a number -------------------------------------

def compliance_people(*, actor, year: int, title_group: str = "", passed: bool | None = None, district=None,
                      institution=None) -> list[tuple[Worker, AuditOutcome]]:
    """(worker, outcome) for workers in scope with a requirement in the year, optionally of one title
    group and only those who passed / failed; the short ones are sorted by shortfall, largest first."""
    workers = scope_workers(actor=actor, district=district, institution=institution)
    wanted = {
        pk: outcome for pk, _inst, group, outcome in yearly_outcomes(workers, year)
        if outcome is not None and (not title_group or group == title_group)
        and (passed is None or outcome.passed == passed)
    }
    people = Worker.objects.filter(pk__in=list(wanted)).select_related("institution", "institution__district")
    pairs = [(worker, wanted[worker.pk]) for worker in people]
    pairs.sort(key=lambda pair: (-pair[1].shortfall, pair[0].institution.name, pair[0].name, pair[0].pk))
    return pairs


def uncovered_workers(*, actor, year: int, district=None, institution=None) -> QuerySet:
    """Active workers in scope without any verified credit in the year."""
    workers = scope_workers(actor=actor, district=district, institution=institution)
    covered = CreditRecord.objects.filter(year=year, status=Verification.VERIFIED).values("worker_id")
    return (workers.exclude(pk__in=covered).select_related("institution", "institution__district")
            .order_by("institution__district_id", "institution__name", "name", "pk"))


def uncovered_institutions(*, actor, year: int, district=None, institution=None, tier: str = "") -> QuerySet:
    """Active institutions in scope not covered in the year (see `institution_coverage`); `tier` is
    "county" or "primary" to keep one of the two."""
    institutions = scope_institutions(actor=actor, district=district, institution=institution)
    qs = institutions.filter(is_active=True).exclude(pk__in=_covered_institution_ids(institutions, year))
    if tier == PRIMARY:
        qs = qs.filter(type__in=PRIMARY_CARE_TYPES)
    elif tier == COUNTY:
        qs = qs.exclude(type__in=PRIMARY_CARE_TYPES)
    return qs.select_related("district").order_by("district_id", "name", "pk")


# ---- target assessment: the whole city in one pass (`core.indicators`) -------------------------

def _city_passes(year: int) -> dict[int, list[int]]:
    """institution id -> [senior passed, senior judged, junior passed, junior judged, headcount, covered]
    over every active worker of the city (`yearly_passes`: four queries), once per plan computation."""
    return shared(("cme-city-passes", year), lambda: _count_city_passes(year))


def _count_city_passes(year: int) -> dict[int, list[int]]:
    workers = Worker.objects.filter(status=WorkerStatus.ACTIVE)
    senior = TitleGroup.INTERMEDIATE_AND_ABOVE.value
    tally: dict[int, list[int]] = {}
    for _pk, institution_id, group, passed, covered in yearly_passes(workers, year):
        counts = tally.get(institution_id)
        if counts is None:
            counts = tally[institution_id] = [0, 0, 0, 0, 0, 0]
        if passed is not None:
            slot = 0 if group == senior else 2
            counts[slot] += passed
            counts[slot + 1] += 1
        counts[4] += 1
        counts[5] += covered
    return tally


def _assess_compliance(slot: int):
    def compute(year: int, today: dt.date) -> dict[int, Tally]:
        return {pk: Tally(c[slot], c[slot + 1]) for pk, c in _city_passes(year).items() if c[slot + 1]}
    return compute


def _assess_worker_coverage(year: int, today: dt.date) -> dict[int, Tally]:
    return {pk: Tally(c[5], c[4]) for pk, c in _city_passes(year).items()}


def _assess_institution_coverage(year: int, today: dt.date) -> dict[int, Tally]:
    institutions = Institution.objects.all()
    covered = _covered_institution_ids(institutions, year)
    return {pk: Tally(int(pk in covered), 1) for pk in institutions.filter(is_active=True).values_list("pk", flat=True)}


def _assess_spot_check_rate(year: int, today: dt.date) -> dict[int, Tally]:
    held = dict(CmeProject.objects.filter(status=ProjectStatus.HELD, start_date__year=year).order_by()
                .values_list("host_id").annotate(n=Count("pk")).values_list("host_id", "n"))
    checked = dict(SpotCheckItem.objects.filter(draw__period_end__year=year).exclude(result=SpotCheckResult.PENDING)
                   .order_by().values_list("project__host_id").annotate(n=Count("pk"))
                   .values_list("project__host_id", "n"))
    return {pk: Tally(checked.get(pk, 0), held.get(pk, 0)) for pk in held.keys() | checked.keys()}


def _drill(code: str, **extra: str):
    def url(year: int, district: str, institution: int | None) -> str:
        query = {"year": year, **extra}
        if district:
            query["district"] = district
        if institution is not None:
            query["institution"] = institution
        return reverse("cme:indicator-detail", args=[code]) + "?" + urlencode(query)
    return url


_SENIOR_SLOT, _JUNIOR_SLOT = 0, 2

#: What target assessment may pick from CME (named in `CmeConfig.assessment_indicators`).
ASSESSMENT = (
    AssessmentIndicator(
        "cme-compliance-intermediate_and_above", _("中级及以上职称人员学分达标率"), "cme", RATE, "%", HIGHER,
        INSTITUTION, _assess_compliance(_SENIOR_SLOT),
        _("当年学分达到要求（含免修）的中级及以上职称在岗人员占比，与年度学分审核同一规则。"),
        _drill("cme-compliance", title_group=TitleGroup.INTERMEDIATE_AND_ABOVE.value, passed="0"),
        _("中级及以上职称卫生人员学分达标率为{value}（{numerator}/{denominator}人）")),
    AssessmentIndicator(
        "cme-compliance-junior_and_below", _("初级及以下职称人员学分达标率"), "cme", RATE, "%", HIGHER,
        INSTITUTION, _assess_compliance(_JUNIOR_SLOT),
        _("当年学分达到要求（含免修）的初级及以下职称在岗人员占比。"),
        _drill("cme-compliance", title_group=TitleGroup.JUNIOR_AND_BELOW.value, passed="0"),
        _("初级及以下职称卫生人员学分达标率为{value}（{numerator}/{denominator}人）")),
    AssessmentIndicator(
        "cme-worker-coverage", _("继续医学教育人员覆盖率"), "cme", RATE, "%", HIGHER, INSTITUTION,
        _assess_worker_coverage, _("当年至少有一条已审核学分的在岗人员占比。"), _drill("cme-worker-coverage"),
        _("{numerator}名卫生人员取得继续医学教育学分，覆盖率{value}")),
    AssessmentIndicator(
        "cme-institution-coverage", _("继续医学教育机构覆盖率"), "cme", RATE, "%", HIGHER, INSTITUTION,
        _assess_institution_coverage, _("当年有人员取得已审核学分或举办了项目的在业机构占比。"),
        _drill("cme-institution-coverage"), _("继续医学教育覆盖{numerator}家机构，机构覆盖率{value}")),
    AssessmentIndicator(
        "cme-spot-check-rate", _("继续医学教育项目抽查率"), "cme", RATE, "%", HIGHER, INSTITUTION,
        _assess_spot_check_rate, _("当年举办的项目中已有抽查结果的比例，按主办机构统计。"), None,
        _("抽查继续医学教育项目{numerator}项，占举办项目的{value}")),
)
