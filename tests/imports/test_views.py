"""The import pages, driven over HTTP as users would: upload -> dry run -> error report -> import."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.imports.helpers import read_xlsx, upload, worker_row, xlsx
from weijian.audit.actions import AuditAction
from weijian.audit.models import AuditEvent
from weijian.imports import progress
from weijian.imports.models import ImportJob, JobStatus
from weijian.workforce.models import Worker

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def post_file(client, data: bytes, name: str = "人员.xlsx", entity: str = "worker"):
    return client.post(reverse("imports:upload", args=[entity]), {"file": SimpleUploadedFile(name, data)})


def job_url(job, name="job-detail"):
    return reverse(f"imports:{name}", args=[job.pk])


def test_upload_page_explains_links_the_template_and_lists_recent_jobs(world, login):
    client = login("institution_a1")
    upload(world.user("institution_a1"), xlsx([worker_row(world.inst_a1)]), "上次的文件.xlsx")
    page = client.get(reverse("imports:upload", args=["worker"]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "下载模板" in html and reverse("imports:template", args=["worker"]) in html
    assert 'name="file"' in html and 'enctype="multipart/form-data"' in html
    assert "身份证号" in html and "上次的文件.xlsx" in html


def test_template_download(world, login):
    response = login("institution_a1").get(reverse("imports:template", args=["worker"]))
    assert response.status_code == 200 and response["Content-Type"] == XLSX
    assert "filename*=UTF-8''" in response["Content-Disposition"]
    sheets = read_xlsx(response.content)
    assert list(sheets) == ["数据", "填写说明"] and sheets["数据"][0][0] == "姓名"


@pytest.mark.parametrize(("user", "entity", "status"), [
    ("institution_a1", "division", 403),
    ("institution_a1", "institution", 403),
    ("commission_science", "worker", 403),
    ("district_a", "division", 403),
    ("institution_a1", "nonsense", 404),
])
def test_upload_and_template_need_the_import_permission(world, login, user, entity, status):
    client = login(user)
    assert client.get(reverse("imports:upload", args=[entity])).status_code == status
    assert client.get(reverse("imports:template", args=[entity])).status_code == status
    assert post_file(client, b"x", "a.csv", entity=entity).status_code == status
    assert not ImportJob.objects.exists()


def test_anonymous_is_sent_to_login(world, client):
    response = client.get(reverse("imports:upload", args=["worker"]))
    assert response.status_code == 302 and "login" in response["Location"]


def test_upload_without_a_file_rerenders_with_422(world, login):
    response = login("institution_a1").post(reverse("imports:upload", args=["worker"]), {})
    assert response.status_code == 422 and "请选择要上传的文件" in response.content.decode()


def test_full_flow_valid_file(world, login, django_capture_on_commit_callbacks):
    client = login("institution_a1")
    rows = [worker_row(world.inst_a1, 姓名="网页甲"), worker_row(world.inst_a1, 姓名="网页乙")]
    with django_capture_on_commit_callbacks(execute=True):
        response = post_file(client, xlsx(rows))
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == job_url(job)
    assert job.status == JobStatus.VALIDATED  # the dry run ran as a (immediate) background job
    page = client.get(job_url(job)).content.decode()
    assert "试导入结果（共 2 行）：将新增 2、将更新 0、无变化 0、错误 0 行。" in page
    assert "确认导入" in page and "仅导入有效行" not in page and "every 1s" not in page
    assert not Worker.objects.filter(name__startswith="网页").exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(job_url(job, "job-confirm"))
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == JobStatus.DONE
    assert sorted(Worker.objects.filter(name__startswith="网页").values_list("name", flat=True)) == ["网页乙", "网页甲"]
    page = client.get(job_url(job)).content.decode()
    assert "导入完成：已新增 2、已更新 0、无变化 0、跳过错误 0 行。" in page
    events = AuditEvent.objects.filter(entity_id=str(job.pk)).order_by("id")
    assert [(e.action, e.channel) for e in events] == [(AuditAction.IMPORT_UPLOAD, "web"),
                                                       (AuditAction.IMPORT_APPLY, "job")]


def test_errors_are_previewed_reported_and_block_the_import_until_only_valid_is_chosen(
        world, login, django_capture_on_commit_callbacks):
    client = login("institution_a1")
    wrong = worker_row(world.inst_a1, 姓名="错行")
    wrong["身份证号"] = wrong["身份证号"][:17] + ("0" if wrong["身份证号"][17] != "0" else "1")
    other = worker_row(world.inst_a1, 姓名="他院", 机构统一社会信用代码=world.inst_b1.uscc)
    with django_capture_on_commit_callbacks(execute=True):
        post_file(client, xlsx([worker_row(world.inst_a1, 姓名="好行"), wrong, other]))
    job = ImportJob.objects.get()
    page = client.get(job_url(job)).content.decode()
    assert "将新增 1、将更新 0、无变化 0、错误 2 行" in page
    for text in ("行号", "列", "值", "错误原因", "身份证号校验位错误", "机构不存在或不在您的管辖范围内",
                 "下载错误报告", "仅导入有效行（跳过 2 行错误）", "确认导入", "取消导入"):
        assert text in page, text
    assert wrong["身份证号"] not in page  # masked in the preview too

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(job_url(job, "job-confirm"))
    assert response.status_code == 422
    assert "文件存在错误行，请修正后重新上传，或选择“仅导入有效行”" in response.content.decode()
    assert not Worker.objects.filter(name__in=["好行", "错行", "他院"]).exists()
    job.refresh_from_db()
    assert job.status == JobStatus.VALIDATED

    report = client.get(job_url(job, "job-report"))
    assert report.status_code == 200 and report["Content-Type"] == XLSX
    sheet = read_xlsx(report.content)["错误报告"]
    assert sheet[0] == ("行号", "列", "值", "错误原因")
    assert sheet[1][:2] == (3, "身份证号") and sheet[1][2].count("*") == 10
    assert sheet[2] == (4, "机构统一社会信用代码", world.inst_b1.uscc, "机构不存在或不在您的管辖范围内")

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(job_url(job, "job-confirm"), {"only_valid": "1"})
    assert response.status_code == 302
    assert list(Worker.objects.filter(name__in=["好行", "错行", "他院"]).values_list("name", flat=True)) == ["好行"]


def test_a_rejected_file_shows_its_reason(world, login):
    client = login("institution_a1")
    response = post_file(client, b"not a zip at all", "人员.xlsx")
    job = ImportJob.objects.get()
    assert job.status == JobStatus.REJECTED
    page = client.get(response["Location"]).content.decode()
    assert 'id="reject-reason"' in page
    assert "文件不是有效的 Excel（.xlsx）文件，可能是改了扩展名的其他文件" in page
    assert "确认导入" not in page
    event = AuditEvent.objects.get(action=AuditAction.IMPORT_REJECTED)
    assert event.channel == "web" and event.actor == world.user("institution_a1")


def test_progress_is_polled_while_the_job_runs_and_stops_when_it_is_done(world, login):
    client = login("institution_a1")
    post_file(client, xlsx([worker_row(world.inst_a1)]))  # on-commit not run: the dry run is still queued
    job = ImportJob.objects.get()
    assert job.status == JobStatus.VALIDATING
    page = client.get(job_url(job)).content.decode()
    assert 'hx-trigger="every 1s"' in page and job_url(job, "job-progress") in page
    progress.report(job.pk, phase="validating", done=250, total=1000)
    partial = client.get(job_url(job, "job-progress"), HTTP_HX_REQUEST="true").content.decode()
    assert 'hx-trigger="every 1s"' in partial and 'aria-valuenow="25"' in partial and "width: 25%" in partial
    assert "<html" not in partial
    from weijian.imports.services import import_validate

    import_validate(job_id=job.pk)
    partial = client.get(job_url(job, "job-progress"), HTTP_HX_REQUEST="true").content.decode()
    assert "every 1s" not in partial and "将新增 1" in partial


def test_cancel(world, login, django_capture_on_commit_callbacks):
    client = login("institution_a1")
    with django_capture_on_commit_callbacks(execute=True):
        post_file(client, xlsx([worker_row(world.inst_a1)]))
    job = ImportJob.objects.get()
    page = client.get(job_url(job)).content.decode()
    assert 'data-confirm="确定取消本次导入？' in page
    client.post(job_url(job, "job-cancel"))
    job.refresh_from_db()
    assert job.status == JobStatus.CANCELLED and not job.stored_name
    assert "本次导入已取消" in client.get(job_url(job)).content.decode()


def test_jobs_are_private_to_their_uploader(world, login):
    job = upload(world.user("institution_a1"), xlsx([worker_row(world.inst_a1, 出生日期="1900-01-01")]))
    assert job.report_name
    for user in ("institution_b1", "commission_info", "district_a"):
        client = login(user)
        for name in ("job-detail", "job-progress", "job-report"):
            assert client.get(job_url(job, name)).status_code == 404, (user, name)
        assert client.post(job_url(job, "job-confirm"), {"only_valid": "1"}).status_code == 404
        assert client.post(job_url(job, "job-cancel")).status_code == 404
    job.refresh_from_db()
    assert job.status == JobStatus.VALIDATED
    assert login("institution_a1").get(job_url(job)).status_code == 200


def test_job_list_shows_own_jobs_filtered_and_paginated(world, login):
    me, other = world.user("institution_a1"), world.user("institution_b1")
    for i in range(22):
        upload(me, xlsx([worker_row(world.inst_a1)]), f"我的{i:02d}.xlsx")
    upload(me, b"", "空文件.csv")
    upload(other, xlsx([worker_row(world.inst_b1)]), "别人的.xlsx")
    client = login("institution_a1")
    response = client.get(reverse("imports:job-list"))
    assert response.status_code == 200
    assert response.context["page"].paginator.count == 23
    html = response.content.decode()
    assert "别人的.xlsx" not in html and "export=xlsx" not in html
    assert reverse("imports:upload", args=["worker"]) in html
    names = [values[0] for _o, _u, values in response.context["rows"]]
    assert names[0] == "空文件.csv" and len(names) == 20
    rejected = client.get(reverse("imports:job-list"), {"status": "rejected"})
    assert [values[0] for _o, _u, values in rejected.context["rows"]] == ["空文件.csv"]
    assert client.get(reverse("imports:job-list"), {"entity": "institution"}).context["page"].paginator.count == 0
    page2 = client.get(reverse("imports:job-list"), {"page": 2})
    assert len(page2.context["rows"]) == 3
    partial = client.get(reverse("imports:job-list"), {"status": "rejected"}, HTTP_HX_REQUEST="true")
    assert "<html" not in partial.content.decode()
