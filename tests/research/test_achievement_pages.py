"""Achievements and the appropriate-technology library through the pages: the list in each reader's scope
(filters, search, export), registration by the institution, the commission's appraisal, award nominations
and results, transfers by the institution, the library searched by primary care, 入库 by the commission and
登记推广 by an institution for itself. Refusals are 403 by role and 404 out of scope; errors are Chinese."""

import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.conftest import ROLE_USERS
from weijian.audit.models import AuditEvent
from weijian.core import crypto
from weijian.research import achievements as svc
from weijian.research.models import Achievement, AppropriateTech, Award, Promotion, TechTransfer

pytestmark = pytest.mark.django_db

PANEL = ["专家甲", "专家乙", "专家丙", "专家丁", "专家戊"]
REQUIRED = "该字段是必填项。"


def today() -> dt.date:
    return timezone.localdate()


def _body(response) -> str:
    return response.content.decode()


def _xlsx_rows(response):
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    return [list(row) for row in book.active.iter_rows(values_only=True)]


def _audits(action: str) -> int:
    return AuditEvent.objects.filter(entity="research-achievement", action=action, outcome="ok").count()


@pytest.fixture
def ours(world) -> Achievement:
    """An achievement of institution A1, led by worker A1."""
    return svc.achievement_register(actor=world.user("institution_a1"), title="社区高血压分级随访模式",
                                    institution=world.inst_a1, lead=world.worker_a1, summary="基层可推广")


@pytest.fixture
def theirs(world) -> Achievement:
    """An appraised achievement of institution B1 (district B)."""
    science = world.user("commission_science")
    achievement = svc.achievement_register(actor=science, title="儿童哮喘规范化管理", institution=world.inst_b1,
                                           lead=world.worker_b1)
    return svc.achievement_appraise(actor=science, achievement=achievement, panel=PANEL, verdict="domestic_leading",
                                    appraised_on=today())


@pytest.fixture
def library(world) -> tuple[AppropriateTech, AppropriateTech]:
    science = world.user("commission_science")
    hypertension = svc.technology_publish(actor=science, name="高血压社区规范化管理技术", description="基层高血压筛查与随访",
                                          applicable_levels=["社区卫生服务中心", "乡镇卫生院"], contact="科教处 028-0000",
                                          training_materials="操作规范与培训视频")
    acupuncture = svc.technology_publish(actor=science, name="中医针灸治疗颈椎病", description="基层中医适宜技术",
                                         applicable_levels=["乡镇卫生院", "村卫生室"], contact="李老师 028-1111")
    svc.promotion_record(actor=science, technology=hypertension, institution=world.inst_a2,
                         adopted_on=today(), people_trained=8)
    return hypertension, acupuncture


# ---- the achievement list ----------------------------------------------------------------------------

def test_the_commission_filters_searches_sorts_and_exports_achievements(world, client_for, ours, theirs):
    client = client_for(world.user("commission_science"))
    url = reverse("research:achievement-list")
    body = _body(client.get(url))
    assert "社区高血压分级随访模式" in body and "儿童哮喘规范化管理" in body and "登记成果" in body
    assert "适宜技术推广库" in body and "导出 Excel" in body
    body = _body(client.get(url + "?verdict=pending"))
    assert "社区高血压分级随访模式" in body and "儿童哮喘规范化管理" not in body
    body = _body(client.get(url + "?verdict=domestic_leading"))
    assert "儿童哮喘规范化管理" in body and "社区高血压分级随访模式" not in body and "国内领先" in body
    body = _body(client.get(url + f"?institution={world.inst_b1.pk}"))
    assert "儿童哮喘规范化管理" in body and "社区高血压分级随访模式" not in body
    body = _body(client.get(url + "?q=哮喘"))
    assert "儿童哮喘规范化管理" in body and "社区高血压分级随访模式" not in body
    assert "社区高血压分级随访模式" in _body(client.get(url + f"?year={today().year}"))
    assert "暂无科研成果" in _body(client.get(url + f"?year={today().year + 5}"))
    body = _body(client.get(url + "?sort=title"))
    assert body.index("儿童哮喘规范化管理") < body.index("社区高血压分级随访模式")
    response = client.get(url + "?export=xlsx&sort=-title")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = _xlsx_rows(response)
    assert rows[0][:3] == ["成果名称", "完成单位", "第一完成人"]
    assert [r[0] for r in rows[1:]] == ["社区高血压分级随访模式", "儿童哮喘规范化管理"]
    assert [r[4] for r in rows[1:]] == ["待鉴定", "国内领先"]
    assert _audits("export") == 1


def test_each_reader_sees_the_achievements_of_his_scope(world, client_for, client, ours, theirs):
    url = reverse("research:achievement-list")
    assert client.get(url).status_code == 302  # anonymous: to the login page
    body = _body(client_for(world.user("institution_a1")).get(url))
    assert "社区高血压分级随访模式" in body and "儿童哮喘规范化管理" not in body and "登记成果" in body
    body = _body(client_for(world.user("district_b")).get(url))
    assert "儿童哮喘规范化管理" in body and "社区高血压分级随访模式" not in body
    worker = client_for(world.user("worker_a1"))
    body = _body(worker.get(url))
    assert "社区高血压分级随访模式" in body and "儿童哮喘规范化管理" not in body  # he leads it
    assert "登记成果" not in body and "导出 Excel" not in body
    assert worker.get(url + "?export=xlsx").status_code == 403


READERS = {"commission_science", "commission_info", "district_a", "district_b", "institution_a1", "institution_b1",
           "worker_a1"}
MATRIX = {
    "research:achievement-list": READERS,
    "research:technology-list": READERS,
    "research:achievement-create": {"commission_science", "district_a", "district_b", "institution_a1",
                                    "institution_b1"},
    "research:technology-create": {"commission_science"},
}


@pytest.mark.parametrize("name", list(MATRIX))
def test_page_matrix(world, client_for, name):
    for key in ROLE_USERS:
        expected = 200 if key in MATRIX[name] else 403
        assert client_for(world.user(key)).get(reverse(name)).status_code == expected, key


# ---- registration ----------------------------------------------------------------------------------------

def test_an_institution_registers_an_achievement_by_the_leads_id_number(world, client_for):
    client = client_for(world.user("institution_a1"))
    url = reverse("research:achievement-create")
    body = _body(client.get(url))
    assert "第一完成人身份证号" in body and world.inst_b1.name not in body  # only its own institution offered
    id_number = crypto.decrypt(world.worker_a1.id_number_encrypted)
    data = {"title": "社区高血压分级随访模式", "institution": str(world.inst_a1.pk), "lead_id_number": id_number,
            "application_number": "", "summary": "基层可推广"}
    response = client.post(url, {**data, "title": "", "lead_id_number": "12345"})
    assert response.status_code == 422
    assert REQUIRED in _body(response) and "身份证号应为18位" in _body(response)
    response = client.post(url, {**data, "institution": str(world.inst_b1.pk)})
    assert response.status_code == 422 and "选择一个有效的选项" in _body(response)
    other = crypto.decrypt(world.worker_b1.id_number_encrypted)  # not in the institution's scope
    response = client.post(url, {**data, "lead_id_number": other})
    assert response.status_code == 422 and "未找到该人员，或其不在您的管辖范围内" in _body(response)
    response = client.post(url, {**data, "application_number": "KY2026-999-0001"})
    assert response.status_code == 422 and "未找到该项目，或其尚未立项" in _body(response)
    assert not Achievement.objects.exists()
    response = client.post(url, data, follow=True)
    achievement = Achievement.objects.get()
    assert response.redirect_chain[-1][0] == reverse("research:achievement-detail", args=[achievement.pk])
    assert "已登记科研成果" in _body(response) and id_number not in _body(response)
    assert (achievement.institution, achievement.lead, achievement.verdict) == (world.inst_a1, world.worker_a1, "")
    assert _audits("create") == 1


def test_the_wrong_roles_cannot_register(world, client_for):
    for key in ("worker_a1", "expert", "ethics", "system_admin"):
        assert client_for(world.user(key)).post(reverse("research:achievement-create"), {"title": "x"}).status_code \
            == 403
    assert not Achievement.objects.exists()


# ---- one achievement: appraisal, awards, transfers ---------------------------------------------------------

def test_the_commission_appraises_nominates_and_records_the_result(world, client_for, ours):
    client = client_for(world.user("commission_science"))
    detail = reverse("research:achievement-detail", args=[ours.pk])
    body = _body(client.get(detail))
    assert "待鉴定" in body and "登记鉴定结论" in body and "推荐报奖" in body and "登记成果转化" in body

    appraise = reverse("research:achievement-appraise", args=[ours.pk])
    assert client.get(appraise).status_code == 405  # POST only
    response = client.post(appraise, {"appraise-panel": "、".join(PANEL[:4]), "appraise-verdict": "domestic_leading",
                                      "appraise-appraised_on": today().isoformat()})
    assert response.status_code == 422 and "鉴定专家组应由至少5名不同的专家组成" in _body(response)
    response = client.post(appraise, {"appraise-panel": "", "appraise-verdict": "domestic_leading",
                                      "appraise-appraised_on": ""})
    assert response.status_code == 422 and REQUIRED in _body(response)
    response = client.post(appraise, {"appraise-panel": "\n".join(PANEL), "appraise-verdict": "domestic_leading",
                                      "appraise-appraised_on": today().isoformat()}, follow=True)
    assert "已登记成果鉴定：国内领先" in _body(response)
    ours.refresh_from_db()
    assert (ours.panel, ours.verdict, ours.appraised_on) == (PANEL, "domestic_leading", today())
    assert _audits("approve") == 1

    nominate = reverse("research:achievement-award", args=[ours.pk])
    response = client.post(nominate, {"award-name": "", "award-level": "provincial", "award-year": "2026"})
    assert response.status_code == 422 and REQUIRED in _body(response)
    response = client.post(nominate, {"award-name": "省医学科技奖", "award-level": "provincial",
                                      "award-year": str(today().year)}, follow=True)
    assert "已推荐报奖：省医学科技奖（省级）" in _body(response) and "登记评奖结果" in _body(response)
    award = Award.objects.get()
    assert (award.status, award.level, award.grade) == ("nominated", "provincial", "")

    result = reverse("research:achievement-award-result", args=[ours.pk, award.pk])
    response = client.post(result, {"result-status": "won", "result-grade": " "})
    assert response.status_code == 422 and "获奖时请填写奖励等级" in _body(response)
    response = client.post(result, {"result-status": "won", "result-grade": "二等奖"}, follow=True)
    assert "已登记评奖结果：省医学科技奖，获奖二等奖" in _body(response)
    award.refresh_from_db()
    assert (award.status, award.grade) == ("won", "二等奖")
    assert AuditEvent.objects.filter(entity="research-achievement", action="update", entity_id=str(award.pk)).exists()
    assert "登记评奖结果" not in _body(client.get(detail))  # recorded once
    response = client.post(result, {"result-status": "not_won"})
    assert response.status_code == 422 and "该奖项的评审结果已登记" in _body(response)
    assert client.post(reverse("research:achievement-award-result", args=[ours.pk, award.pk + 99]),
                       {"result-status": "won", "result-grade": "一等奖"}).status_code == 404
    assert svc.achievement_counts(actor=world.user("commission_science"), year=today().year)["awards_provincial"] == 1


def test_the_institution_records_a_transfer_but_does_not_appraise(world, client_for, ours):
    client = client_for(world.user("institution_a1"))
    detail = reverse("research:achievement-detail", args=[ours.pk])
    body = _body(client.get(detail))
    assert "登记成果转化" in body and "登记鉴定结论" not in body and "推荐报奖" not in body
    assert client.post(reverse("research:achievement-appraise", args=[ours.pk]), {
        "appraise-panel": "\n".join(PANEL), "appraise-verdict": "intl_leading",
        "appraise-appraised_on": today().isoformat()}).status_code == 403
    assert client.post(reverse("research:achievement-award", args=[ours.pk]), {
        "award-name": "国家科技进步奖", "award-level": "national", "award-year": "2026"}).status_code == 403
    transfer = reverse("research:achievement-transfer", args=[ours.pk])
    data = {"transfer-contract_number": "ZH-2026-01", "transfer-partner": "某医疗器械有限公司",
            "transfer-amount": "-1", "transfer-signed_on": today().isoformat()}
    response = client.post(transfer, data)
    assert response.status_code == 422 and "确保该值大于或等于" in _body(response)
    response = client.post(transfer, {**data, "transfer-amount": "35.5"}, follow=True)
    assert "已登记成果转化：某医疗器械有限公司，35.50 万元" in _body(response) and "ZH-2026-01" in _body(response)
    assert TechTransfer.objects.get().amount == Decimal("35.50")
    assert _audits("create") == 2  # the registration and the transfer
    ours.refresh_from_db()
    assert (ours.verdict, Award.objects.count()) == ("", 0)


def test_an_achievement_out_of_scope_is_not_found(world, client_for, ours):
    detail = reverse("research:achievement-detail", args=[ours.pk])
    transfer = reverse("research:achievement-transfer", args=[ours.pk])
    for key in ("institution_b1", "district_b"):
        client = client_for(world.user(key))
        assert client.get(detail).status_code == 404
        assert client.post(transfer, {"transfer-contract_number": "X", "transfer-partner": "X", "transfer-amount": "1",
                                      "transfer-signed_on": today().isoformat()}).status_code == 404
    for key in ("expert", "ethics", "system_admin"):
        assert client_for(world.user(key)).get(detail).status_code == 403
    lead = client_for(world.user("worker_a1"))  # he leads it: he reads it, and does nothing else
    body = _body(lead.get(detail))
    assert "社区高血压分级随访模式" in body and "登记成果转化" not in body and "推荐报奖" not in body
    assert lead.post(transfer, {}).status_code == 403
    assert client_for(world.user("district_a")).get(detail).status_code == 200
    assert not TechTransfer.objects.exists()


# ---- the appropriate-technology library ------------------------------------------------------------------

def test_health_workers_search_the_library_by_words_and_institution_type(world, client_for, library):
    hypertension, acupuncture = library
    client = client_for(world.user("worker_a1"))
    url = reverse("research:technology-list")
    response = client.get(url)
    body = _body(response)
    assert "高血压社区规范化管理技术" in body and "中医针灸治疗颈椎病" in body and "适宜技术入库" not in body
    assert "导出 Excel" not in body and client.get(url + "?export=xlsx").status_code == 403
    assert [tab["label"] for tab in response.context["section_tabs"] if tab["active"]] == ["成果与适宜技术"]
    body = _body(client.get(url + "?q=高血压 随访"))
    assert "高血压社区规范化管理技术" in body and "中医针灸治疗颈椎病" not in body
    body = _body(client.get(url + "?level=村卫生室"))
    assert "中医针灸治疗颈椎病" in body and "高血压社区规范化管理技术" not in body
    assert "没有符合条件的适宜技术" in _body(client.get(url + "?q=不存在的技术"))
    response = client.get(url + "?q=针灸", HTTP_HX_REQUEST="true")
    assert "<html" not in _body(response) and "中医针灸治疗颈椎病" in _body(response)

    body = _body(client.get(reverse("research:technology-detail", args=[hypertension.pk])))
    assert "操作规范与培训视频" in body and "科教处 028-0000" in body and "社区卫生服务中心" in body
    assert world.inst_a2.name in body and "培训 8 人" in body and "登记推广" not in body
    assert client.get(reverse("research:technology-detail", args=[hypertension.pk + 99])).status_code == 404
    AppropriateTech.objects.filter(pk=acupuncture.pk).update(is_published=False)
    assert client.get(reverse("research:technology-detail", args=[acupuncture.pk])).status_code == 404
    for key in ("expert", "ethics", "system_admin"):
        assert client_for(world.user(key)).get(reverse("research:technology-detail",
                                                       args=[hypertension.pk])).status_code == 403


def test_the_commission_exports_the_library(world, client_for, library):
    response = client_for(world.user("commission_science")).get(reverse("research:technology-list")
                                                                 + "?export=xlsx&sort=-adopters")
    assert response.status_code == 200
    rows = _xlsx_rows(response)
    assert rows[0] == ["技术名称", "适用机构", "技术说明", "联系人及电话", "推广机构（家）", "培训人数"]
    assert rows[1][0] == "高血压社区规范化管理技术" and rows[1][4:] == [1, 8]
    assert rows[1][1] == "社区卫生服务中心、乡镇卫生院"
    assert _audits("export") == 1


def test_the_commission_publishes_a_technology(world, client_for, theirs):
    client = client_for(world.user("commission_science"))
    url = reverse("research:technology-create")
    assert theirs.title in _body(client.get(url))  # an appraised achievement may be its source
    data = {"name": "糖尿病足早期筛查技术", "description": "基层糖尿病足风险评估与转诊", "contact": "科教处",
            "training_materials": "筛查流程图", "achievement": str(theirs.pk)}
    response = client.post(url, data)
    assert response.status_code == 422 and "请选择适用的机构类别" in _body(response)
    response = client.post(url, {**data, "applicable_levels": ["县级医院"]})
    assert response.status_code == 422 and "选择一个有效的选项" in _body(response)
    assert not AppropriateTech.objects.exists()
    response = client.post(url, {**data, "applicable_levels": ["社区卫生服务中心", "乡镇卫生院"]}, follow=True)
    technology = AppropriateTech.objects.get()
    assert response.redirect_chain[-1][0] == reverse("research:technology-detail", args=[technology.pk])
    assert "适宜技术已入库：糖尿病足早期筛查技术" in _body(response) and theirs.title in _body(response)
    assert (technology.applicable_levels, technology.achievement) == (["社区卫生服务中心", "乡镇卫生院"], theirs)
    assert AuditEvent.objects.filter(entity="research-achievement", action="create", entity_id=str(technology.pk),
                                     summary="适宜技术入库：糖尿病足早期筛查技术").count() == 1
    assert client_for(world.user("institution_a1")).post(url, {**data, "applicable_levels": ["乡镇卫生院"]}) \
        .status_code == 403
    assert AppropriateTech.objects.count() == 1


def test_an_institution_records_its_own_adoption(world, client_for, library):
    hypertension, _acupuncture = library
    client = client_for(world.user("institution_a1"))
    detail = reverse("research:technology-detail", args=[hypertension.pk])
    body = _body(client.get(detail))
    assert "登记推广" in body and world.inst_b1.name not in body
    url = reverse("research:technology-promotion", args=[hypertension.pk])
    data = {"promotion-institution": str(world.inst_a1.pk), "promotion-adopted_on": today().isoformat(),
            "promotion-people_trained": "-1"}
    response = client.post(url, data)
    assert response.status_code == 422 and "确保该值大于或等于" in _body(response)
    response = client.post(url, {**data, "promotion-institution": str(world.inst_b1.pk),
                                 "promotion-people_trained": "5"})
    assert response.status_code == 422 and "选择一个有效的选项" in _body(response)
    response = client.post(url, {**data, "promotion-people_trained": "12"}, follow=True)
    assert "已登记推广：锦江区人民医院，培训 12 人" in _body(response)
    client.post(url, {**data, "promotion-people_trained": "20"})  # again: the figures are updated
    promotion = Promotion.objects.get(institution=world.inst_a1)
    assert (promotion.technology, promotion.people_trained) == (hypertension, 20)
    assert AuditEvent.objects.filter(entity="research-achievement", action="create",
                                     summary__contains="适宜技术推广").count() == 3  # the fixture's and these two
    assert client_for(world.user("worker_a1")).post(url, {**data, "promotion-people_trained": "3"}).status_code == 403
    assert Promotion.objects.get(institution=world.inst_a1).people_trained == 20


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize("url", ["/research/achievements/", "/research/achievements/?export=xlsx",
                                 "/research/achievements/technologies/",
                                 "/research/achievements/technologies/?export=csv&level=乡镇卫生院"])
def test_list_query_counts_do_not_grow_with_rows(world, client_for, ours, library, url):
    science = world.user("commission_science")
    client = client_for(science)
    before = _count(client, url)
    for n in range(3):
        achievement = svc.achievement_register(actor=science, title=f"成果{n}", institution=world.inst_b1,
                                               lead=world.worker_b1)
        svc.award_record(actor=science, achievement=achievement, name="市科学技术进步奖", level="municipal",
                         year=today().year, status="won", grade="三等奖")
        technology = svc.technology_publish(actor=science, name=f"技术{n}", description="基层", contact="张",
                                            applicable_levels=["乡镇卫生院"])
        svc.promotion_record(actor=science, technology=technology, institution=world.inst_a1, adopted_on=today(),
                             people_trained=n)
    assert _count(client, url) == before
