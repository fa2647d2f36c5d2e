"""Reads of data-quality control, through the access gate: rules, runs, scorecards and tickets.

A scorecard takes, for every source, the results of the newest run that checked it (a run of one upload
checks one source). A dimension's score is passed / judged over the rules of that kind; the composite is
the weighted share of passed judgements, Σ wₖ·passedₖ / Σ wₖ·judgedₖ, which adds up across sources, so an
institution's, a district's and the city's scores are computed the same way from the same counts.
"""

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import QuerySet
from django.utils import timezone

from weijian.accounts.access import access_object, require, scoped_queryset
from weijian.dq.elements import ELEMENTS
from weijian.dq.models import DEFAULT_WEIGHTS, DqResult, DqRule, DqRun, DqTicket, DqWeight, Kind
from weijian.orgs.models import Division, DivisionLevel
from weijian.records.models import Resource, Source, SourceStatus, Upload, UploadStatus

SCORE_PLACES = Decimal("0.1")


def rule_list(*, actor) -> QuerySet:
    return scoped_queryset(actor, DqRule, "list")


def rule_get(*, actor, pk, action: str = "view") -> DqRule:
    return access_object(actor, DqRule, pk, action)


def run_list(*, actor) -> QuerySet:
    return scoped_queryset(actor, DqRun, "list")


def ticket_list(*, actor) -> QuerySet:
    return scoped_queryset(actor, DqTicket, "list").select_related("rule", "source", "institution")


def weights() -> dict[str, int]:
    configured = dict(DqWeight.objects.values_list("kind", "weight"))
    return {kind: configured.get(kind, default) for kind, default in DEFAULT_WEIGHTS.items()}


@dataclass
class Card:
    """One unit's counts per dimension: kind -> [passed, judged]."""

    key: object
    name: str
    counts: dict[str, list[int]] = field(default_factory=lambda: {k: [0, 0] for k in Kind.values})
    failed_by_rule: dict[str, int] = field(default_factory=dict)
    failed_by_element: dict[str, int] = field(default_factory=dict)

    def add(self, result: DqResult) -> None:
        slot = self.counts[result.kind]
        slot[0] += result.passed
        slot[1] += result.checked
        if result.failed:
            self.failed_by_rule[result.rule.name] = self.failed_by_rule.get(result.rule.name, 0) + result.failed
            for element in _elements_of(result.rule):
                self.failed_by_element[element] = self.failed_by_element.get(element, 0) + result.failed

    def score(self, kind: str) -> Decimal | None:
        passed, judged = self.counts[kind]
        return _percent(passed, judged)

    def composite(self, weights: dict[str, int]) -> Decimal | None:
        numerator = sum(weights[k] * passed for k, (passed, _judged) in self.counts.items())
        denominator = sum(weights[k] * judged for k, (_passed, judged) in self.counts.items())
        return _percent(numerator, denominator)

    def worst_rules(self, n: int = 3) -> list[tuple[str, int]]:
        return sorted(self.failed_by_rule.items(), key=lambda item: -item[1])[:n]

    def worst_elements(self, n: int = 3) -> list[tuple[str, int]]:
        """(element name, failures of the rules reading it), most first."""
        return sorted(self.failed_by_element.items(), key=lambda item: -item[1])[:n]


def _elements_of(rule: DqRule) -> list[str]:
    """The names of the data elements a rule reads (its element, its keys, its expression's elements)."""
    codes = [rule.element] if rule.element else []
    codes += list((rule.params or {}).get("keys") or [])
    codes += re.findall(r"#\{\s*([\w.\-]+)\s*\}", f"{rule.left} {rule.right}")
    return [ELEMENTS[code].name if code in ELEMENTS else code for code in dict.fromkeys(codes)]


def _percent(numerator, denominator) -> Decimal | None:
    if not denominator:
        return None
    return (Decimal(100) * numerator / denominator).quantize(SCORE_PLACES, ROUND_HALF_UP)


def latest_results(*, actor=None, year: int | None = None, month: int | None = None) -> list[DqResult]:
    """The results of the newest run of each source (in `year`, and `month` of it, when given); scoped when
    an actor is given."""
    qs = scoped_queryset(actor, DqResult, "view") if actor is not None else DqResult.objects.all()
    qs = qs.filter(run__status=DqRun.Status.DONE)
    if year:
        qs = qs.filter(run__finished_at__year=year)
    if year and month:
        qs = qs.filter(run__finished_at__month=month)
    newest: dict[int | None, int] = {}
    for source, run in qs.order_by().values_list("source_id", "run_id"):
        if run > newest.get(source, -1):
            newest[source] = run
    rows = qs.select_related("rule", "source", "institution").filter(run_id__in=set(newest.values()))
    return [row for row in rows if newest.get(row.source_id) == row.run_id]


def scorecards(*, actor, year: int | None = None, by: str = "source",
               institution_id: int | None = None) -> list[Card]:
    """Cards per source, institution or district (`by`), from the newest results, in the actor's scope
    (only the sources of one institution when `institution_id` is given)."""
    require(actor, "dq-result", "view")
    district_names = dict(Division.objects.filter(level=DivisionLevel.DISTRICT).values_list("code", "name")) \
        if by == "district" else {}
    cards: dict[object, Card] = {}
    for result in latest_results(actor=actor, year=year):
        if institution_id is not None and result.institution_id != institution_id:
            continue
        if by == "source":
            key, name = result.source_id, result.source.name if result.source else "—"
        elif by == "institution":
            key, name = result.institution_id, result.institution.name if result.institution else "—"
        else:
            key, name = result.district_code, district_names.get(result.district_code, result.district_code or "—")
        cards.setdefault(key, Card(key, name)).add(result)
    return sorted(cards.values(), key=lambda card: str(card.name))


def newest_result(*, actor, rule_id: int, source_id: int) -> DqResult | None:
    """The newest stored result of one rule at one source, in the actor's scope (the drill-down's anchor)."""
    return (scoped_queryset(actor, DqResult, "view").filter(rule_id=rule_id, source_id=source_id)
            .select_related("rule", "source").order_by("-run_id").first())


def resources_by_id(ids: list[int]) -> QuerySet:
    """Type, id and time of the resources a rule found failing (no content: the drill-down names records,
    it does not show them). The caller has checked the rule's result is in the reader's scope."""
    return Resource.objects.filter(pk__in=ids).only("type", "fhir_id", "updated").order_by("pk")


def composite_by_month(*, actor, year: int) -> list[tuple[int, Decimal | None]]:
    """(month, composite of the reader's scope) for each month of `year` with a run, from the newest
    results of each source within that month: the trend line of the scorecards."""
    require(actor, "dq-result", "view")
    weight = weights()
    months = sorted(set(scoped_queryset(actor, DqResult, "view").filter(run__finished_at__year=year)
                        .values_list("run__finished_at__month", flat=True)))
    trend = []
    for month in months:
        card = Card("scope", "")
        for result in latest_results(actor=actor, year=year, month=month):
            card.add(result)
        trend.append((month, card.composite(weight)))
    return trend


REPORTING_GRACE_DAYS = 5  # a month's data count as reported on time until the 5th of the next month


def reporting_on_time(*, year: int, today: dt.date, source_ids=None) -> dict[int, tuple[int, int]]:
    """source id -> (months reported on time, months due) in `year`: a month is due once its last day plus
    the grace days has passed (and the source was registered by then); it was reported on time when an
    upload of the source finished within the month or in the grace days after it."""
    sources = Source.objects.filter(status=SourceStatus.ACTIVE)
    if source_ids is not None:
        sources = sources.filter(pk__in=source_ids)
    registered = dict(sources.values_list("pk", "created_at"))
    covered: dict[int, set[tuple[int, int]]] = defaultdict(set)
    uploads = (Upload.objects.filter(source_id__in=list(registered), status=UploadStatus.DONE,
                                     finished_at__date__gte=dt.date(year, 1, 1),
                                     finished_at__date__lte=dt.date(year + 1, 1, REPORTING_GRACE_DAYS))
               .values_list("source_id", "finished_at"))
    for source_id, finished in uploads:
        day = timezone.localtime(finished).date()
        covered[source_id].add((day.year, day.month))
        if day.day <= REPORTING_GRACE_DAYS:
            before = day.replace(day=1) - dt.timedelta(days=1)
            covered[source_id].add((before.year, before.month))
    result = {}
    for source_id, created in registered.items():
        since = timezone.localtime(created).date()
        due = [(year, month) for month in range(1, 13)
               if _month_end(year, month) + dt.timedelta(days=REPORTING_GRACE_DAYS) < today
               and _month_end(year, month) >= since]
        result[source_id] = (sum(1 for period in due if period in covered[source_id]), len(due))
    return result


def _month_end(year: int, month: int) -> dt.date:
    first_of_next = dt.date(year + (month == 12), month % 12 + 1, 1)
    return first_of_next - dt.timedelta(days=1)
