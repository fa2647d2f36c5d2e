"""The annual audit over the hand-computed 2025 world of conftest.py."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests import factories
from tests.cme.conftest import verify_through_chain
from weijian.audit.models import AuditEvent
from weijian.cme import services
from weijian.cme.models import AnnualAudit
from weijian.core.errors import BusinessError
from weijian.workforce.services import worker_deactivate

from .conftest import YEAR

D = Decimal


def _rows():
    return {row.worker_id: row for row in AnnualAudit.objects.filter(year=YEAR)}


def test_city_run_writes_one_row_per_active_worker_with_exact_results(cme):
    result = services.annual_audit_run(actor=cme.user("commission_science"), year=YEAR)
    assert (result.audited, result.passed, result.failed, result.no_requirement) == (5, 3, 2, 0)
    rows = _rows()
    a1, a2, a3, b1, b2 = (rows[w.pk] for w in (cme.a1, cme.a2, cme.a3, cme.b1, cme.b2))
    # a1: P1 10 (I) + self-study 15 (II); the rejected 3 does not count.
    assert (a1.passed, a1.class_i, a1.class_ii, a1.counted_total, a1.reason) == (
        True, D("10.0"), D("15.0"), D("25.0"), "达标")
    # a2: remote I 8 + remote II 6 = 14, cap 10 → I 8, II 5 + 2 = 7, total 15; pending 4 ignored.
    assert (a2.passed, a2.class_i, a2.class_ii, a2.remote_counted, a2.counted_total, a2.shortfall) == (
        False, D("8.0"), D("7.0"), D("10.0"), D("15.0"), D("10.0"))
    assert a2.reason == "总学分不足：差 10.0 分；I类学分不足：差 2.0 分；II类学分不足：差 3.0 分"
    # a3 (junior: 20 / I 5 / II 10): I 10 + II 8 = 18.
    assert (a3.passed, a3.title_group, a3.shortfall, a3.reason) == (
        False, "junior_and_below", D("2.0"), "总学分不足：差 2.0 分；II类学分不足：差 2.0 分")
    assert (b1.passed, b1.exempt, b1.reason) == (True, True, "豁免：出国进修")
    # b2 (junior): remote I 8 (under the cap) + II 12 = 20.
    assert (b2.passed, b2.counted_total, b2.institution_id) == (True, D("20.0"), cme.base.inst_b1.pk)
    event = AuditEvent.objects.get(entity="cme-annual-audit")
    assert event.summary == "2025年度学分审验：5人，达标3人，未达标2人"
    assert event.after["audited"] == 5 and event.actor == cme.user("commission_science")


def test_a_rerun_replaces_the_rows_and_sees_new_credits(cme):
    science, inst_a1 = cme.user("commission_science"), cme.user("institution_a1")
    services.annual_audit_run(actor=science, year=YEAR)
    # a3 gets 2 more class II credits: I 10 + II 10 = 20 → meets the junior requirement.
    record = services.credit_record_create(actor=inst_a1, worker=cme.a3, credit_class="II", category="paper",
                                           credits="2", earned_on=cme.p1.start_date)
    verify_through_chain(cme.base, record)
    result = services.annual_audit_run(actor=science, year=YEAR)
    assert (result.audited, result.passed) == (5, 4)
    assert AnnualAudit.objects.filter(year=YEAR).count() == 5
    assert _rows()[cme.a3.pk].reason == "达标"


def test_a_district_runs_only_its_own_workers(cme):
    result = services.annual_audit_run(actor=cme.user("district_a"), year=YEAR)
    assert (result.audited, result.passed, result.failed) == (3, 1, 2)
    assert set(_rows()) == {cme.a1.pk, cme.a2.pk, cme.a3.pk}
    with pytest.raises(BusinessError) as exc:
        services.annual_audit_run(actor=cme.user("district_a"), year=YEAR, district=cme.base.district_b)
    assert exc.value.code == "district_out_of_scope"


def test_the_commission_can_run_one_district(cme):
    result = services.annual_audit_run(actor=cme.user("commission_science"), year=YEAR,
                                       district=cme.base.district_b)
    assert (result.audited, result.passed) == (2, 2)


def test_institutions_and_workers_cannot_run_the_audit(cme):
    for key in ("institution_a1", "worker_a1", "commission_info", "audit_admin"):
        with pytest.raises(PermissionDenied):
            services.annual_audit_run(actor=cme.user(key), year=YEAR)
    assert not AnnualAudit.objects.exists()


def test_workers_without_a_requirement_or_not_active_get_no_row(cme):
    science, info = cme.user("commission_science"), cme.user("commission_info")
    services.annual_audit_run(actor=science, year=YEAR)
    worker_deactivate(actor=info, worker=cme.b2)
    result = services.annual_audit_run(actor=science, year=2024)  # no requirement set for 2024
    assert (result.audited, result.no_requirement) == (0, 4)
    result = services.annual_audit_run(actor=science, year=YEAR)
    assert result.audited == 4 and cme.b2.pk not in _rows()


def test_query_count_does_not_grow_with_workers(cme):
    science = cme.user("commission_science")
    services.annual_audit_run(actor=science, year=YEAR)
    with CaptureQueriesContext(connection) as few:
        services.annual_audit_run(actor=science, year=YEAR)
    for _ in range(6):
        factories.worker(actor=cme.user("commission_info"), institution=cme.base.inst_a2)
    with CaptureQueriesContext(connection) as many:
        result = services.annual_audit_run(actor=science, year=YEAR)
    assert result.audited == 11
    assert len(many.captured_queries) == len(few.captured_queries)
