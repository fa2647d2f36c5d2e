"""The dashboard's drill-down (indicators.breakdown): per district for the city, per institution inside a
district, in a hand-computed world; the page, its scope and its export."""

import datetime as dt
import io
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from tests import factories
from tests.research.test_execution import _set, funded
from weijian.accounts import services as account_services
from weijian.accounts.roles import Role
from weijian.research import indicators
from weijian.research.models import Application, ApplicationStatus

pytestmark = pytest.mark.django_db

ON = dt.date(2026, 4, 10)


@pytest.fixture
def science(world):
    return world.user("commission_science")


@pytest.fixture
def projects(world, science):
    """On 2026-04-10 (window: approvals after 2023-04-10):
    district A (锦江区人民医院): P1 approved 2025-06-01, closed 2026-01-01; P2 approved 2024-01-01, due
      2026-01-01, still executing (overdue). Funded in 2026: 0; closure 1/2; overdue 1.
    district B (青羊区人民医院): P3 approved 2026-02-01, due 2029; P4 approved 2022-05-01 (before the window),
      due 2025-01-01, executing (overdue). Funded in 2026: 1; closure 0/1; overdue 1."""
    pis = [world.user("worker_a1")]
    for n in range(3):
        worker = factories.worker(actor=world.user("commission_info"), institution=world.inst_a1, name=f"负责人{n}")
        pis.append(account_services.user_create(actor=None, bootstrap=True, username=f"pi{n}",
                                                password=factories.PASSWORD, role=Role.HEALTH_WORKER, worker=worker))
    p1, p2, p3, p4 = (funded(world, science, title=f"项目{n}", pi=pi) for n, pi in zip("1234", pis, strict=True))
    _set(p1, dt.date(2025, 6, 1), ApplicationStatus.CLOSED, due=dt.date(2027, 6, 1), closed=dt.date(2026, 1, 1))
    _set(p2, dt.date(2024, 1, 1), due=dt.date(2026, 1, 1))
    _set(p3, dt.date(2026, 2, 1), due=dt.date(2029, 2, 1))
    _set(p4, dt.date(2022, 5, 1), due=dt.date(2025, 1, 1))
    Application.objects.filter(pk__in=(p3.pk, p4.pk)).update(institution=world.inst_b1, pi=world.worker_b1)
    return p1, p2, p3, p4


def figures(rows):
    return [(r.key, r.name, r.funded, r.approved, r.closed, r.closure_rate, r.overdue) for r in rows]


def won(rows):
    return {r.name: r.won for r in rows}


def test_the_city_sees_every_district_and_drills_into_one(world, science, projects):
    rows = indicators.breakdown(actor=science, year=2026, on=ON)
    assert figures(rows) == [
        ("510104", "锦江区", 0, 2, 1, Decimal("0.5000"), 1),
        ("510105", "青羊区", 1, 1, 0, Decimal("0.0000"), 1),
    ]
    inside_a = indicators.breakdown(actor=science, year=2026, on=ON, district=world.district_a)
    assert figures(inside_a) == [(str(world.inst_a1.pk), "锦江区人民医院", 0, 2, 1, Decimal("0.5000"), 1)]
    # The rows add up to the cards.
    assert sum(r.funded for r in rows) == indicators.funded_projects(actor=science, year=2026).actual
    assert sum(r.overdue for r in rows) == indicators.overdue_closures(actor=science, on=ON).actual
    rate = indicators.closure_rate(actor=science, on=ON)
    assert (sum(r.closed for r in rows), sum(r.approved for r in rows)) == (rate.numerator, rate.denominator)


def test_a_district_sees_its_institutions_and_an_institution_no_table(world, projects):
    rows = indicators.breakdown(actor=world.user("district_b"), year=2026, on=ON)
    assert figures(rows) == [(str(world.inst_b1.pk), "青羊区人民医院", 1, 1, 0, Decimal("0.0000"), 1)]
    assert indicators.breakdown(actor=world.user("institution_a1"), year=2026, on=ON) == []


def test_a_district_without_projects_is_listed_with_zeros(world, science):
    rows = indicators.breakdown(actor=science, year=2026, on=ON)
    assert figures(rows) == [("510104", "锦江区", 0, 0, 0, None, 0), ("510105", "青羊区", 0, 0, 0, None, 0)]


def test_the_dashboard_page_drills_down_and_exports(world, science, projects, client_for):
    page = client_for(science).get(reverse("research:dashboard"))
    body = page.content.decode()
    assert 'data-breakdown="区（市）县"' in body and "?year=" in body and "district=510104" in body
    drill = client_for(science).get(reverse("research:dashboard") + "?district=510105")
    body = drill.content.decode()
    assert drill.status_code == 200 and "科研概览 · 青羊区" in body and 'data-breakdown="机构"' in body
    assert f'?institution={world.inst_b1.pk}' in body and "锦江区人民医院" not in body
    assert client_for(science).get(reverse("research:dashboard") + "?district=999999").status_code == 404

    # A district reader is kept in his own district whatever he asks for.
    district_b = client_for(world.user("district_b")).get(reverse("research:dashboard") + "?district=510104")
    assert "青羊区人民医院" in district_b.content.decode() and "锦江区人民医院" not in district_b.content.decode()

    export = client_for(science).get(reverse("research:dashboard") + "?export=xlsx&year=2026")
    sheet = load_workbook(io.BytesIO(export.content)).active
    table = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert table[0][:3] == ["区（市）县", "当年立项", "省级及以上立项"]
    assert len(table) == 3
    assert {row[0] for row in table[1:]} == {"锦江区", "青羊区"}


def test_the_decision_day_is_the_city_s_day_not_utc(world, science):
    project = funded(world, science)
    early_morning = dt.datetime(2026, 4, 10, 7, 0, tzinfo=ZoneInfo("Asia/Shanghai"))  # 2026-04-09 23:00 UTC
    Application.objects.filter(pk=project.pk).update(decided_at=early_morning)
    project = Application.objects.get(pk=project.pk)
    assert indicators.decided_on(project) == dt.date(2026, 4, 10)
    assert indicators.due_on(project) == dt.date(2029, 4, 10)  # no agreement yet: three years after
