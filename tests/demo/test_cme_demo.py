"""The demo city's CME data (a small city): present, consistent with the rules, spread around the targets."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db.models import Count, F

from weijian.accounts.models import User
from weijian.audit.models import AuditEvent
from weijian.cme.indicators import compliance_by_title_group
from weijian.cme.models import (
    AnnualAudit,
    Attendance,
    CmePolicy,
    CmeProject,
    CreditRecord,
    CreditRequirement,
    CreditSource,
    Exemption,
    ProjectStatus,
    SpotCheckDraw,
    TitleGroup,
    Verification,
    VerificationStage,
)
from weijian.cme.selectors import overdue_filings, overdue_reports
from weijian.demo import generate_city
from weijian.orgs.models import Division
from weijian.workforce.models import Worker, WorkerStatus

SMALL = dict(workers=600, institutions=40)
TODAY = dt.date.today()
CURRENT, PREVIOUS = TODAY.year, TODAY.year - 1


@pytest.fixture
def city(db):
    return generate_city(**SMALL)


def _science():
    return User.objects.get(username="commission_science")


def test_cme_data_exists(city):
    assert city.timings["cme"] >= 0
    requirements = {(r.year, r.title_group): (r.total, r.min_class_i, r.min_class_ii, r.remote_cap)
                    for r in CreditRequirement.objects.filter(profession="")}
    for year in (PREVIOUS, CURRENT):
        assert requirements[(year, TitleGroup.INTERMEDIATE_AND_ABOVE)] == (
            Decimal("25.0"), Decimal("10.0"), Decimal("10.0"), Decimal("10.0"))
        assert requirements[(year, TitleGroup.JUNIOR_AND_BELOW)] == (
            Decimal("20.0"), Decimal("5.0"), Decimal("10.0"), Decimal("10.0"))
        assert CmePolicy.objects.filter(year=year).exists()
    statuses = set(CmeProject.objects.filter(start_date__year=CURRENT, level="municipal")
                   .values_list("status", flat=True))
    assert statuses == set(ProjectStatus.values)
    assert CmeProject.objects.filter(level__in=["national", "provincial"]).exists()
    assert CmeProject.objects.filter(start_date__year=PREVIOUS).exists()
    # Rejected and cancelled projects carry their reason; held ones their execution report.
    assert not CmeProject.objects.filter(status__in=["rejected", "cancelled"], decision_reason="").exists()
    for project in CmeProject.objects.filter(status=ProjectStatus.HELD):
        assert project.reported_on and project.held_from and project.attendee_count is not None
        assert project.attendee_count == project.attendances.count() + project.out_of_city_count
        assert project.start_date <= project.reported_on <= TODAY
    science = _science()
    assert overdue_filings(actor=science, today=TODAY).exists()
    assert overdue_reports(actor=science, today=TODAY).exists()

    credits = CreditRecord.objects
    assert credits.filter(source=CreditSource.IMPORT, is_remote=True).exists()
    assert credits.filter(source=CreditSource.SELF_REPORTED, credit_class="II", status="verified").exists()
    for stage in (VerificationStage.DEPARTMENT, VerificationStage.INSTITUTION, VerificationStage.COMMISSION):
        assert credits.filter(status=Verification.PENDING, stage=stage).exists(), stage
    assert credits.filter(status=Verification.REJECTED).exists()
    # A record pending at the commission has passed the department and the institution.
    pending = credits.filter(status=Verification.PENDING, stage=VerificationStage.COMMISSION).first()
    assert list(pending.reviews.values_list("stage", "decision")) == [
        ("department", "approve"), ("institution", "approve")]
    assert set(Exemption.objects.values_list("status", flat=True)) == {"pending", "verified"}
    draw = SpotCheckDraw.objects.get()
    assert draw.items.exclude(result="pending").exclude(findings="").exists()
    # Last year's audit: one row per active worker (every group has a requirement).
    assert AnnualAudit.objects.filter(year=PREVIOUS).count() == Worker.objects.filter(
        status=WorkerStatus.ACTIVE).count()
    # Bulk steps are audited once each, under the science-and-education account.
    for entity in ("cme-project", "cme-attendance", "cme-credit"):
        assert AuditEvent.objects.filter(entity=entity, entity_id="demo", actor=science).count() == 1, entity


def test_credit_records_are_consistent(city):
    attendances = Attendance.objects.count()
    assert attendances > 0
    project_credits = CreditRecord.objects.filter(source=CreditSource.ATTENDANCE)
    # Exactly one class I credit record per attendance, for the same worker, project and day.
    assert project_credits.count() == attendances
    matched = project_credits.filter(
        project__attendances__worker_id=F("worker_id"), project__attendances__attended_on=F("earned_on"),
        credit_class="I", credits=F("project__credits"))
    assert matched.count() == attendances
    assert not (project_credits.values("worker_id", "project_id").annotate(n=Count("id")).filter(n__gt=1).exists())
    for year, earned_on in CreditRecord.objects.values_list("year", "earned_on"):
        assert year == earned_on.year
    assert not CreditRecord.objects.filter(earned_on__gt=TODAY).exists()
    assert not project_credits.filter(earned_on__lt=F("project__start_date")).exists()
    assert not project_credits.filter(earned_on__gt=F("project__end_date")).exists()
    # Only published projects are attended; workers attend while active.
    assert not Attendance.objects.exclude(project__status__in=["approved", "held"]).exists()
    assert not CreditRecord.objects.exclude(worker__status=WorkerStatus.ACTIVE).exists()


def test_districts_on_both_sides_of_the_target(city):
    science = _science()
    rates = {}
    for district in Division.objects.filter(level="district"):
        group = compliance_by_title_group(actor=science, year=PREVIOUS, district=district)[
            TitleGroup.INTERMEDIATE_AND_ABOVE]
        if group.denominator:
            rates[district.code] = group.actual
    assert any(rate >= Decimal("0.95") for rate in rates.values()), rates
    assert any(rate < Decimal("0.95") for rate in rates.values()), rates
    # Last year's stored audit agrees with the live rule for the city.
    city_rate = compliance_by_title_group(actor=science, year=PREVIOUS)[TitleGroup.INTERMEDIATE_AND_ABOVE]
    stored = AnnualAudit.objects.filter(year=PREVIOUS, title_group=TitleGroup.INTERMEDIATE_AND_ABOVE)
    assert city_rate.numerator == stored.filter(passed=True).count()
    assert city_rate.denominator == stored.count()


def _fingerprint():
    return (
        list(CmeProject.objects.order_by("number").values_list("number", "name", "status", "start_date", "credits",
                                                             "attendee_count")),
        list(CreditRecord.objects.order_by("worker__id_number_index", "source", "project__number", "external_ref", "earned_on",
                                           "credits", "title")
             .values_list("worker__id_number_index", "year", "credit_class", "category", "credits", "earned_on",
                          "source", "status", "stage")),
    )


def test_same_seed_same_data(db):
    generate_city(workers=150, institutions=25)
    first = _fingerprint()
    for model in (AnnualAudit, CreditRecord, Attendance, Exemption, SpotCheckDraw):
        model.objects.all().delete()
    CmeProject.objects.all().delete()
    generate_city(workers=150, institutions=25)
    assert _fingerprint() == first
    assert len(first[1]) > 0
