"""FHIR operations of the MPI: Patient/$match, the PIXm query and $everything across linked sources."""

import pytest

from tests.mpi.test_matching import ID_NUMBER, identity, patient, upload
from tests.records.test_fhir_api import api
from weijian.audit.actions import AuditAction
from weijian.audit.models import AuditEvent
from weijian.records.identity import CITIZEN_ID_SYSTEM, patient_system

FHIR = "application/fhir+json"


@pytest.fixture
def linked(record_sources):
    """One resident sent by two hospitals (linked automatically), a stranger by one."""
    a1, b1 = record_sources.a1, record_sources.b1
    upload(a1, patient(a1, "A-1"))
    upload(b1, patient(b1, "B-7", name="王建国", phone=""))
    return record_sources


def test_match_returns_the_person_with_grade_and_links(linked, world):
    client = api(linked.a1_user)
    query = {"resourceType": "Parameters", "parameter": [
        {"name": "resource", "resource": patient(linked.a1, "X", phone="", address="")},
        {"name": "onlyCertainMatches", "valueBoolean": True}]}
    body = client.post("/fhir/Patient/$match", data=query, format="json").json()
    assert body["resourceType"] == "Bundle" and body["total"] == 1
    entry = body["entry"][0]
    person = identity(linked.a1, "A-1").person
    assert entry["resource"]["id"] == person.empi
    assert entry["search"]["extension"][0]["valueCode"] == "certain" and entry["search"]["score"] > 0.99
    links = {link["other"]["reference"] for link in entry["resource"]["link"]}
    assert links == {f"Patient/{identity(linked.a1, 'A-1').patient_fhir_id}",
                     f"Patient/{identity(linked.b1, 'B-7').patient_fhir_id}"}
    assert ID_NUMBER not in str(body)  # no ID number in the answer
    assert AuditEvent.objects.filter(action=AuditAction.MPI_READ, summary__contains="$match").exists()
    stranger = {"resourceType": "Patient", "name": [{"text": "欧阳娜娜"}], "birthDate": "2001-02-03"}
    assert client.post("/fhir/Patient/$match", data=stranger, format="json").json()["total"] == 0
    refused = client.post("/fhir/Patient/$match", data={"resourceType": "Parameters"}, format="json")
    assert refused.status_code == 400 and "resource" in refused.json()["issue"][0]["diagnostics"]


def test_pix_cross_references_a_local_id_to_the_others(linked):
    client = api(linked.b1_user)
    response = client.get("/fhir/Patient/$ihe-pix",
                          {"sourceIdentifier": f"{patient_system(linked.a1.code)}|A-1"})
    params = response.json()["parameter"]
    identifiers = {(p["valueIdentifier"]["system"], p["valueIdentifier"]["value"]) for p in params
                   if p["name"] == "targetIdentifier"}
    assert (patient_system(linked.b1.code), "B-7") in identifiers
    assert (patient_system(linked.a1.code), "A-1") not in identifiers  # not the one asked about
    assert sum(p["name"] == "targetId" for p in params) == 2
    by_id = client.get("/fhir/Patient/$ihe-pix", {"sourceIdentifier": f"{CITIZEN_ID_SYSTEM}|{ID_NUMBER}",
                                                  "targetSystem": patient_system(linked.b1.code)}).json()
    assert [p["valueIdentifier"]["value"] for p in by_id["parameter"] if p["name"] == "targetIdentifier"] == ["B-7"]
    missing = client.get("/fhir/Patient/$ihe-pix", {"sourceIdentifier": f"{patient_system(linked.a1.code)}|NONE"})
    assert missing.status_code == 404
    bad = client.get("/fhir/Patient/$ihe-pix", {"sourceIdentifier": "http://elsewhere|1"})
    assert bad.status_code == 400


def test_everything_spans_every_source_of_the_person(linked, world):
    a1, b1 = linked.a1, linked.b1
    b_patient = identity(b1, "B-7").patient_fhir_id
    encounter = {"resourceType": "Encounter", "status": "finished",
                 "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
                 "subject": {"reference": f"Patient/{b_patient}"}, "period": {"start": "2026-01-05"}}
    bundle = {"resourceType": "Bundle", "type": "batch",
              "entry": [{"resource": encounter, "request": {"method": "POST", "url": "Encounter"}}]}
    from weijian.records import services as record_services

    record_services.bundle_submit(actor=b1.account, bundle=bundle)
    client = api(world.user("commission_info"))
    from weijian.records.services import clinical_grant_create

    clinical_grant_create(actor=world.user("security_admin"), user=world.user("commission_info"),
                          reason="核对主索引跨机构档案合并效果", days=1)
    a_patient = identity(a1, "A-1").patient_fhir_id
    body = client.get(f"/fhir/Patient/{a_patient}/$everything").json()
    references = {(e["resource"]["resourceType"], e["resource"]["id"]) for e in body["entry"]}
    assert ("Patient", a_patient) in references and ("Patient", b_patient) in references
    assert any(kind == "Encounter" for kind, _id in references)
