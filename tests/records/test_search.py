"""FHIR search over the record store (`weijian.records.search`): every parameter kind, with results that prove
the semantics, on a small clinic written through the real services."""

import datetime as dt
from dataclasses import dataclass
from urllib.parse import parse_qsl

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests import factories
from weijian.core.errors import BusinessError
from weijian.records import search, services
from weijian.records.errors import RecordsErrorCode as E
from weijian.records.identity import CITIZEN_ID_SYSTEM
from weijian.records.models import Resource, TokenIndex

LOINC = "http://loinc.org"
MRN = "http://hospital.example/mrn"
ACT = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
SYSTOLIC, DIASTOLIC, WEIGHT = "8480-6", "8462-4", "29463-7"
ID_P1 = factories.id_number(birth=dt.date(1960, 5, 1), sequence=123)
ID_P2 = factories.id_number(birth=dt.date(1975, 3, 15), sequence=456)


@dataclass
class Clinic:
    actor: object


def _put(actor, resource: dict) -> None:
    services.resource_update(actor=actor, type_=resource["resourceType"], fhir_id=resource["id"], resource=resource)


def _patient(fhir_id, family, given, gender, birth, citizen_id, mrn):
    patient = {"resourceType": "Patient", "id": fhir_id, "gender": gender,
               "name": [{"family": family, "given": [given]}],
               "identifier": [{"system": MRN, "value": mrn}]}
    if citizen_id:
        patient["identifier"].append({"system": CITIZEN_ID_SYSTEM, "value": citizen_id})
    if birth:
        patient["birthDate"] = birth
    return patient


def _observation(fhir_id, patient, code, *, status="final", encounter=None, performer=None, **effective):
    observation = {"resourceType": "Observation", "id": fhir_id, "status": status,
                   "code": {"coding": [{"system": LOINC, "code": code}]},
                   "subject": {"reference": f"Patient/{patient}"}, **effective}
    if encounter:
        observation["encounter"] = {"reference": f"Encounter/{encounter}"}
    if performer:
        observation["performer"] = [{"reference": performer}]
    return observation


def _encounter(fhir_id, patient, klass, period):
    return {"resourceType": "Encounter", "id": fhir_id, "status": "finished",
            "class": {"system": ACT, "code": klass}, "subject": {"reference": f"Patient/{patient}"},
            "period": period, "serviceProvider": {"reference": "Organization/org1"}}


@pytest.fixture
def clinic(record_sources) -> Clinic:
    actor = record_sources.a1_user
    for resource in [
        {"resourceType": "Organization", "id": "org1", "name": "示例医院"},
        {"resourceType": "Organization", "id": "org2", "name": "示例医院门诊部",
         "partOf": {"reference": "Organization/org1"}},
        {"resourceType": "Practitioner", "id": "pr1", "name": [{"family": "张", "given": ["医生"]}]},
        _patient("p1", "王", "建国", "male", "1960-05-01", ID_P1, "MRN001"),
        _patient("p2", "李", "秀英", "female", "1975-03-15", ID_P2, "MRN002"),
        _patient("p3", "张", "伟", "male", None, None, "MRN003"),
        _encounter("e1", "p1", "AMB", {"start": "2024-03-10T09:00:00+08:00", "end": "2024-03-10T10:00:00+08:00"}),
        _encounter("e2", "p2", "IMP", {"start": "2024-02-20", "end": "2024-03-05"}),
        _encounter("e3", "p1", "IMP", {"start": "2024-04-01"}),
        _observation("o1", "p1", SYSTOLIC, encounter="e1", performer="Practitioner/pr1",
                     effectiveDateTime="2024-03-15T08:30:00+08:00"),
        _observation("o2", "p1", SYSTOLIC, effectiveDateTime="2024-02-28T10:00:00+08:00"),
        _observation("o3", "p1", DIASTOLIC, effectiveDateTime="2024-03-20"),
        _observation("o4", "p2", SYSTOLIC, status="preliminary", encounter="e2", performer="Organization/org1",
                     effectiveDateTime="2024-03-01T12:00:00+08:00"),
        _observation("o5", "p1", WEIGHT, effectivePeriod={"start": "2024-01-01", "end": "2024-12-31"}),
        _observation("o6", "p2", WEIGHT),
        {"resourceType": "Provenance", "id": "prov1", "target": [{"reference": "Observation/o1"}],
         "recorded": "2024-03-15T09:00:00+08:00", "agent": [{"who": {"reference": "Practitioner/pr1"}}]},
    ]:
        _put(actor, resource)
    return Clinic(actor)


def page(type_: str, query_string: str = "", **kwargs) -> search.SearchPage:
    query = search.parse(type_, parse_qsl(query_string, keep_blank_values=True))
    everything = Resource.objects.all()
    return search.run(query, kwargs.get("base", everything), kwargs.get("include_base", everything))


def found(type_: str, query_string: str = "") -> set[str]:
    result = page(type_, query_string + "&_count=500")
    return {row.fhir_id for row in result.rows}


def rejected(type_: str, params: list[tuple[str, str]]) -> BusinessError:
    with pytest.raises(BusinessError) as caught:
        search.parse(type_, params)
    return caught.value


# ---- parsing errors ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("params", "code", "parameter"), [
    ([("colour", "red")], E.SEARCH_PARAM_UNKNOWN, "colour"),
    ([("code:exact", "x")], E.SEARCH_PARAM_UNKNOWN, "code:exact"),  # no :exact on tokens
    ([("date:not", "2024")], E.SEARCH_PARAM_UNKNOWN, "date:not"),
    ([("code.system", "x")], E.SEARCH_PARAM_UNKNOWN, "code.system"),  # chain through a token
    ([("subject.colour", "x")], E.SEARCH_PARAM_UNKNOWN, "subject.colour"),
    ([("subject:Patient.organization.name", "x")], E.SEARCH_PARAM_UNKNOWN, "subject:Patient.organization.name"),
    ([("_elements", "id")], E.SEARCH_PARAM_UNKNOWN, "_elements"),
    ([("_include:iterate", "Observation:subject")], E.SEARCH_PARAM_UNKNOWN, "_include:iterate"),
    ([("date", "2024-13-01")], E.SEARCH_VALUE_INVALID, "date"),
    ([("date", "xx2024")], E.SEARCH_VALUE_INVALID, "date"),
    ([("date", "2024"), ("_lastUpdated", "yesterday")], E.SEARCH_VALUE_INVALID, "_lastUpdated"),
    ([("subject.birthdate", "gt1960-02-30")], E.SEARCH_VALUE_INVALID, "subject.birthdate"),
    ([("_count", "-1")], E.SEARCH_VALUE_INVALID, "_count"),
    ([("_count", "ten")], E.SEARCH_VALUE_INVALID, "_count"),
    ([("_offset", "1.5")], E.SEARCH_VALUE_INVALID, "_offset"),
    ([("_offset", "9" * 30)], E.SEARCH_VALUE_INVALID, "_offset"),
    ([("_count", "²")], E.SEARCH_VALUE_INVALID, "_count"),
    ([("_sort", "code")], E.SEARCH_VALUE_INVALID, "_sort"),  # tokens are not sortable
    ([("_sort", "colour")], E.SEARCH_VALUE_INVALID, "_sort"),
    ([("_include", "Patient:organization")], E.SEARCH_VALUE_INVALID, "_include"),  # not the searched type
    ([("_include", "Observation:code")], E.SEARCH_VALUE_INVALID, "_include"),  # not a reference
    ([("_include", "*")], E.SEARCH_VALUE_INVALID, "_include"),
    ([("_revinclude", "Encounter:subject")], E.SEARCH_VALUE_INVALID, "_revinclude"),  # cannot point here
    ([("_total", "maybe")], E.SEARCH_VALUE_INVALID, "_total"),
    ([("_summary", "text")], E.SEARCH_VALUE_INVALID, "_summary"),
    ([("subject", "Group/1")], E.SEARCH_VALUE_INVALID, "subject"),
    ([("subject:Patient", "Practitioner/1")], E.SEARCH_VALUE_INVALID, "subject:Patient"),
    ([("code", "|")], E.SEARCH_VALUE_INVALID, "code"),
    ([("code:missing", "yes")], E.SEARCH_VALUE_INVALID, "code:missing"),
    ([("_id", "a b")], E.SEARCH_VALUE_INVALID, "_id"),
])
def test_bad_parameters_raise_the_code_naming_the_parameter(params, code, parameter):
    error = rejected("Observation", params)
    assert error.code == code
    assert error.extra["parameter"] == parameter
    assert parameter.split(".")[0].split(":")[0] in error.message or error.message == code.message


def test_unknown_parameter_message_is_chinese_and_names_it():
    error = rejected("Patient", [("colour", "red")])
    assert error.message == "不支持的查询参数：colour"


def test_result_parameters_and_ignored_ones_parse():
    query = search.parse("Observation", [("_format", "json"), ("_pretty", "true"), ("_count", "900"),
                                         ("_offset", "40"), ("_sort", "-date,_id"), ("_total", "none"),
                                         ("code", ""), ("_include", "Observation:subject:Patient"),
                                         ("_revinclude", "Provenance:target")])
    assert query.count == search.MAX_COUNT and query.offset == 40 and not query.total
    assert query.sort == [("date", True), ("_id", False)]
    assert query.clauses == []  # an empty value is ignored
    assert query.includes == [search.Include("Observation", "subject", "Patient")]
    assert query.revincludes == [search.Include("Provenance", "target", None)]
    assert search.parse("Observation", []).count == search.DEFAULT_COUNT


# ---- _id, _lastUpdated, token --------------------------------------------------------------------------------

def test_id_is_a_comma_list(clinic):
    assert found("Observation", "_id=o1,o3,nope") == {"o1", "o3"}
    assert found("Observation", "_id=o1&_id=o3") == set()  # repeats are AND


def test_last_updated_compares_the_stored_instant(clinic):
    Resource.objects.filter(type="Observation", fhir_id="o2").update(
        updated=dt.datetime(2023, 6, 1, 12, 0, tzinfo=dt.UTC))
    assert found("Observation", "_lastUpdated=lt2024") == {"o2"}
    assert found("Observation", "_lastUpdated=eq2023-06") == {"o2"}
    assert found("Observation", "_lastUpdated=ge2024") == {"o1", "o3", "o4", "o5", "o6"}
    assert found("Observation", "_lastUpdated=gt2023-06-01T12:00:00Z") == {"o1", "o3", "o4", "o5", "o6"}
    assert found("Observation", "_lastUpdated=ge2023-06-01T20:00:00%2B08:00&_lastUpdated=le2023-06-01") == {"o2"}
    # An unencoded "+" in a zone offset arrives as a space and is still understood.
    assert found("Observation", "_lastUpdated=ge2023-06-01T20:00:00+08:00&_lastUpdated=le2023-06-01") == {"o2"}


def test_token_forms(clinic):
    assert found("Observation", f"code={SYSTOLIC}") == {"o1", "o2", "o4"}
    assert found("Observation", f"code={LOINC}|{SYSTOLIC}") == {"o1", "o2", "o4"}
    assert found("Observation", f"code=http://other|{SYSTOLIC}") == set()
    assert found("Observation", f"code=|{SYSTOLIC}") == set()  # the LOINC coding has a system
    assert found("Observation", "status=|preliminary") == {"o4"}  # a code element has none
    assert found("Observation", f"code={LOINC}|") == {"o1", "o2", "o3", "o4", "o5", "o6"}
    assert found("Observation", f"code={DIASTOLIC},{WEIGHT}") == {"o3", "o5", "o6"}
    assert found("Observation", f"code={SYSTOLIC}&status=preliminary") == {"o4"}
    assert found("Encounter", f"class={ACT}|IMP") == {"e2", "e3"}
    assert found("Patient", "gender=female") == {"p2"}


def test_token_not_excludes_any_match_and_keeps_resources_without_the_element(clinic):
    assert found("Observation", f"code:not={LOINC}|{SYSTOLIC}") == {"o3", "o5", "o6"}
    assert found("Observation", "status:not=final") == {"o4"}
    assert found("Observation", f"code:not={SYSTOLIC},{WEIGHT}") == {"o3"}
    assert found("Observation", "performer:missing=true&category:not=vital-signs") == {"o2", "o3", "o5", "o6"}


def test_missing(clinic):
    assert found("Patient", "birthdate:missing=true") == {"p3"}
    assert found("Patient", "birthdate:missing=false") == {"p1", "p2"}
    assert found("Observation", "date:missing=true") == {"o6"}
    assert found("Observation", "encounter:missing=false") == {"o1", "o4"}
    assert found("Observation", "subject:missing=true") == set()
    assert found("Patient", "name:missing=true") == set()
    assert found("Observation", "_id:missing=true") == set()


# ---- string ----------------------------------------------------------------------------------------------

def test_string_starts_with_exact_and_contains(clinic):
    assert found("Patient", "name=王") == {"p1"}
    assert found("Patient", "name=王建") == {"p1"}  # 王建国, family + given as written in Chinese
    assert found("Patient", "name=建国") == {"p1"}  # the given name on its own
    assert found("Patient", "name=国") == set()
    assert found("Patient", "name:contains=国") == {"p1"}
    assert found("Patient", "name:exact=王建国") == {"p1"}
    assert found("Patient", "name:exact=王建") == set()
    assert found("Patient", "family=李,张") == {"p2", "p3"}
    assert found("Organization", "name=示例医院") == {"org1", "org2"}
    assert found("Organization", "name:exact=示例医院") == {"org1"}


def test_string_matches_the_normalised_value(clinic):
    _put(clinic.actor, {"resourceType": "Practitioner", "id": "pr2", "name": [{"text": "Mary  ANN Smith"}]})
    assert found("Practitioner", "name=mary ann") == {"pr2"}
    assert found("Practitioner", "name=  MARY   Ann  ") == {"pr2"}
    assert found("Practitioner", "name:exact=mary ann smith") == {"pr2"}
    assert found("Practitioner", "name:contains=ANN S") == {"pr2"}
    assert found("Practitioner", "name:contains=a_n") == set()  # LIKE wildcards are escaped


# ---- date ------------------------------------------------------------------------------------------------

def test_date_prefixes_on_instants_and_days(clinic):
    assert found("Observation", "date=ge2024-03") == {"o1", "o3", "o4", "o5"}  # o5: its year runs past March
    assert "o2" not in found("Observation", "date=ge2024-03")  # 2024-02-28
    assert found("Observation", "date=lt2024-03") == {"o2", "o5"}
    assert found("Observation", "date=2024-03-15") == {"o1"}
    assert found("Observation", "date=eq2024-03") == {"o1", "o3", "o4"}
    assert found("Observation", "date=ne2024-03") == {"o2", "o5"}
    assert found("Observation", "date=2024-02-28,2024-03-20") == {"o2", "o3"}
    assert found("Observation", "date=ge2024-03&date=lt2024-03-16") == {"o1", "o4", "o5"}
    # Zones: 2024-03-01T12:00+08:00 is 04:00 UTC that day; dates without a zone are China Standard Time.
    assert found("Observation", "date=ge2024-03-01T04:00:00Z&date=le2024-03-01T04:00:00Z") == {"o4", "o5"}
    assert found("Observation", "date=eq2024-03-01T04:00:00Z") == {"o4"}
    assert found("Observation", "date=lt2024-03-01T03:59:59Z") == {"o2", "o5"}


def test_date_prefixes_on_periods(clinic):
    # e1: 2024-03-10 09:00–10:00, e2: 2024-02-20 – 2024-03-05, e3: from 2024-04-01, still open.
    assert found("Encounter", "date=eq2024-03") == {"e1"}
    assert found("Encounter", "date=sa2024-02-29") == {"e1", "e3"}
    assert found("Encounter", "date=sa2024-03-10") == {"e3"}
    assert found("Encounter", "date=eb2024-03-06") == {"e2"}
    assert found("Encounter", "date=eb2024-03-05") == set()  # e2 ends during that day
    assert found("Encounter", "date=gt2024-03") == {"e3"}  # the open end lies after March
    assert found("Encounter", "date=lt2024-03") == {"e2"}
    assert found("Encounter", "date=le2024-03-05") == {"e2"}
    assert found("Encounter", "date=ge2024-03") == {"e1", "e3"}  # e2 starts in February, ends in March
    assert found("Encounter", "date=ne2024-03") == {"e2", "e3"}


def test_date_approximately(clinic):
    assert found("Patient", "birthdate=ap1960-05") == {"p1"}
    assert found("Patient", "birthdate=ap1962") == {"p1"}  # within 10% of the ~64 years since
    assert found("Patient", "birthdate=ap1975-03-20") == {"p2"}
    assert found("Patient", "birthdate=ap1990") == set()


# ---- reference and the compartment ------------------------------------------------------------------------

def test_reference_forms(clinic):
    on_p1 = {"o1", "o2", "o3", "o5"}
    assert found("Observation", "subject=Patient/p1") == on_p1
    assert found("Observation", "patient=p1") == on_p1
    assert found("Observation", "subject=p1") == on_p1  # one possible target type
    assert found("Observation", "subject:Patient=p1") == on_p1
    assert found("Observation", "subject=https://fhir.example.org/fhir/Patient/p1") == on_p1
    assert found("Observation", "subject=Patient/p1/_history/3") == on_p1
    assert found("Observation", "subject=Patient/p1,Patient/p2") == on_p1 | {"o4", "o6"}
    assert found("Observation", "encounter=Encounter/e1") == {"o1"}
    assert found("Observation", "encounter=e2") == {"o4"}
    assert found("Observation", "performer=Practitioner/pr1") == {"o1"}
    assert found("Observation", "performer:Organization=org1") == {"o4"}
    assert found("Observation", "performer=pr1,org1") == {"o1", "o4"}  # plain ids: any target type
    assert found("Provenance", "target=Observation/o1") == {"prov1"}
    assert found("Encounter", "service-provider=org1&subject=p1") == {"e1", "e3"}
    assert found("Organization", "partof=org1") == {"org2"}


def test_patient_reference_uses_the_compartment_column_not_the_reference_index(clinic):
    for query_string in ("subject=Patient/p1", "patient=p1", "subject:Patient=p1",
                         "subject:Patient.identifier=MRN001"):
        query = search.parse("Observation", parse_qsl(query_string))
        sql = str(search.matches(query, Resource.objects.all()).query)
        assert '"patient" IN' in sql and "referenceindex" not in sql, query_string
    # The other references of a compartment type, and Provenance's many targets, use the reference index.
    sql = str(search.matches(search.parse("Observation", [("encounter", "e1")]), Resource.objects.all()).query)
    assert "referenceindex" in sql
    sql = str(search.matches(search.parse("Provenance", [("patient", "p1")]), Resource.objects.all()).query)
    assert "referenceindex" in sql


def test_compartment_query_probes_index_tables_by_resource_id(clinic):
    query = search.parse("Observation", [("subject", "Patient/p1"), ("code", f"{LOINC}|{SYSTOLIC}"),
                                         ("date", "ge2024-01-01")])
    sql = str(search.matches(query, Resource.objects.all()).query)
    assert sql.count("EXISTS") == 2 and " JOIN " not in sql
    assert {row.fhir_id for row in search.run(query, Resource.objects.all()).rows} == {"o1", "o2"}


def test_chained_parameters(clinic):
    assert found("Observation", f"subject:Patient.identifier={MRN}|MRN002") == {"o4", "o6"}
    assert found("Observation", "subject.identifier=MRN001") == {"o1", "o2", "o3", "o5"}
    assert found("Observation", "patient.name=李") == {"o4", "o6"}
    assert found("Observation", "patient.gender=male&code=8480-6") == {"o1", "o2"}
    assert found("Observation", "encounter.class=IMP") == {"o4"}
    assert found("Observation", "encounter.class:not=IMP") == {"o1"}  # has an encounter, not an inpatient one
    assert found("Observation", "encounter.date=lt2024-03") == {"o4"}
    assert found("Observation", "encounter.service-provider=Organization/org1") == {"o1", "o4"}
    assert found("Observation", "performer.name=示例") == {"o4"}  # both target types have `name`
    assert found("Observation", "performer:Practitioner.name=张") == {"o1"}
    assert found("Encounter", "subject.birthdate=lt1970") == {"e1", "e3"}
    assert found("Encounter", "subject._id=p2") == {"e2"}


def test_chained_targets_come_from_the_include_scope(clinic):
    query = search.parse("Observation", [("encounter.class", "IMP")])
    everything = Resource.objects.all()
    assert [r.fhir_id for r in search.run(query, everything, everything.exclude(type="Encounter")).rows] == []
    assert search.ids(query, everything, everything.exclude(fhir_id="e2")) == []
    assert search.ids(query, everything) == ["o4"]


# ---- the citizen ID number ---------------------------------------------------------------------------------

def test_citizen_id_search_compares_the_blind_index_only(clinic):
    assert not TokenIndex.objects.filter(code=ID_P1).exists()
    assert not TokenIndex.objects.filter(code__contains=ID_P1[6:14]).exists()
    with CaptureQueriesContext(connection) as captured:
        assert found("Patient", f"identifier={CITIZEN_ID_SYSTEM}|{ID_P1}") == {"p1"}
        assert found("Patient", f"identifier={ID_P2}") == {"p2"}  # no system: an ID number is still found
        assert found("Patient", f"identifier={CITIZEN_ID_SYSTEM}|{ID_P1.lower()}") == {"p1"}
        assert found("Observation", f"subject.identifier={CITIZEN_ID_SYSTEM}|{ID_P2}") == {"o4", "o6"}
        assert found("Patient", f"identifier:not={CITIZEN_ID_SYSTEM}|{ID_P1}") == {"p2", "p3"}
    sql = " ".join(q["sql"] for q in captured.captured_queries)
    assert ID_P1 not in sql and ID_P2 not in sql and ID_P1.lower() not in sql
    query = search.parse("Patient", [("identifier", f"{CITIZEN_ID_SYSTEM}|{ID_P1}")])
    assert ID_P1 not in repr(query)
    assert found("Patient", f"identifier={MRN}|{ID_P1}") == set()


# ---- include, revinclude ---------------------------------------------------------------------------------

def test_include_returns_each_linked_resource_once(clinic):
    result = page("Observation", f"code={SYSTOLIC}&_include=Observation:subject&_include=Observation:subject")
    assert sorted(r.fhir_id for r in result.rows) == ["o1", "o2", "o4"]
    assert sorted(r.fhir_id for r in result.included) == ["p1", "p2"]
    result = page("Observation", f"code={SYSTOLIC}&_include=Observation:performer:Practitioner"
                                 "&_include=Observation:encounter")
    assert sorted((r.type, r.fhir_id) for r in result.included) == [
        ("Encounter", "e1"), ("Encounter", "e2"), ("Practitioner", "pr1")]
    result = page("Observation", f"code={SYSTOLIC}&_include=Observation:performer")
    assert sorted(r.fhir_id for r in result.included) == ["org1", "pr1"]


def test_included_resources_never_repeat_rows(clinic):
    result = page("Organization", "_id=org1,org2&_include=Organization:partof")
    assert sorted(r.fhir_id for r in result.rows) == ["org1", "org2"] and result.included == []
    result = page("Organization", "_id=org2&_include=Organization:partof")
    assert [r.fhir_id for r in result.included] == ["org1"]


def test_revinclude(clinic):
    result = page("Patient", "_id=p1,p2&_revinclude=Observation:subject&_revinclude=Encounter:patient")
    assert sorted(r.fhir_id for r in result.included) == ["e1", "e2", "e3", "o1", "o2", "o3", "o4", "o5", "o6"]
    result = page("Observation", "_revinclude=Provenance:target&_count=500")
    assert [r.fhir_id for r in result.included] == ["prov1"]


def test_included_resources_come_from_the_include_scope_and_are_never_deleted(clinic):
    everything = Resource.objects.all()
    result = page("Observation", f"code={SYSTOLIC}&_include=Observation:subject",
                  include_base=everything.exclude(fhir_id="p2"))
    assert [r.fhir_id for r in result.included] == ["p1"]
    services.resource_delete(actor=clinic.actor, type_="Encounter", fhir_id="e2")
    result = page("Observation", f"code={SYSTOLIC}&_include=Observation:encounter")
    assert [r.fhir_id for r in result.included] == ["e1"]


# ---- deleted, scope, sort, paging, totals -----------------------------------------------------------------

def test_deleted_resources_never_match(clinic):
    services.resource_delete(actor=clinic.actor, type_="Observation", fhir_id="o2")
    assert found("Observation", "subject=Patient/p1") == {"o1", "o3", "o5"}
    assert found("Observation", "_id=o2") == set()
    assert found("Observation", "code:not=8462-4&code:not=29463-7") == {"o1", "o4"}


def test_only_rows_of_the_base_are_searched(clinic):
    result = page("Observation", "code=8480-6", base=Resource.objects.exclude(fhir_id="o1"))
    assert sorted(r.fhir_id for r in result.rows) == ["o2", "o4"] and result.total == 2


def test_sort_by_date_descending_pages_visit_every_match_once_across_updates(clinic):
    expected = ["o5", "o3", "o1", "o4", "o2", "o6"]  # latest instant first (o5 runs to 2024-12-31); no date last
    seen, offset = [], 0
    while True:
        result = page("Observation", f"_sort=-date&_count=2&_offset={offset}")
        assert result.total == 6 and result.count == 2
        seen += [row.fhir_id for row in result.rows]
        if offset == 0:  # between pages: o1 gets a new version (same Resource row, same date)
            o1 = _observation("o1", "p1", SYSTOLIC, status="amended", encounter="e1", performer="Practitioner/pr1",
                              effectiveDateTime="2024-03-15T08:30:00+08:00")
            assert services.resource_update(actor=clinic.actor, type_="Observation", fhir_id="o1",
                                            resource=o1).version == 2
        if not result.has_next:
            break
        offset += result.count
    assert seen == expected


def test_sort_ascending_by_date_string_id_and_last_updated(clinic):
    ordered = [r.fhir_id for r in page("Observation", "_sort=date").rows]
    assert ordered == ["o5", "o2", "o4", "o1", "o3", "o6"]  # earliest instant first, missing last
    assert [r.fhir_id for r in page("Patient", "_sort=family").rows] == ["p3", "p2", "p1"]  # 张 < 李 < 王 (code points)
    assert [r.fhir_id for r in page("Patient", "_sort=-_id").rows] == ["p3", "p2", "p1"]
    Resource.objects.filter(type="Patient", fhir_id="p2").update(updated=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    assert [r.fhir_id for r in page("Patient", "_sort=_lastUpdated").rows][0] == "p2"
    assert [r.fhir_id for r in page("Patient", "_sort=-_lastUpdated").rows][-1] == "p2"
    assert [r.fhir_id for r in page("Patient", "_sort=-birthdate").rows] == ["p2", "p1", "p3"]
    assert [r.fhir_id for r in page("Patient", "_sort=-family,_id").rows] == ["p1", "p2", "p3"]


def test_sort_ties_break_by_row_id(clinic):
    for fhir_id in ("o8", "o7"):  # written after o1, o8 first: larger row ids than o1, o8 below o7
        _put(clinic.actor, _observation(fhir_id, "p2", DIASTOLIC, effectiveDateTime="2024-03-15T08:30:00+08:00"))
    same_instant = "date=2024-03-15T08:30:00%2B08:00"
    assert [r.fhir_id for r in page("Observation", f"{same_instant}&_sort=date").rows] == ["o1", "o8", "o7"]
    assert [r.fhir_id for r in page("Observation", f"{same_instant}&_sort=-date").rows] == ["o1", "o8", "o7"]
    assert [r.fhir_id for r in page("Observation", f"{same_instant}&_sort=-date&_count=1&_offset=1").rows] == ["o8"]


def test_totals_summary_and_paging_flags(clinic):
    result = page("Observation", "_count=4")
    assert (len(result.rows), result.total, result.has_next, result.offset) == (4, 6, True, 0)
    result = page("Observation", "_count=4&_offset=4")
    assert (len(result.rows), result.total, result.has_next, result.offset) == (2, 6, False, 4)
    result = page("Observation", "_count=4&_total=none")
    assert result.total is None and result.has_next
    result = page("Observation", "code=8480-6&_summary=count&_include=Observation:subject")
    assert (result.rows, result.included, result.total, result.count) == ([], [], 3, 0)
    result = page("Observation", "_count=0")
    assert (result.rows, result.total) == ([], 6)
    result = page("Observation", "_offset=50")
    assert (result.rows, result.total, result.has_next) == ([], 6, False)


def test_first_page_holding_every_match_costs_one_query(clinic):
    query = search.parse("Observation", [("subject", "Patient/p1")])
    with CaptureQueriesContext(connection) as captured:
        result = search.run(query, Resource.objects.all(), Resource.objects.all())
    assert result.total == 4 and len(captured.captured_queries) == 1


def test_ids_for_conditional_create(clinic):
    assert search.ids(search.parse("Patient", [("identifier", f"{MRN}|MRN001")]), Resource.objects.all()) == ["p1"]
    assert len(search.ids(search.parse("Observation", [("code", SYSTOLIC)]), Resource.objects.all())) == 2
    assert search.ids(search.parse("Patient", [("identifier", f"{MRN}|none")]), Resource.objects.all()) == []
