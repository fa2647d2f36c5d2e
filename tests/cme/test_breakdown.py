"""compliance_breakdown: the city, every district and every institution from one pass, equal to the
per-scope indicators, with a query count that does not grow with the number of institutions."""

from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests import factories
from weijian.cme import indicators
from weijian.orgs import services as org_services

from .conftest import YEAR

D = Decimal
SENIOR, JUNIOR = "intermediate_and_above", "junior_and_below"


def _pairs(row):
    return {group: tuple(pair) for group, pair in row.counts.items()}


def test_breakdown_by_hand(cme):
    base = cme.base
    got = indicators.compliance_breakdown(actor=cme.user("commission_science"), year=YEAR)
    # city: senior a1 pass, a2 fail, b1 exempt → 2/3; junior a3 fail, b2 pass → 1/2; 5 workers, 4 with credits.
    assert _pairs(got.city) == {SENIOR: (2, 3), JUNIOR: (1, 2)}
    assert (got.city.headcount, got.city.covered, got.city.short) == (5, 4, 2)
    districts = {row.key: row for row in got.districts}
    assert set(districts) == {"510104", "510105"}
    # A: a1 pass, a2 fail (senior), a3 fail (junior); B: b1 exempt, b2 pass.
    assert _pairs(districts["510104"]) == {SENIOR: (1, 2), JUNIOR: (0, 1)}
    assert _pairs(districts["510105"]) == {SENIOR: (1, 1), JUNIOR: (1, 1)}
    assert (districts["510104"].short, districts["510105"].short) == (2, 0)
    institutions = {row.key: row for row in got.institutions}
    # inst_a1: a1 pass, a3 fail; inst_a2: a2 fail; inst_b1: b1 exempt, b2 pass.
    assert _pairs(institutions[base.inst_a1.pk]) == {SENIOR: (1, 1), JUNIOR: (0, 1)}
    assert _pairs(institutions[base.inst_a2.pk]) == {SENIOR: (0, 1), JUNIOR: (0, 0)}
    assert _pairs(institutions[base.inst_b1.pk]) == {SENIOR: (1, 1), JUNIOR: (1, 1)}
    # coverage: inst_b1 has b2's credits but none for b1 → 1/2 = 0.5.
    assert (institutions[base.inst_b1.pk].covered, institutions[base.inst_b1.pk].coverage) == (1, D("0.5000"))
    assert institutions[base.inst_a2.pk].compliance[SENIOR].actual == D("0.0000")


def test_breakdown_equals_the_per_scope_indicators(cme):
    science = cme.user("commission_science")
    got = indicators.compliance_breakdown(actor=science, year=YEAR)

    def per_scope(**where):
        result = indicators.compliance_by_title_group(actor=science, year=YEAR, **where)
        return {group: (i.numerator, i.denominator) for group, i in result.items()}

    assert _pairs(got.city) == per_scope()
    divisions = {cme.base.district_a.pk: cme.base.district_a, cme.base.district_b.pk: cme.base.district_b}
    for row in got.districts:
        assert _pairs(row) == per_scope(district=divisions[row.key])
    by_pk = {i.pk: i for i in (cme.base.inst_a1, cme.base.inst_a2, cme.base.inst_b1)}
    for row in got.institutions:
        assert _pairs(row) == per_scope(institution=by_pk[row.key])
        assert row.compliance[SENIOR].actual == indicators.compliance_by_title_group(
            actor=science, year=YEAR, institution=by_pk[row.key])[SENIOR].actual


def test_breakdown_is_limited_to_the_scope(cme):
    got = indicators.compliance_breakdown(actor=cme.user("district_b"), year=YEAR)
    assert [row.key for row in got.districts] == ["510105"]
    assert [row.key for row in got.institutions] == [cme.base.inst_b1.pk]
    assert _pairs(got.city) == {SENIOR: (1, 1), JUNIOR: (1, 1)}
    own = indicators.compliance_breakdown(actor=cme.user("institution_a1"), year=YEAR)
    assert [row.key for row in own.institutions] == [cme.base.inst_a1.pk]
    assert _pairs(own.city) == {SENIOR: (1, 1), JUNIOR: (0, 1)}
    one = indicators.compliance_breakdown(actor=cme.user("commission_science"), year=YEAR,
                                          district=cme.base.district_a)
    assert _pairs(one.city) == {SENIOR: (1, 2), JUNIOR: (0, 1)} and one.city.name == "锦江区"


def test_breakdown_query_count_does_not_grow_with_institutions(cme):
    science, info = cme.user("commission_science"), cme.user("commission_info")
    with CaptureQueriesContext(connection) as before:
        indicators.compliance_breakdown(actor=science, year=YEAR)
    for seed in range(20, 24):  # four more institutions in district B, each with an intermediate worker
        inst = org_services.institution_create(actor=info, uscc=factories.uscc(seed), name=f"新机构{seed}",
                                               type="community_centre", ownership="public",
                                               division=cme.base.district_b)
        factories.worker(actor=info, institution=inst, name=f"新人员{seed}")
    with CaptureQueriesContext(connection) as after:
        got = indicators.compliance_breakdown(actor=science, year=YEAR)
    assert len(after.captured_queries) == len(before.captured_queries)
    assert len(got.institutions) == 7
    # the four new workers have no credits: senior 2/3 → 2/7; district B senior 1/1 → 1/5; 4 more short.
    assert _pairs(got.city)[SENIOR] == (2, 7)
    assert _pairs({row.key: row for row in got.districts}["510105"])[SENIOR] == (1, 5)
    assert (got.city.headcount, got.city.short) == (9, 6)


def test_the_integer_judgement_matches_the_audit_rule():
    from itertools import product

    from weijian.cme.rules import CreditTotals, Requirement, evaluate
    from weijian.cme.selectors import passes_in_tenths

    # by hand: requirement 25 total, I ≥ 10, II ≥ 10, remote ≤ 10 (in tenths: 250, 100, 100, 100).
    need = (250, 100, 100, 100)
    assert passes_in_tenths((100, 150, 0, 0), need) is True  # a1: I 10, II 15
    assert passes_in_tenths((0, 50, 80, 60), need) is False  # a2: remote 14 capped to 10 → I 8, II 7
    assert passes_in_tenths((50, 100, 50, 50), need) is True  # remote 10 exactly: I 10, II 15
    requirement = Requirement(D("25"), D("10"), D("10"), D("10"))
    for sums in product((0, 45, 100, 155), (0, 95, 100, 150), (0, 50, 120), (0, 30, 100)):
        totals = CreditTotals(*(D(v).scaleb(-1) for v in sums))
        assert passes_in_tenths(sums, need) == evaluate(totals, requirement).passed, sums


def test_yearly_passes_agrees_with_yearly_outcomes(cme):
    from weijian.cme.selectors import yearly_outcomes, yearly_passes

    workers = indicators.scope_workers(actor=cme.user("commission_science"))
    fast = {pk: (inst, group, passed) for pk, inst, group, passed, _c in yearly_passes(workers, YEAR)}
    slow = {pk: (inst, group, o.passed if o else None) for pk, inst, group, o in yearly_outcomes(workers, YEAR)}
    assert fast == slow and len(fast) == 5
    covered = {pk for pk, *_rest, c in yearly_passes(workers, YEAR) if c}
    assert covered == {cme.a1.pk, cme.a2.pk, cme.a3.pk, cme.b2.pk}
