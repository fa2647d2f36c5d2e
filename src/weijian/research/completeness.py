"""What a complete application contains before it may be submitted: a budget by the standard heads
(预算科目) within the call's ceiling, milestones (进度安排), and every attachment the call requires.

Pure functions, no Django: the services call them at submission and the forms use the parsers.
"""

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

# The budget heads of municipal research funds, after the national rules for research funding
# (中央财政科研项目资金管理办法): direct costs only; the commission does not fund overheads.
BUDGET_HEADS: tuple[tuple[str, str], ...] = (
    ("equipment", "设备费"),
    ("materials", "材料费"),
    ("testing", "测试化验加工费"),
    ("fuel", "燃料动力费"),
    ("travel", "差旅/会议/国际合作与交流费"),
    ("publication", "出版/文献/信息传播/知识产权事务费"),
    ("labour", "劳务费"),
    ("consulting", "专家咨询费"),
    ("other", "其他支出"),
)
HEAD_LABELS = dict(BUDGET_HEADS)
MAX_MILESTONES = 20


@dataclass(frozen=True)
class Milestone:
    due: date
    goal: str

    def as_json(self) -> dict:
        return {"due": self.due.isoformat(), "goal": self.goal}


def budget_total(lines: dict[str, str]) -> Decimal:
    """The sum of the budget heads (万元), two places."""
    return sum((Decimal(str(v)) for v in lines.values()), Decimal("0")).quantize(Decimal("0.01"))


def clean_budget(lines: dict) -> dict[str, str]:
    """Keep the known heads with a positive amount, as strings with two places; raise ValueError with
    a Chinese reason for an unknown head or an amount that is not a non-negative number."""
    cleaned = {}
    for head, value in (lines or {}).items():
        if head not in HEAD_LABELS:
            raise ValueError(f"未知的预算科目：{head}")
        if value in (None, ""):
            continue
        try:
            amount = Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        except InvalidOperation:
            raise ValueError(f"{HEAD_LABELS[head]}应为金额（万元）") from None
        if amount < 0 or amount > Decimal("99999"):
            raise ValueError(f"{HEAD_LABELS[head]}应为0至99999万元之间的金额")
        if amount > 0:
            cleaned[head] = str(amount)
    return cleaned


def parse_milestones(text: str) -> tuple[list[Milestone], list[str]]:
    """One milestone per line, "YYYY-MM-DD 目标" (a full-width space or a tab also separates).
    Returns the milestones in date order and the problems, each naming its line."""
    milestones, problems = [], []
    for number, raw in enumerate((text or "").splitlines(), start=1):
        line = raw.strip().replace("\u3000", " ").replace("\t", " ")
        if not line:
            continue
        day_text, _sep, goal = line.partition(" ")
        try:
            due = date.fromisoformat(day_text)
        except ValueError:
            problems.append(f"第{number}行：应以完成日期开头，格式如 2027-06-30")
            continue
        goal = goal.strip()
        if not goal:
            problems.append(f"第{number}行：请在日期后写明阶段目标")
        elif len(goal) > 200:
            problems.append(f"第{number}行：阶段目标不能超过200字")
        else:
            milestones.append(Milestone(due, goal))
    if len(milestones) > MAX_MILESTONES:
        problems.append(f"进度安排最多{MAX_MILESTONES}项")
    return sorted(milestones, key=lambda m: m.due), problems


def milestones_text(milestones: list[dict]) -> str:
    """The stored milestones as the form shows them, one per line."""
    return "\n".join(f"{m['due']} {m['goal']}" for m in milestones or ())


def completeness_problems(*, budget_lines: dict[str, str], ceiling: Decimal, milestones: list[dict],
                          required_attachments: list[str], attached: set[str]) -> list[str]:
    """Everything still missing from the form, in a fixed order; empty when it may be submitted."""
    problems = []
    total = budget_total(budget_lines)
    if total <= 0:
        problems.append("请填写经费预算（按科目）")
    elif total > ceiling:
        problems.append(f"申请经费 {total} 万元超过本通知的单项资助上限 {ceiling} 万元")
    if not milestones:
        problems.append("请填写进度安排（至少一项阶段目标）")
    missing = [name for name in required_attachments if name not in attached]
    if missing:
        problems.append("缺少必需附件：" + "、".join(missing))
    return problems
