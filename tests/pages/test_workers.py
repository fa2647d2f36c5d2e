"""Worker pages: detail audit, ID reveal, create/edit forms (422 + Chinese errors), deactivate, filters."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests import factories
from weijian.audit.actions import AuditAction
from weijian.audit.models import AuditEvent
from weijian.core import crypto
from weijian.workforce.models import Worker


def _events(action, entity_id=None, **filters):
    qs = AuditEvent.objects.filter(action=action, **filters)
    return qs.filter(entity_id=str(entity_id)) if entity_id is not None else qs


def _full_id(worker) -> str:
    return crypto.decrypt(worker.id_number_encrypted)


def test_detail_shows_masked_number_and_audits_the_view(world, login):
    worker = world.worker_a1
    response = login("district_a").get(reverse("workforce:worker-detail", args=[worker.pk]))
    page = response.content.decode()
    assert response.status_code == 200
    assert worker.id_number_masked in page and _full_id(worker) not in page
    assert "no-store" in response.get("Cache-Control", "") or "max-age=0" in response.get("Cache-Control", "")
    event = _events(AuditAction.VIEW_PERSONAL, worker.pk).get()
    assert event.actor_username == "district_a" and event.entity == "worker"


def test_refused_detail_writes_no_view_audit(world, login):
    assert login("district_b").get(reverse("workforce:worker-detail", args=[world.worker_a1.pk])).status_code == 404
    assert not _events(AuditAction.VIEW_PERSONAL).exists()


@pytest.mark.parametrize("role", ["commission_info", "district_a", "institution_a1", "worker_a1"])
def test_reveal_returns_full_number_and_audits(world, login, role):
    worker = world.worker_a1
    page = login(role).get(reverse("workforce:worker-detail", args=[worker.pk])).content.decode()
    assert "显示完整证件号" in page
    response = login(role).post(reverse("workforce:worker-reveal", args=[worker.pk]), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert _full_id(worker) in response.content.decode()
    assert "已记录审计" in response.content.decode()
    assert _events(AuditAction.REVEAL, worker.pk, actor_username=role).count() == 1


@pytest.mark.parametrize(("role", "status"), [
    ("commission_science", 403), ("expert", 403), ("audit_admin", 403), ("security_admin", 403),
    ("district_b", 404), ("institution_b1", 404),
])
def test_reveal_refused(world, login, role, status):
    worker = world.worker_a1
    response = login(role).post(reverse("workforce:worker-reveal", args=[worker.pk]), HTTP_HX_REQUEST="true")
    assert response.status_code == status
    assert _full_id(worker) not in response.content.decode()
    assert not _events(AuditAction.REVEAL).exists()


def test_reveal_button_hidden_without_permission(world, login):
    page = login("commission_science").get(reverse("workforce:worker-detail", args=[world.worker_a1.pk]))
    assert "显示完整证件号" not in page.content.decode()


def test_reveal_requires_post(world, login):
    response = login("commission_info").get(reverse("workforce:worker-reveal", args=[world.worker_a1.pk]))
    assert response.status_code == 405


def _form_data(world, **overrides):
    data = {"name": "赵医生", "id_number": factories.unique_id_number(birth=dt.date(1988, 3, 5)),
            "institution": str(world.inst_a1.pk), "profession": "doctor", "title_level": "junior",
            "practising_since": "2012-07-01", "status": "active"}
    data.update(overrides)
    return data


def test_create_worker(world, login):
    data = _form_data(world)
    response = login("institution_a1").post(reverse("workforce:worker-create"), data)
    worker = Worker.objects.get(name="赵医生")
    assert response.status_code == 302 and response["Location"] == reverse("workforce:worker-detail", args=[worker.pk])
    assert worker.birth_date == dt.date(1988, 3, 5) and worker.institution == world.inst_a1
    assert _full_id(worker) == data["id_number"]
    assert _events(AuditAction.CREATE, worker.pk, entity="worker").count() == 1


@pytest.mark.parametrize(("overrides", "message"), [
    ({"id_number": "510104198803051230"}, "身份证号校验位错误"),
    ({"id_number": "51010419880305"}, "身份证号应为18位"),
    ({"name": "  "}, "该字段是必填项"),
    ({"practising_since": "1980-01-01"}, "执业起始日期早于出生日期"),
])
def test_create_worker_errors_are_422_in_chinese(world, login, overrides, message):
    response = login("institution_a1").post(reverse("workforce:worker-create"), _form_data(world, **overrides))
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not Worker.objects.filter(name="赵医生").exists()


def test_create_worker_duplicate_id_number(world, login):
    data = _form_data(world, id_number=_full_id(world.worker_b1))
    response = login("institution_a1").post(reverse("workforce:worker-create"), data)
    assert response.status_code == 422
    assert "该身份证号已登记" in response.content.decode()


def test_create_worker_in_institution_out_of_scope(world, login):
    response = login("institution_a1").post(reverse("workforce:worker-create"),
                                            _form_data(world, institution=str(world.inst_b1.pk)))
    assert response.status_code == 422
    assert "机构不存在或不在您的管辖范围内" in response.content.decode()
    assert not Worker.objects.filter(institution=world.inst_b1, name="赵医生").exists()


def test_update_keeps_id_number_when_left_blank(world, login):
    worker = world.worker_a1
    original = _full_id(worker)
    data = _form_data(world, name="张医生（主任）", id_number="", title_level="senior")
    response = login("district_a").post(reverse("workforce:worker-update", args=[worker.pk]), data)
    assert response.status_code == 302
    worker.refresh_from_db()
    assert worker.name == "张医生（主任）" and worker.title_level == "senior" and _full_id(worker) == original
    event = _events(AuditAction.UPDATE, worker.pk, entity="worker").get()
    assert event.after["title_level"] == "senior"


def test_update_form_never_shows_full_number(world, login):
    worker = world.worker_a1
    page = login("district_a").get(reverse("workforce:worker-update", args=[worker.pk])).content.decode()
    assert worker.id_number_masked in page and _full_id(worker) not in page


def test_update_to_institution_out_of_scope_is_422(world, login):
    worker = world.worker_a1
    data = _form_data(world, id_number="", institution=str(world.inst_b1.pk))
    response = login("district_a").post(reverse("workforce:worker-update", args=[worker.pk]), data)
    assert response.status_code == 422
    assert "机构不存在或不在您的管辖范围内" in response.content.decode()
    worker.refresh_from_db()
    assert worker.institution == world.inst_a1


def test_deactivate_marks_left_and_audits(world, login):
    worker = world.worker_a1
    page = login("institution_a1").get(reverse("workforce:worker-detail", args=[worker.pk])).content.decode()
    assert "data-confirm" in page and "标记离职" in page
    response = login("institution_a1").post(reverse("workforce:worker-deactivate", args=[worker.pk]))
    assert response.status_code == 302
    worker.refresh_from_db()
    assert worker.status == "left"
    assert _events(AuditAction.DEACTIVATE, worker.pk).count() == 1


def test_deactivate_requires_post(world, login):
    response = login("institution_a1").get(reverse("workforce:worker-deactivate", args=[world.worker_a1.pk]))
    assert response.status_code == 405


@pytest.mark.parametrize(("query", "expected"), [
    ("q=张", {"张医生"}),
    ("profession=nurse", {"李护士"}),
    ("district=510105", {"王药师"}),
    ("institution={inst_a2}", {"李护士"}),
    ("status=left", set()),
])
def test_worker_list_filters(world, login, query, expected):
    url = reverse("workforce:worker-list") + "?" + query.format(inst_a2=world.inst_a2.pk)
    response = login("commission_science").get(url)
    assert {values[0] for _obj, _url, values in response.context["rows"]} == expected


def test_worker_list_htmx_returns_partial_and_empty_state(world, login):
    response = login("commission_science").get(reverse("workforce:worker-list") + "?status=left",
                                               HTTP_HX_REQUEST="true")
    page = response.content.decode()
    assert response.status_code == 200 and "<html" not in page
    assert "没有符合条件的记录" in page


def test_worker_export_is_audited(world, login):
    response = login("district_a").get(reverse("workforce:worker-list") + "?export=csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    body = response.content.decode("utf-8-sig")
    assert "张医生" in body and "王药师" not in body and _full_id(world.worker_a1) not in body
    assert _events(AuditAction.EXPORT, entity="worker", actor_username="district_a").count() == 1


def test_id_preview_derives_birth_date_and_sex(world, login):
    client = login("institution_a1")
    number = factories.unique_id_number(birth=dt.date(1990, 6, 15))
    page = client.post(reverse("workforce:worker-id-preview"), {"id_number": number}).content.decode()
    assert "1990-06-15" in page
    bad = client.post(reverse("workforce:worker-id-preview"), {"id_number": number[:17] + "Y"})
    assert "身份证号" in bad.content.decode()
    assert login("commission_science").post(reverse("workforce:worker-id-preview"),
                                            {"id_number": number}).status_code == 403


def test_worker_list_query_count_does_not_grow_with_rows(world, login):
    client = login("commission_science")
    url = reverse("workforce:worker-list")
    client.get(url)  # warm the session

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    few = count()
    for _ in range(5):
        factories.worker(actor=world.user("commission_info"), institution=world.inst_b1)
    assert count() == few
