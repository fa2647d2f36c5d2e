"""QR check-in: windows opened by the host side (or the commission), workers checking themselves in."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from weijian.audit.models import AuditEvent
from weijian.cme import services
from weijian.cme.models import Attendance, CreditRecord
from weijian.core.errors import BusinessError, NotFoundOrForbidden

D = dt.date


def at(*args) -> dt.datetime:
    """A local (Asia/Shanghai) time."""
    return timezone.make_aware(dt.datetime(*args))


def _code(call, **kwargs):
    with pytest.raises(BusinessError) as exc:
        call(**kwargs)
    return exc.value.code, exc.value.message


@pytest.fixture
def project(world):
    # National project hosted by inst_a1, 2025-09-01..02, entered approved by the commission.
    return services.project_create(actor=world.user("commission_science"), number="N2025-09-001",
                                   name="国家级急诊急救培训", level="national", host=world.inst_a1, credits="6",
                                   start_date=D(2025, 9, 1), end_date=D(2025, 9, 2))


@pytest.fixture
def window(world, project):
    return services.checkin_window_open(actor=world.user("institution_a1"), project=project,
                                        opens_at=at(2025, 9, 1, 8), closes_at=at(2025, 9, 1, 12),
                                        session_label="第一天上午")


def test_opening_a_window_issues_a_token_and_audits_without_it(world, window):
    assert len(window.token) == 43 and window.created_by == world.user("institution_a1")
    event = AuditEvent.objects.get(entity="cme-checkin", action="create")
    assert "token" not in event.after and window.token not in str(event.after)


def test_who_may_open_a_window(world, project):
    window = services.checkin_window_open(actor=world.user("commission_science"), project=project,
                                          opens_at=at(2025, 9, 1, 8), closes_at=at(2025, 9, 1, 9))
    assert window.project == project
    services.checkin_window_open(actor=world.user("district_a"), project=project,
                                 opens_at=at(2025, 9, 2, 8), closes_at=at(2025, 9, 2, 9))
    # The project is published (visible to everyone) but not theirs.
    for key in ("institution_b1", "district_b"):
        with pytest.raises(NotFoundOrForbidden):
            services.checkin_window_open(actor=world.user(key), project=project,
                                         opens_at=at(2025, 9, 1, 8), closes_at=at(2025, 9, 1, 9))
    with pytest.raises(PermissionDenied):
        services.checkin_window_open(actor=world.user("worker_a1"), project=project,
                                     opens_at=at(2025, 9, 1, 8), closes_at=at(2025, 9, 1, 9))


def test_only_published_projects_get_windows(world):
    draft = services.project_create(actor=world.user("institution_a1"), number="510100-2025-300", name="草稿",
                                    level="municipal", host=world.inst_a1, credits="2",
                                    start_date=D(2025, 9, 1), end_date=D(2025, 9, 1))
    assert _code(services.checkin_window_open, actor=world.user("institution_a1"), project=draft,
                 opens_at=at(2025, 9, 1, 8), closes_at=at(2025, 9, 1, 9))[0] == "project_not_open"


@pytest.mark.parametrize(("opens", "closes", "code"), [
    ((2025, 9, 1, 9), (2025, 9, 1, 9), "window_invalid"),
    ((2025, 9, 1, 9), (2025, 9, 1, 8), "window_invalid"),
    ((2025, 9, 1, 8), (2025, 9, 2, 8, 1), "window_too_long"),
    ((2025, 8, 30, 23, 59), (2025, 8, 31, 8), "window_outside_project"),  # before start − 1 day
    ((2025, 9, 3, 10), (2025, 9, 4, 0, 0), "window_outside_project"),  # after end + 1 day
])
def test_window_bounds(world, project, opens, closes, code):
    assert _code(services.checkin_window_open, actor=world.user("institution_a1"), project=project,
                 opens_at=at(*opens), closes_at=at(*closes))[0] == code


@pytest.mark.parametrize(("opens", "closes"), [
    ((2025, 9, 1, 8), (2025, 9, 2, 8)),  # exactly 24 hours
    ((2025, 8, 31, 0, 0), (2025, 8, 31, 20)),  # the day before the start
    ((2025, 9, 3, 0, 0), (2025, 9, 3, 23, 59)),  # the day after the end
])
def test_window_edges_accepted(world, project, opens, closes):
    services.checkin_window_open(actor=world.user("institution_a1"), project=project,
                                 opens_at=at(*opens), closes_at=at(*closes))


def test_check_in_inside_the_window_records_attendance_and_credits(world, window):
    worker_user = world.user("worker_a1")
    attendance, created = services.checkin(actor=worker_user, token=window.token, now=at(2025, 9, 1, 8, 5))
    assert created
    assert (attendance.worker, attendance.attended_on, attendance.method) == (world.worker_a1, D(2025, 9, 1), "qr")
    record = CreditRecord.objects.get(worker=world.worker_a1, project=window.project)
    assert (record.credits, record.status, record.credit_class) == (6, "verified", "I")
    event = AuditEvent.objects.get(action="check-in")
    assert (event.entity, event.entity_id, event.actor) == ("cme-checkin", str(window.pk), worker_user)
    assert window.token not in event.summary


def test_a_second_check_in_writes_nothing(world, window):
    first, _ = services.checkin(actor=world.user("worker_a1"), token=window.token, now=at(2025, 9, 1, 8, 5))
    counts = Attendance.objects.count(), CreditRecord.objects.count(), AuditEvent.objects.count()
    again, created = services.checkin(actor=world.user("worker_a1"), token=window.token, now=at(2025, 9, 1, 9))
    assert (again.pk, created) == (first.pk, False)
    assert (Attendance.objects.count(), CreditRecord.objects.count(), AuditEvent.objects.count()) == counts


def test_window_edges_for_check_in(world, window):
    user = world.user("worker_a1")
    assert _code(services.checkin, actor=user, token=window.token, now=at(2025, 9, 1, 7, 59, 59)) == (
        "checkin_not_open", "未到签到时间")
    assert _code(services.checkin, actor=user, token=window.token, now=at(2025, 9, 1, 12)) == (
        "checkin_closed", "签到已结束")
    assert not Attendance.objects.exists()
    _, created = services.checkin(actor=user, token=window.token, now=at(2025, 9, 1, 8))  # opening instant
    assert created


def test_checking_in_the_evening_before_counts_for_the_first_day(world, project):
    window = services.checkin_window_open(actor=world.user("institution_a1"), project=project,
                                          opens_at=at(2025, 8, 31, 18), closes_at=at(2025, 8, 31, 22))
    attendance, _ = services.checkin(actor=world.user("worker_a1"), token=window.token, now=at(2025, 8, 31, 19))
    assert attendance.attended_on == D(2025, 9, 1)


def test_wrong_role_and_unknown_token(world, window):
    for key in ("institution_a1", "district_a", "commission_science"):
        with pytest.raises(PermissionDenied):
            services.checkin(actor=world.user(key), token=window.token, now=at(2025, 9, 1, 9))
    with pytest.raises(NotFoundOrForbidden):
        services.checkin(actor=world.user("worker_a1"), token="x" * 43, now=at(2025, 9, 1, 9))
    assert not Attendance.objects.exists()
