"""Exemptions: requested by the institution or the worker, decided by the district or the commission;
only an approved one changes the audit."""

import pytest
from django.core.exceptions import PermissionDenied

from weijian.audit.models import AuditEvent
from weijian.cme import services
from weijian.cme.models import AnnualAudit, Exemption
from weijian.core.errors import BusinessError, NotFoundOrForbidden

from .conftest import YEAR


def _code(call, **kwargs):
    with pytest.raises(BusinessError) as exc:
        call(**kwargs)
    return exc.value.code


def _a3_audit(cme):
    services.annual_audit_run(actor=cme.user("commission_science"), year=YEAR)
    return AnnualAudit.objects.get(worker=cme.a3, year=YEAR)


def test_request_then_approve_changes_the_audit(cme):
    # a3 fails 2025 (I 10 + II 8 = 18 < 20).
    assert _a3_audit(cme).passed is False
    exemption = services.exemption_request(actor=cme.user("institution_a1"), worker=cme.a3, year=YEAR,
                                           reason="产假")
    assert (exemption.status, exemption.requested_by) == ("pending", cme.user("institution_a1"))
    assert _a3_audit(cme).passed is False  # pending does not count
    exemption = services.exemption_decide(actor=cme.user("district_a"), exemption=exemption, approve=True)
    assert (exemption.status, exemption.approved_by) == ("verified", cme.user("district_a"))
    audit = _a3_audit(cme)
    assert (audit.passed, audit.exempt, audit.reason) == (True, True, "豁免：产假")
    actions = list(AuditEvent.objects.filter(entity="cme-exemption", entity_id=str(exemption.pk))
                   .order_by("pk").values_list("action", flat=True))
    assert actions == ["submit", "approve"]


def test_a_worker_asks_for_himself_only(cme):
    worker = cme.user("worker_a1")
    exemption = services.exemption_request(actor=worker, worker=cme.a1, year=2024, reason="出国进修")
    assert exemption.status == "pending"
    assert _code(services.exemption_request, actor=worker, worker=cme.a2, year=2024, reason="病假") == (
        "worker_out_of_scope")
    assert _code(services.exemption_request, actor=worker, worker=cme.a1, year=2024, reason="再次") == (
        "exemption_exists")
    assert _code(services.exemption_request, actor=worker, worker=cme.a1, year=2023, reason=" ") == (
        "reason_required")


def test_who_decides(cme):
    exemption = services.exemption_request(actor=cme.user("institution_a1"), worker=cme.a1, year=YEAR,
                                           reason="长期病假")
    for key in ("institution_a1", "worker_a1", "commission_info"):
        with pytest.raises(PermissionDenied):
            services.exemption_decide(actor=cme.user(key), exemption=exemption, approve=True)
    with pytest.raises(NotFoundOrForbidden):  # another district's worker
        services.exemption_decide(actor=cme.user("district_b"), exemption=exemption, approve=True)
    assert _code(services.exemption_decide, actor=cme.user("commission_science"), exemption=exemption,
                 approve=False) == "reason_required"
    rejected = services.exemption_decide(actor=cme.user("commission_science"), exemption=exemption,
                                         approve=False, reason="病假证明不全")
    assert (rejected.status, rejected.decision_reason) == ("rejected", "病假证明不全")
    assert AuditEvent.objects.filter(entity="cme-exemption", entity_id=str(exemption.pk), action="reject").exists()
    assert _code(services.exemption_decide, actor=cme.user("commission_science"), exemption=exemption,
                 approve=True) == "exemption_not_pending"
    # a1 passes anyway; the rejected exemption is not what passes him.
    services.annual_audit_run(actor=cme.user("commission_science"), year=YEAR)
    audit = AnnualAudit.objects.get(worker=cme.a1, year=YEAR)
    assert (audit.passed, audit.exempt, audit.reason) == (True, False, "达标")


def test_a_rejected_request_can_be_made_again(cme):
    inst = cme.user("institution_a1")
    exemption = services.exemption_request(actor=inst, worker=cme.a3, year=YEAR, reason="病假")
    services.exemption_decide(actor=cme.user("district_a"), exemption=exemption, approve=False, reason="不足三个月")
    again = services.exemption_request(actor=inst, worker=cme.a3, year=YEAR, reason="病假六个月，附证明")
    assert (again.pk, again.status, again.decision_reason, again.approved_by) == (exemption.pk, "pending", "", None)
    assert Exemption.objects.filter(worker=cme.a3).count() == 1


def test_grant_still_approves_at_once(cme):
    exemption = services.exemption_grant(actor=cme.user("commission_science"), worker=cme.a2, year=YEAR,
                                         reason="援藏")
    assert exemption.status == "verified"
    services.annual_audit_run(actor=cme.user("commission_science"), year=YEAR)
    assert AnnualAudit.objects.get(worker=cme.a2, year=YEAR).exempt is True
