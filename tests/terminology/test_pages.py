"""The dictionary pages: readers browse, the information centre edits and imports code systems, an
institution imports into its own concept maps only; refusals are 403, import row errors 422."""

import pytest
from django.urls import reverse

from tests.terminology.conftest import LAB
from weijian.audit.models import AuditEvent
from weijian.terminology.models import Concept, ConceptMap, ConceptMapElement

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _csv(text: str, name: str = "rows.csv"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")


@pytest.mark.parametrize("key", ["worker_a1", "institution_a1", "commission_info"])
def test_lists_and_pages_render_for_readers_and_the_information_centre(world, client_for, terms, key):
    client = client_for(world.user(key))
    listing = client.get(reverse("terminology:code-system-list"), {"q": "检验"})
    assert listing.status_code == 200 and "检验项目" in listing.content.decode()
    page = client.get(reverse("terminology:code-system-detail", args=[terms.lab.pk]), {"q": "GLU"})
    body = page.content.decode()
    assert page.status_code == 200 and "空腹血糖" in body and "<code>HB</code>" not in body
    writer = key == "commission_info"
    assert ("新增概念" in body) is writer and ("导入概念" in body) is writer
    vs = client.get(reverse("terminology:value-set-detail", args=[terms.lab_vs.pk]), {"filter": "GLU"})
    assert vs.status_code == 200 and "空腹血糖" in vs.content.decode() and "血钾" not in vs.content.decode()
    assert client.get(reverse("terminology:value-set-list")).status_code == 200
    maps = client.get(reverse("terminology:concept-map-list"))
    assert maps.status_code == 200 and "锦江区人民医院性别对照" in maps.content.decode()
    cmap = client.get(reverse("terminology:concept-map-detail", args=[terms.a1_map.pk])).content.decode()
    assert ("导入映射" in cmap) is (key in ("commission_info", "institution_a1"))


def test_empty_states_are_chinese(world, client_for):
    client = client_for(world.user("commission_info"))
    assert "暂无映射表" in client.get(reverse("terminology:concept-map-list")).content.decode()


def test_a_reader_sees_no_write_forms_and_cannot_post(world, client_for, terms):
    client = client_for(world.user("worker_a1"))
    glu = terms.lab.concepts.get(code="GLU")
    posts = [
        (reverse("terminology:concept-add", args=[terms.lab.pk]), {"add-code": "NA", "add-display": "血钠"}),
        (reverse("terminology:concept-import", args=[terms.lab.pk]), {"import-file": _csv("代码,名称\nNA,血钠\n")}),
        (reverse("terminology:concept-edit", args=[terms.lab.pk, glu.pk]), {"display": "改"}),
        (reverse("terminology:concept-deactivate", args=[terms.lab.pk, glu.pk]), {}),
        (reverse("terminology:concept-map-import", args=[terms.a1_map.pk]),
         {"import-file": _csv("本地代码,本地名称,标准代码,标准名称\nX,未知,9,\n")}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code in (403, 404), url
    assert not terms.lab.concepts.filter(code="NA").exists()
    assert terms.lab.concepts.get(code="GLU").is_active
    assert client.get(reverse("terminology:code-system-list"), {"export": "xlsx"}).status_code == 403


def test_the_information_centre_adds_edits_and_retires_a_concept_with_history(world, client_for, terms):
    client = client_for(world.user("commission_info"))
    detail = reverse("terminology:code-system-detail", args=[terms.lab.pk])
    bad = client.post(reverse("terminology:concept-add", args=[terms.lab.pk]),
                      {"add-code": "NA", "add-display": "血钠", "add-parent_code": "NOPE"})
    assert bad.status_code == 422 and "上级代码在本代码系统中不存在" in bad.content.decode()
    response = client.post(reverse("terminology:concept-add", args=[terms.lab.pk]),
                           {"add-code": "NA", "add-display": "血钠", "add-parent_code": "GLU"})
    assert response.status_code == 302
    concept = terms.lab.concepts.get(code="NA")
    assert concept.parent.code == "GLU"
    assert AuditEvent.objects.filter(entity="terminology-code-system", entity_id=str(terms.lab.pk),
                                     summary="NA 血钠").exists()
    page = client.get(detail).content.decode()
    assert "变更记录" in page and "NA 血钠" in page
    edit = reverse("terminology:concept-edit", args=[terms.lab.pk, concept.pk])
    assert client.get(edit).status_code == 200
    assert client.post(edit, {"display": "血清钠", "parent_code": ""}).status_code == 302
    concept.refresh_from_db()
    assert (concept.display, concept.parent_id) == ("血清钠", None)
    assert client.post(reverse("terminology:concept-deactivate", args=[terms.lab.pk, concept.pk])).status_code == 302
    concept.refresh_from_db()
    assert not concept.is_active


def test_a_concept_import_with_a_bad_row_writes_nothing_then_a_good_one_counts(world, client_for, terms):
    client = client_for(world.user("commission_info"))
    url = reverse("terminology:concept-import", args=[terms.lab.pk])
    before = Concept.objects.count()
    bad = client.post(url, {"import-file": _csv("代码,名称,上级代码\nNA,血钠,\nCL,,NOPE\n")})
    body = bad.content.decode()
    assert bad.status_code == 422
    assert "第 3 行：名称不能为空" in body and "第 3 行：上级代码在本代码系统中不存在（NOPE）" in body
    assert Concept.objects.count() == before
    good = client.post(url, {"import-file": _csv("代码,名称,上级代码\nNA,血钠,\nCL,血氯,NA\nHB,血红蛋白,\n")},
                       follow=True)
    assert good.status_code == 200
    assert "导入完成：新增 2 条，更新 0 条，未变 1 条" in good.content.decode()
    assert terms.lab.concepts.get(code="CL").parent.code == "NA"


def test_an_institution_imports_into_its_own_map_only(world, client_for, terms, django_user_model):
    from weijian.terminology import services

    other = services.concept_map_create(actor=world.user("institution_b1"), url="http://test.local/ConceptMap/b1",
                                        name="B1", source_system="http://test.local/CodeSystem/b1",
                                        target_system=terms.a1_map.target_system, source_institution=world.inst_b1)
    client = client_for(world.user("institution_a1"))
    rows = "本地代码,本地名称,标准代码,标准名称\nX,未说明,9,\n"
    own = client.post(reverse("terminology:concept-map-import", args=[terms.a1_map.pk]),
                      {"import-file": _csv(rows)}, follow=True)
    assert own.status_code == 200 and "新增 1 条" in own.content.decode()
    element = ConceptMapElement.objects.get(concept_map=terms.a1_map, source_code="X")
    assert element.target_display == "未说明的性别"
    page = client.get(reverse("terminology:concept-map-detail", args=[other.pk])).content.decode()
    assert "导入映射" not in page
    refused = client.post(reverse("terminology:concept-map-import", args=[other.pk]), {"import-file": _csv(rows)})
    assert refused.status_code == 403
    assert not ConceptMap.objects.get(pk=other.pk).elements.exists()
    bad = client.post(reverse("terminology:concept-map-import", args=[terms.a1_map.pk]),
                      {"import-file": _csv("本地代码,本地名称,标准代码,标准名称\nY,怪,77,\n")})
    assert bad.status_code == 422 and "标准代码不在目标代码系统中（77）" in bad.content.decode()


def test_export_returns_xlsx(world, client_for, terms):
    response = client_for(world.user("commission_info")).get(reverse("terminology:code-system-list"),
                                                             {"export": "xlsx", "q": LAB})
    assert response.status_code == 200 and response["Content-Type"] == XLSX
    assert response.content[:2] == b"PK"


def test_the_translate_box_returns_the_standard_code(world, client_for, terms):
    page = client_for(world.user("worker_a1")).get(reverse("terminology:concept-map-detail", args=[terms.a1_map.pk]),
                                                   {"t-code": "F"})
    body = page.content.decode()
    assert page.status_code == 200 and "<code>2</code> 女性" in body
    missing = client_for(world.user("worker_a1")).get(
        reverse("terminology:concept-map-detail", args=[terms.a1_map.pk]), {"t-code": "Q"})
    assert "映射中没有代码“Q”" in missing.content.decode()


def test_the_navigation_offers_the_dictionary(world, client_for, terms):
    response = client_for(world.user("institution_a1")).get(reverse("terminology:value-set-list"))
    labels = [(str(i["label"]), i["active"]) for i in response.context["nav_items"]]
    assert ("术语字典", True) in labels
    tabs = [(str(t["label"]), t["active"]) for t in response.context["section_tabs"]]
    assert tabs == [("代码系统", False), ("值集", True), ("映射表", False)]
