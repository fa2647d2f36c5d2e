import datetime as dt
import io

from django.core.files.storage import default_storage
from django.core.management import call_command
from django.utils import timezone

from tests.imports.helpers import upload, worker_row, xlsx
from weijian.audit.models import AuditEvent
from weijian.imports.models import ImportJob, JobStatus


def _age(job, days):
    ImportJob.objects.filter(pk=job.pk).update(updated_at=timezone.now() - dt.timedelta(days=days))


def test_prune_removes_old_files_only_with_apply(world):
    actor = world.user("institution_a1")
    old = upload(actor, xlsx([worker_row(world.inst_a1), worker_row(world.inst_a1, **{"身份证号": "123"})]))
    recent = upload(actor, xlsx([worker_row(world.inst_a1, **{"身份证号": "456"})]))
    assert old.status == JobStatus.VALIDATED and old.stored_name and old.report_name
    _age(old, 40)

    out = io.StringIO()
    call_command("prune_imports", "--days", "30", stdout=out)
    assert "将清理 1 个导入任务的 2 个文件" in out.getvalue()
    assert default_storage.exists(old.stored_name)  # dry run: nothing removed

    call_command("prune_imports", "--days", "30", "--apply", stdout=io.StringIO())
    old_after = ImportJob.objects.get(pk=old.pk)
    assert not default_storage.exists(old.stored_name) and not default_storage.exists(old.report_name)
    assert old_after.stored_name == old_after.report_name == "" and old_after.errors_preview == []
    assert old_after.status == JobStatus.CANCELLED  # it was waiting for a confirmation that never came
    assert ImportJob.objects.get(pk=recent.pk).report_name == recent.report_name
    assert default_storage.exists(recent.report_name)
    assert AuditEvent.objects.filter(entity="import-files", channel="cli").count() == 1
