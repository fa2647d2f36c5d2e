"""The demo city's research data (a small city): every workflow step present, consistent with the
rules, and visible to the demo accounts through the gate."""

import datetime as dt

import pytest

from weijian.accounts.access import scoped_queryset
from weijian.accounts.models import User
from weijian.demo import generate_city
from weijian.research import attachments, indicators, reminders
from weijian.research.assignment import ApplicationNeed, ExpertCandidate, conflict
from weijian.research.completeness import budget_total
from weijian.research.models import (
    Application,
    ApplicationAttachment,
    ApplicationEvent,
    ApplicationStatus,
    AssignmentStatus,
    Call,
    CallStatus,
    EthicsApproval,
    ReviewAssignment,
    TaskAgreement,
)

SMALL = dict(workers=600, institutions=40)
TODAY = dt.date.today()


@pytest.fixture
def city(db):
    return generate_city(**SMALL)


def test_research_data_covers_every_step(city):
    assert city.timings["research"] >= 0
    assert set(Call.objects.values_list("status", flat=True)) == {CallStatus.OPEN, CallStatus.CLOSED}
    statuses = set(Application.objects.values_list("status", flat=True))
    assert {ApplicationStatus.DRAFT, ApplicationStatus.SUBMITTED, ApplicationStatus.RETURNED,
            ApplicationStatus.ENDORSED, ApplicationStatus.IN_REVIEW, ApplicationStatus.EXECUTING,
            ApplicationStatus.CLOSED, ApplicationStatus.TERMINATED, ApplicationStatus.REJECTED} <= statuses
    # Every funded project has its agreement; every executing human-subjects project its ethics approval.
    funded = Application.objects.filter(status__in=(ApplicationStatus.EXECUTING, ApplicationStatus.CLOSED,
                                                    ApplicationStatus.TERMINATED))
    assert TaskAgreement.objects.filter(application__in=funded).count() == funded.count()
    for project in funded.filter(human_subjects=True):
        assert EthicsApproval.objects.filter(application=project).exists()


def test_reviews_avoid_conflicts_and_the_demo_expert_has_work(city):
    for assignment in ReviewAssignment.objects.select_related("expert", "application").prefetch_related(
            "application__team__worker"):
        application, expert = assignment.application, assignment.expert
        need = ApplicationNeed(application.pk, application.specialty,
                               frozenset({application.institution_id} | {m.worker.institution_id
                                                                         for m in application.team.all()}),
                               frozenset({application.pi_id} | {m.worker_id for m in application.team.all()}))
        candidate = ExpertCandidate(expert.pk, expert.institution_id, frozenset(expert.specialties),
                                    person_id=expert.worker_id)
        assert conflict(candidate, need) is None  # no same-institution expert, no team member reviews
    demo_expert = User.objects.get(username="expert")
    mine = scoped_queryset(demo_expert, ReviewAssignment, "list")
    assert mine.filter(status=AssignmentStatus.ASSIGNED).exists()
    assert not mine.exclude(expert__user=demo_expert).exists()


def test_the_clean_up_list_and_closure_rate_have_something_to_show(city):
    science = User.objects.get(username="commission_science")
    rate = indicators.closure_rate(actor=science, on=TODAY)
    assert rate.denominator > 0 and 0 < rate.numerator < rate.denominator
    assert indicators.cleanup_projects(actor=science, on=TODAY)
    worker = User.objects.get(username="worker_jinjiang")
    assert scoped_queryset(worker, Application, "list").filter(pi_id=worker.worker_id).exists()


def test_the_demo_worker_may_apply_again(city):
    from weijian.research.services import _overdue_as_pi

    worker = User.objects.get(username="worker_jinjiang")
    assert _overdue_as_pi(worker.worker_id, TODAY) == 0


def test_closure_reminders_were_sent_and_the_demo_worker_has_one(city):
    worker = User.objects.get(username="worker_jinjiang")
    mine = ApplicationEvent.objects.filter(application__pi_id=worker.worker_id, action__startswith="remind_")
    assert list(mine.values_list("action", flat=True)) == ["remind_90"]
    assert ApplicationEvent.objects.filter(action="remind_overdue").exists()
    assert not any(reminders.closure_reminders_send(actor=User.objects.get(username="commission_science"),
                                                    today=TODAY).values())  # already sent


def test_forms_are_complete_and_recommendations_have_results(city):
    submitted = Application.objects.filter(submitted_at__isnull=False)
    assert submitted.exists() and not submitted.filter(budget_lines={}).exists()
    sample = submitted.first()
    assert budget_total(sample.budget_lines) == sample.budget_total and len(sample.milestones) == 3
    # Every submitted application carries the call's required attachment, a readable (synthetic) PDF.
    assert ApplicationAttachment.objects.filter(kind="单位推荐意见").count() == submitted.count()
    science = User.objects.get(username="commission_science")
    attachment = ApplicationAttachment.objects.first()
    assert attachments.attachment_open(actor=science, attachment=attachment).startswith(b"%PDF")
    won = indicators.provincial_projects_won(actor=science, year=TODAY.year - 1)
    assert won.actual == 7
    recommended = Application.objects.filter(call__category="recommendation")
    assert recommended.count() == 12 and not TaskAgreement.objects.filter(application__in=recommended).exists()
