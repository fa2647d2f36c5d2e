"""The indicators research management offers to target assessment (工作要点与目标考核), for the
actor's scope (the city for the commission, a district, an institution) and a year.

Each is a `ResearchIndicator` with its numerator and denominator, so a dashboard can drill down and
target assessment can score it. The closure rate is judged by rules.closure_rate over the projects
approved in the three years up to the reference day.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from weijian.accounts.access import can, require, scoped_queryset
from weijian.accounts.roles import Scope
from weijian.core.indicators import COUNT, HIGHER, INSTITUTION, RATE, AssessmentIndicator, Tally
from weijian.orgs.models import Division, DivisionLevel
from weijian.research import rules
from weijian.research.models import (
    FUNDED,
    OWN_PROJECTS,
    Application,
    ApplicationStatus,
    EthicsApproval,
    EthicsDecision,
    ExternalResult,
    IntegrityCase,
)


@dataclass(frozen=True)
class ResearchIndicator:
    code: str
    name: str
    target: Decimal | int | None
    actual: Decimal | int | None
    numerator: int
    denominator: int | None
    lower_is_better: bool = False


def _projects(actor, district=None, institution=None) -> QuerySet:
    qs = scoped_queryset(actor, Application, "list")
    if district is not None:
        qs = qs.filter(institution__district=district)
    if institution is not None:
        qs = qs.filter(institution=institution)
    return qs


def funded_projects(*, actor, year: int, district=None, institution=None, target: int | None = None):
    """Commission-level projects funded in the year (decided and approved that year)."""
    require(actor, "research-application", "list")
    count = (_projects(actor, district, institution).filter(OWN_PROJECTS, status__in=FUNDED, decided_at__year=year)
             .count())
    return ResearchIndicator("research-funded", _("立项资助项目数"), target, count, count, None)


DEFAULT_TERM_YEARS = 3  # a funded project without a task agreement yet is due this long after approval


def due_on(project: Application) -> dt.date:
    """When a funded project is due for closure: its agreement's end, else three years after approval."""
    agreement = getattr(project, "agreement", None)
    return agreement.ends_on if agreement else rules.same_day_years_earlier(decided_on(project), -DEFAULT_TERM_YEARS)


def decided_on(project: Application) -> dt.date:
    """The day of the decision in the city's time zone (a decision at 07:00 Shanghai time is that day,
    not the day before in UTC)."""
    return timezone.localtime(project.decided_at).date()


def closure_items(actor, on: dt.date, district=None, institution=None) -> list[tuple[Application, rules.ClosureItem]]:
    """Funded projects as the closure rule sees them: approved on, due on (the agreement's end, or three
    years after approval while no agreement is issued), closed on, terminated."""
    rows = (_projects(actor, district, institution).filter(OWN_PROJECTS, status__in=FUNDED, decided_at__isnull=False)
            .select_related("agreement", "closure", "institution__district", "pi"))
    items = []
    for project in rows:
        closure = getattr(project, "closure", None)
        items.append((project, rules.ClosureItem(decided_on(project), due_on(project),
                                                 closure.closed_on if closure else None,
                                                 project.status == ApplicationStatus.TERMINATED)))
    return items


def closure_rate(*, actor, on: dt.date, district=None, institution=None, target: Decimal | None = None):
    """Closed (or terminated) among the projects approved in the three years up to `on`."""
    require(actor, "research-application", "list")
    closed, total, rate = rules.closure_rate([item for _p, item in closure_items(actor, on, district, institution)],
                                             on=on)
    return ResearchIndicator("research-closure-rate", _("近三年立项项目结题率"), target, rate, closed, total)


def overdue_closures(*, actor, on: dt.date, district=None, institution=None):
    require(actor, "research-application", "list")
    late = rules.overdue([item for _p, item in closure_items(actor, on, district, institution)], on)
    return ResearchIndicator("research-overdue", _("逾期未结题项目数"), 0, len(late), len(late), None,
                             lower_is_better=True)


def cleanup_projects(*, actor, on: dt.date, district=None, institution=None) -> list[tuple[Application, bool]]:
    """The clean-up list (清理): every project approved in the three years up to `on` that is not
    closed (nor terminated), with whether it is overdue; overdue first, then by due date."""
    require(actor, "research-application", "list")
    start = rules.same_day_years_earlier(on, 3)
    rows = [(project, item) for project, item in closure_items(actor, on, district, institution)
            if start < item.approved_on <= on and not item.terminated and not item.closed_by(on)]
    rows.sort(key=lambda pair: (pair[1].due_on >= on, pair[1].due_on, pair[0].pk))
    return [(project, item.due_on < on) for project, item in rows]


def provincial_projects_won(*, actor, year: int, district=None, institution=None, target: int | None = None):
    """Projects recommended by the commission that the province or the nation funded, by the year of
    their decision (recommendations.external_result_record)."""
    require(actor, "research-application", "list")
    count = (_projects(actor, district, institution)
             .filter(external_result=ExternalResult.WON, external_decided_on__year=year).count())
    return ResearchIndicator("research-provincial-won", _("省级及以上立项项目数"), target, count, count, None)


def scope_indicators(*, actor, year: int, on: dt.date, district=None) -> list[ResearchIndicator]:
    """The indicators of the reader's scope (inside `district` when given) as the dashboard and the API
    show them; ethics and integrity only to who keeps them, and only city-wide."""
    cards = [funded_projects(actor=actor, year=year, district=district),
             provincial_projects_won(actor=actor, year=year, district=district),
             closure_rate(actor=actor, on=on, district=district),
             overdue_closures(actor=actor, on=on, district=district)]
    if district is None and can(actor, "research-ethics", "list"):
        cards.append(ethics_approvals(actor=actor, year=year))
    if district is None and can(actor, "research-integrity", "list"):
        cards.append(integrity_cases(actor=actor, year=year))
    return cards


def ethics_approvals(*, actor, year: int):
    require(actor, "research-ethics", "list")
    count = (scoped_queryset(actor, EthicsApproval, "list")
             .filter(valid_from__year=year, decision__in=(EthicsDecision.APPROVED, EthicsDecision.APPROVED_WITH_CHANGES))
             .count())
    return ResearchIndicator("research-ethics-approvals", _("伦理审查批件数"), None, count, count, None)


def integrity_cases(*, actor, year: int):
    require(actor, "research-integrity", "list")
    count = scoped_queryset(actor, IntegrityCase, "list").filter(starts_on__year=year).count()
    return ResearchIndicator("research-integrity-cases", _("科研失信案件数"), None, count, count, None,
                             lower_is_better=True)


# ---- drill-down ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class BreakdownRow:
    """One district's or one institution's figures, with the key to drill into it."""

    key: str  # a district code, or an institution's pk
    name: str
    funded: int  # approved in the year
    won: int  # provincial-and-above projects won in the year
    closed: int  # closed (or terminated) among those approved in the three years up to the day
    approved: int  # approved in the three years up to the day (the closure rate's denominator)
    overdue: int  # past due and neither closed nor terminated, whenever approved (as the card)

    @property
    def closure_rate(self) -> Decimal | None:
        return (Decimal(self.closed) / Decimal(self.approved)).quantize(Decimal("0.0001")) if self.approved else None


def breakdown(*, actor, year: int, on: dt.date, district=None) -> list[BreakdownRow]:
    """The dashboard's drill-down: per district for a city reader, per institution inside `district`
    (or inside a district reader's own district). Every district of the scope is listed, also with no
    projects (a district without any is news); institutions only when they have projects to show.
    Computed from one read of the funded projects (`closure_items`) and one of the projects won above,
    with the same rules as the cards."""
    require(actor, "research-application", "list")
    by_district = district is None and actor.scope == Scope.CITY
    if district is None and actor.scope != Scope.CITY and actor.scope != Scope.DISTRICT:
        return []  # an institution reader: its own figures are the cards
    groups: dict[str, dict] = {}

    def group_of(institution) -> dict:
        key, name = ((institution.district_id, institution.district.name) if by_district
                     else (str(institution.pk), institution.name))
        return groups.setdefault(key, {"name": name, "items": [], "funded": 0, "won": 0})

    if by_district:
        for division in scoped_queryset(actor, Division, "list").filter(level=DivisionLevel.DISTRICT).order_by("code"):
            groups[division.code] = {"name": division.name, "items": [], "funded": 0, "won": 0}
    for project, item in closure_items(actor, on, district):
        group = group_of(project.institution)
        group["items"].append(item)
        group["funded"] += decided_on(project).year == year
    won = (_projects(actor, district).filter(external_result=ExternalResult.WON, external_decided_on__year=year)
           .select_related("institution__district"))
    for project in won:
        group_of(project.institution)["won"] += 1
    rows = []
    for key, group in groups.items():
        closed, approved, _rate = rules.closure_rate(group["items"], on=on)
        rows.append(BreakdownRow(key, group["name"], group["funded"], group["won"], closed, approved,
                                 len(rules.overdue(group["items"], on))))
    return rows if by_district else sorted(rows, key=lambda row: (-row.overdue, -row.funded, row.name))


# ---- target assessment: the whole city in one pass (`core.indicators`) -------------------------

def _per_institution(qs: QuerySet) -> dict[int, Tally]:
    counts = qs.order_by().values_list("institution_id").annotate(n=Count("pk")).values_list("institution_id", "n")
    return {pk: Tally(n) for pk, n in counts}


def _assess_funded(year: int, today: dt.date) -> dict[int, Tally]:
    return _per_institution(Application.objects.filter(OWN_PROJECTS, status__in=FUNDED, decided_at__year=year))


def _assess_provincial_won(year: int, today: dt.date) -> dict[int, Tally]:
    return _per_institution(Application.objects.filter(external_result=ExternalResult.WON,
                                                       external_decided_on__year=year))


def _assess_closure_rate(year: int, today: dt.date) -> dict[int, Tally]:
    """Closure rate as of the year's last day (today while the year runs), per institution."""
    on = min(today, dt.date(year, 12, 31))
    items: dict[int, list[rules.ClosureItem]] = {}
    for project in (Application.objects.filter(OWN_PROJECTS, status__in=FUNDED, decided_at__isnull=False)
                    .select_related("agreement", "closure")):
        closure = getattr(project, "closure", None)
        items.setdefault(project.institution_id, []).append(rules.ClosureItem(
            decided_on(project), due_on(project), closure.closed_on if closure else None,
            project.status == ApplicationStatus.TERMINATED))
    tallies = {}
    for pk, own in items.items():
        closed, total, _rate = rules.closure_rate(own, on=on)
        if total:
            tallies[pk] = Tally(closed, total)
    return tallies


def _applications_of(year: int, district: str, institution: int | None) -> str:
    if institution is None:
        return ""
    return reverse("research:application-list") + "?" + urlencode({"institution": institution})


#: What target assessment may pick from research management (named in `ResearchConfig.assessment_indicators`).
ASSESSMENT = (
    AssessmentIndicator("research-funded", gettext_lazy("市级立项资助项目数"), "research", COUNT, "项", HIGHER,
                        INSTITUTION, _assess_funded, gettext_lazy("当年决定立项资助的委管项目数，按申报单位统计。"),
                        _applications_of, gettext_lazy("全年立项资助市级科研项目{value}")),
    AssessmentIndicator("research-provincial-won", gettext_lazy("省级及以上立项项目数"), "research", COUNT, "项",
                        HIGHER, INSTITUTION, _assess_provincial_won,
                        gettext_lazy("经推荐获省级或国家级立项的项目数，按立项决定年度统计。"), _applications_of,
                        gettext_lazy("获省级及以上立项{value}")),
    AssessmentIndicator("research-closure-rate", gettext_lazy("近三年立项项目结题率"), "research", RATE, "%", HIGHER,
                        INSTITUTION, _assess_closure_rate,
                        gettext_lazy("截至当年年底（年内为今天），近三年立项项目中已结题或终止的比例。"),
                        _applications_of, gettext_lazy("近三年立项项目结题率{value}（{numerator}/{denominator}项）")),
)
