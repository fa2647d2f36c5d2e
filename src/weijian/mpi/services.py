"""Writes to the master patient index. Identities only ever move between persons (never vanish); every
move is a `LinkEvent` and, for people's decisions, an audit row in the same transaction."""

import datetime as dt
import json
import secrets

from django.db import transaction
from django.utils import timezone

from weijian.accounts.access import require
from weijian.audit.actions import AuditAction
from weijian.audit.services import audit_record
from weijian.core import crypto
from weijian.core.errors import BusinessError
from weijian.mpi import golden
from weijian.mpi.errors import MpiErrorCode as E
from weijian.mpi.models import (
    LinkEvent,
    LinkEventKind,
    LinkState,
    Person,
    ReviewItem,
    ReviewStatus,
    SourceIdentity,
)
from weijian.workforce.idnumber import mask_id_number

ID_PURPOSE = "citizen-id-number"  # the record store's purpose too: one blind index finds both
ENTITY = "mpi-person"


def _reason(reason: str) -> str:
    reason = " ".join((reason or "").split())
    if len(reason) < 4:
        raise BusinessError(E.REASON_REQUIRED, field="reason")
    return reason[:255]


def new_empi() -> str:
    """A random 主索引号: "P" and 15 digits (not derived from any personal data)."""
    while True:
        empi = "P" + "".join(secrets.choice("0123456789") for _ in range(15))
        if not Person.objects.filter(empi=empi).exists():
            return empi


def mask_phone(phone: str) -> str:
    """138****2233: enough to recognise, not to call."""
    return (phone[:3] + "****" + phone[-4:]) if len(phone) >= 7 else ""


def standardised_of(identity: SourceIdentity) -> dict:
    return json.loads(crypto.decrypt(identity.standardised))


def identity_create(*, source_code: str, local_id: str, record: dict, person: Person | None = None,
                    state: str = LinkState.NEW, match_weight: float | None = None, model_version: str = "",
                    institution_id=None, patient_fhir_id: str = "", actor=None,
                    upload_id: int | None = None) -> SourceIdentity:
    """A new source identity, on `person` or on a new person of its own; the golden record follows."""
    with transaction.atomic():
        if person is None:
            person = Person.objects.create(empi=new_empi())
        identity = SourceIdentity.objects.create(
            source_code=source_code, local_id=local_id, institution_id=institution_id,
            patient_fhir_id=patient_fhir_id, person=person, link_state=state, match_weight=match_weight,
            model_version=model_version, standardised=crypto.encrypt(json.dumps(record, ensure_ascii=False)),
            received_at=timezone.now())
        LinkEvent.objects.create(identity=identity, kind=LinkEventKind.LINK, to_person=person, state=state,
                                 match_weight=match_weight, actor=actor, upload_id=upload_id)
        refresh_golden(person)
    return identity


def _move(identity: SourceIdentity, person: Person, *, kind: str, state: str, actor, reason: str) -> None:
    LinkEvent.objects.create(identity=identity, kind=kind, from_person_id=identity.person_id, to_person=person,
                             state=state, match_weight=identity.match_weight, actor=actor, reason=reason)
    identity.person, identity.link_state = person, state
    identity.save(update_fields=["person", "link_state", "updated_at"])


def _active(person: Person) -> Person:
    person = Person.objects.select_for_update().get(pk=person.pk)
    if not person.active:
        raise BusinessError(E.PERSON_INACTIVE)
    return person


def person_merge(*, actor, survivor: Person, merged: Person, reason: str) -> Person:
    """Move every identity of `merged` to `survivor`; `merged` stays, inactive, pointing at the survivor
    (its number keeps resolving, and the merge can be undone)."""
    require(actor, ENTITY, "merge")
    reason = _reason(reason)
    if survivor.pk == merged.pk:
        raise BusinessError(E.SAME_PERSON)
    with transaction.atomic():
        survivor, merged = _active(survivor), _active(merged)
        for identity in merged.identities.select_for_update():
            _move(identity, survivor, kind=LinkEventKind.MERGE, state=LinkState.MANUAL_MATCH, actor=actor,
                  reason=reason)
        merged.active, merged.merged_into = False, survivor
        merged.save(update_fields=["active", "merged_into", "updated_at"])
        refresh_golden(survivor)
        audit_record(actor=actor, action=AuditAction.MPI_MERGE, entity=ENTITY, entity_id=survivor.pk,
                     summary=f"合并主索引 {merged.empi} → {survivor.empi}：{reason}")
    return survivor


def person_unmerge(*, actor, merged: Person, reason: str) -> Person:
    """Undo a merge: the identities that came from `merged` go back to it, and it is active again."""
    require(actor, ENTITY, "unmerge")
    reason = _reason(reason)
    with transaction.atomic():
        merged = Person.objects.select_for_update().get(pk=merged.pk)
        if merged.active or merged.merged_into_id is None:
            raise BusinessError(E.NOT_MERGED)
        survivor = merged.merged_into
        moved = _identities_merged_from(merged, survivor)
        for identity in SourceIdentity.objects.select_for_update().filter(pk__in=moved, person=survivor):
            _move(identity, merged, kind=LinkEventKind.UNMERGE, state=LinkState.MANUAL_NO_MATCH, actor=actor,
                  reason=reason)
        merged.active, merged.merged_into = True, None
        merged.save(update_fields=["active", "merged_into", "updated_at"])
        refresh_golden(merged)
        refresh_golden(survivor)
        audit_record(actor=actor, action=AuditAction.MPI_UNMERGE, entity=ENTITY, entity_id=merged.pk,
                     summary=f"撤销合并 {merged.empi} ← {survivor.empi}：{reason}")
    return merged


def _identities_merged_from(merged: Person, survivor: Person) -> list[int]:
    """Identities whose latest move was the merge from `merged` into `survivor`."""
    latest = {}
    for event in LinkEvent.objects.filter(identity__person=survivor).order_by("id"):
        latest[event.identity_id] = event
    return [identity_id for identity_id, event in latest.items()
            if event.kind == LinkEventKind.MERGE and event.from_person_id == merged.pk]


def identity_split(*, actor, identity: SourceIdentity, reason: str) -> Person:
    """Take one identity off its person onto a new person (a wrong link); a manual no-match, which
    later automatic runs leave alone."""
    require(actor, ENTITY, "unmerge")
    reason = _reason(reason)
    with transaction.atomic():
        identity = SourceIdentity.objects.select_for_update().get(pk=identity.pk)
        old = _active(identity.person)
        if old.identities.count() < 2:
            raise BusinessError(E.LAST_IDENTITY)
        person = Person.objects.create(empi=new_empi())
        _move(identity, person, kind=LinkEventKind.UNMERGE, state=LinkState.MANUAL_NO_MATCH, actor=actor,
              reason=reason)
        refresh_golden(person)
        refresh_golden(old)
        audit_record(actor=actor, action=AuditAction.MPI_UNMERGE, entity=ENTITY, entity_id=old.pk,
                     summary=f"拆分 {identity.source_code}:{identity.local_id} 自 {old.empi} → {person.empi}：{reason}")
    return person


def refresh_golden(person: Person) -> Person:
    """Recompute the golden record from the person's identities (survivorship rules in `golden`)."""
    candidates = [golden.Candidate(i.pk, i.received_at.isoformat(), 0, standardised_of(i))
                  for i in person.identities.all()]
    chosen = golden.survive(candidates)
    id_number = chosen["id_number"][0]
    phone = chosen["phone"][0]
    birth = chosen["birth_date"][0]
    person.name = chosen["name"][0][:64]
    person.sex = chosen["sex"][0][:1]
    person.birth_date = dt.date.fromisoformat(birth) if birth else None
    person.id_number_encrypted = crypto.encrypt(id_number) if id_number else ""
    person.id_number_index = crypto.blind_index(id_number, purpose=ID_PURPOSE) if id_number else ""
    person.id_number_masked = mask_id_number(id_number) if id_number else ""
    person.phone_encrypted = crypto.encrypt(phone) if phone else ""
    person.phone_masked = mask_phone(phone)
    person.address = chosen["address"][0][:255]
    person.address_district = chosen["address_district"][0][:6]
    person.survivorship = {field: {"identity": identity_id, "rule": rule}
                           for field, (_value, identity_id, rule) in chosen.items() if identity_id}
    person.save()
    return person


# ---- the review queue ----------------------------------------------------------------------------------

REVIEW_ENTITY = "mpi-review"


def _active_person(person: Person) -> Person:
    """Follow merges to the person that holds the identities now."""
    seen = set()
    while not person.active and person.merged_into_id and person.pk not in seen:
        seen.add(person.pk)
        person = person.merged_into
    return person


def _open_item(item: ReviewItem) -> ReviewItem:
    item = ReviewItem.objects.select_for_update(of=("self",)).select_related("identity", "candidate").get(pk=item.pk)
    if item.status != ReviewStatus.OPEN:
        raise BusinessError(E.REVIEW_CLOSED)
    return item


def _close(item: ReviewItem, status: str, actor, reason: str) -> None:
    item.status, item.decided_by, item.decided_at, item.reason = status, actor, timezone.now(), reason
    item.save(update_fields=["status", "decided_by", "decided_at", "reason", "updated_at"])


def review_accept(*, actor, item: ReviewItem, reason: str) -> Person:
    """The identity is the candidate person: its person is merged into the candidate (undo with
    `person_unmerge`); the identity's other open items are superseded."""
    require(actor, REVIEW_ENTITY, "decide")
    reason = _reason(reason)
    with transaction.atomic():
        item = _open_item(item)
        candidate = _active_person(item.candidate)
        own = item.identity.person
        if own.pk != candidate.pk:
            candidate = person_merge(actor=actor, survivor=candidate, merged=own, reason=reason)
        _close(item, ReviewStatus.ACCEPTED, actor, reason)
        ReviewItem.objects.filter(identity=item.identity, status=ReviewStatus.OPEN).update(
            status=ReviewStatus.SUPERSEDED, updated_at=timezone.now())
        audit_record(actor=actor, action=AuditAction.MPI_REVIEW, entity=ENTITY, entity_id=candidate.pk,
                     summary=f"确认匹配 {item.identity}（权重 {item.match_weight:.1f}）→ {candidate.empi}：{reason}")
    return candidate


def review_reject(*, actor, item: ReviewItem, reason: str) -> SourceIdentity:
    """The identity is not the candidate: a manual no-match, which later automatic runs respect."""
    require(actor, REVIEW_ENTITY, "decide")
    reason = _reason(reason)
    with transaction.atomic():
        item = _open_item(item)
        _close(item, ReviewStatus.REJECTED, actor, reason)
        identity = item.identity
        if not ReviewItem.objects.filter(identity=identity, status=ReviewStatus.OPEN).exists():
            LinkEvent.objects.create(identity=identity, kind=LinkEventKind.REVIEW, from_person_id=identity.person_id,
                                     to_person_id=identity.person_id, state=LinkState.MANUAL_NO_MATCH,
                                     match_weight=item.match_weight, actor=actor, reason=reason)
            identity.link_state = LinkState.MANUAL_NO_MATCH
            identity.save(update_fields=["link_state", "updated_at"])
        audit_record(actor=actor, action=AuditAction.MPI_REVIEW, entity=ENTITY, entity_id=identity.person_id,
                     summary=f"确认不匹配 {identity} ≠ {item.candidate.empi}（权重 {item.match_weight:.1f}）：{reason}")
    return identity


def review_decide_many(*, actor, items, accept: bool, reason: str) -> dict[str, int]:
    """Accept or reject several items with one reason; each is decided (and audited) on its own, and
    items already decided meanwhile are counted as skipped, not failed."""
    require(actor, REVIEW_ENTITY, "decide")
    reason = _reason(reason)
    items = list(items)
    if not items:
        raise BusinessError(E.NOTHING_SELECTED)
    decide = review_accept if accept else review_reject
    done = skipped = 0
    for item in items:
        try:
            decide(actor=actor, item=item, reason=reason)
            done += 1
        except BusinessError as exc:
            if exc.code not in (E.REVIEW_CLOSED, E.PERSON_INACTIVE, E.SAME_PERSON):
                raise
            skipped += 1
    return {"done": done, "skipped": skipped}
