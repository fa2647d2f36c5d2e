"""Audit log pages: only the audit administrator; filters, sort, export (itself audited), detail, no writes."""

import datetime as dt
import io

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from tests.conftest import ROLE_USERS
from weijian.accounts import services as account_services
from weijian.audit.actions import AuditAction
from weijian.audit.models import AuditEvent
from weijian.orgs import services as org_services

LIST = reverse("audit:event-list")


def _rows(response):
    return [obj for obj, _url, _values in response.context["rows"]]


@pytest.mark.parametrize("role", [r for r in ROLE_USERS if r != "audit_admin"])
def test_only_audit_admin_reads_the_log(world, login, role):
    event = AuditEvent.objects.first()
    client = login(role)
    assert client.get(LIST).status_code == 403
    assert client.get(LIST + "?export=xlsx").status_code == 403
    assert client.get(reverse("audit:event-detail", args=[event.pk])).status_code == 403


def test_list_newest_first_and_sortable(world, login):
    client = login("audit_admin")
    rows = _rows(client.get(LIST))
    assert rows and [e.at for e in rows] == sorted((e.at for e in rows), reverse=True)
    ascending = _rows(client.get(LIST + "?sort=at"))
    assert [e.pk for e in ascending] == sorted(e.pk for e in ascending)


@pytest.mark.parametrize(("query", "check"), [
    ("username=district", lambda e: "district" in e.actor_username),
    ("action=create", lambda e: e.action == "create"),
    ("entity=worker", lambda e: e.entity == "worker"),
    ("outcome=failed", lambda e: e.outcome == "failed"),
])
def test_filters(world, login, query, check):
    client = login("district_a")
    client.get(reverse("workforce:worker-detail", args=[world.worker_a1.pk]))  # a VIEW_PERSONAL by district_a
    account_services.login_failed("nobody")
    rows = _rows(login("audit_admin").get(f"{LIST}?{query}&size=100"))
    assert rows and all(check(e) for e in rows)
    assert len(rows) < AuditEvent.objects.count()


def test_date_filter(world, login):
    today = timezone.localdate()
    client = login("audit_admin")
    assert _rows(client.get(f"{LIST}?date_from={today:%Y-%m-%d}&date_to={today:%Y-%m-%d}"))
    tomorrow = today + dt.timedelta(days=1)
    response = client.get(f"{LIST}?date_from={tomorrow:%Y-%m-%d}")
    assert _rows(response) == [] and "没有符合条件的记录" in response.content.decode()


def test_export_is_audited(world, login):
    client = login("audit_admin")
    response = client.get(LIST + "?entity=division&export=xlsx")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    header, *body = list(sheet.values)
    assert header[0] == "时间" and body and all(row[4] == "行政区划" for row in body)
    export = AuditEvent.objects.get(action=AuditAction.EXPORT, entity="audit")
    assert export.actor_username == "audit_admin" and "entity=division" in export.summary


def test_detail_shows_before_and_after(world, login):
    org_services.division_update(actor=world.user("commission_info"), division=world.township_a,
                                 name="春熙路新街道", is_active=True)
    event = AuditEvent.objects.get(action=AuditAction.UPDATE, entity="division")
    page = login("audit_admin").get(reverse("audit:event-detail", args=[event.pk])).content.decode()
    assert "修改前后对比" in page and "春熙路街道" in page and "春熙路新街道" in page
    assert "table-warning" in page  # the changed row is highlighted


def test_log_cannot_be_written_through_the_pages(world, login):
    client = login("audit_admin")
    event = AuditEvent.objects.first()
    assert client.post(LIST).status_code == 405
    assert client.post(reverse("audit:event-detail", args=[event.pk])).status_code == 405
    assert client.delete(reverse("audit:event-detail", args=[event.pk])).status_code == 405
