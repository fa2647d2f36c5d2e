"""This year's work plan of the demo city (工作要点), frozen and computed, so the target-assessment
dashboard has something to show. Written through `targets.services`; skipped when it already exists."""

import datetime as dt
from dataclasses import dataclass

from weijian.targets import services
from weijian.targets.models import WorkPlan

TITLE = "年度科教工作要点（演示）"

# (indicator, weight, rule, bonus cap, {level: (target, floor)})
ITEMS = (
    ("cme-compliance-intermediate_and_above", "25", "linear", "0",
     {"city": ("0.95", "0.80"), "district": ("0.95", "0.80"), "institution": ("0.95", "0.80")}),
    ("cme-compliance-junior_and_below", "15", "linear", "0",
     {"city": ("0.80", "0.60"), "district": ("0.80", "0.60"), "institution": ("0.80", "0.60")}),
    ("cme-worker-coverage", "15", "linear", "0",
     {"city": ("1", "0.80"), "district": ("1", "0.80"), "institution": ("1", "0.80")}),
    ("cme-spot-check-rate", "15", "bonus", "3", {"city": ("0.15", "0.05"), "district": ("0.15", "0.05")}),
    ("research-funded", "10", "linear", "0", {"city": ("100", "60"), "district": ("8", "2")}),
    ("research-closure-rate", "10", "pass_fail", "0", {"city": ("0.90", ""), "district": ("0.90", "")}),
    ("dq-composite", "10", "linear", "0",
     {"city": ("0.95", "0.80"), "district": ("0.95", "0.80"), "institution": ("0.95", "0.80")}),
)


@dataclass
class TargetsSummary:
    skipped: bool = False
    items: int = 0
    units: int = 0


def generate_targets(*, actor, today: dt.date) -> TargetsSummary:
    if WorkPlan.objects.filter(year=today.year, title=TITLE).exists():
        return TargetsSummary(skipped=True)
    plan = services.create_plan(actor=actor, year=today.year, title=TITLE,
                                note="演示：继续医学教育与科研管理的年度目标，按区县和机构考核。")
    for code, weight, rule, cap, targets in ITEMS:
        item = services.add_item(actor=actor, plan=plan, indicator_code=code, weight=weight, rule=rule, bonus_cap=cap)
        for level, (target, floor) in targets.items():
            services.set_target(actor=actor, item=item, level=level, target=target, floor=floor or None)
    plan = services.freeze_plan(actor=actor, plan=plan)
    assessment = services.run_assessment(actor=actor, plan=plan, today=today)
    return TargetsSummary(items=len(ITEMS), units=assessment.totals.count())
