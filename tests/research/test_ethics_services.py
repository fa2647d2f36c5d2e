"""The ethics committee workflow through the real services: committees and members, the PI's
submissions, expedited and meeting review with quorum, recusal and majority, the decision and what it
does to the approval gate of `application_decide`. Every refusal carries its code and, where it is a
gate, an audit row with outcome "denied"."""

import datetime as dt

import pytest

from tests import factories
from tests.research.test_services import TODAY, denied, endorsed, new_application
from weijian.accounts import services as account_services
from weijian.accounts.access import access_object, scoped_queryset
from weijian.accounts.models import User
from weijian.accounts.roles import Role
from weijian.audit.models import AuditEvent
from weijian.core.errors import BusinessError, NotFoundOrForbidden
from weijian.research import documents, ethics, services
from weijian.research.errors import ResearchErrorCode as E
from weijian.research.models import (
    ApplicationStatus,
    EthicsApproval,
    EthicsCommittee,
    EthicsRecusal,
    EthicsSubmission,
    EthicsSubmissionStatus,
)
from weijian.workforce import services as workforce_services

pytestmark = pytest.mark.django_db

# Committee A (锦江区人民医院): 8 voting members and a secretary who holds the `ethics` login.
# 王药师 (worker_b1, of 青羊区人民医院) is an external member linked to his worker record.
MEMBERS = (
    ("周主任", "chair", {}),
    ("吴副主任", "vice_chair", {}),
    ("郑委员", "member", {}),
    ("冯委员", "member", {}),
    ("陈委员", "member", {}),
    ("王药师", "member", {"is_external": True}),
    ("褚律师", "member", {"is_lay": True, "is_external": True}),
    ("卫社工", "member", {"is_lay": True}),
)


def setup_committees(world):
    """Committee A at inst_a1 with the members above and the world's `ethics` login as its secretary;
    committee B at inst_b1 with its own login `ethics_b`. Returns (A, B, {name: member})."""
    science, info = world.user("commission_science"), world.user("commission_info")
    a = ethics.committee_create(actor=science, institution=world.inst_a1, name="锦江区人民医院医学伦理委员会",
                                filing_number="川卫伦备-0001")
    keeper = world.user("institution_a1")
    members = {}
    for name, role, flags in MEMBERS:
        extra = {}
        if name == "王药师":
            extra["id_number"] = workforce_services.worker_reveal_id_number(actor=info, pk=world.worker_b1.pk)
        members[name] = ethics.member_add(actor=keeper, committee=a, name=name, role=role, **flags, **extra)
    members["蒋秘书"] = ethics.member_add(actor=keeper, committee=a, name="蒋秘书", role="secretary",
                                         username="ethics")
    b = ethics.committee_create(actor=world.user("institution_b1"), institution=world.inst_b1,
                                name="青羊区人民医院伦理委员会")
    account_services.user_create(actor=None, bootstrap=True, username="ethics_b", password=factories.PASSWORD,
                                 role=Role.ETHICS)
    ethics.member_add(actor=science, committee=b, name="杨秘书", role="secretary", username="ethics_b")
    return a, b, members


def published_call(world):
    """Like test_services' call: published, open 2026-03-01 to 2026-04-30, ceiling 20."""
    science = world.user("commission_science")
    return services.call_publish(actor=science, call=services.call_create(
        actor=science, year=2026, title="2026年度市卫健委科研项目", category="general", budget_ceiling="20",
        opens_on=dt.date(2026, 3, 1), closes_on=dt.date(2026, 4, 30), min_title_level="intermediate",
        institution_quota=3, experts_per_application=2))


@pytest.fixture
def open_call(world):
    return published_call(world)


@pytest.fixture
def committees(world):
    return setup_committees(world)


@pytest.fixture
def secretary(world):
    return world.user("ethics")


def human_project(world, open_call):
    """An endorsed human-subjects application of worker_a1 with worker_b1 (王药师) on its team."""
    return endorsed(world, open_call, world.user("worker_a1"), human_subjects=True)


def submit(world, application, committee, kind="initial"):
    return ethics.submission_create(actor=world.user("worker_a1"), application=application, committee=committee,
                                    kind=kind, content="研究方案 v1.0，知情同意书 v1.0")


def approve_expedited(world, committees, submission, *, today=TODAY):
    _a, _b, members = committees
    secretary = world.user("ethics")
    ethics.submission_accept(actor=secretary, submission=submission, review_type="expedited")
    return ethics.submission_decide_expedited(actor=secretary, submission=submission,
                                              opinions={members["周主任"]: "approved"}, today=today)


def meeting_with(world, committees, submission, present, *, today=TODAY):
    a, _b, members = committees
    secretary = world.user("ethics")
    ethics.submission_accept(actor=secretary, submission=submission, review_type="meeting")
    meeting = ethics.meeting_create(actor=secretary, committee=a, held_on=today, location="行政楼三楼会议室")
    ethics.meeting_agenda_add(actor=secretary, meeting=meeting, submission=submission)
    ethics.meeting_attendance_record(actor=secretary, meeting=meeting, members=[members[n] for n in present],
                                     today=today)
    submission.refresh_from_db()
    return meeting


QUORUM = ("周主任", "吴副主任", "郑委员", "褚律师", "卫社工")  # 5 of 8, lay and external present


# ---- committees and members --------------------------------------------------------------------------

def test_committees_are_set_up_by_the_commission_or_their_institution(world, committees):
    a, b, members = committees
    with pytest.raises(BusinessError) as exc:
        ethics.committee_create(actor=world.user("institution_b1"), institution=world.inst_a1, name="越权设立")
    assert exc.value.code == E.ETHICS_COMMITTEE_INVALID and "只能为本单位设立伦理委员会" in denied(
        world.user("institution_b1"))[0]
    with pytest.raises(BusinessError) as exc:
        ethics.member_add(actor=_user("ethics_b"), committee=a, name="外来者")
    assert exc.value.code == E.ETHICS_SECRETARY_ONLY and denied(_user("ethics_b"))
    assert list(scoped_queryset(world.user("ethics"), EthicsCommittee)) == [a]
    assert list(scoped_queryset(_user("ethics_b"), EthicsCommittee)) == [b]
    assert list(scoped_queryset(world.user("institution_a1"), EthicsCommittee)) == [a]
    assert set(scoped_queryset(world.user("commission_science"), EthicsCommittee)) == {a, b}
    assert not scoped_queryset(world.user("district_a"), EthicsCommittee).exists()
    assert members["王药师"].worker_id == world.worker_b1.pk and members["蒋秘书"].user == world.user("ethics")
    # The secretary keeps his own committee's members.
    ethics.member_add(actor=world.user("ethics"), committee=a, name="孙委员", gender="F")


def _user(username):
    return User.objects.get(username=username)


def test_member_links_are_checked(world, committees):
    a, _b, _members = committees
    keeper, info = world.user("institution_a1"), world.user("commission_info")
    id_number = workforce_services.worker_reveal_id_number(actor=info, pk=world.worker_a1.pk)
    with pytest.raises(BusinessError) as exc:
        ethics.member_add(actor=keeper, committee=a, name="不是张医生", id_number=id_number)
    assert exc.value.field == "id_number" and "未找到姓名与身份证号相符" in exc.value.message
    with pytest.raises(BusinessError) as exc:
        ethics.member_add(actor=keeper, committee=a, name="某人", username="expert")  # not an ethics login
    assert exc.value.field == "username"
    with pytest.raises(BusinessError) as exc:
        ethics.member_add(actor=keeper, committee=a, name="另一位主任", role="chair")
    assert exc.value.message == "本委员会已有主任委员"
    member = ethics.member_add(actor=keeper, committee=a, name="张医生", id_number=id_number)
    assert member.worker == world.worker_a1
    assert not AuditEvent.objects.filter(summary__contains=id_number).exists()  # looked up, never written


# ---- submissions -------------------------------------------------------------------------------------

def test_only_the_pi_submits_and_only_what_the_rules_allow(world, open_call, committees):
    a, b, _members = committees
    application = human_project(world, open_call)
    other = account_services.user_create(actor=None, bootstrap=True, username="worker_a2_user",
                                         password=factories.PASSWORD, role=Role.HEALTH_WORKER, worker=world.worker_a2)
    with pytest.raises(BusinessError) as exc:
        ethics.submission_create(actor=other, application=application, committee=a, kind="initial")
    assert exc.value.code == E.ETHICS_PI_ONLY and denied(other)
    with pytest.raises(BusinessError) as exc:
        submit(world, application, a, kind="amendment")
    assert exc.value.code == E.ETHICS_SUBMISSION_INVALID and "须先通过本委员会的初始审查" in exc.value.message
    submission = submit(world, application, a)
    assert (submission.status, submission.kind, submission.committee) == (EthicsSubmissionStatus.SUBMITTED,
                                                                          "initial", a)
    with pytest.raises(BusinessError) as exc:
        submit(world, application, b)
    assert "该项目已有同类伦理审查申请正在办理" in exc.value.message
    plain = new_application(open_call, world.user("worker_a1"), human_subjects=False)
    with pytest.raises(BusinessError) as exc:
        submit(world, plain, a)
    assert exc.value.code == E.ETHICS_NOT_NEEDED
    # The PI sees his submission; the institution of the application and the committee's too; B does not.
    assert list(scoped_queryset(world.user("worker_a1"), EthicsSubmission)) == [submission]
    assert list(scoped_queryset(world.user("institution_a1"), EthicsSubmission)) == [submission]
    assert not scoped_queryset(world.user("institution_b1"), EthicsSubmission).exists()
    ethics.submission_withdraw(actor=world.user("worker_a1"), submission=submission, reason="方案需大改")
    assert submission.status == EthicsSubmissionStatus.WITHDRAWN
    assert submit(world, application, a).status == EthicsSubmissionStatus.SUBMITTED  # a new one may follow


def test_the_pi_and_the_commission_cannot_act_for_the_committee(world, open_call, committees):
    a, _b, members = committees
    submission = submit(world, human_project(world, open_call), a)
    for key in ("worker_a1", "commission_science", "institution_a1"):
        actor = world.user(key)
        with pytest.raises(BusinessError) as exc:
            ethics.submission_accept(actor=actor, submission=submission, review_type="expedited")
        assert exc.value.code == E.ETHICS_SECRETARY_ONLY
        assert any(str(E.ETHICS_SECRETARY_ONLY.message) in s for s in denied(actor)), key  # a lazy translation
    ethics.submission_accept(actor=world.user("ethics"), submission=submission, review_type="expedited")
    with pytest.raises(BusinessError) as exc:
        ethics.submission_decide_expedited(actor=world.user("worker_a1"), submission=submission,
                                           opinions={members["周主任"]: "approved"})
    assert exc.value.code == E.ETHICS_SECRETARY_ONLY and denied(world.user("worker_a1"))
    submission.refresh_from_db()
    assert submission.status == EthicsSubmissionStatus.ACCEPTED and not EthicsApproval.objects.exists()


def test_another_committees_account_neither_sees_nor_acts(world, open_call, committees):
    a, _b, _members = committees
    submission = submit(world, human_project(world, open_call), a)
    other = _user("ethics_b")
    assert not scoped_queryset(other, EthicsSubmission).exists()
    with pytest.raises(NotFoundOrForbidden):
        access_object(other, EthicsSubmission, submission.pk)
    with pytest.raises(BusinessError) as exc:
        ethics.submission_accept(actor=other, submission=submission, review_type="meeting")
    assert exc.value.code == E.ETHICS_SECRETARY_ONLY
    assert denied(other) == [f"拒绝：{E.ETHICS_SECRETARY_ONLY.message}"]
    with pytest.raises(BusinessError):
        ethics.meeting_create(actor=other, committee=a, held_on=TODAY)
    assert len(denied(other)) == 2
    assert access_object(world.user("ethics"), EthicsSubmission, submission.pk) == submission


# ---- expedited review ----------------------------------------------------------------------------------

def test_expedited_review_cannot_reject_and_is_by_one_or_two_members_without_conflict(world, open_call, committees):
    a, _b, members = committees
    secretary = world.user("ethics")
    submission = submit(world, human_project(world, open_call), a)
    ethics.submission_accept(actor=secretary, submission=submission, review_type="expedited")
    with pytest.raises(BusinessError) as exc:
        ethics.submission_decide_expedited(actor=secretary, submission=submission,
                                           opinions={members["周主任"]: "approved", members["吴副主任"]: "rejected"},
                                           opinion="风险过高")
    assert exc.value.code == E.ETHICS_EXPEDITED_NEGATIVE
    assert denied(secretary) == [f"拒绝：{E.ETHICS_EXPEDITED_NEGATIVE.message}"]
    three = {members[n]: "approved" for n in ("周主任", "吴副主任", "郑委员")}
    with pytest.raises(BusinessError) as exc:
        ethics.submission_decide_expedited(actor=secretary, submission=submission, opinions=three)
    assert exc.value.code == E.ETHICS_REVIEWERS_INVALID
    with pytest.raises(BusinessError) as exc:  # 王药师 is on the application's team
        ethics.submission_decide_expedited(actor=secretary, submission=submission,
                                           opinions={members["王药师"]: "approved"})
    assert exc.value.code == E.ETHICS_RECUSED and "项目团队成员" in exc.value.message
    with pytest.raises(BusinessError) as exc:  # the secretary does not review
        ethics.submission_decide_expedited(actor=secretary, submission=submission,
                                           opinions={members["蒋秘书"]: "approved"})
    assert exc.value.code == E.ETHICS_REVIEWERS_INVALID
    with pytest.raises(BusinessError) as exc:
        ethics.submission_decide_expedited(actor=secretary, submission=submission,
                                           opinions={members["周主任"]: "approved_with_changes"})
    assert exc.value.code == E.ETHICS_OPINION_REQUIRED
    submission.refresh_from_db()
    assert submission.status == EthicsSubmissionStatus.ACCEPTED and not submission.votes.exists()
    # The negative opinion goes to a meeting: the review type is chosen again.
    ethics.submission_accept(actor=secretary, submission=submission, review_type="meeting")
    assert submission.review_type == "meeting"


def test_an_approval_unlocks_the_funding_decision_of_a_human_subjects_project(world, open_call, committees):
    a, _b, members = committees
    science = world.user("commission_science")
    application = human_project(world, open_call)
    with pytest.raises(BusinessError) as exc:
        services.application_decide(actor=science, application=application, approve=True, today=TODAY)
    assert exc.value.code == E.ETHICS_REQUIRED
    submission = approve_expedited(world, committees, submit(world, application, a))
    assert (submission.status, submission.decision, submission.decided_on) == (
        EthicsSubmissionStatus.DECIDED, "approved", TODAY)
    assert submission.letter_number == f"LL{a.pk:03d}-2026-001"
    approval = EthicsApproval.objects.get(application=application)
    assert (approval.committee, approval.number, approval.valid_from, approval.valid_until, approval.submission) == (
        a.name, submission.letter_number, TODAY, dt.date(2027, 4, 9), submission)
    assert list(submission.votes.values_list("member__name", "choice", "meeting")) == [("周主任", "approved", None)]
    decided = services.application_decide(actor=science, application=application, approve=True, today=TODAY)
    assert decided.status == ApplicationStatus.APPROVED
    pdf = documents.ethics_letter_pdf(submission)
    assert pdf.startswith(b"%PDF")


# ---- meeting review ------------------------------------------------------------------------------------

def test_a_meeting_needs_its_quorum_after_recusals_and_a_majority(world, open_call, committees):
    a, _b, members = committees
    secretary = world.user("ethics")
    submission = submit(world, human_project(world, open_call), a)
    # 王药师 (on the team) is recused when the submission is put on the agenda; with him 5 attend, 4 count.
    meeting = meeting_with(world, committees, submission, ("周主任", "吴副主任", "郑委员", "王药师", "卫社工"))
    recusal = EthicsRecusal.objects.get(submission=submission)
    assert (recusal.member, recusal.automatic, recusal.reason) == (members["王药师"], True, "项目团队成员")
    with pytest.raises(BusinessError) as exc:
        ethics.votes_record(actor=secretary, submission=submission, votes={members["王药师"]: "approved"})
    assert exc.value.code == E.ETHICS_RECUSED
    with pytest.raises(BusinessError) as exc:
        ethics.submission_decide(actor=secretary, submission=submission, today=TODAY)
    assert exc.value.code == E.ETHICS_NO_QUORUM
    assert exc.value.message == (f"{E.ETHICS_NO_QUORUM.message}：到会委员（回避者除外）4 人，未超过全体委员 8 人的半数；"
                                 "到会委员（回避者除外）4 人，少于 5 人；到会委员中没有外单位委员")
    assert denied(secretary)

    ethics.meeting_attendance_record(actor=secretary, meeting=meeting, members=[members[n] for n in QUORUM],
                                     today=TODAY)
    # 3 同意 and 2 修改后同意: no choice has more than half of the 7 members not recused.
    ethics.votes_record(actor=secretary, submission=submission, votes={
        members["周主任"]: "approved", members["吴副主任"]: "approved", members["郑委员"]: "approved",
        members["褚律师"]: "approved_with_changes", members["卫社工"]: "approved_with_changes"})
    with pytest.raises(BusinessError) as exc:
        ethics.submission_decide(actor=secretary, submission=submission, today=TODAY)
    assert exc.value.code == E.ETHICS_NO_MAJORITY and "同意 3 票，修改后同意 2 票；全体委员（回避者除外）7 人" in exc.value.message
    with pytest.raises(BusinessError) as exc:
        ethics.votes_record(actor=secretary, submission=submission, votes={members["陈委员"]: "approved"})
    assert exc.value.code == E.ETHICS_VOTE_INVALID  # absent
    with pytest.raises(BusinessError) as exc:
        ethics.votes_record(actor=secretary, submission=submission, votes={members["周主任"]: "suspended"})
    assert exc.value.code == E.ETHICS_VOTE_INVALID and "初始审查不能作出“暂停已批准的研究”的决定" in exc.value.message

    ethics.votes_record(actor=secretary, submission=submission, votes={
        members["周主任"]: "approved_with_changes", members["吴副主任"]: "approved_with_changes",
        members["郑委员"]: "approved_with_changes", members["褚律师"]: "approved_with_changes",
        members["卫社工"]: "approved"})
    decided = ethics.submission_decide(actor=secretary, submission=submission, opinion="补充样本量计算依据",
                                       today=TODAY)
    assert (decided.decision, decided.status) == ("approved_with_changes", EthicsSubmissionStatus.DECIDED)
    assert EthicsApproval.objects.get(submission=submission).decision == "approved_with_changes"
    with pytest.raises(BusinessError) as exc:  # the quorum was judged on that list
        ethics.meeting_attendance_record(actor=secretary, meeting=meeting, members=[members["周主任"]], today=TODAY)
    assert exc.value.code == E.ETHICS_MEETING_INVALID
    pdf = documents.ethics_letter_pdf(decided)
    assert pdf.startswith(b"%PDF") and len(pdf) > 1000


def test_a_declared_conflict_strikes_the_vote(world, open_call, committees):
    a, _b, members = committees
    secretary = world.user("ethics")
    submission = submit(world, human_project(world, open_call), a)
    meeting_with(world, committees, submission, (*QUORUM, "陈委员"))
    ethics.votes_record(actor=secretary, submission=submission,
                        votes={members[n]: "approved" for n in (*QUORUM, "陈委员")})
    ethics.recusal_declare(actor=secretary, submission=submission, member=members["陈委员"], reason="与项目负责人为近亲属")
    assert not submission.votes.filter(member=members["陈委员"]).exists()
    decided = ethics.submission_decide(actor=secretary, submission=submission, today=TODAY)
    assert decided.decision == "approved"  # 5 of the 6 members neither recused nor on the team


def test_a_meeting_cannot_record_attendance_before_its_day(world, committees):
    a, _b, members = committees
    meeting = ethics.meeting_create(actor=world.user("ethics"), committee=a, held_on=TODAY + dt.timedelta(days=3))
    with pytest.raises(BusinessError) as exc:
        ethics.meeting_attendance_record(actor=world.user("ethics"), meeting=meeting, members=[members["周主任"]],
                                         today=TODAY)
    assert exc.value.code == E.ETHICS_MEETING_INVALID


# ---- after approval: serious adverse event, suspension, continuing review -------------------------------

def test_a_suspension_after_a_serious_adverse_event_closes_the_gate_from_that_day(world, open_call, committees):
    a, _b, members = committees
    secretary, science = world.user("ethics"), world.user("commission_science")
    application = human_project(world, open_call)
    approved_on = TODAY - dt.timedelta(days=30)
    approve_expedited(world, committees, submit(world, application, a), today=approved_on)
    sae = submit(world, application, a, kind="sae")
    ethics.submission_accept(actor=secretary, submission=sae, review_type="expedited")
    with pytest.raises(BusinessError) as exc:  # a negative opinion is not the expedited reviewers' to give
        ethics.submission_decide_expedited(actor=secretary, submission=sae, opinions={members["周主任"]: "suspended"},
                                           opinion="暂停入组", today=TODAY)
    assert exc.value.code == E.ETHICS_EXPEDITED_NEGATIVE
    meeting_with(world, committees, sae, QUORUM)
    ethics.votes_record(actor=secretary, submission=sae, votes={members[n]: "suspended" for n in QUORUM})
    decided = ethics.submission_decide(actor=secretary, submission=sae, opinion="暂停入组，完成安全性评估后再议",
                                       today=TODAY)
    assert decided.decision == "suspended"
    approval = EthicsApproval.objects.get(application=application)
    assert approval.valid_until == TODAY - dt.timedelta(days=1)
    # The day before the suspension the project could still be approved; from its day it cannot.
    with pytest.raises(BusinessError) as exc:
        services.application_decide(actor=science, application=application, approve=True, today=TODAY)
    assert exc.value.code == E.ETHICS_REQUIRED
    application.refresh_from_db()
    assert application.status == ApplicationStatus.ENDORSED
    assert services._ethics_valid(application, TODAY - dt.timedelta(days=1))

    # A continuing review that lets the study go on grants a new approval (validity extended).
    continuing = submit(world, application, a, kind="continuing")
    approve_expedited(world, committees, continuing, today=TODAY + dt.timedelta(days=7))
    assert services._ethics_valid(application, TODAY + dt.timedelta(days=7))
    assert EthicsApproval.objects.filter(application=application).count() == 2


def test_a_termination_allows_only_the_closure(world, open_call, committees):
    a, _b, members = committees
    secretary = world.user("ethics")
    application = human_project(world, open_call)
    approve_expedited(world, committees, submit(world, application, a))
    deviation = submit(world, application, a, kind="deviation")
    meeting_with(world, committees, deviation, QUORUM)
    ethics.votes_record(actor=secretary, submission=deviation, votes={members[n]: "terminated" for n in QUORUM})
    ethics.submission_decide(actor=secretary, submission=deviation, opinion="严重违背方案", today=TODAY)
    with pytest.raises(BusinessError) as exc:
        submit(world, application, a, kind="amendment")
    assert "本委员会已终止该研究，只能提交结题审查" in exc.value.message
    assert submit(world, application, a, kind="closure").kind == "closure"


def test_the_letter_exists_only_once_decided(world, open_call, committees):
    a, _b, _members = committees
    submission = submit(world, human_project(world, open_call), a)
    with pytest.raises(ValueError, match="尚未作出决定"):
        documents.ethics_letter_pdf(submission)


# ---- the demo city ---------------------------------------------------------------------------------------

def test_the_demo_city_gets_committees_a_held_meeting_with_its_quorum_and_work_for_the_demo_logins(db):
    from weijian.demo import generate_city
    from weijian.demo.research_ethics import generate_ethics
    from weijian.research.ethics_selectors import agenda_item
    from weijian.research.models import EthicsMeeting

    generate_city(workers=600, institutions=40)  # generate_city writes the ethics data after the research data
    science = User.objects.get(username="commission_science")
    assert generate_ethics(actor=science, seed=20261122).skipped  # once only
    assert EthicsCommittee.objects.exists() and EthicsMeeting.objects.count() == 2
    secretary = User.objects.get(username="ethics")
    mine = scoped_queryset(secretary, EthicsCommittee)
    assert mine.count() == 1 and mine.get().institution == User.objects.get(username="institution_jinjiang").institution
    held = EthicsMeeting.objects.get(status="held")
    decided = list(held.agenda.all())
    assert len(decided) == 2 and all(s.status == EthicsSubmissionStatus.DECIDED for s in decided)
    assert all(agenda_item(s).quorum.met for s in decided)
    assert {s.decision for s in decided} == {"approved", "approved_with_changes"}
    assert EthicsApproval.objects.filter(submission__in=decided).count() == 2
    statuses = set(scoped_queryset(secretary, EthicsSubmission).values_list("status", flat=True))
    assert {EthicsSubmissionStatus.SUBMITTED, EthicsSubmissionStatus.ACCEPTED, EthicsSubmissionStatus.IN_MEETING,
            EthicsSubmissionStatus.DECIDED} <= statuses
    # Every funded human-subjects project's approval comes from a committee's decision.
    assert not EthicsApproval.objects.filter(submission=None).exists()
    # The demo health worker can submit his draft for ethics review.
    pi = User.objects.get(username="worker_jinjiang")
    assert pi.worker.research_applications.filter(status="draft", human_subjects=True).exists()
    assert generate_ethics(actor=science, seed=20261122).skipped  # once only
