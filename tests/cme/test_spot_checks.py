"""Spot checks: the pure stratified sampler, the reproducible draw, risk weights and findings."""

import datetime as dt
import random
from collections import Counter
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from weijian.audit.models import AuditEvent
from weijian.cme import sampling, services
from weijian.cme.models import SpotCheckItem
from weijian.cme.sampling import Candidate
from weijian.core.errors import BusinessError, NotFoundOrForbidden

D = dt.date


def _code(call, **kwargs):
    with pytest.raises(BusinessError) as exc:
        call(**kwargs)
    return exc.value.code


# ---- the pure sampler ------------------------------------------------------------------------

# 7 municipal projects in district 510104, 3 in 510105, 1 national in 510104: 11 in all.
FRAME = ([Candidate(i, "municipal", "510104") for i in range(1, 8)]
         + [Candidate(i, "municipal", "510105") for i in range(8, 11)]
         + [Candidate(11, "national", "510104")])


def test_quota_is_an_exact_ceiling():
    assert [sampling.quota(n, "0.15") for n in (0, 1, 6, 7, 20, 21)] == [0, 1, 1, 2, 3, 4]
    assert sampling.quota(20, 0.15) == 3  # not 4 through 0.15 * 20 = 3.0000000000000004
    with pytest.raises(ValueError):
        sampling.quota(5, 0)


@pytest.mark.parametrize("seed", [0, 1, 42, 2**61 + 7])
@pytest.mark.parametrize("weighted", [False, True])
def test_every_stratum_and_the_total_meet_the_rate(seed, weighted):
    strata = sampling.draw(FRAME, "0.15", seed, weighted=weighted)
    # ceil(0.15 × 7) = 2, ceil(0.15 × 3) = 1, ceil(0.15 × 1) = 1 → 4 of 11 (≥ 1.65).
    assert [(s.key, s.size, len(s.chosen)) for s in strata] == [
        ("municipal|510104", 7, 2), ("municipal|510105", 3, 1), ("national|510104", 1, 1)]
    for s in strata:
        assert all(c.stratum == s.key for c in s.chosen)
        assert len(s.chosen) >= Decimal("0.15") * s.size
    assert len(sampling.chosen_ids(strata)) == 4 >= Decimal("0.15") * len(FRAME)


def test_same_seed_same_sample_whatever_the_input_order():
    shuffled = FRAME[:]
    random.Random(3).shuffle(shuffled)
    assert sampling.chosen_ids(sampling.draw(FRAME, "0.3", 1234)) == sampling.chosen_ids(
        sampling.draw(shuffled, "0.3", 1234))


def test_other_seeds_give_other_samples():
    samples = {tuple(sampling.chosen_ids(sampling.draw(FRAME, "0.3", seed))) for seed in range(30)}
    assert len(samples) > 5


def test_weighting_favours_risky_projects():
    # One stratum of 10, rate 0.1 → one project drawn. Project 1 has weight 4, the others 1: its chance is
    # 4 / 13 ≈ 0.31 against 1 / 13 ≈ 0.077 each; unweighted every chance is 0.1.
    frame = [Candidate(1, "municipal", "510104", 4.0)] + [Candidate(i, "municipal", "510104") for i in range(2, 11)]
    weighted = Counter(sampling.chosen_ids(sampling.draw(frame, "0.1", seed, weighted=True))[0]
                       for seed in range(3000))
    plain = Counter(sampling.chosen_ids(sampling.draw(frame, "0.1", seed))[0] for seed in range(3000))
    assert 0.26 < weighted[1] / 3000 < 0.36
    assert weighted[1] > 2 * max(weighted[i] for i in range(2, 11))
    assert 0.07 < plain[1] / 3000 < 0.13


def test_a_whole_stratum_when_the_rate_is_one():
    assert sampling.chosen_ids(sampling.draw(FRAME, "1", 5, weighted=True)) == list(range(1, 12))


# ---- the draw service ------------------------------------------------------------------------

REPORT = dict(attendee_count=40, out_of_city_count=0, today=D(2025, 12, 31))


def _held(world, number, host, level, end, reporter):
    project = services.project_create(actor=world.user("commission_science"), number=number, name=f"项目{number}",
                                      level=level, host=host, credits="4", start_date=end, end_date=end)
    return services.project_report(actor=world.user(reporter), project=project, held_from=end, held_to=end,
                                   **REPORT)


@pytest.fixture
def frame(world):
    """Held projects ending in 2025:
    national|510104: 4 (inst_a1 ×2, inst_a2 ×2); provincial|510104: 2 (inst_a1); national|510105: 3 (inst_b1).
    Outside the frame: one ending 2024-12-20 (inst_b1) and one approved but not held (inst_a1)."""
    a1, a2, b1 = world.inst_a1, world.inst_a2, world.inst_b1
    rows = [
        ("N-1", a1, "national", D(2025, 3, 10), "institution_a1"),
        ("N-2", a1, "national", D(2025, 4, 10), "institution_a1"),
        ("N-3", a2, "national", D(2025, 5, 10), "district_a"),
        ("N-4", a2, "national", D(2025, 6, 10), "district_a"),
        ("P-1", a1, "provincial", D(2025, 7, 10), "institution_a1"),
        ("P-2", a1, "provincial", D(2025, 8, 10), "institution_a1"),
        ("N-5", b1, "national", D(2025, 3, 20), "institution_b1"),
        ("N-6", b1, "national", D(2025, 4, 20), "institution_b1"),
        ("N-7", b1, "national", D(2025, 5, 20), "district_b"),
        ("OLD", b1, "national", D(2024, 12, 20), "institution_b1"),
    ]
    projects = {number: _held(world, number, host, level, end, rep) for number, host, level, end, rep in rows}
    services.project_create(actor=world.user("commission_science"), number="N-X", name="未举办", level="national",
                            host=a1, credits="4", start_date=D(2025, 9, 1), end_date=D(2025, 9, 1))
    return projects


def _draw(world, **extra):
    fields = dict(name="2025年度项目抽查", period_start=D(2025, 1, 1), period_end=D(2025, 12, 31))
    return services.spot_check_draw(actor=world.user("commission_science"), **{**fields, **extra})


def _items(draw):
    return {(i.project.number, i.stratum) for i in draw.items.select_related("project")}


def test_a_draw_meets_the_rate_in_each_stratum_and_is_audited(world, frame):
    draw = _draw(world, rate="0.2", seed=12345)
    # 9 held projects in 2025; quotas ceil(0.2 × 4) = 1, ceil(0.2 × 2) = 1, ceil(0.2 × 3) = 1.
    assert (draw.population, draw.seed, draw.rate, draw.items.count()) == (9, 12345, Decimal("0.200"), 3)
    assert Counter(stratum for _, stratum in _items(draw)) == {
        "national|510104": 1, "provincial|510104": 1, "national|510105": 1}
    assert not {number for number, _ in _items(draw)} & {"OLD", "N-X"}
    event = AuditEvent.objects.get(action="draw")
    assert (event.entity, event.entity_id) == ("cme-spot-check", str(draw.pk))
    assert (event.after["seed"], event.after["population"], event.after["drawn"], event.after["rate"]) == (
        12345, 9, 3, "0.200")


def test_the_same_inputs_draw_the_same_projects(world, frame):
    first = _draw(world, rate="0.5", seed=777)
    second = _draw(world, rate="0.5", seed=777)
    assert _items(first) == _items(second)
    others = {frozenset(_items(_draw(world, rate="0.5", seed=seed))) for seed in range(8)}
    assert len(others) > 1


def test_rate_defaults_to_the_policy_and_seed_is_stored(world, frame):
    services.policy_set(actor=world.user("commission_science"), year=2025, filing_days_before=15,
                        report_days_after=30, spot_check_rate="0.5", cycle_years=5)
    draw = _draw(world)
    # ceil(0.5 × 4) = 2, ceil(0.5 × 2) = 1, ceil(0.5 × 3) = 2 → 5.
    assert (draw.rate, draw.items.count()) == (Decimal("0.500"), 5)
    assert 0 <= draw.seed < 2**62
    again = _draw(world, seed=draw.seed)
    assert _items(again) == _items(draw)


def test_risk_weights(world, frame):
    projects = list(frame.values())
    weights = services.risk_weights(projects)
    # The first held project of each host weighs 2: N-1 (inst_a1), N-3 (inst_a2), OLD (inst_b1, 2024-12-20).
    assert {p.number: weights[p.pk] for p in projects} == {
        "N-1": 2.0, "N-2": 1.0, "N-3": 2.0, "N-4": 1.0, "P-1": 1.0, "P-2": 1.0,
        "N-5": 1.0, "N-6": 1.0, "N-7": 1.0, "OLD": 2.0}
    # A host found lacking in an earlier check weighs double.
    draw = _draw(world, rate="1", seed=1)
    item = draw.items.get(project=frame["N-2"])
    services.spot_check_record(actor=world.user("commission_science"), item=item, result="minor",
                               findings="签到表不全", inspected_on=D(2025, 12, 1), today=D(2025, 12, 2))
    weights = services.risk_weights(projects)
    assert [weights[frame[n].pk] for n in ("N-1", "N-2", "P-1", "N-3", "N-5")] == [4.0, 2.0, 2.0, 2.0, 1.0]
    weighted = _draw(world, rate="1", seed=1, risk_weighted=True)
    assert weighted.items.get(project=frame["N-1"]).risk_weight == Decimal("4.00")


def test_draw_input_errors(world, frame):
    assert _code(_draw, world=world, period_end=D(2024, 12, 31)) == "period_invalid"
    assert _code(_draw, world=world, period_start=D(2026, 1, 1), period_end=D(2026, 12, 31)) == "nothing_to_draw"
    assert _code(_draw, world=world, rate="0") == "rate_invalid"
    assert _code(_draw, world=world, seed=-1) == "seed_invalid"
    assert _code(_draw, world=world, name=" ") == "name_required"
    with pytest.raises(PermissionDenied):
        services.spot_check_draw(actor=world.user("district_a"), name="区抽查", period_start=D(2025, 1, 1),
                                 period_end=D(2025, 12, 31))


# ---- findings --------------------------------------------------------------------------------

def test_findings_by_the_commission_or_the_hosts_district(world, frame):
    draw = _draw(world, rate="1", seed=9)
    item_a = draw.items.get(project=frame["N-3"])
    item = services.spot_check_record(actor=world.user("district_a"), item=item_a, result="serious",
                                      findings="学分证书发放不规范", inspected_on=D(2025, 11, 1))
    assert (item.result, item.inspector, item.inspected_on) == ("serious", world.user("district_a"), D(2025, 11, 1))
    event = AuditEvent.objects.get(entity="cme-spot-check-item")
    assert (event.action, event.after["result"]) == ("update", "serious")
    with pytest.raises(NotFoundOrForbidden):
        services.spot_check_record(actor=world.user("district_b"), item=item_a, result="compliant",
                                   inspected_on=D(2025, 11, 1))
    with pytest.raises(PermissionDenied):
        services.spot_check_record(actor=world.user("institution_a1"), item=item_a, result="compliant",
                                   inspected_on=D(2025, 11, 1))
    item_b = draw.items.get(project=frame["N-5"])
    assert _code(services.spot_check_record, actor=world.user("district_b"), item=item_b, result="minor",
                 findings=" ", inspected_on=D(2025, 11, 1)) == "findings_required"
    assert _code(services.spot_check_record, actor=world.user("district_b"), item=item_b, result="pending",
                 inspected_on=D(2025, 11, 1)) == "result_required"
    assert _code(services.spot_check_record, actor=world.user("district_b"), item=item_b, result="compliant",
                 inspected_on=D(2025, 11, 2), today=D(2025, 11, 1)) == "date_in_future"
    services.spot_check_record(actor=world.user("district_b"), item=item_b, result="compliant",
                               inspected_on=D(2025, 11, 1))
    assert SpotCheckItem.objects.filter(result="pending").count() == 9 - 2
