"""The health-record pages (健康档案): residents and their timeline for clinicians, emergency access, upload
batches and sources for the commission, districts and institutions, clinical grants for the security admin."""

import pytest
from django.urls import reverse

from tests.records.test_timeline import LIU, LIU_ID, ZHAO, clinician_b1, load_residents
from weijian.audit.actions import AuditAction
from weijian.audit.models import AuditEvent
from weijian.records import services
from weijian.records.models import BreakGlass, ClinicalGrant, Source, Upload, UploadIssue

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BREAK_GLASS_ERROR = "紧急访问须填写理由（至少10个字）"


@pytest.fixture
def residents(record_sources):
    return load_residents(record_sources)


def _timeline(pid=LIU):
    return reverse("records:patient-timeline", args=[pid])


def _nav(response) -> list[str]:
    return [str(item["label"]) for item in response.context["nav_items"]]


def test_a_clinician_searches_and_opens_the_timeline_of_both_hospitals(world, client_for, residents):
    client = client_for(world.user("worker_a1"))
    empty = client.get(reverse("records:index"))
    assert empty.status_code == 200 and "请输入姓名、档案号或身份证号检索居民" in empty.content.decode()
    assert "健康档案" in _nav(empty)

    # A POST: the ID number stays out of the URL, and the page does not echo it back.
    found = client.post(reverse("records:index"), {"q": LIU_ID})
    body = found.content.decode()
    assert found.status_code == 200 and "刘晓梅" in body and _timeline() in body
    assert LIU_ID[:4] + "*" * 10 + LIU_ID[-4:] in body and LIU_ID not in body
    by_name = client.post(reverse("records:index"), {"q": "刘"}).content.decode()
    assert "刘晓梅" in by_name and 'value="刘"' in by_name
    none = client.post(reverse("records:index"), {"q": "王"}).content.decode()
    assert "没有找到您有权查阅的居民" in none
    outside = client.post(reverse("records:index"), {"q": residents.zhao_id_number}).content.decode()
    assert "赵国强" not in outside and reverse("records:patient-break-glass", args=[ZHAO]) in outside

    page = client.get(_timeline())
    body = page.content.decode()
    assert page.status_code == 200
    for text in ("刘晓梅", "锦江区人民医院", "青羊区人民医院", "原发性高血压", "2型糖尿病", "硝苯地平控释片", "流感疫苗",
                 "胸部CT平扫", "出院小结", "空腹血糖", "vendor/chartjs/chart.umd.min.js", 'id="trend-0"'):
        assert text in body, text
    assert LIU_ID not in body and "cdn" not in body.lower()
    read = AuditEvent.objects.get(action=AuditAction.RECORD_READ, entity="Patient", entity_id=LIU)
    assert (read.actor_username, read.summary) == ("worker_a1", "居民健康档案时间轴：刘晓梅")
    assert AuditEvent.objects.filter(action=AuditAction.RECORD_SEARCH, entity_id=LIU).count() == 2


def test_the_timeline_filters_and_refuses_a_reversed_date_range(world, client_for, residents):
    client = client_for(world.user("worker_a1"))
    only_b = client.get(_timeline(), {"institution": world.inst_b1.pk}).content.decode()
    assert "2型糖尿病" in only_b and "原发性高血压" not in only_b and "硝苯地平控释片" not in only_b
    june = client.get(_timeline(), {"date_from": "2024-06-01", "date_to": "2024-06-30"}).content.decode()
    assert "2型糖尿病" in june and "流感疫苗" not in june
    bad = client.get(_timeline(), {"date_from": "2024-06-30", "date_to": "2024-06-01"})
    assert bad.status_code == 422 and "截止日期不能早于起始日期" in bad.content.decode()


def test_out_of_reach_offers_emergency_access_with_a_reason(world, client_for, residents):
    client = client_for(world.user("worker_a1"))
    page = client.get(_timeline(ZHAO))
    body = page.content.decode()
    assert page.status_code == 403 and "开启紧急访问" in body and "赵国强" not in body
    # A resident who does not exist looks the same: ids cannot be probed.
    missing = client.get(_timeline("no-such-resident"))
    assert missing.status_code == 403 and [t.name for t in missing.templates][0] == "records/break_glass.html"
    url = reverse("records:patient-break-glass", args=[ZHAO])
    short = client.post(url, {"reason": "急诊"})
    assert short.status_code == 422 and BREAK_GLASS_ERROR in short.content.decode()
    assert not BreakGlass.objects.exists()
    assert AuditEvent.objects.filter(action=AuditAction.BREAK_GLASS, entity_id=ZHAO, outcome="refused").exists()
    assert client.post(reverse("records:patient-break-glass", args=["no-such-resident"]),
                       {"reason": "急诊昏迷患者，需查阅既往病史"}).status_code == 404

    opened = client.post(url, {"reason": "急诊昏迷患者，需查阅既往病史和用药"})
    assert opened.status_code == 302 and opened["Location"] == _timeline(ZHAO)
    follow = client.get(_timeline(ZHAO))
    assert follow.status_code == 200 and "赵国强" in follow.content.decode()
    assert "已开启紧急访问" in follow.content.decode()
    assert AuditEvent.objects.filter(action=AuditAction.BREAK_GLASS, entity_id=ZHAO, outcome="ok",
                                     summary="急诊昏迷患者，需查阅既往病史和用药").exists()
    assert client.get(url).status_code == 302  # already open: straight to the timeline


def test_who_may_not_read_records(world, client_for, residents):
    info = client_for(world.user("commission_info"))
    assert info.get(_timeline()).status_code == 403
    redirected = info.get(reverse("records:index"))
    assert redirected.status_code == 302 and redirected["Location"] == reverse("records:upload-list")
    uploads = info.get(reverse("records:upload-list"))
    assert uploads.status_code == 200 and "锦江区人民医院" in uploads.content.decode()
    assert not AuditEvent.objects.filter(action=AuditAction.RECORD_READ).exists()
    for key in ("district_a", "institution_a1", "expert", "audit_admin"):
        client = client_for(world.user(key))
        assert client.get(_timeline()).status_code in (403, 404), key
        assert client.post(reverse("records:patient-break-glass", args=[ZHAO]),
                           {"reason": "急诊昏迷患者，需查阅既往病史"}).status_code == 403, key
    assert not BreakGlass.objects.exists()
    expert = client_for(world.user("expert"))
    assert "健康档案" not in _nav(expert.get("/"))
    assert expert.get(reverse("records:index")).status_code == 403
    assert expert.post(reverse("records:index"), {"q": LIU_ID}).status_code == 403


def test_the_security_admin_grants_the_information_centre_clinical_access(world, client_for, residents):
    admin = client_for(world.user("security_admin"))
    page = admin.get(reverse("records:grant-list"))
    assert page.status_code == 200 and "暂无有效授权" in page.content.decode() and "健康档案" in _nav(page)
    assert admin.get(reverse("records:index"))["Location"] == reverse("records:grant-list")
    info = world.user("commission_info")
    short = admin.post(reverse("records:grant-create"), {"user": info.pk, "days": 7, "reason": "核对"})
    assert short.status_code == 422 and "授权须填写理由（至少10个字）" in short.content.decode()
    done = admin.post(reverse("records:grant-create"), {"user": info.pk, "days": 7,
                                                        "reason": "配合区域传染病疫情调查核对病例资料"})
    assert done.status_code == 302 and ClinicalGrant.objects.filter(user=info).count() == 1
    assert "配合区域传染病疫情调查核对病例资料" in admin.get(reverse("records:grant-list")).content.decode()
    assert AuditEvent.objects.filter(action=AuditAction.GRANT, entity="record-grant").exists()
    # Only the security administrator grants, and only to the information centre.
    assert admin.post(reverse("records:grant-create"), {"user": world.user("worker_a1").pk, "days": 7,
                                                        "reason": "配合区域传染病疫情调查核对病例资料"}).status_code == 422
    assert client_for(world.user("commission_info")).get(_timeline()).status_code == 200
    assert client_for(world.user("system_admin")).get(reverse("records:grant-list")).status_code == 403


def test_uploads_list_filters_exports_and_keeps_to_scope(world, client_for, residents):
    info = client_for(world.user("commission_info"))
    a1, b1 = residents.sources.a1, residents.sources.b1
    listing = info.get(reverse("records:upload-list"), {"source": a1.pk})
    body = listing.content.decode()
    assert listing.status_code == 200 and "共 1 条" in body and "事务 Bundle" in body
    assert "共 0 条" in info.get(reverse("records:upload-list"), {"status": "failed"}).content.decode()
    assert "共 3 条" in info.get(reverse("records:upload-list"), {"kind": "transaction", "sort": "-total"}).content.decode()
    export = info.get(reverse("records:upload-list"), {"export": "xlsx"})
    assert export.status_code == 200 and export["Content-Type"] == XLSX
    assert AuditEvent.objects.filter(action=AuditAction.EXPORT, entity="record-upload").exists()

    district_b = client_for(world.user("district_b"))
    body = district_b.get(reverse("records:upload-list")).content.decode()
    assert "共 2 条" in body and "青羊区人民医院" in body and "锦江区人民医院" not in body
    a1_upload = Upload.objects.filter(source=a1).get()
    assert district_b.get(reverse("records:upload-detail", args=[a1_upload.pk])).status_code == 404
    institution = client_for(world.user("institution_a1")).get(reverse("records:upload-list")).content.decode()
    assert "共 1 条" in institution
    assert client_for(world.user("worker_a1")).get(reverse("records:upload-list")).status_code == 403
    assert Upload.objects.filter(source=b1).count() == 2


def test_an_upload_shows_its_counts_and_rejected_entries(world, client_for, record_sources):
    bundle = {"resourceType": "Bundle", "type": "batch", "entry": [
        {"resource": {"resourceType": "Patient", "id": "p-ok", "gender": "female"},
         "request": {"method": "PUT", "url": "Patient/p-ok"}},
        {"resource": {"resourceType": "Patient", "id": "p-bad", "gender": "girl"},
         "request": {"method": "PUT", "url": "Patient/p-bad"}},
    ]}
    _response, upload = services.bundle_submit(actor=record_sources.a1_user, bundle=bundle)
    UploadIssue.objects.create(upload=upload, entry=2, resource_type="Patient", fhir_id="p-bad",
                               message="“girl”不是 gender 允许的取值")
    page = client_for(world.user("district_a")).get(reverse("records:upload-detail", args=[upload.pk]))
    body = page.content.decode()
    assert page.status_code == 200 and "批处理 Bundle" in body and "“girl”不是 gender 允许的取值" in body
    assert [(str(label), n) for label, n in page.context["counts"]] == [
        ("条目数", 2), ("新增", 1), ("更新", 0), ("未变化", 0), ("拒收", 1)]


def test_the_information_centre_registers_suspends_and_resumes_a_source(world, client_for, record_sources):
    info = client_for(world.user("commission_info"))
    form = info.get(reverse("records:source-create"))
    assert form.status_code == 200 and "春熙路社区卫生服务中心" in form.content.decode()
    created = info.post(reverse("records:source-create"), {
        "institution": world.inst_a2.pk, "kind": "primary_care", "allowed_types": ["Patient", "Immunization"]})
    assert created.status_code == 302
    source = Source.objects.get(institution=world.inst_a2)
    assert (source.kind, source.allowed_types, source.name) == ("primary_care", ["Patient", "Immunization"],
                                                                "春熙路社区卫生服务中心")
    again = info.post(reverse("records:source-create"), {"institution": world.inst_a2.pk, "kind": "primary_care"})
    assert again.status_code == 422 and "该来源编码已登记" in again.content.decode()
    listing = info.get(reverse("records:source-list")).content.decode()
    assert "居民、免疫接种" in listing and "暂停" in listing and "全部类型" in listing

    url = reverse("records:source-status", args=[source.pk])
    assert info.post(url, {"status": "suspended"}).status_code == 302
    source.refresh_from_db()
    assert source.status == "suspended"
    assert info.post(url, {"status": "active"}).status_code == 302
    source.refresh_from_db()
    assert source.status == "active"
    assert AuditEvent.objects.filter(entity="record-source", entity_id=str(source.pk), action="update").count() == 2

    district_a = client_for(world.user("district_a"))
    read_only = district_a.get(reverse("records:source-list"))
    assert read_only.status_code == 200 and "春熙路社区卫生服务中心" in read_only.content.decode()
    assert "登记数据来源" not in read_only.content.decode() and 'value="suspended"' not in read_only.content.decode()
    assert district_a.post(url, {"status": "suspended"}).status_code == 403
    assert district_a.get(reverse("records:source-create")).status_code == 403
    district_b = client_for(world.user("district_b")).get(reverse("records:source-list")).content.decode()
    assert "春熙路社区卫生服务中心" not in district_b and "青羊区人民医院" in district_b


def test_the_section_tabs_follow_the_role(world, client_for, record_sources):
    def tabs(key, url):
        return [str(t["label"]) for t in client_for(world.user(key)).get(url).context["section_tabs"]]

    assert tabs("commission_info", reverse("records:upload-list")) == ["居民检索", "上传批次", "数据来源"]
    assert tabs("district_a", reverse("records:upload-list")) == ["上传批次", "数据来源"]
    assert tabs("worker_a1", reverse("records:index")) == []  # one page only: no tabs


def test_the_b1_clinician_reads_the_shared_resident_too(world, client_for, residents):
    client = client_for(clinician_b1(world))
    body = client.get(_timeline()).content.decode()
    assert "锦江区人民医院" in body and "青羊区人民医院" in body
    assert client.get(_timeline(ZHAO)).status_code == 200


def test_query_counts_do_not_grow_with_rows(world, client_for, residents):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries(client, url, data=None):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url, data or {}).status_code == 200
        return len(captured)

    info = client_for(world.user("commission_info"))
    one = queries(info, reverse("records:upload-list"), {"source": residents.sources.a1.pk})
    assert queries(info, reverse("records:upload-list")) == one  # 1 row and 3 rows
    worker = client_for(world.user("worker_a1"))
    small = queries(worker, _timeline(), {"institution": world.inst_a2.pk})  # nothing shown
    assert queries(worker, _timeline()) == small  # 17 resources parsed, no query per resource
