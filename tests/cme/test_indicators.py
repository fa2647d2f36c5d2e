"""Indicators against the hand-computed 2025 world of conftest.py (numbers worked out in comments)."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from weijian.cme import indicators
from weijian.core.errors import NotFoundOrForbidden

from .conftest import YEAR

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


def test_all_indicators_lists_six(cme):
    got = indicators.all_indicators(actor=cme.user("commission_science"), year=YEAR)
    assert [i.code for i in got] == [
        "cme-compliance-intermediate_and_above", "cme-compliance-junior_and_below", "cme-worker-coverage",
        "cme-remote-share", "cme-class-i-total", "cme-class-ii-total"]


def test_out_of_scope_and_forbidden(cme):
    with pytest.raises(NotFoundOrForbidden):
        indicators.worker_coverage(actor=cme.user("district_a"), year=YEAR, district=cme.base.district_b)
    with pytest.raises(NotFoundOrForbidden):
        indicators.worker_coverage(actor=cme.user("institution_a1"), year=YEAR, institution=cme.base.inst_b1)
    for key in ("worker_a1", "expert", "audit_admin"):
        with pytest.raises(PermissionDenied):
            indicators.worker_coverage(actor=cme.user(key), year=YEAR)
