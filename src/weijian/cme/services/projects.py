"""Projects: application, endorsement, review, execution, cancellation."""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from weijian.accounts.access import (
    access_object,
    institution_in_scope,
    require,
)
from weijian.accounts.roles import Scope
from weijian.audit.actions import AuditAction
from weijian.audit.services import audit_changes, audit_snapshot
from weijian.cme.errors import CmeErrorCode as E
from weijian.cme.models import (
    CmeProject,
    CreditClass,
    Delivery,
    ProjectLevel,
    ProjectStatus,
)
from weijian.cme.services._common import (
    _audit,
    _choice,
    _not_future,
    parse_credits,
)
from weijian.core.errors import BusinessError, NotFoundOrForbidden
from weijian.orgs.models import Institution

# ---- projects --------------------------------------------------------------------------------


@transaction.atomic
def project_create(
    *,
    actor,
    number: str,
    name: str,
    level: str,
    host: Institution,
    credits,
    start_date: dt.date,
    end_date: dt.date,
    discipline: str = "",
    credit_class: str = CreditClass.I,
    delivery: str = Delivery.FACE_TO_FACE,
) -> CmeProject:
    """A municipal project starts as an application (draft). National and provincial projects come
    from the published national/provincial lists, so only the commission enters them, as approved."""
    require(actor, "cme-project", "create")
    number, name = (number or "").strip(), (name or "").strip()
    if not number:
        raise BusinessError(E.NUMBER_REQUIRED, field="number")
    if not name:
        raise BusinessError(E.NAME_REQUIRED, field="name")
    _choice(level, ProjectLevel, "level")
    _choice(credit_class, CreditClass, "credit_class")
    _choice(delivery, Delivery, "delivery")
    if host is None or not institution_in_scope(actor, host):
        raise BusinessError(E.HOST_OUT_OF_SCOPE, field="host")
    if level != ProjectLevel.MUNICIPAL and actor.scope != Scope.CITY:
        raise BusinessError(E.MUNICIPAL_ONLY, field="level")
    if end_date < start_date:
        raise BusinessError(E.DATES_INVALID, field="end_date")
    if CmeProject.objects.filter(number=number).exists():
        raise BusinessError(E.NUMBER_TAKEN, field="number")
    status = ProjectStatus.DRAFT if level == ProjectLevel.MUNICIPAL else ProjectStatus.APPROVED
    project = CmeProject(
        number=number,
        name=name,
        level=level,
        host=host,
        discipline=discipline.strip(),
        credits=parse_credits(credits),
        credit_class=credit_class,
        delivery=delivery,
        start_date=start_date,
        end_date=end_date,
        status=status,
    )
    project.full_clean()
    project.save()
    _audit(actor, AuditAction.CREATE, "cme-project", project, project.name, after=audit_snapshot(project))
    return project


def _transition(
    actor, project: CmeProject, *, action: str, allowed: tuple, to: str, host_scope: bool, **fields
) -> CmeProject:
    require(actor, "cme-project", action)
    # Re-read under a row lock: two reviewers must not both move the same project.
    project = access_object(actor, CmeProject, project.pk, "view")
    project = CmeProject.objects.select_for_update().get(pk=project.pk)
    if host_scope and not institution_in_scope(actor, project.host):
        raise NotFoundOrForbidden
    if project.status not in allowed:
        raise BusinessError(E.STATUS_INVALID, field="status")
    before = audit_snapshot(project)
    project.status = to
    for field, value in fields.items():
        setattr(project, field, value)
    project.full_clean()
    project.save(update_fields=["status", *fields, "updated_at"])
    old, new = audit_changes(before, audit_snapshot(project))
    _audit(actor, AuditAction.UPDATE, "cme-project", project, project.name, before=old, after=new)
    return project


@transaction.atomic
def project_endorse(*, actor, project: CmeProject) -> CmeProject:
    """The applicant's institution (or its district) recommends the application to the commission."""
    return _transition(
        actor,
        project,
        action="endorse",
        allowed=(ProjectStatus.DRAFT,),
        to=ProjectStatus.ENDORSED,
        host_scope=True,
    )


@transaction.atomic
def project_approve(*, actor, project: CmeProject, reason: str = "") -> CmeProject:
    return _transition(
        actor,
        project,
        action="approve",
        allowed=(ProjectStatus.ENDORSED,),
        to=ProjectStatus.APPROVED,
        host_scope=False,
        decision_reason=reason.strip(),
    )


@transaction.atomic
def project_reject(*, actor, project: CmeProject, reason: str) -> CmeProject:
    if not (reason or "").strip():
        raise BusinessError(E.REASON_REQUIRED, field="reason")
    return _transition(
        actor,
        project,
        action="approve",
        allowed=(ProjectStatus.ENDORSED,),
        to=ProjectStatus.REJECTED,
        host_scope=False,
        decision_reason=reason.strip(),
    )


@transaction.atomic
def project_mark_held(
    *, actor, project: CmeProject, reported_on: dt.date | None = None, today: dt.date | None = None
) -> CmeProject:
    """The host reports that the project took place (执行情况报告)."""
    require(actor, "cme-project", "update")
    reported_on = reported_on or today or timezone.localdate()
    _not_future(reported_on, today, "reported_on")
    if reported_on < project.start_date:
        raise BusinessError(E.STATUS_INVALID, field="reported_on")
    return _transition(
        actor,
        project,
        action="update",
        allowed=(ProjectStatus.APPROVED,),
        to=ProjectStatus.HELD,
        host_scope=True,
        reported_on=reported_on,
    )


@transaction.atomic
def project_cancel(*, actor, project: CmeProject, reason: str) -> CmeProject:
    if not (reason or "").strip():
        raise BusinessError(E.REASON_REQUIRED, field="reason")
    if project.attendances.exists():
        raise BusinessError(E.STATUS_INVALID, field="status")
    return _transition(
        actor,
        project,
        action="update",
        allowed=(ProjectStatus.DRAFT, ProjectStatus.ENDORSED, ProjectStatus.APPROVED),
        to=ProjectStatus.CANCELLED,
        host_scope=True,
        decision_reason=reason.strip(),
    )
