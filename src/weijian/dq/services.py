"""Writes of data-quality control: rules (validated, versioned), checking runs with their results and the
tickets they open and close, and the ticket workflow. Every write checks the gate and audits."""

import time
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from weijian.accounts.access import can, require, scoped_queryset
from weijian.audit.actions import AuditAction
from weijian.audit.services import audit_record, audit_snapshot
from weijian.core.errors import BusinessError, NotFoundOrForbidden
from weijian.dq import engine
from weijian.dq.defaults import DEFAULT_RULES
from weijian.dq.elements import ELEMENTS, ElementError
from weijian.dq.errors import DqErrorCode
from weijian.dq.expressions import ExpressionError, parse_rule
from weijian.dq.loading import stored_resources
from weijian.dq.models import DqResult, DqRule, DqRuleVersion, DqRun, DqTicket, DqWeight, Kind, TicketStatus
from weijian.records.models import Source, Upload
from weijian.terminology import operations as terminology_operations

RULE_FIELDS = ("name", "kind", "resource_type", "element", "params", "left", "operator", "right", "missing")
SAMPLE_SIZE = 5000


def spec_of(fields) -> engine.RuleSpec:
    """The engine's rule for a DqRule or a dict of its fields; BusinessError (Chinese) when it cannot run."""
    get = (lambda name: getattr(fields, name)) if isinstance(fields, DqRule) else fields.get
    params = get("params") or {}
    try:
        expression = None
        if get("kind") == Kind.CONSISTENCY:
            types = {code: element.kind for code, element in ELEMENTS.items()
                     if element.resource_type == get("resource_type")}
            expression = parse_rule(get("left") or "", get("operator") or "", get("right") or "", types,
                                    missing=get("missing") or "skip_if_any_value_missing")
        values = tuple(str(v) for v in params.get("values") or ())
        if params.get("value_set"):  # the codes of a terminology value set (its current expansion)
            values += tuple(_value_set_codes(str(params["value_set"])))
        spec = engine.RuleSpec(
            code=get("code") or "draft", kind=get("kind") or "", resource_type=get("resource_type") or "",
            element=get("element") or "", values=values,
            low=_number(params.get("low")), high=_number(params.get("high")), pattern=params.get("pattern") or "",
            expression=expression, limit_hours=_number(params.get("limit_hours")),
            keys=tuple(params.get("keys") or ()), method=params.get("method") or "",
            threshold=_number(params.get("threshold")))
        spec.check()
    except (ExpressionError, ElementError) as error:
        raise BusinessError(DqErrorCode.RULE_INVALID, str(error)) from None
    return spec


def _value_set_codes(url: str) -> list[str]:
    try:
        expansion = terminology_operations.expand(url.strip())
    except BusinessError as error:
        raise BusinessError(DqErrorCode.RULE_INVALID, f"值集无法展开：{error.message}") from None
    return [concept["code"] for concept in expansion["contains"]]


def _number(value) -> float | None:
    if value in (None, ""):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        raise BusinessError(DqErrorCode.RULE_INVALID, f"参数应为数字：{value}") from None


def _definition(rule: DqRule) -> dict:
    return {name: getattr(rule, name) for name in ("code", *RULE_FIELDS, "is_active")}


@transaction.atomic
def rule_create(*, actor, code: str, **fields) -> DqRule:
    require(actor, "dq-rule", "create")
    if not (fields.get("name") or "").strip():
        raise BusinessError(DqErrorCode.NAME_REQUIRED, field="name")
    spec_of({"code": code, **fields})
    try:
        with transaction.atomic():
            rule = DqRule.objects.create(code=code, updated_by=actor,
                                         **{k: v for k, v in fields.items() if k in (*RULE_FIELDS, "is_active")})
    except IntegrityError:
        raise BusinessError(DqErrorCode.CODE_TAKEN, field="code") from None
    DqRuleVersion.objects.create(rule=rule, version=1, definition=_definition(rule), created_by=actor)
    audit_record(actor=actor, action=AuditAction.CREATE, entity="dq-rule", entity_id=rule.pk,
                 summary=f"新增质控规则：{rule.code} {rule.name}", after=audit_snapshot(rule))
    return rule


@transaction.atomic
def rule_update(*, actor, rule: DqRule, **fields) -> DqRule:
    """A new version of the rule; results already stored keep naming the version they were judged by."""
    require(actor, "dq-rule", "update")
    rule = DqRule.objects.select_for_update().get(pk=rule.pk)
    before = audit_snapshot(rule)
    changed = {k: v for k, v in fields.items() if k in (*RULE_FIELDS, "is_active")}
    draft = {**_definition(rule), **changed}
    if not (draft.get("name") or "").strip():
        raise BusinessError(DqErrorCode.NAME_REQUIRED, field="name")
    spec_of(draft)
    for name, value in changed.items():
        setattr(rule, name, value)
    rule.version += 1
    rule.updated_by = actor
    rule.save()
    DqRuleVersion.objects.create(rule=rule, version=rule.version, definition=_definition(rule), created_by=actor)
    audit_record(actor=actor, action=AuditAction.UPDATE, entity="dq-rule", entity_id=rule.pk,
                 summary=f"修改质控规则：{rule.code}（第 {rule.version} 版）", before=before, after=audit_snapshot(rule))
    return rule


def rule_test(*, actor, fields: dict, sample: int = SAMPLE_SIZE) -> dict:
    """Try a rule (saved or not) on a sample of stored resources of its type: counts and the first failing
    ids. Reads only; nothing is stored."""
    require(actor, "dq-rule", "update")
    spec = spec_of(fields)
    frame = stored_resources(types=(spec.resource_type,)).head(sample)
    result = engine.check(frame, [spec])
    totals = engine.Counts()
    for counts in result.counts.values():
        totals.passed += counts.passed
        totals.failed += counts.failed
        totals.skipped += counts.skipped
    return {"resources": len(frame), "counts": totals, "failing_ids": engine.failing_ids(frame, spec, limit=20)}


@transaction.atomic
def seed_default_rules(*, actor) -> int:
    """Create the default rules that are missing (by code); returns how many were created."""
    created = 0
    existing = set(DqRule.objects.values_list("code", flat=True))
    for spec in DEFAULT_RULES:
        if spec.code in existing:
            continue
        fields = {"name": DEFAULT_NAMES.get(spec.code, spec.code), "kind": spec.kind,
                  "resource_type": spec.resource_type, "element": spec.element, "params": _params(spec)}
        if spec.expression is not None:
            fields.update(left=spec.expression.left.text, operator=spec.expression.operator,
                          right=spec.expression.right.text, missing=spec.expression.missing)
        rule_create(actor=actor, code=spec.code, **fields)
        created += 1
    return created


def _params(spec: engine.RuleSpec) -> dict:
    params = {"values": list(spec.values), "low": spec.low, "high": spec.high, "pattern": spec.pattern,
              "limit_hours": spec.limit_hours, "keys": list(spec.keys), "method": spec.method,
              "threshold": spec.threshold}
    return {k: v for k, v in params.items() if v not in (None, "", [])}


DEFAULT_NAMES = {
    "patient-gender-present": "性别必填", "patient-birth-present": "出生日期必填", "patient-name-present": "姓名必填",
    "patient-gender-valid": "性别代码有效", "patient-phone-format": "联系电话格式",
    "encounter-start-present": "就诊时间必填", "encounter-class-valid": "就诊类型代码有效",
    "encounter-end-after-start": "离院时间不早于入院时间", "encounter-within-24h": "就诊记录24小时内上传",
    "encounter-unique": "就诊记录不重复", "observation-code-present": "检查项目代码必填",
    "observation-status-valid": "结果状态代码有效", "bp-diastolic-below-systolic": "舒张压低于收缩压",
    "bp-systolic-range": "收缩压在50–260之间", "observation-within-24h": "检查结果24小时内上传",
    "observation-value-outlier": "检查数值离群（修正z分数）", "bp-systolic-outlier": "收缩压离群（z分数）",
}


# ---- runs ------------------------------------------------------------------------------------

def run_checks(*, actor, upload=None) -> DqRun:
    """Check stored resources (those of `upload`'s source when given) against every active rule; store the
    counts per rule and source, open tickets for failing rules and close those a source has fixed."""
    require(actor, "dq-run", "run")
    rules = list(DqRule.objects.filter(is_active=True))
    run = DqRun.objects.create(upload=upload, started_by=actor, rules=len(rules))
    started = time.perf_counter()
    source_ids = (upload.source_id,) if upload is not None else ()
    frame = stored_resources(source_ids=source_ids)
    specs = {rule.code: spec_of(rule) for rule in rules}
    checked = engine.check(frame, specs.values())
    with transaction.atomic():
        _store(run, rules, checked)
        run.resources = len(frame)
        run.status, run.finished_at = DqRun.Status.DONE, timezone.now()
        run.seconds = Decimal(f"{time.perf_counter() - started:.2f}")
        run.save()
        audit_record(actor=actor, action=AuditAction.CREATE, entity="dq-run", entity_id=run.pk,
                     summary=f"运行数据质控：{len(rules)} 条规则，{len(frame)} 条资源")
    return run


def check_upload(upload_id: int) -> DqRun | None:
    """The system's check after an upload: every active rule over the uploading source's stored data,
    kept as a run of that upload (its tickets opened or closed as by any run). Nothing when no rule is
    active, or when a run of the same source (or of all sources) started after this upload finished: it
    saw these data."""
    upload = Upload.objects.filter(pk=upload_id).select_related("source").first()
    rules = list(DqRule.objects.filter(is_active=True))
    if upload is None or not rules:
        return None
    seen = DqRun.objects.filter(Q(upload__source_id=upload.source_id) | Q(upload__isnull=True),
                                started_at__gte=upload.finished_at) if upload.finished_at else DqRun.objects.none()
    if seen.exists():  # a later run of this source, or of every source, already saw these data
        return None
    run = DqRun.objects.create(upload=upload, started_by=None, rules=len(rules))
    started = time.perf_counter()
    frame = stored_resources(source_ids=(upload.source_id,))
    checked = engine.check(frame, [spec_of(rule) for rule in rules])
    with transaction.atomic():
        _store(run, rules, checked)
        run.resources, run.status, run.finished_at = len(frame), DqRun.Status.DONE, timezone.now()
        run.seconds = Decimal(f"{time.perf_counter() - started:.2f}")
        run.save()
        audit_record(actor=None, action=AuditAction.CREATE, entity="dq-run", entity_id=run.pk, username="system",
                     summary=f"上传后自动质控：批次 {upload.pk}，{len(frame)} 条资源")
    return run


def _store(run: DqRun, rules: list[DqRule], checked: engine.CheckResult) -> None:
    by_code = {rule.code: rule for rule in rules}
    places = {pk: (institution, district) for pk, institution, district in
              Source.objects.values_list("pk", "institution_id", "institution__district_id")}
    rows = []
    for (code, source_id), counts in checked.counts.items():
        rule = by_code[code]
        institution, district = places.get(source_id, (None, ""))
        rows.append(DqResult(run=run, rule=rule, rule_version=rule.version, kind=rule.kind, source_id=source_id,
                             institution_id=institution, district_code=district or "", passed=counts.passed,
                             failed=counts.failed, skipped=counts.skipped))
    DqResult.objects.bulk_create(rows, batch_size=2000)
    _sync_tickets(run, rows)


def _sync_tickets(run: DqRun, results: list[DqResult]) -> None:
    open_tickets = {(t.rule_id, t.source_id): t for t in DqTicket.objects.filter(closed_at__isnull=True)}
    now = timezone.now()
    for result in results:
        if result.source_id is None:
            continue
        ticket = open_tickets.get((result.rule_id, result.source_id))
        if result.failed and ticket is None:
            DqTicket.objects.create(rule_id=result.rule_id, source_id=result.source_id,
                                    institution_id=result.institution_id, district_code=result.district_code,
                                    opened_run=run, last_run=run, failed=result.failed, first_failed=result.failed)
        elif ticket is not None and result.failed:
            ticket.failed, ticket.last_run = result.failed, run
            ticket.save(update_fields=["failed", "last_run", "updated_at"])
        elif ticket is not None and result.checked:  # the source's data now pass: closed by the re-upload
            ticket.failed, ticket.last_run, ticket.closed_at, ticket.closed_by_run = 0, run, now, True
            ticket.status = TicketStatus.VERIFIED
            ticket.save(update_fields=["failed", "last_run", "closed_at", "closed_by_run", "status", "updated_at"])


# ---- tickets ---------------------------------------------------------------------------------

_MOVES = {"acknowledge": (TicketStatus.OPEN, TicketStatus.ACKNOWLEDGED),
          "fix": (TicketStatus.ACKNOWLEDGED, TicketStatus.FIXED),
          "verify": (TicketStatus.FIXED, TicketStatus.VERIFIED)}


def ticket_moves(*, actor, ticket: DqTicket) -> list[str]:
    """The moves the actor may make on the ticket now (what the ticket page offers)."""
    if ticket.closed_at is not None:
        return []
    return [move for move, (before, _after) in _MOVES.items() if ticket.status == before and can(actor, "dq-ticket", move)]


@transaction.atomic
def ticket_move(*, actor, ticket_id: int, move: str, note: str = "") -> DqTicket:
    """open → acknowledged → fixed (the uploading institution) → verified and closed (the information
    centre). Fixing needs a note of what was done."""
    require(actor, "dq-ticket", move)
    ticket = scoped_queryset(actor, DqTicket, move).select_for_update().filter(pk=ticket_id).first()
    if ticket is None:
        raise NotFoundOrForbidden
    before, after = _MOVES[move]
    if ticket.status != before or ticket.closed_at is not None:
        raise BusinessError(DqErrorCode.TICKET_STATE)
    if move == "fix" and not note.strip():
        raise BusinessError(DqErrorCode.NOTE_REQUIRED, field="note")
    ticket.status = after
    if note.strip():
        ticket.note = (ticket.note + "\n" if ticket.note else "") + note.strip()
    if after == TicketStatus.VERIFIED:
        ticket.closed_at = timezone.now()
    ticket.save()
    audit_record(actor=actor, action=AuditAction.UPDATE, entity="dq-ticket", entity_id=ticket.pk,
                 summary=f"质控整改单：{TicketStatus(before).label} → {TicketStatus(after).label}")
    return ticket


@transaction.atomic
def weights_set(*, actor, weights: dict[str, int]) -> dict[str, int]:
    """The dimensions' weights in the composite score (whole numbers 0–100, not all zero)."""
    require(actor, "dq-rule", "update")
    clean = {}
    for kind in Kind.values:
        value = weights.get(kind, 0)
        if not isinstance(value, int) or not 0 <= value <= 100:
            raise BusinessError(DqErrorCode.RULE_INVALID, "权重应为0到100之间的整数", field=kind)
        clean[kind] = value
    if not any(clean.values()):
        raise BusinessError(DqErrorCode.RULE_INVALID, "各维度权重不能全为0")
    before = {w.kind: w.weight for w in DqWeight.objects.all()}
    for kind, value in clean.items():
        DqWeight.objects.update_or_create(kind=kind, defaults={"weight": value})
    audit_record(actor=actor, action=AuditAction.UPDATE, entity="dq-rule", summary="修改数据质量维度权重",
                 before=before, after=clean)
    return clean
