"""Writes of target assessment: work plans, their items and targets, freezing, and assessments.

Every write checks the gate, runs in one transaction and audits in it. A frozen plan cannot change; its
assessments are snapshots that later data changes do not touch.
"""

import datetime as dt
import time
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.utils import timezone

from weijian.accounts.access import require
from weijian.audit.actions import AuditAction
from weijian.audit.services import audit_record, audit_snapshot
from weijian.core.errors import BusinessError
from weijian.core.indicators import RATE
from weijian.orgs.models import InstitutionType
from weijian.targets import scoring
from weijian.targets.compute import compute_plan
from weijian.targets.errors import TargetErrorCode
from weijian.targets.models import (
    Assessment,
    AssessmentTotal,
    AssessmentValue,
    Level,
    PlanItem,
    PlanStatus,
    PlanTarget,
    ReportText,
    WorkPlan,
)
from weijian.targets.registry import all_indicators, get_indicator

HUNDRED = Decimal(100)
REPORT_TEXT_LIMIT = 5000  # characters per narrative block of the annual summary


def points(value: Decimal) -> str:
    """60.00 → "60", 12.50 → "12.5"."""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _editable(plan: WorkPlan) -> None:
    if plan.is_frozen:
        raise BusinessError(TargetErrorCode.PLAN_FROZEN)


def _decimal(value, code: TargetErrorCode, field: str) -> Decimal:
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise BusinessError(code, field=field) from None
    if not number.is_finite():
        raise BusinessError(code, field=field)
    return number


def _weight(value) -> Decimal:
    weight = _decimal(value, TargetErrorCode.WEIGHT_INVALID, "weight")
    if not (0 < weight <= HUNDRED) or weight != weight.quantize(Decimal("0.01")):
        raise BusinessError(TargetErrorCode.WEIGHT_INVALID, field="weight")
    return weight


# ---- plans -----------------------------------------------------------------------------------

@transaction.atomic
def create_plan(*, actor, year: int, title: str, note: str = "") -> WorkPlan:
    require(actor, "target-plan", "create")
    title = (title or "").strip()
    if not title:
        raise BusinessError(TargetErrorCode.TITLE_REQUIRED, field="title")
    if not (2000 <= int(year) <= timezone.localdate().year + 1):
        raise BusinessError(TargetErrorCode.YEAR_INVALID, field="year")
    try:
        with transaction.atomic():  # the unique constraint decides a race between two creators
            plan = WorkPlan.objects.create(year=year, title=title, note=(note or "").strip(), created_by=actor)
    except IntegrityError:
        raise BusinessError(TargetErrorCode.TITLE_TAKEN, field="title") from None
    audit_record(actor=actor, action=AuditAction.CREATE, entity="target-plan", entity_id=plan.pk,
                 summary=f"新建{year}年度工作计划：{title}", after=audit_snapshot(plan))
    return plan


@transaction.atomic
def add_item(*, actor, plan: WorkPlan, indicator_code: str, weight, rule: str = scoring.ScoringRule.LINEAR,
             bonus_cap=0) -> PlanItem:
    require(actor, "target-plan", "update")
    plan = WorkPlan.objects.select_for_update().get(pk=plan.pk)
    _editable(plan)
    indicator = get_indicator(indicator_code)
    if indicator is None:
        raise BusinessError(TargetErrorCode.INDICATOR_UNKNOWN, field="indicator_code")
    if plan.items.filter(indicator_code=indicator_code).exists():
        raise BusinessError(TargetErrorCode.INDICATOR_TWICE, field="indicator_code")
    if rule not in scoring.ScoringRule.values:
        raise BusinessError(TargetErrorCode.TARGET_INVALID, field="rule")
    cap = _decimal(bonus_cap or 0, TargetErrorCode.TARGET_INVALID, "bonus_cap")
    if cap < 0:
        raise BusinessError(TargetErrorCode.TARGET_INVALID, "加分上限不能为负数。", field="bonus_cap")
    item = PlanItem.objects.create(
        plan=plan, indicator_code=indicator.code, name=str(indicator.name), kind=indicator.kind,
        unit=indicator.unit, direction=indicator.direction, weight=_weight(weight), rule=rule, bonus_cap=cap,
        position=plan.items.count())
    audit_record(actor=actor, action=AuditAction.UPDATE, entity="target-plan", entity_id=plan.pk,
                 summary=f"加入指标：{item.name}（{item.weight}分）", after=audit_snapshot(item))
    return item


@transaction.atomic
def update_item(*, actor, item: PlanItem, weight, rule: str, bonus_cap=0) -> PlanItem:
    require(actor, "target-plan", "update")
    item = PlanItem.objects.select_for_update().select_related("plan").get(pk=item.pk)
    _editable(item.plan)
    if rule not in scoring.ScoringRule.values:
        raise BusinessError(TargetErrorCode.TARGET_INVALID, field="rule")
    before = audit_snapshot(item)
    item.weight, item.rule = _weight(weight), rule
    item.bonus_cap = _decimal(bonus_cap or 0, TargetErrorCode.TARGET_INVALID, "bonus_cap")
    for target in item.targets.all():  # a new rule may not suit the targets already set
        _check_target(item, target.target, target.floor)
    item.save()
    audit_record(actor=actor, action=AuditAction.UPDATE, entity="target-plan", entity_id=item.plan_id,
                 summary=f"修改指标：{item.name}", before=before, after=audit_snapshot(item))
    return item


@transaction.atomic
def remove_item(*, actor, item: PlanItem) -> None:
    require(actor, "target-plan", "update")
    item = PlanItem.objects.select_for_update().select_related("plan").get(pk=item.pk)
    _editable(item.plan)
    before = audit_snapshot(item)
    item.delete()
    audit_record(actor=actor, action=AuditAction.UPDATE, entity="target-plan", entity_id=item.plan_id,
                 summary=f"移除指标：{before['name']}", before=before)


def _check_target(item: PlanItem, target: Decimal, floor: Decimal | None) -> None:
    errors = scoring.check_standard(direction=item.direction, rule=item.rule, target=target, floor=floor,
                                    bonus_cap=item.bonus_cap)
    if item.kind == RATE and any(v is not None and not (0 <= v <= 1) for v in (target, floor)):
        errors.append("比率类指标的目标值和底线值应在0%到100%之间。")
    if any(v is not None and v < 0 for v in (target, floor)):
        errors.append("目标值和底线值不能为负数。")
    if errors:
        raise BusinessError(TargetErrorCode.TARGET_INVALID, f"{item.name}：" + " ".join(dict.fromkeys(errors)),
                            field="target")


@transaction.atomic
def set_target(*, actor, item: PlanItem, level: str, target, floor=None, institution_type: str = "") -> PlanTarget:
    """Set (or replace) the target of one level; rates as fractions (0.95). `institution_type` only with
    the institution level."""
    require(actor, "target-plan", "update")
    item = PlanItem.objects.select_for_update().select_related("plan").get(pk=item.pk)
    _editable(item.plan)
    if level not in Level.values or (institution_type and (level != Level.INSTITUTION
                                                           or institution_type not in InstitutionType.values)):
        raise BusinessError(TargetErrorCode.LEVEL_INVALID, field="level")
    target_value = _decimal(target, TargetErrorCode.TARGET_INVALID, "target")
    floor_value = None if floor in (None, "") else _decimal(floor, TargetErrorCode.TARGET_INVALID, "floor")
    _check_target(item, target_value, floor_value)
    row, created = PlanTarget.objects.update_or_create(
        item=item, level=level, institution_type=institution_type,
        defaults={"target": target_value, "floor": floor_value})
    audit_record(actor=actor, action=AuditAction.UPDATE, entity="target-plan", entity_id=item.plan_id,
                 summary=f"{'设置' if created else '修改'}目标值：{item.name}，{Level(level).label}"
                         f"{'（' + InstitutionType(institution_type).label + '）' if institution_type else ''}"
                         f" 目标 {target_value}，底线 {floor_value if floor_value is not None else '—'}",
                 after=audit_snapshot(row))
    return row


@transaction.atomic
def remove_target(*, actor, target: PlanTarget) -> None:
    require(actor, "target-plan", "update")
    target = PlanTarget.objects.select_related("item__plan").get(pk=target.pk)
    _editable(target.item.plan)
    before = audit_snapshot(target)
    target.delete()
    audit_record(actor=actor, action=AuditAction.UPDATE, entity="target-plan", entity_id=target.item.plan_id,
                 summary=f"删除目标值：{target.item.name}，{Level(target.level).label}", before=before)


def plan_problems(plan: WorkPlan) -> list[str]:
    """Why `plan` cannot be frozen yet (empty when it can)."""
    items = list(plan.items.prefetch_related("targets"))
    if not items:
        return [str(TargetErrorCode.NO_ITEMS.message)]
    problems = []
    total = sum((item.weight for item in items), Decimal(0))
    if total != HUNDRED:
        problems.append(f"{TargetErrorCode.WEIGHTS_NOT_100.message}（当前合计 {points(total)} 分）")
    bare = [item.name for item in items if not item.targets.all()]
    if bare:
        problems.append(f"{TargetErrorCode.NO_TARGETS.message}：{'、'.join(bare)}")
    declared = all_indicators()
    unknown = [item.name for item in items if item.indicator_code not in declared]
    if unknown:
        problems.append(f"{TargetErrorCode.INDICATOR_UNKNOWN.message}：{'、'.join(unknown)}")
    return problems


@transaction.atomic
def freeze_plan(*, actor, plan: WorkPlan) -> WorkPlan:
    require(actor, "target-plan", "freeze")
    plan = WorkPlan.objects.select_for_update().get(pk=plan.pk)
    _editable(plan)
    problems = plan_problems(plan)
    if problems:
        code = TargetErrorCode.WEIGHTS_NOT_100 if any("100" in p for p in problems) else TargetErrorCode.NO_TARGETS
        raise BusinessError(code, "；".join(problems))
    plan.status, plan.frozen_at, plan.frozen_by = PlanStatus.FROZEN, timezone.now(), actor
    plan.save(update_fields=["status", "frozen_at", "frozen_by", "updated_at"])
    audit_record(actor=actor, action=AuditAction.APPROVE, entity="target-plan", entity_id=plan.pk,
                 summary=f"冻结{plan.year}年度工作计划：{plan.title}")
    return plan


# ---- assessments -----------------------------------------------------------------------------

@transaction.atomic
def run_assessment(*, actor, plan: WorkPlan, today: dt.date | None = None) -> Assessment:
    """Compute `plan` for every unit of the city and store the snapshot."""
    require(actor, "target-assessment", "run")
    plan = WorkPlan.objects.get(pk=plan.pk)
    if not plan.is_frozen:
        raise BusinessError(TargetErrorCode.PLAN_NOT_FROZEN)
    today = today or timezone.localdate()
    started = time.perf_counter()
    computed = compute_plan(plan, today=today)
    assessment = Assessment.objects.create(plan=plan, as_of=today, computed_by=actor)
    AssessmentValue.objects.bulk_create([
        AssessmentValue(
            assessment=assessment, item=v.item, level=v.unit.level, district_code=v.unit.district_code,
            institution_id=v.unit.institution_id, unit_name=v.unit.name, numerator=v.tally.numerator,
            denominator=v.tally.denominator, actual=v.actual, target=v.standard.target if v.standard else None,
            floor=v.standard.floor if v.standard else None, score=v.score, rag=v.rag)
        for v in computed.values
    ], batch_size=2000)
    AssessmentTotal.objects.bulk_create([
        AssessmentTotal(
            assessment=assessment, level=t.unit.level, district_code=t.unit.district_code,
            institution_id=t.unit.institution_id, unit_name=t.unit.name, score=t.score, rank=t.rank, rag=t.rag,
            items_met=t.items_met, items_scored=t.items_scored)
        for t in computed.totals
    ], batch_size=2000)
    assessment.seconds = Decimal(f"{time.perf_counter() - started:.2f}")
    assessment.save(update_fields=["seconds"])
    audit_record(actor=actor, action=AuditAction.CREATE, entity="target-assessment", entity_id=assessment.pk,
                 summary=f"计算考核结果：{plan.year} {plan.title}（数据截至 {today}）")
    return assessment



@transaction.atomic
def report_text_set(*, actor, plan: WorkPlan, block: str, text: str) -> ReportText:
    """Write a narrative block of the plan's annual summary (allowed after freezing: the figures around it
    come from the stored assessment, the words are the commission's)."""
    require(actor, "target-plan", "update")
    if block not in ReportText.Block.values:
        raise BusinessError(TargetErrorCode.LEVEL_INVALID, field="block")
    row, _created = ReportText.objects.update_or_create(
        plan=plan, block=block, defaults={"text": (text or "").strip()[:REPORT_TEXT_LIMIT], "updated_by": actor})
    audit_record(actor=actor, action=AuditAction.UPDATE, entity="target-plan", entity_id=plan.pk,
                 summary=f"修改年度总结段落：{ReportText.Block(block).label}")
    return row
