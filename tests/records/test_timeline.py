"""The resident timeline and resident search (records.timeline): grouping, filters, the gate and the audit.

The record is written through the real upload service by two sources: 刘晓梅 is registered by 锦江区人民医院
(inst_a1), seen there as an outpatient, and admitted to 青羊区人民医院 (inst_b1), whose source sends that stay
with a reference to her Patient. 赵国强 was only ever treated at 青羊区人民医院.
"""

import datetime as dt
from dataclasses import dataclass

import pytest
from django.core.exceptions import PermissionDenied

from weijian.accounts import services as account_services
from weijian.accounts.roles import Role
from weijian.audit.actions import AuditAction
from weijian.audit.models import AuditEvent
from weijian.core.errors import NotFoundOrForbidden
from weijian.records import services, timeline
from weijian.records.identity import CITIZEN_ID_SYSTEM, patient_system
from weijian.workforce.idnumber import check_digit

pytestmark = pytest.mark.django_db

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
ACT = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
ENCOUNTER_TYPE = "http://weijian.local/fhir/CodeSystem/wj-encounter-type"
VACCINE = "http://weijian.local/fhir/CodeSystem/wj-vaccine"
ICD10 = "http://weijian.local/fhir/CodeSystem/icd-10"
LIU, ZHAO = "resident-liu", "resident-zhao"
LIU_ID = "51010419680412002" + check_digit("51010419680412002")
ZHAO_ID = "51010519550903001" + check_digit("51010519550903001")


@dataclass
class Residents:
    sources: object
    liu: str = LIU
    zhao: str = ZHAO
    liu_id_number: str = LIU_ID
    zhao_id_number: str = ZHAO_ID


def _put(resource: dict) -> dict:
    return {"resource": resource, "request": {"method": "PUT", "url": f"{resource['resourceType']}/{resource['id']}"}}


def _bundle(*resources) -> dict:
    return {"resourceType": "Bundle", "type": "transaction", "entry": [_put(r) for r in resources]}


def _patient(pid, name, family, given, gender, birth, id_number, source, local):
    return {"resourceType": "Patient", "id": pid, "gender": gender, "birthDate": birth,
            "name": [{"use": "official", "text": name, "family": family, "given": [given]}],
            "identifier": [{"system": patient_system(source.code), "value": local},
                           {"system": CITIZEN_ID_SYSTEM, "value": id_number}],
            "telecom": [{"system": "phone", "value": "13800000000"}]}


def _encounter(eid, pid, klass, kind, start, end=None, diagnoses=()):
    period = {"start": start, **({"end": end} if end else {})}
    return {"resourceType": "Encounter", "id": eid, "status": "finished",
            "class": {"system": ACT, "code": klass},
            "type": [{"coding": [{"system": ENCOUNTER_TYPE, "code": kind}]}],
            "subject": {"reference": f"Patient/{pid}"}, "period": period,
            "diagnosis": [{"condition": {"reference": f"Condition/{c}"}, "rank": n} for n, c in enumerate(diagnoses, 1)]}


def _condition(cid, pid, eid, code, text, recorded):
    condition = {"resourceType": "Condition", "id": cid, "code": {"coding": [{"system": ICD10, "code": code}],
                                                                  "text": text},
                 "subject": {"reference": f"Patient/{pid}"}, "recordedDate": recorded}
    if eid:
        condition["encounter"] = {"reference": f"Encounter/{eid}"}
    return condition


def _glucose(oid, pid, eid, when, value):
    return {"resourceType": "Observation", "id": oid, "status": "final",
            "code": {"coding": [{"system": LOINC, "code": "14771-0"}], "text": "空腹血糖"},
            "subject": {"reference": f"Patient/{pid}"}, "encounter": {"reference": f"Encounter/{eid}"},
            "effectiveDateTime": when,
            "valueQuantity": {"value": value, "unit": "mmol/L", "system": UCUM, "code": "mmol/L"}}


def _pressure(oid, pid, eid, when, systolic, diastolic):
    def part(code, text, value):
        return {"code": {"coding": [{"system": LOINC, "code": code}], "text": text},
                "valueQuantity": {"value": value, "unit": "mmHg", "system": UCUM, "code": "mm[Hg]"}}

    return {"resourceType": "Observation", "id": oid, "status": "final",
            "code": {"coding": [{"system": LOINC, "code": "85354-9"}], "text": "血压"},
            "subject": {"reference": f"Patient/{pid}"}, "encounter": {"reference": f"Encounter/{eid}"},
            "effectiveDateTime": when,
            "component": [part("8480-6", "收缩压", systolic), part("8462-4", "舒张压", diastolic)]}


def load_residents(record_sources) -> Residents:
    """Write both residents' records through `services.bundle_submit`, as each hospital's source would."""
    a1, b1 = record_sources.a1, record_sources.b1
    services.bundle_submit(actor=record_sources.a1_user, bundle=_bundle(
        _patient(LIU, "刘晓梅", "刘", "晓梅", "female", "1968-04-12", LIU_ID, a1, "A0001"),
        _encounter("liu-a-visit", LIU, "AMB", "outpatient", "2024-03-01T09:30:00+08:00", diagnoses=["liu-a-htn"]),
        _condition("liu-a-htn", LIU, None, "I10", "原发性高血压", "2024-03-01"),
        _glucose("liu-a-glu", LIU, "liu-a-visit", "2024-03-01T09:40:00+08:00", 7.2),
        _pressure("liu-a-bp", LIU, "liu-a-visit", "2024-03-01T09:35:00+08:00", 150, 95),
        {"resourceType": "MedicationRequest", "id": "liu-a-med", "status": "active", "intent": "order",
         "medicationCodeableConcept": {"text": "硝苯地平控释片"}, "subject": {"reference": f"Patient/{LIU}"},
         "encounter": {"reference": "Encounter/liu-a-visit"}, "authoredOn": "2024-03-01",
         "dosageInstruction": [{"text": "30mg 每日一次 口服"}]},
        {"resourceType": "Immunization", "id": "liu-a-flu", "status": "completed",
         "vaccineCode": {"coding": [{"system": VACCINE, "code": "Flu"}]}, "patient": {"reference": f"Patient/{LIU}"},
         "occurrenceDateTime": "2023-10-15", "lotNumber": "FLU2023A",
         "protocolApplied": [{"doseNumberPositiveInt": 1}]},
    ))
    services.bundle_submit(actor=record_sources.b1_user, bundle=_bundle(
        _encounter("liu-b-stay", LIU, "IMP", "inpatient", "2024-06-10T14:00:00+08:00", "2024-06-18T10:00:00+08:00",
                   diagnoses=["liu-b-dm"]),
        _condition("liu-b-dm", LIU, "liu-b-stay", "E11.9", "2型糖尿病", "2024-06-18"),
        _glucose("liu-b-glu", LIU, "liu-b-stay", "2024-06-11T07:00:00+08:00", 9.8),
        _pressure("liu-b-bp", LIU, "liu-b-stay", "2024-06-11T07:05:00+08:00", 140, 90),
        {"resourceType": "ImagingStudy", "id": "liu-b-ct", "status": "available",
         "subject": {"reference": f"Patient/{LIU}"}, "started": "2024-06-12T10:00:00+08:00",
         "description": "胸部CT平扫", "numberOfSeries": 3, "numberOfInstances": 240,
         "modality": [{"system": "http://dicom.nema.org/resources/ontology/DCM", "code": "CT"}]},
        {"resourceType": "DiagnosticReport", "id": "liu-b-ct-report", "status": "final",
         "code": {"text": "胸部CT检查报告"}, "subject": {"reference": f"Patient/{LIU}"},
         "encounter": {"reference": "Encounter/liu-b-stay"}, "effectiveDateTime": "2024-06-12",
         "conclusion": "双肺未见明显异常"},
        {"resourceType": "DocumentReference", "id": "liu-b-discharge", "status": "current",
         "type": {"text": "出院小结"}, "subject": {"reference": f"Patient/{LIU}"}, "date": "2024-06-18T11:00:00+08:00",
         "content": [{"attachment": {"contentType": "application/pdf", "title": "出院小结.pdf"}}]},
        {"resourceType": "CarePlan", "id": "liu-b-plan", "status": "active", "intent": "plan",
         "title": "糖尿病健康管理计划", "subject": {"reference": f"Patient/{LIU}"},
         "period": {"start": "2024-06-18"}},
    ))
    services.bundle_submit(actor=record_sources.b1_user, bundle=_bundle(
        _patient(ZHAO, "赵国强", "赵", "国强", "male", "1955-09-03", ZHAO_ID, b1, "B0042"),
        _encounter("zhao-b-visit", ZHAO, "AMB", "outpatient", "2024-05-05T10:00:00+08:00"),
    ))
    return Residents(record_sources)


@pytest.fixture
def residents(record_sources) -> Residents:
    return load_residents(record_sources)


def clinician_b1(world):
    """A clinician of 青羊区人民医院 (the base world has an account for the worker at inst_a1 only)."""
    return account_services.user_create(actor=None, bootstrap=True, username="worker_b1", password="Aa1!aaaaaaaa",
                                        role=Role.HEALTH_WORKER, worker=world.worker_b1)


def _reads(patient_id):
    return AuditEvent.objects.filter(action=AuditAction.RECORD_READ, entity="Patient", entity_id=patient_id)


def test_the_clinician_at_a1_sees_the_record_of_both_hospitals(world, residents):
    worker = world.user("worker_a1")
    record = timeline.patient_timeline(worker, LIU)

    header = record.header
    assert (header.name, header.gender, header.birth_date) == ("刘晓梅", "女", dt.date(1968, 4, 12))
    assert header.id_masked == LIU_ID[:4] + "*" * 10 + LIU_ID[-4:]
    assert [(i.value, i.label) for i in header.identifiers] == [("A0001", "锦江区人民医院")]
    assert header.institutions == sorted(["锦江区人民医院", "青羊区人民医院"])
    assert header.age == timeline._age(dt.date(1968, 4, 12), dt.date.today())

    stay, visit = record.encounters
    assert (stay.kind_label, stay.institution, stay.date_text, stay.end.text) == (
        "住院", "青羊区人民医院", "2024-06-10 14:00", "2024-06-18 10:00")
    assert (visit.kind_label, visit.institution, visit.date_text) == ("门诊", "锦江区人民医院", "2024-03-01 09:30")
    # The outpatient diagnosis is linked through Encounter.diagnosis, the inpatient one through Condition.encounter.
    assert [d.title for d in visit.diagnoses] == ["原发性高血压"]
    assert [d.title for d in stay.diagnoses] == ["2型糖尿病"]
    assert sorted(o.value for o in visit.observations) == ["150/95 mmHg", "7.2 mmol/L"]
    assert [o.title for o in visit.others] == ["硝苯地平控释片"]

    assert {c.title: c.institution for c in record.conditions} == {"原发性高血压": "锦江区人民医院",
                                                                  "2型糖尿病": "青羊区人民医院"}
    groups = {g.label: g for g in record.observations}
    glucose, pressure = groups["空腹血糖"], groups["血压"]
    assert glucose.points == [("2024-03-01 09:40", [7.2]), ("2024-06-11 07:00", [9.8])] and glucose.chart
    assert glucose.unit == "mmol/L" and glucose.latest.value == "9.8 mmol/L"
    assert pressure.lines == ["收缩压", "舒张压"]
    assert pressure.points == [("2024-03-01 09:35", [150.0, 95.0]), ("2024-06-11 07:05", [140.0, 90.0])]
    charts = record.chart_data()
    assert {c["label"] for c in charts} == {"空腹血糖", "血压"}
    assert [d["label"] for d in next(c for c in charts if c["label"] == "血压")["datasets"]] == ["收缩压", "舒张压"]

    assert [(m.title, m.detail) for m in record.medications] == [("硝苯地平控释片", "30mg 每日一次 口服")]
    flu = record.immunizations[0]
    assert (flu.title, flu.date_text, flu.institution) == ("流感疫苗", "2023-10-15", "锦江区人民医院")
    assert "第 1 剂" in flu.detail and "FLU2023A" in flu.detail
    assert [(i.kind, i.title) for i in record.imaging] == [("imaging", "胸部CT平扫"), ("report", "胸部CT检查报告")]
    assert record.imaging[0].detail == "CT；3 个序列，240 幅图像"
    assert [d.title for d in record.documents] == ["出院小结"]
    assert [p.title for p in record.care_plans] == ["糖尿病健康管理计划"]

    # The vertical timeline: newest first; what no encounter holds stands on its own.
    assert [(e.kind, e.title if e.kind != "encounter" else e.kind_label) for e in record.entries] == [
        ("document", "出院小结"), ("careplan", "糖尿病健康管理计划"), ("imaging", "胸部CT平扫"),
        ("encounter", "住院"), ("encounter", "门诊"), ("immunization", "流感疫苗")]
    assert [c.title for c in stay.children_of("report")] == ["胸部CT检查报告"]

    # One audit row, naming the resident and the page; the ID number is nowhere in the log.
    read = _reads(LIU).get()
    assert (read.actor_username, read.summary) == ("worker_a1", "居民健康档案时间轴：刘晓梅")
    assert not AuditEvent.objects.filter(summary__contains=LIU_ID).exists()


def test_filters_by_source_institution_and_by_date(world, residents):
    worker = world.user("worker_a1")
    only_b = timeline.patient_timeline(worker, LIU, institution_id=world.inst_b1.pk)
    assert only_b.filtered
    assert {i.institution for i in [*only_b.encounters, *only_b.conditions, *only_b.imaging]} == {"青羊区人民医院"}
    assert not only_b.immunizations and not only_b.medications
    assert {g.label for g in only_b.observations} == {"空腹血糖", "血压"}
    assert all(len(g.items) == 1 for g in only_b.observations)
    # The filter's choices stay every institution of the record.
    assert [name for _pk, name in only_b.institutions] == sorted(["锦江区人民医院", "青羊区人民医院"])

    june = timeline.patient_timeline(worker, LIU, date_from=dt.date(2024, 6, 1), date_to=dt.date(2024, 6, 30))
    assert [e.kind_label for e in june.encounters] == ["住院"]
    assert not june.immunizations and [c.title for c in june.conditions] == ["2型糖尿病"]
    spring = timeline.patient_timeline(worker, LIU, date_to=dt.date(2024, 5, 31))
    assert [e.kind_label for e in spring.encounters] == ["门诊"] and [i.title for i in spring.immunizations] == ["流感疫苗"]
    nothing = timeline.patient_timeline(worker, LIU, institution_id=world.inst_a2.pk)
    assert nothing.entries == [] and nothing.total == 0
    assert _reads(LIU).count() == 4  # one per reading


def test_reach_follows_the_clinicians_institution_and_emergency_access(world, residents):
    worker = world.user("worker_a1")
    with pytest.raises(NotFoundOrForbidden):
        timeline.patient_timeline(worker, ZHAO)  # never treated at inst_a1
    with pytest.raises(NotFoundOrForbidden):
        timeline.patient_timeline(worker, "no-such-resident")
    assert not _reads(ZHAO).exists()
    services.break_glass_open(actor=worker, patient_id=ZHAO, reason="急诊昏迷患者，需查阅既往病史")
    record = timeline.patient_timeline(worker, ZHAO)
    assert record.header.name == "赵国强" and [e.institution for e in record.encounters] == ["青羊区人民医院"]

    # The clinician at inst_b1 reads both: 刘晓梅 was admitted there too.
    other = clinician_b1(world)
    assert timeline.patient_timeline(other, LIU).header.name == "刘晓梅"


def test_the_information_centre_reads_only_under_a_grant(world, residents):
    info = world.user("commission_info")
    with pytest.raises(PermissionDenied):
        timeline.patient_timeline(info, LIU)
    with pytest.raises(PermissionDenied):
        timeline.resident_search(info, "刘")
    services.clinical_grant_create(actor=world.user("security_admin"), user=info,
                                   reason="配合区域传染病疫情调查核对病例资料", days=7)
    assert len(timeline.patient_timeline(info, LIU).encounters) == 2
    for key in ("district_a", "institution_a1", "audit_admin", "expert"):
        with pytest.raises(PermissionDenied):
            timeline.patient_timeline(world.user(key), LIU)


def test_a_data_source_reads_only_what_it_sent(world, residents):
    b1 = residents.sources.b1_user
    with pytest.raises(NotFoundOrForbidden):  # 刘晓梅's Patient was sent by inst_a1's source
        timeline.patient_timeline(b1, LIU)
    record = timeline.patient_timeline(b1, ZHAO)
    assert record.header.name == "赵国强"


def test_resident_search_by_name_local_number_and_id_number(world, residents):
    worker = world.user("worker_a1")
    by_name = timeline.resident_search(worker, "刘晓")
    assert [(r.patient_id, r.name, r.gender, r.birth_date) for r in by_name.residents] == [
        (LIU, "刘晓梅", "女", "1968-04-12")]
    assert by_name.residents[0].id_masked == LIU_ID[:4] + "*" * 10 + LIU_ID[-4:]
    assert by_name.residents[0].institutions == sorted(["锦江区人民医院", "青羊区人民医院"])
    assert [r.patient_id for r in timeline.resident_search(worker, "A0001").residents] == [LIU]
    assert [r.patient_id for r in timeline.resident_search(worker, LIU_ID.lower()).residents] == [LIU]
    assert timeline.resident_search(worker, "赵").residents == []  # out of reach: not listed
    assert timeline.resident_search(worker, "").by == ""

    # Searched by full ID number, an out-of-reach resident is offered for emergency access only.
    outside = timeline.resident_search(worker, ZHAO_ID)
    assert outside.residents == [] and outside.outside == [ZHAO]
    assert timeline.resident_search(worker, "1" * 18).outside == []

    searches = AuditEvent.objects.filter(action=AuditAction.RECORD_SEARCH, actor_username="worker_a1")
    assert searches.filter(entity="Patient", entity_id=LIU).count() == 3
    assert not searches.filter(summary__contains=LIU_ID).exists()
    assert not searches.filter(summary__contains=ZHAO_ID).exists()
    assert not searches.filter(summary__contains="刘晓").exists()  # criteria are named, never their values
    assert searches.filter(summary="居民检索（按身份证号）：0 人").count() == 2
