"""Yearly requirements, exemptions and the annual audit."""

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from weijian.accounts.access import (
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
    Exemption,
    TitleGroup,
    Verification,
)
from weijian.cme.selectors import yearly_outcomes
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
