"""The four FHIR terminology operations, with hand-written expectations."""

import pytest

from tests.terminology.conftest import A1_MAP, LAB, LAB_VS, LOCAL_SEX, SEX, SEX_KNOWN_VS
from weijian.core.errors import BusinessError
from weijian.terminology import operations
from weijian.terminology.errors import TerminologyErrorCode as E

pytestmark = pytest.mark.django_db


def test_lookup_hit_with_parent_and_children(terms):
    glu = operations.lookup(LAB, "GLU")
    assert glu["display"] == "葡萄糖"
    assert glu["name"] == "检验项目" and glu["version"] == "1"
    assert glu["parent"] == [] and glu["child"] == ["GLU-F"]
    child = operations.lookup(LAB, "glu-f", version="1")  # LAB is not case sensitive
    assert child["code"] == "GLU-F" and child["parent"] == ["GLU"] and child["child"] == []


def test_lookup_of_seeded_marital_status_hierarchy(db):
    married = operations.lookup("http://weijian.local/fhir/CodeSystem/gb-t-2261-2", "20")
    assert married["display"] == "已婚" and married["child"] == ["21", "22", "23"]


def test_lookup_misses(terms):
    with pytest.raises(BusinessError) as exc:
        operations.lookup(LAB, "NOPE")
    assert exc.value.code == E.CODE_NOT_FOUND
    with pytest.raises(BusinessError) as exc:
        operations.lookup(LAB, "GLU", version="2")
    assert exc.value.code == E.CODE_SYSTEM_NOT_FOUND
    with pytest.raises(BusinessError) as exc:
        operations.lookup(SEX, "m")  # sex codes are case sensitive and numeric
    assert exc.value.code == E.CODE_NOT_FOUND


def test_expand_whole_system_skips_retired_codes(terms):
    result = operations.expand(LAB_VS)
    assert result["total"] == 3
    assert [c["code"] for c in result["contains"]] == ["GLU", "GLU-F", "HB"]
    assert result["contains"][0] == {"system": LAB, "version": "1", "code": "GLU", "display": "葡萄糖"}


def test_expand_filter_by_code_prefix_or_display(terms):
    assert [c["code"] for c in operations.expand(LAB_VS, filter="GLU")["contains"]] == ["GLU", "GLU-F"]
    assert [c["code"] for c in operations.expand(LAB_VS, filter="血")["contains"]] == ["GLU-F", "HB"]


def test_expand_paging(terms):
    page = operations.expand(LAB_VS, offset=1, count=1)
    assert page["total"] == 3 and page["offset"] == 1
    assert [c["code"] for c in page["contains"]] == ["GLU-F"]
    assert operations.expand(LAB_VS, offset=3, count=10)["contains"] == []
    with pytest.raises(BusinessError) as exc:
        operations.expand(LAB_VS, offset=-1)
    assert exc.value.code == E.PAGING_INVALID


def test_expand_listed_codes_and_missing_value_set(terms):
    result = operations.expand(SEX_KNOWN_VS)
    assert [(c["code"], c["display"]) for c in result["contains"]] == [("1", "男性"), ("2", "女性")]
    with pytest.raises(BusinessError) as exc:
        operations.expand("http://test.local/ValueSet/none")
    assert exc.value.code == E.VALUE_SET_NOT_FOUND


def test_validate_code_in_value_set(terms):
    assert operations.validate_code(valueset_url=SEX_KNOWN_VS, code="1") == {
        "result": True, "display": "男性", "message": ""}
    outside = operations.validate_code(valueset_url=SEX_KNOWN_VS, code="9")  # in the system, not the set
    assert outside["result"] is False and "9" in outside["message"]


def test_validate_code_wrong_display_is_a_warning(terms):
    result = operations.validate_code(valueset_url=SEX_KNOWN_VS, system=SEX, code="2", display="女")
    assert result["result"] is True
    assert result["message"] == "名称“女”与标准名称“女性”不一致"


def test_validate_code_against_a_system(terms):
    assert operations.validate_code(system=LAB, code="hb")["result"] is True
    retired = operations.validate_code(system=LAB, code="K")
    assert retired == {"result": False, "display": "血钾", "message": "代码“K”已停用"}
    assert operations.validate_code(system=LAB, code="X")["result"] is False


def test_translate_local_code_to_standard(terms):
    by_url = operations.translate(concept_map_url=A1_MAP, code="M")
    assert by_url == {"result": True, "message": "", "matches": [
        {"equivalence": "equivalent", "system": SEX, "code": "1", "display": "男性", "source": A1_MAP}]}
    by_systems = operations.translate(source_system=LOCAL_SEX, target_system=SEX, code="F")
    assert by_systems["result"] is True and by_systems["matches"][0]["display"] == "女性"  # filled from GB/T 2261.1


def test_translate_unmatched_and_unknown(terms):
    unmatched = operations.translate(concept_map_url=A1_MAP, code="U")
    assert unmatched["result"] is False
    assert unmatched["matches"] == [{"equivalence": "unmatched", "system": "", "code": "", "display": "",
                                     "source": A1_MAP}]
    unknown = operations.translate(concept_map_url=A1_MAP, code="Q")
    assert unknown == {"result": False, "message": "映射中没有代码“Q”", "matches": []}
    with pytest.raises(BusinessError) as exc:
        operations.translate(source_system=LOCAL_SEX, target_system=LAB, code="M")
    assert exc.value.code == E.CONCEPT_MAP_NOT_FOUND


# ---- CodeSystem/$validate-code ----------------------------------------------------------------------------

def test_code_system_validate_code(terms):
    assert operations.code_system_validate_code(system=LAB, code="glu-f") == {  # LAB is not case sensitive
        "result": True, "display": "空腹血糖", "message": ""}
    assert operations.code_system_validate_code(system=SEX, code="1", display="男") == {
        "result": True, "display": "男性", "message": "名称“男”与标准名称“男性”不一致"}
    assert operations.code_system_validate_code(system=SEX, code="3") == {
        "result": False, "display": "", "message": f"代码“3”不在“{SEX}”中"}
    assert operations.code_system_validate_code(code_system=terms.lab, code="K") == {
        "result": False, "display": "血钾", "message": "代码“K”已停用"}
    assert operations.code_system_validate_code(system=LAB, version="1", code="HB")["result"] is True
    with pytest.raises(BusinessError) as exc:
        operations.code_system_validate_code(system=LAB, version="2", code="HB")
    assert exc.value.code == E.CODE_SYSTEM_NOT_FOUND
    with pytest.raises(BusinessError) as exc:
        operations.code_system_validate_code(system="http://nowhere/cs", code="HB")
    assert exc.value.code == E.CODE_SYSTEM_NOT_FOUND and exc.value.message == "代码系统不存在"


# ---- CodeSystem/$subsumes -----------------------------------------------------------------------------------

@pytest.mark.parametrize("code_a, code_b, outcome", [
    ("GLU", "GLU", "equivalent"),
    ("GLU", "glu", "equivalent"),  # LAB is not case sensitive
    ("GLU", "GLU-F", "subsumes"),
    ("GLU", "GLU-F2", "subsumes"),  # two levels down
    ("GLU-F2", "GLU", "subsumed-by"),
    ("GLU-F", "GLU", "subsumed-by"),
    ("GLU-F", "HB", "not-subsumed"),
    ("HB", "K", "not-subsumed"),  # K is retired: still in the hierarchy, related to nothing here
])
def test_subsumes_follows_the_parent_links(world, terms, code_a, code_b, outcome):
    from weijian.terminology import services

    services.concept_add(actor=world.user("commission_info"), code_system=terms.lab, code="GLU-F2",
                         display="空腹血糖（静脉）", parent_code="GLU-F")
    result = operations.subsumes(system=LAB, code_a=code_a, code_b=code_b)
    assert result["outcome"] == outcome
    assert (result["system"], result["version"]) == (LAB, "1")


def test_subsumes_in_the_seeded_marital_status(db):
    marital = "http://weijian.local/fhir/CodeSystem/gb-t-2261-2"
    assert operations.subsumes(system=marital, code_a="20", code_b="22")["outcome"] == "subsumes"
    assert operations.subsumes(system=marital, code_a="21", code_b="20")["outcome"] == "subsumed-by"
    assert operations.subsumes(system=marital, code_a="21", code_b="22")["outcome"] == "not-subsumed"
    assert operations.subsumes(system=marital, code_a="10", code_b="20")["outcome"] == "not-subsumed"


def test_subsumes_of_the_code_system_row_and_its_errors(terms):
    assert operations.subsumes(code_system=terms.lab, code_a="GLU-F", code_b="GLU")["outcome"] == "subsumed-by"
    with pytest.raises(BusinessError) as exc:
        operations.subsumes(system=LAB, code_a="GLU", code_b="NOPE")
    assert exc.value.code == E.CODE_NOT_FOUND and exc.value.message == "代码不存在（NOPE）"
    assert exc.value.extra["parameter"] == "codeB"
    with pytest.raises(BusinessError) as exc:
        operations.subsumes(system=LAB, code_a="X", code_b="GLU")
    assert exc.value.extra["parameter"] == "codeA"
    with pytest.raises(BusinessError) as exc:
        operations.subsumes(system="http://nowhere/cs", code_a="GLU", code_b="GLU")
    assert exc.value.code == E.CODE_SYSTEM_NOT_FOUND
    with pytest.raises(BusinessError) as exc:
        operations.subsumes(system=SEX, code_a="m", code_b="1")  # sex codes are case sensitive
    assert exc.value.code == E.CODE_NOT_FOUND
