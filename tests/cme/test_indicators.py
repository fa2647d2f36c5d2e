"""Indicators against the hand-computed 2025 world of conftest.py (numbers worked out in comments)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from tests import factories
from weijian.cme import indicators, services
from weijian.cme.models import Verification
from weijian.core.errors import NotFoundOrForbidden
from weijian.orgs import services as org_services

from .conftest import YEAR, set_requirements, verified_credit

D = Decimal
SENIOR, JUNIOR = "intermediate_and_above", "junior_and_below"


def _compliance(cme, key, **where):
    got = indicators.compliance_by_title_group(actor=cme.user(key), year=YEAR, **where)
    return {group: (i.numerator, i.denominator, i.actual, i.target) for group, i in got.items()}


def test_compliance_for_the_city(cme):
    # intermediate+: a1 pass, a2 fail, b1 exempt (pass) → 2/3 = 0.6667; junior: a3 fail, b2 pass → 1/2.
    assert _compliance(cme, "commission_science") == {
        SENIOR: (2, 3, D("0.6667"), D("0.95")),
        JUNIOR: (1, 2, D("0.5000"), D("0.80")),
    }
    got = indicators.compliance_by_title_group(actor=cme.user("commission_science"), year=YEAR)
    assert got[SENIOR].gap == D("0.6667") - D("0.95")


def test_compliance_for_each_district_and_an_institution(cme):
    base = cme.base
    # district A: a1 pass, a2 fail → 1/2; a3 fail → 0/1.
    assert _compliance(cme, "commission_science", district=base.district_a) == {
        SENIOR: (1, 2, D("0.5000"), D("0.95")), JUNIOR: (0, 1, D("0.0000"), D("0.80"))}
    # district B: b1 exempt → 1/1; b2 pass → 1/1. A district user gets the same for his own district.
    expected_b = {SENIOR: (1, 1, D("1.0000"), D("0.95")), JUNIOR: (1, 1, D("1.0000"), D("0.80"))}
    assert _compliance(cme, "commission_science", district=base.district_b) == expected_b
    assert _compliance(cme, "district_b") == expected_b
    # inst_a1: a1 pass (senior), a3 fail (junior).
    assert _compliance(cme, "institution_a1") == {
        SENIOR: (1, 1, D("1.0000"), D("0.95")), JUNIOR: (0, 1, D("0.0000"), D("0.80"))}


def test_worker_coverage(cme):
    science = cme.user("commission_science")
    # verified credits: a1, a2, a3, b2 (b1 has none) → 4/5.
    city = indicators.worker_coverage(actor=science, year=YEAR)
    assert (city.numerator, city.denominator, city.actual, city.target) == (4, 5, D("0.8000"), D("1"))
    # A: a1, a2, a3 → 3/3. B: b2 → 1/2.
    district_a = indicators.worker_coverage(actor=science, year=YEAR, district=cme.base.district_a)
    district_b = indicators.worker_coverage(actor=cme.user("district_b"), year=YEAR)
    assert (district_a.numerator, district_a.denominator, district_a.actual) == (3, 3, D("1.0000"))
    assert (district_b.numerator, district_b.denominator, district_b.actual) == (1, 2, D("0.5000"))


def test_remote_credit_share(cme):
    science = cme.user("commission_science")
    # remote verified: a2 8 + 6, b2 8 → 22. all verified: a1 10+15, a2 8+6+5, a3 10+8, b2 8+12 = 25+19+18+20 = 82.
    # 22 / 82 = 0.26829… → 0.2683 (the pending 4 and the rejected 3 are left out).
    city = indicators.remote_credit_share(actor=science, year=YEAR)
    assert (city.numerator, city.denominator, city.actual, city.target) == (D("22.0"), D("82.0"), D("0.2683"), None)
    # A: remote 14 of 25 + 19 + 18 = 62 → 0.2258. B: 8 of 20 → 0.4.
    a = indicators.remote_credit_share(actor=science, year=YEAR, district=cme.base.district_a)
    b = indicators.remote_credit_share(actor=science, year=YEAR, district=cme.base.district_b)
    assert (a.numerator, a.denominator, a.actual) == (D("14.0"), D("62.0"), D("0.2258"))
    assert (b.numerator, b.denominator, b.actual) == (D("8.0"), D("20.0"), D("0.4000"))


def test_class_totals(cme):
    # class I: a1 10, a2 8, a3 10, b2 8 = 36; class II: a1 15, a2 6+5, a3 8, b2 12 = 46; 5 active workers.
    got = indicators.credit_totals(actor=cme.user("commission_science"), year=YEAR)
    assert (got["I"].actual, got["I"].denominator) == (D("36.0"), 5)
    assert (got["II"].actual, got["II"].denominator) == (D("46.0"), 5)
    # district B: class I b2 8; class II b2 12; 2 workers.
    got = indicators.credit_totals(actor=cme.user("district_b"), year=YEAR)
    assert (got["I"].actual, got["II"].actual, got["II"].denominator) == (D("8.0"), D("12.0"), 2)


def test_a_year_without_requirements_or_credits(cme):
    city = indicators.worker_coverage(actor=cme.user("commission_science"), year=2024)
    assert (city.numerator, city.denominator, city.actual) == (0, 5, D("0.0000"))
    senior = indicators.compliance_by_title_group(actor=cme.user("commission_science"), year=2024)[SENIOR]
    assert (senior.denominator, senior.actual, senior.gap) == (0, None, None)


def test_all_indicators_lists_every_indicator(cme):
    got = indicators.all_indicators(actor=cme.user("commission_science"), year=YEAR)
    assert [i.code for i in got] == [
        "cme-compliance-intermediate_and_above", "cme-compliance-junior_and_below", "cme-worker-coverage",
        "cme-institution-coverage-county", "cme-institution-coverage-primary", "cme-spot-check-rate",
        "cme-remote-share", "cme-out-of-city-share", "cme-class-i-total", "cme-class-ii-total",
        "cme-overdue-filings", "cme-overdue-reports"]
    assert set(indicators.INDICATORS) == {
        "cme-compliance", "cme-worker-coverage", "cme-institution-coverage", "cme-spot-check-rate",
        "cme-remote-share", "cme-out-of-city-share", "cme-credit-totals", "cme-overdue-filings",
        "cme-overdue-reports"}


def test_out_of_scope_and_forbidden(cme):
    with pytest.raises(NotFoundOrForbidden):
        indicators.worker_coverage(actor=cme.user("district_a"), year=YEAR, district=cme.base.district_b)
    with pytest.raises(NotFoundOrForbidden):
        indicators.worker_coverage(actor=cme.user("institution_a1"), year=YEAR, institution=cme.base.inst_b1)
    for key in ("worker_a1", "expert", "audit_admin"):
        with pytest.raises(PermissionDenied):
            indicators.worker_coverage(actor=cme.user(key), year=YEAR)


# ---- the new indicators, previous year and trend, on a wider world ---------------------------
#
# On top of conftest's 2025 world (this module only):
#   institutions: inst_a3 (general hospital, district A, no workers), pc_a (community centre, district A,
#                 no workers), pc_b (village clinic, district B, no workers). Tiers: county-level-and-above =
#                 inst_a1, inst_a2, inst_b1, inst_a3; primary care = pc_a, pc_b.
#   2025 projects (execution reports through project_report):
#     P1 municipal, inst_a1, held: 40 attendees, 5 out of city
#     P2 national,  inst_b1, held: 100 attendees, 30 out of city
#     P3 provincial, pc_a (A), 2025-09-01..02, held: 50 attendees, 20 out of city
#     P4 municipal, inst_a1 (A), 2025-11-10..12, approved, never filed nor reported
#     P5 national,  inst_b1 (B), 2025-12-20..21, approved, filed
#   2024: requirements as in 2025; P0 municipal, inst_b1 (B), 2024-06-01..02, approved, never filed nor
#         reported; b2 earns a verified self-study II 12 in 2024; a1 and a3 are exempt for 2024.
#   Spot check: one draw over 2025 at rate 1 (all three held projects); P1 compliant, P2 serious, P3 pending.
#   `today` for the overdue counts: 2025-12-31.

TODAY = dt.date(2025, 12, 31)


@pytest.fixture
def wide(cme):
    base, u = cme.base, cme.user
    science, info = u("commission_science"), u("commission_info")
    inst_a1, inst_b1, district_a = u("institution_a1"), u("institution_b1"), u("district_a")

    def institution(name, division, kind, seed):
        return org_services.institution_create(actor=info, uscc=factories.uscc(seed), name=name, type=kind,
                                               ownership="public", division=division)

    extra = dict(
        inst_a3=institution("锦江区第三医院", base.district_a, "general_hospital", 11),
        pc_a=institution("锦江区书院街社区卫生服务中心", base.township_a, "community_centre", 12),
        pc_b=institution("青羊区某村卫生室", base.district_b, "village_clinic", 13),
    )
    services.project_report(actor=inst_a1, project=cme.p1, held_from=dt.date(2025, 3, 1),
                            held_to=dt.date(2025, 3, 3), attendee_count=40, out_of_city_count=5)
    services.project_report(actor=inst_b1, project=cme.p2, held_from=dt.date(2025, 5, 1),
                            held_to=dt.date(2025, 5, 31), attendee_count=100, out_of_city_count=30)
    p3 = services.project_create(actor=science, number="P2025-51-003", name="省级全科医师培训", level="provincial",
                                 host=extra["pc_a"], credits="6", start_date=dt.date(2025, 9, 1),
                                 end_date=dt.date(2025, 9, 2))
    services.project_report(actor=district_a, project=p3, held_from=dt.date(2025, 9, 1),
                            held_to=dt.date(2025, 9, 2), attendee_count=50, out_of_city_count=20)

    def municipal(actor, host, number, start, end):
        project = services.project_create(actor=actor, number=number, name=f"项目{number}", level="municipal",
                                          host=host, credits="4", start_date=start, end_date=end)
        project = services.project_endorse(actor=actor, project=project)
        return services.project_approve(actor=science, project=project)

    p4 = municipal(inst_a1, base.inst_a1, "510100-2025-004", dt.date(2025, 11, 10), dt.date(2025, 11, 12))
    p5 = services.project_create(actor=science, number="N2025-12-005", name="国家级急救培训", level="national",
                                 host=base.inst_b1, credits="5", start_date=dt.date(2025, 12, 20),
                                 end_date=dt.date(2025, 12, 21))
    services.project_file(actor=inst_b1, project=p5, filed_on=dt.date(2025, 12, 1), today=dt.date(2025, 12, 1))
    p0 = municipal(inst_b1, base.inst_b1, "510100-2024-000", dt.date(2024, 6, 1), dt.date(2024, 6, 2))

    set_requirements(science, year=2024)
    old = verified_credit(reporter=inst_b1, world=base, worker=cme.b2, credits="12",
                          earned_on=dt.date(2024, 6, 1))
    assert (old.status, old.year) == (Verification.VERIFIED, 2024)
    services.exemption_grant(actor=district_a, worker=cme.a1, year=2024, reason="病假")
    services.exemption_grant(actor=district_a, worker=cme.a3, year=2024, reason="进修")

    draw = services.spot_check_draw(actor=science, name="2025年度抽查", period_start=dt.date(2025, 1, 1),
                                    period_end=dt.date(2025, 12, 31), rate="1", seed=7)
    items = {item.project_id: item for item in draw.items.all()}
    assert set(items) == {cme.p1.pk, cme.p2.pk, p3.pk}
    services.spot_check_record(actor=science, item=items[cme.p1.pk], result="compliant",
                               inspected_on=dt.date(2025, 12, 10))
    services.spot_check_record(actor=science, item=items[cme.p2.pk], result="serious", findings="签到表不全",
                               inspected_on=dt.date(2025, 12, 10))
    return dict(cme=cme, p0=p0, p3=p3, p4=p4, p5=p5, **extra)


def _nums(i):
    return (i.numerator, i.denominator, i.actual, i.target, i.previous, i.trend)


def test_previous_year_and_trend(wide):
    cme = wide["cme"]
    science = cme.user("commission_science")
    got = indicators.compliance_by_title_group(actor=science, year=YEAR)
    # 2024: senior a1 exempt (pass), a2 and b1 nothing → 1/3; junior a3 exempt (pass), b2 II 12 only → 1/2.
    assert _nums(got[SENIOR]) == (2, 3, D("0.6667"), D("0.95"), D("0.3333"), "up")
    assert _nums(got[JUNIOR]) == (1, 2, D("0.5000"), D("0.80"), D("0.5000"), "flat")
    # coverage 2024: only b2 had a verified credit → 1/5.
    assert _nums(indicators.worker_coverage(actor=science, year=YEAR)) == (4, 5, D("0.8000"), D("1"), D("0.2000"),
                                                                           "up")
    # remote share 2024: 0 of 12 → 0; class II 2024: 12.
    remote = indicators.remote_credit_share(actor=science, year=YEAR)
    assert (remote.previous, remote.trend) == (D("0.0000"), "up")
    totals = indicators.credit_totals(actor=science, year=YEAR)
    assert (totals["I"].previous, totals["II"].previous, totals["II"].trend) == (D("0.0"), D("12.0"), "up")
    # district B 2024 compliance: senior b1 0/1; junior b2 0/1 → 2025 1/1 each.
    b = indicators.compliance_by_title_group(actor=cme.user("district_b"), year=YEAR)
    assert (b[SENIOR].previous, b[SENIOR].trend, b[JUNIOR].previous) == (D("0.0000"), "up", D("0.0000"))


def test_institution_coverage(wide):
    cme = wide["cme"]
    science = cme.user("commission_science")
    # county 2025: inst_a1 (credits, P1), inst_a2 (a2's credits), inst_b1 (b2's credits, P2) covered; inst_a3 not → 3/4.
    # primary 2025: pc_a hosted P3 (held) → covered; pc_b nothing → 1/2.
    # 2024: only inst_b1 (b2's 2024 credit) → county 1/4, primary 0/2.
    got = indicators.institution_coverage(actor=science, year=YEAR)
    assert _nums(got["county"]) == (3, 4, D("0.7500"), D("1"), D("0.2500"), "up")
    assert _nums(got["primary"]) == (1, 2, D("0.5000"), D("1"), D("0.0000"), "up")
    # district A: county inst_a1, inst_a2 of inst_a1, inst_a2, inst_a3 → 2/3; primary pc_a 1/1.
    a = indicators.institution_coverage(actor=science, year=YEAR, district=cme.base.district_a)
    assert (a["county"].numerator, a["county"].denominator, a["county"].actual) == (2, 3, D("0.6667"))
    assert (a["primary"].numerator, a["primary"].denominator, a["primary"].actual) == (1, 1, D("1.0000"))
    # an institution user: its own institution only, county tier 1/1, primary tier nothing to count.
    own = indicators.institution_coverage(actor=cme.user("institution_a1"), year=YEAR)
    assert (own["county"].numerator, own["county"].denominator, own["primary"].actual) == (1, 1, None)
    assert {i.name for i in indicators.uncovered_institutions(actor=science, year=YEAR)} == {
        "锦江区第三医院", "青羊区某村卫生室"}
    assert [i.name for i in indicators.uncovered_institutions(actor=science, year=YEAR, tier="primary")] == [
        "青羊区某村卫生室"]


def test_spot_check_rate(wide):
    cme = wide["cme"]
    science = cme.user("commission_science")
    # held 2025: P1, P2, P3 → 3; checked (result not pending): P1, P2 → 2/3; target: default policy 15%.
    city = indicators.spot_check_rate(actor=science, year=YEAR)
    assert _nums(city) == (2, 3, D("0.6667"), D("0.150"), None, None)
    # district A hosts P1 (checked) and P3 (pending) → 1/2; district B hosts P2 (checked) → 1/1.
    a = indicators.spot_check_rate(actor=science, year=YEAR, district=cme.base.district_a)
    b = indicators.spot_check_rate(actor=cme.user("district_b"), year=YEAR)
    assert (a.numerator, a.denominator, a.actual) == (1, 2, D("0.5000"))
    assert (b.numerator, b.denominator, b.actual) == (1, 1, D("1.0000"))


def test_out_of_city_share(wide):
    cme = wide["cme"]
    science = cme.user("commission_science")
    # national/provincial held: P2 30 of 100, P3 20 of 50 → 50/150 (P1 is municipal, P5 not held).
    city = indicators.out_of_city_share(actor=science, year=YEAR)
    assert _nums(city) == (50, 150, D("0.3333"), None, None, None)
    a = indicators.out_of_city_share(actor=cme.user("district_a"), year=YEAR)
    b = indicators.out_of_city_share(actor=science, year=YEAR, district=cme.base.district_b)
    assert (a.numerator, a.denominator, a.actual) == (20, 50, D("0.4000"))
    assert (b.numerator, b.denominator, b.actual) == (30, 100, D("0.3000"))


def test_overdue_filings_and_reports(wide):
    cme = wide["cme"]
    science = cme.user("commission_science")
    # As of 2025-12-31 (filing 15 days before the start, report 30 days after the end):
    # 2025 projects: P4 approved, unfiled, started 11-10 → overdue filing; ended 11-12, +30 = 12-12 → overdue report.
    #   P5 filed; ends 12-21 → report due 2026-01-20, not overdue. P1, P2, P3 are held.
    # 2024 projects: P0 unfiled and unreported → previous 1 and 1.
    filings = indicators.overdue_filings_count(actor=science, year=YEAR, today=TODAY)
    reports = indicators.overdue_reports_count(actor=science, year=YEAR, today=TODAY)
    assert _nums(filings) == (1, None, D("1"), D("0"), D("1"), "flat")
    assert _nums(reports) == (1, None, D("1"), D("0"), D("1"), "flat")
    assert (filings.gap, filings.met) == (D("1"), False)
    # district B: no 2025 project overdue, P0 last year → down; its user sees only its district.
    b = indicators.overdue_filings_count(actor=cme.user("district_b"), year=YEAR, today=TODAY)
    assert (b.actual, b.previous, b.trend, b.met) == (D("0"), D("1"), "down", True)
    a = indicators.overdue_reports_count(actor=cme.user("institution_a1"), year=YEAR, today=TODAY)
    assert (a.actual, a.previous) == (D("1"), D("0"))
    got = indicators.overdue_projects(actor=science, kind="filing", year=YEAR, today=TODAY)
    assert [p.number for p in got] == ["510100-2025-004"]
    got = indicators.overdue_projects(actor=science, kind="report", today=TODAY)
    assert sorted(p.number for p in got) == ["510100-2024-000", "510100-2025-004"]


def test_compliance_people_and_uncovered_workers(wide):
    cme = wide["cme"]
    science = cme.user("commission_science")
    # fails: a2 short 10, a3 short 2 (largest first).
    short = indicators.compliance_people(actor=science, year=YEAR, passed=False)
    assert [(w.name, o.shortfall) for w, o in short] == [("李护士", D("10.0")), ("赵住院医", D("2.0"))]
    junior = indicators.compliance_people(actor=science, year=YEAR, passed=False, title_group=JUNIOR)
    assert [w.name for w, _o in junior] == ["赵住院医"]
    assert indicators.compliance_people(actor=cme.user("district_b"), year=YEAR, passed=False) == []
    passed = indicators.compliance_people(actor=science, year=YEAR, passed=True)
    assert sorted(w.name for w, _o in passed) == sorted([cme.a1.name, cme.b1.name, cme.b2.name])
    assert [w.name for w in indicators.uncovered_workers(actor=science, year=YEAR)] == [cme.b1.name]
    assert list(indicators.uncovered_workers(actor=cme.user("district_a"), year=YEAR)) == []
