"""Research project workflow through the real services: call → application → institution → experts →
decision, with every gate (role, PI ownership, eligibility, integrity sanctions, conflicts, ethics)
refused with a Chinese reason and audited."""

import datetime as dt
from decimal import Decimal

import pytest

from tests import factories
from weijian.accounts import services as account_services
from weijian.accounts.roles import Role
from weijian.audit.models import AuditEvent
from weijian.core.errors import BusinessError
from weijian.research import services
from weijian.research.errors import ResearchErrorCode as E
from weijian.research.models import Application, ApplicationEvent, ApplicationStatus, Expert, ReviewAssignment

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 4, 10)
SCORES = {"innovation": 8, "rigor": 7, "feasibility": 9, "foundation": 6, "benefit": 10}  # 24+17.5+18+9+10 = 78.50


@pytest.fixture
def call(world):
    science = world.user("commission_science")
    call = services.call_create(actor=science, year=2026, title="2026年度市卫健委科研项目", category="general",
                                budget_ceiling="20", opens_on=dt.date(2026, 3, 1), closes_on=dt.date(2026, 4, 30),
                                min_title_level="intermediate", institution_quota=3, experts_per_application=2)
    return services.call_publish(actor=science, call=call)


@pytest.fixture
def pi(world):
    return world.user("worker_a1")  # 张医生, intermediate title, at inst_a1 (district A)


# What a complete form has besides the title (the budget by heads sums to 15 万元).
COMPLETE = {"budget_lines": {"equipment": "10", "labour": "5"},
            "milestones": "2027-06-30 完成入组300例\n2027-12-31 完成随访并结题"}


def new_application(call, pi, **fields):
    return services.application_create(actor=pi, call=call, title="基层高血压管理路径研究", specialty="心血管内科",
                                       **{**COMPLETE, **fields})


def denied(actor) -> list[str]:
    return list(AuditEvent.objects.filter(actor=actor, outcome="denied").values_list("summary", flat=True))


def expert(world, key: str, *, institution=None, specialties=("心血管内科",), worker=None) -> Expert:
    user = account_services.user_create(actor=None, bootstrap=True, username=f"expert_{key}",
                                        password=factories.PASSWORD, role=Role.EXPERT)
    return Expert.objects.create(name=f"专家{key}", user=user, institution=institution, worker=worker,
                                 specialties=list(specialties), load_cap=5)


def test_submission_keeps_a_snapshot_and_a_returned_application_gets_a_new_version(world, call, pi):
    application = new_application(call, pi)
    assert application.number.startswith(f"KY2026-{call.pk:03d}-") and application.status == ApplicationStatus.DRAFT
    services.team_member_add(actor=pi, application=application, worker=world.worker_a2)
    with pytest.raises(BusinessError) as exc:
        services.application_submit(actor=pi, application=application, sign_integrity=False, today=TODAY)
    assert exc.value.code == E.INTEGRITY_REQUIRED
    services.application_submit(actor=pi, application=application, sign_integrity=True, today=TODAY)
    assert application.status == ApplicationStatus.SUBMITTED and application.integrity_signed_at is not None

    services.application_return(actor=world.user("institution_a1"), application=application, comment="预算依据不足")
    assert (application.status, application.version) == (ApplicationStatus.RETURNED, 2)
    services.application_update(actor=pi, application=application, budget_total="12")
    services.application_submit(actor=pi, application=application, sign_integrity=False, today=TODAY)
    history = list(ApplicationEvent.objects.filter(application=application).values_list("version", "action"))
    assert history == [(1, "submit"), (1, "return"), (2, "submit")]
    first, last = ApplicationEvent.objects.filter(application=application, action="submit").order_by("id")
    assert (first.snapshot["budget_total"], last.snapshot["budget_total"]) == ("15.00", "12.00")
    assert first.snapshot["team"] == [[world.worker_a2.pk, "member"]]


def test_a_pi_cannot_edit_after_submission_and_the_attempt_is_audited(world, call, pi):
    application = new_application(call, pi)
    services.application_submit(actor=pi, application=application, sign_integrity=True, today=TODAY)
    with pytest.raises(BusinessError) as exc:
        services.application_update(actor=pi, application=application, title="改个名字")
    assert exc.value.code == E.NOT_EDITABLE and "待单位审核" in exc.value.message
    assert any("不能修改" in s for s in denied(pi))
    application.refresh_from_db()
    assert application.title == "基层高血压管理路径研究"


def test_only_the_pi_writes_the_application(world, call, pi):
    application = new_application(call, pi)
    other = account_services.user_create(actor=None, bootstrap=True, username="worker_a2_user",
                                         password=factories.PASSWORD, role=Role.HEALTH_WORKER, worker=world.worker_a2)
    with pytest.raises(BusinessError) as exc:
        services.application_update(actor=other, application=application, title="别人的申报书")
    assert exc.value.code == E.NOT_THE_PI and denied(other)


def test_eligibility_problems_are_all_reported_at_submission(world, call, pi):
    pi.worker.title_level = "junior"
    pi.worker.save(update_fields=["title_level"])
    application = new_application(call, pi)
    with pytest.raises(BusinessError) as exc:
        services.application_submit(actor=pi, application=application, sign_integrity=True,
                                    today=dt.date(2026, 5, 1))
    assert exc.value.code == E.NOT_ELIGIBLE
    assert "不在申报期内（2026-03-01 至 2026-04-30）" in exc.value.message
    assert "职称须为中级及以上，当前为初级" in exc.value.message
    application.refresh_from_db()
    assert application.status == ApplicationStatus.DRAFT


@pytest.mark.parametrize(("day", "blocked"), [(dt.date(2026, 3, 31), False), (dt.date(2026, 4, 1), True),
                                              (dt.date(2026, 6, 30), True), (dt.date(2026, 7, 1), False)])
def test_a_sanction_blocks_applying_and_joining_a_team_exactly_while_it_lasts(world, call, pi, day, blocked):
    science = world.user("commission_science")
    services.integrity_case_create(actor=science, worker=world.worker_a2, number="SX-2026-01", finding="数据造假",
                                   sanction="ban_apply", starts_on=dt.date(2026, 4, 1), ends_on=dt.date(2026, 6, 30))
    application = new_application(call, pi)
    services.team_member_add(actor=pi, application=application, worker=world.worker_a2)
    call.closes_on = dt.date(2026, 12, 31)
    call.save(update_fields=["closes_on"])
    if blocked:
        with pytest.raises(BusinessError) as exc:
            services.application_submit(actor=pi, application=application, sign_integrity=True, today=day)
        assert "团队成员李护士：科研失信惩戒期内（至2026-06-30），不能参加项目团队" in exc.value.message
        assert denied(pi)
    else:
        services.application_submit(actor=pi, application=application, sign_integrity=True, today=day)
        assert application.status == ApplicationStatus.SUBMITTED


def test_a_sanctioned_pi_cannot_start_an_application(world, call, pi):
    services.integrity_case_create(actor=world.user("commission_science"), worker=world.worker_a1,
                                   number="SX-2026-02", finding="抄袭", sanction="ban_all",
                                   starts_on=dt.date(2020, 1, 1), ends_on=None)
    with pytest.raises(BusinessError) as exc:
        new_application(call, pi)
    assert exc.value.code == E.SANCTIONED and "无限期" in exc.value.message and denied(pi)


def endorsed(world, call, pi, **fields):
    application = new_application(call, pi, **fields)
    services.team_member_add(actor=pi, application=application, worker=world.worker_b1)  # a member in district B
    services.application_submit(actor=pi, application=application, sign_integrity=True, today=TODAY)
    return services.application_endorse(actor=world.user("institution_a1"), application=application)


def test_review_assignment_avoids_conflicts_and_experts_see_only_their_own(world, call, pi):
    application = endorsed(world, call, pi)
    same_institution = expert(world, "same", institution=world.inst_a1)
    team_institution = expert(world, "team", institution=world.inst_b1)
    on_the_team = expert(world, "member", worker=world.worker_b1)
    free = [expert(world, "free1"), expert(world, "free2"), expert(world, "free3", specialties=("眼科",))]
    result = services.reviews_assign(actor=world.user("commission_science"), call=call,
                                     due_on=dt.date(2026, 5, 20), today=TODAY)
    assigned = set(ReviewAssignment.objects.filter(application=application).values_list("expert_id", flat=True))
    assert assigned == {free[0].pk, free[1].pk}  # the specialty matches first; the conflicted never
    assert not assigned & {same_institution.pk, team_institution.pk, on_the_team.pk}
    assert result == {"assigned": 2, "shortfalls": {}}
    application.refresh_from_db()
    assert application.status == ApplicationStatus.IN_REVIEW


def scored(world, call, pi, **fields):
    application = endorsed(world, call, pi, **fields)
    reviewers = [expert(world, "r1"), expert(world, "r2")]
    services.reviews_assign(actor=world.user("commission_science"), call=call, due_on=dt.date(2026, 5, 20),
                            today=TODAY)
    for reviewer, scores in zip(reviewers, (SCORES, {**SCORES, "benefit": 8}), strict=True):
        assignment = ReviewAssignment.objects.get(application=application, expert=reviewer)
        services.review_submit(actor=reviewer.user, assignment=assignment, scores=scores, today=TODAY)
    return application, reviewers


def test_scores_are_sealed_from_other_experts_until_the_deadline_and_anonymous_to_the_pi(world, call, pi):
    application, (first, second) = scored(world, call, pi)
    with pytest.raises(BusinessError) as exc:
        services.review_scores(actor=first.user, application=application, today=dt.date(2026, 5, 20))
    assert exc.value.code == E.SCORES_SEALED and denied(first.user)
    after = services.review_scores(actor=first.user, application=application, today=dt.date(2026, 5, 21))
    assert sorted(row["total"] for row in after) == [Decimal("76.50"), Decimal("78.50")]
    assert all(row["expert"] is None for row in after)
    with pytest.raises(BusinessError) as exc:  # the PI reads the panel's opinion with the decision
        services.review_scores(actor=pi, application=application, today=TODAY)
    assert exc.value.code == E.SCORES_NOT_YET and denied(pi)
    services.application_decide(actor=world.user("commission_science"), application=application, approve=False,
                                comment="创新性不足", today=TODAY)
    for_pi = services.review_scores(actor=pi, application=application, today=TODAY)
    assert [row["expert"] for row in for_pi] == [None, None]
    for_commission = services.review_scores(actor=world.user("commission_science"), application=application)
    assert {row["expert"] for row in for_commission} == {"专家r1", "专家r2"}
    # An expert cannot score someone else's assignment.
    theirs = ReviewAssignment.objects.get(application=application, expert=second)
    with pytest.raises(BusinessError) as exc:
        services.review_submit(actor=first.user, assignment=theirs, scores=SCORES, today=TODAY)
    assert exc.value.code == E.NOT_YOUR_REVIEW


def test_only_the_commission_decides_and_a_human_subjects_project_needs_a_valid_ethics_approval(world, call, pi):
    application, _ = scored(world, call, pi, human_subjects=True)
    institution = world.user("institution_a1")
    with pytest.raises(BusinessError):
        services.application_decide(actor=institution, application=application, approve=True, today=TODAY)
    assert any("只有卫健委科教处可以决定立项" in s for s in denied(institution))

    science = world.user("commission_science")
    with pytest.raises(BusinessError) as exc:
        services.application_decide(actor=science, application=application, approve=True, today=TODAY)
    assert exc.value.code == E.ETHICS_REQUIRED and denied(science)
    services.ethics_approval_record(actor=world.user("ethics"), application=application, committee="锦江区人民医院伦理委员会",
                                    number="LL-2026-007", decision="approved", valid_from=dt.date(2026, 1, 1),
                                    valid_until=dt.date(2026, 4, 9))  # expired the day before
    with pytest.raises(BusinessError) as exc:
        services.application_decide(actor=science, application=application, approve=True, today=TODAY)
    assert exc.value.code == E.ETHICS_REQUIRED
    services.ethics_approval_record(actor=world.user("ethics"), application=application, committee="锦江区人民医院伦理委员会",
                                    number="LL-2026-008", decision="approved", valid_from=dt.date(2026, 4, 10),
                                    valid_until=dt.date(2027, 4, 9))
    decided = services.application_decide(actor=science, application=application, approve=True, funded_amount="12",
                                          today=TODAY)
    assert (decided.status, decided.score, decided.funded_amount) == (
        ApplicationStatus.APPROVED, Decimal("77.50"), Decimal("12.00"))


def test_human_genetic_resources_and_pathogens_need_their_references_before_approval(world, call, pi):
    application, _ = scored(world, call, pi, human_genetic_resources=True, pathogens=True)
    science = world.user("commission_science")

    def refusal():
        with pytest.raises(BusinessError) as exc:
            services.application_decide(actor=science, application=application, approve=True, today=TODAY)
        return exc.value.code

    assert refusal() == E.ETHICS_REQUIRED  # human genetic resources are human-subject research too
    services.ethics_approval_record(actor=world.user("ethics"), application=application, committee="锦江区人民医院伦理委员会",
                                    number="LL-2026-009", decision="approved", valid_from=dt.date(2026, 1, 1),
                                    valid_until=dt.date(2027, 1, 1))
    assert refusal() == E.HGR_REQUIRED
    # Returned, corrected by the PI and endorsed again in real life; the references are the PI's fields.
    Application.objects.filter(pk=application.pk).update(hgr_reference="国科遗办审字〔2026〕001号")
    application.refresh_from_db()
    assert refusal() == E.BIOSAFETY_REQUIRED
    assert len(denied(science)) == 3
    Application.objects.filter(pk=application.pk).update(biosafety_reference="川BSL2-2026-017")
    application.refresh_from_db()
    decided = services.application_decide(actor=science, application=application, approve=True, today=TODAY)
    assert decided.status == ApplicationStatus.APPROVED


def test_funding_above_the_call_ceiling_and_a_rejection_without_reasons_are_refused(world, call, pi):
    application, _ = scored(world, call, pi)
    science = world.user("commission_science")
    with pytest.raises(BusinessError) as exc:
        services.application_decide(actor=science, application=application, approve=True, funded_amount="25")
    assert exc.value.code == E.AMOUNT_INVALID
    with pytest.raises(BusinessError) as exc:
        services.application_decide(actor=science, application=application, approve=False)
    assert exc.value.code == E.COMMENT_REQUIRED
    rejected = services.application_decide(actor=science, application=application, approve=False, comment="创新性不足")
    assert rejected.status == ApplicationStatus.REJECTED and rejected.funded_amount is None


def test_an_expert_barred_from_reviewing_is_not_assigned(world, call, pi):
    application = endorsed(world, call, pi)
    barred_worker = factories.worker(actor=world.user("commission_info"), institution=world.inst_b1, name="赵专家")
    barred = expert(world, "barred", worker=barred_worker)
    fine = [expert(world, "ok1"), expert(world, "ok2")]
    services.integrity_case_create(actor=world.user("commission_science"), worker=barred_worker, number="SX-3",
                                   finding="评审中泄露申报材料", sanction="ban_review",
                                   starts_on=dt.date(2026, 1, 1), ends_on=dt.date(2026, 12, 31))
    services.reviews_assign(actor=world.user("commission_science"), call=call, due_on=dt.date(2026, 5, 20),
                            today=TODAY)
    assigned = set(ReviewAssignment.objects.filter(application=application).values_list("expert_id", flat=True))
    assert assigned == {fine[0].pk, fine[1].pk} and barred.pk not in assigned


def test_a_no_show_is_replaced_by_another_expert_never_the_same(world, call, pi):
    application = endorsed(world, call, pi)
    first = [expert(world, "n1"), expert(world, "n2")]
    science = world.user("commission_science")
    services.reviews_assign(actor=science, call=call, due_on=dt.date(2026, 5, 20), today=TODAY)
    late = ReviewAssignment.objects.get(application=application, expert=first[0])
    with pytest.raises(BusinessError):
        services.review_mark_no_show(actor=science, assignment=late, today=dt.date(2026, 5, 20))  # not yet late
    services.review_mark_no_show(actor=science, assignment=late, today=dt.date(2026, 5, 21))
    spare = expert(world, "n3")
    result = services.reviews_assign(actor=science, call=call, due_on=dt.date(2026, 6, 10), today=dt.date(2026, 5, 21))
    assert result["assigned"] == 1
    now = dict(ReviewAssignment.objects.filter(application=application).values_list("expert_id", "status"))
    assert now == {first[0].pk: "no_show", first[1].pk: "assigned", spare.pk: "assigned"}
    with pytest.raises(BusinessError) as exc:
        services.reviews_assign(actor=science, call=call, due_on=dt.date(2026, 5, 1), today=dt.date(2026, 5, 21))
    assert "不能早于今天" in exc.value.message


def test_the_pi_withdraws_before_endorsement_only(world, call, pi):
    application = new_application(call, pi)
    services.application_submit(actor=pi, application=application, sign_integrity=True, today=TODAY)
    services.application_withdraw(actor=pi, application=application, reason="改投其他渠道")
    assert application.status == ApplicationStatus.WITHDRAWN
    other = endorsed(world, call, pi)
    with pytest.raises(BusinessError):
        services.application_withdraw(actor=pi, application=other)
    with pytest.raises(BusinessError) as exc:
        services.application_withdraw(actor=world.user("institution_a1"), application=other)
    assert exc.value.code == E.NOT_THE_PI
