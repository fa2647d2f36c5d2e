"""Bulk NDJSON ingest: checks at upload, per-line rejects with Chinese reasons, what lands in the store,
idempotent batches, versions, the source's allowed types, resuming, and the checker processes."""

import io

import orjson
import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.core.management.base import CommandError

from weijian.audit.models import AuditEvent
from weijian.core.errors import BusinessError
from weijian.records import bulk, codes
from weijian.records.errors import RecordsErrorCode as E
from weijian.records.models import (
    ReferenceIndex,
    Resource,
    ResourceVersion,
    TokenIndex,
    Upload,
    UploadIssue,
    UploadKind,
    UploadStatus,
)
from weijian.records.searchparams import SUPPORTED_TYPES

MARITAL = "http://weijian.local/fhir/CodeSystem/gb-t-2261-2"
CITIZEN_ID = "urn:oid:2.16.156.10011.1.3"


@pytest.fixture(autouse=True)
def fresh_catalogue():
    codes.reset()
    yield
    codes.reset()


def ndjson(*resources) -> bytes:
    return b"".join((r if isinstance(r, bytes) else orjson.dumps(r)) + b"\n" for r in resources)


def patient(pid: str, **extra) -> dict:
    return {"resourceType": "Patient", "id": pid, "gender": "female", "birthDate": "1978-04-12",
            "name": [{"family": "李", "given": ["秀英"]}], **extra}


def observation(oid: str, patient_id: str, encounter_id: str | None = None, value: int = 72) -> dict:
    resource = {"resourceType": "Observation", "id": oid, "status": "final",
                "code": {"coding": [{"system": "http://loinc.org", "code": "8867-4"}]},
                "subject": {"reference": f"Patient/{patient_id}"},
                "effectiveDateTime": "2024-03-01T10:00:00+08:00",
                "valueQuantity": {"value": value, "unit": "/min"}}
    if encounter_id:
        resource["encounter"] = {"reference": f"Encounter/{encounter_id}"}
    return resource


def encounter(eid: str, patient_id: str) -> dict:
    return {"resourceType": "Encounter", "id": eid, "status": "finished",
            "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
            "subject": {"reference": f"Patient/{patient_id}"},
            "period": {"start": "2024-03-01T09:30:00+08:00", "end": "2024-03-01T10:30:00+08:00"}}


# Line numbers matter below: the file is written in an order the job does not follow (Observation first).
MIXED = [
    observation("obs-1", "p1", "enc-1"),                                                # 1 ok
    b'{"resourceType": "Patient", "id": "p-broken",',                                   # 2 malformed JSON
    patient("p1", identifier=[{"system": CITIZEN_ID, "value": "11010519491231002X"}],
            maritalStatus={"coding": [{"system": MARITAL, "code": "20"}]}),             # 3 ok
    {"resourceType": "Spaceship", "id": "x1"},                                          # 4 unknown type
    patient("p2", birthDate="1978-13-45"),                                              # 5 invalid date
    encounter("enc-1", "p1"),                                                           # 6 ok
    encounter("enc-2", "nobody"),                                                       # 7 missing reference
    patient("p3", maritalStatus={"coding": [{"system": MARITAL, "code": "99"}]}),       # 8 unknown code
    observation("obs-2", "p2"),                                                         # 9 refers to rejected p2
    {"resourceType": "Patient", "gender": "male"},                                      # 10 no id
    {"resourceType": "Organization", "id": "org-1", "name": "锦江区人民医院"},          # 11 ok
]


def _upload(actor, data: bytes, name="data.ndjson", **kwargs) -> Upload:
    upload = bulk.bulk_upload(actor=actor, files=[(name, data)], background=False, **kwargs)
    return bulk.ndjson_import_run(upload_id=upload.pk, workers=kwargs.pop("workers", 0))


def _rejects(upload) -> dict[int, dict]:
    return {item["line"]: item for item in map(orjson.loads, bulk.rejects_ndjson(upload).splitlines())}


def test_valid_and_invalid_lines(record_sources):
    actor = record_sources.a1_user
    upload = _upload(actor, ndjson(*MIXED))
    assert upload.kind == UploadKind.NDJSON and upload.status == UploadStatus.DONE
    assert (upload.total, upload.position) == (11, 11)
    assert (upload.created, upload.updated, upload.unchanged, upload.rejected) == (4, 0, 0, 7)

    rejects = _rejects(upload)
    assert sorted(rejects) == [2, 4, 5, 7, 8, 9, 10]
    assert rejects[2]["reasons"][0].startswith("该行不是合法的 JSON")
    assert rejects[4] == {"line": 4, "file": "data.ndjson", "resourceType": "Spaceship", "id": "x1",
                          "reasons": ["resourceType：不支持的资源类型：Spaceship"]}
    assert rejects[5]["id"] == "p2" and rejects[5]["reasons"][0].startswith("birthDate：")
    assert "不正确" in rejects[5]["reasons"][0] or "不合法" in rejects[5]["reasons"][0]
    assert rejects[7]["reasons"] == ["引用的资源 Patient/nobody 不存在"]
    assert rejects[8]["reasons"] == [f"maritalStatus.coding[0]：代码“99”不在代码系统 {MARITAL} 中"]
    assert rejects[9]["reasons"] == ["引用的资源 Patient/p2 不存在"]
    assert rejects[10]["reasons"] == ["批量导入的资源必须带有 id（按 PUT 语义写入）"]
    assert UploadIssue.objects.filter(upload=upload, severity="error").values("entry").distinct().count() == 7

    stored = dict(Resource.objects.filter(source=record_sources.a1).values_list("type", "fhir_id")
                  .order_by().values_list("fhir_id", "type"))
    assert stored == {"obs-1": "Observation", "p1": "Patient", "enc-1": "Encounter", "org-1": "Organization"}
    p1 = Resource.objects.get(type="Patient", fhir_id="p1")
    assert "11010519491231002X" not in p1.content  # the citizen ID number is stored encrypted
    assert p1.institution_id == record_sources.a1.institution_id
    assert TokenIndex.objects.filter(resource_id=p1.pk, param="gender", code="female").exists()
    obs = Resource.objects.get(type="Observation", fhir_id="obs-1")
    assert obs.patient == "p1"
    assert ReferenceIndex.objects.filter(resource_id=obs.pk, param="encounter", target_id="enc-1").exists()
    assert set(ResourceVersion.objects.filter(upload_id=upload.pk).values_list("resource_id", flat=True)) == \
        set(Resource.objects.filter(source=record_sources.a1).values_list("pk", flat=True))
    audits = AuditEvent.objects.filter(action="record-upload", entity="Upload", entity_id=str(upload.pk))
    assert audits.count() == 2  # the upload, the job's completion
    assert bulk.upload_progress(upload.pk) == {"phase": "done", "done": 11, "total": 11}


def test_same_files_again_give_the_same_upload(record_sources, django_capture_on_commit_callbacks):
    actor = record_sources.a1_user
    data = ndjson(*MIXED)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        first = bulk.bulk_upload(actor=actor, files=[("data.ndjson", data)])
    # the job (run at once by the tests' immediate backend), then the after-upload hook it registers
    assert len(callbacks) == 2
    first.refresh_from_db()
    assert first.status == UploadStatus.DONE and first.created == 4
    rows = (Upload.objects.count(), Resource.objects.count(), ResourceVersion.objects.count(),
            UploadIssue.objects.count())
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        again = bulk.bulk_upload(actor=actor, files=[("renamed.ndjson", io.BytesIO(data))])
    assert again.pk == first.pk and not callbacks  # no second job
    assert rows == (Upload.objects.count(), Resource.objects.count(), ResourceVersion.objects.count(),
                    UploadIssue.objects.count())
    # Run the job once more anyway: a done upload is left alone.
    assert bulk.ndjson_import_run(upload_id=first.pk).created == 4
    assert ResourceVersion.objects.count() == rows[2]


def test_changed_content_makes_one_new_version(record_sources):
    actor = record_sources.a1_user
    resources = [patient(f"p{i}") for i in range(5)] + [observation(f"o{i}", f"p{i}") for i in range(5)]
    first = _upload(actor, ndjson(*resources))
    assert (first.created, first.updated, first.unchanged, first.rejected) == (10, 0, 0, 0)
    versions = ResourceVersion.objects.count()
    resources[7] = observation("o2", "p2", value=88)
    second = _upload(actor, ndjson(*resources))
    assert second.pk != first.pk
    assert (second.created, second.updated, second.unchanged, second.rejected) == (0, 1, 9, 0)
    assert ResourceVersion.objects.count() == versions + 1
    row = Resource.objects.get(type="Observation", fhir_id="o2")
    assert row.version == 2 and '"value":88' in row.content


def test_type_not_allowed_for_the_source(record_sources):
    source = record_sources.a1
    source.allowed_types = ["Patient"]
    source.save(update_fields=["allowed_types"])
    upload = _upload(record_sources.a1_user, ndjson(patient("p1"), observation("o1", "p1"), encounter("e1", "p1")))
    assert (upload.created, upload.rejected) == (1, 2)
    rejects = _rejects(upload)
    assert rejects[2]["reasons"] == [f"{E.SOURCE_TYPE_NOT_ALLOWED.message}：Observation"]
    assert rejects[3]["reasons"] == [f"{E.SOURCE_TYPE_NOT_ALLOWED.message}：Encounter"]
    assert not Resource.objects.filter(type__in=["Observation", "Encounter"]).exists()


def test_ids_of_another_source_are_refused(record_sources):
    _upload(record_sources.a1_user, ndjson(patient("p1"), patient("p2")))
    upload = _upload(record_sources.b1_user, ndjson(patient("p1"), patient("p9")))
    assert (upload.created, upload.rejected) == (1, 1)
    assert _rejects(upload)[1]["reasons"] == [str(E.ID_OWNED_BY_OTHER_SOURCE.message)]
    assert Resource.objects.get(type="Patient", fhir_id="p1").source_id == record_sources.a1.pk


@pytest.mark.parametrize(("data", "reason"), [
    (b"", "文件中没有资源"),
    (b"\n  \n", "文件中没有资源"),
    (b'{"resourceType": "Patient", "id": "p1", "name": [{"text": "\xff\xfe"}]}\n', "不是 UTF-8 编码"),
])
def test_files_refused_at_upload(record_sources, data, reason):
    with pytest.raises(BusinessError) as caught:
        bulk.bulk_upload(actor=record_sources.a1_user, files=[("x.ndjson", data)], background=False)
    assert caught.value.code == E.UPLOAD_FILE_INVALID and reason in caught.value.message
    assert not Upload.objects.exists()


def test_size_cap(record_sources, settings):
    settings.RECORDS_BULK_MAX_BYTES = 1000
    with pytest.raises(BusinessError) as caught:
        bulk.bulk_upload(actor=record_sources.a1_user, files=[("x.ndjson", ndjson(*MIXED))], background=False)
    assert "文件过大" in caught.value.message
    assert not Upload.objects.exists()


def test_only_data_sources_upload(world):
    with pytest.raises(PermissionDenied):
        bulk.bulk_upload(actor=world.user("commission_info"), files=[("x.ndjson", ndjson(patient("p1")))])
    assert not Upload.objects.exists()


def test_several_files_number_lines_through(record_sources):
    upload = bulk.bulk_upload(actor=record_sources.a1_user, background=False, files=[
        ("a.ndjson", ndjson(patient("p1"), {"resourceType": "Patient"})),
        ("b.ndjson", b"\xef\xbb\xbf" + ndjson(observation("o1", "p1"), observation("o2", "ghost")))])
    assert upload.file_name == "a.ndjson、b.ndjson" and upload.total == 4
    upload = bulk.ndjson_import_run(upload_id=upload.pk, workers=0)
    assert (upload.created, upload.rejected) == (2, 2)
    assert sorted(UploadIssue.objects.filter(upload=upload).values_list("entry", flat=True)) == [2, 4]
    lines = [orjson.loads(line) for line in bulk.rejects_ndjson(upload).splitlines()]
    assert [(item["file"], item["line"]) for item in lines] == [("a.ndjson", 2), ("b.ndjson", 2)]


def test_forked_checkers_and_small_chunks(record_sources):
    """Many chunks checked by two forked checker processes give the same result as checking in-process."""
    resources = [patient(f"p{i}") for i in range(30)]
    resources += [encounter(f"e{i}", f"p{i}") for i in range(30)]
    resources += [observation(f"o{i}", f"p{i}", f"e{i}") for i in range(30)]
    resources += [patient("bad", birthDate="nope"), observation("o-bad", "bad")]
    upload = bulk.bulk_upload(actor=record_sources.a1_user, files=[("x.ndjson", ndjson(*resources))],
                              background=False, chunk_size=7)
    upload = bulk.ndjson_import_run(upload_id=upload.pk, workers=2)
    assert (upload.status, upload.created, upload.rejected, upload.position) == ("done", 90, 2, 92)
    assert ResourceVersion.objects.filter(upload_id=upload.pk).count() == 90
    assert sorted(_rejects(upload)) == [91, 92]


def test_interrupted_job_resumes_where_it_stopped(record_sources, monkeypatch):
    resources = [patient(f"p{i}") for i in range(10)] + [observation(f"o{i}", f"p{i}") for i in range(10)]
    upload = bulk.bulk_upload(actor=record_sources.a1_user, files=[("x.ndjson", ndjson(*resources))],
                              background=False, chunk_size=4)
    real, calls = bulk.store.apply_changes, []

    def failing(changes, **kwargs):
        calls.append(len(changes))
        if len(calls) == 3:
            raise RuntimeError("the machine went away")
        return real(changes, **kwargs)

    monkeypatch.setattr(bulk.store, "apply_changes", failing)
    upload = bulk.ndjson_import_run(upload_id=upload.pk, workers=0)
    assert upload.status == UploadStatus.FAILED and upload.position == 8 and upload.created == 8
    assert "内部错误" in upload.error
    monkeypatch.setattr(bulk.store, "apply_changes", real)
    upload = bulk.ndjson_import_run(upload_id=upload.pk, workers=0)
    assert (upload.status, upload.position, upload.created, upload.rejected) == ("done", 20, 20, 0)
    assert ResourceVersion.objects.filter(upload_id=upload.pk).count() == 20


def test_a_second_runner_stops_at_a_claimed_chunk(record_sources):
    upload = bulk.bulk_upload(actor=record_sources.a1_user, files=[("x.ndjson", ndjson(patient("p1")))],
                              background=False)
    Upload.objects.filter(pk=upload.pk).update(status=UploadStatus.RUNNING)
    manifest = bulk._manifest(upload)
    with pytest.raises(bulk._Superseded):
        bulk._commit_chunk(upload, upload.source, [], begin=5, end=6, written=set())  # not where it stands
    assert manifest["total"] == 1 and not Resource.objects.filter(source=upload.source).exists()


def test_type_order_covers_every_supported_type():
    assert set(bulk.TYPE_ORDER) == set(SUPPORTED_TYPES)


def test_command_uploads_runs_and_reports(record_sources, tmp_path):
    path = tmp_path / "records.ndjson"
    path.write_bytes(ndjson(*MIXED))
    out = io.StringIO()
    with pytest.raises(CommandError):  # no file and no --resume
        call_command("records_import", "--as-user", record_sources.a1_user.username, stdout=out)
    call_command("records_import", "--as-user", record_sources.a1_user.username, str(path), "--workers", "0",
                 "--rejects", str(tmp_path / "rejects.ndjson"), stdout=out)
    text = out.getvalue()
    assert "新增 4" in text and "拒收 7" in text and "records.ndjson 第 7 行 Encounter/enc-2：引用的资源 Patient/nobody 不存在" in text
    assert len((tmp_path / "rejects.ndjson").read_bytes().splitlines()) == 7
    upload = Upload.objects.get()
    out = io.StringIO()
    call_command("records_import", "--as-user", record_sources.a1_user.username, "--resume", str(upload.pk),
                 stdout=out)
    assert "已完成导入" in out.getvalue()
    with pytest.raises(CommandError):  # another source's upload
        call_command("records_import", "--as-user", record_sources.b1_user.username, "--resume", str(upload.pk))
