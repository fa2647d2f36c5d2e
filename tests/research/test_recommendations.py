"""Projects recommended to provincial and national programmes: the result the commission records, the
indicator of projects won at provincial level and above, and why they stay out of the commission's own
funding, agreements, closure rate and reminders."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from tests.research.test_execution import funded
from weijian.audit.models import AuditEvent
from weijian.core.errors import BusinessError
from weijian.research import execution, indicators, recommendations, reminders, services
from weijian.research.errors import ResearchErrorCode as E
from weijian.research.models import Application

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 9, 1)


@pytest.fixture
def science(world):
    return world.user("commission_science")


@pytest.fixture
def recommended(world, science):
    return funded(world, science, title="省重点研发计划推荐", category="recommendation")


def test_the_commission_records_the_result_and_it_counts_in_the_year_of_the_decision(world, science, recommended):
    project = recommendations.external_result_record(actor=science, application=recommended, level="provincial",
                                                     won=True, funding="50", decided_on=dt.date(2026, 8, 20),
                                                     today=TODAY)
    assert (project.external_level, project.external_result, project.external_funding) == (
        "provincial", "won", Decimal("50.00"))
    assert indicators.provincial_projects_won(actor=science, year=2026).actual == 1
    assert indicators.provincial_projects_won(actor=science, year=2025).actual == 0
    assert indicators.provincial_projects_won(actor=world.user("district_b"), year=2026).actual == 0
    assert [r.won for r in indicators.breakdown(actor=science, year=2026, on=TODAY)] == [1, 0]
    # A correction (the nation, not the province; not funded after all) overwrites and is audited.
    recommendations.external_result_record(actor=science, application=project, level="national", won=False,
                                           funding="50", decided_on=dt.date(2026, 8, 25), today=TODAY)
    project.refresh_from_db()
    assert (project.external_result, project.external_funding) == ("not_won", None)
    assert indicators.provincial_projects_won(actor=science, year=2026).actual == 0
    last = AuditEvent.objects.filter(actor=science, summary__startswith="登记上级评审结果").order_by("id").last()
    assert last.before["result"] == "won" and last.after["result"] == "not_won"


def test_only_the_commission_records_and_only_for_recommended_projects(world, science, recommended):
    institution = world.user("institution_a1")
    with pytest.raises(BusinessError):
        recommendations.external_result_record(actor=institution, application=recommended, level="provincial",
                                               won=True, decided_on=TODAY, today=TODAY)
    assert AuditEvent.objects.filter(actor=institution, outcome="denied", summary__contains="上级评审结果").exists()
    own = funded(world, science, title="市级一般项目")
    with pytest.raises(BusinessError) as exc:
        recommendations.external_result_record(actor=science, application=own, level="provincial", won=True,
                                               decided_on=TODAY, today=TODAY)
    assert exc.value.code == E.EXTERNAL_INVALID
    with pytest.raises(BusinessError) as exc:
        recommendations.external_result_record(actor=science, application=recommended, level="provincial",
                                               won=True, decided_on=TODAY + dt.timedelta(days=1), today=TODAY)
    assert exc.value.field == "decided_on"
    with pytest.raises(BusinessError) as exc:
        recommendations.external_result_record(actor=science, application=recommended, level="city", won=True,
                                               decided_on=TODAY, today=TODAY)
    assert exc.value.field == "level"


def test_recommended_projects_are_not_the_commission_s_own(world, science, recommended):
    """Not funded by the commission, no agreement, outside its closure rate, clean-up, reminders and the
    overdue-PI rule (they have no due date of the commission's)."""
    own = funded(world, science, title="市级一般项目")
    year = own.decided_at.year
    assert indicators.funded_projects(actor=science, year=year).actual == 1
    assert indicators.closure_rate(actor=science, on=dt.date(year, 12, 31)).denominator == 1
    with pytest.raises(BusinessError) as exc:
        execution.agreement_issue(actor=science, application=recommended, starts_on=dt.date(2026, 6, 1),
                                  ends_on=dt.date(2028, 5, 31))
    assert exc.value.message == "推荐项目由上级计划管理，不下达市级任务书"
    far = dt.date(year + 5, 1, 1)  # years past any default due date
    assert [r.application for r in reminders.due_reminders(today=far)] == [own]
    assert services._overdue_as_pi(recommended.pi_id, far) == 1  # the own project only
    Application.objects.filter(pk=own.pk).update(status="closed")
    assert services._overdue_as_pi(recommended.pi_id, far) == 0


def test_the_application_page_records_the_result(world, science, recommended, client_for):
    client = client_for(science)
    url = reverse("research:application-external", args=[recommended.pk])
    page = client.get(reverse("research:application-detail", args=[recommended.pk])).content.decode()
    assert '<h2 class="h6">登记上级评审结果</h2>' in page
    bad = client.post(url, {"external-level": "provincial", "external-result": "won",
                            "external-decided_on": "2999-01-01"})
    assert bad.status_code == 422 and "上级立项日期不能晚于今天" in bad.content.decode()
    ok = client.post(url, {"external-level": "national", "external-result": "won", "external-funding": "80",
                           "external-decided_on": "2026-08-01"})
    assert ok.status_code == 302
    recommended.refresh_from_db()
    assert (recommended.external_level, recommended.external_funding) == ("national", Decimal("80.00"))
    page = client_for(world.user("worker_a1")).get(reverse("research:application-detail", args=[recommended.pk]))
    assert "国家级 · 获批立项（80.00 万元，2026-08-01）" in page.content.decode()
    assert '<h2 class="h6">登记上级评审结果</h2>' not in page.content.decode()
