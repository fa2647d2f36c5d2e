"""Reads of research project management for the pages, always through the gate (accounts.access).

Lists start at `scoped_queryset`, single rows come from `access_object` (missing and out of scope look
the same). What a user may do next on a call or an application (`call_actions`, `application_actions`)
is read here too; the services check every step again.
"""

from django.db.models import Count, Q, QuerySet

from weijian.accounts.access import access_object, can, scoped_queryset
from weijian.accounts.roles import Role
from weijian.research.models import (
    EDITABLE,
    Application,
    ApplicationStatus,
    Call,
    CallStatus,
    EthicsApproval,
    ReviewAssignment,
)
from weijian.workforce.models import Worker, WorkerStatus

# ---- calls ---------------------------------------------------------------------------------------


def call_list(*, actor, year: int | None = None, category: str = "", status: str = "",
              action: str = "list") -> QuerySet:
    qs = scoped_queryset(actor, Call, action)
    if year:
        qs = qs.filter(year=year)
    if category:
        qs = qs.filter(category=category)
    if status:
        qs = qs.filter(status=status)
    return qs


def call_get(*, actor, pk, action: str = "view") -> Call:
    return access_object(actor, Call, pk, action)


def call_actions(*, actor, call: Call) -> set[str]:
    """publish (the commission, a draft), apply (a health worker, an open call), assign (the commission,
    once the call is published)."""
    actions = set()
    if call.status == CallStatus.DRAFT and can(actor, "research-call", "update"):
        actions.add("publish")
    if call.status == CallStatus.OPEN and can(actor, "research-application", "create"):
        actions.add("apply")
    if call.status != CallStatus.DRAFT and can(actor, "research-review", "assign"):
        actions.add("assign")
    return actions


def application_status_counts(*, actor, call: Call) -> dict[str, int]:
    """How many applications of the call the actor may see, by status."""
    rows = (application_list(actor=actor, call=call).order_by().values("status")
            .annotate(n=Count("pk")).values_list("status", "n"))
    return dict(rows)


# ---- applications --------------------------------------------------------------------------------

def application_list(*, actor, call=None, status: str = "", institution=None, q: str = "",
                     action: str = "list") -> QuerySet:
    """The PI sees his own (and those he is on the team of), an institution its own, the district its
    district's, the commission all."""
    qs = scoped_queryset(actor, Application, action).select_related("call", "pi", "institution")
    if call:
        qs = qs.filter(call_id=getattr(call, "pk", call))
    if status:
        qs = qs.filter(status=status)
    if institution:
        qs = qs.filter(institution_id=getattr(institution, "pk", institution))
    if q:
        qs = qs.filter(Q(title__contains=q) | Q(number__contains=q))
    return qs


def application_get(*, actor, pk, action: str = "view") -> Application:
    return access_object(actor, Application, pk, action)


def is_pi(actor, application: Application) -> bool:
    return actor.role == Role.HEALTH_WORKER and actor.worker_id is not None and actor.worker_id == application.pi_id


def application_actions(*, actor, application: Application) -> set[str]:
    """edit, team, submit (the PI while it is his to edit); withdraw (the PI until it is endorsed); endorse, return (the institution's science and
    education department, once submitted); decide (the commission, once endorsed or in review)."""
    status, actions = application.status, set()
    if status in EDITABLE and is_pi(actor, application) and can(actor, "research-application", "update"):
        actions |= {"edit", "team", "submit"}
    if (status in (*EDITABLE, ApplicationStatus.SUBMITTED) and is_pi(actor, application)
            and can(actor, "research-application", "update")):
        actions.add("withdraw")
    if (status == ApplicationStatus.SUBMITTED and can(actor, "research-application", "endorse")
            and actor.institution_id == application.institution_id):
        actions |= {"endorse", "return"}
    if (status in (ApplicationStatus.ENDORSED, ApplicationStatus.IN_REVIEW)
            and can(actor, "research-application", "decide")):
        actions.add("decide")
    return actions


def application_team(*, actor, application: Application) -> QuerySet:
    """The team of an application the actor was let see (pass one from `application_get`)."""
    return application.team.select_related("worker", "worker__institution").order_by("id")


def application_history(*, actor, application: Application) -> QuerySet:
    return application.events.select_related("actor").order_by("at", "id")


def team_candidates(*, actor, application: Application) -> QuerySet:
    """Whom the PI may add to his team from this page: the active workers of his own institution, not yet
    on it. Only names, professions and titles are shown; nobody else gets any."""
    if not is_pi(actor, application):
        return Worker.objects.none()
    taken = [application.pi_id, *application.team.values_list("worker_id", flat=True)]
    return (Worker.objects.filter(institution_id=application.institution_id, status=WorkerStatus.ACTIVE)
            .exclude(pk__in=taken).only("pk", "name", "profession", "title_level").order_by("name", "pk"))


def ethics_list(*, actor, application: Application) -> QuerySet:
    return scoped_queryset(actor, EthicsApproval).filter(application=application)


# ---- reviews -------------------------------------------------------------------------------------

def _assignments(actor, action: str = "list") -> QuerySet:
    return scoped_queryset(actor, ReviewAssignment, action).select_related(
        "application", "application__call", "expert")


def my_reviews(*, actor, status: str = "") -> QuerySet:
    """An expert's own assignments (whoever else may list assignments sees only his own here)."""
    qs = _assignments(actor).filter(expert__user_id=actor.pk)
    return qs.filter(status=status) if status else qs


def review_queue(*, actor, call=None, status: str = "", application=None) -> QuerySet:
    """Every assignment the commission may see, to follow the review round."""
    qs = _assignments(actor)
    if call:
        qs = qs.filter(application__call_id=getattr(call, "pk", call))
    if application is not None:
        qs = qs.filter(application=application)
    if status:
        qs = qs.filter(status=status)
    return qs


def review_get(*, actor, pk, action: str = "view") -> ReviewAssignment:
    return access_object(actor, ReviewAssignment, pk, action)
