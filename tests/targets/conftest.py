"""A frozen 2025 work plan over the CME test year (tests/cme/conftest.py), built through the services.

Hand-worked values of that year (intermediate-and-above workers: a1 in inst_a1 passes, a2 in inst_a2 fails,
b1 in inst_b1 is exempt and passes; junior: a3 in inst_a1 fails, b2 in inst_b1 passes):
  senior compliance  inst_a1 1/1, inst_a2 0/1, inst_b1 1/1 → 锦江区 1/2, 青羊区 1/1, city 2/3
  junior compliance  inst_a1 0/1, inst_b1 1/1            → 锦江区 0/1, 青羊区 1/1, city 1/2
The plan: senior compliance 60 points, linear, target 95% floor 50% at every level;
          junior compliance 40 points, pass/fail, target 80% for districts and institutions.
"""

from dataclasses import dataclass

import pytest

from tests.cme.conftest import YEAR, build_cme_world
from weijian.targets import services
from weijian.targets.models import PlanItem, WorkPlan

SENIOR, JUNIOR = "cme-compliance-intermediate_and_above", "cme-compliance-junior_and_below"


@dataclass
class PlanWorld:
    cme: object
    plan: WorkPlan
    senior: PlanItem
    junior: PlanItem

    def user(self, key):
        return self.cme.user(key)


def build_plan(world, *, freeze: bool = True) -> PlanWorld:
    cme = build_cme_world(world)
    science = world.user("commission_science")
    plan = services.create_plan(actor=science, year=YEAR, title="科教工作要点")
    senior = services.add_item(actor=science, plan=plan, indicator_code=SENIOR, weight="60", rule="linear")
    junior = services.add_item(actor=science, plan=plan, indicator_code=JUNIOR, weight="40", rule="pass_fail")
    for level in ("city", "district", "institution"):
        services.set_target(actor=science, item=senior, level=level, target="0.95", floor="0.5")
    for level in ("district", "institution"):
        services.set_target(actor=science, item=junior, level=level, target="0.8")
    if freeze:
        plan = services.freeze_plan(actor=science, plan=plan)
    return PlanWorld(cme, plan, senior, junior)


@pytest.fixture
def planned(world) -> PlanWorld:
    return build_plan(world)


@pytest.fixture
def draft(world) -> PlanWorld:
    return build_plan(world, freeze=False)
