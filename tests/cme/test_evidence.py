"""Evidence files: accepted by content, at most 10 MB, one row per file, encrypted at rest, reads audited."""

import datetime as dt

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from weijian.audit.models import AuditEvent
from weijian.cme import services
from weijian.cme.models import ActivityType, CreditEvidence
from weijian.core.errors import BusinessError, NotFoundOrForbidden

D = dt.date
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\n% certificate of attendance 2025 ZHANG\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40
JPEG = b"\xff\xd8\xff\xe0" + b"\x00\x10JFIF" + b"\x00" * 40


def _code(call, **kwargs):
    with pytest.raises(BusinessError) as exc:
        call(**kwargs)
    return exc.value.code


@pytest.fixture
def record(world):
    services.activity_catalogue_seed(actor=world.user("commission_science"))
    return services.credit_record_create(actor=world.user("worker_a1"), worker=world.worker_a1,
                                         activity_type=ActivityType.objects.get(code="paper_general"),
                                         quantity="1", earned_on=D(2025, 4, 1), title="论文")


def _add(world, record, content, name="a.pdf", key="worker_a1"):
    return services.credit_evidence_add(actor=world.user(key), record=record,
                                        uploaded_file=SimpleUploadedFile(name, content))


def test_pdf_png_jpeg_are_accepted_by_their_bytes_not_their_names(world, record):
    pdf, created = _add(world, record, PDF, name="证书.pdf")
    assert created and (pdf.content_type, pdf.size, pdf.original_name) == ("application/pdf", len(PDF), "证书.pdf")
    png, _ = _add(world, record, PNG, name="scan.txt")  # misnamed, still a PNG
    jpeg, _ = _add(world, record, JPEG, name="photo", key="institution_a1")  # his institution may upload
    assert (png.content_type, jpeg.content_type, jpeg.uploaded_by) == (
        "image/png", "image/jpeg", world.user("institution_a1"))
    assert _code(_add, world=world, record=record, content=b"MZ\x90\x00 not a pdf", name="fake.pdf") == (
        "evidence_type")
    assert _code(_add, world=world, record=record, content=b"", name="empty.pdf") == "evidence_empty"
    assert CreditEvidence.objects.filter(record=record).count() == 3
    assert AuditEvent.objects.filter(entity="cme-evidence", action="create").count() == 3


def test_size_limit_is_ten_megabytes(world, record):
    limit = 10 * 1024 * 1024
    assert _code(_add, world=world, record=record, content=PDF + b"0" * (limit - len(PDF) + 1)) == (
        "evidence_too_large")
    exactly, created = _add(world, record, PDF + b"0" * (limit - len(PDF)))
    assert created and exactly.size == limit


def test_the_same_file_twice_is_one_row(world, record):
    first, created = _add(world, record, PDF, name="a.pdf")
    again, created_again = _add(world, record, PDF, name="copy.pdf", key="institution_a1")
    assert (created, created_again, again.pk) == (True, False, first.pk)
    assert CreditEvidence.objects.filter(record=record).count() == 1


def test_stored_encrypted_and_read_back_with_an_audit_row(world, record):
    evidence, _ = _add(world, record, PDF)
    with default_storage.open(evidence.file.name, "rb") as handle:
        stored = handle.read()
    assert PDF not in stored and b"%PDF" not in stored and b"ZHANG" not in stored
    assert "a.pdf" not in evidence.file.name and evidence.file.name.startswith("cme/evidence/")
    assert services.credit_evidence_open(actor=world.user("district_a"), evidence=evidence) == PDF
    event = AuditEvent.objects.get(entity="cme-evidence", action="view-personal")
    assert (event.actor, event.entity_id) == (world.user("district_a"), str(evidence.pk))
    with pytest.raises(NotFoundOrForbidden):
        services.credit_evidence_open(actor=world.user("district_b"), evidence=evidence)
    assert AuditEvent.objects.filter(action="view-personal", entity="cme-evidence").count() == 1


def test_only_the_worker_or_his_institution_uploads(world, record):
    with pytest.raises(NotFoundOrForbidden):
        _add(world, record, PDF, key="institution_b1")
    assert _code(_add, world=world, record=record, content=PDF, key="district_a") == "not_own_record"
    assert _code(_add, world=world, record=record, content=PDF, key="commission_science") == "not_own_record"
    assert not CreditEvidence.objects.exists()


def test_evidence_is_needed_before_the_department_step(world, record):
    inst = world.user("institution_a1")
    assert _code(services.credit_review, actor=inst, record=record, approve=True) == "evidence_required"
    # Rejecting needs no evidence; but first attach it and pass.
    _add(world, record, PDF)
    record = services.credit_review(actor=inst, record=record, approve=True)
    assert record.stage == "institution"
    # A type that needs none passes without.
    services.activity_type_update(actor=world.user("commission_science"),
                                  activity_type=ActivityType.objects.get(code="hospital_talk"),
                                  needs_evidence=False)
    talk = services.credit_record_create(actor=world.user("worker_a1"), worker=world.worker_a1,
                                         activity_type=ActivityType.objects.get(code="hospital_talk"),
                                         quantity="2", earned_on=D(2025, 4, 2))
    assert services.credit_review(actor=inst, record=talk, approve=True).stage == "institution"


def test_no_evidence_after_the_record_is_decided(world, record):
    services.credit_review(actor=world.user("institution_a1"), record=record, approve=False, comment="重复申报")
    assert _code(_add, world=world, record=record, content=PDF) == "evidence_locked"
