"""Achievements, appraisal, awards, technology transfer and the appropriate-technology library."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from weijian.core.errors import BusinessError
from weijian.research import achievements as svc

pytestmark = pytest.mark.django_db

PANEL = ["专家甲", "专家乙", "专家丙", "专家丁", "专家戊"]


@pytest.fixture
def achievement(world):
    return svc.achievement_register(actor=world.user("institution_a1"), title="社区高血压分级随访模式",
                                    institution=world.inst_a1, lead=world.worker_a1)


def test_an_institution_registers_its_own_achievements_only(world, achievement):
    assert achievement.institution == world.inst_a1
    with pytest.raises(BusinessError):
        svc.achievement_register(actor=world.user("institution_a1"), title="别家的成果", institution=world.inst_b1,
                                 lead=world.worker_b1)


def test_appraisal_needs_a_panel_of_five_different_experts_and_only_the_commission_appraises(world, achievement):
    science = world.user("commission_science")
    with pytest.raises(BusinessError) as exc:
        svc.achievement_appraise(actor=science, achievement=achievement, panel=PANEL[:4], verdict="domestic_leading",
                                 appraised_on=dt.date(2026, 6, 1))
    assert "至少5名" in exc.value.message
    with pytest.raises(BusinessError):
        svc.achievement_appraise(actor=science, achievement=achievement, panel=[*PANEL[:4], "专家甲"],
                                 verdict="domestic_leading", appraised_on=dt.date(2026, 6, 1))
    with pytest.raises(PermissionDenied):
        svc.achievement_appraise(actor=world.user("institution_a1"), achievement=achievement, panel=PANEL,
                                 verdict="domestic_leading", appraised_on=dt.date(2026, 6, 1))
    done = svc.achievement_appraise(actor=science, achievement=achievement, panel=PANEL, verdict="domestic_leading",
                                    appraised_on=dt.date(2026, 6, 1))
    assert (done.get_verdict_display(), len(done.panel)) == ("国内领先", 5)


def test_awards_transfers_and_promotions_are_counted_by_year_and_level(world, achievement):
    science = world.user("commission_science")
    svc.award_record(actor=science, achievement=achievement, name="市科学技术进步奖", level="municipal", year=2026,
                     status="won", grade="二等奖")
    svc.award_record(actor=science, achievement=achievement, name="省医学科技奖", level="provincial", year=2026)
    with pytest.raises(BusinessError):
        svc.award_record(actor=science, achievement=achievement, name="省医学科技奖", level="provincial", year=2026,
                         status="won")  # a win needs its grade
    transfer = svc.transfer_record(actor=world.user("institution_a1"), achievement=achievement,
                                   contract_number="ZH-2026-01", partner="某医疗器械有限公司", amount="35.5",
                                   signed_on=dt.date(2026, 7, 1))
    assert transfer.amount == Decimal("35.50")
    tech = svc.technology_publish(actor=science, name="高血压社区规范化管理技术", description="基层高血压筛查与随访",
                                  applicable_levels=["社区卫生服务中心", "乡镇卫生院"], contact="科教处 028-0000")
    svc.promotion_record(actor=world.user("institution_a1"), technology=tech, institution=world.inst_a1,
                         adopted_on=dt.date(2026, 8, 1), people_trained=12)
    svc.promotion_record(actor=world.user("institution_a1"), technology=tech, institution=world.inst_a1,
                         adopted_on=dt.date(2026, 8, 1), people_trained=20)  # the same institution: updated
    counts = svc.achievement_counts(actor=science, year=2026)
    assert counts == {"awards_municipal": 1, "transferred": 1, "promoted": 1}
    assert svc.achievement_counts(actor=science, year=2025) == {"transferred": 0, "promoted": 0}


def test_the_library_is_searched_by_words_and_institution_type(world):
    science = world.user("commission_science")
    hypertension = svc.technology_publish(actor=science, name="高血压社区规范化管理技术", description="筛查与随访",
                                          applicable_levels=["社区卫生服务中心"], contact="张")
    svc.technology_publish(actor=science, name="中医针灸治疗颈椎病", description="基层中医适宜技术",
                           applicable_levels=["乡镇卫生院", "村卫生室"], contact="李")
    svc.promotion_record(actor=science, technology=hypertension, institution=world.inst_a2,
                         adopted_on=dt.date(2026, 3, 1), people_trained=8)
    worker = world.user("worker_a1")
    found = list(svc.technology_search(actor=worker, text="高血压 随访"))
    assert [(t.name, t.adopters, t.trained) for t in found] == [("高血压社区规范化管理技术", 1, 8)]
    assert [t.name for t in svc.technology_search(actor=worker, institution_type="村卫生室")] == ["中医针灸治疗颈椎病"]
    assert list(svc.technology_search(actor=worker, text="不存在的技术")) == []


def test_an_award_result_is_recorded_once_by_the_commission_with_its_grade(world, achievement):
    from weijian.audit.models import AuditEvent

    science = world.user("commission_science")
    award = svc.award_record(actor=science, achievement=achievement, name="省医学科技奖", level="provincial", year=2026)
    with pytest.raises(PermissionDenied):
        svc.award_result_record(actor=world.user("institution_a1"), award=award, status="won", grade="一等奖")
    with pytest.raises(BusinessError) as exc:
        svc.award_result_record(actor=science, award=award, status="won", grade=" ")
    assert (exc.value.message, exc.value.field) == ("获奖时请填写奖励等级", "grade")
    with pytest.raises(BusinessError):
        svc.award_result_record(actor=science, award=award, status="nominated")
    svc.award_result_record(actor=science, award=award, status="won", grade="一等奖")
    award.refresh_from_db()
    assert (award.status, award.grade) == ("won", "一等奖")
    row = AuditEvent.objects.get(entity="research-achievement", action="update", entity_id=str(award.pk))
    assert (row.before, row.after) == ({"status": "nominated", "grade": ""}, {"status": "won", "grade": "一等奖"})
    with pytest.raises(BusinessError) as exc:
        svc.award_result_record(actor=science, award=award, status="not_won")
    assert exc.value.message == "该奖项的评审结果已登记"
    assert svc.achievement_counts(actor=science, year=2026) == {"awards_provincial": 1, "transferred": 0,
                                                                "promoted": 0}
