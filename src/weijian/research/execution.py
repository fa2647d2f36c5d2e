"""Writes after a project is funded: the task agreement (任务书), mid-term checks, changes (extension,
PI change, budget change, termination) with the commission's approval, outputs, closure (结题) with
the expert acceptance's verdict, and forced termination.

Split from services.py (the application and review workflow) to keep each module small; the same
conventions hold: keyword-only, actor first, the gate first, one audit row per write, refusals
audited before the write's transaction.
"""

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from weijian.accounts.access import require
from weijian.accounts.roles import Role
from weijian.audit.actions import AuditAction
from weijian.audit.services import audit_record
from weijian.core.errors import BusinessError
from weijian.research.errors import ResearchErrorCode as E
from weijian.research.models import (
    Application,
    ApplicationStatus,
    CallCategory,
    ChangeKind,
    ChangeStatus,
    Closure,
    ClosureVerdict,
    MidTermCheck,
    ProjectChange,
    ProjectOutput,
    TaskAgreement,
)
from weijian.research.services import _money, _refuse

ENTITY = "research-application"


def _commission(actor, application: Application, what: str) -> None:
    if actor.role != Role.COMMISSION_SCIENCE:
        _refuse(actor, E.STATUS_INVALID, entity=ENTITY, obj=application, reason=_("只有卫健委科教处可以%(what)s") % {"what": what})
    require(actor, ENTITY, "decide")


def _pi(actor, application: Application) -> None:
    if actor.role != Role.HEALTH_WORKER or actor.worker_id != application.pi_id:
        _refuse(actor, E.NOT_THE_PI, entity=ENTITY, obj=application)


def _status(application: Application, *allowed: str) -> None:
    if application.status not in allowed:
        raise BusinessError(E.STATUS_INVALID, _("%(message)s（当前状态：%(status)s）") % {
            "message": E.STATUS_INVALID.message, "status": application.get_status_display()})


def agreement_issue(*, actor, application: Application, starts_on: dt.date, ends_on: dt.date,
                    milestones=()) -> TaskAgreement:
    """Issue the task agreement of an approved project: funding as approved; the project starts executing."""
    _commission(actor, application, _("下达任务书"))
    _status(application, ApplicationStatus.APPROVED)
    if application.call.category == CallCategory.RECOMMENDATION:
        raise BusinessError(E.STATUS_INVALID, _("推荐项目由上级计划管理，不下达市级任务书"))
    if ends_on <= starts_on:
        raise BusinessError(E.DATES_INVALID, field="ends_on")
    with transaction.atomic():
        agreement = TaskAgreement.objects.create(
            application=application, number=f"RW{application.number[2:]}", starts_on=starts_on, ends_on=ends_on,
            funding=application.funded_amount, milestones=list(milestones), issued_by=actor)
        application.status = ApplicationStatus.EXECUTING
        application.save(update_fields=["status", "updated_at"])
        audit_record(actor=actor, action=AuditAction.CREATE, entity=ENTITY, entity_id=application.pk,
                     summary=f"下达任务书 {agreement.number}：{starts_on} 至 {ends_on}，经费 {agreement.funding} 万元")
    return agreement


def midterm_record(*, actor, application: Application, report: str, fund_use, rating: str,
                   comment: str = "") -> MidTermCheck:
    _commission(actor, application, _("登记中期检查"))
    _status(application, ApplicationStatus.EXECUTING)
    with transaction.atomic():
        check = MidTermCheck.objects.create(application=application, report=report.strip(), fund_use=_money(fund_use),
                                            rating=rating, comment=comment.strip(), checked_by=actor)
        audit_record(actor=actor, action=AuditAction.CREATE, entity=ENTITY, entity_id=application.pk,
                     summary=f"中期检查：{check.get_rating_display()}，已用经费 {check.fund_use} 万元")
    return check


def change_request(*, actor, application: Application, kind: str, reason: str, new_ends_on: dt.date | None = None,
                   new_pi=None, new_funding=None) -> ProjectChange:
    """The PI asks for a change; the commission decides (change_decide)."""
    _pi(actor, application)  # before the role check: a wrong-role attempt is refused and audited too
    require(actor, ENTITY, "update")
    _status(application, ApplicationStatus.EXECUTING)
    if not reason.strip():
        raise BusinessError(E.COMMENT_REQUIRED, field="reason")
    if kind == ChangeKind.EXTENSION and (new_ends_on is None or new_ends_on <= application.agreement.ends_on):
        raise BusinessError(E.DATES_INVALID, _("延期申请应填写晚于原结题期限的日期"), field="new_ends_on")
    if kind == ChangeKind.PI_CHANGE and new_pi is None:
        raise BusinessError(E.WORKER_OUT_OF_SCOPE, _("请选择新的项目负责人"), field="new_pi")
    funding = _money(new_funding) if kind == ChangeKind.BUDGET_CHANGE else None
    with transaction.atomic():
        change = ProjectChange.objects.create(application=application, kind=kind, reason=reason.strip(),
                                              new_ends_on=new_ends_on if kind == ChangeKind.EXTENSION else None,
                                              new_pi=new_pi if kind == ChangeKind.PI_CHANGE else None,
                                              new_funding=funding, requested_by=actor)
        audit_record(actor=actor, action=AuditAction.SUBMIT, entity=ENTITY, entity_id=application.pk,
                     summary=f"申请项目变更：{change.get_kind_display()}")
    return change


def change_decide(*, actor, change: ProjectChange, approve: bool, comment: str = "") -> ProjectChange:
    application = change.application
    _commission(actor, application, _("审批项目变更"))
    if change.status != ChangeStatus.PENDING:
        raise BusinessError(E.STATUS_INVALID)
    if not approve and not comment.strip():
        raise BusinessError(E.COMMENT_REQUIRED, field="comment")
    with transaction.atomic():
        change.status = ChangeStatus.APPROVED if approve else ChangeStatus.REJECTED
        change.decided_by, change.decision_comment = actor, comment.strip()
        change.save(update_fields=["status", "decided_by", "decision_comment", "updated_at"])
        if approve:
            _apply_change(change)
        audit_record(actor=actor, action=AuditAction.APPROVE if approve else AuditAction.REJECT, entity=ENTITY,
                     entity_id=application.pk,
                     summary=f"{'批准' if approve else '不批准'}项目变更：{change.get_kind_display()}")
    return change


def _apply_change(change: ProjectChange) -> None:
    application, agreement = change.application, change.application.agreement
    if change.kind == ChangeKind.EXTENSION:
        agreement.ends_on = change.new_ends_on
        agreement.save(update_fields=["ends_on", "updated_at"])
    elif change.kind == ChangeKind.PI_CHANGE:
        application.pi = change.new_pi
        application.save(update_fields=["pi", "updated_at"])
    elif change.kind == ChangeKind.BUDGET_CHANGE:
        agreement.funding = change.new_funding
        agreement.save(update_fields=["funding", "updated_at"])
    elif change.kind == ChangeKind.TERMINATION:
        application.status = ApplicationStatus.TERMINATED
        application.save(update_fields=["status", "updated_at"])


def output_add(*, actor, application: Application, kind: str, title: str, achieved_on: dt.date,
               reference: str = "") -> ProjectOutput:
    _pi(actor, application)  # before the role check: a wrong-role attempt is refused and audited too
    require(actor, ENTITY, "update")
    _status(application, ApplicationStatus.EXECUTING, ApplicationStatus.CLOSED)
    if achieved_on > timezone.localdate():
        raise BusinessError(E.DATES_INVALID, _("取得日期不能晚于今天"), field="achieved_on")
    with transaction.atomic():
        output = ProjectOutput.objects.create(application=application, kind=kind, title=title.strip(),
                                              reference=reference.strip(), achieved_on=achieved_on)
        audit_record(actor=actor, action=AuditAction.CREATE, entity=ENTITY, entity_id=application.pk,
                     summary=f"登记项目成果（{output.get_kind_display()}）：{output.title[:100]}")
    return output


def closure_submit(*, actor, application: Application, summary: str) -> Closure:
    _pi(actor, application)  # before the role check: a wrong-role attempt is refused and audited too
    require(actor, ENTITY, "update")
    _status(application, ApplicationStatus.EXECUTING)
    if not summary.strip():
        raise BusinessError(E.COMMENT_REQUIRED, _("请填写结题报告"), field="summary")
    with transaction.atomic():
        closure, _created = Closure.objects.update_or_create(
            application=application, defaults={"summary": summary.strip(), "submitted_at": timezone.now(),
                                               "verdict": "", "verdict_comment": ""})
        audit_record(actor=actor, action=AuditAction.SUBMIT, entity=ENTITY, entity_id=application.pk,
                     summary=f"提交结题报告：{application.number}")
    return closure


def closure_accept(*, actor, application: Application, verdict: str, comment: str = "",
                   today: dt.date | None = None) -> Closure:
    """The expert acceptance's verdict, recorded by the commission. Passing (or passing after changes)
    closes the project; a failed acceptance sends it back to the PI (still executing)."""
    _commission(actor, application, _("登记结题验收"))
    _status(application, ApplicationStatus.EXECUTING)
    closure = Closure.objects.filter(application=application).first()
    if closure is None:
        raise BusinessError(E.STATUS_INVALID, _("项目负责人尚未提交结题报告"))
    if verdict == ClosureVerdict.FAILED and not comment.strip():
        raise BusinessError(E.COMMENT_REQUIRED, field="comment")
    with transaction.atomic():
        closure.verdict, closure.verdict_comment, closure.accepted_by = verdict, comment.strip(), actor
        if verdict != ClosureVerdict.FAILED:
            closure.closed_on = today or timezone.localdate()
            application.status = ApplicationStatus.CLOSED
            application.save(update_fields=["status", "updated_at"])
        closure.save()
        audit_record(actor=actor, action=AuditAction.APPROVE if verdict != ClosureVerdict.FAILED else AuditAction.REJECT,
                     entity=ENTITY, entity_id=application.pk,
                     summary=f"结题验收：{closure.get_verdict_display()}（{application.number}）")
    return closure


def project_terminate(*, actor, application: Application, reason: str) -> Application:
    """Forced termination by the commission (e.g. a project long overdue, or misconduct)."""
    _commission(actor, application, _("强制终止项目"))
    _status(application, ApplicationStatus.APPROVED, ApplicationStatus.EXECUTING)
    if not reason.strip():
        raise BusinessError(E.COMMENT_REQUIRED, field="reason")
    with transaction.atomic():
        application.status = ApplicationStatus.TERMINATED
        application.save(update_fields=["status", "updated_at"])
        audit_record(actor=actor, action=AuditAction.UPDATE, entity=ENTITY, entity_id=application.pk,
                     summary=f"强制终止项目 {application.number}：{reason.strip()[:150]}")
    return application
