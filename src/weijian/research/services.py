"""Writes of research project management: calls, applications through their routing, expert review,
decisions, ethics approvals and integrity cases.

Every gate is judged here, whatever door the request comes in by: the role (accounts.access), the
eligibility rules and integrity sanctions (rules.py), the conflict-free expert assignment
(assignment.py). A refused step writes an audit row with outcome "denied" and raises a BusinessError
with the reason in the user's language (the reasons judged by the pure rules.py stay Chinese): refusals
are checked before the write's transaction, so their audit row stays when nothing else is written. Audit
summaries are Chinese text, though the labels and refusal reasons they quote are in the actor's language.
"""

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from weijian.accounts.access import require
from weijian.accounts.roles import Role
from weijian.audit.actions import AuditAction
from weijian.audit.services import audit_record, audit_snapshot
from weijian.core.errors import BusinessError
from weijian.research import completeness, rules
from weijian.research.assignment import ApplicationNeed, ExpertCandidate, assign
from weijian.research.errors import ResearchErrorCode as E
from weijian.research.indicators import due_on
from weijian.research.models import (
    EDITABLE,
    OWN_PROJECTS,
    Application,
    ApplicationEvent,
    ApplicationStatus,
    AssignmentStatus,
    Call,
    CallStatus,
    EthicsApproval,
    EthicsDecision,
    Expert,
    ExpertConflict,
    IntegrityCase,
    ReviewAssignment,
    TeamMember,
)
from weijian.workforce.models import Worker, WorkerStatus

DECIDED = (ApplicationStatus.APPROVED, ApplicationStatus.REJECTED, ApplicationStatus.EXECUTING,
           ApplicationStatus.CLOSED, ApplicationStatus.TERMINATED)
APPLICATION_FIELDS = ("title", "specialty", "summary", "plan", "expected_outputs", "budget_total",
                      "human_subjects", "human_genetic_resources", "pathogens", "hgr_reference",
                      "biosafety_reference", "budget_lines", "milestones")


def _refuse(actor, code: E, *, entity: str, obj=None, reason: str | None = None):
    """Audit a refused step (outcome "denied", the reason in the summary) and raise it."""
    error = BusinessError(code, reason)
    audit_record(actor=actor, action=AuditAction.UPDATE, entity=entity, entity_id=getattr(obj, "pk", "") or "",
                 summary=f"拒绝：{error.message}", outcome="denied")
    raise error


def sanctions_of(worker_id: int) -> tuple[rules.Sanction, ...]:
    return tuple(rules.Sanction(kind, start, end) for kind, start, end in
                 IntegrityCase.objects.filter(worker_id=worker_id).values_list("sanction", "starts_on", "ends_on"))


def _gate(actor, worker: Worker, gate: str, *, entity: str, obj=None, today: dt.date | None = None) -> None:
    """Stop a sanctioned person at `gate` while the sanction lasts, saying why (and auditing it)."""
    reason = rules.blocking_reason(sanctions_of(worker.pk), today or timezone.localdate(), gate)
    if reason:
        _refuse(actor, E.SANCTIONED, entity=entity, obj=obj, reason=f"{worker.name}：{reason}")


# ---- calls --------------------------------------------------------------------------------------------

@transaction.atomic
def call_create(*, actor, year: int, title: str, category: str, budget_ceiling, opens_on: dt.date,
                closes_on: dt.date, min_title_level: str = "", youth_age_limit: int | None = None,
                institution_quota: int | None = None, priority_fields=(), required_attachments=(),
                experts_per_application: int = 5) -> Call:
    require(actor, "research-call", "create")
    if closes_on < opens_on:
        raise BusinessError(E.DATES_INVALID, field="closes_on")
    call = Call(year=year, title=title.strip(), category=category, budget_ceiling=_money(budget_ceiling),
                opens_on=opens_on, closes_on=closes_on, min_title_level=min_title_level or "",
                youth_age_limit=youth_age_limit, institution_quota=institution_quota,
                priority_fields=list(priority_fields), required_attachments=list(required_attachments),
                experts_per_application=experts_per_application, created_by=actor)
    _clean(call)
    call.save()
    audit_record(actor=actor, action=AuditAction.CREATE, entity="research-call", entity_id=call.pk,
                 summary=f"新建申报通知：{call.title}", after=audit_snapshot(call))
    return call


@transaction.atomic
def call_publish(*, actor, call: Call) -> Call:
    require(actor, "research-call", "update")
    if call.status != CallStatus.DRAFT:
        raise BusinessError(E.STATUS_INVALID)
    call.status = CallStatus.OPEN
    call.save(update_fields=["status", "updated_at"])
    audit_record(actor=actor, action=AuditAction.UPDATE, entity="research-call", entity_id=call.pk,
                 summary=f"发布申报通知：{call.title}", before={"status": "draft"}, after={"status": "open"})
    return call


def _money(value) -> Decimal:
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        raise BusinessError(E.AMOUNT_INVALID) from None
    if not amount.is_finite() or amount < 0:
        raise BusinessError(E.AMOUNT_INVALID)
    return amount


def _clean(obj) -> None:
    try:
        obj.full_clean()
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise BusinessError(E.CALL_INVALID if isinstance(obj, Call) else E.STATUS_INVALID,
                            f"{messages[0]}", field=field) from None


# ---- applications: the PI's part ---------------------------------------------------------------------

def _own(actor, application: Application, *, action: str) -> None:
    """Only the PI writes his application, and only while it is his to edit."""
    if actor.role != Role.HEALTH_WORKER or actor.worker_id != application.pi_id:
        _refuse(actor, E.NOT_THE_PI, entity="research-application", obj=application)
    if application.status not in EDITABLE:
        _refuse(actor, E.NOT_EDITABLE, entity="research-application", obj=application,
                reason=_("%(message)s（当前状态：%(status)s，操作：%(action)s）") % {
                    "message": E.NOT_EDITABLE.message, "status": application.get_status_display(), "action": action})


def application_create(*, actor, call: Call, title: str, specialty: str, **fields) -> Application:
    """The PI starts an application to an open call (he must not be barred from applying)."""
    require(actor, "research-application", "create")
    pi = Worker.objects.select_related("institution").get(pk=actor.worker_id)
    if call.status != CallStatus.OPEN:
        raise BusinessError(E.CALL_NOT_OPEN)
    _gate(actor, pi, "apply", entity="research-application")
    with transaction.atomic():
        application = Application(call=call, title=title.strip(), specialty=specialty.strip(), pi=pi,
                                  institution=pi.institution, number=_next_number(call))
        _set_fields(application, fields)
        _clean(application)
        application.save()
        audit_record(actor=actor, action=AuditAction.CREATE, entity="research-application",
                     entity_id=application.pk, summary=f"新建申报书 {application.number}：{application.title}")
    return application


def _set_fields(application: Application, fields: dict) -> None:
    """Set the PI's fields, parsed: money to two places, the budget by its heads (the total becomes their
    sum), milestones from a list or from the form's lines."""
    for name, value in fields.items():
        if name not in APPLICATION_FIELDS:
            raise TypeError(f"unknown application field {name}")
        if name == "budget_total":
            value = _money(value)
        elif name == "budget_lines":
            try:
                value = completeness.clean_budget(value)
            except ValueError as exc:
                raise BusinessError(E.FORM_INVALID, str(exc), field="budget_lines") from None
        elif name == "milestones":
            value = _milestones(value)
        setattr(application, name, value)
    if fields.get("budget_lines"):
        application.budget_total = completeness.budget_total(application.budget_lines)


def _milestones(value) -> list[dict]:
    text = value if isinstance(value, str) else completeness.milestones_text(value)
    try:
        milestones, problems = completeness.parse_milestones(text)
    except (KeyError, TypeError):
        raise BusinessError(E.FORM_INVALID, _("进度安排应为完成日期和阶段目标"), field="milestones") from None
    if problems:
        raise BusinessError(E.FORM_INVALID, "；".join(problems), field="milestones")
    return [m.as_json() for m in milestones]


def _next_number(call: Call) -> str:
    """Call year, call id and a sequence: readable, unique (the unique index settles a race)."""
    count = Application.objects.filter(call=call).count() + 1
    return f"KY{call.year}-{call.pk:03d}-{count:04d}"


def application_update(*, actor, application: Application, **fields) -> Application:
    _own(actor, application, action=_("修改"))  # before the role check, so that any refusal is audited
    require(actor, "research-application", "update")
    with transaction.atomic():
        before = audit_snapshot(application)
        _set_fields(application, fields)
        _clean(application)
        application.save()
        after = audit_snapshot(application)
        changed = [k for k in after if before.get(k) != after.get(k) and k != "updated_at"]
        audit_record(actor=actor, action=AuditAction.UPDATE, entity="research-application",
                     entity_id=application.pk, summary=f"修改申报书 {application.number}",
                     before={k: before[k] for k in changed}, after={k: after[k] for k in changed})
    return application


def team_member_add(*, actor, application: Application, worker: Worker, role: str = "member") -> TeamMember:
    _own(actor, application, action=_("添加团队成员"))  # before the role check, so that any refusal is audited
    require(actor, "research-application", "update")
    if worker.pk == application.pi_id or application.team.filter(worker=worker).exists():
        raise BusinessError(E.TEAM_DUPLICATE)
    if worker.status != WorkerStatus.ACTIVE:
        raise BusinessError(E.WORKER_OUT_OF_SCOPE)
    _gate(actor, worker, "join_team", entity="research-application", obj=application)
    with transaction.atomic():
        member = TeamMember.objects.create(application=application, worker=worker, role=role)
        audit_record(actor=actor, action=AuditAction.UPDATE, entity="research-application",
                     entity_id=application.pk, summary=f"添加团队成员 {worker.name}（{member.get_role_display()}）")
    return member


def application_submit(*, actor, application: Application, sign_integrity: bool,
                       today: dt.date | None = None) -> Application:
    """Submit to the institution. The integrity commitment must be signed and every eligibility rule of
    the call must hold (all problems are reported at once); a snapshot of the form is kept."""
    _own(actor, application, action=_("提交"))  # before the role check, so that any refusal is audited
    require(actor, "research-application", "update")
    today = today or timezone.localdate()
    if not sign_integrity and application.integrity_signed_at is None:
        raise BusinessError(E.INTEGRITY_REQUIRED, field="sign_integrity")
    problems = rules.eligibility_problems(_call_rules(application.call), _applicant(application, today), today)
    problems += completeness.completeness_problems(
        budget_lines=application.budget_lines, ceiling=application.call.budget_ceiling,
        milestones=application.milestones, required_attachments=application.call.required_attachments,
        attached=set(application.attachments.values_list("kind", flat=True)))
    for member in application.team.select_related("worker"):
        reason = rules.blocking_reason(sanctions_of(member.worker_id), today, "join_team")
        if reason:
            problems.append(_("团队成员%(name)s：%(reason)s") % {"name": member.worker.name, "reason": reason})
    if problems:
        _refuse(actor, E.NOT_ELIGIBLE, entity="research-application", obj=application,
                reason="；".join(problems))
    with transaction.atomic():
        now = timezone.now()
        if application.integrity_signed_at is None:
            application.integrity_signed_at = now
        application.status, application.submitted_at = ApplicationStatus.SUBMITTED, now
        application.save(update_fields=["integrity_signed_at", "status", "submitted_at", "updated_at"])
        _event(actor, application, "submit", snapshot=_snapshot(application))
        audit_record(actor=actor, action=AuditAction.SUBMIT, entity="research-application",
                     entity_id=application.pk, summary=f"提交申报书 {application.number}（第 {application.version} 版）")
    return application


def _call_rules(call: Call) -> rules.CallRules:
    return rules.CallRules(call.category, call.min_title_level or None, call.youth_age_limit,
                           call.institution_quota, call.opens_on, call.closes_on)


def _applicant(application: Application, today: dt.date) -> rules.Applicant:
    pi = application.pi
    others = (Application.objects.filter(call=application.call, institution=application.institution)
              .exclude(pk=application.pk)
              .exclude(status__in=(ApplicationStatus.DRAFT, ApplicationStatus.WITHDRAWN)).count())
    return rules.Applicant(birth_date=pi.birth_date, title_level=pi.title_level, institution_id=pi.institution_id,
                           sanctions=sanctions_of(pi.pk), overdue_unfinished_as_pi=_overdue_as_pi(pi.pk, today),
                           submitted_from_institution=others)


def _overdue_as_pi(worker_id: int, today: dt.date) -> int:
    """Funded projects this person leads that are past their closure date and neither closed nor terminated."""
    running = (Application.objects.filter(OWN_PROJECTS, pi_id=worker_id, decided_at__isnull=False,
                                          status__in=(ApplicationStatus.APPROVED, ApplicationStatus.EXECUTING))
               .select_related("agreement"))
    return sum(due_on(project) < today for project in running)


def _snapshot(application: Application) -> dict:
    data = audit_snapshot(application)
    data["team"] = [(m.worker_id, m.role) for m in application.team.all()]
    data["attachments"] = [(a.kind, a.original_name, a.sha256) for a in application.attachments.all()]
    data["budget_lines"], data["milestones"] = application.budget_lines, application.milestones  # JSON, not text
    return data


def _event(actor, application: Application, action: str, *, comment: str = "", snapshot=None) -> None:
    ApplicationEvent.objects.create(application=application, version=application.version, action=action,
                                    comment=comment, snapshot=snapshot, actor=actor)


# ---- the institution's and the commission's steps ------------------------------------------------------

def _institution_step(actor, application: Application) -> None:
    require(actor, "research-application", "endorse")
    if actor.institution_id != application.institution_id:
        _refuse(actor, E.STATUS_INVALID, entity="research-application", obj=application,
                reason=_("只能审核本单位的申报书"))
    if application.status != ApplicationStatus.SUBMITTED:
        raise BusinessError(E.STATUS_INVALID)


def application_return(*, actor, application: Application, comment: str) -> Application:
    """Back to the PI with comments; the next submission is a new version (the old one stays in the history)."""
    _institution_step(actor, application)
    if not comment.strip():
        raise BusinessError(E.COMMENT_REQUIRED, field="comment")
    with transaction.atomic():
        _event(actor, application, "return", comment=comment.strip())
        application.status, application.version = ApplicationStatus.RETURNED, application.version + 1
        application.save(update_fields=["status", "version", "updated_at"])
        audit_record(actor=actor, action=AuditAction.REJECT, entity="research-application",
                     entity_id=application.pk, summary=f"退回申报书 {application.number}：{comment.strip()[:100]}")
    return application


def application_endorse(*, actor, application: Application, comment: str = "") -> Application:
    _institution_step(actor, application)
    with transaction.atomic():
        application.status = ApplicationStatus.ENDORSED
        application.save(update_fields=["status", "updated_at"])
        _event(actor, application, "endorse", comment=comment.strip())
        audit_record(actor=actor, action=AuditAction.APPROVE, entity="research-application",
                     entity_id=application.pk, summary=f"单位推荐申报书 {application.number}")
    return application


def _commission_step(actor, application: Application, action: str) -> None:
    if actor.role != Role.COMMISSION_SCIENCE:
        _refuse(actor, E.STATUS_INVALID, entity="research-application", obj=application,
                reason=_("只有卫健委科教处可以%(action)s") % {"action": action})
    require(actor, "research-application", "decide")


@transaction.atomic
def reviews_assign(*, actor, call: Call, due_on: dt.date, seed: int = 0, today: dt.date | None = None) -> dict:
    """Assign `call.experts_per_application` experts to every endorsed application of the call with hard
    conflict avoidance and load caps (assignment.assign); experts barred from reviewing are left out.
    Run again, it tops up applications in review whose experts did not show (marked no-show): they
    get new experts, never the same ones again.
    Returns {"assigned": pairs written, "shortfalls": {application id: missing experts}}."""
    require(actor, "research-review", "assign")
    today = today or timezone.localdate()
    if due_on < today:
        raise BusinessError(E.DATES_INVALID, _("评审截止日期不能早于今天"), field="due_on")
    applications = list(Application.objects.filter(
        call=call, status__in=(ApplicationStatus.ENDORSED, ApplicationStatus.IN_REVIEW))
        .prefetch_related("team__worker", "assignments"))
    needs = []
    for application in applications:
        institutions = {application.institution_id} | {m.worker.institution_id for m in application.team.all()}
        people = {application.pi_id} | {m.worker_id for m in application.team.all()}
        ever = {a.expert_id for a in application.assignments.all()}
        active = sum(a.status != AssignmentStatus.NO_SHOW for a in application.assignments.all())
        needs.append(ApplicationNeed(application.pk, application.specialty, frozenset(institutions),
                                     frozenset(people), max(call.experts_per_application - active, 0),
                                     frozenset(ever)))
    candidates = _expert_candidates(today)
    if not candidates:
        raise BusinessError(E.NO_EXPERTS)
    result = assign(needs, candidates, seed=seed)
    rows = [ReviewAssignment(application_id=app_id, expert_id=expert_id, due_on=due_on)
            for app_id, experts in result.pairs.items() for expert_id in experts]
    ReviewAssignment.objects.bulk_create(rows)
    Application.objects.filter(pk__in=[a.pk for a in applications]).update(status=ApplicationStatus.IN_REVIEW,
                                                                           updated_at=timezone.now())
    audit_record(actor=actor, action=AuditAction.CREATE, entity="research-review", entity_id=call.pk,
                 summary=f"分配评审专家：{len(applications)} 项申报书，{len(rows)} 个评审任务",
                 after={"shortfalls": {str(k): v for k, v in result.shortfalls.items()}, "seed": seed})
    return {"assigned": len(rows), "shortfalls": result.shortfalls}


def _expert_candidates(today: dt.date) -> list[ExpertCandidate]:
    """Active experts not barred from reviewing, with their open load and declared conflicts."""
    experts = (Expert.objects.filter(is_active=True)
               .annotate(open_load=Count("assignments", filter=Q(assignments__status=AssignmentStatus.ASSIGNED))))
    conflicts: dict[int, set[int]] = {}
    for expert_id, application_id in ExpertConflict.objects.values_list(
            "expert_id", "application_id"):
        conflicts.setdefault(expert_id, set()).add(application_id)
    sanctioned = {case.worker_id for case in IntegrityCase.objects.all()
                  if "review" in rules.BLOCKS[case.sanction]
                  and rules.sanction_active(rules.Sanction(case.sanction, case.starts_on, case.ends_on), today)}
    return [ExpertCandidate(e.pk, e.institution_id, frozenset(e.specialties), e.open_load, e.load_cap,
                            e.worker_id, frozenset(conflicts.get(e.pk, ())))
            for e in experts if e.worker_id not in sanctioned]


@transaction.atomic
def review_mark_no_show(*, actor, assignment: ReviewAssignment, today: dt.date | None = None) -> ReviewAssignment:
    """The commission marks an assignment past its due date without a review; `reviews_assign` then
    gives the application another expert."""
    require(actor, "research-review", "assign")
    if assignment.status != AssignmentStatus.ASSIGNED or (today or timezone.localdate()) <= assignment.due_on:
        raise BusinessError(E.STATUS_INVALID, _("只能标记已过评审截止日期且未提交的评审任务"))
    assignment.status = AssignmentStatus.NO_SHOW
    assignment.save(update_fields=["status", "updated_at"])
    audit_record(actor=actor, action=AuditAction.UPDATE, entity="research-review", entity_id=assignment.pk,
                 summary=f"标记未按时评审：{assignment.expert.name}，{assignment.application.number}")
    return assignment


def application_withdraw(*, actor, application: Application, reason: str = "") -> Application:
    """The PI withdraws his application before the institution has endorsed it."""
    if actor.role != Role.HEALTH_WORKER or actor.worker_id != application.pi_id:
        _refuse(actor, E.NOT_THE_PI, entity="research-application", obj=application)
    require(actor, "research-application", "update")
    if application.status not in (ApplicationStatus.DRAFT, ApplicationStatus.SUBMITTED, ApplicationStatus.RETURNED):
        raise BusinessError(E.STATUS_INVALID)
    with transaction.atomic():
        application.status = ApplicationStatus.WITHDRAWN
        application.save(update_fields=["status", "updated_at"])
        _event(actor, application, "withdraw", comment=reason.strip())
        audit_record(actor=actor, action=AuditAction.UPDATE, entity="research-application",
                     entity_id=application.pk, summary=f"撤回申报书 {application.number}")
    return application


def review_submit(*, actor, assignment: ReviewAssignment, scores: dict, comment: str = "",
                  today: dt.date | None = None) -> ReviewAssignment:
    """An expert scores his own assignment on the weighted criteria sheet, once, before the due date."""
    require(actor, "research-review", "score")
    if assignment.expert.user_id != actor.pk:
        _refuse(actor, E.NOT_YOUR_REVIEW, entity="research-review", obj=assignment)
    today = today or timezone.localdate()
    if assignment.status != AssignmentStatus.ASSIGNED or today > assignment.due_on:
        raise BusinessError(E.REVIEW_CLOSED)
    try:
        total = rules.weighted_total({k: Decimal(str(v)) for k, v in scores.items()})
    except (ValueError, InvalidOperation) as exc:
        raise BusinessError(E.SCORES_INVALID, str(exc) or None, field="scores") from None
    with transaction.atomic():
        assignment.scores = {k: str(v) for k, v in scores.items()}
        assignment.total, assignment.comment = total, comment.strip()
        assignment.status, assignment.submitted_at = AssignmentStatus.SUBMITTED, timezone.now()
        assignment.save()
        audit_record(actor=actor, action=AuditAction.SUBMIT, entity="research-review", entity_id=assignment.pk,
                     summary=f"提交评审意见：{assignment.application.number}，总分 {total}")
    return assignment


def review_scores(*, actor, application: Application, today: dt.date | None = None) -> list[dict]:
    """The scores of an application. The commission sees who gave which; an expert sees the others' only
    after every due date has passed; the PI sees the scores once the commission has decided, and never
    the reviewers' names."""
    today = today or timezone.localdate()
    assignments = list(application.assignments.select_related("expert").order_by("id"))
    submitted = [a for a in assignments if a.status == AssignmentStatus.SUBMITTED]
    if actor.role == Role.COMMISSION_SCIENCE:
        return [{"expert": a.expert.name, "total": a.total, "comment": a.comment} for a in submitted]
    if actor.role == Role.EXPERT:
        mine = [a for a in assignments if a.expert.user_id == actor.pk]
        if not mine:
            _refuse(actor, E.NOT_YOUR_REVIEW, entity="research-review", obj=application)
        if any(a.due_on >= today for a in assignments):
            _refuse(actor, E.SCORES_SEALED, entity="research-review", obj=application)
        return [{"expert": None, "total": a.total, "comment": a.comment} for a in submitted]
    if actor.role == Role.HEALTH_WORKER and actor.worker_id == application.pi_id:
        if application.status not in DECIDED:  # the panel's opinion reaches the PI with the decision
            _refuse(actor, E.SCORES_NOT_YET, entity="research-review", obj=application)
        return [{"expert": None, "total": a.total, "comment": a.comment} for a in submitted]
    _refuse(actor, E.NOT_YOUR_REVIEW, entity="research-review", obj=application)
    return []


def application_decide(*, actor, application: Application, approve: bool, funded_amount=None, comment: str = "",
                       today: dt.date | None = None) -> Application:
    """The commission's decision: the trimmed mean of the experts' totals is recorded. An approval of a
    project with human subjects or human genetic resources needs an ethics approval valid today; human
    genetic resources also need the HGR licence or filing, pathogens the lab's biosafety filing."""
    _commission_step(actor, application, _("决定立项"))
    if application.status not in (ApplicationStatus.IN_REVIEW, ApplicationStatus.ENDORSED):
        raise BusinessError(E.STATUS_INVALID)
    today = today or timezone.localdate()
    if approve:
        missing = _approval_prerequisite_missing(application, today)
        if missing:
            _refuse(actor, missing, entity="research-application", obj=application)
    if not approve and not comment.strip():
        raise BusinessError(E.COMMENT_REQUIRED, field="comment")
    amount = None
    if approve:
        amount = _money(funded_amount if funded_amount is not None else application.budget_total)
        if amount > application.call.budget_ceiling:
            raise BusinessError(E.AMOUNT_INVALID, field="funded_amount")
    totals = list(application.assignments.filter(status=AssignmentStatus.SUBMITTED).values_list("total", flat=True))
    with transaction.atomic():
        application.score = rules.aggregate_scores(totals)
        application.status = ApplicationStatus.APPROVED if approve else ApplicationStatus.REJECTED
        application.funded_amount, application.decided_at = amount, timezone.now()
        application.save(update_fields=["score", "status", "funded_amount", "decided_at", "updated_at"])
        _event(actor, application, "approve" if approve else "reject", comment=comment.strip())
        audit_record(actor=actor, action=AuditAction.APPROVE if approve else AuditAction.REJECT,
                     entity="research-application", entity_id=application.pk,
                     summary=f"{'立项' if approve else '不予立项'}：{application.number}，评审得分 {application.score}")
    return application


def _approval_prerequisite_missing(application: Application, today: dt.date) -> E | None:
    if (application.human_subjects or application.human_genetic_resources) and not _ethics_valid(application, today):
        return E.ETHICS_REQUIRED
    if application.human_genetic_resources and not application.hgr_reference.strip():
        return E.HGR_REQUIRED
    if application.pathogens and not application.biosafety_reference.strip():
        return E.BIOSAFETY_REQUIRED
    return None


def _ethics_valid(application: Application, today: dt.date) -> bool:
    return application.ethics_approvals.filter(
        decision__in=(EthicsDecision.APPROVED, EthicsDecision.APPROVED_WITH_CHANGES),
        valid_from__lte=today, valid_until__gte=today).exists()


# ---- ethics and integrity -----------------------------------------------------------------------------

@transaction.atomic
def ethics_approval_record(*, actor, application: Application, committee: str, number: str, decision: str,
                           valid_from: dt.date, valid_until: dt.date) -> EthicsApproval:
    require(actor, "research-ethics", "create")
    if valid_until < valid_from:
        raise BusinessError(E.DATES_INVALID, field="valid_until")
    approval = EthicsApproval.objects.create(application=application, committee=committee.strip(),
                                             number=number.strip(), decision=decision, valid_from=valid_from,
                                             valid_until=valid_until, recorded_by=actor)
    audit_record(actor=actor, action=AuditAction.CREATE, entity="research-ethics", entity_id=approval.pk,
                 summary=f"登记伦理审查批件 {approval.number}（{approval.get_decision_display()}）："
                         f"{application.number}")
    return approval


@transaction.atomic
def integrity_case_create(*, actor, worker: Worker, number: str, finding: str, sanction: str,
                          starts_on: dt.date, ends_on: dt.date | None) -> IntegrityCase:
    require(actor, "research-integrity", "create")
    if ends_on is not None and ends_on < starts_on:
        raise BusinessError(E.DATES_INVALID, field="ends_on")
    case = IntegrityCase.objects.create(worker=worker, number=number.strip(), finding=finding.strip(),
                                        sanction=sanction, starts_on=starts_on, ends_on=ends_on, recorded_by=actor)
    audit_record(actor=actor, action=AuditAction.CREATE, entity="research-integrity", entity_id=case.pk,
                 summary=f"登记科研失信案件 {case.number}：{worker.name}，{case.get_sanction_display()}"
                         f"（{starts_on} 至 {ends_on or '无限期'}）")
    return case


@transaction.atomic
def expert_create(*, actor, name: str, specialties: list[str], institution=None, affiliation: str = "",
                  title_level: str = "senior", load_cap: int = 10) -> Expert:
    """Add a reviewer to the commission's pool: an expert of the city (his institution is known, for
    conflict avoidance) or from outside (an affiliation in words)."""
    require(actor, "research-expert", "create")
    specialties = [s.strip() for s in specialties if s.strip()]
    if not name.strip() or not specialties:
        raise BusinessError(E.CALL_INVALID, _("请填写专家姓名和至少一个专业领域"), field="specialties")
    if institution is None and not affiliation.strip():
        raise BusinessError(E.CALL_INVALID, _("请选择本市单位或填写外单位名称"), field="affiliation")
    expert = Expert.objects.create(name=name.strip(), specialties=specialties, institution=institution,
                                   affiliation=affiliation.strip() or (institution.name if institution else ""),
                                   title_level=title_level, load_cap=load_cap)
    audit_record(actor=actor, action=AuditAction.CREATE, entity="research-expert", entity_id=expert.pk,
                 summary=f"专家入库：{expert.name}（{'、'.join(specialties)}）")
    return expert
