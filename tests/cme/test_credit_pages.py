"""The credit pages: who sees what, forms that call the services, exports and audits."""

import datetime as dt

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from weijian.audit.models import AuditEvent
from weijian.cme import services
from weijian.cme.models import (
    ActivityType,
    AnnualAudit,
    CreditEvidence,
    CreditRecord,
    CycleCertification,
    Exemption,
)

from .conftest import YEAR

D = dt.date
PDF = b"%PDF-1.4\n% lecture notice\n%%EOF\n"


def _get(client_for, cme, key, url):
    return client_for(cme.user(key)).get(url)


def _transcript(pk):
    return reverse("cme:worker-transcript", args=[pk]) + f"?year={YEAR}"


def test_my_transcript_shows_the_year_and_its_outcome(cme, client_for):
    response = _get(client_for, cme, "worker_a1", reverse("cme:my-transcript") + f"?year={YEAR}")
    assert response.status_code == 200
    page = response.content.decode()
    # a1: I 10 (P1) + II 15 = 25 → 达标; the rejected 3 is listed with its review.
    assert "基层常见病诊疗进展" in page and "达标" in page and "25.0" in page
    assert "证明材料不符" in page
    assert not AuditEvent.objects.filter(action="view-personal").exists()  # one's own record is not audited
    for key in ("district_a", "institution_a1", "expert"):
        assert _get(client_for, cme, key, reverse("cme:my-transcript")).status_code == 403


def test_the_transcript_of_another_person_is_scoped_and_audited(cme, client_for):
    response = _get(client_for, cme, "district_a", _transcript(cme.a2.pk))
    assert response.status_code == 200
    page = response.content.decode()
    # a2: I 8, II 7, total 15 counted; shortfall max(10, 2 + 3) = 10.
    assert "总学分不足：差 10.0 分" in page and "10.0" in page
    event = AuditEvent.objects.get(action="view-personal", entity="cme-transcript")
    assert (event.actor, event.entity_id) == (cme.user("district_a"), str(cme.a2.pk))
    assert _get(client_for, cme, "district_a", _transcript(cme.b1.pk)).status_code == 404
    assert _get(client_for, cme, "institution_a1", _transcript(cme.a2.pk)).status_code == 404  # inst_a2
    assert _get(client_for, cme, "institution_a1", _transcript(cme.a3.pk)).status_code == 200
    assert _get(client_for, cme, "worker_a1", _transcript(cme.a2.pk)).status_code == 404
    assert _get(client_for, cme, "commission_science", _transcript(cme.b2.pk)).status_code == 200
    assert _get(client_for, cme, "expert", _transcript(cme.a1.pk)).status_code == 403
    assert AuditEvent.objects.filter(action="view-personal", entity="cme-transcript").count() == 3


def test_the_credit_list_is_scoped_and_exports(cme, client_for):
    response = _get(client_for, cme, "district_a", reverse("cme:credit-list") + f"?year={YEAR}")
    assert response.status_code == 200
    names = {obj.worker.name for obj, _, _ in response.context["rows"]}
    assert names == {"张医生", "李护士", "赵住院医"}
    response = _get(client_for, cme, "institution_b1", reverse("cme:credit-list"))
    assert {obj.worker.name for obj, _, _ in response.context["rows"]} == {"钱技士"}
    response = _get(client_for, cme, "worker_a1", reverse("cme:credit-list"))
    assert {obj.worker.name for obj, _, _ in response.context["rows"]} == {"张医生"}
    response = _get(client_for, cme, "district_a", reverse("cme:credit-list") + "?status=pending&export=xlsx")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxml")
    assert AuditEvent.objects.filter(action="export", entity="cme-credit").count() == 1
    assert _get(client_for, cme, "worker_a1", reverse("cme:credit-list") + "?export=xlsx").status_code == 403


def test_self_report_with_evidence_then_the_queues(cme, client_for):
    services.activity_catalogue_seed(actor=cme.user("commission_science"))
    lecture = ActivityType.objects.get(code="lecture_city")
    client = client_for(cme.user("worker_a1"))
    assert client.get(reverse("cme:credit-report")).status_code == 200
    response = client.post(reverse("cme:credit-report"), {
        "activity_type": lecture.pk, "quantity": "3", "earned_on": "2025-09-01", "title": "市级项目授课",
        "evidence": SimpleUploadedFile("notice.pdf", PDF)})
    record = CreditRecord.objects.get(title="市级项目授课")
    assert response.status_code == 302 and response["Location"] == reverse("cme:credit-detail", args=[record.pk])
    assert (record.credits, record.stage) == (6, "department")  # 3 hours × 2
    assert CreditEvidence.objects.filter(record=record).count() == 1
    bad = client.post(reverse("cme:credit-report"), {"activity_type": lecture.pk, "quantity": "1",
                                                      "earned_on": "2025-09-02",
                                                      "evidence": SimpleUploadedFile("x.pdf", b"hello")})
    assert bad.status_code == 422 and "证明材料只能是 PDF、JPEG 或 PNG 文件" in bad.content.decode()
    assert CreditRecord.objects.filter(earned_on=D(2025, 9, 2)).count() == 0  # nothing half-written

    # The institution's queue has it (every other record of inst_a1's workers is decided); the commission's not.
    queue = _get(client_for, cme, "institution_a1", reverse("cme:credit-queue"))
    assert [obj.pk for obj, _, _ in queue.context["rows"]] == [record.pk]
    science_queue = _get(client_for, cme, "commission_science", reverse("cme:credit-queue"))
    assert list(science_queue.context["rows"]) == []
    assert _get(client_for, cme, "district_a", reverse("cme:credit-queue")).status_code == 403

    inst = client_for(cme.user("institution_a1"))
    assert inst.post(reverse("cme:credit-review", args=[record.pk]), {"decision": "reject"}).status_code == 422
    for _ in range(2):
        assert inst.post(reverse("cme:credit-review", args=[record.pk]), {"decision": "approve"}).status_code == 302
    science = client_for(cme.user("commission_science"))
    assert record.pk in [obj.pk for obj, _, _ in science.get(reverse("cme:credit-queue")).context["rows"]]
    assert science.get(reverse("cme:credit-detail", args=[record.pk])).status_code == 200
    assert science.post(reverse("cme:credit-review", args=[record.pk]), {"decision": "approve"}).status_code == 302
    record.refresh_from_db()
    assert (record.status, record.stage) == ("verified", "done")
    # Someone of another institution cannot even find it.
    assert client_for(cme.user("institution_b1")).post(
        reverse("cme:credit-review", args=[record.pk]), {"decision": "approve"}).status_code == 404


def test_evidence_download_is_scoped(cme, client_for):
    evidence, _ = services.credit_evidence_add(actor=cme.user("worker_a1"), record=_pending_a1(cme),
                                               uploaded_file=SimpleUploadedFile("a.pdf", PDF))
    url = reverse("cme:evidence-download", args=[evidence.pk])
    response = _get(client_for, cme, "district_a", url)
    assert response.status_code == 200 and response.content == PDF and response["Content-Type"] == "application/pdf"
    assert _get(client_for, cme, "district_b", url).status_code == 404
    assert AuditEvent.objects.filter(action="view-personal", entity="cme-evidence").count() == 1


def _pending_a1(cme):
    return services.credit_record_create(actor=cme.user("worker_a1"), worker=cme.a1, credit_class="II",
                                         category="paper", credits="2", earned_on=D(YEAR, 9, 1))


def test_catalogue_and_requirement_pages(cme, client_for):
    science = client_for(cme.user("commission_science"))
    assert science.post(reverse("cme:activity-catalogue-seed")).status_code == 302
    assert ActivityType.objects.count() == 9
    response = science.get(reverse("cme:activity-type-list"))
    assert response.status_code == 200 and "发表论文（核心期刊）" in response.content.decode()
    core = ActivityType.objects.get(code="paper_core")
    response = science.post(reverse("cme:activity-type-update", args=[core.pk]), {
        "code": "ignored", "name": "发表论文（核心期刊）", "credit_class": "II", "category": "paper",
        "rule": "per_unit", "unit": "篇", "credits_per_unit": "8", "max_per_year": "16", "needs_evidence": "on",
        "is_active": "on"})
    assert response.status_code == 302
    core.refresh_from_db()
    assert (core.code, str(core.credits_per_unit), str(core.max_per_year)) == ("paper_core", "8.0", "16.0")
    assert _get(client_for, cme, "worker_a1", reverse("cme:activity-type-list")).status_code == 200
    assert _get(client_for, cme, "district_a", reverse("cme:activity-type-create")).status_code == 403

    science = client_for(cme.user("commission_science"))
    response = science.post(reverse("cme:requirement-set"), {
        "year": "2026", "title_group": "junior_and_below", "profession": "", "total": "20", "min_class_i": "5",
        "min_class_ii": "10", "remote_cap": "8"})
    assert response.status_code == 302
    bad = science.post(reverse("cme:requirement-set"), {
        "year": "2026", "title_group": "junior_and_below", "profession": "", "total": "10", "min_class_i": "6",
        "min_class_ii": "6", "remote_cap": "8"})
    assert bad.status_code == 422
    listing = _get(client_for, cme, "district_a", reverse("cme:requirement-list") + "?year=2026")
    assert len(listing.context["rows"]) == 1
    assert _get(client_for, cme, "district_a", reverse("cme:requirement-set")).status_code == 403


def test_exemption_pages(cme, client_for):
    inst = client_for(cme.user("institution_a1"))
    assert inst.get(reverse("cme:exemption-request")).status_code == 200
    assert inst.post(reverse("cme:exemption-request"), {"worker": cme.a3.pk, "year": YEAR,
                                                        "reason": "产假"}).status_code == 302
    # inst_a1 cannot pick a worker of another institution.
    assert inst.post(reverse("cme:exemption-request"), {"worker": cme.b2.pk, "year": YEAR,
                                                        "reason": "产假"}).status_code == 422
    exemption = Exemption.objects.get(worker=cme.a3)
    assert exemption.status == "pending"
    url = reverse("cme:exemption-decide", args=[exemption.pk])
    assert _get(client_for, cme, "district_b", url).status_code == 404
    assert _get(client_for, cme, "institution_a1", url).status_code == 403
    district = client_for(cme.user("district_a"))
    assert district.post(url, {"decision": "reject", "reason": ""}).status_code == 422
    assert district.post(url, {"decision": "approve", "reason": ""}).status_code == 302
    exemption.refresh_from_db()
    assert exemption.status == "verified"
    listing = _get(client_for, cme, "district_b", reverse("cme:exemption-list"))
    assert {obj.worker.name for obj, _, _ in listing.context["rows"]} == {"王药师"}


def test_audit_and_cycle_pages(cme, client_for):
    district = client_for(cme.user("district_a"))
    assert district.get(reverse("cme:audit-run")).status_code == 200
    response = district.post(reverse("cme:audit-run"), {"year": YEAR, "district": ""})
    assert response.status_code == 302
    assert AnnualAudit.objects.filter(year=YEAR).count() == 3  # a1, a2, a3
    listing = district.get(reverse("cme:audit-list") + f"?year={YEAR}&passed=0")
    assert {obj.worker.name for obj, _, _ in listing.context["rows"]} == {"李护士", "赵住院医"}
    export = district.get(reverse("cme:audit-list") + f"?year={YEAR}&export=xlsx")
    assert export.status_code == 200
    assert _get(client_for, cme, "institution_a1", reverse("cme:audit-run")).status_code == 403

    science = client_for(cme.user("commission_science"))
    assert science.post(reverse("cme:cycle-run"), {"year": YEAR, "district": ""}).status_code == 302
    assert CycleCertification.objects.count() == 5
    listing = _get(client_for, cme, "institution_b1", reverse("cme:cycle-list") + f"?last_year={YEAR}")
    assert {obj.worker.name for obj, _, _ in listing.context["rows"]} == {"王药师", "钱技士"}
    mine = _get(client_for, cme, "worker_a1", reverse("cme:cycle-list"))
    assert [obj.worker.name for obj, _, _ in mine.context["rows"]] == ["张医生"]


def test_every_credit_page_needs_a_login(cme, client):
    urls = [reverse(name) for name in ("cme:my-transcript", "cme:credit-list", "cme:credit-report", "cme:credit-queue",
                                       "cme:activity-type-list", "cme:requirement-list", "cme:exemption-list",
                                       "cme:audit-list", "cme:cycle-list", "cme:audit-run", "cme:cycle-run")]
    urls += [_transcript(cme.a1.pk), reverse("cme:transcript-pdf", args=[cme.a1.pk])]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response["Location"], url
