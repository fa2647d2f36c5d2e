"""The same import job runs on the embedded database queue and on Redis (RQ) workers.

Tests elsewhere use the immediate backend; here the job really goes through a queue and a worker.
"""

import io
import socket
import uuid

import pytest
from django.core.management import call_command
from openpyxl import Workbook

from tests import factories
from weijian.imports.models import ImportJob, JobStatus
from weijian.imports.services import import_upload


def _workers_file(world) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "数据"
    ws.append(["姓名", "身份证号", "机构统一社会信用代码", "职业类别"])
    for _ in range(3):
        ws.append([factories.fake.name(), factories.unique_id_number(), world.inst_a1.uscc, "医师"])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _upload(world, captured):
    with captured(execute=True):
        job = import_upload(actor=world.user("institution_a1"), entity="worker", filename="w.xlsx",
                            chunks=[_workers_file(world)])
    assert job.status == JobStatus.VALIDATING
    return job


def test_database_queue_and_db_worker(world, settings, django_capture_on_commit_callbacks, monkeypatch):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    # The worker drops connections it thinks are stale; inside the test's transaction that would be
    # the test's own connection (PostgreSQL), so keep it.
    from django_tasks_db.management.commands import db_worker

    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)
    from django_tasks_db.models import DBTaskResult

    job = _upload(world, django_capture_on_commit_callbacks)
    assert ImportJob.objects.get(pk=job.pk).status == JobStatus.VALIDATING  # queued, not run yet
    assert DBTaskResult.objects.filter(status="READY").count() == 1
    call_command("db_worker", "--batch", "--no-startup-delay", "--queue-name", "*")
    assert ImportJob.objects.get(pk=job.pk).status == JobStatus.VALIDATED
    assert ImportJob.objects.get(pk=job.pk).create_count == 3
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"


def _redis_up() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
        return True
    except OSError:
        return False


@pytest.mark.skipif(not _redis_up(), reason="no Redis at 127.0.0.1:6379")
def test_redis_queue_and_rq_worker(world, settings, django_capture_on_commit_callbacks):
    queue_name = f"weijian-test-{uuid.uuid4().hex[:8]}"  # a private queue: nothing else picks it up
    settings.RQ_QUEUES = {queue_name: {"URL": "redis://127.0.0.1:6379/15"}}
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": [queue_name]}}
    from weijian.imports import tasks

    original = tasks.import_validate_job
    tasks.import_validate_job = original.using(queue_name=queue_name)
    try:
        job = _upload(world, django_capture_on_commit_callbacks)
    finally:
        tasks.import_validate_job = original
    import django_rq
    from django_tasks_rq.backend import Job
    from rq import SimpleWorker

    queue = django_rq.get_queue(queue_name, job_class=Job)
    assert queue.count == 1
    # SimpleWorker runs the job in this process, inside the test's database transaction.
    SimpleWorker([queue], connection=queue.connection, job_class=Job).work(burst=True)
    assert ImportJob.objects.get(pk=job.pk).status == JobStatus.VALIDATED
    assert ImportJob.objects.get(pk=job.pk).create_count == 3
    queue.empty()
