"""`weijian import ENTITY FILE --as-user USERNAME [--apply] [--only-valid]`."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.imports.helpers import worker_row, xlsx
from weijian.audit.actions import AuditAction
from weijian.audit.models import AuditEvent
from weijian.imports.models import ImportJob, JobStatus
from weijian.workforce.models import Worker


def run(*args) -> str:
    out = io.StringIO()
    call_command("import_file", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def files(world, tmp_path):
    good = [worker_row(world.inst_a1, 姓名="命令甲"), worker_row(world.inst_a1, 姓名="命令乙")]
    bad = worker_row(world.inst_a1, 姓名="命令丙", 出生日期="1900-01-01")
    paths = {"good": tmp_path / "good.xlsx", "mixed": tmp_path / "mixed.xlsx", "broken": tmp_path / "broken.xlsx"}
    paths["good"].write_bytes(xlsx(good))
    paths["mixed"].write_bytes(xlsx([*good, bad]))
    paths["broken"].write_bytes(b"this is not a spreadsheet")
    return paths


def names():
    return sorted(Worker.objects.filter(name__startswith="命令").values_list("name", flat=True))


def test_dry_run_by_default_prints_counts_and_errors_and_writes_nothing(files):
    out = run("worker", str(files["mixed"]), "--as-user", "institution_a1")
    assert "试导入结果（共 3 行）：将新增 2、将更新 0、无变化 0、错误 1 行" in out
    assert "第 4 行「出生日期」“1900-01-01”：出生日期与身份证号不一致" in out
    assert "这是试导入，未写入任何数据" in out and "--only-valid" in out
    assert names() == []
    job = ImportJob.objects.get()
    assert job.status == JobStatus.CANCELLED and not job.stored_name
    assert AuditEvent.objects.get(action=AuditAction.IMPORT_UPLOAD).channel == "cli"


def test_apply_writes(files):
    out = run("workers", str(files["good"]), "--as-user", "institution_a1", "--apply")  # plural, as in the docs
    assert "导入完成（共 2 行）：已新增 2、已更新 0、无变化 0、错误 0 行" in out
    assert names() == ["命令乙", "命令甲"]
    out = run("worker", str(files["good"]), "--as-user", "institution_a1", "--apply")
    assert "已新增 0、已更新 0、无变化 2" in out and "再次导入不会产生重复数据" in out
    assert names() == ["命令乙", "命令甲"]


def test_apply_with_error_rows_needs_only_valid(files):
    with pytest.raises(CommandError, match="文件存在错误行"):
        run("worker", str(files["mixed"]), "--as-user", "institution_a1", "--apply")
    assert names() == []
    assert ImportJob.objects.get().status == JobStatus.CANCELLED
    run("worker", str(files["mixed"]), "--as-user", "institution_a1", "--apply", "--only-valid")
    assert names() == ["命令乙", "命令甲"]


def test_a_rejected_file_fails_the_command(files):
    with pytest.raises(CommandError) as exc:
        run("worker", str(files["broken"]), "--as-user", "institution_a1", "--apply")
    assert str(exc.value) == "文件被拒绝：文件不是有效的 Excel（.xlsx）文件，可能是改了扩展名的其他文件"
    assert AuditEvent.objects.filter(action=AuditAction.IMPORT_REJECTED).count() == 1


def test_role_and_arguments_are_checked(files):
    with pytest.raises(CommandError, match="权限不足"):
        run("division", str(files["good"]), "--as-user", "institution_a1")
    with pytest.raises(CommandError, match="不支持导入该类数据"):
        run("patients", str(files["good"]), "--as-user", "commission_info")
    with pytest.raises(CommandError, match="找不到文件"):
        run("worker", str(files["good"]) + ".missing", "--as-user", "institution_a1")
    with pytest.raises(CommandError):
        run("worker", str(files["good"]))  # --as-user is required
