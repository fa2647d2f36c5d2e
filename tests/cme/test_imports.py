"""CME imports through the real framework (upload, dry run, confirm, apply): national/provincial project
lists, sign-in sheets and e-learning credit files. Bad rows get clear Chinese reasons and write nothing;
good files import once and only once; ID numbers appear masked in reports and never in clear."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from tests import factories
from tests.imports.helpers import apply, csv_data, read_xlsx, upload, xlsx
from weijian.audit.actions import AuditAction
from weijian.audit.models import AuditEvent
from weijian.cme import services
from weijian.cme.importers import ATTENDANCE_IMPORT, CREDIT_IMPORT, PROJECT_IMPORT
from weijian.cme.models import Attendance, CmeProject, CreditRecord
from weijian.core.errors import BusinessError
from weijian.imports.errors import ImportErrorCode
from weijian.imports.models import JobStatus
from weijian.imports.registry import mask
from weijian.imports.services import import_report_bytes
from weijian.workforce.models import Worker

TODAY = timezone.localdate()
PROJECT_HEADERS = [c.header for c in PROJECT_IMPORT.columns]
ATTENDANCE_HEADERS = [c.header for c in ATTENDANCE_IMPORT.columns]
CREDIT_HEADERS = [c.header for c in CREDIT_IMPORT.columns]


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path / "media")}}}


class People:
    """Workers with known ID numbers: a, a2, a3, a4 in district A (锦江区), b in district B (青羊区)."""

    def __init__(self, world):
        info = world.user("commission_info")
        self.ids = {key: factories.unique_id_number(birth=dt.date(1980, 1, 1) + dt.timedelta(days=n))
                    for n, key in enumerate(("a", "a2", "a3", "a4", "b"))}
        spec = {"a": (world.inst_a1, "周医生", "110510000000001"), "a2": (world.inst_a2, "吴护士", "110510000000002"),
                "a3": (world.inst_a1, "孙医生", ""), "a4": (world.inst_a1, "冯医生", ""),
                "b": (world.inst_b1, "郑药师", "110510000000005")}
        for key, (inst, name, licence) in spec.items():
            setattr(self, key, factories.worker(actor=info, institution=inst, name=name, id_no=self.ids[key],
                                                licence_number=licence))


@pytest.fixture
def people(world):
    return People(world)


@pytest.fixture
def projects(world):
    """N: national, approved (on the published list), held 60 days ago; F: provincial, approved, in 10 days;
    D: a municipal application still in draft (never approved)."""
    science = world.user("commission_science")
    n = services.project_create(actor=science, number="N2026-01-001", name="国家级心电诊断培训", level="national",
                                host=world.inst_b1, credits="8", start_date=TODAY - dt.timedelta(days=60),
                                end_date=TODAY - dt.timedelta(days=58))
    f = services.project_create(actor=science, number="P2026-02-002", name="省级护理质量培训", level="provincial",
                                host=world.inst_a1, credits="5", start_date=TODAY + dt.timedelta(days=10),
                                end_date=TODAY + dt.timedelta(days=12))
    d = services.project_create(actor=world.user("institution_a1"), number="510100-2026-009", name="社区康复进展",
                                level="municipal", host=world.inst_a1, credits="4",
                                start_date=TODAY - dt.timedelta(days=30), end_date=TODAY - dt.timedelta(days=29))
    return {"N": n, "F": f, "D": d}


def errors_of(job) -> list[tuple]:
    return [(e["row"], e["column"], e["value"], e["reason"]) for e in job.errors_preview]


def upload_audited(job, actor) -> bool:
    return AuditEvent.objects.filter(action=AuditAction.IMPORT_UPLOAD, entity_id=str(job.pk), actor=actor).exists()


def refuses_to_apply(actor, job):
    with pytest.raises(BusinessError) as exc:
        apply(actor, job)
    assert exc.value.code == ImportErrorCode.HAS_ERRORS


# ---- e-learning credit files ---------------------------------------------------------------------

def credit_row(people, key, record_id, **values):
    row = {"平台记录号": record_id, "身份证号": people.ids[key], "姓名": getattr(people, key).name,
           "课程名称": "高血压基层诊疗指南解读", "学分类别": "II类", "学分": "2.5",
           "获得日期": (TODAY - dt.timedelta(days=5)).isoformat()}
    row.update(values)
    return row


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_credit_file_imports_once_and_only_once(world, people, kind):
    actor = world.user("district_a")
    rows = [credit_row(people, "a", "HX-0001"), credit_row(people, "a2", "HX-0002", 学分类别="I类", 学分="1"),
            credit_row(people, "a", "HX-0003", 学分="0.5")]
    data = csv_data(rows, CREDIT_HEADERS) if kind == "csv" else xlsx(rows, CREDIT_HEADERS)
    job = upload(actor, data, f"credits.{kind}", entity="cme-credit")
    assert job.status == JobStatus.VALIDATED, job.message
    assert (job.total_rows, job.error_rows, job.create_count, job.unchanged_count) == (3, 0, 3, 0)
    job = apply(actor, job)
    assert job.status == JobStatus.DONE
    assert job.create_count == 3

    records = {r.external_ref: r for r in CreditRecord.objects.filter(source="import")}
    assert set(records) == {"HX-0001", "HX-0002", "HX-0003"}
    first = records["HX-0001"]
    earned = TODAY - dt.timedelta(days=5)
    assert (first.worker, first.credits, first.credit_class, first.category, first.is_remote) == (
        people.a, Decimal("2.5"), "II", "remote", True)
    assert (first.status, first.stage, first.year, first.earned_on, first.title) == (
        "verified", "done", earned.year, earned, "高血压基层诊疗指南解读")
    assert first.verified_by == actor
    assert (records["HX-0002"].worker, records["HX-0002"].credit_class) == (people.a2, "I")
    # One audit row for the batch, listing the platform record numbers; plus upload and apply.
    batch = AuditEvent.objects.get(action=AuditAction.CREATE, entity="cme-credit")
    assert batch.actor == actor
    assert batch.after == {"created": 3, "external_refs": ["HX-0001", "HX-0002", "HX-0003"]}
    assert upload_audited(job, actor)
    assert AuditEvent.objects.filter(action=AuditAction.IMPORT_APPLY, entity_id=str(job.pk)).exists()

    again = upload(actor, data, f"credits.{kind}", entity="cme-credit")
    assert (again.create_count, again.unchanged_count, again.error_rows) == (0, 3, 0)
    again = apply(actor, again)
    assert again.status == JobStatus.DONE and (again.create_count, again.unchanged_count) == (0, 3)
    assert CreditRecord.objects.filter(source="import").count() == 3
    assert AuditEvent.objects.filter(action=AuditAction.CREATE, entity="cme-credit").count() == 1


def test_bad_credit_rows_get_chinese_reasons_and_nothing_is_written(world, people):
    actor = world.user("district_a")
    unknown = factories.unique_id_number(birth=dt.date(1990, 5, 5))
    future = (TODAY + dt.timedelta(days=3)).isoformat()
    rows = [
        credit_row(people, "a", "R1"),                                    # 2: valid
        credit_row(people, "a", "R1", 学分="3"),                           # 3: duplicate record number
        credit_row(people, "a", "R3", 身份证号=unknown, 姓名="查无此人"),     # 4: unknown ID number
        credit_row(people, "a2", "R4", 姓名="错名字"),                       # 5: name does not match
        credit_row(people, "a", "R5", 获得日期=future),                     # 6: future date
        credit_row(people, "a", "R6", 学分=-1),                             # 7: negative
        credit_row(people, "a", "R7", 学分=0),                              # 8: zero
        credit_row(people, "a", "R8", 学分="两分"),                          # 9: not a number
        credit_row(people, "a", "R9", 学分="1.25"),                          # 10: two decimals
        credit_row(people, "b", "R10"),                                   # 11: worker of district B
        credit_row(people, "a", "R11", 学分类别="III类"),                    # 12: unknown class
    ]
    job = upload(actor, xlsx(rows, CREDIT_HEADERS), "credits.xlsx", entity="cme-credit")
    assert job.status == JobStatus.VALIDATED
    credits_reason = "学分应为大于0的数字，最多一位小数"
    assert sorted(errors_of(job)) == [
        (3, "平台记录号", "R1", "与第 2 行重复"),
        (4, "身份证号", mask(unknown), "未找到该人员"),
        (5, "姓名", "错名字", "姓名与证件号不符"),
        (6, "获得日期", future, "日期不能晚于今天"),
        (7, "学分", "-1", credits_reason),
        (8, "学分", "0", credits_reason),
        (9, "学分", "两分", credits_reason),
        (10, "学分", "1.25", credits_reason),
        (11, "身份证号", mask(people.ids["b"]), "该人员不在您的管辖范围内，不能为其登记"),
        (12, "学分类别", "III类", "取值无效，应为：I类、II类"),
    ]
    assert (job.error_rows, job.create_count) == (10, 1)
    refuses_to_apply(actor, job)
    assert CreditRecord.objects.count() == 0
    assert upload_audited(job, actor)
    # The downloadable report shows masked numbers only.
    report = read_xlsx(import_report_bytes(job))
    text = repr(report)
    assert mask(unknown) in text and unknown not in text and people.ids["b"] not in text


def test_a_changed_record_under_a_known_platform_number_is_refused(world, people):
    actor = world.user("institution_a1")
    job = apply(actor, upload(actor, csv_data([credit_row(people, "a", "HX-9")], CREDIT_HEADERS), "c.csv",
                              entity="cme-credit"))
    assert job.status == JobStatus.DONE
    changed = upload(actor, csv_data([credit_row(people, "a", "HX-9", 学分="4")], CREDIT_HEADERS), "c.csv",
                     entity="cme-credit")
    assert errors_of(changed) == [(2, "平台记录号", "HX-9", "该平台记录号已导入，且内容与本行不同，不能通过导入修改")]
    assert CreditRecord.objects.get().credits == Decimal("2.5")


def test_records_written_between_dry_run_and_apply_are_sorted_out_at_apply(world, people):
    """The apply writes a batch straight away and lets the natural-key index refuse it when a record
    has been written since the dry run; then it sorts the batch out record by record."""
    actor = world.user("district_a")

    def credit_file(*rows):
        return upload(actor, csv_data(list(rows), CREDIT_HEADERS), "c.csv", entity="cme-credit")

    first = credit_file(credit_row(people, "a", "HX-1"), credit_row(people, "a2", "HX-2"))
    second = credit_file(credit_row(people, "a", "HX-1"), credit_row(people, "a", "HX-3"))
    assert second.create_count == 2  # at its dry run neither record was there yet
    assert apply(actor, first).status == JobStatus.DONE
    second = apply(actor, second)
    assert second.status == JobStatus.DONE
    assert (second.create_count, second.unchanged_count) == (1, 1)
    assert sorted(CreditRecord.objects.values_list("external_ref", flat=True)) == ["HX-1", "HX-2", "HX-3"]
    latest = AuditEvent.objects.filter(action=AuditAction.CREATE, entity="cme-credit").order_by("-id").first()
    assert latest.after == {"created": 1, "external_refs": ["HX-3"]}

    # Written meanwhile with other content: the apply stops and writes nothing of its file.
    third = credit_file(credit_row(people, "a", "HX-4"), credit_row(people, "a", "HX-5"))
    assert apply(actor, credit_file(credit_row(people, "a", "HX-4", 学分="4"))).status == JobStatus.DONE
    third = apply(actor, third)
    assert third.status == JobStatus.FAILED and "校验后已变化" in third.message
    assert errors_of(third) == [(2, "平台记录号", "HX-4", "该平台记录号已导入，且内容与本行不同，不能通过导入修改")]
    assert not CreditRecord.objects.filter(external_ref="HX-5").exists()
    assert CreditRecord.objects.get(external_ref="HX-4").credits == Decimal("4")


def test_record_numbers_beyond_every_stored_one_are_looked_up_with_one_probe(world, people):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from weijian.cme.services.imports import _stored_imports

    actor = world.user("district_a")
    assert apply(actor, upload(actor, csv_data([credit_row(people, "a", "HX-5")], CREDIT_HEADERS), "c.csv",
                               entity="cme-credit")).status == JobStatus.DONE
    me = people.a.pk

    def lookup(*refs):
        with CaptureQueriesContext(connection) as captured:
            found = _stored_imports([(me, ref) for ref in refs])
        return found, sum("cme_creditrecord" in q["sql"] for q in captured.captured_queries)

    assert lookup("ZZ-1", "ZZ-2") == ({}, 1)  # nothing stored in that range: the probe answers
    assert lookup("HX-1", "HX-9") == ({}, 2)  # HX-5 lies between them: they are looked up, not found
    found, reads = lookup("HX-1", "HX-5")
    assert reads == 2 and found == {(me, "HX-5"): ("II", Decimal("2.5"), TODAY - dt.timedelta(days=5),
                                                   "高血压基层诊疗指南解读")}


@pytest.fixture
def streams(monkeypatch):
    """Stream every credit file (not only large ones) and record whether each apply streamed."""
    from weijian.imports import services as import_services

    monkeypatch.setattr(import_services, "STREAM_AFTER_ROWS", 1)
    outcomes = []
    streamed = import_services._apply_streamed

    def spy(job, spec):
        out = streamed(job, spec)
        outcomes.append(out is not None)
        return out

    monkeypatch.setattr(import_services, "_apply_streamed", spy)
    return outcomes


def test_a_streamed_apply_writes_what_the_batch_apply_writes(world, people, streams):
    actor = world.user("district_a")
    rows = [credit_row(people, "a", "S-1"), credit_row(people, "a2", "S-2", 学分类别="I类", 学分="1"),
            credit_row(people, "b", "S-3")]  # the last is out of the district's scope
    job = apply(actor, upload(actor, csv_data(rows, CREDIT_HEADERS), "c.csv", entity="cme-credit"), only_valid=True)
    assert streams == [True]
    assert job.status == JobStatus.DONE and (job.create_count, job.error_rows) == (2, 1)
    records = {r.external_ref: r for r in CreditRecord.objects.all()}
    assert set(records) == {"S-1", "S-2"}
    assert (records["S-2"].worker, records["S-2"].credit_class, records["S-2"].credits,
            records["S-2"].verified_by) == (people.a2, "I", Decimal("1.0"), actor)
    batch = AuditEvent.objects.get(action=AuditAction.CREATE, entity="cme-credit")
    assert batch.after == {"created": 2, "external_refs": ["S-1", "S-2"]}


def test_a_record_written_since_the_dry_run_stops_the_stream_and_the_batches_sort_it_out(world, people, streams):
    actor = world.user("district_a")
    late = upload(actor, csv_data([credit_row(people, "a", "T-1"), credit_row(people, "a", "T-2")], CREDIT_HEADERS),
                  "c.csv", entity="cme-credit")
    assert apply(actor, upload(actor, csv_data([credit_row(people, "a", "T-1")], CREDIT_HEADERS), "d.csv",
                               entity="cme-credit")).status == JobStatus.DONE
    late = apply(actor, late)
    assert streams == [True, False]  # the first file streamed; the second fell back to batches
    assert late.status == JobStatus.DONE and (late.create_count, late.unchanged_count) == (1, 1)
    assert sorted(CreditRecord.objects.values_list("external_ref", flat=True)) == ["T-1", "T-2"]


def test_a_check_that_would_query_mid_stream_falls_back_to_batches(world, people, streams, monkeypatch):
    """Nothing may query while the rows stream in (PostgreSQL's COPY holds the connection): a cache
    that claims to be ready but is not makes the check query, which is refused; nothing is lost."""
    from weijian.cme.services.imports import PeopleCache

    monkeypatch.setattr(PeopleCache, "fill", lambda self: True)
    actor = world.user("district_a")
    job = apply(actor, upload(actor, csv_data([credit_row(people, "a", "Q-1")], CREDIT_HEADERS), "c.csv",
                              entity="cme-credit"))
    assert streams == [False]
    assert job.status == JobStatus.DONE and job.create_count == 1
    assert list(CreditRecord.objects.values_list("external_ref", flat=True)) == ["Q-1"]


def test_a_city_too_large_to_hold_in_memory_is_applied_batch_by_batch(world, people, streams, monkeypatch):
    from weijian.cme.services.imports import PeopleCache

    monkeypatch.setattr(PeopleCache, "FULL_READ_MAX", 1)
    actor = world.user("district_a")
    job = apply(actor, upload(actor, csv_data([credit_row(people, "a", "M-1")], CREDIT_HEADERS), "c.csv",
                              entity="cme-credit"))
    assert streams == [False] and job.status == JobStatus.DONE and job.create_count == 1


def test_an_institution_user_cannot_credit_another_institutions_worker(world, people):
    actor = world.user("institution_a1")  # people.a2 works at inst_a2
    job = upload(actor, csv_data([credit_row(people, "a2", "X1")], CREDIT_HEADERS), "c.csv", entity="cme-credit")
    assert errors_of(job) == [(2, "身份证号", mask(people.ids["a2"]), "该人员不在您的管辖范围内，不能为其登记")]


# ---- sign-in sheets ------------------------------------------------------------------------------

def sign_in(people, key, project, *, by="id", **values):
    worker = getattr(people, key)
    row = {"项目编号": project.number, "身份证号": people.ids[key] if by == "id" else "",
           "执业证书编码": worker.licence_number if by == "licence" else "", "姓名": worker.name,
           "参加日期": project.start_date.isoformat()}
    row.update(values)
    return row


def test_sign_in_sheet_records_attendance_and_credits_once(world, people, projects):
    actor = world.user("district_a")
    n = projects["N"]
    rows = [sign_in(people, "a", n), sign_in(people, "a2", n, by="licence",
                                               参加日期=(n.start_date + dt.timedelta(days=1)).isoformat())]
    data = xlsx(rows, ATTENDANCE_HEADERS)
    job = upload(actor, data, "sheet.xlsx", entity="cme-attendance")
    assert (job.status, job.error_rows, job.create_count) == (JobStatus.VALIDATED, 0, 2), errors_of(job)
    job = apply(actor, job)
    assert job.status == JobStatus.DONE and job.create_count == 2
    attendances = {a.worker: a for a in Attendance.objects.filter(project=n)}
    assert set(attendances) == {people.a, people.a2}
    assert {a.method for a in attendances.values()} == {"sheet"}
    assert attendances[people.a2].attended_on == n.start_date + dt.timedelta(days=1)
    credits = CreditRecord.objects.filter(project=n, source="attendance")
    assert sorted((c.worker_id, c.credits, c.status) for c in credits) == sorted(
        [(people.a.pk, Decimal("8.0"), "verified"), (people.a2.pk, Decimal("8.0"), "verified")])
    assert AuditEvent.objects.filter(action=AuditAction.CREATE, entity="cme-attendance").count() == 2

    again = apply(actor, upload(actor, data, "sheet.xlsx", entity="cme-attendance"))
    assert again.status == JobStatus.DONE and (again.create_count, again.unchanged_count) == (0, 2)
    assert Attendance.objects.count() == 2 and CreditRecord.objects.count() == 2


def test_bad_sign_in_rows_get_chinese_reasons_and_nothing_is_written(world, people, projects):
    actor = world.user("district_a")
    n, f, d = projects["N"], projects["F"], projects["D"]
    unknown = factories.unique_id_number(birth=dt.date(1991, 6, 6))
    outside = (n.end_date + dt.timedelta(days=1)).isoformat()
    future = (f.start_date + dt.timedelta(days=1)).isoformat()
    rows = [
        sign_in(people, "a", n),                                             # 2: valid
        sign_in(people, "a", n),                                             # 3: duplicate of row 2
        sign_in(people, "a", n, 身份证号=unknown, 姓名="查无此人"),              # 4: unknown ID number
        sign_in(people, "a", n, by="licence", 执业证书编码="999999", 姓名="无此证"),  # 5: unknown licence
        sign_in(people, "a2", n, 姓名="错名字"),                                # 6: name does not match
        sign_in(people, "a2", d, by="licence"),                               # 7: project never approved
        sign_in(people, "a", n, 项目编号="NOPE-1", 姓名="某人甲"),               # 8: no such project
        sign_in(people, "a3", f, 参加日期=future),                             # 9: in the future
        sign_in(people, "a4", n, 参加日期=outside),                            # 10: outside the project's dates
        sign_in(people, "b", n),                                             # 11: worker of district B
        sign_in(people, "a", n, 身份证号="", 姓名="无证件"),                     # 12: neither identifier
    ]
    job = upload(actor, xlsx(rows, ATTENDANCE_HEADERS), "sheet.xlsx", entity="cme-attendance")
    assert job.status == JobStatus.VALIDATED
    found = sorted(errors_of(job))
    assert found == [
        (3, "项目编号", f"{n.number}：{mask(people.ids['a'])}", "与第 2 行重复"),
        (4, "身份证号", mask(unknown), "未找到该人员"),
        (5, "执业证书编码", "999999", "未找到该人员"),
        (6, "姓名", "错名字", "姓名与证件号不符"),
        (7, "项目编号", d.number, "项目不存在或未获批准"),
        (8, "项目编号", "NOPE-1", "项目不存在或未获批准"),
        (9, "参加日期", future, "日期不能晚于今天"),
        (10, "参加日期", outside, "参加日期不在项目举办期间"),
        (11, "身份证号", mask(people.ids["b"]), "该人员不在您的管辖范围内，不能为其登记"),
        (12, "身份证号", "", "身份证号和执业证书编码至少填写一项"),
    ]
    assert (job.error_rows, job.create_count) == (10, 1)
    refuses_to_apply(actor, job)
    assert Attendance.objects.count() == 0 and CreditRecord.objects.count() == 0
    assert upload_audited(job, actor)
    text = repr(read_xlsx(import_report_bytes(job)))
    assert mask(unknown) in text and unknown not in text and people.ids["a"] not in text


def test_only_valid_rows_can_be_imported_from_a_sheet_with_unmatched_people(world, people, projects):
    actor = world.user("commission_science")
    n = projects["N"]
    unknown = factories.unique_id_number(birth=dt.date(1992, 7, 7))
    rows = [sign_in(people, "b", n), sign_in(people, "a", n, 身份证号=unknown, 姓名="查无此人")]
    job = upload(actor, csv_data(rows, ATTENDANCE_HEADERS), "sheet.csv", entity="cme-attendance")
    assert errors_of(job) == [(3, "身份证号", mask(unknown), "未找到该人员")]
    job = apply(actor, job, only_valid=True)
    assert job.status == JobStatus.DONE and job.create_count == 1
    assert list(Attendance.objects.values_list("worker", flat=True)) == [people.b.pk]


# ---- national and provincial project lists -------------------------------------------------------

def project_row(world, number, **values):
    row = {"项目编号": number, "项目名称": "基层医师心电图规范化诊断培训", "项目级别": "国家级",
           "主办机构": world.inst_a1.uscc, "学分": "10", "举办方式": "面授", "开始日期": "2026-05-10",
           "结束日期": "2026-05-12", "学科": "心血管内科"}
    row.update(values)
    return row


def test_project_list_imports_creates_updates_and_protects_attended_projects(world, people):
    actor = world.user("commission_science")
    rows = [project_row(world, "2026-01-01-001"),
            project_row(world, "S2026-033", 项目级别="省级", 举办方式="远程", 主办机构=world.inst_b1.uscc, 学分="4.5",
                        学科="")]
    job = apply(actor, upload(actor, xlsx(rows, PROJECT_HEADERS), "list.xlsx", entity="cme-project"))
    assert job.status == JobStatus.DONE and job.create_count == 2
    national = CmeProject.objects.get(number="2026-01-01-001")
    provincial = CmeProject.objects.get(number="S2026-033")
    assert (national.level, national.status, national.credit_class, national.credits, national.host) == (
        "national", "approved", "I", Decimal("10.0"), world.inst_a1)
    assert (provincial.level, provincial.delivery, provincial.credits, provincial.discipline) == (
        "provincial", "remote", Decimal("4.5"), "")

    again = upload(actor, xlsx(rows, PROJECT_HEADERS), "list.xlsx", entity="cme-project")
    assert (again.create_count, again.update_count, again.unchanged_count) == (0, 0, 2)

    # The provincial project gets an attendee; then the list changes both projects' credits.
    services.attendance_record(actor=actor, project=provincial, worker=people.a, attended_on=dt.date(2026, 5, 11))
    rows[0]["学分"], rows[1]["学分"] = "8", "3"
    changed = upload(actor, xlsx(rows, PROJECT_HEADERS), "list.xlsx", entity="cme-project")
    assert changed.update_count == 1
    assert errors_of(changed) == [(3, "项目编号", "S2026-033", "该项目已有参加记录，不能通过导入修改")]
    changed = apply(actor, changed, only_valid=True)
    assert changed.status == JobStatus.DONE and changed.update_count == 1
    national.refresh_from_db()
    provincial.refresh_from_db()
    assert (national.credits, provincial.credits) == (Decimal("8.0"), Decimal("4.5"))
    update = AuditEvent.objects.get(action=AuditAction.UPDATE, entity="cme-project", entity_id=str(national.pk))
    assert update.before == {"credits": "10.0"} and update.after == {"credits": "8.0"}


def test_bad_project_rows_get_chinese_reasons(world, projects):
    actor = world.user("commission_science")
    rows = [
        project_row(world, "OK-1"),
        project_row(world, "BAD-2", 项目级别="市级"),
        project_row(world, "BAD-3", 主办机构="12510100MA0000000Y"),
        project_row(world, "BAD-4", 开始日期="2026-05-12", 结束日期="2026-05-10"),
        project_row(world, "BAD-5", 学分=-2),
        project_row(world, projects["D"].number),   # a municipal application's number
        project_row(world, "OK-1", 项目名称="重复"),
    ]
    job = upload(actor, xlsx(rows, PROJECT_HEADERS), "list.xlsx", entity="cme-project")
    assert sorted(errors_of(job)) == [
        (3, "项目级别", "市级", "项目级别应为国家级或省级"),
        (4, "主办机构", "12510100MA0000000Y", "主办机构不存在或不在您的管辖范围内"),
        (5, "结束日期", "2026-05-10", "结束日期不能早于开始日期"),
        (6, "学分", "-2", "学分应为大于0的数字，最多一位小数"),
        (7, "项目编号", projects["D"].number, "该项目编号已被本市项目使用，不能作为国家级、省级项目导入"),
        (8, "项目编号", "OK-1", "与第 2 行重复"),
    ]
    refuses_to_apply(actor, job)
    assert not CmeProject.objects.filter(number="OK-1").exists()


def test_only_the_commission_imports_project_lists(world):
    with pytest.raises(PermissionDenied):
        upload(world.user("district_a"), xlsx([project_row(world, "X-1")], PROJECT_HEADERS), "l.xlsx",
               entity="cme-project")


# ---- the licence number on the worker --------------------------------------------------------------

def test_worker_import_sets_and_keeps_licence_numbers(world):
    from tests.imports.helpers import WORKER_HEADERS, worker_row

    actor = world.user("commission_info")
    id_number = factories.unique_id_number(birth=dt.date(1985, 3, 9))
    job = apply(actor, upload(actor, csv_data([worker_row(world.inst_a1, id_number=id_number,
                                                          执业证书编码="110510000000777")], WORKER_HEADERS),
                              "w.csv"))
    assert job.status == JobStatus.DONE
    worker = Worker.objects.get(licence_number="110510000000777")
    # A blank cell keeps the stored number; another worker's number is refused.
    blank = apply(actor, upload(actor, csv_data([worker_row(world.inst_a1, id_number=id_number)],
                                                WORKER_HEADERS), "w2.csv"))
    assert (blank.status, blank.unchanged_count) == (JobStatus.DONE, 1)
    worker.refresh_from_db()
    assert worker.licence_number == "110510000000777"
    other = upload(actor, csv_data([worker_row(world.inst_a1, 执业证书编码="110510000000777")], WORKER_HEADERS),
                   "w3.csv")
    assert [e[1:] for e in errors_of(other)] == [("执业证书编码", "110510000000777", "该执业证书编码已登记给其他人员")]


def test_worker_services_check_the_licence_number(world, people):
    from weijian.workforce import services as workforce

    info = world.user("commission_info")
    with pytest.raises(BusinessError) as exc:
        factories.worker(actor=info, institution=world.inst_a1, licence_number="110510000000001")
    assert exc.value.code == "licence_taken"
    with pytest.raises(BusinessError) as exc:
        factories.worker(actor=info, institution=world.inst_a1, licence_number="11-05")
    assert exc.value.code == "licence_invalid"
    data = workforce.worker_clean_update(actor=info, worker=people.a3, name=people.a3.name,
                                         institution=world.inst_a1, profession="doctor",
                                         licence_number="110510000000003")
    workforce.worker_update(actor=info, worker=people.a3, data=data)
    people.a3.refresh_from_db()
    assert people.a3.licence_number == "110510000000003"


def test_namesakes_and_one_person_in_two_projects_are_not_duplicates(world, people, projects):
    actor = world.user("commission_science")
    info = world.user("commission_info")
    namesake_id = factories.unique_id_number(birth=dt.date(1979, 9, 9))
    factories.worker(actor=info, institution=world.inst_b1, name=people.a.name, id_no=namesake_id)
    n = projects["N"]
    second = services.project_create(actor=actor, number="N2026-01-002", name="国家级超声培训", level="national",
                                      host=world.inst_b1, credits="2", start_date=n.start_date, end_date=n.end_date)
    rows = [sign_in(people, "a", n), sign_in(people, "a", n, 身份证号=namesake_id), sign_in(people, "a", second)]
    job = upload(actor, csv_data(rows, ATTENDANCE_HEADERS), "sheet.csv", entity="cme-attendance")
    assert (job.error_rows, job.create_count) == (0, 3), errors_of(job)
