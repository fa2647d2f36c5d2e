"""Large files are parsed in a forked child process; it must give exactly what the in-process path gives."""

import pytest

from tests.imports.helpers import csv_data, upload, worker_row, xlsx
from weijian.audit.actions import AuditAction
from weijian.audit.models import AuditEvent
from weijian.imports import files, parsing
from weijian.imports.models import JobStatus
from weijian.imports.services import INTERNAL_ERROR


def mixed_rows(world):
    rows = [worker_row(world.inst_a1, 姓名=f"子进程{i}") for i in range(5)]
    rows[1]["出生日期"] = "1900-01-01"
    rows[3]["姓名"] = "=1+1"
    rows.append(dict(rows[0]))  # a duplicate
    return rows


def summary(job):
    return (job.status, job.total_rows, job.error_rows, job.create_count, job.errors_preview)


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_child_process_gives_the_same_result(world, monkeypatch, kind):
    actor = world.user("institution_a1")
    rows = mixed_rows(world)
    data = xlsx(rows) if kind == "xlsx" else csv_data(rows)
    in_process = upload(actor, data, f"a.{kind}")
    monkeypatch.setattr(parsing, "CHILD_MIN_BYTES", 0)
    forked = upload(actor, data, f"a.{kind}")
    assert summary(forked) == summary(in_process)
    assert forked.status == JobStatus.VALIDATED and forked.error_rows == 3 and forked.create_count == 3


def test_a_rejection_in_the_child_rejects_the_job(world, monkeypatch):
    monkeypatch.setattr(parsing, "CHILD_MIN_BYTES", 0)
    monkeypatch.setattr(files, "MAX_ROWS", 2)
    job = upload(world.user("institution_a1"), xlsx(mixed_rows(world)))
    assert job.status == JobStatus.REJECTED and job.message == "数据行超过 2 行，请拆分后分批上传"
    assert not job.stored_name
    assert AuditEvent.objects.filter(action=AuditAction.IMPORT_REJECTED, entity_id=str(job.pk)).exists()


def test_a_crash_in_the_child_fails_the_job_without_details(world, monkeypatch, caplog):
    monkeypatch.setattr(parsing, "CHILD_MIN_BYTES", 0)

    def explode(*args, **kwargs):
        raise RuntimeError("510104198503090012")  # a message that must not reach the log

    monkeypatch.setattr(parsing, "_parse_rows", explode)
    job = upload(world.user("institution_a1"), xlsx(mixed_rows(world)))
    assert job.status == JobStatus.FAILED and job.message == INTERNAL_ERROR
    assert "510104198503090012" not in caplog.text and "RuntimeError" in caplog.text


def test_rows_parsed_in_the_child_are_stored_as_sent_and_applied(world, monkeypatch):
    """The dry run stores the very bytes the parser process sent; the apply reads them back."""
    from tests.imports.helpers import apply
    from weijian.workforce.models import Worker

    monkeypatch.setattr(parsing, "CHILD_MIN_BYTES", 0)
    actor = world.user("institution_a1")
    rows = [worker_row(world.inst_a1, 姓名=f"存储{i}") for i in range(3)]
    job = apply(actor, upload(actor, csv_data(rows), "a.csv"))
    assert job.status == JobStatus.DONE and job.create_count == 3
    assert sorted(Worker.objects.filter(name__startswith="存储").values_list("name", flat=True)) == [
        "存储0", "存储1", "存储2"]


def test_a_compressed_rows_file_of_an_earlier_version_is_still_read(settings, tmp_path):
    """A job validated before an upgrade (rows files were zlib-compressed then) can still be applied."""
    import datetime as dt
    import pickle
    import zlib
    from decimal import Decimal

    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from weijian.core import crypto
    from weijian.imports.services import _read_rows

    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}}}
    batch = [(2, {"name": "张三", "day": dt.date(2026, 1, 2), "credits": Decimal("1.5")})]
    trailer = {"total": 1, "errors": [], "error_rows": []}
    old = zlib.compress(pickle.dumps(batch) + pickle.dumps(trailer))
    name = default_storage.save("imports/old.rows.enc", ContentFile(crypto.encrypt_bytes(old)))
    assert list(_read_rows(name)) == [batch, trailer]
    new = default_storage.save("imports/new.rows.enc",
                               ContentFile(crypto.encrypt_bytes(pickle.dumps(batch) + pickle.dumps(trailer))))
    assert list(_read_rows(new)) == [batch, trailer]
