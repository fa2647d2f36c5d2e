"""Imports: every bad row listed in Chinese and nothing written; the same file twice changes nothing."""

import pytest

from tests.terminology.conftest import A1_MAP, LAB, SEX
from weijian.audit.models import AuditEvent
from weijian.core.errors import BusinessError
from weijian.core.spreadsheets import csv_bytes, xlsx_bytes
from weijian.terminology import operations, services
from weijian.terminology.errors import TerminologyErrorCode as E
from weijian.terminology.models import CodeSystem, Concept, ConceptMap, ValueSet

pytestmark = pytest.mark.django_db

HEADERS = ["代码", "名称", "上级代码", "说明"]
ROWS = [["D", "诊断", "", ""], ["D1", "高血压", "D", "原发性"], ["D2", "糖尿病", "D", ""]]


@pytest.fixture
def dx(world):
    return services.code_system_create(actor=world.user("commission_info"), url="urn:oid:2.16.156.99.1",
                                       name="Dx", title="诊断")


def test_concepts_from_xlsx_then_same_file_again(world, dx):
    info = world.user("commission_info")
    data = xlsx_bytes(HEADERS, ROWS)
    first = services.concepts_import_file(actor=info, code_system=dx, data=data, filename="诊断.xlsx")
    assert (first.created, first.updated, first.unchanged) == (3, 0, 0)
    assert dx.concepts.get(code="D1").parent.code == "D"
    assert dx.concepts.get(code="D1").definition == "原发性"
    audits = AuditEvent.objects.filter(entity="terminology-code-system", entity_id=str(dx.pk), action="create")
    assert audits.count() == 4  # the code system and its three concepts
    again = services.concepts_import_file(actor=info, code_system=dx, data=data, filename="诊断.xlsx")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert dx.concepts.count() == 3


def test_concepts_csv_update_counts_changed_rows(world, dx):
    info = world.user("commission_info")
    services.concepts_import_file(actor=info, code_system=dx, data=csv_bytes(HEADERS, ROWS), filename="a.csv")
    changed = [["D", "诊断", "", ""], ["D1", "高血压病", "D", "原发性"], ["D2", "糖尿病", "", ""]]
    result = services.concepts_import_file(actor=info, code_system=dx, data=csv_bytes(HEADERS, changed),
                                           filename="a.csv")
    assert (result.created, result.updated, result.unchanged) == (0, 2, 1)
    assert dx.concepts.get(code="D1").display == "高血压病"
    assert dx.concepts.get(code="D2").parent is None
    update = AuditEvent.objects.get(entity="terminology-code-system", action="update", summary__startswith="D1")
    assert update.before == {"code": "D1", "display": "高血压"}
    assert update.after == {"code": "D1", "display": "高血压病"}


def test_bad_concept_rows_are_all_listed_and_nothing_written(world, dx):
    rows = [["D", "诊断", "", ""], ["", "无代码", "", ""], ["D1", "", "D", ""], ["D", "重复", "", ""],
            ["D3", "孤儿", "X", ""], ["D4", "甲", "D5", ""], ["D5", "乙", "D4", ""]]
    with pytest.raises(BusinessError) as exc:
        services.concepts_import_file(actor=world.user("commission_info"), code_system=dx,
                                      data=csv_bytes(HEADERS, rows), filename="bad.csv")
    assert exc.value.code == E.IMPORT_INVALID
    assert exc.value.extra["errors"] == [
        "第 3 行：代码不能为空",
        "第 4 行：名称不能为空",
        "第 5 行：代码在文件中重复出现（第 2 行）",
        "第 6 行：上级代码在本代码系统中不存在（X）",
        "第 7 行：上级代码构成循环",
        "第 8 行：上级代码构成循环",
    ]
    assert dx.concepts.count() == 0


def test_file_with_wrong_headers_is_rejected(world, dx):
    with pytest.raises(BusinessError) as exc:
        services.concepts_import_file(actor=world.user("commission_info"), code_system=dx,
                                      data=csv_bytes(["编码", "名称"], [["1", "x"]]), filename="x.csv")
    assert exc.value.code == E.FILE_REJECTED
    assert "缺少列：“代码”" in exc.value.message


MAP_HEADERS = ["本地代码", "本地名称", "标准代码", "标准名称", "对应关系"]


def test_map_rows_from_file_twice_and_bad_rows(world, terms):
    a1 = world.user("institution_a1")
    rows = [["9", "未说明", "9", "", "等价"], ["M", "男", "1", "男性", ""]]
    data = xlsx_bytes(MAP_HEADERS, rows)
    first = services.concept_map_import_file(actor=a1, concept_map=terms.a1_map, data=data, filename="map.xlsx")
    assert (first.created, first.updated, first.unchanged) == (1, 0, 1)  # M → 1 came with the fixture
    again = services.concept_map_import_file(actor=a1, concept_map=terms.a1_map, data=data, filename="map.xlsx")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert terms.a1_map.elements.get(source_code="9").target_display == "未说明的性别"
    count = terms.a1_map.elements.count()
    bad = [["X", "x", "", "", ""], ["Y", "y", "7", "", "等价"], ["Z", "z", "1", "", "差不多"],
           ["U", "不详", "0", "", "无对应"], ["X", "x", "", "", ""]]
    with pytest.raises(BusinessError) as exc:
        services.concept_map_import_file(actor=a1, concept_map=terms.a1_map, data=csv_bytes(MAP_HEADERS, bad),
                                         filename="bad.csv")
    assert exc.value.extra["errors"] == [
        "第 2 行：标准代码不能为空（对应关系为“无对应”时除外）",
        "第 3 行：标准代码不在目标代码系统中（7）",
        "第 4 行：对应关系无效，应为：等价、相同、较宽、较窄、近似、无对应",
        "第 5 行：对应关系为“无对应”时不应填写标准代码",
        "第 6 行：标准代码不能为空（对应关系为“无对应”时除外）",
        "第 6 行：同一本地代码与标准代码的对应在文件中重复出现（第 2 行）",
    ]
    assert terms.a1_map.elements.count() == count


FHIR_CS = {
    "resourceType": "CodeSystem", "url": "http://test.local/CodeSystem/visit", "version": "2024",
    "name": "VisitType", "title": "就诊类型", "status": "active", "content": "complete",
    "concept": [
        {"code": "O", "display": "门诊", "concept": [{"code": "OE", "display": "急诊"}]},
        {"code": "I", "display": "住院", "property": [{"code": "order", "valueInteger": 2}]},
    ],
}


def test_fhir_code_system_import_twice(world):
    info = world.user("commission_info")
    system, result = services.fhir_resource_import(actor=info, resource=FHIR_CS)
    assert (result.created, result.unchanged) == (3, 0)
    assert system.title == "就诊类型"
    assert operations.lookup(FHIR_CS["url"], "OE")["parent"] == ["O"]
    assert operations.lookup(FHIR_CS["url"], "I")["properties"] == {"order": 2}
    _system, again = services.fhir_resource_import(actor=info, resource=FHIR_CS)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert CodeSystem.objects.filter(url=FHIR_CS["url"]).count() == 1


def test_fhir_value_set_and_concept_map_import(world, terms):
    info = world.user("commission_info")
    vs = {"resourceType": "ValueSet", "url": "http://test.local/ValueSet/glu", "name": "Glu",
          "compose": {"include": [{"system": LAB, "concept": [{"code": "GLU"}, {"code": "GLU-F"}]}]}}
    value_set, result = services.fhir_resource_import(actor=info, resource=vs)
    assert result.created == 1 and value_set.includes.get().codes == ["GLU", "GLU-F"]
    assert services.fhir_resource_import(actor=info, resource=vs)[1].unchanged == 1
    assert ValueSet.objects.filter(url=vs["url"]).count() == 1
    cm = {"resourceType": "ConceptMap", "url": "http://test.local/ConceptMap/city-sex", "name": "CitySex",
          "group": [{"source": "http://test.local/CodeSystem/old-sex", "target": SEX, "element": [
              {"code": "01", "display": "男", "target": [{"code": "1", "equivalence": "equal"}]},
              {"code": "99", "target": [{"equivalence": "unmatched"}]}]}]}
    concept_map, result = services.fhir_resource_import(actor=info, resource=cm)
    assert result.created == 2 and concept_map.source_institution is None
    assert operations.translate(concept_map_url=cm["url"], code="01")["matches"][0]["display"] == "男性"
    assert services.fhir_resource_import(actor=info, resource=cm)[1].unchanged == 2


def test_bad_fhir_resources_list_every_problem(world, terms):
    info = world.user("commission_info")
    with pytest.raises(BusinessError) as exc:
        services.fhir_resource_import(actor=info, resource={"resourceType": "Patient"})
    assert exc.value.code == E.FHIR_INVALID
    bad = {"resourceType": "CodeSystem", "name": "X", "content": "example",
           "concept": [{"display": "无代码"}, "oops", {"code": "A", "concept": [{"code": "A"}]}]}
    with pytest.raises(BusinessError) as exc:
        services.fhir_resource_import(actor=info, resource=bad)
    assert exc.value.extra["errors"] == [
        "url：缺少必填元素",
        "content：仅支持 complete 或 fragment，收到“example”",
        "concept[0].code：缺少必填元素",
        "concept[1]：应为对象",
    ]
    dup = {**FHIR_CS, "concept": [{"code": "A", "display": "甲"}, {"code": "A", "display": "乙"}]}
    with pytest.raises(BusinessError) as exc:
        services.fhir_resource_import(actor=info, resource=dup)
    assert exc.value.code == E.FHIR_INVALID
    assert exc.value.extra["errors"] == ["concept[1]：代码在文件中重复出现（concept[0]）"]
    assert not CodeSystem.objects.filter(url=FHIR_CS["url"]).exists()  # the code system row rolled back too
    vs = {"resourceType": "ValueSet", "url": "http://test.local/ValueSet/x", "name": "X",
          "compose": {"include": [{"system": LAB, "filter": [{"property": "concept"}]},
                                  {"system": "http://nowhere"}]}}
    with pytest.raises(BusinessError) as exc:
        services.fhir_resource_import(actor=info, resource=vs)
    assert exc.value.extra["errors"] == ["compose.include[0]：仅支持“整个代码系统”或“列出代码”两种组成方式"]
    assert not ConceptMap.objects.filter(url=A1_MAP, version="x").exists()
    assert Concept.objects.filter(code_system__url=FHIR_CS["url"]).count() == 0
