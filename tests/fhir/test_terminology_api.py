"""The FHIR R4 terminology endpoints under /fhir/, against the small terminology of tests/terminology."""

import json

import pytest
from rest_framework.test import APIClient

from tests.terminology.conftest import A1_MAP, LAB, LAB_VS, LOCAL_SEX, SEX, SEX_KNOWN_VS

pytestmark = pytest.mark.django_db

FHIR = "application/fhir+json"


def fhir(response, status: int = 200) -> dict:
    assert response.status_code == status, (response.status_code, response.content[:500])
    assert response["Content-Type"].startswith(FHIR)
    return response.json()


def outcome(response, status: int, issue: str, code: str, diagnostics: str | None = None) -> dict:
    body = fhir(response, status)
    assert body["resourceType"] == "OperationOutcome"
    [entry] = body["issue"]
    assert entry["severity"] == "error"
    assert entry["code"] == issue
    assert entry["details"]["coding"][0]["code"] == code
    assert entry["diagnostics"]
    if diagnostics is not None:
        assert entry["diagnostics"] == diagnostics
    return entry


def params(body: dict) -> dict:
    """Parameters → {name: value} for single parameters, {name: [parts...]} for repeated ones."""
    assert body["resourceType"] == "Parameters"
    out = {}
    for p in body["parameter"]:
        value = p.get("part") or next(v for k, v in p.items() if k.startswith("value"))
        if "part" in p:
            out.setdefault(p["name"], []).append({q["name"]: next(v for k, v in q.items() if k.startswith("value"))
                                                  for q in p["part"]})
        else:
            out[p["name"]] = value
    return out


def post_parameters(client, url, *parameters):
    body = {"resourceType": "Parameters", "parameter": list(parameters)}
    return client.post(url, json.dumps(body), format=None, content_type=FHIR)


# ---- metadata -------------------------------------------------------------------------------------------

def test_metadata_is_a_capability_statement(db):
    body = fhir(APIClient().get("/fhir/metadata"))
    assert body["resourceType"] == "CapabilityStatement"
    assert body["fhirVersion"] == "4.0.1" and body["format"] == ["json"] and body["kind"] == "instance"
    resources = {r["type"]: r for r in body["rest"][0]["resource"]}
    assert set(resources) == {"CodeSystem", "ValueSet", "ConceptMap"}
    for resource in resources.values():
        assert {i["code"] for i in resource["interaction"]} == {"read", "search-type"}
    assert resources["CodeSystem"]["operation"] == [
        {"name": "lookup", "definition": "http://hl7.org/fhir/OperationDefinition/CodeSystem-lookup"},
        {"name": "validate-code", "definition": "http://hl7.org/fhir/OperationDefinition/CodeSystem-validate-code"},
        {"name": "subsumes", "definition": "http://hl7.org/fhir/OperationDefinition/CodeSystem-subsumes"},
    ]
    assert [o["name"] for o in resources["ValueSet"]["operation"]] == ["expand", "validate-code"]
    assert resources["ConceptMap"]["operation"] == [
        {"name": "translate", "definition": "http://hl7.org/fhir/OperationDefinition/ConceptMap-translate"}]


# ---- read and search ------------------------------------------------------------------------------------

def test_code_system_search_by_url_and_read_with_nested_concepts(api, terms):
    client = api("worker_a1")
    bundle = fhir(client.get("/fhir/CodeSystem", {"url": LAB}))
    assert bundle["resourceType"] == "Bundle" and bundle["type"] == "searchset" and bundle["total"] == 1
    [entry] = bundle["entry"]
    assert entry["fullUrl"] == f"http://testserver/fhir/CodeSystem/{terms.lab.pk}"
    assert entry["search"] == {"mode": "match"}
    resource = fhir(client.get(f"/fhir/CodeSystem/{terms.lab.pk}"))
    assert resource == entry["resource"]
    assert resource["resourceType"] == "CodeSystem" and resource["id"] == str(terms.lab.pk)
    assert (resource["url"], resource["version"], resource["name"], resource["title"]) == (LAB, "1", "Lab", "检验项目")
    assert resource["status"] == "active" and resource["caseSensitive"] is False
    assert resource["content"] == "complete" and resource["count"] == 4
    assert resource["concept"] == [
        {"code": "GLU", "display": "葡萄糖", "concept": [{"code": "GLU-F", "display": "空腹血糖"}]},
        {"code": "HB", "display": "血红蛋白"},
        {"code": "K", "display": "血钾", "property": [{"code": "inactive", "valueBoolean": True}]},
    ]


def test_search_by_name_and_paging_with_next_link(api, terms):
    client = api("district_a")
    bundle = fhir(client.get("/fhir/ValueSet", {"name": "lab"}))
    assert bundle["total"] == 1 and bundle["entry"][0]["resource"]["url"] == LAB_VS

    everything = fhir(client.get("/fhir/CodeSystem"))["total"]  # the seeded systems and LAB
    assert everything >= 3
    first = fhir(client.get("/fhir/CodeSystem", {"_count": 2}))
    assert first["total"] == everything and len(first["entry"]) == 2
    links = {link["relation"]: link["url"] for link in first["link"]}
    assert links["self"] == "http://testserver/fhir/CodeSystem?_count=2&_offset=0"
    assert links["next"] == "http://testserver/fhir/CodeSystem?_count=2&_offset=2"
    second = fhir(client.get(links["next"].removeprefix("http://testserver")))
    assert len(second["entry"]) == min(2, everything - 2)
    assert {e["resource"]["id"] for e in first["entry"]}.isdisjoint({e["resource"]["id"] for e in second["entry"]})
    assert {link["relation"] for link in second["link"]} >= {"self", "previous"}

    last = fhir(client.get("/fhir/CodeSystem", {"_count": 2, "_offset": everything - 1}))
    assert "next" not in {link["relation"] for link in last["link"]}


def test_search_with_no_match_is_an_empty_bundle(api, terms):
    bundle = fhir(api("district_a").get("/fhir/ConceptMap", {"url": "http://nowhere/x"}))
    assert bundle["total"] == 0 and bundle["entry"] == []


def test_value_set_read_has_its_compose(api, terms):
    resource = fhir(api("district_a").get(f"/fhir/ValueSet/{terms.sex_known.pk}"))
    assert resource["resourceType"] == "ValueSet" and resource["url"] == SEX_KNOWN_VS
    assert resource["title"] == "已知性别"
    assert resource["compose"] == {"include": [{"system": SEX, "version": "2003", "concept": [{"code": "1"}, {"code": "2"}]}]}
    lab = fhir(api("district_a").get(f"/fhir/ValueSet/{terms.lab_vs.pk}"))
    assert lab["compose"] == {"include": [{"system": LAB, "version": "1"}]}


def test_concept_map_read_has_group_elements_and_targets(api, terms):
    resource = fhir(api("institution_b1").get(f"/fhir/ConceptMap/{terms.a1_map.pk}"))
    assert resource["resourceType"] == "ConceptMap" and resource["url"] == A1_MAP
    assert resource["group"] == [{"source": LOCAL_SEX, "target": SEX, "element": [
        {"code": "F", "display": "女", "target": [{"code": "2", "display": "女性", "equivalence": "equivalent"}]},
        {"code": "M", "display": "男", "target": [{"code": "1", "display": "男性", "equivalence": "equivalent"}]},
        {"code": "U", "display": "不详", "target": [{"equivalence": "unmatched"}]},
    ]}]


def test_read_of_a_missing_resource_is_404(api, terms):
    outcome(api("district_a").get("/fhir/CodeSystem/999999"), 404, "not-found", "not_found")


# ---- $lookup --------------------------------------------------------------------------------------------

def test_lookup_get_and_post(api, terms):
    client = api("worker_a1")
    body = fhir(client.get("/fhir/CodeSystem/$lookup", {"system": LAB, "code": "GLU"}))
    assert body == {"resourceType": "Parameters", "parameter": [
        {"name": "name", "valueString": "检验项目"},
        {"name": "version", "valueString": "1"},
        {"name": "display", "valueString": "葡萄糖"},
        {"name": "property", "part": [{"name": "code", "valueCode": "child"}, {"name": "value", "valueCode": "GLU-F"}]},
    ]}
    posted = fhir(post_parameters(client, "/fhir/CodeSystem/$lookup",
                                  {"name": "system", "valueUri": LAB}, {"name": "code", "valueCode": "glu-f"},
                                  {"name": "version", "valueString": "1"}))
    assert params(posted)["display"] == "空腹血糖"
    assert params(posted)["property"] == [{"code": "parent", "value": "GLU"}]
    coding = fhir(post_parameters(client, "/fhir/CodeSystem/$lookup",
                                  {"name": "coding", "valueCoding": {"system": LAB, "code": "K"}}))
    assert params(coding)["property"] == [{"code": "inactive", "value": True}]


def test_lookup_errors(api, terms):
    client = api("worker_a1")
    entry = outcome(client.get("/fhir/CodeSystem/$lookup", {"code": "GLU"}), 400, "required", "url_invalid")
    assert entry["expression"] == ["system"]
    entry = outcome(client.get("/fhir/CodeSystem/$lookup", {"system": LAB}), 400, "required", "code_required",
                    "代码不能为空")
    assert entry["expression"] == ["code"]
    outcome(client.get("/fhir/CodeSystem/$lookup", {"system": "http://nowhere/cs", "code": "X"}), 404,
            "not-found", "code_system_not_found", "代码系统不存在")
    outcome(client.get("/fhir/CodeSystem/$lookup", {"system": LAB, "code": "NOPE"}), 404,
            "not-found", "code_not_found", "代码不存在")
    not_parameters = json.dumps({"resourceType": "Patient"})
    outcome(client.post("/fhir/CodeSystem/$lookup", not_parameters, format=None, content_type=FHIR), 400,
            "structure", "fhir_invalid")


# ---- $expand --------------------------------------------------------------------------------------------

def test_expand_by_url_with_filter_and_paging(api, terms):
    client = api("district_a")
    body = fhir(client.get("/fhir/ValueSet/$expand", {"url": LAB_VS}))
    assert body["resourceType"] == "ValueSet" and body["url"] == LAB_VS and "compose" not in body
    expansion = body["expansion"]
    assert expansion["total"] == 3 and expansion["offset"] == 0 and expansion["timestamp"]
    assert expansion["contains"] == [  # K is retired
        {"system": LAB, "version": "1", "code": "GLU", "display": "葡萄糖"},
        {"system": LAB, "version": "1", "code": "GLU-F", "display": "空腹血糖"},
        {"system": LAB, "version": "1", "code": "HB", "display": "血红蛋白"},
    ]
    page = fhir(client.get("/fhir/ValueSet/$expand", {"url": LAB_VS, "filter": "GLU", "offset": 1, "count": 1}))
    assert page["expansion"]["total"] == 2 and page["expansion"]["offset"] == 1
    assert [c["code"] for c in page["expansion"]["contains"]] == ["GLU-F"]
    assert {"name": "filter", "valueString": "GLU"} in page["expansion"]["parameter"]


def test_expand_on_an_instance_and_by_post(api, terms):
    client = api("district_a")
    body = fhir(client.get(f"/fhir/ValueSet/{terms.sex_known.pk}/$expand"))
    assert body["id"] == str(terms.sex_known.pk)
    assert [(c["code"], c["display"]) for c in body["expansion"]["contains"]] == [("1", "男性"), ("2", "女性")]
    posted = fhir(post_parameters(client, "/fhir/ValueSet/$expand", {"name": "url", "valueUri": SEX_KNOWN_VS},
                                  {"name": "filter", "valueString": "女"}))
    assert [c["code"] for c in posted["expansion"]["contains"]] == ["2"]


def test_expand_errors(api, terms):
    client = api("district_a")
    outcome(client.get("/fhir/ValueSet/$expand"), 400, "required", "url_invalid")
    outcome(client.get("/fhir/ValueSet/$expand", {"url": "http://nowhere/vs"}), 404, "not-found",
            "value_set_not_found", "值集不存在")
    entry = outcome(client.get("/fhir/ValueSet/$expand", {"url": LAB_VS, "count": "-1"}), 400, "invalid",
                    "paging_invalid")
    assert entry["expression"] == ["count"]
    outcome(client.get("/fhir/ValueSet/999999/$expand"), 404, "not-found", "not_found")


# ---- $validate-code -------------------------------------------------------------------------------------

def test_validate_code(api, terms):
    client = api("institution_a1")
    ok = params(fhir(client.get("/fhir/ValueSet/$validate-code", {"url": SEX_KNOWN_VS, "system": SEX, "code": "1"})))
    assert ok == {"result": True, "display": "男性"}
    warned = params(fhir(client.get("/fhir/ValueSet/$validate-code",
                                    {"url": SEX_KNOWN_VS, "code": "2", "display": "女"})))
    assert warned["result"] is True and warned["message"] == "名称“女”与标准名称“女性”不一致"
    missing = params(fhir(client.get("/fhir/ValueSet/$validate-code", {"url": SEX_KNOWN_VS, "code": "9"})))
    assert missing["result"] is False and missing["message"] == f"代码“9”不在“{SEX_KNOWN_VS}”中"
    by_system = params(fhir(post_parameters(client, "/fhir/ValueSet/$validate-code",
                                            {"name": "coding", "valueCoding": {"system": LAB, "code": "K"}})))
    assert by_system["result"] is False and by_system["message"] == "代码“K”已停用"


def test_validate_code_errors(api, terms):
    client = api("institution_a1")
    outcome(client.get("/fhir/ValueSet/$validate-code", {"url": SEX_KNOWN_VS}), 400, "required", "code_required")
    outcome(client.get("/fhir/ValueSet/$validate-code", {"code": "1"}), 400, "required", "url_invalid")
    outcome(client.get("/fhir/ValueSet/$validate-code", {"system": "http://nowhere/cs", "code": "1"}), 404,
            "not-found", "code_system_not_found")


# ---- $translate -----------------------------------------------------------------------------------------

def test_translate(api, terms):
    client = api("district_b")
    body = fhir(client.get("/fhir/ConceptMap/$translate", {"url": A1_MAP, "system": LOCAL_SEX, "code": "M"}))
    assert body == {"resourceType": "Parameters", "parameter": [
        {"name": "result", "valueBoolean": True},
        {"name": "match", "part": [
            {"name": "equivalence", "valueCode": "equivalent"},
            {"name": "concept", "valueCoding": {"system": SEX, "code": "1", "display": "男性"}},
            {"name": "source", "valueUri": A1_MAP},
        ]},
    ]}
    unmatched = params(fhir(client.get("/fhir/ConceptMap/$translate",
                                       {"system": LOCAL_SEX, "targetsystem": SEX, "code": "U"})))
    assert unmatched == {"result": False, "message": "代码“U”在映射中标记为无对应",
                         "match": [{"equivalence": "unmatched", "source": A1_MAP}]}
    posted = params(fhir(post_parameters(client, f"/fhir/ConceptMap/{terms.a1_map.pk}/$translate",
                                         {"name": "code", "valueCode": "X"})))
    assert posted == {"result": False, "message": "映射中没有代码“X”"}


def test_translate_errors(api, terms):
    client = api("district_b")
    outcome(client.get("/fhir/ConceptMap/$translate", {"url": A1_MAP}), 400, "required", "code_required")
    entry = outcome(client.get("/fhir/ConceptMap/$translate", {"system": LOCAL_SEX, "code": "M"}), 400,
                    "required", "url_invalid")
    assert entry["expression"] == ["targetsystem"]
    outcome(client.get("/fhir/ConceptMap/$translate", {"url": "http://nowhere/cm", "code": "M"}), 404,
            "not-found", "concept_map_not_found", "概念映射不存在")


# ---- authentication, permission, routing ----------------------------------------------------------------

@pytest.mark.parametrize("url", ["/fhir/CodeSystem", "/fhir/CodeSystem/$lookup", "/fhir/ValueSet/$expand",
                                 "/fhir/CodeSystem/$validate-code", "/fhir/CodeSystem/$subsumes",
                                 "/fhir/ConceptMap/$translate", "/fhir/NoSuchThing"])
def test_unauthenticated_is_401(db, url):
    response = APIClient().get(url)
    outcome(response, 401, "login", "not_authenticated")
    assert response["WWW-Authenticate"] == "Bearer"


def test_bad_token_is_401(db):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer wj_nonsense")
    outcome(client.get("/fhir/CodeSystem"), 401, "login", "authentication_failed")


@pytest.mark.parametrize("url", ["/fhir/CodeSystem", "/fhir/CodeSystem/$lookup?system=x&code=y",
                                 "/fhir/ValueSet", "/fhir/ValueSet/$expand?url=x",
                                 "/fhir/ValueSet/$validate-code?url=x&code=y",
                                 "/fhir/CodeSystem/$validate-code?url=x&code=y",
                                 "/fhir/CodeSystem/$subsumes?system=x&codeA=y&codeB=z",
                                 "/fhir/ConceptMap", "/fhir/ConceptMap/$translate?url=x&code=y"])
def test_roles_without_terminology_are_403(api, terms, url):
    outcome(api("system_admin").get(url), 403, "forbidden", "permission_denied")


def test_session_login_works_too(client, world, terms):
    client.force_login(world.user("district_a"))
    body = fhir(client.get("/fhir/CodeSystem/$lookup", {"system": LAB, "code": "HB"}))
    assert params(body)["display"] == "血红蛋白"


def test_unknown_route_and_method(api, terms):
    client = api("district_a")
    outcome(client.get("/fhir/Basic/1"), 404, "not-found", "not_found")
    outcome(client.delete(f"/fhir/CodeSystem/{terms.lab.pk}"), 405, "not-supported", "method_not_allowed")
