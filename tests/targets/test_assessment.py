"""Computing a frozen plan over the CME test year: hand-worked values, scores, composites and ranks (see
conftest), agreement with CME's own scoped indicators, stored snapshots, and who reads which rows."""

from decimal import Decimal as D

import pytest
from django.core.exceptions import PermissionDenied

from tests.cme.conftest import MID_YEAR, YEAR
from weijian.cme import indicators as cme_indicators
from weijian.cme import services as cme_services
from weijian.core.errors import BusinessError
from weijian.targets import selectors, services
from weijian.targets.models import AssessmentTotal, AssessmentValue


def _values(assessment, item):
    rows = AssessmentValue.objects.filter(assessment=assessment, item=item)
    return {row.unit_name: (row.numerator, row.denominator, row.actual, row.score, row.rag) for row in rows}


def _totals(assessment):
    return {row.unit_name: (row.score, row.rank, row.rag) for row in AssessmentTotal.objects.filter(assessment=assessment)}


def test_values_scores_and_ranks_are_the_hand_worked_ones(planned):
    assessment = services.run_assessment(actor=planned.user("commission_science"), plan=planned.plan, today=MID_YEAR)
    assert _values(assessment, planned.senior) == {
        "锦江区人民医院": (1, 1, D("1"), D("60"), "green"),
        "春熙路社区卫生服务中心": (0, 1, D("0"), D("0"), "red"),
        "青羊区人民医院": (1, 1, D("1"), D("60"), "green"),
        "锦江区": (1, 2, D("0.5"), D("0"), "amber"),  # at the floor
        "青羊区": (1, 1, D("1"), D("60"), "green"),
        "全市": (2, 3, D("0.6667"), D("22.23"), "amber"),  # 60 × (0.6667 − 0.5) / 0.45
    }
    assert _values(assessment, planned.junior) == {
        "锦江区人民医院": (0, 1, D("0"), D("0"), "red"),
        "春熙路社区卫生服务中心": (0, 0, None, None, "grey"),  # no junior worker: nothing to count
        "青羊区人民医院": (1, 1, D("1"), D("40"), "green"),
        "锦江区": (0, 1, D("0"), D("0"), "red"),
        "青羊区": (1, 1, D("1"), D("40"), "green"),
        "全市": (1, 2, D("0.5"), None, "grey"),  # no city target for this item
    }
    assert _totals(assessment) == {
        "锦江区人民医院": (D("60.00"), 2, "red"),
        "春熙路社区卫生服务中心": (D("0.00"), 3, "red"),  # scored on the senior item only
        "青羊区人民医院": (D("100.00"), 1, "green"),
        "锦江区": (D("0.00"), 2, "red"),
        "青羊区": (D("100.00"), 1, "green"),
        "全市": (D("37.05"), 1, "red"),  # 22.23 of 60
    }


def test_assessment_agrees_with_the_scoped_cme_indicators(planned):
    science = planned.user("commission_science")
    assessment = services.run_assessment(actor=science, plan=planned.plan, today=MID_YEAR)
    world = planned.cme.base
    for district in (world.district_a, world.district_b):
        live = cme_indicators.compliance_by_title_group(actor=science, year=YEAR, district=district)
        stored = AssessmentValue.objects.get(assessment=assessment, item=planned.senior, level="district",
                                             district_code=district.code)
        senior = live["intermediate_and_above"]
        assert (stored.numerator, stored.denominator, stored.actual) == (senior.numerator, senior.denominator,
                                                                         senior.actual)


def test_a_stored_assessment_does_not_move_when_the_data_do(planned):
    science = planned.user("commission_science")
    first = services.run_assessment(actor=science, plan=planned.plan, today=MID_YEAR)
    before_values = _values(first, planned.senior)
    before_totals = _totals(first)
    # a2 (inst_a2, intermediate, short of credits) is exempted afterwards: a2 now passes
    cme_services.exemption_grant(actor=planned.user("district_a"), worker=planned.cme.a2, year=YEAR, reason="援外")
    second = services.run_assessment(actor=science, plan=planned.plan, today=MID_YEAR)
    assert _values(second, planned.senior)["春熙路社区卫生服务中心"] == (1, 1, D("1"), D("60"), "green")
    assert _values(first, planned.senior) == before_values  # the first snapshot reads as it was
    assert _totals(first) == before_totals
    assert selectors.latest_assessment(actor=science, plan=planned.plan) == second


def test_a_draft_plan_is_not_computed(draft):
    with pytest.raises(BusinessError) as caught:
        services.run_assessment(actor=draft.user("commission_science"), plan=draft.plan, today=MID_YEAR)
    assert caught.value.code == "plan_not_frozen"


def test_only_the_commission_computes(planned):
    with pytest.raises(PermissionDenied):
        services.run_assessment(actor=planned.user("district_a"), plan=planned.plan, today=MID_YEAR)


def test_readers_see_the_rows_of_their_own_scope(planned):
    assessment = services.run_assessment(actor=planned.user("commission_science"), plan=planned.plan,
                                         today=MID_YEAR)

    def names(key, level):
        return {t.unit_name for t in selectors.totals(actor=planned.user(key), assessment=assessment, level=level)}

    assert names("commission_info", "institution") == {"锦江区人民医院", "春熙路社区卫生服务中心", "青羊区人民医院"}
    assert names("district_a", "institution") == {"锦江区人民医院", "春熙路社区卫生服务中心"}
    assert names("district_a", "district") == {"锦江区"}
    assert names("district_a", "city") == set()
    assert names("institution_b1", "institution") == {"青羊区人民医院"}
    assert names("institution_b1", "district") == set()
    with pytest.raises(PermissionDenied):
        selectors.latest_assessment(actor=planned.user("worker_a1"), plan=planned.plan)


def test_pages_compare_with_last_years_assessment(world, client_for):
    from django.urls import reverse

    from tests.cme.conftest import build_cme_world

    build_cme_world(world)
    science = world.user("commission_science")
    assessments = {}
    for year in (YEAR - 1, YEAR):
        plan = services.create_plan(actor=science, year=year, title="覆盖率")
        item = services.add_item(actor=science, plan=plan, indicator_code="cme-worker-coverage", weight="100")
        services.set_target(actor=science, item=item, level="district", target="1", floor="0.5")
        services.freeze_plan(actor=science, plan=plan)
        assessments[year] = services.run_assessment(actor=science, plan=plan, today=MID_YEAR)
    district = world.district_a.code
    # no credit in 2024: 0 of 锦江区's three workers covered; in 2025 all three are
    assert selectors.previous_year_values(actor=science, assessment=assessments[YEAR], level="district",
                                          district_code=district) == {"cme-worker-coverage": D("0")}
    page = client_for(science).get(reverse("targets:district", args=[assessments[YEAR].pk, district])).content.decode()
    assert 'data-trend="better"' in page and "0.0%" in page
    assert selectors.previous_year_values(actor=science, assessment=assessments[YEAR - 1], level="district",
                                          district_code=district) == {}
