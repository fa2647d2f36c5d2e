"""Creating code systems, value sets and concept maps from the dictionary pages (新建…): the information
centre creates all three, an institution only concept maps of its own local codes, everyone else is
refused (403); form errors come back in Chinese with 422 and write nothing; each creation is audited."""

import pytest
from django.urls import reverse

from tests.terminology.conftest import LAB, LOCAL_SEX, SEX
from weijian.audit.models import AuditEvent
from weijian.terminology.models import CodeSystem, ConceptMap, ValueSet
from weijian.terminology.services import resolve_code_system

pytestmark = pytest.mark.django_db

URL_INVALID = "规范地址无效：应以 http://、https:// 或 urn: 开头，且不含空格"
TAKEN = "该规范地址和版本的资源已存在"
BLOOD = "http://test.local/CodeSystem/blood"
NEW_VS = "http://test.local/ValueSet/new"
NEW_MAP = "http://test.local/ConceptMap/new"


def _audits(entity: str) -> int:
    return AuditEvent.objects.filter(entity=entity).count()


def _code_system_data(**changes) -> dict:
    data = {"name": "Blood", "title": "血型", "url": BLOOD, "version": "2024", "status": "active",
            "standard": "WS 364.3", "publisher": "测试", "description": "", "is_case_sensitive": "on",
            "content": "complete"}
    return {**data, **changes}


def _value_set_data(systems, **changes) -> dict:
    data = {"name": "New", "title": "新值集", "url": NEW_VS, "version": "", "status": "active",
            "description": "", "code_systems": [s.pk for s in systems], "codes": ""}
    return {**data, **changes}


def _map_data(target, **changes) -> dict:
    data = {"name": "NewMap", "title": "新映射表", "url": NEW_MAP, "version": "", "status": "active",
            "description": "", "source_system": LOCAL_SEX, "target_system": target.pk, "source_institution": ""}
    return {**data, **changes}


# ---- who sees the buttons and who may create ----------------------------------------------------------------

@pytest.mark.parametrize("key, buttons", [
    ("commission_info", {"新建代码系统", "新建值集", "新建映射表"}),
    ("institution_a1", {"新建映射表"}),
    ("district_a", set()),
    ("commission_science", set()),
    ("worker_a1", set()),
])
def test_the_new_buttons_follow_the_write_rights(world, client_for, terms, key, buttons):
    client = client_for(world.user(key))
    pages = {"新建代码系统": ("terminology:code-system-list", "terminology:code-system-create"),
             "新建值集": ("terminology:value-set-list", "terminology:value-set-create"),
             "新建映射表": ("terminology:concept-map-list", "terminology:concept-map-create")}
    for label, (listing, create) in pages.items():
        body = client.get(reverse(listing)).content.decode()
        shown = f'href="{reverse(create)}">{label}</a>' in body
        assert shown is (label in buttons), (key, label)
        assert client.get(reverse(create)).status_code == (200 if label in buttons else 403), (key, label)


@pytest.mark.parametrize("key", ["institution_a1", "district_a", "commission_science", "worker_a1"])
def test_who_may_not_write_cannot_post_a_code_system_or_value_set(world, client_for, terms, key):
    client = client_for(world.user(key))
    before = (CodeSystem.objects.count(), ValueSet.objects.count(), AuditEvent.objects.count())
    assert client.post(reverse("terminology:code-system-create"), _code_system_data()).status_code == 403
    assert client.post(reverse("terminology:value-set-create"), _value_set_data([terms.lab])).status_code == 403
    assert (CodeSystem.objects.count(), ValueSet.objects.count(), AuditEvent.objects.count()) == before


@pytest.mark.parametrize("key", ["district_a", "commission_science", "worker_a1"])
def test_who_may_not_keep_maps_cannot_post_a_concept_map(world, client_for, terms, key):
    client = client_for(world.user(key))
    response = client.post(reverse("terminology:concept-map-create"),
                           _map_data(terms.lab, source_institution=world.inst_a1.pk))
    assert response.status_code == 403
    assert not ConceptMap.objects.filter(url=NEW_MAP).exists()


def test_anonymous_is_sent_to_the_login_page(client, terms):
    for name in ("terminology:code-system-create", "terminology:value-set-create", "terminology:concept-map-create"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and "login" in response["Location"]


# ---- code systems -------------------------------------------------------------------------------------------

def test_the_information_centre_creates_a_code_system(world, client_for, terms):
    client = client_for(world.user("commission_info"))
    form = client.get(reverse("terminology:code-system-create"))
    assert form.status_code == 200 and "新建代码系统" in form.content.decode()
    response = client.post(reverse("terminology:code-system-create"),
                           _code_system_data(is_case_sensitive="", content="fragment"))
    system = CodeSystem.objects.get(url=BLOOD, version="2024")
    assert response.status_code == 302
    assert response["Location"] == reverse("terminology:code-system-detail", args=[system.pk])
    assert (system.name, system.title, system.standard, system.publisher) == ("Blood", "血型", "WS 364.3", "测试")
    assert (system.status, system.content, system.is_case_sensitive) == ("active", "fragment", False)
    [event] = AuditEvent.objects.filter(entity="terminology-code-system", entity_id=str(system.pk))
    assert (event.action, event.actor_username, event.summary) == ("create", "commission_info", f"{BLOOD}|2024")
    assert event.after["url"] == BLOOD
    page = client.get(response["Location"]).content.decode()
    assert "已新建代码系统：血型（2024）" in page and "该代码系统暂无概念" in page


@pytest.mark.parametrize("changes, field, message", [
    ({"url": "ftp://x"}, "url", URL_INVALID),
    ({"url": "http://has space/cs"}, "url", URL_INVALID),
    ({"url": ""}, "url", "规范地址不能为空"),
    ({"name": ""}, "name", "名称不能为空"),
    ({"name": "   "}, "name", "名称不能为空"),
    ({"url": LAB, "version": "1"}, "url", TAKEN),  # the fixture's LAB, version 1
])
def test_code_system_form_errors_are_chinese_and_write_nothing(world, client_for, terms, changes, field, message):
    client = client_for(world.user("commission_info"))
    count, audits = CodeSystem.objects.count(), _audits("terminology-code-system")
    response = client.post(reverse("terminology:code-system-create"), _code_system_data(**changes))
    assert response.status_code == 422
    assert response.context["form"].errors[field] == [message]
    assert message in response.content.decode()
    assert (CodeSystem.objects.count(), _audits("terminology-code-system")) == (count, audits)


def test_the_same_url_with_another_version_is_a_new_code_system(world, client_for, terms):
    client = client_for(world.user("commission_info"))
    response = client.post(reverse("terminology:code-system-create"), _code_system_data(url=LAB, version="2"))
    assert response.status_code == 302
    assert sorted(CodeSystem.objects.filter(url=LAB).values_list("version", flat=True)) == ["1", "2"]


# ---- value sets ---------------------------------------------------------------------------------------------

def test_a_value_set_of_whole_code_systems(world, client_for, terms):
    sex = resolve_code_system(SEX)
    client = client_for(world.user("commission_info"))
    form = client.get(reverse("terminology:value-set-create")).content.decode()
    assert "检验项目（1）｜http://test.local/CodeSystem/lab" in form
    response = client.post(reverse("terminology:value-set-create"), _value_set_data([terms.lab, sex]))
    value_set = ValueSet.objects.get(url=NEW_VS)
    assert response.status_code == 302
    assert response["Location"] == reverse("terminology:value-set-detail", args=[value_set.pk])
    assert [(i.code_system_id, i.codes) for i in value_set.includes.all()] == [(terms.lab.pk, []), (sex.pk, [])]
    [event] = AuditEvent.objects.filter(entity="terminology-value-set", entity_id=str(value_set.pk))
    assert (event.action, event.actor_username) == ("create", "commission_info")
    assert event.after["compose"] == [{"system": terms.lab.pk, "codes": []}, {"system": sex.pk, "codes": []}]
    page = client.get(response["Location"]).content.decode()
    assert "已新建值集：新值集" in page and "共 7 个有效代码" in page  # 3 active lab codes + 4 sex codes


def test_a_value_set_with_listed_codes_puts_each_under_its_system(world, client_for, terms):
    sex = resolve_code_system(SEX)
    client = client_for(world.user("commission_info"))
    response = client.post(reverse("terminology:value-set-create"),
                           _value_set_data([terms.lab, sex], codes="glu，1\n2、hb"))  # LAB is case-insensitive
    assert response.status_code == 302
    value_set = ValueSet.objects.get(url=NEW_VS)
    assert [(i.code_system_id, i.codes) for i in value_set.includes.all()] == [
        (terms.lab.pk, ["GLU", "HB"]), (sex.pk, ["1", "2"])]


@pytest.mark.parametrize("which, codes, field, message", [
    ("none", "", "code_systems", "值集至少应包含一个代码系统"),
    ("lab", "GLU ZZ YY", "codes", "列出的代码不在所选代码系统中（ZZ、YY）"),
    ("both", "GLU", "codes", "所选代码系统不含任何列出的代码（人的性别代码）"),
    ("lab", "", "url", TAKEN),  # taken below
])
def test_value_set_form_errors_are_chinese_and_write_nothing(world, client_for, terms, which, codes, field,
                                                              message):
    systems = {"none": [], "lab": [terms.lab], "both": [terms.lab, resolve_code_system(SEX)]}[which]
    url = terms.lab_vs.url if message == TAKEN else NEW_VS
    client = client_for(world.user("commission_info"))
    count, audits = ValueSet.objects.count(), _audits("terminology-value-set")
    response = client.post(reverse("terminology:value-set-create"), _value_set_data(systems, codes=codes, url=url))
    assert response.status_code == 422
    assert response.context["form"].errors[field] == [message]
    assert message in response.content.decode()
    assert (ValueSet.objects.count(), _audits("terminology-value-set")) == (count, audits)


def test_a_value_set_cannot_name_an_unknown_code_system(world, client_for, terms):
    response = client_for(world.user("commission_info")).post(
        reverse("terminology:value-set-create"), {**_value_set_data([terms.lab]), "code_systems": [999999]})
    assert response.status_code == 422
    assert response.context["form"].errors["code_systems"] == ["代码系统不存在"]


# ---- concept maps -------------------------------------------------------------------------------------------

def test_the_information_centre_creates_city_wide_and_institution_maps(world, client_for, terms):
    sex = resolve_code_system(SEX)
    client = client_for(world.user("commission_info"))
    form = client.get(reverse("terminology:concept-map-create"))
    choices = [label for _value, label in form.context["form"].fields["source_institution"].choices]
    assert choices[0] == "全市通用" and len(choices) == 4  # city-wide + the three institutions
    response = client.post(reverse("terminology:concept-map-create"), _map_data(sex))
    concept_map = ConceptMap.objects.get(url=NEW_MAP)
    assert response.status_code == 302
    assert response["Location"] == reverse("terminology:concept-map-detail", args=[concept_map.pk])
    assert (concept_map.source_system, concept_map.target_system, concept_map.source_institution) == (
        LOCAL_SEX, SEX, None)
    [event] = AuditEvent.objects.filter(entity="terminology-concept-map", entity_id=str(concept_map.pk))
    assert (event.action, event.actor_username) == ("create", "commission_info")
    page = client.get(response["Location"]).content.decode()
    assert "已新建映射表：新映射表" in page and "全市通用" in page

    other = client.post(reverse("terminology:concept-map-create"),
                        _map_data(sex, url=NEW_MAP + "-b1", source_institution=world.inst_b1.pk))
    assert other.status_code == 302
    assert ConceptMap.objects.get(url=NEW_MAP + "-b1").source_institution == world.inst_b1


def test_an_institution_creates_maps_of_its_own_codes_only(world, client_for, terms):
    sex = resolve_code_system(SEX)
    client = client_for(world.user("institution_a1"))
    form = client.get(reverse("terminology:concept-map-create"))
    assert form.status_code == 200
    field = form.context["form"].fields["source_institution"]
    assert field.required and list(field.queryset) == [world.inst_a1]
    assert [label for _value, label in field.choices] == [str(world.inst_a1)]  # no 全市通用 choice

    other = client.post(reverse("terminology:concept-map-create"),
                        _map_data(sex, source_institution=world.inst_b1.pk))
    assert other.status_code == 422
    assert other.context["form"].errors["source_institution"] == ["来源机构不存在或不在您的管辖范围内"]
    city_wide = client.post(reverse("terminology:concept-map-create"), _map_data(sex))
    assert city_wide.status_code == 422
    assert city_wide.context["form"].errors["source_institution"] == ["请选择来源机构"]
    assert not ConceptMap.objects.filter(url=NEW_MAP).exists()

    own = client.post(reverse("terminology:concept-map-create"), _map_data(sex, source_institution=world.inst_a1.pk))
    assert own.status_code == 302
    concept_map = ConceptMap.objects.get(url=NEW_MAP)
    assert concept_map.source_institution == world.inst_a1
    [event] = AuditEvent.objects.filter(entity="terminology-concept-map", entity_id=str(concept_map.pk))
    assert (event.action, event.actor_username) == ("create", "institution_a1")
    page = client.get(own["Location"]).content.decode()
    assert "导入映射" in page  # the institution keeps the map it created


@pytest.mark.parametrize("changes, field, message", [
    ({"source_system": "local-sex"}, "source_system", URL_INVALID),
    ({"source_system": ""}, "source_system", "源代码系统不能为空"),
    ({"target_system": ""}, "target_system", "请选择目标代码系统"),
    ({"target_system": 999999}, "target_system", "代码系统不存在"),
    ({"url": "not a url"}, "url", URL_INVALID),
    ({"name": ""}, "name", "名称不能为空"),
    ({"url": "http://test.local/ConceptMap/a1-sex"}, "url", TAKEN),  # the fixture's map
])
def test_concept_map_form_errors_are_chinese_and_write_nothing(world, client_for, terms, changes, field, message):
    client = client_for(world.user("commission_info"))
    count, audits = ConceptMap.objects.count(), _audits("terminology-concept-map")
    response = client.post(reverse("terminology:concept-map-create"), _map_data(terms.lab, **changes))
    assert response.status_code == 422
    assert response.context["form"].errors[field] == [message]
    assert message in response.content.decode()
    assert (ConceptMap.objects.count(), _audits("terminology-concept-map")) == (count, audits)
