"""The review queue: accept merges (undoable), reject is a manual no-match; scoped, audited pages."""

import pytest
from django.core.exceptions import PermissionDenied

from weijian.audit.actions import AuditAction
from weijian.audit.models import AuditEvent
from weijian.core.errors import BusinessError
from weijian.mpi import matching, services
from weijian.mpi.errors import MpiErrorCode as E
from weijian.mpi.models import LinkState, Person, ReviewItem, ReviewStatus, SourceIdentity

RAW = {"name": "李秀英", "sex": "2", "birth_date": "1958-07-21", "id_number": "", "phone": "13511112222",
       "address": ""}
REASON = "姓名、出生日期一致，电话核实为同一人"


@pytest.fixture
def queued(world):
    """A resident known to one source, and a possible match of her from another (no ID, a relative's phone)."""
    matching.link_arrivals([matching.Arrival("H1", "1", {**RAW, "phone": "13912340001", "address": "锦江区督院街"},
                                             institution_id=world.inst_a1.pk)])
    matching.link_arrivals([matching.Arrival("H2", "7", RAW, institution_id=world.inst_b1.pk)])
    return ReviewItem.objects.get()


def test_accepting_merges_and_undoing_restores_both(world, queued):
    info = world.user("commission_info")
    identity = queued.identity
    assert identity.link_state == LinkState.POSSIBLE
    own = identity.person
    person = services.review_accept(actor=info, item=queued, reason=REASON)
    assert person.pk == queued.candidate_id
    assert SourceIdentity.objects.get(pk=identity.pk).person_id == person.pk
    assert ReviewItem.objects.get().status == ReviewStatus.ACCEPTED
    with pytest.raises(BusinessError) as closed:
        services.review_accept(actor=info, item=queued, reason=REASON)
    assert closed.value.code == E.REVIEW_CLOSED
    services.person_unmerge(actor=info, merged=Person.objects.get(pk=own.pk), reason="核实为两位居民")
    assert SourceIdentity.objects.get(pk=identity.pk).person_id == own.pk
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {AuditAction.MPI_REVIEW, AuditAction.MPI_MERGE, AuditAction.MPI_UNMERGE} <= actions


def test_rejecting_is_a_manual_no_match(world, queued):
    services.review_reject(actor=world.user("commission_info"), item=queued, reason="出生地不同，非同一人")
    identity = SourceIdentity.objects.get(pk=queued.identity_id)
    assert identity.link_state == LinkState.MANUAL_NO_MATCH
    assert identity.person_id != queued.candidate_id
    assert AuditEvent.objects.filter(action=AuditAction.MPI_REVIEW).count() == 1


def test_only_the_information_centre_decides_and_a_reason_is_required(world, queued):
    with pytest.raises(PermissionDenied):
        services.review_accept(actor=world.user("district_a"), item=queued, reason=REASON)
    with pytest.raises(BusinessError) as short:
        services.review_accept(actor=world.user("commission_info"), item=queued, reason="是")
    assert short.value.code == E.REASON_REQUIRED


def test_bulk_decisions_skip_items_decided_meanwhile(world, queued):
    info = world.user("commission_info")
    result = services.review_decide_many(actor=info, items=[queued, queued], accept=False, reason=REASON)
    assert result == {"done": 1, "skipped": 1}
    with pytest.raises(BusinessError):
        services.review_decide_many(actor=info, items=[], accept=True, reason=REASON)


def test_the_pages_show_both_sides_and_audit_the_read(client_for, world, queued):
    client = client_for(world.user("commission_info"))
    listing = client.get("/mpi/review/")
    assert listing.status_code == 200 and str(queued.identity) in listing.content.decode()
    detail = client.get(f"/mpi/review/{queued.pk}/").content.decode()
    assert "李秀英" in detail and "13912340001" not in detail and "135****2222" in detail
    assert 'data-testid="kept-apart"' not in detail  # an ordinary possible match
    for reason, says in (("id_number", "另一个有效且与出生日期一致的身份证号"), ("birth_order", "另一个出生顺序"),
                         ("name", "另一姓名登记在两条或以上记录上")):
        ReviewItem.objects.filter(pk=queued.pk).update(kept_apart=reason)
        held_back = client.get(f"/mpi/review/{queued.pk}/").content.decode()
        assert 'data-testid="kept-apart"' in held_back and says in held_back, reason
    assert "候选已有两条记录的另一姓名" in client.get("/mpi/review/").content.decode()  # the list's column
    assert AuditEvent.objects.filter(action=AuditAction.MPI_READ).exists()
    refused = client.post(f"/mpi/review/{queued.pk}/decide/", {"decision": "accept", "reason": ""})
    assert refused.status_code == 422 and "至少4个字" in refused.content.decode()
    done = client.post(f"/mpi/review/{queued.pk}/decide/", {"decision": "accept", "reason": REASON})
    assert done.status_code == 302
    page = client.get(f"/mpi/persons/{queued.candidate.empi}/").content.decode()
    assert "撤销合并" in page and "H2" in page
    export = client.get("/mpi/review/?status=&export=xlsx")
    assert export["Content-Type"].startswith("application/vnd.openxmlformats")


def test_a_district_bureau_sees_only_its_own_institutions_items(client_for, world, queued):
    client = client_for(world.user("district_a"))  # the arriving identity came from 青羊区 (district B)
    assert str(queued.identity) not in client.get("/mpi/review/").content.decode()
    assert client.get(f"/mpi/review/{queued.pk}/").status_code == 404
    client = client_for(world.user("district_b"))
    assert str(queued.identity) in client.get("/mpi/review/").content.decode()
    assert client.post(f"/mpi/review/{queued.pk}/decide/", {"decision": "accept", "reason": REASON}).status_code == 403
