"""The rules of research project management (科研项目) as pure functions: no database, no Django.

This module owns:
1. integrity sanctions (科研失信惩戒): when a sanction is in force and which gates it closes;
2. eligibility at submission (申报资格): every rule a call sets, each failure as a Chinese sentence;
3. expert review scores (专家评审): weighted totals, the trimmed mean across experts, ranking;
4. closure (结题): the closure rate over recent years, overdue projects, reminder stages.

Services load rows, turn them into the frozen dataclasses below and call these functions, so the
same rule holds whether an application arrives by page, API or import.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

# --- sanctions ---------------------------------------------------------------------------------

SANCTION_KINDS: dict[str, str] = {
    "ban_all": "全部禁止",
    "ban_apply": "禁止申报",
    "ban_review": "取消评审专家资格",
    "warning": "警告",
}

GATES: dict[str, str] = {
    "apply": "申报项目",
    "join_team": "参加项目团队",
    "review": "担任评审专家",
    "host_cme": "主办继续医学教育项目",
}

BLOCKS: dict[str, frozenset[str]] = {
    "ban_all": frozenset(GATES),
    "ban_apply": frozenset({"apply", "join_team"}),
    "ban_review": frozenset({"review"}),
    "warning": frozenset(),
}


@dataclass(frozen=True)
class Sanction:
    """One entry on the integrity blacklist; `ends_on` None means indefinite."""

    kind: str
    starts_on: date
    ends_on: date | None = None

    def __post_init__(self):
        if self.kind not in SANCTION_KINDS:
            raise ValueError(f"未知的惩戒类型：{self.kind}")
        if self.ends_on is not None and self.ends_on < self.starts_on:
            raise ValueError("惩戒结束日期不能早于开始日期")


def sanction_active(sanction: Sanction, on: date) -> bool:
    """In force from the first day through the last day, both inclusive."""
    return sanction.starts_on <= on and (sanction.ends_on is None or on <= sanction.ends_on)


def active_sanctions(sanctions: Iterable[Sanction], on: date) -> list[Sanction]:
    return [sanction for sanction in sanctions if sanction_active(sanction, on)]


def blocking_reason(sanctions: Iterable[Sanction], on: date, gate: str) -> str | None:
    """Why `gate` is closed on `on`, or None when it is open.

    When several sanctions close the gate, the one ending last is named: that is the date the
    person can actually expect the gate to reopen.
    """
    if gate not in GATES:
        raise ValueError(f"未知的限制事项：{gate}")
    blocking = [s for s in active_sanctions(sanctions, on) if gate in BLOCKS[s.kind]]
    if not blocking:
        return None
    # date.max stands in for "indefinite" so that it sorts after every real end date.
    longest = max(blocking, key=lambda s: s.ends_on or date.max)
    until = "无限期" if longest.ends_on is None else f"至{longest.ends_on.isoformat()}"
    return f"科研失信惩戒期内（{until}），不能{GATES[gate]}"


# --- eligibility at submission -----------------------------------------------------------------

TITLE_ORDER: tuple[str, ...] = ("none", "junior", "intermediate", "associate_senior", "senior")

TITLE_LABELS: dict[str, str] = {
    "none": "无职称",
    "junior": "初级",
    "intermediate": "中级",
    "associate_senior": "副高级",
    "senior": "正高级",
}


def _check_title(level: str) -> str:
    if level not in TITLE_LABELS:
        raise ValueError(f"未知的职称级别：{level}")
    return level


@dataclass(frozen=True)
class CallRules:
    """What a funding call (申报通知) demands of each application."""

    category: str
    min_title_level: str | None
    youth_age_limit: int | None
    institution_quota: int | None
    opens_on: date
    closes_on: date

    def __post_init__(self):
        if self.min_title_level is not None:
            _check_title(self.min_title_level)
        if self.closes_on < self.opens_on:
            raise ValueError("申报截止日期不能早于开始日期")


@dataclass(frozen=True)
class Applicant:
    """The principal investigator (项目负责人) as the eligibility rules see them.

    `submitted_from_institution` counts the OTHER applications already submitted from the same
    institution to this call, so a quota of N lets the N-th one through.
    """

    birth_date: date
    title_level: str
    institution_id: int
    sanctions: tuple[Sanction, ...] = ()
    overdue_unfinished_as_pi: int = 0
    submitted_from_institution: int = 0

    def __post_init__(self):
        _check_title(self.title_level)


def _birthday_in(year: int, birth_date: date) -> date:
    """The birthday as observed in `year`: a 29 February birthday falls on 1 March in common years."""
    try:
        return birth_date.replace(year=year)
    except ValueError:
        return date(year, 3, 1)


def age_on(birth_date: date, on: date) -> int:
    """Age in full years (周岁) on `on`."""
    if on < birth_date:
        raise ValueError("日期早于出生日期")
    years = on.year - birth_date.year
    return years - 1 if on < _birthday_in(on.year, birth_date) else years


def eligibility_problems(rules: CallRules, applicant: Applicant, on: date) -> list[str]:
    """Every rule the application fails on `on`, in a fixed order; an empty list means eligible."""
    problems = []
    if not rules.opens_on <= on <= rules.closes_on:
        problems.append(f"不在申报期内（{rules.opens_on.isoformat()} 至 {rules.closes_on.isoformat()}）")
    if rules.min_title_level is not None and (
        TITLE_ORDER.index(applicant.title_level) < TITLE_ORDER.index(rules.min_title_level)
    ):
        problems.append(
            f"职称须为{TITLE_LABELS[rules.min_title_level]}及以上，当前为{TITLE_LABELS[applicant.title_level]}"
        )
    if rules.youth_age_limit is not None:
        # Age is fixed at the call's opening so every applicant is measured on the same day.
        age = age_on(applicant.birth_date, rules.opens_on)
        if age > rules.youth_age_limit:
            problems.append(
                f"青年项目申请人年龄不得超过{rules.youth_age_limit}周岁"
                f"（截至{rules.opens_on.isoformat()}为{age}周岁）"
            )
    if rules.institution_quota is not None and applicant.submitted_from_institution >= rules.institution_quota:
        problems.append(f"本单位申报名额已满（限 {rules.institution_quota} 项）")
    if applicant.overdue_unfinished_as_pi > 0:
        problems.append(f"作为负责人有逾期未结题项目 {applicant.overdue_unfinished_as_pi} 项，不能申报")
    sanction_reason = blocking_reason(applicant.sanctions, on, "apply")
    if sanction_reason is not None:
        problems.append(sanction_reason)
    return problems


# --- expert review scores ----------------------------------------------------------------------

TWO_PLACES = Decimal("0.01")
FOUR_PLACES = Decimal("0.0001")
HUNDRED = Decimal("100")
TRIM_FROM = 5  # with this many scores or more, one highest and one lowest are dropped


@dataclass(frozen=True)
class Criterion:
    key: str
    label: str
    weight: Decimal  # weights of a criteria set sum to 100
    max_score: Decimal


DEFAULT_CRITERIA: tuple[Criterion, ...] = (
    Criterion("innovation", "创新性", Decimal("30"), Decimal("10")),
    Criterion("rigor", "科学性", Decimal("25"), Decimal("10")),
    Criterion("feasibility", "可行性", Decimal("20"), Decimal("10")),
    Criterion("foundation", "研究基础", Decimal("15"), Decimal("10")),
    Criterion("benefit", "预期效益", Decimal("10"), Decimal("10")),
)


def _plain(value: Decimal) -> str:
    """10 rather than 1E+1 or 10.00 in messages."""
    return format(value.normalize(), "f")


def weighted_total(scores: dict[str, Decimal], criteria: Sequence[Criterion] = DEFAULT_CRITERIA) -> Decimal:
    """One expert's total out of 100: the sum of score / max × weight, half-up to 2 places."""
    weight_sum = sum((Decimal(c.weight) for c in criteria), Decimal(0))
    if weight_sum != HUNDRED:
        raise ValueError(f"各评分项权重之和应为100，当前为{_plain(weight_sum)}")
    known = {c.key for c in criteria}
    unknown = sorted(set(scores) - known)
    if unknown:
        raise ValueError(f"未知的评分项：{'、'.join(unknown)}")
    total = Decimal(0)
    for criterion in criteria:
        if scores.get(criterion.key) is None:
            raise ValueError(f"{criterion.label}未评分")
        score = Decimal(str(scores[criterion.key]))
        max_score = Decimal(criterion.max_score)
        if not score.is_finite() or not Decimal(0) <= score <= max_score:
            raise ValueError(f"{criterion.label}的评分应在0到{_plain(max_score)}之间")
        total += score / max_score * Decimal(criterion.weight)
    return total.quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


def aggregate_scores(totals: list[Decimal]) -> Decimal | None:
    """The panel's score: the mean, after dropping one highest and one lowest when there are 5 or more.

    Only one of each is dropped even when several experts tie at an extreme, so a shared
    opinion still counts.
    """
    if not totals:
        return None
    ordered = sorted(Decimal(str(t)) for t in totals)
    if len(ordered) >= TRIM_FROM:
        ordered = ordered[1:-1]
    mean = sum(ordered, Decimal(0)) / len(ordered)
    return mean.quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


def rank(items: list[tuple[int, Decimal | None]]) -> list[tuple[int, int | None]]:
    """(application id, rank), 1 = best; ties share a rank and the next one skips (1, 2, 2, 4).

    Applications without a score are unranked (None) and listed last, by id.
    """
    scored = sorted((item for item in items if item[1] is not None), key=lambda item: (-item[1], item[0]))
    unscored = sorted(item_id for item_id, score in items if score is None)
    ranked: list[tuple[int, int | None]] = []
    previous_score, previous_rank = None, 0
    for position, (item_id, score) in enumerate(scored, start=1):
        current_rank = previous_rank if score == previous_score else position
        ranked.append((item_id, current_rank))
        previous_score, previous_rank = score, current_rank
    return ranked + [(item_id, None) for item_id in unscored]


# --- closure -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClosureItem:
    """A funded project as the closure rules see it."""

    approved_on: date
    due_on: date
    closed_on: date | None = None
    terminated: bool = False

    def closed_by(self, on: date) -> bool:
        return self.closed_on is not None and self.closed_on <= on


def same_day_years_earlier(on: date, years: int) -> date:
    """The same calendar day `years` years before (negative: after); 29 February becomes 28 February."""
    try:
        return on.replace(year=on.year - years)
    except ValueError:
        return date(on.year - years, 2, 28)


def closure_rate(items: Iterable[ClosureItem], *, on: date, years: int = 3) -> tuple[int, int, Decimal | None]:
    """(closed, total, rate) for projects approved in the `years` years up to `on`.

    The window excludes its first day (approved_on must be after the same day `years` earlier)
    so that windows of consecutive years do not overlap. Terminated projects count as closed:
    they no longer owe a closure report.
    """
    if years < 1:
        raise ValueError("统计年数至少为1")
    window_start = same_day_years_earlier(on, years)
    in_window = [item for item in items if window_start < item.approved_on <= on]
    closed = sum(1 for item in in_window if item.terminated or item.closed_by(on))
    total = len(in_window)
    if total == 0:
        return 0, 0, None
    rate = (Decimal(closed) / Decimal(total)).quantize(FOUR_PLACES, rounding=ROUND_HALF_UP)
    return closed, total, rate


def overdue(items: Iterable[ClosureItem], on: date) -> list[ClosureItem]:
    """Projects past their due date on `on` that are neither closed by then nor terminated."""
    return [item for item in items if item.due_on < on and not item.terminated and not item.closed_by(on)]


REMINDER_STAGES: tuple[tuple[int, str], ...] = ((30, "30"), (60, "60"), (90, "90"))


def reminder_stage(due_on: date, on: date, closed: bool = False) -> str | None:
    """Which closure reminder is due: "90", "60", "30" days ahead, "overdue", or None."""
    if closed:
        return None
    days_left = (due_on - on).days
    if days_left < 0:
        return "overdue"
    for limit, stage in REMINDER_STAGES:
        if days_left <= limit:
            return stage
    return None
