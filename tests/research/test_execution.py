"""After funding: task agreement, mid-term check, changes with approval, outputs, closure with the
acceptance's verdict, forced termination; the closure rate and the clean-up list in a hand-computed world."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from tests import factories
from tests.research.test_services import SCORES, expert, new_application
from weijian.accounts import services as account_services
from weijian.accounts.roles import Role
from weijian.audit.models import AuditEvent
from weijian.core.errors import BusinessError
from weijian.research import execution, indicators, services
from weijian.research.errors import ResearchErrorCode as E
from weijian.research.models import Application, ApplicationStatus, ReviewAssignment

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 4, 10)


@pytest.fixture
def science(world):
    return world.user("commission_science")


def funded(world, science, *, title="基层高血压管理路径研究", pi=None, category="general"):
    """A call with one approved application (two experts scored it)."""
    pi = pi or world.user("worker_a1")
    call = services.call_publish(actor=science, call=services.call_create(
        actor=science, year=2026, title=f"{title}专项", category=category, budget_ceiling="20",
        opens_on=dt.date(2026, 3, 1), closes_on=dt.date(2026, 4, 30), experts_per_application=2))
    application = new_application(call, pi)
    services.application_submit(actor=pi, application=application, sign_integrity=True, today=TODAY)
    services.application_endorse(actor=world.user("institution_a1"), application=application)
    for n in range(2):
        expert(world, f"{call.pk}-{n}")
    services.reviews_assign(actor=science, call=call, due_on=dt.date(2026, 5, 20), today=TODAY)
    for assignment in ReviewAssignment.objects.filter(application=application).select_related("expert__user"):
        services.review_submit(actor=assignment.expert.user, assignment=assignment, scores=SCORES, today=TODAY)
    return services.application_decide(actor=science, application=application, approve=True, funded_amount="10",
                                       today=TODAY)


def test_a_project_runs_from_agreement_to_closure(world, science):
    pi = world.user("worker_a1")
    project = funded(world, science)
    agreement = execution.agreement_issue(actor=science, application=project, starts_on=dt.date(2026, 6, 1),
                                          ends_on=dt.date(2028, 5, 31), milestones=["2027年完成入组"])
    assert (project.status, agreement.funding, agreement.number) == (
        ApplicationStatus.EXECUTING, Decimal("10.00"), f"RW{project.number[2:]}")
    check = execution.midterm_record(actor=science, application=project, report="入组完成60%", fund_use="4.5",
                                     rating="pass")
    assert check.get_rating_display() == "合格"

    change = execution.change_request(actor=pi, application=project, kind="extension", reason="入组进度滞后",
                                      new_ends_on=dt.date(2028, 11, 30))
    execution.change_decide(actor=science, change=change, approve=True)
    agreement.refresh_from_db()
    assert agreement.ends_on == dt.date(2028, 11, 30)

    execution.output_add(actor=pi, application=project, kind="paper", title="社区高血压随访管理效果评价",
                         reference="中华全科医师杂志 2027;26(3)", achieved_on=timezone.localdate())
    execution.closure_submit(actor=pi, application=project, summary="完成全部研究内容")
    with pytest.raises(BusinessError) as exc:
        execution.closure_accept(actor=science, application=project, verdict="failed")
    assert exc.value.code == E.COMMENT_REQUIRED
    closure = execution.closure_accept(actor=science, application=project, verdict="passed", today=dt.date(2028, 6, 1))
    project.refresh_from_db()
    assert (project.status, closure.closed_on) == (ApplicationStatus.CLOSED, dt.date(2028, 6, 1))


def test_only_the_pi_asks_for_changes_and_only_the_commission_decides(world, science):
    project = funded(world, science)
    execution.agreement_issue(actor=science, application=project, starts_on=dt.date(2026, 6, 1),
                              ends_on=dt.date(2028, 5, 31))
    institution = world.user("institution_a1")
    with pytest.raises(BusinessError) as exc:
        execution.change_request(actor=institution, application=project, kind="termination", reason="无法继续")
    assert exc.value.code == E.NOT_THE_PI
    change = execution.change_request(actor=world.user("worker_a1"), application=project, kind="termination",
                                      reason="核心成员调离")
    with pytest.raises(BusinessError):
        execution.change_decide(actor=institution, change=change, approve=True)
    assert AuditEvent.objects.filter(actor=institution, outcome="denied").count() == 2
    execution.change_decide(actor=science, change=change, approve=True)
    project.refresh_from_db()
    assert project.status == ApplicationStatus.TERMINATED


def test_an_extension_must_move_the_due_date_later(world, science):
    project = funded(world, science)
    execution.agreement_issue(actor=science, application=project, starts_on=dt.date(2026, 6, 1),
                              ends_on=dt.date(2028, 5, 31))
    with pytest.raises(BusinessError) as exc:
        execution.change_request(actor=world.user("worker_a1"), application=project, kind="extension",
                                 reason="延期", new_ends_on=dt.date(2028, 5, 31))
    assert exc.value.field == "new_ends_on"


def _set(project: Application, decided: dt.date, status: str = ApplicationStatus.EXECUTING,
         due: dt.date | None = None, closed: dt.date | None = None) -> None:
    """Place a funded project in time (the workflow above is tested; here only the dates matter)."""
    from weijian.research.models import Closure, TaskAgreement

    Application.objects.filter(pk=project.pk).update(
        decided_at=timezone.make_aware(dt.datetime.combine(decided, dt.time(10))), status=status)
    if due:
        TaskAgreement.objects.create(application=project, number=f"RW-{project.pk}", starts_on=decided,
                                     ends_on=due, funding=Decimal("10"), issued_by=project.events.last().actor)
    if closed:
        Closure.objects.create(application=project, summary="结题", submitted_at=timezone.now(), verdict="passed",
                               closed_on=closed)


def test_closure_rate_overdue_count_and_the_clean_up_list_in_a_hand_computed_world(world, science):
    """On 2026-04-10 the window is approvals after 2023-04-10. In it: A closed, B terminated, C overdue,
    D executing and not yet due, E closed only after the reference day; F was approved before the window
    (overdue, but outside the clean-up). Closure rate 2/5 = 0.4000; overdue: C (and F); clean-up: C, D, E."""
    pis = [world.user("worker_a1")]
    for n in range(5):
        worker = factories.worker(actor=world.user("commission_info"), institution=world.inst_a1, name=f"负责人{n}")
        pis.append(account_services.user_create(actor=None, bootstrap=True, username=f"pi{n}",
                                                password=factories.PASSWORD, role=Role.HEALTH_WORKER, worker=worker))
    a, b, c, d, e, f = (funded(world, science, title=f"项目{n}", pi=pi) for n, pi in zip("ABCDEF", pis, strict=True))
    _set(a, dt.date(2023, 5, 1), ApplicationStatus.CLOSED, due=dt.date(2025, 5, 1), closed=dt.date(2025, 4, 1))
    _set(b, dt.date(2024, 1, 1), ApplicationStatus.TERMINATED)
    _set(c, dt.date(2023, 4, 11), due=dt.date(2025, 4, 11))  # one day inside the window; overdue
    _set(d, dt.date(2025, 6, 1), due=dt.date(2027, 6, 1))
    _set(e, dt.date(2024, 3, 1), ApplicationStatus.CLOSED, due=dt.date(2026, 3, 1), closed=dt.date(2026, 5, 1))
    _set(f, dt.date(2023, 4, 10), due=dt.date(2025, 4, 10))  # exactly three years before: outside

    rate = indicators.closure_rate(actor=science, on=TODAY)
    assert (rate.numerator, rate.denominator, rate.actual) == (2, 5, Decimal("0.4000"))
    overdue = indicators.overdue_closures(actor=science, on=TODAY)
    assert overdue.actual == 3  # C, E (closed later) and F: past due and not closed by the reference day
    cleanup = indicators.cleanup_projects(actor=science, on=TODAY)
    assert [(p.pk, late) for p, late in cleanup] == [(c.pk, True), (e.pk, True), (d.pk, False)]
    assert indicators.funded_projects(actor=science, year=2026).actual == 0  # all re-dated into earlier years
    # A district sees only its own institutions' projects (all six are in district A; B sees none).
    assert indicators.closure_rate(actor=world.user("district_b"), on=TODAY).denominator == 0


def test_the_task_agreement_and_the_closure_certificate_are_pdfs_only_when_due(world, science):
    from weijian.research.documents import closure_certificate_pdf, task_agreement_pdf

    pi = world.user("worker_a1")
    project = funded(world, science)
    with pytest.raises(ValueError, match="尚未下达任务书"):
        task_agreement_pdf(project)
    execution.agreement_issue(actor=science, application=project, starts_on=dt.date(2026, 6, 1),
                              ends_on=dt.date(2028, 5, 31), milestones=["完成社区入组2000人"])
    project.refresh_from_db()
    agreement = task_agreement_pdf(project)
    assert agreement.startswith(b"%PDF") and b"STSong-Light" in agreement
    with pytest.raises(ValueError, match="尚未通过结题验收"):
        closure_certificate_pdf(project)
    execution.closure_submit(actor=pi, application=project, summary="完成")
    execution.closure_accept(actor=science, application=project, verdict="failed", comment="数据不完整")
    project.refresh_from_db()
    with pytest.raises(ValueError):
        closure_certificate_pdf(project)  # a failed acceptance gives no certificate
    execution.closure_submit(actor=pi, application=project, summary="补充数据后完成")
    execution.closure_accept(actor=science, application=project, verdict="passed")
    project.refresh_from_db()
    assert closure_certificate_pdf(project).startswith(b"%PDF")


def test_a_project_approved_on_29_february_without_an_agreement_is_due_three_years_later(world, science):
    project = funded(world, science)
    _set(project, dt.date(2024, 2, 29), ApplicationStatus.APPROVED)
    project.refresh_from_db()
    assert indicators.due_on(project) == dt.date(2027, 2, 28)
    # Listed (due that very day, so not yet overdue) on the last day its approval is inside the window.
    listed = indicators.cleanup_projects(actor=science, on=dt.date(2027, 2, 28))
    assert [(p.pk, overdue) for p, overdue in listed] == [(project.pk, False)]


def test_a_pi_with_an_overdue_project_cannot_submit_a_new_application(world, science):
    from tests.research.test_services import new_application
    from weijian.research.models import TaskAgreement

    pi = world.user("worker_a1")
    project = funded(world, science)
    execution.agreement_issue(actor=science, application=project, starts_on=dt.date(2026, 6, 1),
                              ends_on=dt.date(2026, 9, 30))
    call = services.call_publish(actor=science, call=services.call_create(
        actor=science, year=2026, title="新一轮申报", category="general", budget_ceiling="20",
        opens_on=dt.date(2026, 9, 1), closes_on=dt.date(2026, 12, 31)))
    application = new_application(call, pi)
    services.application_submit(actor=pi, application=application, sign_integrity=True,
                                today=dt.date(2026, 9, 30))  # due that day: not yet overdue
    TaskAgreement.objects.filter(application=project).update(ends_on=dt.date(2026, 9, 1))
    second = new_application(call, pi)
    with pytest.raises(BusinessError) as exc:
        services.application_submit(actor=pi, application=second, sign_integrity=True, today=dt.date(2026, 10, 1))
    assert "作为负责人有逾期未结题项目 1 项" in exc.value.message
