"""Building and freezing a work plan: what is accepted, what is refused with which message, and the audit."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from tests.cme.conftest import YEAR
from tests.targets.conftest import JUNIOR, SENIOR
from weijian.audit.models import AuditEvent
from weijian.core.errors import BusinessError
from weijian.targets import services
from weijian.targets.models import PlanStatus


def _error(call) -> BusinessError:
    with pytest.raises(BusinessError) as caught:
        call()
    return caught.value


def test_a_commission_user_builds_and_freezes_a_plan(draft):
    science = draft.user("commission_science")
    plan = services.freeze_plan(actor=science, plan=draft.plan)
    assert plan.status == PlanStatus.FROZEN and plan.frozen_by == science
    summaries = list(AuditEvent.objects.filter(entity="target-plan", entity_id=str(plan.pk))
                     .values_list("summary", flat=True))
    assert any("新建2025年度工作计划" in s for s in summaries)
    assert any("加入指标" in s and "60" in s for s in summaries)
    assert sum("设置目标值" in s for s in summaries) == 5
    assert any(s.startswith("冻结") for s in summaries)


def test_item_copies_what_the_indicator_declares(draft):
    assert (draft.senior.name, draft.senior.kind, draft.senior.unit, draft.senior.direction) == (
        "中级及以上职称人员学分达标率", "rate", "%", "higher")


def test_a_target_below_the_floor_is_refused(draft):
    science = draft.user("commission_science")
    error = _error(lambda: services.set_target(actor=science, item=draft.senior, level="district",
                                               target="0.6", floor="0.7"))
    assert error.code == "target_invalid" and "目标值不能低于底线值" in error.message
    assert draft.senior.targets.get(level="district").target == Decimal("0.95")  # unchanged


@pytest.mark.parametrize("target, floor, message", [
    ("1.2", "0.5", "0%到100%"), ("abc", "", "目标值设置不合理"), ("0.9", "-0.1", "不能为负数"),
])
def test_other_bad_targets(draft, target, floor, message):
    error = _error(lambda: services.set_target(actor=draft.user("commission_science"), item=draft.senior,
                                               level="institution", target=target, floor=floor))
    assert message in error.message


def test_weights_that_do_not_add_up_block_the_freeze(draft):
    science = draft.user("commission_science")
    services.update_item(actor=science, item=draft.junior, weight="30", rule="pass_fail")
    error = _error(lambda: services.freeze_plan(actor=science, plan=draft.plan))
    assert error.code == "weights_not_100" and "当前合计 90 分" in error.message
    draft.plan.refresh_from_db()
    assert draft.plan.status == PlanStatus.DRAFT


def test_an_item_without_targets_blocks_the_freeze(draft):
    science = draft.user("commission_science")
    services.update_item(actor=science, item=draft.junior, weight="30", rule="pass_fail")
    item = services.add_item(actor=science, plan=draft.plan, indicator_code="research-funded", weight="10",
                             rule="pass_fail")
    error = _error(lambda: services.freeze_plan(actor=science, plan=draft.plan))
    assert "有指标尚未设置目标值" in error.message and item.name in error.message


def test_a_frozen_plan_cannot_be_edited(planned):
    science = planned.user("commission_science")
    for call in (
        lambda: services.add_item(actor=science, plan=planned.plan, indicator_code="research-funded", weight="5"),
        lambda: services.update_item(actor=science, item=planned.senior, weight="50", rule="linear"),
        lambda: services.remove_item(actor=science, item=planned.junior),
        lambda: services.set_target(actor=science, item=planned.senior, level="city", target="0.9", floor="0.5"),
        lambda: services.freeze_plan(actor=science, plan=planned.plan),
    ):
        assert _error(call).code == "plan_frozen"
    assert planned.plan.items.count() == 2


def test_unknown_and_repeated_indicators(draft):
    science = draft.user("commission_science")
    assert _error(lambda: services.add_item(actor=science, plan=draft.plan, indicator_code="nope",
                                            weight="5")).code == "indicator_unknown"
    assert _error(lambda: services.add_item(actor=science, plan=draft.plan, indicator_code=SENIOR,
                                            weight="5")).code == "indicator_twice"
    assert _error(lambda: services.add_item(actor=science, plan=draft.plan, indicator_code="research-funded",
                                            weight="0")).code == "weight_invalid"


def test_a_rule_change_that_no_longer_suits_the_targets_is_refused(draft):
    science = draft.user("commission_science")
    # the junior targets have no floor: fine for pass/fail, not for linear
    error = _error(lambda: services.update_item(actor=science, item=draft.junior, weight="40", rule="linear"))
    assert "须设置底线值" in error.message


def test_the_same_title_twice_in_a_year(draft):
    error = _error(lambda: services.create_plan(actor=draft.user("commission_science"), year=YEAR,
                                                title="科教工作要点"))
    assert error.code == "title_taken"


@pytest.mark.parametrize("key", ["district_a", "institution_a1", "worker_a1", "system_admin"])
def test_only_the_commission_writes_plans(world, key):
    with pytest.raises(PermissionDenied):
        services.create_plan(actor=world.user(key), year=YEAR, title="区县自拟")


def test_junior_item_keeps_its_targets_per_level(draft):
    levels = sorted(draft.junior.targets.values_list("level", flat=True))
    assert levels == ["district", "institution"] and JUNIOR == draft.junior.indicator_code
