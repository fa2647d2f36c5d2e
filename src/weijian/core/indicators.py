"""What a domain app declares so that target assessment (`targets`) can score it.

A domain lists its assessment indicators as `AssessmentIndicator`s in its own `indicators.py` and names
that list in its app config (`assessment_indicators = "weijian.cme.indicators.ASSESSMENT"`); `targets`
reads the app configs. No signals, and no domain imports `targets`: this contract lives in `core`.

Computation is set-based and for the whole city: `compute(year, today)` returns one `Tally` per
institution (or per district for indicators kept at district level), so districts and the city are sums
of their parts, and a rate is the ratio of summed numerators to summed denominators (not an average of
rates). Reading the results is scoped later, by `targets`, through the access gate.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

HIGHER, LOWER = "higher", "lower"  # which way is better
RATE, COUNT = "rate", "count"  # a share of a denominator, or a number of things
INSTITUTION, DISTRICT, CITY = "institution", "district", "city"  # the lowest level computed
RATE_PLACES = Decimal("0.0001")


@dataclass(frozen=True)
class Tally:
    """What one org unit counted: a numerator and, for rates, a denominator."""

    numerator: Decimal | int = 0
    denominator: Decimal | int = 0

    def __add__(self, other: Tally) -> Tally:
        return Tally(self.numerator + other.numerator, self.denominator + other.denominator)


#: institution id -> Tally (level INSTITUTION), or district code -> Tally (level DISTRICT)
Tallies = Mapping[int | str, Tally]


@dataclass(frozen=True)
class AssessmentIndicator:
    """One indicator a work plan can pick.

    `compute(year, today)` counts for every institution (or district) of the city at once. `drill_url`,
    when given, returns the page listing the records behind a number for (year, district code or "",
    institution id or None); that page applies its own access checks."""

    code: str
    name: str
    domain: str  # the app that owns it ("cme", "research", "dq" ...)
    kind: str  # RATE or COUNT
    unit: str  # shown after the number: "%", "项", "人", "分"
    direction: str  # HIGHER or LOWER
    level: str  # INSTITUTION or DISTRICT
    compute: Callable[[int, dt.date], Tallies]
    description: str = ""
    drill_url: Callable[[int, str, int | None], str] | None = None
    # The annual summary's sentence for the city's figure, e.g. "全年立项资助市级科研项目{value}".
    # Keys: value (formatted with its unit), numerator, denominator (counts in Chinese style), target.
    sentence: str = ""

    def value(self, tally: Tally | None) -> Decimal | None:
        """A rate as a fraction (0.95) rounded to four places, a count as it is; None when a rate has no
        denominator."""
        if tally is None:
            return None if self.kind == RATE else Decimal(0)
        if self.kind == RATE:
            if not tally.denominator:
                return None
            return (Decimal(tally.numerator) / Decimal(tally.denominator)).quantize(RATE_PLACES, ROUND_HALF_UP)
        return Decimal(tally.numerator)


# One computation of a work plan asks several indicators of one app for the same year; what they share
# (CME's pass over every worker, say) is computed once per computation, never kept beyond it.
_shared: ContextVar[dict | None] = ContextVar("indicator_shared", default=None)


@contextmanager
def one_computation():
    """Within this block `shared` computes each key once."""
    token = _shared.set({})
    try:
        yield
    finally:
        _shared.reset(token)


def shared(key, compute: Callable[[], Any]) -> Any:
    """`compute()`, once per key inside `one_computation()` (every time outside it)."""
    cache = _shared.get()
    if cache is None:
        return compute()
    if key not in cache:
        cache[key] = compute()
    return cache[key]
