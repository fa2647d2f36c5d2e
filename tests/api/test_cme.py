"""The CME API: bulk e-learning credits (same rules as the import, all or nothing, idempotent) and a
worker's yearly transcript (scope-checked, audited)."""

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from tests import factories
from tests.api.helpers import assert_error
from weijian.audit.actions import AuditAction
from weijian.audit.models import AuditEvent
from weijian.cme import services
from weijian.cme.models import CreditRecord
from weijian.imports.registry import mask

BULK = "/api/v1/cme/credits/bulk/"
EARNED = timezone.localdate() - dt.timedelta(days=3)


def transcript_url(worker, year=EARNED.year):
    return f"/api/v1/cme/workers/{worker.pk}/transcript/?year={year}"


def known_worker(world, institution, name):
    id_number = factories.unique_id_number(birth=dt.date(1982, 2, 2))
    worker = factories.worker(actor=world.user("commission_info"), institution=institution, name=name,
                              id_no=id_number, title_level="junior")
    return worker, id_number


def record(record_id, id_number, name, **values):
    item = {"record_id": record_id, "id_number": id_number, "name": name, "course": "糖尿病规范化管理",
            "credit_class": "II", "credits": "2.5", "earned_on": EARNED.isoformat()}
    item.update(values)
    return item


def test_bulk_credits_are_written_once_and_audited(world, api):
    worker, id_number = known_worker(world, world.inst_a1, "陈医生")
    body = [record("API-1", id_number, "陈医生"), record("API-2", id_number, "陈医生", credit_class="I类", credits=1)]
    response = api("district_a").post(BULK, body)
    assert response.status_code == 200, response.content
    assert response.json() == {"created": 2, "unchanged": 0}
    rows = CreditRecord.objects.filter(worker=worker).order_by("external_ref")
    assert [(r.external_ref, r.credit_class, r.credits, r.source, r.status, r.is_remote) for r in rows] == [
        ("API-1", "II", Decimal("2.5"), "import", "verified", True),
        ("API-2", "I", Decimal("1.0"), "import", "verified", True)]
    event = AuditEvent.objects.get(action=AuditAction.CREATE, entity="cme-credit")
    assert event.actor == world.user("district_a") and event.after["external_refs"] == ["API-1", "API-2"]

    again = api("district_a").post(BULK, body)
    assert again.status_code == 200 and again.json() == {"created": 0, "unchanged": 2}
    assert CreditRecord.objects.count() == 2


def test_one_bad_record_refuses_the_whole_request(world, api):
    _, id_number = known_worker(world, world.inst_a1, "陈医生")
    unknown = factories.unique_id_number(birth=dt.date(1993, 3, 3))
    future = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    body = [record("OK-1", id_number, "陈医生"), record("B-2", unknown, "查无此人"),
            record("B-3", id_number, "陈医生", credits="-1"), record("B-4", id_number, "陈医生", earned_on=future),
            record("B-5", id_number, "陈医生", credits="abc"), record("OK-1", id_number, "陈医生"),
            record("B-7", id_number, "别人")]
    body = assert_error(api("district_a").post(BULK, body), 400, "rows_invalid")
    credits_reason = "学分应为大于0的数字，最多一位小数"
    assert body["extra"]["rows"] == [
        {"index": 1, "field": "id_number", "value": mask(unknown), "message": "未找到该人员"},
        {"index": 2, "field": "credits", "value": "-1",
         "message": "单元格内容以 =、+、-、@ 开头，疑似公式，已拒绝（如确需此内容，请改写）"},
        {"index": 3, "field": "earned_on", "value": future, "message": "日期不能晚于今天"},
        {"index": 4, "field": "credits", "value": "abc", "message": credits_reason},
        {"index": 5, "field": "record_id", "value": "OK-1", "message": "与第 0 条记录的平台记录号重复"},
        {"index": 6, "field": "name", "value": "别人", "message": "姓名与证件号不符"},
    ]
    assert unknown not in str(body)
    assert CreditRecord.objects.count() == 0
    negative = api("district_a").post(BULK, [record("N-1", id_number, "陈医生", credits=-1)])
    assert assert_error(negative, 400, "rows_invalid")["extra"]["rows"][0]["message"] == credits_reason


def test_a_district_cannot_post_or_read_another_districts_worker(world, api):
    worker_b, id_b = known_worker(world, world.inst_b1, "林药师")
    body = assert_error(api("district_a").post(BULK, [record("X-1", id_b, "林药师")]), 400, "rows_invalid")
    assert body["extra"]["rows"] == [{"index": 0, "field": "id_number", "value": mask(id_b),
                                      "message": "该人员不在您的管辖范围内，不能为其登记"}]
    assert CreditRecord.objects.count() == 0
    assert_error(api("district_a").get(transcript_url(worker_b)), 404, "not_found")
    assert not AuditEvent.objects.filter(entity="cme-transcript").exists()


def test_bulk_is_limited_in_size_shape_and_role(world, api):
    _, id_number = known_worker(world, world.inst_a1, "陈医生")
    assert_error(api("district_a").post(BULK, [record(f"R{i}", id_number, "陈医生") for i in range(5001)]),
                 400, "too_many_records")
    assert_error(api("district_a").post(BULK, {"record_id": "R"}), 400, "validation_error")
    assert_error(api("expert").post(BULK, [record("R", id_number, "陈医生")]), 403, "permission_denied")
    assert CreditRecord.objects.count() == 0


def test_transcript_returns_records_and_the_audit_outcome_and_is_audited(world, api):
    worker, id_number = known_worker(world, world.inst_a1, "陈医生")
    science = world.user("commission_science")
    year = EARNED.year
    # Junior group: total 20, class I >= 5, class II >= 10, remote counted <= 10.
    services.requirement_set(actor=science, year=year, title_group="junior_and_below", total="20",
                             min_class_i="5", min_class_ii="10", remote_cap="10")
    assert api("district_a").post(BULK, [record("T-1", id_number, "陈医生", credits="6"),
                                         record("T-2", id_number, "陈医生", credit_class="I", credits="3")]
                                  ).status_code == 200
    response = api("district_a").get(transcript_url(worker))
    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["worker"], data["name"], data["year"], data["title_group"]) == (
        worker.pk, "陈医生", year, "junior_and_below")
    assert "id_number" not in data and data["id_number_masked"] == worker.id_number_masked
    assert sorted((r["external_ref"], r["credits"], r["is_remote"]) for r in data["records"]) == [
        ("T-1", "6.0", True), ("T-2", "3.0", True)]
    # Remote 9 (I 3 + II 6) is under the cap of 10: I 3, II 6, total 9; short: total 11, I 2, II 4 -> 11.
    assert data["outcome"] == {"passed": False, "exempt": False, "counted_total": "9.0", "class_i": "3.0",
                               "class_ii": "6.0", "remote_counted": "9.0", "shortfall": "11.0",
                               "reason": "总学分不足：差 11.0 分；I类学分不足：差 2.0 分；II类学分不足：差 4.0 分"}
    event = AuditEvent.objects.get(action=AuditAction.VIEW_PERSONAL, entity="cme-transcript")
    assert event.entity_id == str(worker.pk) and event.actor == world.user("district_a")

    no_requirement = api("commission_science").get(transcript_url(worker, year - 1)).json()
    assert no_requirement["outcome"] is None and no_requirement["records"] == []
    assert_error(api("district_a").get(f"/api/v1/cme/workers/{worker.pk}/transcript/"), 400, "validation_error")


def test_worker_api_carries_the_licence_number(world, api):
    inst = world.inst_a1
    created = api("institution_a1").post("/api/v1/workers/", {
        "name": "高医生", "id_number": factories.unique_id_number(), "institution": inst.pk, "profession": "doctor",
        "licence_number": "110510000000888"})
    assert created.status_code == 201, created.content
    assert created.json()["licence_number"] == "110510000000888"
    pk = created.json()["id"]
    kept = api("institution_a1").patch(f"/api/v1/workers/{pk}/", {"title_level": "junior"})
    assert kept.json()["licence_number"] == "110510000000888"
    cleared = api("institution_a1").patch(f"/api/v1/workers/{pk}/", {"licence_number": ""})
    assert cleared.json()["licence_number"] == ""
    assert_error(api("institution_a1").patch(f"/api/v1/workers/{pk}/", {"licence_number": "AB-12"}), 400,
                 "licence_invalid", "licence_number")
