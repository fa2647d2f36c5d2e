"""Yearly requirements, exemptions and the annual audit."""

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from weijian.accounts.access import (
    access_object,
    division_in_scope,
    require,
    scoped_queryset,
)
from weijian.audit.actions import AuditAction
from weijian.audit.services import audit_changes, audit_record, audit_snapshot
from weijian.cme.errors import CmeErrorCode as E
from weijian.cme.models import (
    AnnualAudit,
    CreditRequirement,
    CycleCertification,
    Exemption,
    TitleGroup,
    Verification,
)
from weijian.cme.selectors import policy_for, yearly_outcomes
from weijian.cme.services._common import (
    _audit,
    _choice,
    _non_negative,
    _require_worker,
    _year,
    parse_credits,
)
from weijian.core.errors import BusinessError
from weijian.orgs.models import Division
from weijian.workforce.models import Profession, Worker, WorkerStatus

# ---- requirements, exemptions, the annual audit ----------------------------------------------


@transaction.atomic
def requirement_set(
    *, actor, year: int, title_group: str, total, min_class_i, min_class_ii, remote_cap, profession: str = ""
) -> CreditRequirement:
    """Create or change the requirement of one group for one year (empty profession = all professions)."""
    require(actor, "cme-requirement", "update")
    _year(year)
    _choice(title_group, TitleGroup, "title_group")
    if profession:
        _choice(profession, Profession, "profession")
    values = {
        "total": parse_credits(total, "total"),
        "min_class_i": _non_negative(min_class_i, "min_class_i"),
        "min_class_ii": _non_negative(min_class_ii, "min_class_ii"),
        "remote_cap": _non_negative(remote_cap, "remote_cap"),
    }
    if values["min_class_i"] + values["min_class_ii"] > values["total"]:
        raise BusinessError(E.REQUIREMENT_INVALID, field="min_class_i")
    requirement = CreditRequirement.objects.filter(
        year=year, profession=profession, title_group=title_group
    ).first()
    before = audit_snapshot(requirement) if requirement else None
    requirement = requirement or CreditRequirement(year=year, profession=profession, title_group=title_group)
    for field, value in values.items():
        setattr(requirement, field, value)
    requirement.full_clean()
    requirement.save()
    summary = f"{year}年度学分要求 {requirement.get_title_group_display()}"
    if before is None:
        _audit(
            actor,
            AuditAction.CREATE,
            "cme-requirement",
            requirement,
            summary,
            after=audit_snapshot(requirement),
        )
    else:
        old, new = audit_changes(before, audit_snapshot(requirement))
        if new:
            _audit(actor, AuditAction.UPDATE, "cme-requirement", requirement, summary, before=old, after=new)
    return requirement


@transaction.atomic
def exemption_grant(*, actor, worker: Worker, year: int, reason: str) -> Exemption:
    """Exempt a worker from one year's requirement (long sick leave, study abroad, ...), approved at once."""
    require(actor, "cme-exemption", "approve")
    _require_worker(actor, worker)
    _year(year)
    reason = (reason or "").strip()
    if not reason:
        raise BusinessError(E.REASON_REQUIRED, field="reason")
    exemption = Exemption.objects.filter(worker=worker, year=year).first()
    before = audit_snapshot(exemption) if exemption else None
    exemption = exemption or Exemption(worker=worker, year=year)
    exemption.reason, exemption.status = reason[:200], Verification.VERIFIED
    exemption.approved_by, exemption.approved_at = actor, timezone.now()
    exemption.full_clean()
    exemption.save()
    _audit(
        actor,
        AuditAction.CREATE if before is None else AuditAction.UPDATE,
        "cme-exemption",
        exemption,
        f"{worker.name} {year}年度豁免",
        before=before,
        after=audit_snapshot(exemption),
    )
    return exemption


@dataclass(frozen=True)
class AuditRun:
    year: int
    audited: int
    passed: int
    failed: int
    no_requirement: int  # active workers whose group has no requirement that year: no row written


@transaction.atomic
def annual_audit_run(
    *, actor, year: int, district: Division | None = None, batch_size: int = 2000
) -> AuditRun:
    """Judge every active worker in the actor's scope (optionally one district) for `year` and store one
    AnnualAudit row each, replacing the rows of an earlier run for the same workers."""
    require(actor, "cme-audit", "run")
    _year(year)
    workers = scoped_queryset(actor, Worker, "list")
    if district is not None:
        if not division_in_scope(actor, district):
            raise BusinessError(E.DISTRICT_OUT_OF_SCOPE, field="district")
        workers = workers.filter(institution__district=district)
    AnnualAudit.objects.filter(year=year, worker__in=workers.values("pk")).delete()
    rows, passed, missing = [], 0, 0
    for worker_id, institution_id, group, outcome in yearly_outcomes(
        workers.filter(status=WorkerStatus.ACTIVE), year
    ):
        if outcome is None:
            missing += 1
            continue
        passed += outcome.passed
        rows.append(
            AnnualAudit(
                worker_id=worker_id,
                year=year,
                institution_id=institution_id,
                title_group=group,
                passed=outcome.passed,
                exempt=outcome.exempt,
                counted_total=outcome.counted_total,
                class_i=outcome.class_i,
                class_ii=outcome.class_ii,
                remote_counted=outcome.remote_counted,
                shortfall=outcome.shortfall,
                reason=outcome.reason[:255],
            )
        )
    AnnualAudit.objects.bulk_create(rows, batch_size=batch_size)
    result = AuditRun(year, len(rows), passed, len(rows) - passed, missing)
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        entity="cme-annual-audit",
        entity_id=year,
        summary=f"{year}年度学分审验：{result.audited}人，达标{result.passed}人，未达标{result.failed}人",
        after={
            "year": year,
            "district": district.pk if district else None,
            "audited": result.audited,
            "passed": result.passed,
            "failed": result.failed,
            "no_requirement": missing,
        },
    )
    return result


# ---- exemptions: request, decide -------------------------------------------------------------


@transaction.atomic
def exemption_request(*, actor, worker: Worker, year: int, reason: str) -> Exemption:
    """Ask for a year's exemption (the worker's institution, or the worker himself): pending until the
    district or the commission decides. A rejected request may be made again."""
    require(actor, "cme-exemption", "create")
    _require_worker(actor, worker)
    _year(year)
    reason = (reason or "").strip()
    if not reason:
        raise BusinessError(E.REASON_REQUIRED, field="reason")
    exemption = Exemption.objects.select_for_update().filter(worker=worker, year=year).first()
    if exemption is not None and exemption.status != Verification.REJECTED:
        raise BusinessError(E.EXEMPTION_EXISTS, field="year")
    before = audit_snapshot(exemption) if exemption else None
    exemption = exemption or Exemption(worker=worker, year=year)
    exemption.reason, exemption.status, exemption.requested_by = reason[:200], Verification.PENDING, actor
    exemption.decision_reason, exemption.approved_by, exemption.approved_at = "", None, None
    exemption.full_clean()
    exemption.save()
    _audit(actor, AuditAction.SUBMIT, "cme-exemption", exemption, f"{worker.name} {year}年度豁免申请",
           before=before, after=audit_snapshot(exemption))
    return exemption


@transaction.atomic
def exemption_decide(*, actor, exemption: Exemption, approve: bool, reason: str = "") -> Exemption:
    """Approve or reject a pending request (the worker's district, or the commission); rejecting needs a
    reason. Only approved exemptions count in the audit."""
    require(actor, "cme-exemption", "approve")
    exemption = access_object(actor, Exemption, exemption.pk, "approve")
    exemption = Exemption.objects.select_for_update(of=("self",)).select_related("worker").get(pk=exemption.pk)
    if exemption.status != Verification.PENDING:
        raise BusinessError(E.EXEMPTION_NOT_PENDING, field="status")
    reason = (reason or "").strip()
    if not approve and not reason:
        raise BusinessError(E.REASON_REQUIRED, field="reason")
    before = audit_snapshot(exemption)
    exemption.status = Verification.VERIFIED if approve else Verification.REJECTED
    exemption.decision_reason = reason[:200]
    exemption.approved_by, exemption.approved_at = actor, timezone.now()
    exemption.full_clean()
    exemption.save(update_fields=["status", "decision_reason", "approved_by", "approved_at", "updated_at"])
    old, new = audit_changes(before, audit_snapshot(exemption))
    _audit(actor, AuditAction.APPROVE if approve else AuditAction.REJECT, "cme-exemption", exemption,
           f"{exemption.worker.name} {exemption.year}年度豁免{'批准' if approve else '驳回'}", before=old, after=new)
    return exemption


# ---- cycle certification ---------------------------------------------------------------------


@dataclass(frozen=True)
class CycleRun:
    first_year: int
    last_year: int
    certified: int  # rows written
    passed: int
    failed: int
    no_requirement: int  # active workers with no judged year in the cycle: no row written


@transaction.atomic
def cycle_certify_run(*, actor, last_year: int, district: Division | None = None) -> CycleRun:
    """Certify the cycle ending `last_year` (its length from the policy of that year) for every active
    worker in scope: each year judged live like the annual audit (years without a requirement skipped);
    passed when at least one year was judged and every judged year passed (an exemption passes)."""
    require(actor, "cme-cycle", "run")
    _year(last_year)
    first_year = last_year - policy_for(last_year).cycle_years + 1
    workers = scoped_queryset(actor, Worker, "list")
    if district is not None:
        if not division_in_scope(actor, district):
            raise BusinessError(E.DISTRICT_OUT_OF_SCOPE, field="district")
        workers = workers.filter(institution__district=district)
    workers = workers.filter(status=WorkerStatus.ACTIVE)
    judged: dict[int, list] = {}
    institutions: dict[int, int] = {}
    for year in range(first_year, last_year + 1):
        for worker_id, institution_id, _group, outcome in yearly_outcomes(workers, year):
            institutions[worker_id] = institution_id
            if outcome is not None:
                judged.setdefault(worker_id, []).append((year, outcome))
    CycleCertification.objects.filter(first_year=first_year, worker__in=workers.values("pk")).delete()
    rows = []
    for worker_id, years in sorted(judged.items()):
        failing = [str(year) for year, outcome in years if not outcome.passed]
        passed = not failing
        reason = (f"周期内{len(years)}个年度均达标" if passed
                  else f"未达标年度：{'、'.join(failing)}")
        rows.append(CycleCertification(
            worker_id=worker_id, first_year=first_year, last_year=last_year,
            institution_id=institutions[worker_id], passed=passed,
            years_passed=len(years) - len(failing),
            counted_total=sum((outcome.counted_total for _, outcome in years), Decimal("0.0")),
            reason=reason[:255],
        ))
    CycleCertification.objects.bulk_create(rows, batch_size=2000)
    passed = sum(row.passed for row in rows)
    result = CycleRun(first_year, last_year, len(rows), passed, len(rows) - passed, len(institutions) - len(rows))
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        entity="cme-cycle",
        entity_id=last_year,
        summary=f"{first_year}—{last_year}年周期验证：{result.certified}人，合格{result.passed}人，"
                f"不合格{result.failed}人",
        after={"first_year": first_year, "last_year": last_year, "district": district.pk if district else None,
               "certified": result.certified, "passed": result.passed, "failed": result.failed,
               "no_requirement": result.no_requirement},
    )
    return result
