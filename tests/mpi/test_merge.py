"""Merge, unmerge and split keep every source identity on exactly one person, with history and audit."""

import pytest
from django.core.exceptions import PermissionDenied
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import factories
from weijian.audit.actions import AuditAction
from weijian.audit.models import AuditEvent
from weijian.core.errors import BusinessError
from weijian.mpi import golden, services
from weijian.mpi.errors import MpiErrorCode as E
from weijian.mpi.models import LinkEvent, LinkEventKind, LinkState, Person, SourceIdentity

REASON = "同一居民，证件号一致"


def record(name="林强", *, id_number="", birth="1980-05-06", sex="1", phone="13800001111", consistent=True):
    return {"name": name, "sex": sex, "birth_date": birth, "id_number": id_number,
            "id_status": "valid" if id_number else "missing", "id_consistent": consistent and bool(id_number),
            "phone": phone, "address": "锦江区春熙路街道1号", "address_district": "510104"}


def identity(source="S1", local="1", **kwargs):
    return services.identity_create(source_code=source, local_id=local, record=record(**kwargs))


@pytest.fixture
def info(world):
    return world.user("commission_info")


def test_merge_moves_identities_and_keeps_the_merged_number_resolvable(info):
    a = identity("S1", "1", id_number=factories.id_number(sequence=11))
    b = identity("S2", "9", name="林 强")
    survivor = services.person_merge(actor=info, survivor=a.person, merged=b.person, reason=REASON)
    merged = Person.objects.get(pk=b.person_id)
    assert (merged.active, merged.merged_into_id) == (False, survivor.pk)
    assert set(survivor.identities.values_list("local_id", flat=True)) == {"1", "9"}
    assert SourceIdentity.objects.get(pk=b.pk).link_state == LinkState.MANUAL_MATCH
    event = LinkEvent.objects.filter(identity=b, kind=LinkEventKind.MERGE).get()
    assert (event.from_person_id, event.to_person_id, event.actor_id) == (merged.pk, survivor.pk, info.pk)
    assert AuditEvent.objects.filter(action=AuditAction.MPI_MERGE, entity_id=str(survivor.pk)).exists()


def test_unmerge_restores_the_merged_person_with_its_identities(info):
    a, b, c = identity("S1", "1"), identity("S2", "2"), identity("S3", "3")
    services.person_merge(actor=info, survivor=a.person, merged=c.person, reason=REASON)
    services.person_merge(actor=info, survivor=a.person, merged=b.person, reason=REASON)
    restored = services.person_unmerge(actor=info, merged=Person.objects.get(pk=b.person_id), reason="误合并，性别不同")
    assert restored.active and restored.merged_into_id is None
    assert list(restored.identities.values_list("local_id", flat=True)) == ["2"]
    assert set(Person.objects.get(pk=a.person_id).identities.values_list("local_id", flat=True)) == {"1", "3"}
    assert SourceIdentity.objects.get(pk=b.pk).link_state == LinkState.MANUAL_NO_MATCH
    assert AuditEvent.objects.filter(action=AuditAction.MPI_UNMERGE).count() == 1


def test_refusals_change_nothing(world, info):
    a, b = identity("S1", "1"), identity("S2", "2")
    with pytest.raises(BusinessError) as same:
        services.person_merge(actor=info, survivor=a.person, merged=a.person, reason=REASON)
    assert same.value.code == E.SAME_PERSON
    with pytest.raises(BusinessError) as short:
        services.person_merge(actor=info, survivor=a.person, merged=b.person, reason="同")
    assert short.value.code == E.REASON_REQUIRED and short.value.message == "请填写理由（至少4个字）"
    with pytest.raises(BusinessError) as alone:
        services.identity_split(actor=info, identity=a, reason=REASON)
    assert alone.value.code == E.LAST_IDENTITY
    with pytest.raises(BusinessError) as not_merged:
        services.person_unmerge(actor=info, merged=a.person, reason=REASON)
    assert not_merged.value.code == E.NOT_MERGED
    with pytest.raises(PermissionDenied):
        services.person_merge(actor=world.user("worker_a1"), survivor=a.person, merged=b.person, reason=REASON)
    assert Person.objects.filter(active=True).count() == 2 and LinkEvent.objects.count() == 2


def test_split_takes_one_identity_to_a_new_person(info):
    a, b = identity("S1", "1"), identity("S2", "2", name="林强强")
    services.person_merge(actor=info, survivor=a.person, merged=b.person, reason=REASON)
    new = services.identity_split(actor=info, identity=SourceIdentity.objects.get(pk=b.pk), reason="不是同一人")
    assert list(new.identities.values_list("local_id", flat=True)) == ["2"]
    assert new.name == "林强强" and Person.objects.get(pk=a.person_id).name == "林强"


def test_golden_record_follows_the_survivorship_rules():
    older = golden.Candidate(1, "2024-01-01T00:00:00", 1, record("林强", id_number="ID-TRUSTED", phone="13800000001"))
    newer = golden.Candidate(2, "2025-01-01T00:00:00", 0, record("林  强", id_number="ID-NEWER", phone="13900000002"))
    third = golden.Candidate(3, "2023-01-01T00:00:00", 0, record("林强", birth="1980-06-05"))
    chosen = golden.survive([older, newer, third])
    assert chosen["id_number"] == ("ID-TRUSTED", 1, "most_trusted")  # trust beats recency
    assert chosen["phone"] == ("13900000002", 2, "most_recent")
    assert chosen["birth_date"] == ("1980-05-06", 2, "most_complete")  # two of three agree
    inconsistent = golden.Candidate(4, "2026-01-01T00:00:00", 9, record(id_number="PARENT", consistent=False))
    assert golden.survive([inconsistent, older])["id_number"][0] == "ID-TRUSTED"


def test_the_golden_id_number_is_encrypted_and_masked(info):
    number = factories.id_number(sequence=21)
    person = identity(id_number=number).person
    person.refresh_from_db()
    assert number not in person.id_number_encrypted and person.id_number_masked == number[:4] + "*" * 10 + number[-4:]
    assert person.id_number_index and person.phone_masked == "138****1111"


OPERATIONS = st.lists(st.tuples(st.sampled_from(["merge", "unmerge", "split"]), st.integers(0, 50),
                                st.integers(0, 50)), max_size=25)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(OPERATIONS)
def test_no_sequence_of_merges_and_unmerges_loses_a_source_identity(info, operations):
    """Property: whatever people do, every identity stays attached to exactly one ACTIVE person, and the
    identities are the same ones as before."""
    base = SourceIdentity.objects.count()
    made = [identity(f"P{base}", str(n)) for n in range(6)]
    ids = {i.pk for i in made}
    for kind, x, y in operations:
        active = list(Person.objects.filter(active=True, identities__pk__in=ids).distinct().order_by("pk"))
        try:
            if kind == "merge" and len(active) >= 2:
                services.person_merge(actor=info, survivor=active[x % len(active)],
                                      merged=active[y % len(active)], reason=REASON)
            elif kind == "unmerge":
                gone = list(Person.objects.filter(active=False, merged_into__isnull=False).order_by("pk"))
                if gone:
                    services.person_unmerge(actor=info, merged=gone[x % len(gone)], reason=REASON)
            elif kind == "split":
                chosen = SourceIdentity.objects.get(pk=sorted(ids)[x % len(ids)])
                services.identity_split(actor=info, identity=chosen, reason=REASON)
        except BusinessError:
            pass  # a refused step (same person, last identity, …) must also leave the index whole
        attached = SourceIdentity.objects.filter(pk__in=ids).select_related("person")
        assert {i.pk for i in attached} == ids
        assert all(i.person.active for i in attached)
