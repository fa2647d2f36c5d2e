"""The ranking of a call for the panel decision (research.ranking) by hand-computed scores, its page and
its export; only the commission reads it."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from openpyxl import load_workbook

from tests.research.test_services import endorsed, expert
from weijian.core.errors import NotFoundOrForbidden
from weijian.research import ranking, services
from weijian.research.models import AssignmentStatus, ReviewAssignment

pytestmark = pytest.mark.django_db


@pytest.fixture
def ranked(world):
    """Four endorsed applications of one call.
    A: five experts 90, 80, 80, 70, 60 → drop 90 and 60 → (80 + 80 + 70) / 3 = 76.67.
    B: two experts 80 and 73.34 → 76.67, tied with A (both second; no third place).
    C: one expert assigned, nothing submitted → unranked, last.
    D: 81 from one expert → first."""
    science = world.user("commission_science")
    call = services.call_publish(actor=science, call=services.call_create(
        actor=science, year=2026, title="排名测试专项", category="youth", budget_ceiling="20",
        opens_on=dt.date(2026, 3, 1), closes_on=dt.date(2026, 4, 30), institution_quota=9))
    pi = world.user("worker_a1")
    a, b, c, d = (endorsed(world, call, pi) for _ in range(4))
    experts = [expert(world, f"k{n}") for n in range(5)]
    plan = {a: ("90", "80", "80", "70", "60"), b: ("80", "73.34"), c: (None,), d: ("81",)}
    for application, totals in plan.items():
        for reviewer, total in zip(experts, totals, strict=False):
            ReviewAssignment.objects.create(
                application=application, expert=reviewer, due_on=dt.date(2026, 5, 20),
                status=AssignmentStatus.ASSIGNED if total is None else AssignmentStatus.SUBMITTED,
                total=None if total is None else Decimal(total))
    return call, a, b, c, d


def test_the_ranking_by_hand(world, ranked):
    call, a, b, c, d = ranked
    rows = ranking.call_ranking(actor=world.user("commission_science"), call=call)
    assert [(r.application, r.rank, r.score, r.scored, r.assigned) for r in rows] == [
        (d, 1, Decimal("81.00"), 1, 1), (a, 2, Decimal("76.67"), 5, 5), (b, 2, Decimal("76.67"), 2, 2),
        (c, None, None, 0, 1)]
    for key in ("institution_a1", "expert", "worker_a1"):
        with pytest.raises((NotFoundOrForbidden, PermissionDenied)):
            ranking.call_ranking(actor=world.user(key), call=call)


def test_the_ranking_page_and_its_export(world, ranked, client_for):
    call, _a, _b, _c, d = ranked
    url = reverse("research:call-ranking", args=[call.pk])
    page = client_for(world.user("commission_science")).get(url)
    body = page.content.decode()
    assert page.status_code == 200 and f'data-ranking="{call.pk}"' in body and "81.00" in body
    assert body.index(d.number) < body.index("76.67")  # the first row is D
    export = client_for(world.user("commission_science")).get(url + "?export=xlsx")
    sheet = load_workbook(io.BytesIO(export.content)).active
    table = list(sheet.iter_rows(values_only=True))
    assert table[0][0] == "排名" and [row[0] for row in table[1:]] == [1, 2, 2, None]
    for key in ("institution_a1", "expert", "district_a"):
        assert client_for(world.user(key)).get(url).status_code in (403, 404)


def test_the_call_page_links_to_the_ranking(world, ranked, client_for):
    call = ranked[0]
    body = client_for(world.user("commission_science")).get(reverse("research:call-detail", args=[call.pk]))
    assert reverse("research:call-ranking", args=[call.pk]) in body.content.decode()
