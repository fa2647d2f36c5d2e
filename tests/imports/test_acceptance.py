"""The acceptance list from the issue, through the services: every bad file gets a clear Chinese
reason, writes nothing, and leaves an audit row; good files import once and only once."""

import pytest

from tests import factories
from tests.imports.helpers import apply, csv_data, read_xlsx, upload, worker_row, xlsx, zip_bomb
from weijian.audit.actions import AuditAction
from weijian.audit.models import AuditEvent
from weijian.core.errors import BusinessError
from weijian.imports import services
from weijian.imports.errors import ImportErrorCode
from weijian.imports.models import JobStatus
from weijian.workforce.models import Worker
from weijian.workforce.services import worker_find_by_id_number

FORMULA = "单元格内容以 =、+、-、@ 开头，疑似公式，已拒绝（如确需此内容，请改写）"


def audit_actions(job) -> list[str]:
    return list(AuditEvent.objects.filter(entity_id=str(job.pk)).order_by("id").values_list("action", flat=True))


# ---- files refused outright -------------------------------------------------------------------

def wrong_headers(world):
    return xlsx([{"姓名": "赵医生"}], headers=["姓名", "身份证", "机构"])


REJECTED = [
    ("wrong headers", wrong_headers, "workers.xlsx",
     "表头与模板不符（缺少列：“身份证号”、“机构统一社会信用代码”、“职业类别”；无法识别的列：“身份证”、“机构”），请下载最新模板"),
    ("empty file", lambda w: b"", "workers.xlsx", "文件为空"),
    ("header only", lambda w: xlsx([]), "workers.xlsx", "文件中没有数据行（只有表头）"),
    ("not excel", lambda w: b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj", "workers.xlsx",
     "文件不是有效的 Excel（.xlsx）文件，可能是改了扩展名的其他文件"),
    ("zip bomb", lambda w: zip_bomb(), "workers.xlsx", "Excel 文件压缩比异常（疑似压缩炸弹），已拒绝"),
    ("30 MB", lambda w: b"x" * (30 * 1024 * 1024), "workers.csv", "文件过大：上限为 20 MB，请拆分后分批上传"),
    ("old xls", lambda w: b"\xd0\xcf\x11\xe0rest", "workers.xls", "不支持旧版 .xls 文件，请在 Excel 中另存为 .xlsx"),
    ("utf-16 csv", lambda w: "name,id".encode("utf-16"), "workers.csv",
     "CSV 文件含有二进制内容，请另存为 UTF-8 或 GB18030 编码的 CSV"),
    ("unknown encoding", lambda w: b"\xff\xfe\xd3\x59,\x80\xff", "workers.csv",
     "CSV 文件编码无法识别，请使用 UTF-8 或 GB18030（GBK）编码"),
    ("pdf", lambda w: b"%PDF-1.4", "workers.pdf", "仅支持 .xlsx 或 .csv 文件"),
]


@pytest.mark.parametrize(("case", "make", "filename", "reason"), REJECTED, ids=[r[0] for r in REJECTED])
def test_bad_files_are_rejected_with_a_chinese_reason(world, case, make, filename, reason):
    actor = world.user("institution_a1")
    workers_before = Worker.objects.count()
    job = upload(actor, make(world), filename)
    assert job.status == JobStatus.REJECTED
    assert job.message == reason
    assert Worker.objects.count() == workers_before
    assert not job.stored_name  # the refused file is not kept
    event = AuditEvent.objects.get(action=AuditAction.IMPORT_REJECTED, entity_id=str(job.pk))
    assert event.actor == actor and event.outcome == "rejected" and reason[:40] in event.summary


def test_a_huge_upload_is_not_read_past_the_limit(world, settings):
    settings.IMPORT_MAX_BYTES = 1024
    chunks_read = []

    def chunks():
        for _ in range(100):
            chunks_read.append(1)
            yield b"x" * 512

    job = services.import_upload(actor=world.user("institution_a1"), entity="worker", filename="a.csv",
                                 chunks=chunks(), background=False)
    assert job.status == JobStatus.REJECTED and job.message == "文件过大：上限为 0 MB，请拆分后分批上传"
    assert len(chunks_read) == 3


# ---- files with bad rows ------------------------------------------------------------------------

def bad_row(world, kind):
    inst = world.inst_a1
    valid_id = factories.unique_id_number(birth=__import__("datetime").date(1985, 3, 9))
    if kind == "check digit":
        wrong = valid_id[:17] + ("0" if valid_id[17] != "0" else "1")
        return worker_row(inst, id_number=wrong), ("身份证号", wrong[:4] + "*" * 10 + wrong[-4:], "身份证号校验位错误")
    if kind == "birth date":
        return (worker_row(inst, id_number=valid_id, 出生日期="1990-01-01"),
                ("出生日期", "1990-01-01", "出生日期与身份证号不一致"))
    if kind == "unknown institution":
        code = factories.uscc(999)
        return (worker_row(inst, 机构统一社会信用代码=code),
                ("机构统一社会信用代码", code, "机构不存在或不在您的管辖范围内"))
    if kind == "other institution":  # registered, but not the uploader's
        return (worker_row(inst, 机构统一社会信用代码=world.inst_b1.uscc),
                ("机构统一社会信用代码", world.inst_b1.uscc, "机构不存在或不在您的管辖范围内"))
    if kind == "formula":
        return worker_row(inst, 姓名="=CMD|' /C calc'!A0"), ("姓名", "=CMD|' /C calc'!A0", FORMULA)
    if kind == "bad choice":
        return (worker_row(inst, 职业类别="大夫"),
                ("职业类别", "大夫", "取值无效，应为：医师、护士、药师、技师、其他"))
    raise AssertionError(kind)


ROW_ERRORS = ["check digit", "birth date", "unknown institution", "other institution", "formula", "bad choice"]


@pytest.mark.parametrize("kind", ROW_ERRORS)
def test_bad_rows_are_reported_and_nothing_is_written(world, kind):
    actor = world.user("institution_a1")
    row, (column, value, reason) = bad_row(world, kind)
    good = worker_row(world.inst_a1, 姓名="钱护士", 职业类别="护士")
    before = Worker.objects.count()
    job = upload(actor, xlsx([good, row]))
    assert job.status == JobStatus.VALIDATED
    assert (job.total_rows, job.error_rows, job.create_count) == (2, 1, 1)
    assert job.errors_preview == [{"row": 3, "column": column, "value": value, "reason": reason}]
    with pytest.raises(BusinessError) as exc:
        services.import_confirm(actor=actor, job=job, only_valid=False, background=False)
    assert exc.value.code == ImportErrorCode.HAS_ERRORS
    assert exc.value.message == "文件存在错误行，请修正后重新上传，或选择“仅导入有效行”"
    assert Worker.objects.count() == before
    assert audit_actions(job) == [AuditAction.IMPORT_UPLOAD]


def test_duplicate_rows_are_errors(world):
    actor = world.user("institution_a1")
    row = worker_row(world.inst_a1)
    job = upload(actor, xlsx([row, dict(row, 姓名="另一人")]))
    masked = row["身份证号"][:4] + "*" * 10 + row["身份证号"][-4:]
    assert job.errors_preview == [{"row": 3, "column": "身份证号", "value": masked, "reason": "与第 2 行重复"}]
    assert job.create_count == 1 and job.error_rows == 1


def test_only_valid_rows_imports_exactly_the_valid_ones(world):
    actor = world.user("institution_a1")
    good = [worker_row(world.inst_a1, 姓名=f"有效{i}") for i in range(3)]
    bad = [bad_row(world, kind)[0] for kind in ("check digit", "formula", "other institution")]
    job = upload(actor, xlsx([good[0], bad[0], good[1], bad[1], bad[2], good[2]]))
    assert (job.total_rows, job.error_rows, job.create_count) == (6, 3, 3)
    job = apply(actor, job, only_valid=True)
    assert job.status == JobStatus.DONE and job.only_valid
    assert (job.create_count, job.error_rows) == (3, 3)
    created = Worker.objects.filter(name__startswith="有效")
    assert sorted(created.values_list("name", flat=True)) == ["有效0", "有效1", "有效2"]
    assert set(created.values_list("institution", flat=True)) == {world.inst_a1.pk}
    assert not Worker.objects.filter(name="=CMD|' /C calc'!A0").exists()
    creates = AuditEvent.objects.filter(action=AuditAction.CREATE, entity="worker",
                                        entity_id__in=[str(pk) for pk in created.values_list("pk", flat=True)])
    assert creates.count() == 3
    assert audit_actions(job) == [AuditAction.IMPORT_UPLOAD, AuditAction.IMPORT_APPLY]


# ---- good files -----------------------------------------------------------------------------------

def test_gb18030_csv_imports_correctly(world):
    actor = world.user("institution_a1")
    rows = [worker_row(world.inst_a1, 姓名="欧阳娜娜", 职称级别="副高级", 性别=""),
            worker_row(world.inst_a1, 姓名="龔鑫", 职业类别="药师", 状态="离职", 执业起始日期="2012/9/1")]
    data = csv_data(rows, encoding="gb18030")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    job = upload(actor, data, "人员.csv")
    assert job.status == JobStatus.VALIDATED and job.encoding == "GB18030" and job.error_rows == 0
    job = apply(actor, job)
    assert job.status == JobStatus.DONE and job.create_count == 2
    first = worker_find_by_id_number(actor=actor, id_number=rows[0]["身份证号"])
    second = worker_find_by_id_number(actor=actor, id_number=rows[1]["身份证号"])
    assert (first.name, first.title_level, first.institution_id) == ("欧阳娜娜", "associate_senior", world.inst_a1.pk)
    assert (second.name, second.profession, second.status, str(second.practising_since)) == (
        "龔鑫", "pharmacist", "left", "2012-09-01")
    assert first.id_number_encrypted.startswith("v1$") and rows[0]["身份证号"] not in first.id_number_encrypted


def test_the_same_file_twice_leaves_one_copy(world):
    actor = world.user("institution_a1")
    data = xlsx([worker_row(world.inst_a1, 姓名=f"重复{i}") for i in range(4)])
    first = apply(actor, upload(actor, data))
    assert (first.status, first.create_count) == (JobStatus.DONE, 4)
    second = upload(actor, data)
    assert (second.create_count, second.update_count, second.unchanged_count) == (0, 0, 4)
    assert "已导入的文件内容相同" in second.message
    second = apply(actor, second)
    assert (second.status, second.create_count, second.unchanged_count) == (JobStatus.DONE, 0, 4)
    assert Worker.objects.filter(name__startswith="重复").count() == 4


def test_a_changed_row_updates_the_worker_and_audits_the_change(world):
    actor = world.user("institution_a1")
    row = worker_row(world.inst_a1, 姓名="孙医生", 职称级别="中级")
    apply(actor, upload(actor, xlsx([row])))
    job = upload(actor, xlsx([dict(row, 职称级别="副高级")]))
    assert (job.create_count, job.update_count) == (0, 1)
    job = apply(actor, job)
    worker = worker_find_by_id_number(actor=actor, id_number=row["身份证号"])
    assert worker.title_level == "associate_senior"
    event = AuditEvent.objects.get(action=AuditAction.UPDATE, entity="worker", entity_id=str(worker.pk))
    assert event.before == {"title_level": "intermediate"} and event.after == {"title_level": "associate_senior"}


def test_a_worker_registered_elsewhere_cannot_be_moved_by_import(world):
    """An institution user uploading the ID number of another institution's worker gets a row
    error; the worker stays where they are."""
    actor = world.user("institution_a1")
    other = world.worker_b1
    from weijian.core import crypto

    row = worker_row(world.inst_a1, id_number=crypto.decrypt(other.id_number_encrypted), 姓名="王药师",
                     职业类别="药师")
    job = upload(actor, xlsx([row]))
    assert job.error_rows == 1 and job.create_count == 0
    assert job.errors_preview[0]["reason"] == "该身份证号已在您管辖范围以外的机构登记，不能通过导入修改"
    assert "*" in job.errors_preview[0]["value"]
    other.refresh_from_db()
    assert other.institution_id == world.inst_b1.pk


def test_rows_that_went_bad_after_the_dry_run_abort_the_whole_import(world):
    """The apply step re-checks every row: here the institution closed in between."""
    actor = world.user("commission_info")
    job = upload(actor, xlsx([worker_row(world.inst_a2, 姓名="周医生"), worker_row(world.inst_b1, 姓名="吴医生")]))
    assert job.create_count == 2
    from weijian.orgs.services import institution_deactivate

    institution_deactivate(actor=actor, institution=world.inst_b1)
    job = apply(actor, job)
    assert job.status == JobStatus.FAILED
    assert job.message == "导入时发现新的错误行（数据在校验后已变化），未写入任何数据。请下载错误报告修正后重新上传。"
    assert job.errors_preview[0]["reason"] == "机构已停用，不能新增人员"
    assert not Worker.objects.filter(name__in=["周医生", "吴医生"]).exists()
    assert not job.stored_name


# ---- reports ------------------------------------------------------------------------------------

def test_the_error_report_lists_row_column_value_reason_with_masked_ids(world):
    actor = world.user("institution_a1")
    row, _ = bad_row(world, "check digit")
    job = upload(actor, xlsx([row, bad_row(world, "formula")[0]]))
    from django.core.files.storage import default_storage

    from weijian.imports.services import import_report_bytes

    with default_storage.open(job.report_name, "rb") as fh:
        stored = fh.read()
    assert not stored.startswith(b"PK")  # encrypted at rest, not a readable .xlsx
    sheets = read_xlsx(import_report_bytes(job))
    rows = sheets["错误报告"]
    assert rows[0] == ("行号", "列", "值", "错误原因")
    wrong = row["身份证号"]
    assert rows[1] == (2, "身份证号", wrong[:4] + "*" * 10 + wrong[-4:], "身份证号校验位错误")
    assert rows[2] == (3, "姓名", "'=CMD|' /C calc'!A0", FORMULA)  # neutralised: Excel shows it as text
    assert wrong not in str(sheets)


def test_the_template_has_chinese_headers_and_an_instructions_sheet():
    from weijian.imports.reports import template_xlsx
    from weijian.workforce.importers import WORKER_IMPORT

    sheets = read_xlsx(template_xlsx(WORKER_IMPORT))
    assert list(sheets) == ["数据", "填写说明"]
    assert sheets["数据"][0][:4] == ("姓名", "身份证号", "机构统一社会信用代码", "职业类别")
    assert sheets["填写说明"][0] == ("列名", "是否必填", "填写要求", "示例")
    assert ("身份证号", "必填") == sheets["填写说明"][2][:2]


# ---- cancel -------------------------------------------------------------------------------------

def test_cancel_drops_the_stored_rows_and_writes_nothing(world):
    actor = world.user("institution_a1")
    job = upload(actor, xlsx([worker_row(world.inst_a1)]))
    from django.core.files.storage import default_storage

    stored = job.stored_name
    assert default_storage.exists(stored)
    job = services.import_cancel(actor=actor, job=job)
    assert job.status == JobStatus.CANCELLED and not default_storage.exists(stored)
    with pytest.raises(BusinessError) as exc:
        services.import_confirm(actor=actor, job=job, only_valid=False, background=False)
    assert exc.value.code == ImportErrorCode.WRONG_STATE


def test_another_user_cannot_confirm_my_job(world):
    job = upload(world.user("institution_a1"), xlsx([worker_row(world.inst_a1)]))
    with pytest.raises(BusinessError) as exc:
        services.import_confirm(actor=world.user("commission_info"), job=job, only_valid=False, background=False)
    assert exc.value.code == ImportErrorCode.WRONG_STATE


def test_an_uploader_who_lost_the_right_to_import_gets_nothing_written(world):
    from weijian.accounts.models import User
    from weijian.imports.services import NO_LONGER_ALLOWED

    actor = world.user("institution_a1")
    job = upload(actor, xlsx([worker_row(world.inst_a1, 姓名="停用后")]))
    services.import_confirm(actor=actor, job=job, only_valid=False, background=False)
    User.objects.filter(pk=actor.pk).update(is_active=False)
    job = services.import_apply(job_id=job.pk)
    assert job.status == JobStatus.FAILED and job.message == NO_LONGER_ALLOWED
    assert not Worker.objects.filter(name="停用后").exists()
    assert not job.stored_name
