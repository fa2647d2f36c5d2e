"""Reads of the ethics committee workflow (伦理审查) for the pages and the services, through the gate.

Lists start at `scoped_queryset`, single rows come from `access_object` (missing and out of scope look
the same): an ethics committee's account sees only the committees it sits on, the PI his own
submissions, an institution its own and its committee's, the commission everything. Who must stay out
of a submission (`recusals`) and how a meeting stands on each item of its agenda (`agenda_item`) are
read here too, so the pages show what the services will judge.
"""

from dataclasses import dataclass

from django.db.models import Case, Count, Q, QuerySet, When

from weijian.accounts.access import access_object, can, scoped_queryset
from weijian.accounts.roles import Role
from weijian.research import ethics_rules as rules
from weijian.research.models import (
    Application,
    EthicsApproval,
    EthicsCommittee,
    EthicsMeeting,
    EthicsMeetingStatus,
    EthicsMember,
    EthicsMemberRole,
    EthicsReviewType,
    EthicsSubmission,
    EthicsSubmissionStatus,
)

SUBMISSION = "research-ethics-submission"

# ---- committees and members ----------------------------------------------------------------------


def committee_list(*, actor, q: str = "", action: str = "list") -> QuerySet:
    qs = (scoped_queryset(actor, EthicsCommittee, action).select_related("institution")
          .annotate(member_count=Count("members", filter=Q(members__is_active=True))))
    if q:
        qs = qs.filter(Q(name__contains=q) | Q(institution__name__contains=q))
    return qs


def committee_get(*, actor, pk, action: str = "view") -> EthicsCommittee:
    return access_object(actor, EthicsCommittee, pk, action)


def acts_for(actor, committee: EthicsCommittee) -> bool:
    """Whether the actor is one of the committee's accounts (role ETHICS, an active member of it)."""
    return (actor.role == Role.ETHICS and can(actor, SUBMISSION, "review")
            and scoped_queryset(actor, EthicsCommittee, "view").filter(pk=committee.pk).exists())


def may_keep_members(actor, committee: EthicsCommittee) -> bool:
    return scoped_queryset(actor, EthicsCommittee, "update").filter(pk=committee.pk).exists()


# Members are listed chair first, then vice chairs, members and the secretary.
ROLE_RANK = Case(*(When(role=role, then=n) for n, role in enumerate(EthicsMemberRole.values)),
                 default=len(EthicsMemberRole.values))


def member_list(*, actor, committee: EthicsCommittee, active_only: bool = False) -> QuerySet:
    qs = (scoped_queryset(actor, EthicsMember, "list").filter(committee=committee).select_related("user")
          .annotate(rank=ROLE_RANK).order_by("-is_active", "rank", "name", "pk"))
    return qs.filter(is_active=True) if active_only else qs


def committee_members(committee: EthicsCommittee) -> list[EthicsMember]:
    """The committee's active members (for a committee the caller was let see)."""
    return list(committee.members.filter(is_active=True).annotate(rank=ROLE_RANK).order_by("rank", "name", "pk"))


def rule_members(members) -> list[rules.Member]:
    return [rules.Member(m.pk, lay=m.is_lay, external=m.is_external, voting=m.votes) for m in members]


# ---- submissions -----------------------------------------------------------------------------------

def submission_list(*, actor, committee=None, kind: str = "", status: str = "", q: str = "",
                    action: str = "list") -> QuerySet:
    qs = scoped_queryset(actor, EthicsSubmission, action).select_related(
        "committee", "application", "application__pi", "application__institution", "meeting")
    if committee:
        qs = qs.filter(committee_id=getattr(committee, "pk", committee))
    if kind:
        qs = qs.filter(kind=kind)
    if status:
        qs = qs.filter(status=status)
    if q:
        qs = qs.filter(Q(application__number__contains=q) | Q(application__title__contains=q)
                       | Q(letter_number__contains=q))
    return qs


def submission_get(*, actor, pk, action: str = "view") -> EthicsSubmission:
    return access_object(actor, EthicsSubmission, pk, action)


def application_submissions(*, actor, application: Application) -> QuerySet:
    return submission_list(actor=actor).filter(application=application)


def submission_committees(*, actor) -> QuerySet:
    """Where the actor may submit: the active committees he may see."""
    return scoped_queryset(actor, EthicsCommittee, "list").filter(is_active=True).select_related("institution")


def recusals(submission: EthicsSubmission) -> dict[int, str]:
    """Member id → why he stays out of the submission: declared (EthicsRecusal rows), or automatic when the
    member is the PI or on the application's team (recomputed, so a team changed since still counts)."""
    out = dict(submission.recusals.values_list("member_id", "reason"))
    application = submission.application
    team = set(application.team.values_list("worker_id", flat=True))
    for pk, worker_id in submission.committee.members.filter(
            is_active=True, worker_id__isnull=False).values_list("pk", "worker_id"):
        if pk in out:
            continue
        if worker_id == application.pi_id:
            out[pk] = "项目负责人本人"
        elif worker_id in team:
            out[pk] = "项目团队成员"
    return out


def submission_actions(*, actor, submission: EthicsSubmission) -> set[str]:
    """What the viewer may do now (the services judge every step again):
    withdraw (the PI, before it is on a meeting's agenda); accept (the committee, until it is on an agenda
    or decided); recusal (the committee, until decided); agenda, expedited (the committee, once accepted
    for that review type); votes, decide (the committee, once on the agenda of a held meeting)."""
    status, steps = submission.status, set()
    if (status in (EthicsSubmissionStatus.SUBMITTED, EthicsSubmissionStatus.ACCEPTED)
            and actor.role == Role.HEALTH_WORKER and actor.worker_id == submission.application.pi_id):
        steps.add("withdraw")
    if not acts_for(actor, submission.committee):
        return steps
    if status in (EthicsSubmissionStatus.SUBMITTED, EthicsSubmissionStatus.ACCEPTED):
        steps.add("accept")
    if status in (EthicsSubmissionStatus.SUBMITTED, EthicsSubmissionStatus.ACCEPTED,
                  EthicsSubmissionStatus.IN_MEETING):
        steps.add("recusal")
    if status == EthicsSubmissionStatus.ACCEPTED:
        steps.add("agenda" if submission.review_type == EthicsReviewType.MEETING else "expedited")
    if (status == EthicsSubmissionStatus.IN_MEETING and submission.meeting
            and submission.meeting.status == EthicsMeetingStatus.HELD):
        steps |= {"votes", "decide"}
    return steps


def submission_approvals(submission: EthicsSubmission) -> QuerySet:
    return EthicsApproval.objects.filter(submission=submission)  # the submission was fetched through the gate


# ---- meetings --------------------------------------------------------------------------------------

def meeting_list(*, actor, committee=None, status: str = "", action: str = "list") -> QuerySet:
    qs = (scoped_queryset(actor, EthicsMeeting, action).select_related("committee")
          .annotate(items=Count("agenda", distinct=True), present=Count("attendance", distinct=True)))
    if committee:
        qs = qs.filter(committee_id=getattr(committee, "pk", committee))
    if status:
        qs = qs.filter(status=status)
    return qs


def meeting_get(*, actor, pk, action: str = "view") -> EthicsMeeting:
    return access_object(actor, EthicsMeeting, pk, action)


def open_meetings(committee: EthicsCommittee) -> QuerySet:
    """Meetings of the committee a submission may still be put on: those not yet held."""
    return committee.meetings.filter(status=EthicsMeetingStatus.PLANNED).order_by("held_on", "pk")


def waiting_for_meeting(meeting: EthicsMeeting) -> QuerySet:
    """The committee's submissions accepted for meeting review and not on any agenda yet."""
    return (meeting.committee.submissions.filter(status=EthicsSubmissionStatus.ACCEPTED,
                                                 review_type=EthicsReviewType.MEETING)
            .select_related("application").order_by("accepted_at", "pk"))


@dataclass
class AgendaItem:
    """How a meeting stands on one submission: who may vote, the quorum, the votes so far and the majority."""

    submission: EthicsSubmission
    recused: dict[int, str]
    quorum: rules.Quorum
    eligible: int
    votes: dict[int, str]
    tally: dict[str, int]
    majority: str | None
    voters: list[EthicsMember]  # present, voting and not recused


def agenda_item(submission: EthicsSubmission, *, members=None, present_ids=None) -> AgendaItem:
    meeting = submission.meeting
    members = committee_members(submission.committee) if members is None else members
    if present_ids is None:
        present_ids = set(meeting.attendance.values_list("member_id", flat=True)) if meeting else set()
    recused = recusals(submission)
    ruled = rule_members(members)
    voters = [m for m in members if m.votes and m.pk in present_ids and m.pk not in recused]
    # Only the votes of members present, voting and not recused count (one who was recused or struck
    # from the attendance after voting does not).
    allowed = {m.pk for m in voters}
    votes = {pk: choice for pk, choice in submission.votes.values_list("member_id", "choice") if pk in allowed}
    eligible = rules.eligible_voters(ruled, recused)
    return AgendaItem(
        submission=submission, recused=recused, quorum=rules.quorum(ruled, present_ids, recused),
        eligible=eligible, votes=votes, tally=rules.tally(votes), majority=rules.majority(votes, eligible),
        voters=voters)
