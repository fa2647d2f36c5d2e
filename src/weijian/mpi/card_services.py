"""Writes to resident health cards (居民健康卡, WS/T 543): issue, report lost, replace, revoke, log a use, and
the pilot scope. Each checks the role (`require`), validates, runs in one transaction and writes its audit row
(CARD_ISSUE, CARD_STATUS, CARD_LOOKUP, CARD_SETTINGS) and its `CardEvent` in it.

Rules:
- one person, one active card (一人一卡); a card is issued to the surviving golden record of a merged person
  only by its own number (an inactive 主索引 is refused, naming the survivor);
- a card is issued at an institution in the pilot (`card_selectors.require_pilot`): an institution's staff and
  card readers issue at their own institution, the information centre names the institution;
- the number is typed (pre-printed card stock) or generated, and always follows `card_numbers`, with the
  issuing institution's district as its prefix;
- statuses only move forward: active → lost; active/lost → replaced (a new card is issued and points at the
  old one) or revoked. Reporting a loss and revoking are never limited by the pilot: a resident must always be
  able to stop a lost card.
"""

import datetime as dt
from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from weijian.accounts.access import institution_in_scope, require, scoped_queryset
from weijian.audit.actions import AuditAction
from weijian.audit.services import audit_record, audit_snapshot
from weijian.core.errors import BusinessError, NotFoundOrForbidden
from weijian.mpi import card_numbers
from weijian.mpi.card_errors import CardErrorCode as E
from weijian.mpi.card_selectors import CardLookup, card_swipe, current_person, desk_institution, require_pilot
from weijian.mpi.models import (
    CardEvent,
    CardEventKind,
    CardPilotScope,
    CardStatus,
    CardUsePurpose,
    HealthCard,
    Person,
    PilotScopeKind,
)
from weijian.orgs.models import DivisionLevel

ENTITY = "health-card"
VALIDITY_YEARS = 10  # a card's default validity from its issue date
ACTION_LABELS = {CardStatus.LOST: _("挂失"), CardStatus.REPLACED: _("补换卡"), CardStatus.REVOKED: _("注销")}
ALLOWED_FROM = {
    CardStatus.LOST: {CardStatus.ACTIVE},
    CardStatus.REPLACED: {CardStatus.ACTIVE, CardStatus.LOST},
    CardStatus.REVOKED: {CardStatus.ACTIVE, CardStatus.LOST},
}


# ---- checks ---------------------------------------------------------------------------------------------

def _reason(reason: str) -> str:
    reason = " ".join((reason or "").split())
    if len(reason) < 4:
        raise BusinessError(E.REASON_REQUIRED, field="reason")
    return reason[:255]


def add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a year without one
        return day.replace(year=day.year + years, day=28)


def _dates(issued_on: dt.date | None, expires_on: dt.date | None) -> tuple[dt.date, dt.date]:
    today = timezone.localdate()
    issued_on = issued_on or today
    if issued_on > today:
        raise BusinessError(E.ISSUE_DATE_FUTURE, field="issued_on")
    expires_on = expires_on or add_years(issued_on, VALIDITY_YEARS)
    if expires_on <= issued_on:
        raise BusinessError(E.EXPIRY_BEFORE_ISSUE, field="expires_on")
    if expires_on <= today:
        raise BusinessError(E.EXPIRY_PAST, field="expires_on")
    return issued_on, expires_on


def issuing_institution(actor, institution=None):
    """Where a new card is issued: the desk's own institution, or (for the city) the one named, in scope,
    active and in the pilot."""
    desk = desk_institution(actor)
    if desk is not None:
        if institution is not None and institution.pk != desk.pk:
            raise BusinessError(E.INSTITUTION_OUT_OF_SCOPE, field="institution")
        institution = desk
    elif institution is None:
        raise BusinessError(E.INSTITUTION_REQUIRED, field="institution")
    elif not institution_in_scope(actor, institution):
        raise BusinessError(E.INSTITUTION_OUT_OF_SCOPE, field="institution")
    if not institution.is_active:
        raise BusinessError(E.INSTITUTION_INACTIVE, field="institution")
    require_pilot(institution)
    return institution


def _taken(number: str) -> bool:
    return HealthCard.objects.filter(card_number=number).exists()


def card_number_for(raw: str, institution) -> str:
    """The typed number checked against the rule and the issuing institution's district, or a new one."""
    if not card_numbers.normalise(raw):
        return card_numbers.generate(institution.district_id, taken=_taken)
    number = card_numbers.validate(raw)
    region = card_numbers.region_of(number)
    if region != institution.district_id:
        raise BusinessError(E.NUMBER_REGION_MISMATCH, str(E.NUMBER_REGION_MISMATCH.message) % {
            "region": region, "district": f"{institution.district.name} {institution.district_id}"},
            field="card_number")
    if _taken(number):
        raise BusinessError(E.NUMBER_TAKEN, field="card_number")
    return number


def _holder(person: Person) -> Person:
    """The person locked for issuing: active, holding no active card."""
    person = Person.objects.select_for_update().get(pk=person.pk)
    if not person.active:
        survivor = current_person(person)
        raise BusinessError(E.PERSON_MERGED, str(E.PERSON_MERGED.message) % {"empi": survivor.empi}, field="empi")
    active = HealthCard.objects.filter(person=person, status=CardStatus.ACTIVE).first()
    if active is not None:
        raise BusinessError(E.ALREADY_ACTIVE, str(E.ALREADY_ACTIVE.message) % {
            "tail": card_numbers.tail(active.card_number)}, field="empi")
    return person


def _create(*, actor, person, institution, number, issued_on, expires_on, replaces=None) -> HealthCard:
    card = HealthCard(card_number=number, person=person, institution=institution, issued_on=issued_on,
                      expires_on=expires_on, replaces=replaces, issued_by=actor)
    card.full_clean(validate_unique=False, validate_constraints=False)  # both checked above, the database backs them
    try:
        with transaction.atomic():
            card.save()
    except IntegrityError:  # the same number typed at two desks at once
        raise BusinessError(E.NUMBER_TAKEN, field="card_number") from None
    return card


def _event(card, kind, *, actor, institution=None, detail: str = "") -> CardEvent:
    return CardEvent.objects.create(card=card, kind=kind, actor=actor, detail=detail[:255],
                                    institution=institution if institution is not None else actor.institution)


def _locked(actor, card: HealthCard) -> HealthCard:
    """The card again, in the actor's scope for updates, locked for this transaction."""
    try:
        return scoped_queryset(actor, HealthCard, "update").select_for_update(of=("self",)).select_related(
            "person", "institution").get(pk=card.pk)
    except HealthCard.DoesNotExist:
        raise NotFoundOrForbidden from None


def _check_move(card: HealthCard, status: str) -> None:
    if card.status not in ALLOWED_FROM[status]:
        raise BusinessError(E.TRANSITION, str(E.TRANSITION.message) % {
            "status": card.get_status_display(), "action": ACTION_LABELS[status]})


def _move(card: HealthCard, status: str, reason: str) -> None:
    _check_move(card, status)
    card.status, card.reason, card.status_changed_at = status, reason, timezone.now()
    card.save(update_fields=["status", "reason", "status_changed_at", "updated_at"])


# ---- writes ---------------------------------------------------------------------------------------------

def card_issue(*, actor, person: Person, institution=None, card_number: str = "", issued_on: dt.date | None = None,
               expires_on: dt.date | None = None) -> HealthCard:
    """Bind a new card to `person` at `institution` (the desk's own for institution accounts)."""
    require(actor, ENTITY, "issue")
    institution = issuing_institution(actor, institution)
    issued_on, expires_on = _dates(issued_on, expires_on)
    with transaction.atomic():
        person = _holder(person)
        number = card_number_for(card_number, institution)
        card = _create(actor=actor, person=person, institution=institution, number=number, issued_on=issued_on,
                       expires_on=expires_on)
        _event(card, CardEventKind.ISSUE, actor=actor, institution=institution)
        audit_record(actor=actor, action=AuditAction.CARD_ISSUE, entity=ENTITY, entity_id=card.pk,
                     summary=f"发放居民健康卡 {number} → {person.empi}（{institution.name}）",
                     after=audit_snapshot(card))
    return card


def _change_status(*, actor, card: HealthCard, reason: str, status: str, kind: str, verb: str) -> HealthCard:
    require(actor, ENTITY, "update")
    reason = _reason(reason)
    with transaction.atomic():
        card = _locked(actor, card)
        before = audit_snapshot(card)
        _move(card, status, reason)
        _event(card, kind, actor=actor, detail=reason)
        audit_record(actor=actor, action=AuditAction.CARD_STATUS, entity=ENTITY, entity_id=card.pk,
                     summary=f"{verb}居民健康卡 {card.card_number}（{card.person.empi}）：{reason}",
                     before=before, after=audit_snapshot(card))
    return card


def card_report_lost(*, actor, card: HealthCard, reason: str) -> HealthCard:
    """挂失: the card stops working at once, everywhere (swipes are refused, naming the loss)."""
    return _change_status(actor=actor, card=card, reason=reason, status=CardStatus.LOST, kind=CardEventKind.LOST,
                          verb="挂失")


def card_revoke(*, actor, card: HealthCard, reason: str) -> HealthCard:
    """注销 (the holder died, the card was issued in error…): final."""
    return _change_status(actor=actor, card=card, reason=reason, status=CardStatus.REVOKED,
                          kind=CardEventKind.REVOKE, verb="注销")


def card_replace(*, actor, card: HealthCard, reason: str, card_number: str = "", institution=None) -> HealthCard:
    """补卡 / 换卡: a new card (new number, new validity) for the same holder; the old one becomes `replaced`
    and the new one points at it. Issued at the desk's institution, or by the city at the old card's."""
    require(actor, ENTITY, "update")
    require(actor, ENTITY, "issue")
    reason = _reason(reason)
    with transaction.atomic():
        old = _locked(actor, card)
        _check_move(old, CardStatus.REPLACED)
        if institution is None and desk_institution(actor) is None:
            institution = old.institution
        institution = issuing_institution(actor, institution)
        issued_on, expires_on = _dates(None, None)
        number = card_number_for(card_number, institution)
        before = audit_snapshot(old)
        _move(old, CardStatus.REPLACED, reason)
        person = _holder(current_person(old.person))
        new = _create(actor=actor, person=person, institution=institution, number=number, issued_on=issued_on,
                      expires_on=expires_on, replaces=old)
        _event(old, CardEventKind.REPLACE, actor=actor, institution=institution,
               detail=f"{reason}（新卡尾号 {card_numbers.tail(number)}）")
        _event(new, CardEventKind.ISSUE, actor=actor, institution=institution,
               detail=f"补换自尾号 {card_numbers.tail(old.card_number)} 的卡")
        audit_record(actor=actor, action=AuditAction.CARD_STATUS, entity=ENTITY, entity_id=old.pk,
                     summary=f"补换居民健康卡 {old.card_number} → {number}（{person.empi}）：{reason}",
                     before=before, after=audit_snapshot(old))
        audit_record(actor=actor, action=AuditAction.CARD_ISSUE, entity=ENTITY, entity_id=new.pk,
                     summary=f"发放居民健康卡 {number} → {person.empi}（补换 {old.card_number}，{institution.name}）",
                     after=audit_snapshot(new))
    return new


def card_use(*, actor, card_number: str, purpose: str, detail: str = "") -> CardLookup:
    """Log one use of a card at a desk (registration, payment…): checked like a look-up, refusals logged too."""
    require(actor, ENTITY, "use")
    if purpose not in CardUsePurpose.values:
        raise BusinessError(E.PURPOSE_INVALID, field="purpose")
    return card_swipe(actor=actor, card_number=card_number, kind=CardEventKind.USE, purpose=purpose, detail=detail)


# ---- the pilot ------------------------------------------------------------------------------------------

def _describe(rows) -> list[str]:
    labels = []
    for row in rows:
        if row.kind == PilotScopeKind.CITY:
            labels.append("全市")
        elif row.kind == PilotScopeKind.DISTRICT:
            labels.append(f"区县 {row.district_id} {row.district.name}")
        else:
            labels.append(f"机构 {row.institution.uscc} {row.institution.name}")
    return sorted(labels)


def card_pilot_update(*, actor, city_wide: bool = False, districts: Iterable = (), institutions: Iterable = ()) -> list:
    """Set who takes part in the pilot: the whole city, and/or districts (every institution in them), and/or
    single institutions. Nothing at all closes the card everywhere (issue and swipes are refused)."""
    require(actor, ENTITY, "settings")
    districts, institutions = list(districts), list(institutions)
    if any(d.level != DivisionLevel.DISTRICT or not d.is_active for d in districts) \
            or any(not i.is_active for i in institutions):
        raise BusinessError(E.PILOT_TARGET_UNKNOWN)
    wanted = ({(PilotScopeKind.CITY, None, None)} if city_wide else set()) \
        | {(PilotScopeKind.DISTRICT, d.pk, None) for d in districts} \
        | {(PilotScopeKind.INSTITUTION, None, i.pk) for i in institutions}
    with transaction.atomic():
        rows = list(CardPilotScope.objects.select_for_update(of=("self",)).select_related("district", "institution"))
        before = _describe(rows)
        have = {(r.kind, r.district_id, r.institution_id): r for r in rows}
        for key, row in have.items():
            if key not in wanted:
                row.delete()
        for kind, district_id, institution_id in wanted - set(have):
            CardPilotScope.objects.create(kind=kind, district_id=district_id, institution_id=institution_id,
                                          created_by=actor)
        rows = list(CardPilotScope.objects.select_related("district", "institution"))
        after = _describe(rows)
        if before != after:
            audit_record(actor=actor, action=AuditAction.CARD_SETTINGS, entity=ENTITY,
                         summary="居民健康卡试点范围：" + ("、".join(after) if after else "未设置（全部关闭）"),
                         before={"scope": before}, after={"scope": after})
    return rows
