"""The demo city's work plan: frozen, computed for the city, every district and every institution, once."""

import datetime as dt

import pytest

from weijian.accounts.models import User
from weijian.demo import generate_city
from weijian.demo.targets import ITEMS, TITLE, generate_targets
from weijian.orgs.models import Institution
from weijian.targets.models import Assessment, AssessmentTotal, PlanStatus, WorkPlan


@pytest.fixture
def city(db):
    return generate_city(workers=240, institutions=40)


def test_the_demo_plan_is_frozen_and_computed(city):
    plan = WorkPlan.objects.get(title=TITLE, year=dt.date.today().year)
    assert plan.status == PlanStatus.FROZEN and plan.items.count() == len(ITEMS)
    assessment = Assessment.objects.get(plan=plan)
    totals = AssessmentTotal.objects.filter(assessment=assessment)
    assert totals.filter(level="city").count() == 1
    assert totals.filter(level="district").count() == 20
    assert totals.filter(level="institution").count() == Institution.objects.filter(is_active=True).count()
    assert totals.filter(level="city").get().score is not None


def test_running_it_again_adds_nothing(city):
    science = User.objects.get(username="commission_science")
    assert generate_targets(actor=science, today=dt.date.today()).skipped
    assert Assessment.objects.count() == 1
