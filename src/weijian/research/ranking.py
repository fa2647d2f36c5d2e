"""The ranking of a call's applications (评审排名) for the panel's decision: each application's panel
score (the trimmed mean of the submitted totals, `rules.aggregate_scores`, the same figure the decision
records), its rank within the call (a call is one category; ties share a rank), how many experts have
scored out of how many assigned, and the amount asked. Only the commission reads it: it names no expert
but it shows every score before the deadline."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q

from weijian.accounts.access import require, scoped_queryset
from weijian.accounts.roles import Role
from weijian.core.errors import NotFoundOrForbidden
from weijian.research import rules
from weijian.research.models import Application, ApplicationStatus, AssignmentStatus, Call, ReviewAssignment

# What the panel ranks: in review, and already decided (to see the decision against the rank).
RANKED = (ApplicationStatus.IN_REVIEW, ApplicationStatus.ENDORSED, ApplicationStatus.APPROVED,
          ApplicationStatus.REJECTED, ApplicationStatus.EXECUTING, ApplicationStatus.CLOSED,
          ApplicationStatus.TERMINATED)


@dataclass(frozen=True)
class RankedApplication:
    application: Application
    rank: int | None
    score: Decimal | None
    scored: int
    assigned: int


def call_ranking(*, actor, call: Call) -> list[RankedApplication]:
    require(actor, "research-review", "assign")
    if actor.role != Role.COMMISSION_SCIENCE:
        raise NotFoundOrForbidden
    applications = list(scoped_queryset(actor, Application, "list").filter(call=call, status__in=RANKED)
                        .select_related("pi", "institution")
                        .annotate(assigned=Count("assignments", filter=~Q(assignments__status=AssignmentStatus.NO_SHOW)),
                                  scored=Count("assignments", filter=Q(assignments__status=AssignmentStatus.SUBMITTED))))
    totals: dict[int, list[Decimal]] = {a.pk: [] for a in applications}
    for application_id, total in (ReviewAssignment.objects.filter(application__in=applications,
                                                                   status=AssignmentStatus.SUBMITTED)
                                  .values_list("application_id", "total")):
        totals[application_id].append(total)
    scores = {pk: rules.aggregate_scores(values) for pk, values in totals.items()}
    by_id = {a.pk: a for a in applications}
    return [RankedApplication(by_id[pk], rank, scores[pk], by_id[pk].scored, by_id[pk].assigned)
            for pk, rank in rules.rank(list(scores.items()))]
