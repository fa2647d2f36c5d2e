"""Scoring rules on hand-worked values."""

from decimal import Decimal as D

import pytest

from weijian.core.indicators import HIGHER, LOWER
from weijian.targets.scoring import (
    Rag,
    ScoringRule,
    Standard,
    check_standard,
    composite,
    composite_rag,
    rag,
    score,
)

RATE_95 = dict(direction=HIGHER, target=D("0.95"), floor=D("0.80"))
OVERDUE = dict(direction=LOWER, target=D("0"), floor=D("4"))  # lower is better: the floor lies above


@pytest.mark.parametrize("actual, points", [
    (D("0.95"), D("10")), (D("0.99"), D("10")), (D("0.9499"), D("0")), (D("0.10"), D("0")),
])
def test_pass_fail_gives_the_whole_weight_or_nothing(actual, points):
    assert score(actual, Standard(ScoringRule.PASS_FAIL, D(10), **RATE_95)) == points


@pytest.mark.parametrize("actual, points", [
    (D("0.80"), D("0")),        # at the floor
    (D("0.70"), D("0")),        # below it
    (D("0.875"), D("10")),      # halfway: 20 × 0.5
    (D("0.86"), D("8")),        # 20 × 0.06 / 0.15
    (D("0.95"), D("20")),       # at the target
    (D("1.00"), D("20")),       # beyond it: no bonus under the linear rule
])
def test_linear_interpolates_between_floor_and_target(actual, points):
    assert score(actual, Standard(ScoringRule.LINEAR, D(20), **RATE_95)) == points


@pytest.mark.parametrize("actual, points", [
    (D("0.875"), D("5")),       # below the target: as linear (10 × 0.5)
    (D("0.98"), D("12")),       # 10 + 10 × 0.03 / 0.15 = 12
    (D("1.00"), D("13")),       # 10 + 3.33 → capped at 3
])
def test_bonus_keeps_the_slope_beyond_the_target_up_to_the_cap(actual, points):
    assert score(actual, Standard(ScoringRule.BONUS, D(10), bonus_cap=D(3), **RATE_95)) == points


@pytest.mark.parametrize("actual, points, colour", [
    (D(0), D("8"), Rag.GREEN), (D(1), D("6"), Rag.AMBER), (D(3), D("2"), Rag.AMBER),
    (D(4), D("0"), Rag.AMBER), (D(7), D("0"), Rag.RED),
])
def test_lower_is_better_mirrors_the_span(actual, points, colour):
    standard = Standard(ScoringRule.LINEAR, D(8), **OVERDUE)
    assert score(actual, standard) == points
    assert rag(actual, standard) == colour


def test_nothing_to_count_is_not_scored_and_grey():
    standard = Standard(ScoringRule.LINEAR, D(20), **RATE_95)
    assert score(None, standard) is None
    assert rag(None, standard) == Rag.GREY


def test_rag_against_target_and_floor():
    standard = Standard(ScoringRule.LINEAR, D(20), **RATE_95)
    assert [rag(D(v), standard) for v in ("0.96", "0.85", "0.79")] == [Rag.GREEN, Rag.AMBER, Rag.RED]
    no_floor = Standard(ScoringRule.PASS_FAIL, D(20), HIGHER, D("0.95"))
    assert rag(D("0.94"), no_floor) == Rag.RED


def test_composite_leaves_out_items_with_nothing_to_count():
    # 20 of 30 and 15 of 20 scored → 35 of 50 = 70; the third item had no denominator
    assert composite([(D(20), D(30)), (D(15), D(20)), (None, D(50))]) == D("70.00")
    assert composite([(D(10), D(10)), (D(3), D(0))]) == D("130.00")  # bonus points can pass 100
    assert composite([(None, D(50))]) is None
    assert composite([(D(1), D(3))]) == D("33.33")


def test_composite_colour():
    assert [composite_rag(D(v)) for v in ("95", "90", "80", "74.99")] == [Rag.GREEN, Rag.GREEN, Rag.AMBER, Rag.RED]
    assert composite_rag(None) == Rag.GREY


@pytest.mark.parametrize("kwargs, message", [
    (dict(direction=HIGHER, rule=ScoringRule.LINEAR, target=D("0.8"), floor=D("0.9"), bonus_cap=D(0)),
     "目标值不能低于底线值"),
    (dict(direction=LOWER, rule=ScoringRule.LINEAR, target=D("5"), floor=D("2"), bonus_cap=D(0)),
     "目标值不能高于底线值"),
    (dict(direction=HIGHER, rule=ScoringRule.LINEAR, target=D("0.9"), floor=None, bonus_cap=D(0)),
     "须设置底线值"),
    (dict(direction=HIGHER, rule=ScoringRule.BONUS, target=D("0.9"), floor=D("0.8"), bonus_cap=D(0)),
     "加分上限"),
    (dict(direction=HIGHER, rule=ScoringRule.LINEAR, target=D("0.9"), floor=D("0.9"), bonus_cap=D(0)),
     "无法插值"),
])
def test_unusable_targets_are_explained(kwargs, message):
    errors = check_standard(**kwargs)
    assert any(message in error for error in errors), errors


def test_usable_targets_pass_the_check():
    assert check_standard(direction=HIGHER, rule=ScoringRule.PASS_FAIL, target=D("0.95"), floor=None,
                          bonus_cap=D(0)) == []
    assert check_standard(direction=LOWER, rule=ScoringRule.BONUS, target=D(0), floor=D(4), bonus_cap=D(2)) == []
