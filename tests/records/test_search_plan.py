"""The query plans of typical searches, on the engine the suite runs on (SQLite, or PostgreSQL with
WEIJIAN_DATABASE_URL=postgres://...): a resident's observations go through the compartment index and probe the
token and date tables by resource id; a type-wide identifier search starts from the token lookup index."""

import re

import pytest
from django.db import connection, transaction

from weijian.records import search, store
from weijian.records.models import Resource

PATIENTS, PER_PATIENT = 300, 12
LOINC = "http://loinc.org"
MRN = "http://hospital.example/mrn"
CODES = ("8480-6", "8462-4", "29463-7", "8867-4")


def _bulk_world():
    changes = []
    for n in range(PATIENTS):
        changes.append(store.Change("Patient", f"pt{n}", {
            "resourceType": "Patient", "gender": "male" if n % 2 else "female", "birthDate": f"19{40 + n % 60}-01-01",
            "name": [{"family": "王", "given": [f"患者{n}"]}], "identifier": [{"system": MRN, "value": f"M{n:05d}"}]}))
        for k in range(PER_PATIENT):
            changes.append(store.Change("Observation", f"ob{n}-{k}", {
                "resourceType": "Observation", "status": "final",
                "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                          "code": "vital-signs"}]}],
                "code": {"coding": [{"system": LOINC, "code": CODES[k % len(CODES)]}]},
                "subject": {"reference": f"Patient/pt{n}"},
                "effectiveDateTime": f"202{3 + k % 3}-{1 + k % 12:02d}-15T08:00:00+08:00"}))
    with transaction.atomic():
        store.apply_changes(changes)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def _plan(type_: str, params: list[tuple[str, str]]) -> tuple[str, search.SearchPage]:
    query = search.parse(type_, params)
    everything = Resource.objects.all()
    found = search.matches(query, everything)
    plan = search._ordered(query, found)[:query.count + 1].explain()
    return plan, search.run(query, everything, everything)


@pytest.fixture
def bulk(db):
    _bulk_world()


def test_compartment_search_uses_the_compartment_index_and_probes_by_resource_id(bulk):
    plan, page = _plan("Observation", [("subject", "Patient/pt7"), ("code", f"{LOINC}|8480-6"),
                                       ("date", "ge2024-01-01")])
    assert sorted(r.fhir_id for r in page.rows) == ["ob7-4", "ob7-8"]  # 8480-6 in 2024 and 2025; ob7-0 is 2023
    assert "records_res_compartment" in plan, plan
    # Probes by resource id: the (resource, param[, low]) indexes, or on PostgreSQL the foreign key's own index.
    assert re.search(r"records_tok_resource|records_tokenindex_resource_id", plan), plan
    assert re.search(r"records_date_resource|records_dateindex_resource_id", plan), plan
    if connection.vendor == "postgresql":
        assert "Seq Scan" not in plan, plan
    else:
        assert "SCAN records_" not in plan.replace("SCAN records_resource USING INDEX", ""), plan


def test_identifier_search_starts_from_the_token_lookup_index(bulk):
    plan, page = _plan("Patient", [("identifier", f"{MRN}|M00042")])
    assert [r.fhir_id for r in page.rows] == ["pt42"]
    assert "records_tok_lookup" in plan, plan
    if connection.vendor == "postgresql":
        assert "Seq Scan on records_resource" not in plan, plan


def test_chained_identifier_search_goes_through_the_compartment(bulk):
    plan, page = _plan("Observation", [("subject:Patient.identifier", f"{MRN}|M00042"), ("code", "8462-4")])
    assert sorted(r.fhir_id for r in page.rows) == ["ob42-1", "ob42-5", "ob42-9"]
    assert "records_tok_lookup" in plan and "records_res_compartment" in plan, plan
