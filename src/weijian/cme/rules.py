"""The annual credit audit (学分审验) as pure functions: no database, no Django models needed.

How a year is judged:
1. only verified credit records count;
2. on-site credits count in full; remote credits count only up to the requirement's cap,
   class I remote credits first (they are the scarcer kind), then class II;
3. the worker passes when the counted total, counted class I and counted class II each reach
   the requirement; an approved exemption passes whatever the credits.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

ZERO = Decimal("0.0")
ONE_PLACE = Decimal("0.1")


def _d(value) -> Decimal:
    return (Decimal(str(value)) if value is not None else ZERO).quantize(ONE_PLACE)


@dataclass(frozen=True)
class CreditTotals:
    """A worker's verified credits for a year, split by class and by on-site / remote."""

    class_i_onsite: Decimal = ZERO
    class_ii_onsite: Decimal = ZERO
    class_i_remote: Decimal = ZERO
    class_ii_remote: Decimal = ZERO

    @classmethod
    def of(cls, class_i_onsite=None, class_ii_onsite=None, class_i_remote=None, class_ii_remote=None):
        """From SQL sums, which are None where a worker has no such record."""
        return cls(_d(class_i_onsite), _d(class_ii_onsite), _d(class_i_remote), _d(class_ii_remote))


@dataclass(frozen=True)
class CreditLine:
    """One ledger row as the rule sees it."""

    credit_class: str  # "I" or "II"
    credits: Decimal
    is_remote: bool = False
    status: str = "verified"


@dataclass(frozen=True)
class Requirement:
    total: Decimal
    min_class_i: Decimal
    min_class_ii: Decimal
    remote_cap: Decimal


@dataclass(frozen=True)
class AuditOutcome:
    passed: bool
    counted_total: Decimal
    class_i: Decimal
    class_ii: Decimal
    remote_counted: Decimal
    shortfall: Decimal  # credits still needed to meet every part of the requirement
    reason: str
    exempt: bool = False


def totals_from_records(records: Iterable[CreditLine]) -> CreditTotals:
    """Sum verified records only; pending and rejected ones do not count."""
    sums = {("I", False): ZERO, ("II", False): ZERO, ("I", True): ZERO, ("II", True): ZERO}
    for record in records:
        if record.status == "verified":
            sums[(record.credit_class, bool(record.is_remote))] += _d(record.credits)
    return CreditTotals(sums[("I", False)], sums[("II", False)], sums[("I", True)], sums[("II", True)])


def evaluate(totals: CreditTotals, requirement, exemption_reason: str | None = None) -> AuditOutcome:
    """Judge one worker's year. `requirement` is a Requirement or anything with the same four fields."""
    cap = _d(requirement.remote_cap)
    remote_i = min(totals.class_i_remote, cap)
    remote_ii = min(totals.class_ii_remote, cap - remote_i)
    class_i = totals.class_i_onsite + remote_i
    class_ii = totals.class_ii_onsite + remote_ii
    counted_total = class_i + class_ii
    remote_counted = remote_i + remote_ii

    short_total = max(_d(requirement.total) - counted_total, ZERO)
    short_i = max(_d(requirement.min_class_i) - class_i, ZERO)
    short_ii = max(_d(requirement.min_class_ii) - class_ii, ZERO)
    # Each missing class-I or class-II credit also adds to the total, so the larger figure is what is needed.
    shortfall = max(short_total, short_i + short_ii)

    counted = dict(counted_total=counted_total, class_i=class_i, class_ii=class_ii, remote_counted=remote_counted)
    if exemption_reason:
        return AuditOutcome(True, **counted, shortfall=ZERO, reason=f"豁免：{exemption_reason}", exempt=True)
    problems = [
        f"{label}不足：差 {short} 分"
        for label, short in (("总学分", short_total), ("I类学分", short_i), ("II类学分", short_ii))
        if short > ZERO
    ]
    if problems:
        return AuditOutcome(False, **counted, shortfall=shortfall, reason="；".join(problems))
    return AuditOutcome(True, **counted, shortfall=ZERO, reason="达标")
