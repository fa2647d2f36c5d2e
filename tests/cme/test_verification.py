"""The verification chain: department → institution (the worker's institution) → commission."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied

from weijian.audit.models import AuditEvent
from weijian.cme import services
from weijian.cme.models import CreditRecord, CreditReview
from weijian.core.errors import BusinessError, NotFoundOrForbidden

from .conftest import YEAR

D = dt.date


def _code(call, **kwargs):
    with pytest.raises(BusinessError) as exc:
        call(**kwargs)
    return exc.value.code


def _report(cme, credits="3"):
    return services.credit_record_create(actor=cme.user("worker_a1"), worker=cme.a1, credit_class="II",
                                         category="self_study", credits=credits, earned_on=D(YEAR, 8, 1))


def test_a_record_walks_department_institution_commission(cme):
    inst, science = cme.user("institution_a1"), cme.user("commission_science")
    record = _report(cme)
    assert (record.status, record.stage) == ("pending", "department")
    record = services.credit_review(actor=inst, record=record, approve=True, comment="材料齐全")
    assert (record.status, record.stage) == ("pending", "institution")
    record = services.credit_review(actor=inst, record=record, approve=True)
    assert (record.status, record.stage) == ("pending", "commission")
    record = services.credit_review(actor=science, record=record, approve=True)
    record.refresh_from_db()
    assert (record.status, record.stage, record.verified_by) == ("verified", "done", science)
    assert record.verified_at is not None
    steps = list(CreditReview.objects.filter(record=record).order_by("pk")
                 .values_list("stage", "decision", "reviewer__username", "comment"))
    assert steps == [("department", "approve", "institution_a1", "材料齐全"),
                     ("institution", "approve", "institution_a1", ""),
                     ("commission", "approve", "commission_science", "")]
    events = AuditEvent.objects.filter(entity="cme-credit", entity_id=str(record.pk)).order_by("pk")
    assert [e.action for e in events] == ["create", "verify", "verify", "verify"]
    assert [e.after["stage_reviewed"] for e in events[1:]] == ["department", "institution", "commission"]
    assert events.last().after["status"] == "verified"


def test_nobody_acts_out_of_turn(cme):
    inst, science = cme.user("institution_a1"), cme.user("commission_science")
    record = _report(cme)
    # The commission cannot skip the institution's steps.
    assert _code(services.credit_review, actor=science, record=record, approve=True) == "stage_not_yours"
    record = services.credit_review(actor=inst, record=record, approve=True)
    record = services.credit_review(actor=inst, record=record, approve=True)
    # ... and the institution cannot take the commission's.
    assert _code(services.credit_review, actor=inst, record=record, approve=True) == "stage_not_yours"
    assert CreditRecord.objects.get(pk=record.pk).stage == "commission"
    assert CreditReview.objects.filter(record=record).count() == 2


def test_out_of_scope_and_wrong_role_are_refused(cme):
    record = _report(cme)
    with pytest.raises(NotFoundOrForbidden):  # another institution's worker
        services.credit_review(actor=cme.user("institution_b1"), record=record, approve=True)
    for key in ("district_a", "worker_a1", "commission_info", "expert"):  # no part in the chain
        with pytest.raises(PermissionDenied):
            services.credit_review(actor=cme.user(key), record=record, approve=True)
    assert not CreditReview.objects.filter(record=record).exists()


def test_reject_needs_a_comment_and_ends_the_record(cme):
    inst, science = cme.user("institution_a1"), cme.user("commission_science")
    record = _report(cme)
    record = services.credit_review(actor=inst, record=record, approve=True)
    assert _code(services.credit_review, actor=inst, record=record, approve=False, comment="  ") == (
        "comment_required")
    record = services.credit_review(actor=inst, record=record, approve=True)
    record = services.credit_review(actor=science, record=record, approve=False, comment="非继续教育内容")
    record.refresh_from_db()
    assert (record.status, record.stage, record.verified_by) == ("rejected", "done", science)
    last = CreditReview.objects.filter(record=record).latest("pk")
    assert (last.stage, last.decision, last.comment) == ("commission", "reject", "非继续教育内容")
    event = AuditEvent.objects.filter(entity="cme-credit", entity_id=str(record.pk)).latest("pk")
    assert (event.action, event.after["comment"]) == ("reject", "非继续教育内容")
    assert _code(services.credit_review, actor=science, record=record, approve=True) == "already_verified"


def test_the_world_was_built_through_the_chain(cme):
    # Every verified self-report of the world passed three steps; the rejected one stopped at the first.
    verified_self = CreditRecord.objects.filter(source="self", status="verified")
    assert verified_self.count() == 5
    for record in verified_self:
        assert list(record.reviews.order_by("pk").values_list("stage", flat=True)) == [
            "department", "institution", "commission"]
    assert list(cme.rejected_a1.reviews.values_list("stage", "decision")) == [("department", "reject")]
    assert (cme.pending_a2.status, cme.pending_a2.stage) == ("pending", "department")


def test_credit_verify_is_one_step_of_the_chain(cme):
    inst = cme.user("institution_a1")
    record = services.credit_verify(actor=inst, record=_report(cme))
    assert (record.status, record.stage) == ("pending", "institution")
    record = services.credit_verify(actor=inst, record=record, approve=False)
    assert record.status == "rejected"
    assert record.reviews.latest("pk").comment == "审核未通过"
