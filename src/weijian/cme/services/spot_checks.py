"""Spot checks of held projects: a reproducible stratified draw (cme.sampling) and the findings."""

import datetime as dt
import secrets
from decimal import Decimal

from django.db import transaction
from django.db.models import Min
from django.utils import timezone

from weijian.accounts.access import access_object, require, scoped_queryset
from weijian.audit.actions import AuditAction
from weijian.audit.services import audit_changes, audit_snapshot
from weijian.cme import sampling
from weijian.cme.errors import CmeErrorCode as E
from weijian.cme.models import (
    CmeProject,
    ProjectStatus,
    SpotCheckDraw,
    SpotCheckItem,
    SpotCheckResult,
)
from weijian.cme.selectors import policy_for
from weijian.cme.services._common import _audit, _choice, _not_future
from weijian.cme.services.projects import parse_rate
from weijian.core.errors import BusinessError

FIRST_TIME_WEIGHT = 2.0  # a host that has never held a project before this one
FLAGGED_FACTOR = 2.0  # a host with an earlier spot check found minor or serious
MAX_SEED = 2**63 - 1


def risk_weights(projects: list[CmeProject]) -> dict[int, float]:
    """Weight of each project: 2.0 for a first-time host (no held project of the host ends before this
    one), times 2 for a host with an earlier item found minor or serious; otherwise 1.0."""
    hosts = {p.host_id for p in projects}
    first_end = dict(
        CmeProject.objects.filter(host_id__in=hosts, status=ProjectStatus.HELD)
        .values("host_id").annotate(first=Min("end_date")).values_list("host_id", "first").order_by()
    )
    flagged = set(
        SpotCheckItem.objects.filter(project__host_id__in=hosts,
                                     result__in=(SpotCheckResult.MINOR, SpotCheckResult.SERIOUS))
        .values_list("project__host_id", flat=True)
    )
    weights = {}
    for p in projects:
        weight = FIRST_TIME_WEIGHT if p.end_date <= first_end.get(p.host_id, p.end_date) else 1.0
        weights[p.pk] = weight * (FLAGGED_FACTOR if p.host_id in flagged else 1.0)
    return weights


@transaction.atomic
def spot_check_draw(
    *,
    actor,
    name: str,
    period_start: dt.date,
    period_end: dt.date,
    rate=None,
    seed: int | None = None,
    risk_weighted: bool = False,
) -> SpotCheckDraw:
    """Draw a stratified sample (level × district) of the held projects ending within the period.
    `rate` defaults to the policy of period_end's year; `seed` to a fresh random one, stored, so the
    same inputs re-draw the same projects."""
    require(actor, "cme-spot-check", "create")
    name = (name or "").strip()
    if not name:
        raise BusinessError(E.NAME_REQUIRED, field="name")
    if period_end < period_start:
        raise BusinessError(E.PERIOD_INVALID, field="period_end")
    rate = parse_rate(policy_for(period_end.year).spot_check_rate if rate is None else rate, "rate")
    if seed is None:
        seed = secrets.randbits(62)
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise BusinessError(E.SEED_INVALID, field="seed")
    projects = list(
        scoped_queryset(actor, CmeProject, "view")
        .filter(status=ProjectStatus.HELD, end_date__gte=period_start, end_date__lte=period_end)
        .select_related("host").order_by("pk")
    )
    if not projects:
        raise BusinessError(E.NOTHING_TO_DRAW, field="period_start")
    weights = risk_weights(projects) if risk_weighted else {p.pk: 1.0 for p in projects}
    by_id = {p.pk: p for p in projects}
    candidates = [sampling.Candidate(p.pk, p.level, p.host.district_id, weights[p.pk]) for p in projects]
    strata = sampling.draw(candidates, rate, seed, weighted=risk_weighted)
    draw = SpotCheckDraw(name=name[:100], period_start=period_start, period_end=period_end, rate=rate,
                         seed=seed, risk_weighted=risk_weighted, population=len(projects), drawn_by=actor)
    draw.full_clean()
    draw.save()
    items = [
        SpotCheckItem(draw=draw, project=by_id[c.id], stratum=stratum.key[:64],
                      risk_weight=Decimal(str(c.weight)).quantize(Decimal("0.01")))
        for stratum in strata for c in stratum.chosen
    ]
    SpotCheckItem.objects.bulk_create(items)
    _audit(
        actor, AuditAction.DRAW, "cme-spot-check", draw,
        f"{draw.name}：{len(projects)}个项目中抽取{len(items)}个",
        after={
            "seed": seed, "rate": str(rate), "risk_weighted": risk_weighted,
            "period": [period_start.isoformat(), period_end.isoformat()],
            "population": len(projects), "drawn": len(items),
            "strata": {s.key: [s.size, len(s.chosen)] for s in strata},
            "projects": sampling.chosen_ids(strata),
        },
    )
    return draw


@transaction.atomic
def spot_check_record(
    *, actor, item: SpotCheckItem, result: str, findings: str = "", inspected_on: dt.date,
    today: dt.date | None = None,
) -> SpotCheckItem:
    """Record the findings of one sampled project (commission, or the district of its host)."""
    require(actor, "cme-spot-check", "update")
    item = access_object(actor, SpotCheckItem, item.pk, "update")
    item = SpotCheckItem.objects.select_for_update(of=("self",)).select_related("project").get(pk=item.pk)
    _choice(result, SpotCheckResult, "result")
    if result == SpotCheckResult.PENDING:
        raise BusinessError(E.RESULT_REQUIRED, field="result")
    findings = (findings or "").strip()
    if result in (SpotCheckResult.MINOR, SpotCheckResult.SERIOUS) and not findings:
        raise BusinessError(E.FINDINGS_REQUIRED, field="findings")
    _not_future(inspected_on, today or timezone.localdate(), "inspected_on")
    before = audit_snapshot(item)
    item.result, item.findings, item.inspected_on, item.inspector = result, findings, inspected_on, actor
    item.full_clean()
    item.save(update_fields=["result", "findings", "inspected_on", "inspector", "updated_at"])
    old, new = audit_changes(before, audit_snapshot(item))
    _audit(actor, AuditAction.UPDATE, "cme-spot-check-item", item,
           f"抽查 {item.project.number}：{item.get_result_display()}", before=old, after=new)
    return item
