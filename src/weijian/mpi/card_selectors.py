"""Reads of resident health cards (居民健康卡), always through the gate.

- `card_list`, `card_get`: what the actor's scope holds (`SCOPE_RULES["mpi.healthcard"]`: the city, a
  district's institutions, one institution);
- `card_view`: one card with its holder for a detail page — a read of personal data, audited;
- `card_lookup`: a desk swipes a card (any card of the city, by its exact number: a resident may present
  their card at any institution of the pilot). Every swipe, refused ones included, is a `CardEvent` usage row
  and a CARD_LOOKUP audit row naming the card and the person; a card that is lost, replaced, revoked or past
  its expiry date is refused with an error naming that status, and its holder is not shown;
- the pilot scope (`pilot_allows`, `require_pilot`): where cards may be issued and swiped.
"""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy

from weijian.accounts.access import access_object, record_source_of, require, scoped_queryset
from weijian.accounts.roles import Scope
from weijian.audit.actions import AuditAction
from weijian.audit.services import audit_record
from weijian.core.errors import BusinessError
from weijian.mpi import card_numbers
from weijian.mpi.card_errors import CardErrorCode as E
from weijian.mpi.models import (
    USAGE_EVENT_KINDS,
    CardEvent,
    CardEventKind,
    CardEventOutcome,
    CardPilotScope,
    CardStatus,
    CardUsePurpose,
    HealthCard,
    Person,
    PilotScopeKind,
)

ENTITY = "health-card"
PERSON_ENTITY = "mpi-person"
MAX_MERGE_HOPS = 20
SEX_LABELS = {"1": gettext_lazy("男"), "2": gettext_lazy("女"), "0": gettext_lazy("未知的性别"),
              "9": gettext_lazy("未说明的性别")}  # GB/T 2261.1


# ---- who is at the desk, and the pilot ------------------------------------------------------------------

def desk_institution(actor):
    """The institution an institution-scoped actor (an institution's staff, a card reader's source account)
    works at; None for the city. A suspended source is refused outright."""
    if actor.scope != Scope.INSTITUTION:
        return None
    source = record_source_of(actor)
    if source is not None and source.status != "active":  # records.SourceStatus.ACTIVE
        raise BusinessError(E.SOURCE_SUSPENDED)
    if actor.institution_id is None:
        raise BusinessError(E.NO_INSTITUTION)
    return actor.institution


def pilot_filter(institution) -> Q:
    return (Q(kind=PilotScopeKind.CITY) | Q(kind=PilotScopeKind.DISTRICT, district_id=institution.district_id)
            | Q(kind=PilotScopeKind.INSTITUTION, institution_id=institution.pk))


def pilot_allows(institution) -> bool:
    """Whether cards may be issued and swiped at `institution`: it, its district or the whole city is in the
    pilot. No pilot rows at all: nowhere (the card is not open yet)."""
    return CardPilotScope.objects.filter(pilot_filter(institution)).exists()


def require_pilot(institution) -> None:
    if pilot_allows(institution):
        return
    if not CardPilotScope.objects.exists():
        raise BusinessError(E.PILOT_NOT_CONFIGURED)
    raise BusinessError(E.NOT_IN_PILOT, str(E.NOT_IN_PILOT.message) % {"institution": institution.name})


def pilot_institutions(institutions: QuerySet) -> QuerySet:
    """`institutions` narrowed to those in the pilot (for the choices of an issue form)."""
    if CardPilotScope.objects.filter(kind=PilotScopeKind.CITY).exists():
        return institutions
    rows = CardPilotScope.objects.all()
    return institutions.filter(Q(district_id__in=rows.filter(kind=PilotScopeKind.DISTRICT).values("district_id"))
                               | Q(pk__in=rows.filter(kind=PilotScopeKind.INSTITUTION).values("institution_id")))


def pilot_scope(*, actor) -> QuerySet:
    """The pilot's participants, for the settings page."""
    require(actor, ENTITY, "settings")
    return CardPilotScope.objects.select_related("district", "institution", "institution__district", "created_by")


# ---- lists and one card ---------------------------------------------------------------------------------

def card_list(*, actor, q: str = "", status: str = "", institution=None, district: str = "", issued_from=None,
              issued_to=None, action: str = "list") -> QuerySet:
    qs = scoped_queryset(actor, HealthCard, action).select_related("person", "institution", "institution__district")
    q = (q or "").strip()
    if q:
        number = card_numbers.normalise(q)
        if number.isascii() and number.isdigit():
            qs = qs.filter(card_number__startswith=number)
        elif q[:1] in "Pp" and q[1:].isdigit():
            qs = qs.filter(person__empi=q.upper())
        else:
            qs = qs.filter(person__name__icontains=q)
    if status:
        qs = qs.filter(status=status)
    if institution:
        qs = qs.filter(institution_id=getattr(institution, "pk", institution))
    if district:
        qs = qs.filter(institution__district_id=district)
    if issued_from:
        qs = qs.filter(issued_on__gte=issued_from)
    if issued_to:
        qs = qs.filter(issued_on__lte=issued_to)
    return qs


def card_get(*, actor, pk, action: str = "view") -> HealthCard:
    return access_object(actor, HealthCard, pk, action)


def card_view(*, actor, pk) -> HealthCard:
    """One card with its holder for the detail page: a read of personal data, audited."""
    card = access_object(actor, HealthCard, pk, "view")
    audit_record(actor=actor, action=AuditAction.VIEW_PERSONAL, entity=ENTITY, entity_id=card.pk,
                 summary=f"查看居民健康卡 {card.card_number}（{card.person.empi}）")
    return card


def card_status_events(card: HealthCard) -> QuerySet:
    return card.events.exclude(kind__in=USAGE_EVENT_KINDS).select_related("institution", "actor")


def card_usage_events(card: HealthCard) -> QuerySet:
    return card.events.filter(kind__in=USAGE_EVENT_KINDS).select_related("institution", "actor")


# ---- holders ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CardHolder:
    """What a desk may see of a card's holder: no full ID number, ever."""

    person_id: int
    empi: str
    name: str
    sex: str
    sex_label: str
    birth_date: dt.date | None
    id_number_masked: str


def current_person(person: Person) -> Person:
    """The golden record a (possibly merged) person now lives on: merges keep the old number resolving."""
    for _hop in range(MAX_MERGE_HOPS):
        if person.active or person.merged_into_id is None:
            return person
        person = person.merged_into
    return person


def holder_of(person: Person) -> CardHolder:
    person = current_person(person)
    return CardHolder(person.pk, person.empi, person.name, person.sex, str(SEX_LABELS.get(person.sex, "")),
                      person.birth_date, person.id_number_masked)


def person_find(*, actor, empi: str, action: str = "issue") -> Person:
    """The person a card is to be issued to, by exact 主索引号 (no browsing)."""
    require(actor, ENTITY, action)
    empi = (empi or "").strip().upper()
    person = Person.objects.select_related("merged_into").filter(empi=empi).first() if empi else None
    if person is None:
        raise BusinessError(E.PERSON_NOT_FOUND, field="empi")
    return person


def person_preview(*, actor, empi: str) -> tuple[CardHolder, Person, HealthCard | None]:
    """Who a 主索引号 names, for the desk to check before issuing; audited (a read of personal data).
    Returns the holder (the surviving golden record), the person as typed and the holder's active card."""
    person = person_find(actor=actor, empi=empi)
    holder = holder_of(person)
    active = HealthCard.objects.filter(person_id=holder.person_id, status=CardStatus.ACTIVE).first()
    audit_record(actor=actor, action=AuditAction.VIEW_PERSONAL, entity=PERSON_ENTITY, entity_id=holder.person_id,
                 summary=f"发卡前核对居民 {holder.empi}")
    return holder, person, active


# ---- swiping a card -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CardLookup:
    card: HealthCard
    holder: CardHolder
    event: CardEvent


def usability_error(card: HealthCard, today: dt.date | None = None) -> BusinessError | None:
    """Why `card` cannot be used today (its status, or its expiry), or None."""
    refusals = {CardStatus.LOST: E.CARD_LOST, CardStatus.REPLACED: E.CARD_REPLACED, CardStatus.REVOKED: E.CARD_REVOKED}
    if card.status in refusals:
        return BusinessError(refusals[card.status], field="card_number", status=card.status)
    if card.expires_on < (today or timezone.localdate()):
        return BusinessError(E.CARD_EXPIRED, str(E.CARD_EXPIRED.message) % {"date": card.expires_on.isoformat()},
                             field="card_number", status="expired")
    return None


def _audit_label(kind: str, purpose: str) -> str:
    """Audit summaries are written in the platform's language, whatever the reader's."""
    with translation.override(settings.LANGUAGE_CODE):
        label = str(CardEventKind(kind).label)
        return f"{label}（{CardUsePurpose(purpose).label}）" if purpose else label


def card_swipe(*, actor, card_number: str, kind: str = CardEventKind.LOOKUP, purpose: str = "",
               detail: str = "") -> CardLookup:
    """A card presented at a desk: checked (pilot, number, status), logged and audited, refusals included.
    Callers have checked the role (`lookup` or `use`)."""
    institution = desk_institution(actor)
    if institution is not None:
        require_pilot(institution)
    number = card_numbers.validate(card_number)
    card = (HealthCard.objects.select_related("person", "person__merged_into", "institution")
            .filter(card_number=number).first())
    label = _audit_label(kind, purpose)
    with transaction.atomic():
        if card is None:
            audit_record(actor=actor, action=AuditAction.CARD_LOOKUP, entity=ENTITY, outcome="not-found",
                         summary=f"{label}：卡号 {number} 不存在")
            refusal, result = BusinessError(E.NOT_FOUND, field="card_number"), None
        else:
            refusal = usability_error(card)
            holder = holder_of(card.person)
            note = (detail or "").strip()[:100]
            event = CardEvent.objects.create(
                card=card, kind=kind, purpose=purpose, institution=institution, actor=actor,
                outcome=CardEventOutcome.REJECTED if refusal else CardEventOutcome.OK,
                detail=(refusal.message if refusal else note)[:255])
            refused = ""
            if refusal is not None:
                state = "已过期" if refusal.code == E.CARD_EXPIRED else card.get_status_display()
                refused = f"（已拒绝：{state}）"
            audit_record(actor=actor, action=AuditAction.CARD_LOOKUP, entity=ENTITY, entity_id=card.pk,
                         outcome="rejected" if refusal else "ok",
                         summary=f"{label} {number} → {holder.empi}{refused}")
            result = CardLookup(card, holder, event)
    if refusal is not None:
        raise refusal
    return result


def card_lookup(*, actor, card_number: str) -> CardLookup:
    """Swipe to identify the resident at a desk: the holder's EMPI, name, sex, birth date, masked ID number."""
    require(actor, ENTITY, "lookup")
    return card_swipe(actor=actor, card_number=card_number, kind=CardEventKind.LOOKUP)
