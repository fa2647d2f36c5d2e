"""A small terminology on top of the base world, written through the services.

Code system LAB (http://test.local/CodeSystem/lab, version 1):
  GLU 葡萄糖, GLU-F 空腹血糖 (child of GLU), HB 血红蛋白, K 血钾 (retired)
Value set http://test.local/ValueSet/lab: the whole LAB system.
Value set http://test.local/ValueSet/sex-known: GB/T 2261.1 codes 1 and 2 only.
Concept map http://test.local/ConceptMap/a1-sex of 锦江区人民医院 (inst_a1): its local sex codes → GB/T 2261.1
  M → 1 男性 (equivalent), F → 2 女性 (equivalent), U → unmatched.
"""

from dataclasses import dataclass

import pytest

from weijian.terminology import services
from weijian.terminology.importers import ConceptRow, MapRow
from weijian.terminology.models import CodeSystem, ConceptMap, ValueSet
from weijian.terminology.seed import code_system_url

LAB = "http://test.local/CodeSystem/lab"
LAB_VS = "http://test.local/ValueSet/lab"
SEX_KNOWN_VS = "http://test.local/ValueSet/sex-known"
SEX = code_system_url("gb-t-2261-1")
LOCAL_SEX = "http://test.local/CodeSystem/a1-local-sex"
A1_MAP = "http://test.local/ConceptMap/a1-sex"


@dataclass
class Terms:
    lab: CodeSystem
    lab_vs: ValueSet
    sex_known: ValueSet
    a1_map: ConceptMap


@pytest.fixture
def terms(world) -> Terms:
    info = world.user("commission_info")
    lab = services.code_system_create(actor=info, url=LAB, version="1", name="Lab", title="检验项目",
                                      is_case_sensitive=False)
    services.concepts_import(actor=info, code_system=lab, rows=[
        ConceptRow("1", "GLU", "葡萄糖"), ConceptRow("2", "GLU-F", "空腹血糖", parent_code="GLU"),
        ConceptRow("3", "HB", "血红蛋白"), ConceptRow("4", "K", "血钾"),
    ])
    services.concept_deactivate(actor=info, concept=lab.concepts.get(code="K"))
    lab_vs = services.value_set_create(actor=info, url=LAB_VS, name="Lab", includes=[{"system": LAB}])
    sex_known = services.value_set_create(actor=info, url=SEX_KNOWN_VS, name="SexKnown", title="已知性别",
                                          includes=[{"system": SEX, "codes": ["1", "2"]}])
    a1_map = services.concept_map_create(actor=world.user("institution_a1"), url=A1_MAP, name="A1Sex",
                                         title="锦江区人民医院性别对照", source_system=LOCAL_SEX, target_system=SEX,
                                         source_institution=world.inst_a1)
    services.concept_map_elements_upsert(actor=world.user("institution_a1"), concept_map=a1_map, rows=[
        MapRow("1", "M", "男", "1", "男性"), MapRow("2", "F", "女", "2", ""),
        MapRow("3", "U", "不详", "", "", "无对应"),
    ])
    return Terms(lab, lab_vs, sex_known, a1_map)
