"""The indicators CME offers to target assessment, for a year and a scope (the city, one district or
one institution). Each returns target, actual, numerator and denominator, so a dashboard can show
the gap and drill down to the people behind the number.

Compliance is computed live from the ledger with the same rule as the annual audit
(`selectors.yearly_outcomes`), so it moves as soon as credits are recorded; exempt workers count as
compliant. Rates are fractions (0.95 = 95%) rounded to four places; None when nothing to count.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Q, Sum

from weijian.accounts.access import division_in_scope, institution_in_scope, require, scoped_queryset
from weijian.cme.models import CreditClass, CreditRecord, TitleGroup, Verification
from weijian.cme.selectors import yearly_outcomes
from weijian.core.errors import NotFoundOrForbidden
from weijian.workforce.models import Worker, WorkerStatus

COMPLIANCE_TARGETS = {
    TitleGroup.INTERMEDIATE_AND_ABOVE: Decimal("0.95"),
    TitleGroup.JUNIOR_AND_BELOW: Decimal("0.80"),
}
RATE_PLACES = Decimal("0.0001")


@dataclass(frozen=True)
class Indicator:
    code: str
    name: str
    target: Decimal | None
    actual: Decimal | None
    numerator: Decimal | int
    denominator: Decimal | int | None

    @property
    def gap(self) -> Decimal | None:
        """Actual minus target; negative means below target."""
        if self.target is None or self.actual is None:
            return None
        return self.actual - self.target


def _rate(numerator, denominator) -> Decimal | None:
    if not denominator:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(RATE_PLACES, rounding=ROUND_HALF_UP)


def scope_workers(*, actor, district=None, institution=None):
    """Active workers of the city, a district or an institution, limited to the actor's scope.
    Asking for a district or institution outside the scope is the same as asking for a missing one."""
    require(actor, "cme-indicator", "view")
    workers = scoped_queryset(actor, Worker, "list").filter(status=WorkerStatus.ACTIVE)
    if district is not None:
        if not division_in_scope(actor, district):
            raise NotFoundOrForbidden
        workers = workers.filter(institution__district=district)
    if institution is not None:
        if not institution_in_scope(actor, institution):
            raise NotFoundOrForbidden
        workers = workers.filter(institution=institution)
    return workers


def compliance_by_title_group(*, actor, year: int, district=None, institution=None) -> dict[str, Indicator]:
    """Share of workers meeting the year's requirement, per title group (targets 95% and 80%).
    Workers whose group has no requirement that year are left out of both numbers."""
    workers = scope_workers(actor=actor, district=district, institution=institution)
    counts = {group: [0, 0] for group in TitleGroup.values}
    for _pk, _inst, group, outcome in yearly_outcomes(workers, year):
        if outcome is not None:
            counts[group][0] += outcome.passed
            counts[group][1] += 1
    return {
        group: Indicator(f"cme-compliance-{group}", f"学分达标率（{TitleGroup(group).label}）",
                         COMPLIANCE_TARGETS[group], _rate(passed, total), passed, total)
        for group, (passed, total) in counts.items()
    }


def _verified(workers, year: int):
    return CreditRecord.objects.filter(year=year, status=Verification.VERIFIED, worker__in=workers.values("pk"))


def worker_coverage(*, actor, year: int, district=None, institution=None) -> Indicator:
    """Share of active workers with at least one verified credit in the year (target 100%)."""
    workers = scope_workers(actor=actor, district=district, institution=institution)
    covered = _verified(workers, year).values("worker_id").distinct().count()
    total = workers.count()
    return Indicator("cme-worker-coverage", "人员覆盖率", Decimal("1"), _rate(covered, total), covered, total)


def _credit_sums(workers, year: int) -> dict:
    zero = Decimal("0.0")
    sums = _verified(workers, year).aggregate(
        total=Sum("credits"), remote=Sum("credits", filter=Q(is_remote=True)),
        class_i=Sum("credits", filter=Q(credit_class=CreditClass.I)),
        class_ii=Sum("credits", filter=Q(credit_class=CreditClass.II)),
    )
    return {key: Decimal(str(value)).quantize(Decimal("0.1")) if value is not None else zero
            for key, value in sums.items()}


def remote_credit_share(*, actor, year: int, district=None, institution=None) -> Indicator:
    """Remote credits as a share of all verified credits earned (before any cap). No fixed target:
    the plans want it higher but capped, so the dashboard shows the trend."""
    sums = _credit_sums(scope_workers(actor=actor, district=district, institution=institution), year)
    return Indicator("cme-remote-share", "远程学分占比", None, _rate(sums["remote"], sums["total"]),
                     sums["remote"], sums["total"])


def credit_totals(*, actor, year: int, district=None, institution=None) -> dict[str, Indicator]:
    """Verified class I and class II credits earned; `actual` is the sum, the denominator the number of
    active workers (so actual / denominator is the mean per worker)."""
    workers = scope_workers(actor=actor, district=district, institution=institution)
    sums, headcount = _credit_sums(workers, year), workers.count()
    return {
        "I": Indicator("cme-class-i-total", "I类学分总数", None, sums["class_i"], sums["class_i"], headcount),
        "II": Indicator("cme-class-ii-total", "II类学分总数", None, sums["class_ii"], sums["class_ii"], headcount),
    }


def all_indicators(*, actor, year: int, district=None, institution=None) -> list[Indicator]:
    scope = dict(actor=actor, year=year, district=district, institution=institution)
    return [
        *compliance_by_title_group(**scope).values(),
        worker_coverage(**scope),
        remote_credit_share(**scope),
        *credit_totals(**scope).values(),
    ]


# What target assessment reads: code -> function returning one or more Indicators.
INDICATORS = {
    "cme-compliance": compliance_by_title_group,
    "cme-worker-coverage": worker_coverage,
    "cme-remote-share": remote_credit_share,
    "cme-credit-totals": credit_totals,
}
