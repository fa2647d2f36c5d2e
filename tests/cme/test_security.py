"""Security review of the CME app: scope (a district sees its district, an institution its workers, a worker
himself), IDOR on every write that takes a pk, GET/CSRF on POST endpoints, the QR check-in token, evidence
downloads, audit of personal reads, and bad input giving Chinese errors instead of 500s.
"""

import csv
import datetime as dt
import io
import logging

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.cme.conftest import YEAR
from weijian.audit.models import AuditEvent
from weijian.cme import services
from weijian.cme.models import (
    Attendance,
    CheckInWindow,
    CmeProject,
    CreditRecord,
    Exemption,
    SpotCheckItem,
)
from weijian.core.crypto import decrypt
from weijian.core.errors import BusinessError
from weijian.core.logging import RedactSensitiveFilter

D = dt.date
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n"


def _code(call, **kwargs):
    with pytest.raises(BusinessError) as exc:
        call(**kwargs)
    return exc.value.code


def _csv_names(response) -> set[str]:
    assert response.status_code == 200, response.status_code
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    column = rows[0].index("人员")
    return {row[column] for row in rows[1:]}


def _id(worker) -> str:
    return decrypt(worker.id_number_encrypted)


def _at(*args) -> dt.datetime:
    return timezone.make_aware(dt.datetime(*args))


# ---- scope: district → its district, institution → its workers, worker → himself -------------

def test_credit_list_export_is_scoped_per_role_and_audited(cme, client_for):
    # Records in the cme world: a1 (P1, self-study 15, rejected 3), a2 (P2, remote 6, paper 5, pending 4),
    # a3 (P1, self-study 8) in district A (a1, a3 at inst_a1; a2 at inst_a2); b2 (P2, self-study 12) in B.
    url = reverse("cme:credit-list") + "?export=csv"
    a_names = {cme.a1.name, cme.a2.name, cme.a3.name}
    assert _csv_names(client_for(cme.user("district_a")).get(url)) == a_names
    assert _csv_names(client_for(cme.user("district_b")).get(url)) == {cme.b2.name}
    assert _csv_names(client_for(cme.user("institution_a1")).get(url)) == {cme.a1.name, cme.a3.name}
    assert _csv_names(client_for(cme.user("commission_science")).get(url)) == a_names | {cme.b2.name}
    # The worker sees his own records only (the list page, export is not his).
    worker_page = client_for(cme.user("worker_a1")).get(reverse("cme:credit-list"))
    assert worker_page.status_code == 200
    html = worker_page.content.decode()
    assert cme.a1.name in html and cme.a2.name not in html and cme.a3.name not in html
    exports = AuditEvent.objects.filter(action="export", entity="cme-credit")
    assert exports.count() == 4
    assert {e.actor.username for e in exports} == {"district_a", "district_b", "institution_a1", "commission_science"}


def test_transcript_pages_are_scoped_and_out_of_scope_looks_missing(cme, client_for):
    a1_url = reverse("cme:worker-transcript", args=[cme.a1.pk]) + f"?year={YEAR}"
    missing_url = reverse("cme:worker-transcript", args=[999_999]) + f"?year={YEAR}"
    for key, expected in (("district_a", 200), ("institution_a1", 200), ("commission_science", 200),
                          ("district_b", 404), ("institution_b1", 404)):
        assert client_for(cme.user(key)).get(a1_url).status_code == expected, key
    assert client_for(cme.user("district_b")).get(missing_url).status_code == 404
    # A worker reaching another worker's transcript: 404, like a missing one.
    a2_url = reverse("cme:worker-transcript", args=[cme.a2.pk]) + f"?year={YEAR}"
    assert client_for(cme.user("worker_a1")).get(a2_url).status_code == 404
    # Only the three reads in scope were audited, one row each, naming the worker by pk.
    reads = AuditEvent.objects.filter(action="view-personal", entity="cme-transcript")
    assert sorted(e.actor.username for e in reads) == ["commission_science", "district_a", "institution_a1"]
    assert {e.entity_id for e in reads} == {str(cme.a1.pk)}


def test_transcript_pdf_is_scoped_audited_and_names_no_id_number(cme, client_for):
    url = reverse("cme:transcript-pdf", args=[cme.a1.pk]) + f"?year={YEAR}"
    assert client_for(cme.user("district_b")).get(url).status_code == 404
    response = client_for(cme.user("district_a")).get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f"attachment; filename=cme-transcript-{cme.a1.pk}-{YEAR}.pdf"
    assert _id(cme.a1) not in response["Content-Disposition"]
    event = AuditEvent.objects.get(action="export", entity="cme-transcript")
    assert event.actor == cme.user("district_a") and event.entity_id == str(cme.a1.pk)
    assert _id(cme.a1) not in event.summary


def test_transcript_api_is_scoped_and_audited(cme, client_for):
    def url(worker_pk):
        return f"/api/v1/cme/workers/{worker_pk}/transcript/?year={YEAR}"

    forbidden = client_for(cme.user("district_b")).get(url(cme.a1.pk))
    missing = client_for(cme.user("district_b")).get(url(999_999))
    assert forbidden.status_code == missing.status_code == 404
    assert forbidden.json() == missing.json()  # the same body: ids cannot be probed
    assert client_for(cme.user("institution_b1")).get(url(cme.a3.pk)).status_code == 404
    own = client_for(cme.user("institution_a1")).get(url(cme.a3.pk))
    assert own.status_code == 200
    body = own.json()
    assert body["worker"] == cme.a3.pk and _id(cme.a3) not in own.content.decode()
    assert body["id_number_masked"] != _id(cme.a3)
    # P1 (I 10) + self-study II 8, both verified: what the conftest says a3 has.
    assert sorted((r["credit_class"], r["credits"]) for r in body["records"]) == [("I", "10.0"), ("II", "8.0")]
    assert AuditEvent.objects.filter(action="view-personal", entity="cme-transcript",
                                     entity_id=str(cme.a3.pk)).count() == 1
    assert not AuditEvent.objects.filter(entity="cme-transcript", entity_id=str(cme.a1.pk)).exists()


def test_exemption_and_audit_lists_are_scoped(cme, client_for):
    services.exemption_request(actor=cme.user("institution_a1"), worker=cme.a3, year=YEAR, reason="产假")
    page = client_for(cme.user("district_a")).get(reverse("cme:exemption-list")).content.decode()
    assert cme.a3.name in page and cme.b1.name not in page  # b1's exemption (district B) is not shown
    page = client_for(cme.user("district_b")).get(reverse("cme:exemption-list")).content.decode()
    assert cme.b1.name in page and cme.a3.name not in page
    page = client_for(cme.user("worker_a1")).get(reverse("cme:exemption-list")).content.decode()
    assert cme.a3.name not in page and cme.b1.name not in page

    services.annual_audit_run(actor=cme.user("commission_science"), year=YEAR)
    url = reverse("cme:audit-list") + f"?year={YEAR}&export=csv"
    assert _csv_names(client_for(cme.user("institution_a1")).get(url)) == {cme.a1.name, cme.a3.name}
    assert _csv_names(client_for(cme.user("district_b")).get(url)) == {cme.b1.name, cme.b2.name}


# ---- IDOR on writes that take a pk ----------------------------------------------------------

def test_another_institution_cannot_review_a_record(cme, client_for):
    url = reverse("cme:credit-review", args=[cme.pending_a2.pk])
    before = CreditRecord.objects.filter(pk=cme.pending_a2.pk).values("status", "stage").get()
    response = client_for(cme.user("institution_b1")).post(url, {"decision": "approve"})
    assert response.status_code == 404
    assert CreditRecord.objects.filter(pk=cme.pending_a2.pk).values("status", "stage").get() == before
    assert not AuditEvent.objects.filter(entity="cme-credit", entity_id=str(cme.pending_a2.pk),
                                         action__in=("verify", "reject")).exists()


def test_another_district_cannot_decide_an_exemption(cme, client_for):
    exemption = services.exemption_request(actor=cme.user("institution_a1"), worker=cme.a3, year=YEAR,
                                           reason="长期病假")
    url = reverse("cme:exemption-decide", args=[exemption.pk])
    assert client_for(cme.user("district_b")).get(url).status_code == 404
    assert client_for(cme.user("district_b")).post(url, {"decision": "approve"}).status_code == 404
    exemption.refresh_from_db()
    assert (exemption.status, exemption.approved_by) == ("pending", None)
    assert not AuditEvent.objects.filter(entity="cme-exemption", entity_id=str(exemption.pk),
                                         action__in=("approve", "reject")).exists()


def test_another_district_cannot_record_spot_check_findings(cme, client_for):
    science = cme.user("commission_science")
    held = services.project_report(actor=cme.user("institution_a1"), project=cme.p1, held_from=D(2025, 3, 1),
                                   held_to=D(2025, 3, 3), attendee_count="2", out_of_city_count="0")
    assert held.status == "held"
    draw = services.spot_check_draw(actor=science, name="2025年抽查", period_start=D(2025, 1, 1),
                                    period_end=D(2025, 12, 31), rate="1", seed=7)
    item = SpotCheckItem.objects.get(draw=draw, project=cme.p1)  # the only held project
    url = reverse("cme:spot-check-record", args=[item.pk])
    data = {"result": "serious", "findings": "签到表缺失", "inspected_on": "2025-12-01"}
    assert client_for(cme.user("district_b")).post(url, data).status_code == 404
    item.refresh_from_db()
    assert (item.result, item.findings, item.inspector) == ("pending", "", None)
    # The host's district may.
    assert client_for(cme.user("district_a")).post(url, data).status_code == 302
    item.refresh_from_db()
    assert (item.result, item.inspector) == ("serious", cme.user("district_a"))
    # District B's list of the draw does not show A's project.
    page = client_for(cme.user("district_b")).get(reverse("cme:spot-check-detail", args=[draw.pk]))
    assert page.status_code == 200 and cme.p1.number not in page.content.decode()


def test_another_district_cannot_open_a_window_or_act_on_a_published_project(cme, client_for):
    url = reverse("cme:checkin-window-create", args=[cme.p1.pk])
    data = {"window-opens_at": "2025-03-01T08:00", "window-closes_at": "2025-03-01T12:00"}
    assert client_for(cme.user("district_b")).post(url, data).status_code == 403
    assert not CheckInWindow.objects.exists()
    cancel = reverse("cme:project-cancel", args=[cme.p1.pk])
    assert client_for(cme.user("institution_b1")).post(cancel, {"cancel-reason": "x"}).status_code == 403
    assert CmeProject.objects.get(pk=cme.p1.pk).status == "approved"


def test_another_district_cannot_see_drafts_or_upload_evidence(cme, client_for):
    draft = services.project_create(actor=cme.user("institution_a1"), number="510100-2025-009", name="草稿项目",
                                    level="municipal", host=cme.base.inst_a1, credits="2",
                                    start_date=D(2026, 12, 1), end_date=D(2026, 12, 2))
    assert client_for(cme.user("district_b")).get(reverse("cme:project-detail", args=[draft.pk])).status_code == 404
    upload = reverse("cme:evidence-add", args=[cme.pending_a2.pk])
    response = client_for(cme.user("institution_b1")).post(
        upload, {"file": SimpleUploadedFile("a.pdf", PDF)})
    assert response.status_code == 404
    assert not cme.pending_a2.evidence.exists()


def test_attendance_of_a_published_project_shows_only_people_in_scope(cme, client_for):
    # P2 (host inst_b1, district B) was attended by a2 (district A) and b2 (district B).
    url = reverse("cme:project-attendance", args=[cme.p2.pk])
    page_a = client_for(cme.user("district_a")).get(url).content.decode()
    assert cme.a2.name in page_a and cme.b2.name not in page_a
    page_b = client_for(cme.user("institution_b1")).get(url).content.decode()
    assert cme.b2.name in page_b and cme.a2.name not in page_b


def test_reading_another_persons_credit_record_is_audited(cme, client_for):
    response = client_for(cme.user("district_a")).get(reverse("cme:credit-detail", args=[cme.pending_a2.pk]))
    assert response.status_code == 200
    assert AuditEvent.objects.filter(action="view-personal", entity="cme-credit",
                                     entity_id=str(cme.pending_a2.pk), actor=cme.user("district_a")).exists()


# ---- POST endpoints: no GET, CSRF enforced --------------------------------------------------

@pytest.mark.parametrize("name", ["credit-review", "evidence-add", "project-endorse", "project-approve",
                                  "project-reject", "project-file", "project-cancel", "checkin-window-create"])
def test_post_only_endpoints_refuse_get(cme, client_for, name):
    pk = cme.pending_a2.pk if name in ("credit-review", "evidence-add") else cme.p1.pk
    assert client_for(cme.user("commission_science")).get(reverse(f"cme:{name}", args=[pk])).status_code == 405


def test_writes_need_the_csrf_token(cme):
    exemption = services.exemption_request(actor=cme.user("institution_a1"), worker=cme.a3, year=YEAR,
                                           reason="长期病假")
    client = Client(enforce_csrf_checks=True)
    client.force_login(cme.user("district_a"), backend="weijian.accounts.backends.LockoutModelBackend")
    response = client.post(reverse("cme:exemption-decide", args=[exemption.pk]), {"decision": "approve"})
    assert response.status_code == 403
    exemption.refresh_from_db()
    assert exemption.status == "pending"
    seed = client.post(reverse("cme:activity-catalogue-seed"))
    assert seed.status_code == 403


def test_seeding_the_catalogue_by_get_writes_nothing(cme, client_for):
    response = client_for(cme.user("commission_science")).get(reverse("cme:activity-catalogue-seed"))
    assert response.status_code == 200
    assert not AuditEvent.objects.filter(entity="cme-activity-type").exists()


# ---- the QR check-in token ------------------------------------------------------------------

@pytest.fixture
def window(cme):
    return services.checkin_window_open(actor=cme.user("institution_a1"), project=cme.p1,
                                        opens_at=_at(2025, 3, 1, 8), closes_at=_at(2025, 3, 1, 12),
                                        session_label="第一天")


def test_the_token_is_shown_only_to_the_host_side_and_the_commission(cme, client_for, window):
    url = reverse("cme:project-detail", args=[cme.p1.pk])
    for key, shown in (("institution_a1", True), ("district_a", True), ("commission_science", True),
                       ("district_b", False), ("institution_b1", False), ("commission_info", False)):
        response = client_for(cme.user(key)).get(url)
        assert response.status_code == 200, key
        assert (window.token in response.content.decode()) is shown, key
    assert client_for(cme.user("worker_a1")).get(url).status_code == 403


def test_the_token_never_reaches_audit_rows(cme, window):
    # A fresh project for a1 (he attended P1 already): national, hosted by inst_a1, 2025-09-01..02.
    project = services.project_create(actor=cme.user("commission_science"), number="N2025-09-009",
                                      name="国家级急救培训", level="national", host=cme.base.inst_a1, credits="6",
                                      start_date=D(2025, 9, 1), end_date=D(2025, 9, 2))
    second = services.checkin_window_open(actor=cme.user("district_a"), project=project,
                                          opens_at=_at(2025, 9, 1, 8), closes_at=_at(2025, 9, 1, 12))
    attendance, created = services.checkin(actor=cme.user("worker_a1"), token=second.token, now=_at(2025, 9, 1, 9))
    assert created and attendance.method == "qr"
    events = AuditEvent.objects.filter(entity="cme-checkin")
    assert sorted(e.action for e in events) == ["check-in", "create", "create"]
    for event in events:
        for token in (window.token, second.token):
            assert token not in f"{event.summary}{event.before}{event.after}"


def test_check_in_outside_the_window_is_refused_in_chinese_and_writes_nothing(cme, client_for, window):
    url = reverse("cme:checkin", args=[window.token])
    attendances = Attendance.objects.count()
    response = client_for(cme.user("worker_a1")).post(url)  # now is long after 2025-03-01 12:00
    assert response.status_code == 422
    assert "签到已结束" in response.content.decode()
    assert Attendance.objects.count() == attendances
    assert not AuditEvent.objects.filter(entity="cme-checkin", action="check-in").exists()


def test_only_health_workers_use_a_check_in_page(cme, client_for, window):
    url = reverse("cme:checkin", args=[window.token])
    for key in ("institution_a1", "district_a", "commission_science"):
        assert client_for(cme.user(key)).post(url).status_code == 403, key
    assert not AuditEvent.objects.filter(entity="cme-checkin", action="check-in").exists()


def test_a_refused_check_in_does_not_log_the_token(cme, client_for, window, caplog):
    """Django logs 4xx responses with their path; the filter on every handler masks the token."""
    url = reverse("cme:checkin", args=[window.token])
    with caplog.at_level(logging.WARNING, logger="django.request"):
        assert client_for(cme.user("worker_a1")).post(url).status_code == 422
        assert client_for(cme.user("district_a")).get(url).status_code in (403, 404)
    assert "/cme/checkin/[redacted]/" in caplog.text
    redact = RedactSensitiveFilter()
    for record in caplog.records:
        redact.filter(record)
        assert window.token not in record.getMessage()
    assert all("redact" in handler.get("filters", ()) for handler in settings.LOGGING["handlers"].values())


# ---- evidence downloads ---------------------------------------------------------------------

def test_evidence_download_headers_scope_and_audit(cme, client_for):
    record = services.credit_record_create(actor=cme.user("worker_a1"), worker=cme.a1, credit_class="II",
                                           category="paper", credits="2", earned_on=D(YEAR, 9, 1))
    # A file named .html that is really a PDF is stored and served as a PDF, never as HTML.
    evidence, _ = services.credit_evidence_add(actor=cme.user("worker_a1"), record=record,
                                               uploaded_file=SimpleUploadedFile("x.html", PDF))
    url = reverse("cme:evidence-download", args=[evidence.pk])
    for key, expected in (("district_b", 404), ("institution_b1", 404), ("commission_info", 200)):
        assert client_for(cme.user(key)).get(url).status_code == expected, key
    response = client_for(cme.user("institution_a1")).get(url)
    assert response.status_code == 200 and response.content == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"] == f"inline; filename=evidence-{evidence.pk}.pdf"
    assert "x.html" not in response["Content-Disposition"]
    # An HTML payload is refused at upload, whatever its name.
    assert _code(services.credit_evidence_add, actor=cme.user("worker_a1"), record=record,
                 uploaded_file=SimpleUploadedFile("a.pdf", b"<html><script>alert(1)</script>")) == "evidence_type"
    reads = AuditEvent.objects.filter(action="view-personal", entity="cme-evidence")
    assert sorted(e.actor.username for e in reads) == ["commission_info", "institution_a1"]


# ---- bad input: Chinese errors, nothing lost, no 500 ----------------------------------------

@pytest.mark.parametrize(("start", "end"), [(D(1, 1, 1), D(1, 1, 2)), (D(9999, 12, 30), D(9999, 12, 31)),
                                            (D(1900, 1, 1), D(1900, 1, 2))])
def test_absurd_project_dates_are_refused(cme, start, end):
    assert _code(services.project_create, actor=cme.user("institution_a1"), number="510100-2025-077",
                 name="日期异常", level="municipal", host=cme.base.inst_a1, credits="2", start_date=start,
                 end_date=end) == "date_out_of_range"
    assert not CmeProject.objects.filter(number="510100-2025-077").exists()
    assert _code(services.project_update, actor=cme.user("institution_a1"), project=_draft(cme),
                 start_date=start, end_date=end) == "date_out_of_range"


def _draft(cme):
    return CmeProject.objects.filter(status="draft").first() or services.project_create(
        actor=cme.user("institution_a1"), number="510100-2025-078", name="草稿", level="municipal",
        host=cme.base.inst_a1, credits="2", start_date=D(2026, 12, 1), end_date=D(2026, 12, 2))


def test_absurd_project_dates_through_the_form_give_422_in_chinese(cme, client_for):
    data = {"number": "510100-2025-079", "name": "日期异常", "level": "municipal", "host": cme.base.inst_a1.pk,
            "credits": "2", "credit_class": "I", "delivery": "face_to_face", "start_date": "0001-01-01",
            "end_date": "0001-01-02"}
    response = client_for(cme.user("institution_a1")).post(reverse("cme:project-create"), data)
    assert response.status_code == 422
    assert "日期应在2000年至2100年之间" in response.content.decode()
    assert not CmeProject.objects.filter(number="510100-2025-079").exists()


@pytest.mark.parametrize("field", ["attendee_count", "out_of_city_count"])
def test_negative_and_huge_counts_in_a_report_are_refused(cme, field):
    values = {"attendee_count": "2", "out_of_city_count": "0"}
    for bad in ("-1", "1000001", "abc", "1e3"):
        values[field] = bad
        assert _code(services.project_report, actor=cme.user("institution_a1"), project=cme.p1,
                     held_from=D(2025, 3, 1), held_to=D(2025, 3, 3), **values) == "count_invalid"
    assert CmeProject.objects.get(pk=cme.p1.pk).status == "approved"


def test_policy_page_with_an_absurd_year_is_not_a_500(cme, client_for):
    client = client_for(cme.user("commission_science"))
    for year in ("99999999999999999999999", "-5", "abc"):
        assert client.get(reverse("cme:policy") + f"?year={year}").status_code == 200, year
    for url in ("cme:credit-list", "cme:audit-list", "cme:my-transcript"):
        key = "worker_a1" if url == "cme:my-transcript" else "district_a"
        assert client_for(cme.user(key)).get(reverse(url) + "?year=99999999999999999999").status_code == 200, url


def test_spot_check_findings_with_a_future_date_are_refused(cme, client_for):
    services.project_report(actor=cme.user("institution_a1"), project=cme.p1, held_from=D(2025, 3, 1),
                            held_to=D(2025, 3, 3), attendee_count="2", out_of_city_count="0")
    draw = services.spot_check_draw(actor=cme.user("commission_science"), name="2025年抽查",
                                    period_start=D(2025, 1, 1), period_end=D(2025, 12, 31), rate="1", seed=3)
    item = SpotCheckItem.objects.get(draw=draw)
    future = (timezone.localdate() + dt.timedelta(days=2)).isoformat()
    response = client_for(cme.user("district_a")).post(reverse("cme:spot-check-record", args=[item.pk]), {
        "result": "compliant", "inspected_on": future})
    assert response.status_code == 422 and "日期不能晚于今天" in response.content.decode()
    item.refresh_from_db()
    assert item.result == "pending"


def test_exemption_reason_too_long_is_a_form_error(cme, client_for):
    response = client_for(cme.user("institution_a1")).post(reverse("cme:exemption-request"), {
        "worker": cme.a3.pk, "year": YEAR, "reason": "病" * 201})
    assert response.status_code == 422
    assert not Exemption.objects.filter(worker=cme.a3).exists()
