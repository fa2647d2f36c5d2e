"""The demo city's health records (a small city, 300 residents): written through the three pipelines of
the record store, spread over several institutions, idempotent, and readable by the demo health worker."""

import datetime as dt

import orjson
import pytest
from django.db.models import Count

from weijian.accounts.models import User
from weijian.audit.actions import AuditAction
from weijian.audit.models import AuditEvent
from weijian.demo import generate_city
from weijian.demo.records import generate_records
from weijian.records import store
from weijian.records.identity import CITIZEN_ID_SYSTEM
from weijian.records.models import (
    Resource,
    ResourceVersion,
    Source,
    SourceKind,
    TokenIndex,
    Upload,
    UploadIssue,
    UploadKind,
    UploadStatus,
)
from weijian.records.timeline import patient_timeline
from weijian.workforce.idnumber import parse_id_number

# 120 institutions: every district has its 人民医院 and CDC (the district platform), and the city hospital.
SMALL = dict(workers=300, institutions=120, residents=300)
DISTRICT_CODES = {"510104", "510105", "510106", "510107", "510108", "510112", "510113", "510114", "510115",
                  "510116", "510117", "510118", "510121", "510129", "510131", "510181", "510182", "510183",
                  "510184", "510185"}


@pytest.fixture
def city(db):
    return generate_city(**SMALL)


def test_records_come_through_the_three_pipelines(city):
    records = city.records
    assert records is not None and not records.skipped and records.residents == 300
    assert city.timings["records"] >= 0 and records.timings["ws365"] > 0
    kinds = set(Source.objects.values_list("kind", flat=True))
    assert {SourceKind.HOSPITAL, SourceKind.DISTRICT_PLATFORM} <= kinds
    assert Source.objects.filter(kind=SourceKind.HOSPITAL).count() == 21  # 20 district 人民医院 + the city hospital

    uploads = Upload.objects.all()
    assert set(uploads.values_list("kind", flat=True)) == {UploadKind.WS365, UploadKind.TRANSACTION,
                                                           UploadKind.NDJSON}
    assert set(uploads.values_list("status", flat=True)) == {UploadStatus.DONE}
    assert sum(uploads.values_list("rejected", flat=True)) == 0 and not UploadIssue.objects.exists()
    datasets = set(uploads.filter(kind=UploadKind.WS365).values_list("dataset", flat=True))
    assert {"personal_basic", "health_checkup", "hypertension_followup", "diabetes_followup", "immunization",
            "outpatient_summary"} <= datasets
    assert uploads.get(kind=UploadKind.NDJSON).source.institution.name == "蓉城第一中心医院"
    # Each upload is audited under the source's machine account.
    assert AuditEvent.objects.filter(action=AuditAction.RECORD_UPLOAD, actor__role="data_source").count() >= \
        uploads.count()

    # Histories: ~20 resources a resident, of every kind the timeline shows.
    resources = Resource.objects.exclude(type="Organization")
    assert 12 * 300 < resources.count() < 40 * 300
    assert {"Patient", "Encounter", "Condition", "Observation", "MedicationRequest", "Immunization",
            "DiagnosticReport", "ImagingStudy", "DocumentReference", "Procedure"} <= set(
        resources.values_list("type", flat=True))
    years = {orjson.loads(content)["period"]["start"][:4]
             for content in Resource.objects.filter(type="Encounter").values_list("content", flat=True)}
    assert len(years) >= 3  # multi-year histories


def test_residents_have_valid_ids_and_records_at_two_institutions(city):
    for content in Resource.objects.filter(type="Patient").values_list("content", flat=True)[:40]:
        patient = orjson.loads(store.reveal(content))
        number = next(i["value"] for i in patient["identifier"] if i["system"] == CITIZEN_ID_SYSTEM)
        parsed = parse_id_number(number)
        assert number[:6] in DISTRICT_CODES and parsed.birth_date.isoformat() == patient["birthDate"]
        assert {"M": "male", "F": "female"}[parsed.sex] == patient["gender"]
    # The same citizen ID number (its blind index) at two or more sources: the MPI links these.
    shared = (TokenIndex.objects.filter(type="Patient", param="identifier", system=CITIZEN_ID_SYSTEM)
              .values("code").annotate(sources=Count("resource__source", distinct=True))
              .filter(sources__gte=2))
    assert shared.count() >= 40
    assert city.records.at_two_or_more >= 60


def test_the_demo_health_worker_reads_the_showcase_timeline(city):
    records = city.records
    worker = User.objects.get(username="worker_jinjiang")
    timeline = patient_timeline(worker, records.showcase_patient)
    hospital = worker.worker.institution.name
    assert timeline.header.name == records.showcase
    assert timeline.header.institutions == sorted([hospital, "蓉城第一中心医院"]) == records.showcase_institutions
    assert {e.institution for e in timeline.encounters} == {hospital, "蓉城第一中心医院"}
    assert len(timeline.encounters) >= 8 and timeline.imaging and timeline.documents and timeline.header.allergies
    labels = {group.label for group in timeline.observations}
    assert {"血压", "糖化血红蛋白", "空腹血糖"} <= labels
    assert AuditEvent.objects.filter(action=AuditAction.RECORD_READ, actor=worker,
                                     entity_id=records.showcase_patient).exists()


def test_running_again_changes_nothing(city):
    counts = (ResourceVersion.objects.count(), Upload.objects.count(), AuditEvent.objects.count())
    again = generate_city(**SMALL)
    assert again.records.skipped and again.records.showcase == city.records.showcase
    assert (ResourceVersion.objects.count(), Upload.objects.count(), AuditEvent.objects.count()) == counts

    # Through the pipelines again (no skip): the same files are the same batches, Bundles change nothing.
    files = set(Upload.objects.exclude(kind=UploadKind.TRANSACTION).values_list("pk", flat=True))
    info = User.objects.get(username="commission_info")
    forced = generate_records(actor=info, seed=2026, today=dt.date.today(), residents=300, say=lambda m: None,
                              force=True)
    assert ResourceVersion.objects.count() == counts[0]
    assert set(Upload.objects.exclude(kind=UploadKind.TRANSACTION).values_list("pk", flat=True)) == files
    assert set(forced.uploads) == {UploadKind.TRANSACTION}
    assert forced.resources["created"] == forced.resources["updated"] == forced.resources["rejected"] == 0
    assert forced.resources["unchanged"] > 0
