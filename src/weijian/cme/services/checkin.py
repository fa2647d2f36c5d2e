"""QR check-in: the host opens a window for a session; workers scan its code and check themselves in."""

import datetime as dt
import secrets

from django.db import IntegrityError, transaction
from django.utils import timezone

from weijian.accounts.access import access_object, institution_in_scope, require
from weijian.audit.actions import AuditAction
from weijian.audit.services import audit_snapshot
from weijian.cme.errors import CmeErrorCode as E
from weijian.cme.models import PUBLISHED, Attendance, AttendanceMethod, CheckInWindow, CmeProject
from weijian.cme.selectors import checkin_window_for_token
from weijian.cme.services._common import _audit
from weijian.cme.services.credits import attendance_record
from weijian.core.errors import BusinessError, NotFoundOrForbidden

MAX_WINDOW = dt.timedelta(hours=24)
SLACK = dt.timedelta(days=1)  # a window may open the day before the start and close the day after the end


@transaction.atomic
def checkin_window_open(
    *, actor, project: CmeProject, opens_at: dt.datetime, closes_at: dt.datetime, session_label: str = ""
) -> CheckInWindow:
    """Open a check-in window of at most 24 hours for a published project (host side or commission)."""
    require(actor, "cme-checkin", "create")
    project = access_object(actor, CmeProject, project.pk, "view")
    if not institution_in_scope(actor, project.host):  # the commission (city scope) passes
        raise NotFoundOrForbidden
    if project.status not in PUBLISHED:
        raise BusinessError(E.PROJECT_NOT_OPEN, field="project")
    if closes_at <= opens_at:
        raise BusinessError(E.WINDOW_INVALID, field="closes_at")
    if closes_at - opens_at > MAX_WINDOW:
        raise BusinessError(E.WINDOW_TOO_LONG, field="closes_at")
    first, last = project.start_date - SLACK, project.end_date + SLACK
    if timezone.localdate(opens_at) < first:
        raise BusinessError(E.WINDOW_OUTSIDE_PROJECT, field="opens_at")
    if timezone.localdate(closes_at) > last:
        raise BusinessError(E.WINDOW_OUTSIDE_PROJECT, field="closes_at")
    window = CheckInWindow(
        project=project,
        session_label=(session_label or "").strip()[:64],
        opens_at=opens_at,
        closes_at=closes_at,
        token=secrets.token_urlsafe(32),
        created_by=actor,
    )
    window.full_clean()
    window.save()
    _audit(actor, AuditAction.CREATE, "cme-checkin", window, f"{project.number} 签到场次 {window.session_label}",
           after=audit_snapshot(window, exclude=("token",)))
    return window


@transaction.atomic
def checkin(*, actor, token: str, now: dt.datetime | None = None) -> tuple[Attendance, bool]:
    """A health worker checks himself in through a window's token. A second check-in returns the
    existing attendance and False, writing nothing."""
    window = checkin_window_for_token(actor=actor, token=token)  # requires cme-checkin/check-in
    if actor.worker_id is None:
        raise BusinessError(E.CHECKIN_NO_WORKER)
    now = now or timezone.now()
    if now < window.opens_at:
        raise BusinessError(E.CHECKIN_NOT_OPEN)
    if now >= window.closes_at:
        raise BusinessError(E.CHECKIN_CLOSED)
    project = window.project
    # The day attended: today, kept within the project's dates (a window may open the evening before).
    today = timezone.localdate(now)
    attended_on = min(max(today, project.start_date), project.end_date)
    try:
        with transaction.atomic():
            attendance, created = attendance_record(
                actor=actor, project=project, worker=actor.worker, attended_on=attended_on,
                today=max(today, attended_on), method=AttendanceMethod.QR_CHECK_IN,
            )
    except IntegrityError:
        # A double tap: the other request recorded the same attendance a moment earlier.
        attendance = Attendance.objects.filter(project=project, worker=actor.worker).first()
        if attendance is None:
            raise
        return attendance, False
    if created:
        _audit(actor, AuditAction.CHECK_IN, "cme-checkin", window,
               f"{actor.worker.name} 签到 {project.number} {window.session_label}".strip(),
               after={"attendance": attendance.pk, "project": project.pk, "window": window.pk,
                      "at": now.isoformat()})
    return attendance, created
