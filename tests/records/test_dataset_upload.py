"""WS 365 data-set files through the real pipeline: header check first, per-row rejects with Chinese
reasons, idempotent re-upload, resume from the committed position after an interrupted job, and the REST
endpoints a district platform calls with its own token."""

import csv
import io
import random

import pytest
from rest_framework.test import APIClient

from weijian.accounts.services import api_token_issue
from weijian.core.errors import BusinessError
from weijian.records import datasets, ws365
from weijian.records.models import Resource, ResourceVersion, Upload, UploadIssue

pytestmark = pytest.mark.django_db


def csv_bytes(dataset, rows) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    headers = [c.header for c in dataset.columns]
    writer.writerow(headers)
    for row in rows:
        writer.writerow(["" if row.get(h) is None else (row[h].isoformat() if hasattr(row[h], "isoformat")
                                                        else row[h]) for h in headers])
    return out.getvalue().encode()


@pytest.fixture(autouse=True)
def jobs_run_on_commit(django_capture_on_commit_callbacks, monkeypatch):
    """The upload's job is queued on commit; run it as the (test) transaction would commit."""
    real = datasets.dataset_upload

    def upload_and_commit(**kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return real(**kwargs)

    monkeypatch.setattr(datasets, "dataset_upload", upload_and_commit)


@pytest.fixture
def people():
    return ws365.sample_rows(ws365.DATASETS["personal_basic"], 6, random.Random(7))


def upload(actor, key, rows, name="data.csv"):
    return datasets.dataset_upload(actor=actor, dataset_key=key, file_name=name,
                                   data=csv_bytes(ws365.DATASETS[key], rows))


def test_people_then_follow_ups_are_stored_and_idempotent(record_sources, people):
    actor = record_sources.a1_user
    first = upload(actor, "personal_basic", people)
    first.refresh_from_db()
    assert (first.status, first.total, first.rejected) == ("done", 6, 0)
    assert Resource.objects.filter(type="Patient", source=record_sources.a1).count() == 6
    visits = ws365.sample_rows(ws365.DATASETS["hypertension_followup"], 10, random.Random(8), patients=people)
    follow = upload(actor, "hypertension_followup", visits)
    follow.refresh_from_db()
    assert follow.status == "done" and follow.rejected == 0 and follow.created > 10
    versions = ResourceVersion.objects.count()
    again = upload(actor, "hypertension_followup", visits)
    assert again.pk == follow.pk  # the same file is the same batch
    renamed = upload(actor, "hypertension_followup", visits, name="again.csv")
    assert renamed.pk == follow.pk
    assert ResourceVersion.objects.count() == versions


def test_bad_rows_are_rejected_with_reasons_and_the_rest_go_in(record_sources, people):
    bad = dict(people[1], **{"出生日期": "2023-02-30"})
    result = upload(record_sources.a1_user, "personal_basic", [people[0], bad, people[2]])
    result.refresh_from_db()
    assert (result.total, result.rejected) == (3, 1)
    [issue] = UploadIssue.objects.filter(upload=result)
    assert issue.entry == 3 and "出生日期" in issue.message
    assert Resource.objects.filter(type="Patient").count() == 2


def test_follow_ups_of_unknown_residents_are_rejected(record_sources, people):
    visits = ws365.sample_rows(ws365.DATASETS["diabetes_followup"], 3, random.Random(9), patients=people)
    result = upload(record_sources.a1_user, "diabetes_followup", visits)
    result.refresh_from_db()
    assert result.rejected == 3
    assert all("个人基本信息表" in m for m in UploadIssue.objects.values_list("message", flat=True))


def test_wrong_headers_are_refused_before_anything_is_kept(record_sources, people):
    data = csv_bytes(ws365.DATASETS["personal_basic"], people).replace("个人档案编号".encode(), "编号".encode(), 1)
    with pytest.raises(BusinessError) as refused:
        datasets.dataset_upload(actor=record_sources.a1_user, dataset_key="personal_basic", file_name="x.csv",
                                data=data)
    assert "表头与模板不符" in refused.value.message
    assert not Upload.objects.exists()


def test_an_interrupted_job_resumes_after_its_last_committed_chunk(record_sources, people, monkeypatch):
    monkeypatch.setattr(datasets, "enqueue_on_commit", lambda *args, **kwargs: None)  # run it by hand
    result = upload(record_sources.a1_user, "personal_basic", people)
    real_write = datasets._write_chunk
    calls = []

    def crash_on_second_chunk(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("worker killed")
        return real_write(*args, **kwargs)

    monkeypatch.setattr(datasets, "_write_chunk", crash_on_second_chunk)
    with pytest.raises(RuntimeError):
        datasets.dataset_import_run(result.pk, chunk=2)
    result.refresh_from_db()
    assert result.position == 2 and Resource.objects.filter(type="Patient").count() == 2
    monkeypatch.setattr(datasets, "_write_chunk", real_write)
    done = datasets.dataset_import_run(result.pk, chunk=2)
    assert (done.status, done.position, done.total) == ("done", 6, 6)
    assert Resource.objects.filter(type="Patient").count() == 6
    assert ResourceVersion.objects.count() == Resource.objects.count()


def test_rest_upload_with_the_sources_token_and_template_download(record_sources, people):
    client = APIClient()
    _token, raw = api_token_issue(user=record_sources.a1_user, name="district platform")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    template = client.get("/api/v1/records/datasets/personal_basic/template.xlsx")
    assert template.status_code == 200 and template.content[:2] == b"PK"
    data = io.BytesIO(csv_bytes(ws365.DATASETS["personal_basic"], people))
    data.name = "people.csv"
    response = client.post("/api/v1/records/datasets/personal_basic/uploads/", {"file": data}, format="multipart")
    assert response.status_code == 202, response.content
    detail = client.get(f"/api/v1/records/uploads/{response.json()['id']}/").json()
    assert (detail["status"], detail["total"], detail["issues"]) == ("done", 6, [])
    refused = client.post("/api/v1/records/datasets/nope/uploads/", {"file": data}, format="multipart")
    assert refused.status_code == 400 and refused.json()["code"] == "dataset_unknown"
