"""Cycle certification over a small two-year world (2024 and 2025 have requirements; 2021–2023 none).

Added to the 2025 world (see conftest):
  2024 requirements = the 2025 ones.
  a1 (intermediate): 2024 I 10 + II 15 = 25 → pass; 2025 pass        → certified, 2 years, 25 + 25 = 50
  a2 (intermediate): 2024 nothing → fail; 2025 fail                 → not, 0 years, 0 + 15 = 15
  a3 (junior):       2024 I 5 + II 15 = 20 → pass; 2025 fail (18)    → not, 1 year,  20 + 18 = 38
  b1 (intermediate): 2024 nothing → fail; 2025 exempt               → not, 1 year,  0 + 0 = 0
  b2 (junior):       2024 exempt (granted); 2025 pass (20)          → certified, 2 years, 0 + 20 = 20
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from weijian.audit.models import AuditEvent
from weijian.cme import services
from weijian.cme.models import CycleCertification
from weijian.core.errors import BusinessError

from .conftest import set_requirements, verified_credit

D = dt.date


@pytest.fixture
def cycle_world(cme):
    science = cme.user("commission_science")
    set_requirements(science, year=2024)
    day = D(2024, 6, 1)
    for worker, reporter, klass, credits in ((cme.a1, "worker_a1", "I", "10"), (cme.a1, "worker_a1", "II", "15"),
                                             (cme.a3, "institution_a1", "I", "5"),
                                             (cme.a3, "institution_a1", "II", "15")):
        verified_credit(reporter=cme.user(reporter), world=cme.base, worker=worker, credits=credits,
                        credit_class=klass, category="other", earned_on=day)
    services.exemption_grant(actor=science, worker=cme.b2, year=2024, reason="病假")
    return cme


def _rows():
    return {c.worker_id: c for c in CycleCertification.objects.all()}


def test_the_five_year_cycle_judges_only_years_with_requirements(cycle_world):
    cme = cycle_world
    result = services.cycle_certify_run(actor=cme.user("commission_science"), last_year=2025)
    assert (result.first_year, result.last_year, result.certified, result.passed, result.failed) == (
        2021, 2025, 5, 2, 3)
    rows = _rows()
    expected = {
        cme.a1.pk: (True, 2, Decimal("50.0"), "周期内2个年度均达标"),
        cme.a2.pk: (False, 0, Decimal("15.0"), "未达标年度：2024、2025"),
        cme.a3.pk: (False, 1, Decimal("38.0"), "未达标年度：2025"),
        cme.b1.pk: (False, 1, Decimal("0.0"), "未达标年度：2024"),
        cme.b2.pk: (True, 2, Decimal("20.0"), "周期内2个年度均达标"),
    }
    assert {pk: (r.passed, r.years_passed, r.counted_total, r.reason) for pk, r in rows.items()} == expected
    assert {(r.first_year, r.last_year) for r in rows.values()} == {(2021, 2025)}
    assert rows[cme.b2.pk].institution_id == cme.base.inst_b1.pk
    event = AuditEvent.objects.get(entity="cme-cycle")
    assert event.summary == "2021—2025年周期验证：5人，合格2人，不合格3人"
    assert event.actor == cme.user("commission_science")


def test_the_cycle_length_comes_from_the_policy(cycle_world):
    cme = cycle_world
    science = cme.user("commission_science")
    services.policy_set(actor=science, year=2025, filing_days_before=15, report_days_after=30,
                        spot_check_rate="0.15", cycle_years=1)
    result = services.cycle_certify_run(actor=science, last_year=2025)
    # Only 2025: a1, b1 (exempt), b2 pass; a2, a3 fail.
    assert (result.first_year, result.certified, result.passed) == (2025, 5, 3)
    assert _rows()[cme.b1.pk].reason == "周期内1个年度均达标"


def test_a_district_certifies_its_own_and_a_rerun_replaces(cycle_world):
    cme = cycle_world
    result = services.cycle_certify_run(actor=cme.user("district_a"), last_year=2025)
    assert (result.certified, result.passed) == (3, 1)
    assert set(_rows()) == {cme.a1.pk, cme.a2.pk, cme.a3.pk}
    with pytest.raises(BusinessError) as exc:
        services.cycle_certify_run(actor=cme.user("district_a"), last_year=2025, district=cme.base.district_b)
    assert exc.value.code == "district_out_of_scope"
    # a3 gets 2 more class II credits for 2025: 20 → passes; the rerun replaces his row.
    verified_credit(reporter=cme.user("institution_a1"), world=cme.base, worker=cme.a3, credits="2")
    services.cycle_certify_run(actor=cme.user("district_a"), last_year=2025)
    assert CycleCertification.objects.count() == 3
    assert (_rows()[cme.a3.pk].passed, _rows()[cme.a3.pk].counted_total) == (True, Decimal("40.0"))
    for key in ("institution_a1", "worker_a1"):
        with pytest.raises(PermissionDenied):
            services.cycle_certify_run(actor=cme.user(key), last_year=2025)


def test_no_requirement_in_the_cycle_writes_nothing(cme):
    result = services.cycle_certify_run(actor=cme.user("commission_science"), last_year=2023)
    assert (result.certified, result.no_requirement) == (0, 5)
    assert not CycleCertification.objects.exists()
