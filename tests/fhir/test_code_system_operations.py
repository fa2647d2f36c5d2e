"""CodeSystem/$validate-code and CodeSystem/$subsumes under /fhir/, by GET and by POST Parameters, at type and
instance level, against the small terminology of tests/terminology (LAB: GLU → GLU-F, HB, K retired)."""

import pytest
from rest_framework.test import APIClient

from tests.fhir.test_terminology_api import fhir, outcome, params, post_parameters
from tests.terminology.conftest import LAB, SEX
from weijian.terminology import services

pytestmark = pytest.mark.django_db

MARITAL = "http://weijian.local/fhir/CodeSystem/gb-t-2261-2"


# ---- CodeSystem/$validate-code ------------------------------------------------------------------------------

def test_validate_code_by_get(api, terms):
    client = api("worker_a1")
    body = fhir(client.get("/fhir/CodeSystem/$validate-code", {"url": LAB, "code": "glu"}))
    assert body == {"resourceType": "Parameters", "parameter": [
        {"name": "result", "valueBoolean": True},
        {"name": "display", "valueString": "葡萄糖"},
    ]}
    warned = params(fhir(client.get("/fhir/CodeSystem/$validate-code",
                                    {"url": SEX, "code": "2", "display": "女", "version": "2003"})))
    assert warned == {"result": True, "message": "名称“女”与标准名称“女性”不一致", "display": "女性"}
    missing = params(fhir(client.get("/fhir/CodeSystem/$validate-code", {"url": SEX, "code": "3"})))
    assert missing == {"result": False, "message": f"代码“3”不在“{SEX}”中"}
    retired = params(fhir(client.get("/fhir/CodeSystem/$validate-code", {"url": LAB, "code": "K"})))
    assert retired == {"result": False, "message": "代码“K”已停用", "display": "血钾"}


def test_validate_code_by_post_and_on_an_instance(api, terms):
    client = api("institution_a1")
    posted = params(fhir(post_parameters(client, "/fhir/CodeSystem/$validate-code",
                                         {"name": "url", "valueUri": LAB}, {"name": "code", "valueCode": "HB"},
                                         {"name": "display", "valueString": "血红蛋白"})))
    assert posted == {"result": True, "display": "血红蛋白"}
    coding = params(fhir(post_parameters(client, "/fhir/CodeSystem/$validate-code",
                                         {"name": "coding", "valueCoding": {"system": SEX, "code": "9"}})))
    assert coding == {"result": True, "display": "未说明的性别"}
    instance = params(fhir(client.get(f"/fhir/CodeSystem/{terms.lab.pk}/$validate-code", {"code": "GLU-F"})))
    assert instance == {"result": True, "display": "空腹血糖"}
    posted_instance = params(fhir(post_parameters(client, f"/fhir/CodeSystem/{terms.lab.pk}/$validate-code",
                                                  {"name": "code", "valueCode": "NA"})))
    assert posted_instance == {"result": False, "message": f"代码“NA”不在“{LAB}”中"}


def test_validate_code_errors(api, terms):
    client = api("institution_a1")
    entry = outcome(client.get("/fhir/CodeSystem/$validate-code", {"code": "GLU"}), 400, "required", "url_invalid",
                    "规范地址无效：应以 http://、https:// 或 urn: 开头，且不含空格")
    assert entry["expression"] == ["url"]
    entry = outcome(client.get("/fhir/CodeSystem/$validate-code", {"url": LAB}), 400, "required", "code_required",
                    "代码不能为空")
    assert entry["expression"] == ["code"]
    outcome(client.get("/fhir/CodeSystem/$validate-code", {"url": "http://nowhere/cs", "code": "1"}), 404,
            "not-found", "code_system_not_found", "代码系统不存在")
    outcome(client.get("/fhir/CodeSystem/$validate-code", {"url": LAB, "version": "9", "code": "GLU"}), 404,
            "not-found", "code_system_not_found")
    outcome(client.get("/fhir/CodeSystem/999999/$validate-code", {"code": "GLU"}), 404, "not-found", "not_found")
    outcome(client.post("/fhir/CodeSystem/$validate-code", '{"resourceType": "Patient"}', format=None,
                        content_type="application/fhir+json"), 400, "structure", "fhir_invalid")


# ---- CodeSystem/$subsumes -----------------------------------------------------------------------------------

@pytest.mark.parametrize("code_a, code_b, expected", [
    ("GLU", "GLU", "equivalent"),
    ("glu-f", "GLU-F", "equivalent"),
    ("GLU", "GLU-F", "subsumes"),
    ("GLU", "GLU-F2", "subsumes"),
    ("GLU-F2", "GLU", "subsumed-by"),
    ("HB", "GLU", "not-subsumed"),
])
def test_subsumes_by_get(api, world, terms, code_a, code_b, expected):
    services.concept_add(actor=world.user("commission_info"), code_system=terms.lab, code="GLU-F2",
                         display="空腹血糖（静脉）", parent_code="GLU-F")
    body = fhir(api("district_a").get("/fhir/CodeSystem/$subsumes", {"system": LAB, "codeA": code_a, "codeB": code_b}))
    assert body == {"resourceType": "Parameters", "parameter": [{"name": "outcome", "valueCode": expected}]}


def test_subsumes_by_post_with_codes_and_codings_and_on_an_instance(api, terms):
    client = api("worker_a1")
    codes = params(fhir(post_parameters(client, "/fhir/CodeSystem/$subsumes",
                                        {"name": "system", "valueUri": MARITAL},
                                        {"name": "codeA", "valueCode": "20"}, {"name": "codeB", "valueCode": "23"})))
    assert codes == {"outcome": "subsumes"}
    codings = params(fhir(post_parameters(client, "/fhir/CodeSystem/$subsumes",
                                          {"name": "codingA", "valueCoding": {"system": MARITAL, "code": "22"}},
                                          {"name": "codingB", "valueCoding": {"system": MARITAL, "code": "20"}})))
    assert codings == {"outcome": "subsumed-by"}
    instance = params(fhir(client.get(f"/fhir/CodeSystem/{terms.lab.pk}/$subsumes", {"codeA": "HB", "codeB": "K"})))
    assert instance == {"outcome": "not-subsumed"}
    on_instance = params(fhir(post_parameters(client, f"/fhir/CodeSystem/{terms.lab.pk}/$subsumes",
                                              {"name": "codingA", "valueCoding": {"system": LAB, "code": "GLU-F"}},
                                              {"name": "codeB", "valueCode": "GLU"})))
    assert on_instance == {"outcome": "subsumed-by"}


def test_subsumes_errors(api, terms):
    client = api("worker_a1")
    entry = outcome(client.get("/fhir/CodeSystem/$subsumes", {"codeA": "GLU", "codeB": "HB"}), 400, "required",
                    "url_invalid")
    assert entry["expression"] == ["system"]
    entry = outcome(client.get("/fhir/CodeSystem/$subsumes", {"system": LAB, "codeA": "GLU"}), 400, "required",
                    "code_required", "代码不能为空")
    assert entry["expression"] == ["codeB"]
    entry = outcome(client.get("/fhir/CodeSystem/$subsumes", {"system": LAB, "codeA": "NOPE", "codeB": "GLU"}), 404,
                    "not-found", "code_not_found", "代码不存在（NOPE）")
    assert entry["expression"] == ["codeA"]
    outcome(client.get("/fhir/CodeSystem/$subsumes", {"system": "http://nowhere/cs", "codeA": "A", "codeB": "B"}),
            404, "not-found", "code_system_not_found", "代码系统不存在")
    differ = outcome(post_parameters(client, "/fhir/CodeSystem/$subsumes",
                                     {"name": "codingA", "valueCoding": {"system": LAB, "code": "GLU"}},
                                     {"name": "codingB", "valueCoding": {"system": SEX, "code": "1"}}),
                     400, "invalid", "systems_differ", "两个代码应属于同一代码系统")
    assert differ["expression"] == ["codingB"]
    outcome(post_parameters(client, f"/fhir/CodeSystem/{terms.lab.pk}/$subsumes",
                            {"name": "codingA", "valueCoding": {"system": SEX, "code": "1"}},
                            {"name": "codeB", "valueCode": "GLU"}), 400, "invalid", "systems_differ")
    outcome(client.get("/fhir/CodeSystem/999999/$subsumes", {"codeA": "A", "codeB": "B"}), 404, "not-found",
            "not_found")


# ---- authentication and permission --------------------------------------------------------------------------

@pytest.mark.parametrize("url", [
    "/fhir/CodeSystem/$validate-code?url={LAB}&code=GLU", "/fhir/CodeSystem/{pk}/$validate-code?code=GLU",
    "/fhir/CodeSystem/$subsumes?system={LAB}&codeA=GLU&codeB=HB", "/fhir/CodeSystem/{pk}/$subsumes?codeA=GLU&codeB=HB",
])
@pytest.mark.parametrize("key", ["system_admin", "expert", "audit_admin"])
def test_roles_without_terminology_are_refused(api, terms, url, key):
    outcome(api(key).get(url.format(LAB=LAB, pk=terms.lab.pk)), 403, "forbidden", "permission_denied")


@pytest.mark.parametrize("url", ["/fhir/CodeSystem/$validate-code", "/fhir/CodeSystem/$subsumes",
                                 "/fhir/CodeSystem/1/$validate-code", "/fhir/CodeSystem/1/$subsumes"])
def test_unauthenticated_is_401(db, url):
    response = APIClient().post(url, {"resourceType": "Parameters", "parameter": []}, format="json")
    outcome(response, 401, "login", "not_authenticated")
    assert response["WWW-Authenticate"] == "Bearer"


def test_session_login_works_too(client, world, terms):
    client.force_login(world.user("institution_b1"))
    body = fhir(client.get("/fhir/CodeSystem/$subsumes", {"system": LAB, "codeA": "GLU", "codeB": "GLU-F"}))
    assert params(body) == {"outcome": "subsumes"}
