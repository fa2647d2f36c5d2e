"""The project lifecycle: application, endorsement (单位推荐), review, filing (备案), execution report
(执行情况报告), the deadlines and the year's policy."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from weijian.audit.models import AuditEvent
from weijian.cme import selectors, services
from weijian.cme.models import CmePolicy
from weijian.core.errors import BusinessError, NotFoundOrForbidden

D = dt.date


def _code(call, **kwargs):
    with pytest.raises(BusinessError) as exc:
        call(**kwargs)
    return exc.value.code


def _apply(world, key="institution_a1", host=None, number="510100-2025-100", **extra):
    fields = dict(number=number, name="院内感染防控新进展", level="municipal", host=host or world.inst_a1,
                  credits="5", start_date=D(2025, 9, 1), end_date=D(2025, 9, 2), lead_teacher="刘主任",
                  audience="院感专职人员", schedule="9月1日 理论；9月2日 实操", budget="12000.50",
                  expected_attendees=80)
    return services.project_create(actor=world.user(key), **{**fields, **extra})


def _approved(world, **extra):
    project = _apply(world, **extra)
    project = services.project_endorse(actor=world.user("institution_a1"), project=project)
    return services.project_approve(actor=world.user("commission_science"), project=project, reason="同意")


def _events(project):
    return list(AuditEvent.objects.filter(entity="cme-project", entity_id=str(project.pk)).order_by("id"))


# ---- application and review ------------------------------------------------------------------

def test_the_application_keeps_its_fields_and_applicant(world):
    project = _apply(world)
    assert (project.status, project.lead_teacher, project.audience, project.budget, project.expected_attendees) == (
        "draft", "刘主任", "院感专职人员", Decimal("12000.50"), 80)
    assert project.applied_by == world.user("institution_a1")


def test_workflow_audits_submit_approve_reject(world):
    project = _approved(world)
    assert (project.status, project.decision_reason) == ("approved", "同意")
    rejected = _apply(world, number="510100-2025-101")
    rejected = services.project_endorse(actor=world.user("district_a"), project=rejected)
    rejected = services.project_reject(actor=world.user("commission_science"), project=rejected, reason="内容重复")
    assert [(e.action, (e.after or {}).get("status")) for e in _events(project)] == [
        ("create", "draft"), ("submit", "endorsed"), ("approve", "approved")]
    assert [e.action for e in _events(rejected)] == ["create", "submit", "reject"]
    assert _events(rejected)[-1].after == {"status": "rejected", "decision_reason": "内容重复"}


def test_a_draft_is_edited_by_its_host_side_only_while_draft(world):
    project = _apply(world)
    project = services.project_update(actor=world.user("institution_a1"), project=project, name="院感防控进展",
                                      budget="9000", expected_attendees="60")
    assert (project.name, project.budget, project.expected_attendees) == ("院感防控进展", Decimal("9000.00"), 60)
    update = _events(project)[-1]
    assert update.action == "update"
    assert update.after == {"name": "院感防控进展", "budget": "9000.00", "expected_attendees": 60}
    # The district of the host may edit too; the commission reviews, it does not edit the application.
    services.project_update(actor=world.user("district_a"), project=project, audience="全区院感人员")
    with pytest.raises(NotFoundOrForbidden):
        services.project_update(actor=world.user("commission_science"), project=project, name="改")
    # Another district's institution cannot even see the draft.
    with pytest.raises(NotFoundOrForbidden):
        services.project_update(actor=world.user("institution_b1"), project=project, name="改")
    assert _code(services.project_update, actor=world.user("institution_a1"), project=project,
                 status="approved") == "field_not_editable"
    assert _code(services.project_update, actor=world.user("institution_a1"), project=project,
                 budget="-1") == "budget_invalid"
    assert _code(services.project_update, actor=world.user("institution_a1"), project=project,
                 expected_attendees="-3") == "count_invalid"
    assert _code(services.project_update, actor=world.user("institution_a1"), project=project,
                 end_date=D(2025, 8, 1)) == "dates_invalid"
    services.project_endorse(actor=world.user("institution_a1"), project=project)
    assert _code(services.project_update, actor=world.user("institution_a1"), project=project,
                 name="改") == "status_invalid"


def test_drafts_are_seen_by_their_district_and_institution_only(world):
    own = _apply(world)
    sibling = _apply(world, key="district_a", host=world.inst_a2, number="510100-2025-102")
    other = _apply(world, key="institution_b1", host=world.inst_b1, number="510100-2025-103")
    listed = {key: set(selectors.project_list(actor=world.user(key))) for key in (
        "district_a", "district_b", "institution_a1", "institution_b1", "commission_science")}
    assert listed == {
        "district_a": {own, sibling}, "district_b": {other},
        "institution_a1": {own}, "institution_b1": {other},
        "commission_science": {own, sibling, other},
    }
    with pytest.raises(NotFoundOrForbidden):
        selectors.project_get(actor=world.user("institution_a1"), pk=sibling.pk)
    with pytest.raises(NotFoundOrForbidden):
        services.project_endorse(actor=world.user("district_b"), project=own)


def test_reject_needs_a_reason_and_only_the_commission_decides(world):
    project = services.project_endorse(actor=world.user("institution_a1"), project=_apply(world))
    assert _code(services.project_reject, actor=world.user("commission_science"), project=project,
                 reason="  ") == "reason_required"
    with pytest.raises(PermissionDenied):
        services.project_approve(actor=world.user("district_a"), project=project)


def test_review_queue_lists_endorsed_applications(world):
    draft = _apply(world)
    endorsed = services.project_endorse(actor=world.user("institution_a1"),
                                        project=_apply(world, number="510100-2025-104"))
    assert list(selectors.review_queue(actor=world.user("commission_science"))) == [endorsed]
    assert draft not in selectors.review_queue(actor=world.user("commission_science"))
    with pytest.raises(PermissionDenied):
        selectors.review_queue(actor=world.user("district_a"))


# ---- filing and deadlines --------------------------------------------------------------------

def test_filing_on_the_deadline_is_on_time_after_it_late(world):
    # Default policy: file 15 days before the start. Start 2025-09-01 → deadline 2025-08-17.
    on_time = _approved(world)
    assert selectors.filing_deadline(on_time) == D(2025, 8, 17)
    on_time = services.project_file(actor=world.user("institution_a1"), project=on_time, filed_on=D(2025, 8, 17),
                                    today=D(2025, 8, 17))
    assert (on_time.filed_on, selectors.is_filed_late(on_time)) == (D(2025, 8, 17), False)
    late = _approved(world, number="510100-2025-105")
    late = services.project_file(actor=world.user("district_a"), project=late, today=D(2025, 8, 18))
    assert (late.filed_on, selectors.is_filed_late(late)) == (D(2025, 8, 18), True)
    event = _events(late)[-1]
    assert (event.action, event.after, "逾期" in event.summary) == ("submit", {"filed_on": "2025-08-18"}, True)
    assert _code(services.project_file, actor=world.user("institution_a1"), project=late,
                 today=D(2025, 8, 20)) == "already_filed"


def test_filing_needs_an_approved_project_and_the_host_side(world):
    draft = _apply(world)
    assert _code(services.project_file, actor=world.user("institution_a1"), project=draft,
                 today=D(2025, 8, 1)) == "status_invalid"
    approved = _approved(world, number="510100-2025-106")
    with pytest.raises(NotFoundOrForbidden):  # published, visible, but not theirs
        services.project_file(actor=world.user("institution_b1"), project=approved, today=D(2025, 8, 1))
    assert _code(services.project_file, actor=world.user("institution_a1"), project=approved,
                 filed_on=D(2025, 8, 2), today=D(2025, 8, 1)) == "date_in_future"


def test_overdue_lists_with_a_fixed_today(world):
    # Start 2025-09-01, end 2025-09-02; filing deadline 08-17; report deadline 09-02 + 30 = 10-02.
    project = _approved(world)
    science = world.user("commission_science")
    assert project not in selectors.overdue_filings(actor=science, today=D(2025, 8, 17))
    assert project in selectors.overdue_filings(actor=science, today=D(2025, 8, 18))
    assert selectors.is_filing_overdue(project, D(2025, 8, 18))
    assert project not in selectors.overdue_reports(actor=science, today=D(2025, 10, 2))
    assert project in selectors.overdue_reports(actor=science, today=D(2025, 10, 3))
    # A stricter policy moves the deadline: file 30 days before → 2025-08-02.
    services.policy_set(actor=science, year=2025, filing_days_before=30, report_days_after=30,
                        spot_check_rate="0.15", cycle_years=5)
    assert project in selectors.overdue_filings(actor=science, today=D(2025, 8, 3))
    project = services.project_file(actor=world.user("institution_a1"), project=project, today=D(2025, 8, 20))
    assert project not in selectors.overdue_filings(actor=science, today=D(2025, 8, 21))
    assert selectors.is_filed_late(project)
    # Other districts' lists do not show it.
    assert project not in selectors.overdue_reports(actor=science, today=D(2025, 10, 3),
                                                    district=world.district_b.pk)


# ---- execution report ------------------------------------------------------------------------

REPORT = dict(held_from=D(2025, 9, 1), held_to=D(2025, 9, 2), attendee_count=85, out_of_city_count=12,
              teachers="刘主任、陈教授", summary="按计划完成")


@pytest.mark.parametrize(("extra", "code", "message"), [
    ({"held_to": D(2025, 9, 11)}, "report_end_in_future", "实际结束日期不能晚于今天，请在项目结束后提交执行情况报告"),
    ({"held_from": D(2025, 9, 3)}, "report_dates_invalid", "实际开始日期不能晚于实际结束日期"),
    ({"out_of_city_count": 86}, "out_of_city_exceeds", "市外学员人数不能超过实际参加人数"),
    ({"attendee_count": -1}, "count_invalid", "人数应为不小于0的整数"),
    ({"out_of_city_count": "很多"}, "count_invalid", "人数应为不小于0的整数"),
])
def test_report_validations(world, extra, code, message):
    project = _approved(world)
    with pytest.raises(BusinessError) as exc:
        services.project_report(actor=world.user("institution_a1"), project=project, today=D(2025, 9, 10),
                                **{**REPORT, **extra})
    assert (exc.value.code, exc.value.message) == (code, message)


def test_report_marks_the_project_held(world):
    project = _approved(world)
    project = services.project_report(actor=world.user("institution_a1"), project=project, today=D(2025, 9, 10),
                                      **REPORT)
    assert (project.status, project.reported_on, project.attendee_count, project.out_of_city_count,
            project.teachers, project.report_summary) == ("held", D(2025, 9, 10), 85, 12, "刘主任、陈教授", "按计划完成")
    assert not selectors.is_reported_late(project)
    event = _events(project)[-1]
    assert (event.action, event.after["status"], event.after["attendee_count"]) == ("submit", "held", 85)
    # Once held, no second report.
    assert _code(services.project_report, actor=world.user("institution_a1"), project=project,
                 today=D(2025, 9, 10), **REPORT) == "status_invalid"
    # The report fills the overdue list no more.
    assert project not in selectors.overdue_reports(actor=world.user("commission_science"), today=D(2025, 12, 1))


def test_a_late_report_is_flagged(world):
    project = services.project_report(actor=world.user("district_a"), project=_approved(world),
                                      today=D(2025, 10, 3), **REPORT)
    assert selectors.is_reported_late(project)


def test_cancel_audits_an_update(world):
    project = services.project_cancel(actor=world.user("institution_a1"), project=_apply(world), reason="师资变动")
    assert (project.status, _events(project)[-1].action) == ("cancelled", "update")


# ---- policy ----------------------------------------------------------------------------------

def test_policy_set_creates_then_updates_with_audit(world):
    science = world.user("commission_science")
    assert selectors.policy_for(2026).filing_days_before == 15  # the default, unsaved
    policy = services.policy_set(actor=science, year=2026, filing_days_before=20, report_days_after=45,
                                 spot_check_rate="0.2", cycle_years=5)
    assert selectors.policy_for(2026).pk == policy.pk
    assert (policy.filing_days_before, policy.report_days_after, policy.spot_check_rate) == (20, 45, Decimal("0.200"))
    services.policy_set(actor=science, year=2026, filing_days_before=20, report_days_after=60,
                        spot_check_rate="0.2", cycle_years=5)
    events = list(AuditEvent.objects.filter(entity="cme-policy").order_by("id"))
    assert [e.action for e in events] == ["create", "update"]
    assert (events[1].before, events[1].after) == ({"report_days_after": 45}, {"report_days_after": 60})
    assert CmePolicy.objects.count() == 1


@pytest.mark.parametrize(("extra", "code"), [
    ({"spot_check_rate": "0"}, "rate_invalid"),
    ({"spot_check_rate": "1.5"}, "rate_invalid"),
    ({"spot_check_rate": "0.1234"}, "rate_invalid"),
    ({"filing_days_before": 400}, "days_invalid"),
    ({"report_days_after": "x"}, "days_invalid"),
    ({"cycle_years": 0}, "cycle_invalid"),
    ({"year": 1999}, "year_invalid"),
])
def test_policy_bad_input(world, extra, code):
    fields = dict(year=2026, filing_days_before=15, report_days_after=30, spot_check_rate="0.15", cycle_years=5)
    assert _code(services.policy_set, actor=world.user("commission_science"), **{**fields, **extra}) == code


def test_only_the_commission_sets_the_policy(world):
    with pytest.raises(PermissionDenied):
        services.policy_set(actor=world.user("district_a"), year=2026, filing_days_before=15, report_days_after=30,
                            spot_check_rate="0.15", cycle_years=5)
