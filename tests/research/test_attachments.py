"""Application attachments: the call's required files gate the submission; uploads are checked by content,
stored encrypted, deduplicated, locked after submission; reads are for the application's readers and its
reviewers, and audited."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.research.test_services import COMPLETE, expert
from weijian.audit.models import AuditEvent
from weijian.core.errors import BusinessError, NotFoundOrForbidden
from weijian.research import attachments, services
from weijian.research.errors import ResearchErrorCode as E
from weijian.research.models import ApplicationAttachment, ApplicationEvent, ReviewAssignment

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
REQUIRED = ["单位承诺书", "伦理审查批件"]


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}}}


@pytest.fixture
def application(world):
    science = world.user("commission_science")
    today = dt.date.today()
    call = services.call_publish(actor=science, call=services.call_create(
        actor=science, year=today.year, title="附件测试专项", category="general", budget_ceiling="20",
        opens_on=today - dt.timedelta(days=5), closes_on=today + dt.timedelta(days=30),
        required_attachments=REQUIRED, experts_per_application=1))
    return services.application_create(actor=world.user("worker_a1"), call=call, title="社区卒中筛查研究",
                                       specialty="心血管内科", **COMPLETE)


def upload(actor, application, kind, data=PDF, name="承诺书.pdf"):
    return attachments.attachment_add(actor=actor, application=application, kind=kind,
                                      uploaded_file=SimpleUploadedFile(name, data))


def test_the_required_attachments_gate_the_submission(world, application):
    pi = world.user("worker_a1")
    upload(pi, application, "单位承诺书")
    with pytest.raises(BusinessError) as exc:
        services.application_submit(actor=pi, application=application, sign_integrity=True)
    assert exc.value.code == E.NOT_ELIGIBLE and "缺少必需附件：伦理审查批件" in exc.value.message
    upload(pi, application, "伦理审查批件", data=PNG, name="批件.png")
    services.application_submit(actor=pi, application=application, sign_integrity=True)
    snapshot = ApplicationEvent.objects.get(application=application, action="submit").snapshot
    assert sorted(kind for kind, _name, _sha in snapshot["attachments"]) == ["伦理审查批件", "单位承诺书"]
    assert snapshot["budget_lines"] == {"equipment": "10.00", "labour": "5.00"}


def test_uploads_are_checked_deduplicated_and_stored_encrypted(world, application):
    pi = world.user("worker_a1")
    attachment, created = upload(pi, application, "单位承诺书")
    again, created_again = upload(pi, application, "其他附件", name="copy.pdf")
    assert created and not created_again and again.pk == attachment.pk
    assert (attachment.content_type, attachment.size, attachment.original_name) == ("application/pdf", len(PDF),
                                                                                    "承诺书.pdf")
    with attachment.file.open("rb") as handle:
        assert PDF not in handle.read()  # encrypted at rest
    for data, message in ((b"PK\x03\x04 a docx", "附件只能是 PDF、JPEG 或 PNG 文件"), (b"", "附件文件为空"),
                          (b"%PDF" + b"0" * (20 * 1024 * 1024), "附件不能超过 20 MB")):
        with pytest.raises(BusinessError) as exc:
            upload(pi, application, "单位承诺书", data=data)
        assert exc.value.message == message
    with pytest.raises(BusinessError) as exc:
        upload(pi, application, "无关类别")
    assert exc.value.field == "kind"
    assert ApplicationAttachment.objects.count() == 1


def test_only_the_pi_uploads_and_only_while_he_may_edit(world, application):
    pi = world.user("worker_a1")
    with pytest.raises(BusinessError) as exc:
        upload(world.user("institution_a1"), application, "单位承诺书")
    assert exc.value.code == E.NOT_THE_PI
    assert AuditEvent.objects.filter(actor=world.user("institution_a1"), outcome="denied").exists()
    first, _ = upload(pi, application, "单位承诺书")
    upload(pi, application, "伦理审查批件", data=PNG)
    services.application_submit(actor=pi, application=application, sign_integrity=True)
    with pytest.raises(BusinessError) as exc:
        attachments.attachment_remove(actor=pi, attachment=first)
    assert exc.value.code == E.NOT_EDITABLE
    with pytest.raises(BusinessError):
        upload(pi, application, "其他附件", data=PNG + b"x")
    assert ApplicationAttachment.objects.count() == 2


def test_readers_and_reviewers_open_attachments_and_each_read_is_audited(world, application):
    pi = world.user("worker_a1")
    attachment, _ = upload(pi, application, "单位承诺书")
    upload(pi, application, "伦理审查批件", data=PNG)
    services.application_submit(actor=pi, application=application, sign_integrity=True)
    institution = world.user("institution_a1")
    assert attachments.attachment_open(actor=institution, attachment=attachment) == PDF
    assert AuditEvent.objects.filter(actor=institution, action="view-personal",
                                     summary__contains="承诺书.pdf").count() == 1
    for outsider in ("institution_b1", "district_b", "expert"):
        with pytest.raises(NotFoundOrForbidden):
            attachments.attachment_open(actor=world.user(outsider), attachment=attachment)
    services.application_endorse(actor=institution, application=application)
    reviewer = expert(world, "att")
    services.reviews_assign(actor=world.user("commission_science"), call=application.call,
                            due_on=dt.date.today() + dt.timedelta(days=7))
    assert ReviewAssignment.objects.filter(application=application, expert=reviewer).exists()
    assert attachments.attachment_open(actor=reviewer.user, attachment=attachment) == PDF


def test_the_pages_upload_download_and_delete(world, application, client_for):
    pi = client_for(world.user("worker_a1"))
    detail = reverse("research:application-detail", args=[application.pk])
    page = pi.get(detail).content.decode()
    assert "尚缺必需附件：单位承诺书、伦理审查批件" in page and 'enctype="multipart/form-data"' in page
    url = reverse("research:attachment-upload", args=[application.pk])
    bad = pi.post(url, {"attachment-kind": "单位承诺书",
                        "attachment-file": SimpleUploadedFile("x.docx", b"PK\x03\x04 not a pdf")})
    assert bad.status_code == 422 and "附件只能是 PDF、JPEG 或 PNG 文件" in bad.content.decode()
    ok = pi.post(url, {"attachment-kind": "单位承诺书", "attachment-file": SimpleUploadedFile("承诺书.pdf", PDF)},
                 follow=True)
    assert "附件已上传" in ok.content.decode() and "尚缺必需附件：伦理审查批件" in ok.content.decode()
    attachment = ApplicationAttachment.objects.get()
    download = pi.get(reverse("research:attachment-download", args=[application.pk, attachment.pk]))
    assert download.status_code == 200 and download.content == PDF and download["Content-Type"] == "application/pdf"
    assert pi.get(reverse("research:attachment-download", args=[application.pk + 1, attachment.pk])).status_code == 404
    deleted = pi.post(reverse("research:attachment-delete", args=[application.pk, attachment.pk]), follow=True)
    assert "附件已删除" in deleted.content.decode() and not ApplicationAttachment.objects.exists()
    outsider = client_for(world.user("institution_b1"))
    assert outsider.get(reverse("research:attachment-download", args=[application.pk, 1])).status_code == 404
