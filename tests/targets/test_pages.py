"""The work-plan and assessment pages as each role uses them."""

import io
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse

from tests.cme.conftest import YEAR, build_cme_world
from tests.targets.conftest import SENIOR
from weijian.audit.models import AuditEvent
from weijian.targets import services
from weijian.targets.models import PlanStatus, WorkPlan


@pytest.fixture
def assessed(planned):
    assessment = services.run_assessment(actor=planned.user("commission_science"), plan=planned.plan)
    return planned, assessment


def test_commission_builds_a_plan_through_the_pages(world, client_for):
    build_cme_world(world)
    client = client_for(world.user("commission_science"))
    response = client.post(reverse("targets:plan-create"), {"year": YEAR, "title": "年度工作要点", "note": ""})
    plan = WorkPlan.objects.get(title="年度工作要点")
    assert response.status_code == 302 and response["Location"] == reverse("targets:plan-detail", args=[plan.pk])
    client.post(reverse("targets:item-add", args=[plan.pk]), {"indicator_code": SENIOR, "weight": "100",
                                                              "rule": "linear"})
    item = plan.items.get()
    # percent in the form, a fraction in the database
    response = client.post(reverse("targets:target-set", args=[item.pk]),
                           {f"t{item.pk}-level": "district", f"t{item.pk}-target": "95", f"t{item.pk}-floor": "80"})
    assert response.status_code == 302
    target = item.targets.get()
    assert (target.target, target.floor) == (Decimal("0.95"), Decimal("0.8"))
    page = client.get(reverse("targets:plan-detail", args=[plan.pk])).content.decode()
    assert "95.0%" in page and "权重合计 100 / 100 分" in page
    client.post(reverse("targets:plan-freeze", args=[plan.pk]))
    plan.refresh_from_db()
    assert plan.status == PlanStatus.FROZEN
    response = client.post(reverse("targets:plan-assess", args=[plan.pk]))
    assert response.status_code == 302 and plan.assessments.count() == 1


def test_a_target_below_the_floor_comes_back_with_the_message(draft, client_for):
    client = client_for(draft.user("commission_science"))
    item = draft.senior
    response = client.post(reverse("targets:target-set", args=[item.pk]),
                           {f"t{item.pk}-level": "city", f"t{item.pk}-target": "60", f"t{item.pk}-floor": "70"})
    assert response.status_code == 422
    assert "目标值不能低于底线值" in response.content.decode()


def test_freezing_with_weights_short_of_100_is_explained(draft, client_for):
    services.update_item(actor=draft.user("commission_science"), item=draft.junior, weight="20", rule="pass_fail")
    client = client_for(draft.user("commission_science"))
    page = client.get(reverse("targets:plan-detail", args=[draft.plan.pk])).content.decode()
    assert "各指标权重之和须为100分（当前合计 80 分）" in page
    response = client.post(reverse("targets:plan-freeze", args=[draft.plan.pk]))
    assert response.status_code == 422
    draft.plan.refresh_from_db()
    assert draft.plan.status == PlanStatus.DRAFT


def test_city_dashboard_district_and_institution_pages(assessed, client_for):
    planned, assessment = assessed
    client = client_for(planned.user("commission_science"))
    page = client.get(reverse("targets:dashboard") + f"?year={YEAR}").content.decode()
    assert "全市综合得分" in page and "锦江区" in page and "青羊区" in page
    district_url = reverse("targets:district", args=[assessment.pk, planned.cme.base.district_a.code])
    assert district_url in page
    page = client.get(district_url).content.decode()
    assert 'id="failing-institutions"' in page and "春熙路社区卫生服务中心" in page
    institution = planned.cme.base.inst_a2
    page = client.get(reverse("targets:institution", args=[assessment.pk, institution.pk])).content.decode()
    # the drill-down goes to CME's own list of the workers short of credits at that institution
    assert reverse("cme:indicator-detail", args=["cme-compliance"]) in page
    assert f"institution={institution.pk}" in page and "passed=0" in page


def test_a_district_bureau_lands_on_its_district_and_sees_no_other(assessed, client_for):
    planned, assessment = assessed
    world = planned.cme.base
    client = client_for(planned.user("district_a"))
    response = client.get(reverse("targets:dashboard") + f"?year={YEAR}")
    assert response["Location"] == reverse("targets:district", args=[assessment.pk, world.district_a.code])
    assert client.get(reverse("targets:district", args=[assessment.pk, world.district_b.code])).status_code == 404
    assert client.get(reverse("targets:institution", args=[assessment.pk, world.inst_b1.pk])).status_code == 404
    assert client.get(reverse("targets:plan-detail", args=[planned.plan.pk])).status_code == 200
    assert client.post(reverse("targets:plan-assess", args=[planned.plan.pk])).status_code == 403


def test_export_is_an_excel_file_and_audited(assessed, client_for):
    planned, assessment = assessed
    client = client_for(planned.user("commission_science"))
    response = client.get(reverse("targets:dashboard") + f"?year={YEAR}&export=xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("单位", "综合得分", "排名")
    assert {row[0] for row in rows[1:]} == {"锦江区", "青羊区"}
    assert AuditEvent.objects.filter(entity="target-assessment", action="export").count() == 1


def test_empty_year_explains_what_to_do(world, client_for):
    page = client_for(world.user("commission_science")).get(reverse("targets:dashboard") + "?year=2024")
    assert "本年度尚无考核结果" in page.content.decode()


@pytest.mark.parametrize("key", ["worker_a1", "expert", "system_admin"])
def test_other_roles_see_no_assessment(world, client_for, key):
    assert client_for(world.user(key)).get(reverse("targets:dashboard")).status_code == 403


def test_the_annual_summary_page_edits_its_words_and_downloads(assessed, client_for):
    planned, assessment = assessed
    client = client_for(planned.user("commission_science"))
    url = reverse("targets:report", args=[assessment.pk])
    page = client.get(url).content.decode()
    assert "中级及以上职称卫生人员学分达标率为" in page and 'id="report-preview"' in page
    client.post(url, {"opening": "开篇文字", "highlights": "", "next_year": "来年计划"})
    assert "开篇文字" in client.get(url).content.decode()
    docx = client.get(url + "?download=docx")
    assert docx["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.wordprocessingml")
    assert client.get(url + "?download=pdf").content.startswith(b"%PDF")
    assert AuditEvent.objects.filter(entity="target-assessment", action="export").count() == 2
    district = client_for(planned.user("district_a"))  # the summary names every district: city readers only
    assert district.get(url).status_code == 403 and district.post(url, {"opening": "x"}).status_code == 403


def test_an_items_weight_is_edited_in_place(draft, client_for):
    client = client_for(draft.user("commission_science"))
    url = reverse("targets:item-update", args=[draft.junior.pk])
    client.post(url, {"weight": "25", "rule": "pass_fail", "bonus_cap": ""})
    draft.junior.refresh_from_db()
    assert draft.junior.weight == Decimal("25")
    page = client.get(reverse("targets:plan-detail", args=[draft.plan.pk])).content.decode()
    assert "权重合计 85 / 100 分" in page
    response = client.post(url, {"weight": "0", "rule": "pass_fail"}, follow=True)
    assert "权重应为大于0、不超过100的数字" in response.content.decode()


def test_the_plan_list_offers_creating_a_plan_only_to_those_who_may(world, client_for):
    """`ScopedListPage.create_action`: the button follows the access table; the empty table says so."""
    commission = client_for(world.user("commission_science")).get(reverse("targets:plan-list")).content.decode()
    assert "新建工作计划" in commission and reverse("targets:plan-create") in commission
    assert "还没有工作计划" in commission
    district = client_for(world.user("district_a")).get(reverse("targets:plan-list")).content.decode()
    assert "还没有工作计划" in district and reverse("targets:plan-create") not in district
