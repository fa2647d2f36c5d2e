"""The rules of ethics review (伦理审查) as pure functions: no Django, no database, tested on their
boundaries (tests/research/test_ethics_rules.py). The steps that apply them are `ethics.py`.

Where they come from: 涉及人的生命科学和医学研究伦理审查办法 (2023) and 涉及人的生物医学研究伦理审查办法
(2016), with the quorum practice of institutional SOPs (GCP 2020):
- a meeting decides only with a quorum (`quorum`): the members present, not counting those recused from
  the submission, are more than half of the committee's voting members and at least five, and include a
  non-medical (lay) member and a member from outside the institution;
- a decision needs the votes of more than half of the committee's voting members who are not recused
  (`majority`), present or not: "超过伦理审查委员会全体委员二分之一同意";
- expedited review (快速审查 / 简易程序) is by one or two members; its opinion may only be positive — a
  negative one goes to a meeting (`expedited_outcome`);
- what each kind of submission may decide (`ALLOWED_DECISIONS`), when a submission may be made
  (`submission_problem`), and what a decision does to the approval in force (`approval_effect`).

The committee's secretary (秘书) runs the office: he neither votes nor counts for the quorum.
"""

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

# Kinds of submission (EthicsSubmissionKind) and decisions (EthicsDecision), by value.
INITIAL, AMENDMENT, CONTINUING, SAE, DEVIATION, CLOSURE = (
    "initial", "amendment", "continuing", "sae", "deviation", "closure")
APPROVED, APPROVED_WITH_CHANGES, REJECTED, SUSPENDED, TERMINATED = (
    "approved", "approved_with_changes", "rejected", "suspended", "terminated")
POSITIVE = (APPROVED, APPROVED_WITH_CHANGES)
NEGATIVE = (REJECTED, SUSPENDED, TERMINATED)

# After an initial review or an amendment: approve or not. On a running study (continuing review, serious
# adverse event, deviation): let it continue, or suspend or terminate it. Closure: accept it or not.
ALLOWED_DECISIONS: dict[str, tuple[str, ...]] = {
    INITIAL: (APPROVED, APPROVED_WITH_CHANGES, REJECTED),
    AMENDMENT: (APPROVED, APPROVED_WITH_CHANGES, REJECTED),
    CONTINUING: (APPROVED, APPROVED_WITH_CHANGES, SUSPENDED, TERMINATED),
    SAE: (APPROVED, APPROVED_WITH_CHANGES, SUSPENDED, TERMINATED),
    DEVIATION: (APPROVED, APPROVED_WITH_CHANGES, SUSPENDED, TERMINATED),
    CLOSURE: (APPROVED, REJECTED),
}

MIN_PRESENT = 5
MAX_EXPEDITED_REVIEWERS = 2


@dataclass(frozen=True)
class Member:
    """An active member of the committee as the quorum sees him."""

    id: int
    lay: bool = False  # 非医药专业 (ethics, law, sociology …)
    external: bool = False  # 外单位委员, independent of the institution
    voting: bool = True  # False for the secretary


@dataclass(frozen=True)
class Quorum:
    met: bool
    present: int  # voting members present and not recused
    members: int  # the committee's voting members
    reasons: tuple[str, ...] = ()  # why it is not met, in Chinese

    @property
    def reason(self) -> str:
        return "；".join(self.reasons)


def quorum(members: Iterable[Member], present_ids: Iterable[int], recused_ids: Iterable[int] = ()) -> Quorum:
    """Whether a meeting may decide a submission: `members` are the committee's active members,
    `present_ids` who attended, `recused_ids` who stay out of this submission."""
    voting = [m for m in members if m.voting]
    out = set(recused_ids)
    here = set(present_ids)
    present = [m for m in voting if m.id in here and m.id not in out]
    reasons = []
    if len(present) * 2 <= len(voting):
        reasons.append(f"到会委员（回避者除外）{len(present)} 人，未超过全体委员 {len(voting)} 人的半数")
    if len(present) < MIN_PRESENT:
        reasons.append(f"到会委员（回避者除外）{len(present)} 人，少于 {MIN_PRESENT} 人")
    if not any(m.lay for m in present):
        reasons.append("到会委员中没有非医药专业委员")
    if not any(m.external for m in present):
        reasons.append("到会委员中没有外单位委员")
    return Quorum(not reasons, len(present), len(voting), tuple(reasons))


def eligible_voters(members: Iterable[Member], recused_ids: Iterable[int] = ()) -> int:
    """The committee's voting members who are not recused: the base of the majority."""
    out = set(recused_ids)
    return sum(1 for m in members if m.voting and m.id not in out)


def tally(votes: Mapping[int, str]) -> dict[str, int]:
    """Votes per choice, most first (ties in the order of the decisions)."""
    order = {choice: n for n, choice in enumerate((*POSITIVE, *NEGATIVE))}
    counts = Counter(votes.values())
    return dict(sorted(counts.items(), key=lambda item: (-item[1], order.get(item[0], 99))))


def majority(votes: Mapping[int, str], eligible: int) -> str | None:
    """The choice voted by more than half of `eligible` members, or None when no choice has that many."""
    for choice, count in tally(votes).items():
        if count * 2 > eligible:
            return choice
    return None


def expedited_outcome(opinions: Sequence[str]) -> str | None:
    """The decision of an expedited review from its reviewers' opinions: 同意 when all agree, 修改后同意 when
    one asks for changes; None when any opinion is negative (the submission goes to a meeting).
    ValueError when the number of reviewers is not one or two."""
    if not 1 <= len(opinions) <= MAX_EXPEDITED_REVIEWERS:
        raise ValueError(f"快速审查应由 1 至 {MAX_EXPEDITED_REVIEWERS} 名委员进行")
    if any(opinion not in POSITIVE for opinion in opinions):
        return None
    return APPROVED if all(opinion == APPROVED for opinion in opinions) else APPROVED_WITH_CHANGES


def submission_problem(kind: str, *, open_same_kind: bool, approved_initial: bool, terminated: bool,
                       closed: bool) -> str | None:
    """Why a submission of `kind` cannot be made to a committee now, or None.

    open_same_kind: one of the same kind is still with a committee; approved_initial: this committee
    approved the initial review; terminated: it terminated the study; closed: it accepted the closure."""
    if kind not in ALLOWED_DECISIONS:
        return "审查类别不正确"
    if open_same_kind:
        return "该项目已有同类伦理审查申请正在办理"
    if closed:
        return "该项目已通过结题审查，不再受理"
    if kind == INITIAL:
        return "该项目已通过本委员会的初始审查，方案变更请提交修正案审查" if approved_initial else None
    if not approved_initial:
        return "须先通过本委员会的初始审查"
    if terminated and kind != CLOSURE:
        return "本委员会已终止该研究，只能提交结题审查"
    return None


def one_year(day: dt.date) -> dt.date:
    """The last day of a validity of one year from `day`: 2026-04-10 → 2027-04-09."""
    try:
        following = day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        following = dt.date(day.year + 1, 3, 1)
    return following - dt.timedelta(days=1)


@dataclass(frozen=True)
class Effect:
    """What a decision does to the application's approvals: grant a new one (valid_from..valid_until),
    end those in force (valid_until becomes the last valid day), or nothing."""

    action: str  # "grant", "end" or "none"
    valid_from: dt.date | None = None
    valid_until: dt.date | None = None


def approval_effect(kind: str, decision: str, decided_on: dt.date, *,
                    current_until: dt.date | None = None) -> Effect:
    """- initial review approved: an approval for one year;
    - continuing review approved: a new approval for one year from the decision (validity extended);
    - amendment approved: an approval until the current one ends (one year when none is in force);
    - suspended or terminated (continuing review, serious adverse event, deviation): every approval ends
      the day before the decision, so the study is not approved from that day;
    - closure accepted: approvals end on the day of the decision;
    - anything else (rejected, or a study allowed to continue after an event): nothing changes."""
    if decision in (SUSPENDED, TERMINATED):
        return Effect("end", valid_until=decided_on - dt.timedelta(days=1))
    if decision not in POSITIVE:
        return Effect("none")
    if kind in (INITIAL, CONTINUING):
        return Effect("grant", decided_on, one_year(decided_on))
    if kind == AMENDMENT:
        until = current_until if current_until is not None and current_until >= decided_on else one_year(decided_on)
        return Effect("grant", decided_on, until)
    if kind == CLOSURE:
        return Effect("end", valid_until=decided_on)
    return Effect("none")
