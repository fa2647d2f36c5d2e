"""Project pages: catalogue, detail with its next steps, forms with Chinese errors, check-in, spot checks."""

import datetime as dt
import io

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from weijian.audit.models import AuditEvent
from weijian.cme import services
from weijian.cme.models import Attendance, CheckInWindow, CmeProject, SpotCheckDraw

D = dt.date


def _apply(world, key="institution_a1", host=None, number="510100-2025-100", **extra):
    fields = dict(number=number, name="院内感染防控新进展", level="municipal", host=host or world.inst_a1,
                  credits="5", start_date=D(2025, 9, 1), end_date=D(2025, 9, 2))
    return services.project_create(actor=world.user(key), **{**fields, **extra})


def _approved(world, **extra):
    project = services.project_endorse(actor=world.user("institution_a1"), project=_apply(world, **extra))
    return services.project_approve(actor=world.user("commission_science"), project=project)


def _xlsx_rows(response):
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    return [list(row) for row in book.active.iter_rows(values_only=True)]


# ---- catalogue -------------------------------------------------------------------------------

def test_catalogue_filters_and_exports(world, client_for):
    _approved(world)
    _apply(world, key="institution_b1", host=world.inst_b1, number="510100-2025-200", name="青羊区草稿")
    client = client_for(world.user("district_a"))
    response = client.get(reverse("cme:project-list"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "院内感染防控新进展" in body and "青羊区草稿" not in body
    response = client.get(reverse("cme:project-list") + "?status=draft")
    assert "院内感染防控新进展" not in response.content.decode()
    response = client.get(reverse("cme:project-list") + "?export=xlsx&q=院内")
    assert response.status_code == 200
    rows = _xlsx_rows(response)
    assert rows[0][:2] == ["项目编号", "项目名称"] and [r[0] for r in rows[1:]] == ["510100-2025-100"]
    assert AuditEvent.objects.filter(action="export", entity="cme-project").count() == 1


def test_catalogue_is_closed_to_workers_and_anonymous(world, client_for, client):
    assert client.get(reverse("cme:project-list")).status_code == 302
    assert client_for(world.user("worker_a1")).get(reverse("cme:project-list")).status_code == 403


# ---- detail and workflow ---------------------------------------------------------------------

def test_other_districts_draft_is_not_found(world, client_for):
    draft = _apply(world)
    url = reverse("cme:project-detail", args=[draft.pk])
    assert client_for(world.user("district_b")).get(url).status_code == 404
    assert client_for(world.user("institution_b1")).post(
        reverse("cme:project-endorse", args=[draft.pk])).status_code == 404
    assert CmeProject.objects.get(pk=draft.pk).status == "draft"


def test_detail_shows_the_allowed_steps(world, client_for):
    draft = _apply(world)
    url = reverse("cme:project-detail", args=[draft.pk])
    body = client_for(world.user("institution_a1")).get(url).content.decode()
    assert "单位推荐" in body and "编辑申报" in body and "申报中" in body
    assert reverse("cme:project-approve", args=[draft.pk]) not in body
    body = client_for(world.user("commission_science")).get(url).content.decode()
    assert "单位推荐" not in body and "编辑申报" not in body


def test_apply_endorse_approve_through_the_pages(world, client_for):
    client = client_for(world.user("institution_a1"))
    data = dict(number="510100-2025-150", name="临床输血安全", level="municipal", host=world.inst_a1.pk,
                credits="3", credit_class="I", delivery="face_to_face", start_date="2025-10-10",
                end_date="2025-10-11", lead_teacher="周主任", audience="临床医师", schedule="", budget="5000",
                expected_attendees="60")
    response = client.post(reverse("cme:project-create"), data)
    project = CmeProject.objects.get(number="510100-2025-150")
    assert response.status_code == 302 and response.url == reverse("cme:project-detail", args=[project.pk])
    assert (project.lead_teacher, project.applied_by) == ("周主任", world.user("institution_a1"))
    response = client.post(reverse("cme:project-update", args=[project.pk]), {**data, "name": "临床输血安全管理"})
    assert response.status_code == 302
    assert client.post(reverse("cme:project-endorse", args=[project.pk])).status_code == 302
    science = client_for(world.user("commission_science"))
    queue = science.get(reverse("cme:project-review"))
    assert queue.status_code == 200 and "临床输血安全管理" in queue.content.decode()
    response = science.post(reverse("cme:project-reject", args=[project.pk]), {"reject-reason": " "})
    assert response.status_code == 422 and "请填写理由" in response.content.decode()
    response = science.post(reverse("cme:project-approve", args=[project.pk]), {"approve-reason": "同意"})
    assert response.status_code == 302
    assert CmeProject.objects.get(pk=project.pk).status == "approved"


def test_application_form_errors_are_422_in_chinese(world, client_for):
    client = client_for(world.user("institution_a1"))
    assert client.get(reverse("cme:project-create")).status_code == 200
    data = dict(number="510100-2025-151", name="x", level="municipal", host=world.inst_a1.pk, credits="1.25",
                credit_class="I", delivery="face_to_face", start_date="2025-10-10", end_date="2025-10-11")
    response = client.post(reverse("cme:project-create"), data)
    assert response.status_code == 422
    assert "学分应为大于0的数字，最多一位小数" in response.content.decode()
    response = client.post(reverse("cme:project-create"), {**data, "credits": "2", "end_date": "2025-10-01"})
    assert response.status_code == 422 and "结束日期不能早于开始日期" in response.content.decode()
    assert not CmeProject.objects.filter(number="510100-2025-151").exists()


def test_file_and_report_through_the_pages(world, client_for):
    project = _approved(world)
    client = client_for(world.user("institution_a1"))
    response = client.post(reverse("cme:project-file", args=[project.pk]), {"file-filed_on": "2025-08-20"})
    assert response.status_code == 302
    body = client.get(reverse("cme:project-detail", args=[project.pk])).content.decode()
    assert "逾期备案" in body  # deadline 2025-08-17
    url = reverse("cme:project-report", args=[project.pk])
    assert client.get(url).status_code == 200
    report = dict(held_from="2025-09-01", held_to="2025-09-02", attendee_count="50", out_of_city_count="60",
                  teachers="", summary="")
    response = client.post(url, report)
    assert response.status_code == 422 and "市外学员人数不能超过实际参加人数" in response.content.decode()
    response = client.post(url, {**report, "out_of_city_count": "6"})
    assert response.status_code == 302
    assert CmeProject.objects.get(pk=project.pk).status == "held"
    # Another institution may not report it.
    other = _approved(world, number="510100-2025-101")
    assert client_for(world.user("institution_b1")).get(
        reverse("cme:project-report", args=[other.pk])).status_code == 403


def test_cancel_needs_a_reason(world, client_for):
    project = _apply(world)
    client = client_for(world.user("institution_a1"))
    response = client.post(reverse("cme:project-cancel", args=[project.pk]), {"cancel-reason": ""})
    assert response.status_code == 422 and "请填写理由" in response.content.decode()
    response = client.post(reverse("cme:project-cancel", args=[project.pk]), {"cancel-reason": "师资变动"})
    assert response.status_code == 302 and CmeProject.objects.get(pk=project.pk).status == "cancelled"


def test_overdue_lists_and_export(world, client_for):
    _approved(world, start_date=D(2024, 9, 1), end_date=D(2024, 9, 2))  # long past both deadlines
    client = client_for(world.user("commission_science"))
    for name in ("cme:project-overdue-filings", "cme:project-overdue-reports"):
        response = client.get(reverse(name))
        assert response.status_code == 200 and "510100-2025-100" in response.content.decode()
        rows = _xlsx_rows(client.get(reverse(name) + "?export=xlsx"))
        assert [r[0] for r in rows[1:]] == ["510100-2025-100"] and rows[0][-1] == "截止日期"
    response = client.get(reverse("cme:project-overdue-filings") + f"?district={world.district_b.pk}")
    assert "510100-2025-100" not in response.content.decode()


def test_policy_page(world, client_for):
    client = client_for(world.user("commission_science"))
    assert client.get(reverse("cme:policy")).status_code == 200
    data = dict(year="2026", filing_days_before="20", report_days_after="30", spot_check_rate="1.5",
                cycle_years="5")
    response = client.post(reverse("cme:policy"), data)
    assert response.status_code == 422 and "抽查比例应大于0且不超过1，最多三位小数" in response.content.decode()
    assert client.post(reverse("cme:policy"), {**data, "spot_check_rate": "0.2"}).status_code == 302
    district = client_for(world.user("district_a"))
    assert district.get(reverse("cme:policy") + "?year=2026").status_code == 200
    assert district.post(reverse("cme:policy"), data).status_code == 403


# ---- check-in --------------------------------------------------------------------------------

def test_window_creation_shows_qr_and_the_worker_checks_in(world, client_for):
    today = timezone.localdate()
    project = services.project_create(actor=world.user("commission_science"), number="N-T", name="今日国家级项目",
                                      level="national", host=world.inst_a1, credits="2", start_date=today,
                                      end_date=today)
    host = client_for(world.user("institution_a1"))
    now = timezone.localtime()
    fmt = "%Y-%m-%dT%H:%M"
    bad = {"window-opens_at": now.strftime(fmt), "window-closes_at": now.strftime(fmt)}
    response = host.post(reverse("cme:checkin-window-create", args=[project.pk]), bad)
    assert response.status_code == 422 and "签到截止时间应晚于签到开始时间" in response.content.decode()
    opens = (now - dt.timedelta(minutes=1)).replace(second=0, microsecond=0)
    closes = now + dt.timedelta(hours=1)  # past midnight is fine: a window may run to the day after the end
    response = host.post(reverse("cme:checkin-window-create", args=[project.pk]), {
        "window-session_label": "上午", "window-opens_at": opens.strftime(fmt), "window-closes_at": closes.strftime(fmt)})
    assert response.status_code == 302
    window = CheckInWindow.objects.get(project=project)
    body = host.get(reverse("cme:project-detail", args=[project.pk])).content.decode()
    checkin_url = reverse("cme:checkin", args=[window.token])
    assert checkin_url in body and "<svg" in body

    worker = client_for(world.user("worker_a1"))
    response = worker.get(checkin_url)
    assert response.status_code == 200 and "今日国家级项目" in response.content.decode()
    response = worker.post(checkin_url)
    assert response.status_code == 200 and "签到成功" in response.content.decode()
    assert Attendance.objects.get(project=project).method == "qr"
    response = worker.post(checkin_url)
    assert "您已签到" in response.content.decode() and Attendance.objects.count() == 1


def test_checkin_page_errors_and_roles(world, client_for):
    project = services.project_create(actor=world.user("commission_science"), number="N-P", name="往期项目",
                                      level="national", host=world.inst_a1, credits="2",
                                      start_date=D(2025, 9, 1), end_date=D(2025, 9, 1))
    window = services.checkin_window_open(
        actor=world.user("institution_a1"), project=project,
        opens_at=timezone.make_aware(dt.datetime(2025, 9, 1, 8)),
        closes_at=timezone.make_aware(dt.datetime(2025, 9, 1, 9)))
    url = reverse("cme:checkin", args=[window.token])
    worker = client_for(world.user("worker_a1"))
    response = worker.post(url)
    assert response.status_code == 422 and "签到已结束" in response.content.decode()
    assert worker.get(reverse("cme:checkin", args=["nope" * 10])).status_code == 404
    assert client_for(world.user("institution_a1")).get(url).status_code == 403


def test_attendance_list_and_export(world, client_for):
    project = services.project_create(actor=world.user("commission_science"), number="N-A", name="参加记录项目",
                                      level="national", host=world.inst_a1, credits="2",
                                      start_date=D(2025, 9, 1), end_date=D(2025, 9, 1))
    services.attendance_record(actor=world.user("institution_a1"), project=project, worker=world.worker_a1,
                               attended_on=D(2025, 9, 1))
    client = client_for(world.user("institution_a1"))
    url = reverse("cme:project-attendance", args=[project.pk])
    assert "张医生" in client.get(url).content.decode()
    rows = _xlsx_rows(client.get(url + "?export=xlsx"))
    assert rows[1][:3] == ["张医生", "锦江区人民医院", "2025-09-01"]
    # Another district sees the published project but none of district A's workers.
    assert "张医生" not in client_for(world.user("district_b")).get(url).content.decode()


# ---- spot checks -----------------------------------------------------------------------------

@pytest.fixture
def held(world):
    project = services.project_create(actor=world.user("commission_science"), number="N-H", name="抽查样本项目",
                                      level="national", host=world.inst_a1, credits="2",
                                      start_date=D(2025, 6, 1), end_date=D(2025, 6, 1))
    return services.project_report(actor=world.user("institution_a1"), project=project, held_from=D(2025, 6, 1),
                                   held_to=D(2025, 6, 1), attendee_count=10, out_of_city_count=0,
                                   today=D(2025, 6, 5))


def test_spot_check_pages(world, client_for, held):
    science = client_for(world.user("commission_science"))
    assert science.get(reverse("cme:spot-check-create")).status_code == 200
    data = {"name": "2025年抽查", "period_start": "2025-12-31", "period_end": "2025-01-01", "rate": "0.2"}
    response = science.post(reverse("cme:spot-check-create"), data)
    assert response.status_code == 422 and "抽查期间的结束日期不能早于开始日期" in response.content.decode()
    response = science.post(reverse("cme:spot-check-create"),
                            {**data, "period_start": "2025-01-01", "period_end": "2025-12-31", "seed": "99"})
    draw = SpotCheckDraw.objects.get()
    assert response.status_code == 302 and response.url == reverse("cme:spot-check-detail", args=[draw.pk])
    body = science.get(response.url).content.decode()
    assert "抽查样本项目" in body and "1.000" in body  # 1 of 1 drawn
    assert science.get(reverse("cme:spot-check-list") + "?export=xlsx").status_code == 200
    item = draw.items.get()
    record_url = reverse("cme:spot-check-record", args=[item.pk])
    district_a = client_for(world.user("district_a"))
    response = district_a.post(record_url, {"result": "minor", "findings": "", "inspected_on": "2025-11-01"})
    assert response.status_code == 422 and "检查结论为基本合格或不合格时，须填写检查发现" in response.content.decode()
    response = district_a.post(record_url, {"result": "minor", "findings": "签到表缺页", "inspected_on": "2025-11-01"})
    assert response.status_code == 302
    # District B sees the draw but not district A's item, and cannot record it.
    district_b = client_for(world.user("district_b"))
    assert "抽查样本项目" not in district_b.get(reverse("cme:spot-check-detail", args=[draw.pk])).content.decode()
    assert district_b.get(record_url).status_code == 404
    assert client_for(world.user("institution_a1")).get(reverse("cme:spot-check-list")).status_code == 403
    assert district_a.get(reverse("cme:spot-check-create")).status_code == 403
