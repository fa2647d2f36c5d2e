"""Writes of the ethics committee workflow (伦理审查): committees and their members, submissions of each
kind, expedited and meeting review with quorum, recusal and votes, and the decision with its letter.

Who does what:
- the commission or the institution sets up a committee (`committee_create`); the institution, the
  commission or the committee's own account keeps its members (`member_add`, `member_deactivate`);
- the PI submits (`submission_create`) and may withdraw until the submission is on a meeting's agenda;
- the committee's account (role ETHICS, an active member of that committee, in practice its secretary)
  accepts and chooses the review type, schedules meetings, records attendance, recusals and votes, and
  decides, which numbers and issues the letter (`documents.ethics_letter_pdf`).

A decision writes what the approval gate of `services.application_decide` reads, so that gate is
unchanged: an approving initial, amendment or continuing review adds an EthicsApproval; a suspension
or termination ends every approval of the application the day before it. The rules are pure functions
in `ethics_rules.py`. As in `services.py`, refusals are checked and audited (outcome "denied") before
the write's transaction, so their audit row stays when nothing else is written.
"""

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from weijian.accounts.access import institution_in_scope, require
from weijian.accounts.models import User
from weijian.accounts.roles import Role
from weijian.audit.actions import AuditAction
from weijian.audit.services import audit_record
from weijian.core.errors import BusinessError
from weijian.research import ethics_rules as rules
from weijian.research import ethics_selectors as selectors
from weijian.research.errors import ResearchErrorCode as E
from weijian.research.models import (
    ETHICS_OPEN,
    Application,
    ApplicationStatus,
    EthicsApproval,
    EthicsCommittee,
    EthicsDecision,
    EthicsMeeting,
    EthicsMeetingAttendance,
    EthicsMeetingStatus,
    EthicsMember,
    EthicsMemberRole,
    EthicsRecusal,
    EthicsReviewType,
    EthicsSubmission,
    EthicsSubmissionKind,
    EthicsSubmissionStatus,
    EthicsVote,
)
from weijian.research.services import _refuse
from weijian.workforce.idnumber import IdNumberError, parse_id_number
from weijian.workforce.models import Sex, Worker
from weijian.workforce.services import id_number_index

COMMITTEE = "research-ethics-committee"
SUBMISSION = "research-ethics-submission"
MEETING = "research-ethics-meeting"
APPROVAL = "research-ethics"
DECISIONS = dict(EthicsDecision.choices)


def _for_committee(actor, committee: EthicsCommittee, *, entity: str, action: str, obj=None) -> None:
    """Only the committee's own accounts act for it: anyone else (the PI, the commission, another
    committee's account) is refused, audited, before the role check."""
    if not selectors.acts_for(actor, committee):
        _refuse(actor, E.ETHICS_SECRETARY_ONLY, entity=entity, obj=obj or committee)
    require(actor, entity, action)


def _status(submission: EthicsSubmission, *allowed: str) -> None:
    if submission.status not in allowed:
        raise BusinessError(E.ETHICS_STATUS_INVALID, _("%(message)s（当前状态：%(status)s）") % {
            "message": E.ETHICS_STATUS_INVALID.message, "status": submission.get_status_display()})


def _locked(submission: EthicsSubmission, *allowed: str) -> EthicsSubmission:
    """Lock the submission's row for the write and check again that it is still in an allowed state
    (two secretaries deciding at once: the second is told, not obeyed)."""
    current = EthicsSubmission.objects.select_for_update().get(pk=submission.pk)
    _status(current, *allowed)
    return current


# ---- committees and members --------------------------------------------------------------------------

def committee_create(*, actor, institution, name: str, filing_number: str = "") -> EthicsCommittee:
    """The commission (any institution) or an institution (its own) sets up a committee."""
    require(actor, COMMITTEE, "create")
    if not institution_in_scope(actor, institution):
        _refuse(actor, E.ETHICS_COMMITTEE_INVALID, entity=COMMITTEE, obj=institution,
                reason=_("只能为本单位设立伦理委员会"))
    name = name.strip()
    if not name:
        raise BusinessError(E.ETHICS_COMMITTEE_INVALID, _("请填写伦理委员会名称"), field="name")
    if EthicsCommittee.objects.filter(institution=institution, name=name).exists():
        raise BusinessError(E.ETHICS_COMMITTEE_INVALID, _("本单位已有同名的伦理委员会"), field="name")
    with transaction.atomic():
        committee = EthicsCommittee.objects.create(institution=institution, name=name,
                                                   filing_number=filing_number.strip())
        audit_record(actor=actor, action=AuditAction.CREATE, entity=COMMITTEE, entity_id=committee.pk,
                     summary=f"设立伦理委员会：{committee.name}（{institution.name}，备案号 "
                             f"{committee.filing_number or '未填'}）")
    return committee


def _keeps(actor, committee: EthicsCommittee) -> None:
    require(actor, COMMITTEE, "update")
    if not selectors.may_keep_members(actor, committee):
        _refuse(actor, E.ETHICS_SECRETARY_ONLY, entity=COMMITTEE, obj=committee,
                reason=_("只能维护本单位或本人所在的伦理委员会的委员"))


def member_add(*, actor, committee: EthicsCommittee, name: str, role: str = EthicsMemberRole.MEMBER,
               is_lay: bool = False, is_external: bool = False, gender: str = "", expertise: str = "",
               username: str = "", id_number: str = "") -> EthicsMember:
    """Add a member. `username` links the login of a member who acts for the committee (an account of role
    ETHICS); `id_number` with the name links a health worker of the city, for automatic recusal. The ID
    number is only looked up (through the blind index), never stored or audited."""
    _keeps(actor, committee)
    name = name.strip()
    if not name:
        raise BusinessError(E.ETHICS_MEMBER_INVALID, _("请填写委员姓名"), field="name")
    if role not in EthicsMemberRole.values:
        raise BusinessError(E.ETHICS_MEMBER_INVALID, _("请选择职务"), field="role")
    if gender and gender not in Sex.values:
        raise BusinessError(E.ETHICS_MEMBER_INVALID, _("性别不正确"), field="gender")
    if role == EthicsMemberRole.CHAIR and committee.members.filter(role=role, is_active=True).exists():
        raise BusinessError(E.ETHICS_MEMBER_INVALID, _("本委员会已有主任委员"), field="role")
    user = None
    if username.strip():
        user = User.objects.filter(username=username.strip(), role=Role.ETHICS, is_active=True).first()
        if user is None:
            raise BusinessError(E.ETHICS_MEMBER_INVALID, _("未找到该账号，或该账号不是有效的伦理委员会账号"),
                                field="username")
        if committee.members.filter(user=user).exists():
            raise BusinessError(E.ETHICS_MEMBER_INVALID, _("该账号已是本委员会委员"), field="username")
    worker = None
    if id_number.strip():
        try:
            value = parse_id_number(id_number).value
        except IdNumberError as exc:
            raise BusinessError(E.ETHICS_MEMBER_INVALID, str(exc), field="id_number") from None
        worker = Worker.objects.filter(id_number_index=id_number_index(value)).first()
        if worker is None or worker.name != name:
            raise BusinessError(E.ETHICS_MEMBER_INVALID, _("未找到姓名与身份证号相符的本市卫生人员"), field="id_number")
        if committee.members.filter(worker=worker).exists():
            raise BusinessError(E.ETHICS_MEMBER_INVALID, _("该人员已是本委员会委员"), field="id_number")
    with transaction.atomic():
        member = EthicsMember.objects.create(
            committee=committee, name=name, role=role, user=user, worker=worker, expertise=expertise.strip(),
            is_lay=is_lay, is_external=is_external, gender=gender or "")
        kinds = "、".join(k for k, on in (("非医药专业", is_lay), ("外单位", is_external)) if on) or "医药专业"
        audit_record(actor=actor, action=AuditAction.CREATE, entity=COMMITTEE, entity_id=committee.pk,
                     summary=f"增加委员 {member.name}（{member.get_role_display()}，{kinds}"
                             f"{'，关联登录账号' if user else ''}{'，关联卫生人员' if worker else ''}）")
    return member


def member_deactivate(*, actor, member: EthicsMember) -> EthicsMember:
    """A member leaves the committee: no longer counted for the quorum, no longer able to act for it."""
    _keeps(actor, member.committee)
    with transaction.atomic():
        member.is_active = False
        member.save(update_fields=["is_active", "updated_at"])
        audit_record(actor=actor, action=AuditAction.DEACTIVATE, entity=COMMITTEE, entity_id=member.committee_id,
                     summary=f"委员离任：{member.name}（{member.get_role_display()}）")
    return member


# ---- submissions: the PI's part --------------------------------------------------------------------------

def _pi(actor, application: Application) -> None:
    if actor.role != Role.HEALTH_WORKER or actor.worker_id != application.pi_id:
        _refuse(actor, E.ETHICS_PI_ONLY, entity=SUBMISSION, obj=application)


def submission_create(*, actor, application: Application, committee: EthicsCommittee, kind: str,
                      content: str = "") -> EthicsSubmission:
    """The PI submits his application (human subjects or human genetic resources) to a committee: an initial review first, then
    amendments, continuing reviews, serious adverse events, deviations and the closure to the committee
    that approved it (ethics_rules.submission_problem)."""
    _pi(actor, application)  # before the role check: a wrong-role attempt is refused and audited too
    require(actor, SUBMISSION, "submit")
    if not (application.human_subjects or application.human_genetic_resources):  # what the approval gate covers
        raise BusinessError(E.ETHICS_NOT_NEEDED)
    if application.status in (ApplicationStatus.WITHDRAWN, ApplicationStatus.REJECTED):
        raise BusinessError(E.ETHICS_STATUS_INVALID, _("申报书已撤回或未立项，不能提交伦理审查"))
    if not selectors.submission_committees(actor=actor).filter(pk=committee.pk).exists():
        raise BusinessError(E.ETHICS_COMMITTEE_INVALID, field="committee")
    if kind not in EthicsSubmissionKind.values:
        raise BusinessError(E.ETHICS_SUBMISSION_INVALID, _("请选择审查类别"), field="kind")
    history = EthicsSubmission.objects.filter(application=application)
    decided = history.filter(committee=committee, status=EthicsSubmissionStatus.DECIDED)
    problem = rules.submission_problem(
        kind, open_same_kind=history.filter(kind=kind, status__in=ETHICS_OPEN).exists(),
        approved_initial=decided.filter(kind=rules.INITIAL, decision__in=rules.POSITIVE).exists(),
        terminated=decided.filter(decision=rules.TERMINATED).exists(),
        closed=decided.filter(kind=rules.CLOSURE, decision=rules.APPROVED).exists())
    if problem:
        _refuse(actor, E.ETHICS_SUBMISSION_INVALID, entity=SUBMISSION, obj=application,
                reason=f"{E.ETHICS_SUBMISSION_INVALID.message}：{problem}")
    with transaction.atomic():
        submission = EthicsSubmission.objects.create(
            committee=committee, application=application, kind=kind, content=content.strip(),
            submitted_by=actor, submitted_at=timezone.now())
        audit_record(actor=actor, action=AuditAction.SUBMIT, entity=SUBMISSION, entity_id=submission.pk,
                     summary=f"提交伦理审查（{submission.get_kind_display()}）：{application.number} → {committee.name}")
    return submission


def submission_withdraw(*, actor, submission: EthicsSubmission, reason: str = "") -> EthicsSubmission:
    """The PI withdraws a submission not yet on a meeting's agenda nor decided."""
    _pi(actor, submission.application)
    require(actor, SUBMISSION, "submit")
    allowed = (EthicsSubmissionStatus.SUBMITTED, EthicsSubmissionStatus.ACCEPTED)
    _status(submission, *allowed)
    with transaction.atomic():
        current = _locked(submission, *allowed)
        current.status = EthicsSubmissionStatus.WITHDRAWN
        current.save(update_fields=["status", "updated_at"])
        submission.status = current.status
        audit_record(actor=actor, action=AuditAction.UPDATE, entity=SUBMISSION, entity_id=submission.pk,
                     summary=f"撤回伦理审查申请（{submission.get_kind_display()}）：{submission.application.number}"
                             f"{'：' + reason.strip()[:100] if reason.strip() else ''}")
    return submission


# ---- the committee's steps ---------------------------------------------------------------------------------

def submission_accept(*, actor, submission: EthicsSubmission, review_type: str) -> EthicsSubmission:
    """The committee accepts a submission and chooses expedited or meeting review; until it is on an
    agenda or decided, the review type may be chosen again (e.g. an expedited review that would be
    negative goes to a meeting)."""
    _for_committee(actor, submission.committee, entity=SUBMISSION, action="review", obj=submission)
    allowed = (EthicsSubmissionStatus.SUBMITTED, EthicsSubmissionStatus.ACCEPTED)
    _status(submission, *allowed)
    if review_type not in EthicsReviewType.values:
        raise BusinessError(E.ETHICS_STATUS_INVALID, _("请选择审查方式"), field="review_type")
    with transaction.atomic():
        current = _locked(submission, *allowed)
        before = {"status": current.status, "review_type": current.review_type}
        current.status, current.review_type = EthicsSubmissionStatus.ACCEPTED, review_type
        current.accepted_at = current.accepted_at or timezone.now()
        current.save(update_fields=["status", "review_type", "accepted_at", "updated_at"])
        submission.status, submission.review_type, submission.accepted_at = (
            current.status, current.review_type, current.accepted_at)
        audit_record(actor=actor, action=AuditAction.UPDATE, entity=SUBMISSION, entity_id=submission.pk,
                     summary=f"受理伦理审查申请：{submission.application.number}，"
                             f"{submission.get_review_type_display()}",
                     before=before, after={"status": current.status, "review_type": review_type})
    return submission


def recusal_declare(*, actor, submission: EthicsSubmission, member: EthicsMember, reason: str) -> EthicsRecusal:
    """A member declares a conflict of interest with a submission: he stays out of its review (his
    vote, if any, is struck out)."""
    _for_committee(actor, submission.committee, entity=SUBMISSION, action="review", obj=submission)
    _status(submission, *ETHICS_OPEN)
    if member.committee_id != submission.committee_id:
        raise BusinessError(E.ETHICS_MEMBER_INVALID, _("该委员不属于本委员会"), field="member")
    if not reason.strip():
        raise BusinessError(E.ETHICS_MEMBER_INVALID, _("请填写回避原因"), field="reason")
    with transaction.atomic():
        _locked(submission, *ETHICS_OPEN)
        recusal, _created = EthicsRecusal.objects.update_or_create(
            submission=submission, member=member, defaults={"reason": reason.strip()[:200], "automatic": False})
        EthicsVote.objects.filter(submission=submission, member=member).delete()
        audit_record(actor=actor, action=AuditAction.UPDATE, entity=SUBMISSION, entity_id=submission.pk,
                     summary=f"委员回避：{member.name}（{recusal.reason[:100]}）")
    return recusal


def _write_automatic_recusals(submission: EthicsSubmission) -> dict[int, str]:
    """Record the members who must stay out because they lead or are on the team of the application."""
    recused = selectors.recusals(submission)
    declared = set(submission.recusals.values_list("member_id", flat=True))
    EthicsRecusal.objects.bulk_create([EthicsRecusal(submission=submission, member_id=pk, reason=reason,
                                                     automatic=True)
                                       for pk, reason in recused.items() if pk not in declared],
                                      ignore_conflicts=True)
    EthicsVote.objects.filter(submission=submission, member_id__in=recused).delete()
    return recused


def meeting_create(*, actor, committee: EthicsCommittee, held_on: dt.date, location: str = "") -> EthicsMeeting:
    _for_committee(actor, committee, entity=MEETING, action="create")
    with transaction.atomic():
        meeting = EthicsMeeting.objects.create(committee=committee, held_on=held_on, location=location.strip(),
                                               created_by=actor)
        audit_record(actor=actor, action=AuditAction.CREATE, entity=MEETING, entity_id=meeting.pk,
                     summary=f"安排伦理审查会议：{committee.name}，{held_on:%Y-%m-%d} {meeting.location}")
    return meeting


def meeting_agenda_add(*, actor, meeting: EthicsMeeting, submission: EthicsSubmission) -> EthicsSubmission:
    """Put a submission accepted for meeting review on the agenda of a meeting not yet held; members who
    must stay out of it are recorded now."""
    _for_committee(actor, meeting.committee, entity=MEETING, action="update", obj=meeting)
    if submission.committee_id != meeting.committee_id:
        raise BusinessError(E.ETHICS_STATUS_INVALID, _("只能将本委员会受理的申请列入会议"), field="submission")
    _status(submission, EthicsSubmissionStatus.ACCEPTED)
    if submission.review_type != EthicsReviewType.MEETING:
        raise BusinessError(E.ETHICS_STATUS_INVALID, _("快速审查的申请无须列入会议；如需会议审查，请先改为会议审查"))
    if meeting.status != EthicsMeetingStatus.PLANNED:
        raise BusinessError(E.ETHICS_MEETING_INVALID, _("会议已召开，不能再增加审查事项"), field="meeting")
    with transaction.atomic():
        current = _locked(submission, EthicsSubmissionStatus.ACCEPTED)
        current.meeting, current.status = meeting, EthicsSubmissionStatus.IN_MEETING
        current.save(update_fields=["meeting", "status", "updated_at"])
        submission.meeting, submission.status = meeting, current.status
        recused = _write_automatic_recusals(submission)
        audit_record(actor=actor, action=AuditAction.UPDATE, entity=MEETING, entity_id=meeting.pk,
                     summary=f"列入会议审查：{submission.application.number}（{submission.get_kind_display()}），"
                             f"回避委员 {len(recused)} 人")
    return submission


def meeting_attendance_record(*, actor, meeting: EthicsMeeting, members: list[EthicsMember],
                              today: dt.date | None = None) -> EthicsMeeting:
    """Record who attended (the whole list, replacing any earlier one); the meeting is then held. Not
    before its day, and not once one of its items is decided (the quorum was judged on that list)."""
    _for_committee(actor, meeting.committee, entity=MEETING, action="update", obj=meeting)
    today = today or timezone.localdate()
    if meeting.held_on > today:
        raise BusinessError(E.ETHICS_MEETING_INVALID, _("会议日期未到，不能登记到会委员"))
    if meeting.agenda.filter(status=EthicsSubmissionStatus.DECIDED).exists():
        raise BusinessError(E.ETHICS_MEETING_INVALID, _("会议已有审查事项作出决定，不能修改到会名单"))
    if any(m.committee_id != meeting.committee_id or not m.is_active for m in members):
        raise BusinessError(E.ETHICS_MEMBER_INVALID, _("到会委员须为本委员会的在任委员"), field="members")
    members = list({m.pk: m for m in members}.values())
    with transaction.atomic():
        EthicsMeetingAttendance.objects.filter(meeting=meeting).delete()
        EthicsMeetingAttendance.objects.bulk_create([EthicsMeetingAttendance(meeting=meeting, member=m)
                                                     for m in members])
        meeting.status = EthicsMeetingStatus.HELD
        meeting.save(update_fields=["status", "updated_at"])
        audit_record(actor=actor, action=AuditAction.UPDATE, entity=MEETING, entity_id=meeting.pk,
                     summary=f"登记到会委员 {len(members)} 人：{'、'.join(m.name for m in members)[:180]}")
    return meeting


def _in_held_meeting(submission: EthicsSubmission) -> None:
    _status(submission, EthicsSubmissionStatus.IN_MEETING)
    if submission.meeting is None or submission.meeting.status != EthicsMeetingStatus.HELD:
        raise BusinessError(E.ETHICS_MEETING_INVALID, _("请先登记会议的到会委员"))


def votes_record(*, actor, submission: EthicsSubmission, votes: dict[EthicsMember, str]) -> list[EthicsVote]:
    """The votes on a submission at its meeting (the whole set, replacing any earlier one): only members
    present, voting and not recused, each for a decision this kind of submission may take."""
    _for_committee(actor, submission.committee, entity=SUBMISSION, action="review", obj=submission)
    _in_held_meeting(submission)
    if not votes:
        raise BusinessError(E.ETHICS_VOTE_INVALID, _("请至少登记一名委员的表决意见"))
    present = set(submission.meeting.attendance.values_list("member_id", flat=True))
    recused = selectors.recusals(submission)
    allowed = rules.ALLOWED_DECISIONS[submission.kind]
    for member, choice in votes.items():
        if member.pk in recused:
            raise BusinessError(E.ETHICS_RECUSED, _("%(name)s须回避（%(reason)s），不能参加表决") % {
                "name": member.name, "reason": recused[member.pk]})
        if member.committee_id != submission.committee_id or member.pk not in present or not member.votes:
            raise BusinessError(E.ETHICS_VOTE_INVALID, _("%(name)s未到会或不是有表决权的委员，不能表决") % {
                "name": member.name})
        if choice not in allowed:
            raise BusinessError(E.ETHICS_VOTE_INVALID, _not_allowed(submission, choice))
    with transaction.atomic():
        _locked(submission, EthicsSubmissionStatus.IN_MEETING)
        EthicsVote.objects.filter(submission=submission).delete()
        rows = EthicsVote.objects.bulk_create([EthicsVote(submission=submission, member=member,
                                                          meeting=submission.meeting, choice=choice)
                                               for member, choice in votes.items()])
        audit_record(actor=actor, action=AuditAction.UPDATE, entity=SUBMISSION, entity_id=submission.pk,
                     summary=f"登记表决：{_tally_text({m.pk: c for m, c in votes.items()})}",
                     after={str(m.pk): c for m, c in votes.items()})
    return rows


def _not_allowed(submission: EthicsSubmission, choice: str) -> str:
    return _("%(kind)s不能作出“%(decision)s”的决定") % {"kind": submission.get_kind_display(),
                                                      "decision": DECISIONS.get(choice, choice)}


def _tally_text(votes: dict[int, str]) -> str:
    return pgettext("list separator", "，").join(
        _("%(decision)s %(count)s 票") % {"decision": DECISIONS.get(choice, choice), "count": n}
        for choice, n in rules.tally(votes).items()) or _("无")


def submission_decide(*, actor, submission: EthicsSubmission, opinion: str = "",
                      valid_until: dt.date | None = None, today: dt.date | None = None) -> EthicsSubmission:
    """The meeting's decision: only with a quorum on this submission (after recusals), and only what more
    than half of the committee's voting members who are not recused voted for."""
    _for_committee(actor, submission.committee, entity=SUBMISSION, action="review", obj=submission)
    _in_held_meeting(submission)
    item = selectors.agenda_item(submission)
    if not item.quorum.met:
        _refuse(actor, E.ETHICS_NO_QUORUM, entity=SUBMISSION, obj=submission,
                reason=f"{E.ETHICS_NO_QUORUM.message}：{item.quorum.reason}")
    if item.majority is None:
        _refuse(actor, E.ETHICS_NO_MAJORITY, entity=SUBMISSION, obj=submission,
                reason=_("%(message)s（%(tally)s；全体委员（回避者除外）%(eligible)s 人）") % {
                    "message": E.ETHICS_NO_MAJORITY.message, "tally": _tally_text(item.votes), "eligible": item.eligible})
    summary = (f"会议审查（{submission.meeting.held_on:%Y-%m-%d}）：到会 {item.quorum.present} 人，"
               f"{_tally_text(item.votes)}")
    return _decide(actor, submission, item.majority, opinion=opinion, valid_until=valid_until,
                   today=today or timezone.localdate(), allowed=(EthicsSubmissionStatus.IN_MEETING,),
                   summary=summary)


def submission_decide_expedited(*, actor, submission: EthicsSubmission, opinions: dict[EthicsMember, str],
                                opinion: str = "", valid_until: dt.date | None = None,
                                today: dt.date | None = None) -> EthicsSubmission:
    """An expedited review by one or two members (not the secretary, not recused): 同意 or 修改后同意 only;
    a negative opinion is refused here and the submission goes to a meeting."""
    _for_committee(actor, submission.committee, entity=SUBMISSION, action="review", obj=submission)
    _status(submission, EthicsSubmissionStatus.ACCEPTED)
    if submission.review_type != EthicsReviewType.EXPEDITED:
        raise BusinessError(E.ETHICS_STATUS_INVALID, _("该申请为会议审查，应列入会议审查"))
    if not 1 <= len(opinions) <= rules.MAX_EXPEDITED_REVIEWERS:
        raise BusinessError(E.ETHICS_REVIEWERS_INVALID, field="reviewers")
    recused = selectors.recusals(submission)
    allowed = rules.ALLOWED_DECISIONS[submission.kind]
    for member, choice in opinions.items():
        if member.pk in recused:
            raise BusinessError(E.ETHICS_RECUSED, _("%(name)s须回避（%(reason)s），不能进行快速审查") % {
                "name": member.name, "reason": recused[member.pk]})
        if member.committee_id != submission.committee_id or not member.is_active or not member.votes:
            raise BusinessError(E.ETHICS_REVIEWERS_INVALID, _("%(name)s不是本委员会有表决权的在任委员") % {
                "name": member.name})
        if choice not in allowed:
            raise BusinessError(E.ETHICS_VOTE_INVALID, _not_allowed(submission, choice))
    decision = rules.expedited_outcome(list(opinions.values()))
    if decision is None:
        _refuse(actor, E.ETHICS_EXPEDITED_NEGATIVE, entity=SUBMISSION, obj=submission)
    summary = f"快速审查：{'、'.join(m.name for m in opinions)}，{_tally_text({m.pk: c for m, c in opinions.items()})}"
    with transaction.atomic():  # the reviewers' opinions and the decision stand or fall together
        _locked(submission, EthicsSubmissionStatus.ACCEPTED)
        EthicsVote.objects.filter(submission=submission).delete()
        EthicsVote.objects.bulk_create([EthicsVote(submission=submission, member=member, choice=choice)
                                        for member, choice in opinions.items()])
        return _decide(actor, submission, decision, opinion=opinion, valid_until=valid_until,
                       today=today or timezone.localdate(), allowed=(EthicsSubmissionStatus.ACCEPTED,),
                       summary=summary)


def _letter_number(committee: EthicsCommittee, year: int) -> str:
    prefix = f"LL{committee.pk:03d}-{year}-"
    count = EthicsSubmission.objects.filter(committee=committee, letter_number__startswith=prefix).count()
    return f"{prefix}{count + 1:03d}"


def _current_until(application: Application, day: dt.date) -> dt.date | None:
    """The end of the approval in force on `day`, if any."""
    return (application.ethics_approvals.filter(decision__in=rules.POSITIVE, valid_from__lte=day,
                                                valid_until__gte=day)
            .order_by("-valid_until").values_list("valid_until", flat=True).first())


def _decide(actor, submission: EthicsSubmission, decision: str, *, opinion: str, valid_until: dt.date | None,
            today: dt.date, allowed: tuple, summary: str) -> EthicsSubmission:
    """Record the decision, number the letter, and change the approvals as the decision says
    (ethics_rules.approval_effect)."""
    if decision != rules.APPROVED and not opinion.strip():
        raise BusinessError(E.ETHICS_OPINION_REQUIRED, field="opinion")
    application = submission.application
    effect = rules.approval_effect(submission.kind, decision, today,
                                   current_until=_current_until(application, today))
    if valid_until is not None and effect.action == "grant" and valid_until < effect.valid_from:
        raise BusinessError(E.DATES_INVALID, _("批件有效期不能早于决定日期"), field="valid_until")
    with transaction.atomic():
        current = _locked(submission, *allowed)
        if submission.meeting_id is not None:
            _write_automatic_recusals(submission)
        current.status, current.decision, current.decided_on = EthicsSubmissionStatus.DECIDED, decision, today
        current.opinion, current.decided_by = opinion.strip(), actor
        try:
            with transaction.atomic():
                current.letter_number = _letter_number(submission.committee, today.year)
                current.save(update_fields=["status", "decision", "decided_on", "opinion", "decided_by",
                                            "letter_number", "updated_at"])
        except IntegrityError:  # another letter took the number meanwhile
            raise BusinessError(E.ETHICS_STATUS_INVALID, _("批件编号冲突，请重试")) from None
        for name in ("status", "decision", "decided_on", "opinion", "decided_by", "letter_number"):
            setattr(submission, name, getattr(current, name))
        _apply_effect(actor, submission, effect, valid_until)
        audit_record(actor=actor, action=AuditAction.APPROVE if decision in rules.POSITIVE else AuditAction.REJECT,
                     entity=SUBMISSION, entity_id=submission.pk,
                     summary=f"伦理审查决定 {current.letter_number}：{submission.get_kind_display()}，"
                             f"{current.get_decision_display()}（{application.number}）；{summary}",
                     after={"decision": decision, "letter_number": current.letter_number,
                            "decided_on": today.isoformat()})
    return submission


def _apply_effect(actor, submission: EthicsSubmission, effect: rules.Effect, valid_until: dt.date | None) -> None:
    application = submission.application
    if effect.action == "grant":
        approval = EthicsApproval.objects.create(
            application=application, committee=submission.committee.name, number=submission.letter_number,
            decision=submission.decision, valid_from=effect.valid_from, valid_until=valid_until or effect.valid_until,
            recorded_by=actor, submission=submission)
        audit_record(actor=actor, action=AuditAction.CREATE, entity=APPROVAL, entity_id=approval.pk,
                     summary=f"伦理审查批件 {approval.number}（{approval.get_decision_display()}）：{application.number}，"
                             f"有效期 {approval.valid_from} 至 {approval.valid_until}")
    elif effect.action == "end":
        for approval in application.ethics_approvals.select_for_update().filter(valid_until__gt=effect.valid_until):
            before = approval.valid_until
            approval.valid_until = effect.valid_until
            approval.save(update_fields=["valid_until", "updated_at"])
            audit_record(actor=actor, action=AuditAction.UPDATE, entity=APPROVAL, entity_id=approval.pk,
                         summary=f"伦理审查批件 {approval.number} 有效期截至 {effect.valid_until}"
                                 f"（{submission.get_decision_display()}，{submission.letter_number}）",
                         before={"valid_until": before.isoformat()},
                         after={"valid_until": effect.valid_until.isoformat()})
