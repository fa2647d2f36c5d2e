"""Scoring one indicator's value against its target: plain functions over Decimals, no database.

Three rules, each worth at most the item's weight (points out of a plan's 100):
- pass/fail (达标得分): the whole weight when the target is met, else nothing;
- linear (线性插值): nothing at or beyond the floor, the whole weight at the target, in proportion between;
- capped bonus (封顶加分): linear up to the target, then extra points at the same slope beyond it, at most
  `bonus_cap` of them.
"Beyond" follows the indicator's direction: for an indicator where lower is better (overdue projects)
the floor lies above the target.

Red/amber/green: green when the target is met, amber when the value has at least reached the floor,
red otherwise; grey when there is nothing to count.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

from weijian.core.indicators import HIGHER, LOWER

SCORE_PLACES = Decimal("0.01")
ZERO = Decimal(0)


class ScoringRule(models.TextChoices):
    PASS_FAIL = "pass_fail", _("达标得分")
    LINEAR = "linear", _("线性插值")
    BONUS = "bonus", _("封顶加分")


class Rag(models.TextChoices):
    GREEN = "green", _("达标")
    AMBER = "amber", _("接近")
    RED = "red", _("未达标")
    GREY = "grey", _("无数据")


@dataclass(frozen=True)
class Standard:
    """What a unit is held to for one item."""

    rule: str
    weight: Decimal
    direction: str
    target: Decimal
    floor: Decimal | None = None
    bonus_cap: Decimal = ZERO


def _better_or_equal(a: Decimal, b: Decimal, direction: str) -> bool:
    return a >= b if direction == HIGHER else a <= b


def met(actual: Decimal, standard: Standard) -> bool:
    return _better_or_equal(actual, standard.target, standard.direction)


def score(actual: Decimal | None, standard: Standard) -> Decimal | None:
    """Points earned, rounded to two places; None when there is nothing to count (the item then leaves
    the unit's composite, see `composite`)."""
    if actual is None:
        return None
    weight = standard.weight
    if standard.rule == ScoringRule.PASS_FAIL:
        return weight if met(actual, standard) else ZERO
    floor, target = standard.floor, standard.target
    if floor is None or floor == target:  # a linear rule without a span degenerates to pass/fail
        points = weight if met(actual, standard) else ZERO
    else:
        # progress: 0 at the floor, 1 at the target, beyond 1 past it (either direction)
        progress = (actual - floor) / (target - floor)
        points = weight * min(max(progress, ZERO), Decimal(1))
        if standard.rule == ScoringRule.BONUS and progress > 1:
            points += min(weight * (progress - 1), standard.bonus_cap)
    return points.quantize(SCORE_PLACES, ROUND_HALF_UP)


def rag(actual: Decimal | None, standard: Standard) -> str:
    if actual is None:
        return Rag.GREY
    if met(actual, standard):
        return Rag.GREEN
    if standard.floor is not None and _better_or_equal(actual, standard.floor, standard.direction):
        return Rag.AMBER
    return Rag.RED


def composite(scored: list[tuple[Decimal | None, Decimal]]) -> Decimal | None:
    """A unit's composite out of 100 from (points, weight) per item: the points over the weights of the
    items it could be scored on, so an item with nothing to count (no denominator) neither helps nor
    hurts. Bonus points can lift it above 100. None when no item could be scored."""
    counted = [(points, weight) for points, weight in scored if points is not None]
    possible = sum((weight for _points, weight in counted), ZERO)
    if not possible:
        return None
    earned = sum((points for points, _weight in counted), ZERO)
    return (earned * 100 / possible).quantize(SCORE_PLACES, ROUND_HALF_UP)


def composite_rag(value: Decimal | None, *, green_at: Decimal = Decimal(90), amber_at: Decimal = Decimal(75)) -> str:
    """A composite's colour: green from `green_at`, amber from `amber_at`, red below."""
    if value is None:
        return Rag.GREY
    if value >= green_at:
        return Rag.GREEN
    return Rag.AMBER if value >= amber_at else Rag.RED


def check_standard(*, direction: str, rule: str, target: Decimal, floor: Decimal | None,
                   bonus_cap: Decimal | None) -> list[str]:
    """What is wrong with a target as set (Chinese messages; empty when it can be used)."""
    errors = []
    if rule in (ScoringRule.LINEAR, ScoringRule.BONUS) and floor is None:
        errors.append(str(_("线性插值和封顶加分须设置底线值。")))
    if floor is not None and floor != target and not _better_or_equal(target, floor, direction):
        errors.append(str(_("目标值不能低于底线值。")) if direction == HIGHER
                      else str(_("本指标越低越好，目标值不能高于底线值。")))
    if floor is not None and floor == target and rule != ScoringRule.PASS_FAIL:
        errors.append(str(_("底线值与目标值相同，无法插值；请改用达标得分。")))
    if rule == ScoringRule.BONUS and not bonus_cap:
        errors.append(str(_("封顶加分须设置加分上限（大于0）。")))
    if bonus_cap is not None and bonus_cap < 0:
        errors.append(str(_("加分上限不能为负数。")))
    if direction not in (HIGHER, LOWER):
        errors.append(str(_("指标方向未知。")))
    return errors
