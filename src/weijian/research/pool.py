"""Writes and reads of the commission's expert pool beyond entering experts (services.expert_create):
the conflicts an expert declared (回避申报: conflict avoidance never assigns him those applications),
the login account an expert reviews with (a user of role 评审专家), his assignments, and a call's review
round as the commission follows it (who did not show, which applications need another expert).

Every write is the commission's (the "research-expert" update right) and is audited in its transaction.
"""

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from weijian.accounts.access import require, scoped_queryset
from weijian.accounts.models import User
from weijian.accounts.roles import Role
from weijian.audit.actions import AuditAction
from weijian.audit.services import audit_record
from weijian.core.errors import BusinessError
from weijian.research.errors import ResearchErrorCode as E
from weijian.research.models import (
    Application,
    ApplicationStatus,
    AssignmentStatus,
    Expert,
    ExpertConflict,
    ReviewAssignment,
)

ENTITY = "research-expert"


def _audit(actor, action, expert: Expert, summary: str, **changes) -> None:
    audit_record(actor=actor, action=action, entity=ENTITY, entity_id=expert.pk, summary=summary[:255], **changes)


@transaction.atomic
def conflict_declare(*, actor, expert: Expert, application: Application, reason: str = "") -> ExpertConflict:
    """Record that the expert declared a conflict with an application (once per application). A review
    he has not submitted yet is withdrawn (补充分配专家 then gives the application another expert); one he
    has submitted cannot be silently kept or dropped, so the declaration is refused."""
    require(actor, ENTITY, "update")
    if ExpertConflict.objects.filter(expert=expert, application=application).exists():
        raise BusinessError(E.STATUS_INVALID, _("该专家已对此申报书申报回避"), field="application")
    assignment = ReviewAssignment.objects.filter(expert=expert, application=application).first()
    if assignment is not None and assignment.status == AssignmentStatus.SUBMITTED:
        raise BusinessError(E.STATUS_INVALID, _("该专家已提交对此申报书的评分，不能再申报回避"), field="application")
    conflict = ExpertConflict(expert=expert, application=application, reason=reason.strip())
    conflict.full_clean()
    conflict.save()
    withdrawn = ""
    if assignment is not None and assignment.status == AssignmentStatus.ASSIGNED:
        assignment.delete()
        withdrawn = "，已撤回其未完成的评审任务"
    _audit(actor, AuditAction.CREATE, expert, f"专家回避申报：{expert.name} / {application.number}"
                                              f"{'，' + conflict.reason if conflict.reason else ''}{withdrawn}")
    return conflict


@transaction.atomic
def conflict_remove(*, actor, conflict: ExpertConflict) -> None:
    require(actor, ENTITY, "update")
    expert, number = conflict.expert, conflict.application.number
    conflict.delete()
    _audit(actor, AuditAction.DELETE, expert, f"撤销专家回避申报：{expert.name} / {number}")


@transaction.atomic
def expert_link_user(*, actor, expert: Expert, username: str) -> Expert:
    """Link the expert to the login account he reviews with: an active user of role 评审专家, not linked to
    another expert. An expert already linked must be unlinked first."""
    require(actor, ENTITY, "update")
    if expert.user_id is not None:
        raise BusinessError(E.STATUS_INVALID, _("该专家已绑定登录账号，请先解除绑定"), field="username")
    user = User.objects.filter(username=username.strip(), role=Role.EXPERT, is_active=True).first()
    if user is None:
        raise BusinessError(E.WORKER_OUT_OF_SCOPE, _("未找到该用户名，或该账号不是启用的评审专家账号"), field="username")
    other = Expert.objects.filter(user=user).first()
    if other is not None:
        raise BusinessError(E.STATUS_INVALID, _("该账号已绑定专家 %(name)s") % {"name": other.name},
                            field="username")
    expert.user = user
    expert.save(update_fields=["user", "updated_at"])
    _audit(actor, AuditAction.UPDATE, expert, f"专家绑定登录账号：{expert.name} → {user.username}",
           before={"user_id": None}, after={"user_id": user.pk})
    return expert


@transaction.atomic
def expert_unlink_user(*, actor, expert: Expert) -> Expert:
    """Unlink the login account: that user no longer sees or scores this expert's assignments."""
    require(actor, ENTITY, "update")
    if expert.user_id is None:
        raise BusinessError(E.STATUS_INVALID, _("该专家尚未绑定登录账号"))
    before = expert.user_id
    username = expert.user.username
    expert.user = None
    expert.save(update_fields=["user", "updated_at"])
    _audit(actor, AuditAction.UPDATE, expert, f"专家解除绑定登录账号：{expert.name}（{username}）",
           before={"user_id": before}, after={"user_id": None})
    return expert


# ---- reads ---------------------------------------------------------------------------------------------

def expert_conflicts(*, actor, expert: Expert) -> QuerySet:
    """The expert's declared conflicts (pass an expert fetched through the gate)."""
    require(actor, ENTITY, "view")
    return expert.conflicts.select_related("application", "application__institution").order_by("id")


def expert_assignments(*, actor, expert: Expert) -> QuerySet:
    """The expert's assignments as the actor may see them, newest round first."""
    return (scoped_queryset(actor, ReviewAssignment, "list").filter(expert=expert)
            .select_related("application", "application__call").order_by("-due_on", "-id"))


def review_round(*, actor, call, today) -> dict:
    """A call's review round for the commission: its assignments by status, the pending ones past their due
    date (to be marked no-show), the no-shows, and how many applications still in review have fewer
    experts than the call asks for, no-shows not counted (what running `services.reviews_assign` again
    tops up)."""
    require(actor, "research-review", "assign")
    assignments = list(scoped_queryset(actor, ReviewAssignment, "list").filter(application__call=call)
                       .select_related("application", "expert").order_by("due_on", "application__number", "id"))
    counts = {value: 0 for value in AssignmentStatus.values}
    active: dict[int, int] = {}
    for a in assignments:
        counts[a.status] += 1
        if a.status != AssignmentStatus.NO_SHOW:
            active[a.application_id] = active.get(a.application_id, 0) + 1
    in_review = {a.application_id for a in assignments if a.application.status == ApplicationStatus.IN_REVIEW}
    short = [pk for pk in in_review if active.get(pk, 0) < call.experts_per_application]
    return {
        "counts": [(label, counts[value], value) for value, label in AssignmentStatus.choices],
        "total": len(assignments),
        "overdue": [a for a in assignments if a.status == AssignmentStatus.ASSIGNED and today > a.due_on],
        "no_shows": [a for a in assignments if a.status == AssignmentStatus.NO_SHOW],
        "short": len(short),
    }
