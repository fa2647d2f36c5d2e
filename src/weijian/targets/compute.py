"""Computing a work plan for the whole city: every item's indicator once, rolled up from institutions to
districts to the city, scored against the targets of each level.

No access checks here: an assessment is the commission's computation of the whole city, stored as a
snapshot; who may read which rows of it is decided when it is read (`selectors`, `accounts.access`).
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from weijian.core.errors import BusinessError
from weijian.core.indicators import DISTRICT, AssessmentIndicator, Tally, one_computation
from weijian.orgs.models import Division, DivisionLevel, Institution
from weijian.targets import scoring
from weijian.targets.errors import TargetErrorCode
from weijian.targets.models import Level, PlanItem, PlanTarget, WorkPlan
from weijian.targets.registry import all_indicators


@dataclass(frozen=True)
class Unit:
    level: str
    district_code: str  # "" for the city
    institution_id: int | None
    name: str
    institution_type: str = ""


@dataclass
class UnitValue:
    unit: Unit
    item: PlanItem
    tally: Tally
    actual: Decimal | None
    standard: scoring.Standard | None
    score: Decimal | None
    rag: str


@dataclass
class UnitTotal:
    unit: Unit
    score: Decimal | None
    rag: str
    items_met: int = 0
    items_scored: int = 0
    rank: int | None = None


@dataclass
class Computed:
    values: list[UnitValue] = field(default_factory=list)
    totals: list[UnitTotal] = field(default_factory=list)


def units() -> tuple[Unit, list[Unit], list[Unit]]:
    """The city, its districts (those with an active institution, and every active district division)
    and its active institutions."""
    institutions = [
        Unit(Level.INSTITUTION, district, pk, name, kind)
        for pk, name, kind, district in Institution.objects.filter(is_active=True)
        .order_by("district_id", "name", "pk").values_list("pk", "name", "type", "district_id")
    ]
    names = dict(Division.objects.filter(level=DivisionLevel.DISTRICT).values_list("code", "name"))
    active = set(Division.objects.filter(level=DivisionLevel.DISTRICT, is_active=True).values_list("code", flat=True))
    codes = sorted(active | {unit.district_code for unit in institutions})
    districts = [Unit(Level.DISTRICT, code, None, names.get(code, code)) for code in codes]
    return Unit(Level.CITY, "", None, "全市"), districts, institutions


def _standards(item: PlanItem, targets: list[PlanTarget]) -> dict[tuple[str, str], scoring.Standard]:
    return {
        (target.level, target.institution_type): scoring.Standard(
            item.rule, item.weight, item.direction, target.target, target.floor, item.bonus_cap)
        for target in targets
    }


def _standard_for(unit: Unit, standards: dict) -> scoring.Standard | None:
    if unit.level == Level.INSTITUTION:
        return standards.get((unit.level, unit.institution_type)) or standards.get((unit.level, ""))
    return standards.get((unit.level, ""))


def _tallies(indicator: AssessmentIndicator, year: int, today: dt.date, districts: list[Unit],
             institutions: list[Unit]) -> dict[Unit, Tally]:
    """Every unit's tally: institutions as computed (missing = nothing counted), districts and the city as
    sums of their parts."""
    counted = indicator.compute(year, today)
    by_unit: dict[Unit, Tally] = {}
    district_sums: dict[str, Tally] = defaultdict(Tally)
    if indicator.level == DISTRICT:
        for code, tally in counted.items():
            district_sums[str(code)] += tally
    else:
        for unit in institutions:
            tally = counted.get(unit.institution_id, Tally())
            by_unit[unit] = tally
            district_sums[unit.district_code] += tally
    city = Tally()
    for unit in districts:
        by_unit[unit] = district_sums.get(unit.district_code, Tally())
        city += by_unit[unit]
    return {**by_unit, Unit(Level.CITY, "", None, "全市"): city}


def compute_plan(plan: WorkPlan, *, today: dt.date) -> Computed:
    """Values, scores and composites of every unit for every item of `plan`."""
    indicators = all_indicators()
    items = list(plan.items.prefetch_related("targets"))
    missing = [item.indicator_code for item in items if item.indicator_code not in indicators]
    if missing:
        raise BusinessError(TargetErrorCode.INDICATOR_UNKNOWN, extra_codes=missing)
    city, districts, institutions = units()
    computed = Computed()
    per_unit: dict[Unit, list[UnitValue]] = defaultdict(list)
    with one_computation():
        tallies = {item.pk: _tallies(indicators[item.indicator_code], plan.year, today, districts, institutions)
                   for item in items}
    for item in items:
        indicator = indicators[item.indicator_code]
        standards = _standards(item, list(item.targets.all()))
        for unit, tally in tallies[item.pk].items():
            actual = indicator.value(tally)
            standard = _standard_for(unit, standards)
            value = UnitValue(unit, item, tally, actual, standard,
                              scoring.score(actual, standard) if standard else None,
                              scoring.rag(actual, standard) if standard else scoring.Rag.GREY)
            computed.values.append(value)
            per_unit[unit].append(value)
    for unit in (city, *districts, *institutions):
        scored = [(v.score, v.item.weight) for v in per_unit.get(unit, []) if v.standard is not None]
        total = scoring.composite(scored)
        computed.totals.append(UnitTotal(
            unit, total, scoring.composite_rag(total),
            items_met=sum(1 for v in per_unit.get(unit, []) if v.rag == scoring.Rag.GREEN),
            items_scored=sum(1 for points, _weight in scored if points is not None)))
    _rank(computed.totals)
    return computed


def _rank(totals: list[UnitTotal]) -> None:
    """Competition ranking (1, 2, 2, 4) per level, highest composite first; unscored units get no rank."""
    by_level: dict[str, list[UnitTotal]] = defaultdict(list)
    for total in totals:
        if total.score is not None:
            by_level[total.unit.level].append(total)
    for ranked in by_level.values():
        ranked.sort(key=lambda t: -t.score)
        for position, total in enumerate(ranked, start=1):
            previous = ranked[position - 2] if position > 1 else None
            total.rank = previous.rank if previous is not None and previous.score == total.score else position
