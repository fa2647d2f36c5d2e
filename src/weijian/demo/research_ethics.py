"""Ethics review (伦理审查) in the demo city, written after the research data (demo/research.py).

- One committee per hospital (综合医院, 中医医院, 专科医院, 妇幼保健院) with human-subjects applications,
  up to 20, the demo institution's (锦江区人民医院, `institution_jinjiang`) always first: a chair, a vice
  chair and four medical members from the hospital's senior staff, an external medical member from
  another institution, a non-medical member, a lawyer from outside, and a secretary. The demo `ethics`
  login is the secretary of the demo institution's committee.
- Applications of institutions without a committee go to a hospital's committee of the same district,
  else to the demo committee.
- Every funded human-subjects project's approval now comes from a decided initial review.
- This year's human-subjects applications are at every step: submitted, accepted for expedited or
  meeting review. The demo committee's run through the services as its secretary: one meeting held a
  week ago with its quorum, two decisions and their letters; a meeting planned in two weeks with an
  item on its agenda; an expedited review and a submission waiting for the secretary; a serious adverse
  event report on a running project.
- The demo health worker's (`worker_jinjiang`) draft is marked as human-subjects research, so that he
  can submit it to the committee from his application's page.

Most applicants have no login, so rows are written in bulk with one audit row per step under the
commission's demo account, as the research demo does. Deterministic for a seed; skipped once any
committee exists.
"""

import datetime as dt
import itertools
import random
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from faker.providers.person.zh_CN import Provider as ChineseNames

from weijian.accounts.models import User
from weijian.accounts.roles import Role
from weijian.audit.actions import AuditAction
from weijian.audit.services import audit_record
from weijian.core.errors import BusinessError
from weijian.research import ethics
from weijian.research.ethics_selectors import recusals
from weijian.research.models import (
    Application,
    ApplicationStatus,
    EthicsApproval,
    EthicsCommittee,
    EthicsMember,
    EthicsReviewType,
    EthicsSubmission,
    EthicsSubmissionStatus,
)
from weijian.workforce.models import Worker, WorkerStatus

HOSPITALS = ("general_hospital", "tcm_hospital", "specialist_hospital", "maternal_child")
MAX_COMMITTEES = 20
SENIOR = ("associate_senior", "senior")
PENDING = (ApplicationStatus.SUBMITTED, ApplicationStatus.ENDORSED, ApplicationStatus.IN_REVIEW)
RUNNING = (ApplicationStatus.APPROVED, ApplicationStatus.EXECUTING)
SURNAMES = list(ChineseNames.last_names)
SURNAME_WEIGHTS = list(itertools.accumulate(ChineseNames.last_names.values()))


@dataclass
class EthicsSummary:
    committees: int = 0
    members: int = 0
    submissions: int = 0
    meetings: int = 0
    skipped: bool = False


def generate_ethics(*, actor: User, seed: int, today: dt.date | None = None) -> EthicsSummary:
    """Write the ethics review data of the demo city once: skipped when a committee exists or nothing
    involves human subjects."""
    today = today or timezone.localdate()
    if EthicsCommittee.objects.exists():
        return EthicsSummary(skipped=True)
    rng = random.Random(seed + 1964)
    secretary = User.objects.filter(username="ethics", role=Role.ETHICS, is_active=True).first()
    demo_institution = User.objects.filter(username="institution_jinjiang").values_list(
        "institution_id", flat=True).first()
    demo_pi = User.objects.filter(username="worker_jinjiang").values_list("worker_id", flat=True).first()
    summary = EthicsSummary()
    with transaction.atomic():
        if demo_pi:
            Application.objects.filter(pi_id=demo_pi, status=ApplicationStatus.DRAFT).update(human_subjects=True)
        human = list(Application.objects.filter(human_subjects=True).select_related("institution").order_by("pk"))
        if not human:
            return EthicsSummary(skipped=True)
        committees = _committees(actor, rng, human, demo_institution, secretary, summary)
        if not committees:
            return EthicsSummary(skipped=True)
        demo = committees[0]
        route = _router(committees, demo)
        _funded(actor, today, [a for a in human if a.decided_at and a.status != ApplicationStatus.REJECTED], route,
                summary)
        pending = [a for a in human if a.status in PENDING]
        mine = [a for a in pending if route(a) == demo]
        mine += [a for a in pending if a not in mine][:max(0, 5 - len(mine))]
        _pending(actor, today, [a for a in pending if a not in mine[:5]], route, summary)
        if secretary is not None:
            _demo_committee(actor, secretary, today, demo, mine[:5], summary)
        audit_record(actor=actor, action=AuditAction.CREATE, entity="research-ethics-submission",
                     summary=f"演示数据：{summary.committees} 个伦理委员会、{summary.members} 名委员、"
                             f"{summary.submissions} 份伦理审查申请、{summary.meetings} 次审查会议")
    return summary


def _name(rng: random.Random, male: bool) -> str:
    given = ChineseNames.first_names_male if male else ChineseNames.first_names_female
    return rng.choices(SURNAMES, cum_weights=SURNAME_WEIGHTS)[0] + rng.choice(given)


def _committees(actor, rng, human, demo_institution, secretary, summary) -> list[EthicsCommittee]:
    counts: dict[int, int] = {}
    for application in human:
        if application.institution.type in HOSPITALS:
            counts[application.institution_id] = counts.get(application.institution_id, 0) + 1
    chosen = sorted(counts, key=lambda pk: (-counts[pk], pk))
    if demo_institution:
        chosen = [demo_institution, *(pk for pk in chosen if pk != demo_institution)]
    institutions = {i.pk: i for i in [a.institution for a in human]}
    if demo_institution and demo_institution not in institutions:
        institutions[demo_institution] = User.objects.get(username="institution_jinjiang").institution
    committees = EthicsCommittee.objects.bulk_create([
        EthicsCommittee(institution=institutions[pk], name=f"{institutions[pk].name}伦理委员会",
                        filing_number=f"伦备{institutions[pk].district_id}-{n:03d}")
        for n, pk in enumerate(chosen[:MAX_COMMITTEES], start=1)])
    seniors = list(Worker.objects.filter(status=WorkerStatus.ACTIVE, title_level__in=SENIOR)
                   .order_by("pk").values_list("pk", "institution_id", "name", "sex"))
    members = []
    for committee in committees:
        own = [w for w in seniors if w[1] == committee.institution_id]
        others = [w for w in seniors if w[1] != committee.institution_id]
        staff = rng.sample(own, min(6, len(own)))
        roles = ["chair", "vice_chair", "member", "member", "member", "member"]
        for n, role in enumerate(roles):
            if n < len(staff):
                pk, _inst, name, sex = staff[n]
                members.append(EthicsMember(committee=committee, name=name, role=role, worker_id=pk, gender=sex,
                                            expertise="临床医学"))
            else:
                male = rng.random() < 0.5
                members.append(EthicsMember(committee=committee, name=_name(rng, male), role=role,
                                            gender="M" if male else "F", expertise="临床医学"))
        if others:
            pk, _inst, name, sex = rng.choice(others)
            members.append(EthicsMember(committee=committee, name=name, worker_id=pk, gender=sex, is_external=True,
                                        expertise="药学"))
        for expertise, external in (("医学伦理学", False), ("法学", True)):
            male = rng.random() < 0.5
            members.append(EthicsMember(committee=committee, name=_name(rng, male), gender="M" if male else "F",
                                        expertise=expertise, is_lay=True, is_external=external))
        male = rng.random() < 0.5
        members.append(EthicsMember(committee=committee, name=_name(rng, male), role="secretary",
                                    gender="M" if male else "F", expertise="伦理办公室",
                                    user=secretary if committee is committees[0] else None))
    EthicsMember.objects.bulk_create(members)
    for committee in committees:
        audit_record(actor=actor, action=AuditAction.CREATE, entity="research-ethics-committee",
                     entity_id=committee.pk, summary=f"演示数据：设立{committee.name}及其委员")
    summary.committees, summary.members = len(committees), len(members)
    return committees


def _router(committees: list[EthicsCommittee], demo: EthicsCommittee):
    """Where an application's submissions go: its institution's committee, else a committee of its
    district, else the demo committee."""
    own = {c.institution_id: c for c in committees}
    district = {}
    for committee in committees:
        district.setdefault(committee.institution.district_id, committee)

    def route(application: Application) -> EthicsCommittee:
        return (own.get(application.institution_id) or district.get(application.institution.district_id)
                or demo)
    return route


def _at(day: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def _funded(actor, today, funded: list[Application], route, summary) -> None:
    """Each funded project's approval came from its committee's initial review."""
    approvals = {a.application_id: a for a in EthicsApproval.objects.filter(application__in=funded, submission=None)
                 .order_by("valid_from", "pk")}
    rows = []
    for application in funded:
        approval = approvals.get(application.pk)
        if approval is None:
            continue
        committee = route(application)
        rows.append(EthicsSubmission(
            committee=committee, application=application, kind="initial", content="研究方案、知情同意书（演示数据）",
            status=EthicsSubmissionStatus.DECIDED, review_type=EthicsReviewType.MEETING, submitted_by=actor,
            submitted_at=_at(approval.valid_from - dt.timedelta(days=30)),
            accepted_at=_at(approval.valid_from - dt.timedelta(days=27)), decision=approval.decision,
            decided_on=approval.valid_from, opinion="同意按送审方案开展研究（演示数据）",
            letter_number=approval.number, decided_by=actor))
    submissions = EthicsSubmission.objects.bulk_create(rows)
    for submission in submissions:
        approval = approvals[submission.application_id]
        approval.submission, approval.committee = submission, submission.committee.name
    EthicsApproval.objects.bulk_update([approvals[s.application_id] for s in submissions], ["submission", "committee"])
    summary.submissions += len(submissions)
    if submissions:
        audit_record(actor=actor, action=AuditAction.CREATE, entity="research-ethics-submission",
                     summary=f"演示数据：{len(submissions)} 个已立项项目的初始审查决定")


def _pending(actor, today, pending: list[Application], route, summary) -> None:
    """This year's applications with other committees: submitted, or accepted for either review type."""
    steps = [(EthicsSubmissionStatus.SUBMITTED, ""), (EthicsSubmissionStatus.ACCEPTED, EthicsReviewType.EXPEDITED),
             (EthicsSubmissionStatus.ACCEPTED, EthicsReviewType.MEETING)]
    rows = []
    for n, application in enumerate(pending):
        status, review_type = steps[n % len(steps)]
        rows.append(EthicsSubmission(
            committee=route(application), application=application, kind="initial", status=status,
            review_type=review_type, content="研究方案 v1.0、知情同意书 v1.0（演示数据）", submitted_by=actor,
            submitted_at=_at(today - dt.timedelta(days=10 + n % 7)),
            accepted_at=_at(today - dt.timedelta(days=5)) if review_type else None))
    EthicsSubmission.objects.bulk_create(rows)
    summary.submissions += len(rows)
    if rows:
        audit_record(actor=actor, action=AuditAction.SUBMIT, entity="research-ethics-submission",
                     summary=f"演示数据：{len(rows)} 份初始审查申请")


def _demo_committee(actor, secretary, today, demo: EthicsCommittee, mine: list[Application], summary) -> None:
    """The demo committee's work, done through the services as its secretary."""
    created = EthicsSubmission.objects.bulk_create([
        EthicsSubmission(committee=demo, application=a, kind="initial", content="研究方案 v1.0、知情同意书 v1.0（演示数据）",
                         submitted_by=actor, submitted_at=_at(today - dt.timedelta(days=20 - n)))
        for n, a in enumerate(mine)])
    running = (EthicsSubmission.objects.filter(committee=demo, kind="initial", decision__in=("approved",
                                                                                          "approved_with_changes"),
                                               application__status__in=RUNNING)
               .select_related("application").order_by("pk"))
    follow_ups = EthicsSubmission.objects.bulk_create([
        EthicsSubmission(committee=demo, application=s.application, kind=kind, content=content, submitted_by=actor,
                         submitted_at=_at(today - dt.timedelta(days=3)))
        for s, (kind, content) in zip(running, (
            ("sae", "受试者入组后发生严重过敏反应，已住院治疗并好转（演示数据）"),
            ("continuing", "年度进展报告：已入组 120 例，无新的安全性问题（演示数据）")), strict=False)])
    summary.submissions += len(created) + len(follow_ups)
    audit_record(actor=actor, action=AuditAction.SUBMIT, entity="research-ethics-submission",
                 summary=f"演示数据：向{demo.name}提交 {len(created) + len(follow_ups)} 份伦理审查申请")
    members = list(demo.members.filter(is_active=True).order_by("pk"))
    voting = [m for m in members if m.votes]
    # All but one medical member attend: more than half, at least five, the lay and external members too.
    absent = next((m for m in voting if not m.is_lay and not m.is_external and m.role == "member"), None)
    present = [m for m in voting if m is not absent]
    try:
        if len(created) >= 1:
            held = ethics.meeting_create(actor=secretary, committee=demo, held_on=today - dt.timedelta(days=7),
                                         location="行政楼三楼伦理委员会会议室")
            summary.meetings += 1
            on_agenda = created[:2]
            for submission in on_agenda:
                ethics.submission_accept(actor=secretary, submission=submission, review_type=EthicsReviewType.MEETING)
                ethics.meeting_agenda_add(actor=secretary, meeting=held, submission=submission)
            ethics.meeting_attendance_record(actor=secretary, meeting=held, members=present, today=today)
            for submission, (choice, opinion) in zip(on_agenda, (
                    ("approved", "同意按送审方案开展研究"),
                    ("approved_with_changes", "请补充样本量计算依据，并修改知情同意书中的风险告知")), strict=False):
                out = recusals(submission)
                voters = [m for m in present if m.pk not in out]
                votes = {m: choice for m in voters}
                if choice != "approved" and voters:
                    votes[voters[-1]] = "approved"
                ethics.votes_record(actor=secretary, submission=submission, votes=votes)
                ethics.submission_decide(actor=secretary, submission=submission, opinion=opinion, today=today)
        if len(created) >= 3:
            planned = ethics.meeting_create(actor=secretary, committee=demo, held_on=today + dt.timedelta(days=14),
                                            location="行政楼三楼伦理委员会会议室")
            summary.meetings += 1
            ethics.submission_accept(actor=secretary, submission=created[2], review_type=EthicsReviewType.MEETING)
            ethics.meeting_agenda_add(actor=secretary, meeting=planned, submission=created[2])
        if len(created) >= 4:
            ethics.submission_accept(actor=secretary, submission=created[3], review_type=EthicsReviewType.EXPEDITED)
        if len(follow_ups) >= 2:
            ethics.submission_accept(actor=secretary, submission=follow_ups[1], review_type=EthicsReviewType.EXPEDITED)
    except BusinessError:  # a tiny city without a quorum: leave the rest for the demo user
        pass
