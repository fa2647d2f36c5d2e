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
