"""The PDF certificate (学分证明): a real PDF with the verified records, scoped, audited as an export."""

import base64
import re
import zlib

from django.urls import reverse

from weijian.audit.models import AuditEvent

from .conftest import YEAR


def _page_text(body: bytes) -> bytes:
    """The page streams, decoded (ASCII85, then Flate): the CID font writes its text as UTF-16BE strings."""
    out = b""
    for raw in re.findall(rb"stream\r?\n(.*?)endstream", body, re.S):
        raw = raw.strip()
        try:
            out += zlib.decompress(base64.a85decode(raw, adobe=True) if raw.endswith(b"~>") else raw)
        except (zlib.error, ValueError):
            out += raw
    escapes = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}

    def unescape(match):
        code = match.group(1)
        return bytes([int(code, 8)]) if code[:1].isdigit() else escapes.get(code, code)

    return re.sub(rb"\\([0-7]{1,3}|.)", unescape, out)


def _url(pk, year=YEAR):
    return reverse("cme:transcript-pdf", args=[pk]) + f"?year={year}"


def test_the_worker_downloads_his_own_certificate(cme, client_for):
    response = client_for(cme.user("worker_a1")).get(_url(cme.a1.pk))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f"attachment; filename=cme-transcript-{cme.a1.pk}-{YEAR}.pdf"
    body = response.content
    assert body.startswith(b"%PDF-") and body.rstrip().endswith(b"%%EOF")
    assert b"STSong-Light" in body  # the built-in CID font: Chinese without a font file
    text = _page_text(body)
    assert "张医生".encode("utf-16-be") in text and "达标".encode("utf-16-be") in text
    assert "25.0".encode("utf-16-be") in text  # I 10 + II 15 counted
    event = AuditEvent.objects.get(action="export", entity="cme-transcript")
    assert (event.actor, event.entity_id) == (cme.user("worker_a1"), str(cme.a1.pk))


def test_the_certificate_is_scoped(cme, client_for):
    assert client_for(cme.user("worker_a1")).get(_url(cme.a2.pk)).status_code == 404
    assert client_for(cme.user("district_b")).get(_url(cme.a1.pk)).status_code == 404
    assert client_for(cme.user("institution_a1")).get(_url(cme.a2.pk)).status_code == 404
    assert client_for(cme.user("expert")).get(_url(cme.a1.pk)).status_code == 403
    assert not AuditEvent.objects.filter(action="export", entity="cme-transcript").exists()
    response = client_for(cme.user("district_b")).get(_url(cme.b1.pk))
    assert response.status_code == 200 and response.content.startswith(b"%PDF-")
    assert AuditEvent.objects.filter(action="export", entity="cme-transcript").count() == 1
