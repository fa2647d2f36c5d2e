"""Closure reminders (结题提醒): 90, 60 and 30 days before a funded project is due, and once it is overdue.

A reminder is a step in the project's history (an ApplicationEvent "remind_<stage>" carrying the due
date it was computed from): the PI sees it on his project page, the clean-up list shows the latest one.
Sending is safe to repeat: each stage goes out once per project and due date, so a daily run from
cron (`weijian closure-reminders --as-user …`) sends only what became due since the last run, and an
approved extension (a later due date) starts the stages again. Only the stage due today is sent: a
project first seen 20 days before its due date gets the 30-day reminder, not three at once.
"""

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from weijian.accounts.access import require
from weijian.accounts.roles import Role
from weijian.audit.actions import AuditAction
from weijian.audit.services import audit_record
from weijian.research import rules
from weijian.research.errors import ResearchErrorCode as E
from weijian.research.indicators import due_on
from weijian.research.models import OWN_PROJECTS, Application, ApplicationEvent, ApplicationStatus
from weijian.research.services import _refuse

ENTITY = "research-application"
ACTION_PREFIX = "remind_"
STAGE_LABELS = {"90": _("距结题期限90天"), "60": _("距结题期限60天"), "30": _("距结题期限30天"),
                "overdue": _("已逾期")}
# Projects that still owe a closure report: approved (no agreement yet) or executing.
OPEN = (ApplicationStatus.APPROVED, ApplicationStatus.EXECUTING)


@dataclass(frozen=True)
class Reminder:
    application: Application
    stage: str
    due: dt.date

    @property
    def message(self) -> str:
        if self.stage == "overdue":
            return f"结题提醒：项目已超过结题期限（{self.due.isoformat()}），请尽快提交结题报告或申请延期"
        return f"结题提醒：距结题期限（{self.due.isoformat()}）不足{self.stage}天，请按时提交结题报告"


def due_reminders(*, today: dt.date) -> list[Reminder]:
    """The reminders due on `today` that have not been sent for the project's current due date."""
    projects = (Application.objects.filter(OWN_PROJECTS, status__in=OPEN, decided_at__isnull=False)
                .select_related("agreement", "pi").order_by("pk"))
    sent = {(application_id, action, (snapshot or {}).get("due_on")) for application_id, action, snapshot in
            ApplicationEvent.objects.filter(action__startswith=ACTION_PREFIX, application__status__in=OPEN)
            .values_list("application_id", "action", "snapshot")}
    due = []
    for project in projects:
        day = due_on(project)
        stage = rules.reminder_stage(day, today)
        if stage and (project.pk, ACTION_PREFIX + stage, day.isoformat()) not in sent:
            due.append(Reminder(project, stage, day))
    return due


def closure_reminders_send(*, actor, today: dt.date | None = None) -> dict[str, int]:
    """Send the due reminders city-wide (the commission's job); returns how many per stage."""
    if actor.role != Role.COMMISSION_SCIENCE:
        _refuse(actor, E.STATUS_INVALID, entity=ENTITY, reason=_("只有卫健委科教处可以发送结题提醒"))
    require(actor, ENTITY, "decide")
    today = today or timezone.localdate()
    reminders = due_reminders(today=today)
    counts = Counter(reminder.stage for reminder in reminders)
    with transaction.atomic():
        ApplicationEvent.objects.bulk_create([
            ApplicationEvent(application=r.application, version=r.application.version, action=ACTION_PREFIX + r.stage,
                             comment=r.message, snapshot={"stage": r.stage, "due_on": r.due.isoformat()}, actor=actor)
            for r in reminders])
        audit_record(actor=actor, action=AuditAction.CREATE, entity=ENTITY,
                     summary=f"发送结题提醒 {len(reminders)} 条（{today.isoformat()}）："
                             + "，".join(f"{STAGE_LABELS[s]} {counts[s]}" for s in STAGE_LABELS if counts[s]))
    return {stage: counts[stage] for stage in STAGE_LABELS}


def latest_reminder():
    """A subquery: the action of the latest reminder sent to the outer project (for the clean-up list)."""
    return Subquery(ApplicationEvent.objects.filter(application_id=OuterRef("pk"), action__startswith=ACTION_PREFIX)
                    .order_by("-at", "-id").values("action")[:1])


def label_of(action: str | None) -> str:
    return STAGE_LABELS.get((action or "").removeprefix(ACTION_PREFIX), "")


def reminders_of(application: Application):
    """The reminders sent to one project, newest first (the project page; the caller has checked access)."""
    return application.events.filter(action__startswith=ACTION_PREFIX).order_by("-at", "-id")
