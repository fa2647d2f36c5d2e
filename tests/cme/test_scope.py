"""Scope: a district sees only its district, an institution only its workers, a worker only himself."""

import pytest

from weijian.cme import selectors, services
from weijian.cme.models import CreditRecord
from weijian.core.errors import NotFoundOrForbidden

from .conftest import YEAR


def _workers(qs):
    return {row.worker_id for row in qs}


def test_credit_records_by_scope(cme):
    everyone = {cme.a1.pk, cme.a2.pk, cme.a3.pk, cme.b2.pk}
    assert _workers(selectors.credit_record_list(actor=cme.user("commission_science"), year=YEAR)) == everyone
    assert _workers(selectors.credit_record_list(actor=cme.user("district_b"), year=YEAR)) == {cme.b2.pk}
    assert _workers(selectors.credit_record_list(actor=cme.user("district_a"), year=YEAR)) == {
        cme.a1.pk, cme.a2.pk, cme.a3.pk}
    assert _workers(selectors.credit_record_list(actor=cme.user("institution_a1"), year=YEAR)) == {
        cme.a1.pk, cme.a3.pk}
    mine = selectors.credit_record_list(actor=cme.user("worker_a1"))
    assert _workers(mine) == {cme.a1.pk} and mine.count() == 3  # P1, self-study 15, rejected 3
    for key in ("expert", "system_admin", "audit_admin"):
        assert not selectors.credit_record_list(actor=cme.user(key)).exists()


def test_district_b_cannot_fetch_a_district_a_record(cme):
    record = CreditRecord.objects.filter(worker=cme.a1).first()
    with pytest.raises(NotFoundOrForbidden):
        selectors.credit_record_get(actor=cme.user("district_b"), pk=record.pk)
    assert selectors.credit_record_get(actor=cme.user("district_a"), pk=record.pk) == record


def test_projects_catalogue_and_drafts(cme, world):
    draft = services.project_create(actor=world.user("institution_b1"), number="510100-2025-200", name="草稿项目",
                                    level="municipal", host=world.inst_b1, credits="3",
                                    start_date=cme.p1.start_date, end_date=cme.p1.end_date)
    # The approved catalogue is visible to every business reader; a draft only to its host's side.
    assert set(selectors.project_list(actor=cme.user("institution_a1"))) == {cme.p1, cme.p2}
    assert set(selectors.project_list(actor=cme.user("district_b"))) == {cme.p1, cme.p2, draft}
    assert set(selectors.project_list(actor=cme.user("commission_science"))) == {cme.p1, cme.p2, draft}
    assert not selectors.project_list(actor=cme.user("worker_a1")).exists()


def test_audit_results_by_scope(cme):
    services.annual_audit_run(actor=cme.user("commission_science"), year=YEAR)
    assert _workers(selectors.annual_audit_list(actor=cme.user("district_b"), year=YEAR)) == {cme.b1.pk, cme.b2.pk}
    assert _workers(selectors.annual_audit_list(actor=cme.user("worker_a1"), year=YEAR)) == {cme.a1.pk}
    short = selectors.annual_audit_list(actor=cme.user("district_a"), year=YEAR, passed=False)
    assert _workers(short) == {cme.a2.pk, cme.a3.pk}
