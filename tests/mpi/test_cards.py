"""Resident health cards (居民健康卡): numbering rule, issue / lost / replace / revoke, the pilot scope, data
scopes, audited look-ups with their usage rows, and the pages."""

import datetime as dt
import io

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from tests import factories
from weijian.audit.actions import AuditAction
from weijian.audit.models import AuditEvent
from weijian.core.errors import BusinessError, NotFoundOrForbidden
from weijian.mpi import card_numbers, card_selectors, card_services, services
from weijian.mpi.card_errors import CardErrorCode as E
from weijian.mpi.models import CardEvent, CardEventKind, CardPilotScope, CardStatus, HealthCard
from weijian.records import sources

REASON = "居民报告卡片遗失"
# Hand-checked numbers (Luhn over the first 18 digits, doubling every second digit from the right):
#   510104 000000000001 → doubled 1,4,1,5 → 2,8,2,2 (=14) + undoubled 5 → 19 → check 1
#   510105 123456789012 → doubled 2,8,6,4,2,5,1,1 and 0 → 4+7+3+8+4+1+2+2+0 = 31, undoubled 31 → 62 → check 8
NUMBER_A = "5101040000000000011"
NUMBER_B = "5101051234567890128"


def person(local="1", name="林强", sequence=11, **record):
    identity = services.identity_create(source_code="S1", local_id=local, record={
        "name": name, "sex": "1", "birth_date": "1980-05-06",
        "id_number": factories.id_number(birth=dt.date(1980, 5, 6), sequence=sequence), "id_status": "valid",
        "id_consistent": True, "phone": "13800001111", "address": "锦江区春熙路街道1号", "address_district": "510104",
        **record})
    return identity.person


@pytest.fixture
def info(world):
    return world.user("commission_info")


@pytest.fixture
def pilot(world, info):
    """As the plan says: one hospital (锦江区人民医院) and one district (青羊区)."""
    return card_services.card_pilot_update(actor=info, institutions=[world.inst_a1], districts=[world.district_b])


@pytest.fixture
def login(world, client_for):
    """login(key) -> the test client logged in as that world user."""
    return lambda key: client_for(world.user(key))


def issue(world, key="institution_a1", who=None, **kwargs):
    return card_services.card_issue(actor=world.user(key), person=who or person(), **kwargs)


def code_of(excinfo):
    return excinfo.value.code


# ---- the numbering rule -----------------------------------------------------------------------------------

def test_hand_checked_numbers_are_valid_and_every_single_digit_error_is_caught():
    assert card_numbers.luhn_check_digit(NUMBER_A[:-1]) == "1"
    assert card_numbers.luhn_check_digit(NUMBER_B[:-1]) == "8"
    assert card_numbers.validate(NUMBER_A) == NUMBER_A and card_numbers.validate(NUMBER_B) == NUMBER_B
    for position in range(6, 19):  # any one digit changed (region kept plausible)
        for digit in "0123456789":
            if digit == NUMBER_A[position]:
                continue
            wrong = NUMBER_A[:position] + digit + NUMBER_A[position + 1:]
            with pytest.raises(BusinessError) as error:
                card_numbers.validate(wrong)
            assert code_of(error) == E.NUMBER_CHECK_DIGIT
    swapped = NUMBER_B[:10] + NUMBER_B[11] + NUMBER_B[10] + NUMBER_B[12:]  # "56" → "65"
    with pytest.raises(BusinessError) as error:
        card_numbers.validate(swapped)
    assert code_of(error) == E.NUMBER_CHECK_DIGIT


@pytest.mark.parametrize("raw, code", [
    ("", E.NUMBER_REQUIRED),
    ("510104000000000001", E.NUMBER_FORMAT),  # 18 digits: never a card number (nor mistaken for an ID)
    ("51010400000000000110", E.NUMBER_FORMAT),
    ("51010400000000000X1", E.NUMBER_FORMAT),
    ("5100000000000000000", E.NUMBER_REGION),  # a province, not a district
    ("9901040000000000011", E.NUMBER_REGION),  # no such province
])
def test_structural_rules_name_the_rule_broken(raw, code):
    with pytest.raises(BusinessError) as error:
        card_numbers.validate(raw)
    assert code_of(error) == code and error.value.field == "card_number"


def test_typing_noise_is_tolerated_and_messages_are_chinese():
    assert card_numbers.validate("５１０１ 0400-0000 0000 011") == NUMBER_A
    assert card_numbers.display(NUMBER_A) == "5101 0400 0000 0000 011"
    with pytest.raises(BusinessError) as error:
        card_numbers.validate("123")
    assert error.value.message == "居民健康卡卡号应为19位数字"


def test_generated_numbers_follow_the_rule_and_skip_taken_ones():
    seen = []

    def taken(number):
        seen.append(number)
        return len(seen) < 3

    number = card_numbers.generate("510104", taken=taken)
    assert len(seen) == 3 and number == seen[-1]
    assert card_numbers.validate(number) == number and number.startswith("510104")
    with pytest.raises(BusinessError):
        card_numbers.generate("510100")


# ---- issuing ------------------------------------------------------------------------------------------------

def test_issue_at_the_desk_binds_a_new_numbered_card_with_history_and_audit(world, pilot):
    resident = person()
    card = issue(world, who=resident)
    assert (card.person_id, card.institution_id, card.status) == (resident.pk, world.inst_a1.pk, CardStatus.ACTIVE)
    assert card.card_number.startswith("510104") and card_numbers.luhn_valid(card.card_number)
    assert card.issued_on == timezone.localdate() and card.expires_on == card.issued_on.replace(
        year=card.issued_on.year + 10)
    event = CardEvent.objects.get(card=card)
    assert (event.kind, event.institution_id, event.actor_id) == (CardEventKind.ISSUE, world.inst_a1.pk,
                                                                  world.user("institution_a1").pk)
    audit = AuditEvent.objects.get(action=AuditAction.CARD_ISSUE)
    assert audit.entity == "health-card" and audit.entity_id == str(card.pk) and resident.empi in audit.summary
    assert "id_number" not in str(audit.after)


def test_one_person_one_active_card(world, pilot):
    resident = person()
    card = issue(world, who=resident)
    with pytest.raises(BusinessError) as error:
        issue(world, who=resident)
    assert code_of(error) == E.ALREADY_ACTIVE and card_numbers.tail(card.card_number) in error.value.message
    assert HealthCard.objects.count() == 1


def test_typed_numbers_are_checked_against_the_district_and_the_register(world, info, pilot):
    card = issue(world, card_number="5101 0400 0000 0000 011")
    assert card.card_number == NUMBER_A
    with pytest.raises(BusinessError) as taken:
        issue(world, who=person("2", sequence=12), card_number=NUMBER_A)
    assert code_of(taken) == E.NUMBER_TAKEN
    with pytest.raises(BusinessError) as elsewhere:  # a 青羊区 number bound at a 锦江区 hospital
        issue(world, who=person("3", sequence=13), card_number=NUMBER_B)
    assert code_of(elsewhere) == E.NUMBER_REGION_MISMATCH
    assert elsewhere.value.message == "卡号前6位（510105）应为发卡机构所在区县的代码（锦江区 510104）"
    # the information centre names the institution, here one of 青羊区 (in the pilot by its district)
    card_b = card_services.card_issue(actor=info, person=person("4", sequence=14), institution=world.inst_b1,
                                      card_number=NUMBER_B)
    assert card_b.institution_id == world.inst_b1.pk


def test_issue_refusals(world, info, pilot):
    resident = person()
    with pytest.raises(BusinessError) as no_institution:
        card_services.card_issue(actor=info, person=resident)
    assert code_of(no_institution) == E.INSTITUTION_REQUIRED
    with pytest.raises(BusinessError) as other:
        issue(world, who=resident, institution=world.inst_b1)
    assert code_of(other) == E.INSTITUTION_OUT_OF_SCOPE
    with pytest.raises(PermissionDenied):
        issue(world, "district_a", who=resident)
    with pytest.raises(PermissionDenied):
        issue(world, "worker_a1", who=resident)
    today = timezone.localdate()
    with pytest.raises(BusinessError) as future:
        issue(world, who=resident, issued_on=today + dt.timedelta(days=1))
    assert code_of(future) == E.ISSUE_DATE_FUTURE and future.value.field == "issued_on"
    with pytest.raises(BusinessError) as expiry:
        issue(world, who=resident, issued_on=today - dt.timedelta(days=9), expires_on=today - dt.timedelta(days=10))
    assert code_of(expiry) == E.EXPIRY_BEFORE_ISSUE
    assert not HealthCard.objects.exists() and not AuditEvent.objects.filter(action=AuditAction.CARD_ISSUE).exists()


def test_a_merged_person_is_refused_naming_the_survivor(world, info, pilot):
    survivor, merged = person("1", sequence=11), person("2", sequence=12)
    services.person_merge(actor=info, survivor=survivor, merged=merged, reason="同一居民，证件号一致")
    merged.refresh_from_db()
    with pytest.raises(BusinessError) as error:
        issue(world, who=merged)
    assert code_of(error) == E.PERSON_MERGED and survivor.empi in error.value.message


# ---- the pilot ----------------------------------------------------------------------------------------------

def test_without_a_pilot_scope_nothing_is_issued_or_swiped(world):
    with pytest.raises(BusinessError) as error:
        issue(world)
    assert code_of(error) == E.PILOT_NOT_CONFIGURED
    assert error.value.message.startswith("居民健康卡试点范围尚未设置")
    with pytest.raises(BusinessError) as swipe:
        card_selectors.card_lookup(actor=world.user("institution_a1"), card_number=NUMBER_A)
    assert code_of(swipe) == E.PILOT_NOT_CONFIGURED


def test_pilot_scope_by_institution_district_and_city(world, info, pilot):
    assert card_selectors.pilot_allows(world.inst_a1)  # the hospital itself
    assert card_selectors.pilot_allows(world.inst_b1)  # by its district
    assert not card_selectors.pilot_allows(world.inst_a2)  # same district as the hospital, but not in the pilot
    with pytest.raises(BusinessError) as error:
        card_services.card_issue(actor=info, person=person(), institution=world.inst_a2)
    assert code_of(error) == E.NOT_IN_PILOT
    assert error.value.message == "“春熙路社区卫生服务中心”不在居民健康卡试点范围内，不能发卡或刷卡"
    card_services.card_pilot_update(actor=info, city_wide=True)
    assert card_selectors.pilot_allows(world.inst_a2) and CardPilotScope.objects.count() == 1


def test_pilot_changes_are_audited_and_kept_to_the_information_centre(world, info, pilot):
    row = AuditEvent.objects.get(action=AuditAction.CARD_SETTINGS)
    assert row.after == {"scope": sorted([f"机构 {world.inst_a1.uscc} 锦江区人民医院", "区县 510105 青羊区"])}
    card_services.card_pilot_update(actor=info, institutions=[world.inst_a1], districts=[world.district_b])
    assert AuditEvent.objects.filter(action=AuditAction.CARD_SETTINGS).count() == 1  # unchanged: nothing written
    card_services.card_pilot_update(actor=info)
    assert not CardPilotScope.objects.exists()
    assert AuditEvent.objects.filter(action=AuditAction.CARD_SETTINGS).count() == 2
    with pytest.raises(PermissionDenied):
        card_services.card_pilot_update(actor=world.user("institution_a1"), city_wide=True)
    with pytest.raises(BusinessError) as township:
        card_services.card_pilot_update(actor=info, districts=[world.township_a])
    assert code_of(township) == E.PILOT_TARGET_UNKNOWN


def test_losing_and_revoking_are_not_limited_by_the_pilot(world, info, pilot):
    card = issue(world)
    card_services.card_pilot_update(actor=info)  # the pilot ends
    card = card_services.card_report_lost(actor=world.user("institution_a1"), card=card, reason=REASON)
    assert card.status == CardStatus.LOST
    with pytest.raises(BusinessError) as error:  # but no new card outside the pilot
        card_services.card_replace(actor=world.user("institution_a1"), card=card, reason=REASON)
    assert code_of(error) == E.PILOT_NOT_CONFIGURED
    assert card_services.card_revoke(actor=info, card=card, reason="重复发卡，予以注销").status == CardStatus.REVOKED


# ---- status changes ---------------------------------------------------------------------------------------

def test_lost_then_replaced_links_the_new_card_and_refuses_the_old(world, pilot):
    desk = world.user("institution_a1")
    old = issue(world)
    card_services.card_report_lost(actor=desk, card=old, reason=REASON)
    new = card_services.card_replace(actor=desk, card=old, reason="持卡人申请补卡")
    old.refresh_from_db()
    assert (old.status, new.status, new.replaces_id, new.person_id) == (
        CardStatus.REPLACED, CardStatus.ACTIVE, old.pk, old.person_id)
    assert new.card_number != old.card_number and old.replaced_by == new
    assert list(CardEvent.objects.filter(card=old).order_by("id").values_list("kind", flat=True)) == [
        CardEventKind.ISSUE, CardEventKind.LOST, CardEventKind.REPLACE]
    assert AuditEvent.objects.filter(action=AuditAction.CARD_STATUS).count() == 2
    assert AuditEvent.objects.filter(action=AuditAction.CARD_ISSUE).count() == 2
    with pytest.raises(BusinessError) as error:
        card_selectors.card_lookup(actor=desk, card_number=old.card_number)
    assert code_of(error) == E.CARD_REPLACED and "补换" in error.value.message
    assert card_selectors.card_lookup(actor=desk, card_number=new.card_number).holder.empi == old.person.empi


def test_statuses_only_move_forward_and_need_a_reason(world, pilot):
    desk = world.user("institution_a1")
    card = issue(world)
    with pytest.raises(BusinessError) as short:
        card_services.card_report_lost(actor=desk, card=card, reason="丢")
    assert code_of(short) == E.REASON_REQUIRED and short.value.message == "请填写理由（至少4个字）"
    card_services.card_revoke(actor=desk, card=card, reason="持卡人已死亡，注销")
    for change in (card_services.card_report_lost, card_services.card_revoke, card_services.card_replace):
        with pytest.raises(BusinessError) as error:
            change(actor=desk, card=card, reason=REASON)
        assert code_of(error) == E.TRANSITION and "已注销" in error.value.message
    assert AuditEvent.objects.filter(action=AuditAction.CARD_STATUS).count() == 1


# ---- scopes -------------------------------------------------------------------------------------------------

def test_an_institution_sees_and_changes_only_its_own_cards(world, info, pilot):
    a1 = issue(world)
    b1 = card_services.card_issue(actor=info, person=person("2", sequence=12), institution=world.inst_b1)

    def listed(key):
        return set(card_selectors.card_list(actor=world.user(key)).values_list("pk", flat=True))

    assert listed("institution_a1") == {a1.pk} and listed("institution_b1") == {b1.pk}
    assert listed("district_a") == {a1.pk} and listed("district_b") == {b1.pk}
    assert listed("commission_info") == {a1.pk, b1.pk}
    for key in ("commission_science", "worker_a1", "security_admin", "audit_admin"):
        assert listed(key) == set()
    with pytest.raises(NotFoundOrForbidden):
        card_selectors.card_get(actor=world.user("institution_b1"), pk=a1.pk)
    with pytest.raises(NotFoundOrForbidden):
        card_services.card_report_lost(actor=world.user("institution_b1"), card=a1, reason=REASON)
    with pytest.raises(PermissionDenied):  # a district bureau reads, it does not change cards
        card_services.card_report_lost(actor=world.user("district_a"), card=a1, reason=REASON)
    a1.refresh_from_db()
    assert a1.status == CardStatus.ACTIVE


def test_a_card_is_swiped_at_any_pilot_institution_audited_and_logged(world, pilot):
    resident = person()
    card = issue(world, who=resident)
    desk_b = world.user("institution_b1")  # another district's hospital: cannot list the card, may swipe it
    result = card_selectors.card_lookup(actor=desk_b, card_number=card_numbers.display(card.card_number))
    holder = result.holder
    assert (holder.empi, holder.name, holder.sex_label, holder.birth_date) == (
        resident.empi, "林强", "男", dt.date(1980, 5, 6))
    assert holder.id_number_masked == resident.id_number_masked and "*" in holder.id_number_masked
    assert not hasattr(holder, "id_number")
    event = CardEvent.objects.get(kind=CardEventKind.LOOKUP)
    assert (event.card_id, event.institution_id, event.outcome) == (card.pk, world.inst_b1.pk, "ok")
    audit = AuditEvent.objects.get(action=AuditAction.CARD_LOOKUP)
    assert (audit.entity, audit.entity_id, audit.actor_id, audit.outcome) == (
        "health-card", str(card.pk), desk_b.pk, "ok")
    assert card.card_number in audit.summary and resident.empi in audit.summary
    # the swipe shows on the issuer's usage log, and on the swiping institution's
    assert set(card_selectors.card_usage_events(card).values_list("pk", flat=True)) == {event.pk}


def test_a_lost_card_swipe_is_refused_naming_the_status_and_still_logged(world, pilot):
    card = issue(world)
    card_services.card_report_lost(actor=world.user("institution_a1"), card=card, reason=REASON)
    with pytest.raises(BusinessError) as error:
        card_selectors.card_lookup(actor=world.user("institution_b1"), card_number=card.card_number)
    assert code_of(error) == E.CARD_LOST and error.value.message == "该卡已挂失，不能使用；请持卡人办理补卡"
    event = CardEvent.objects.get(kind=CardEventKind.LOOKUP)
    assert event.outcome == "rejected" and "挂失" in event.detail
    audit = AuditEvent.objects.get(action=AuditAction.CARD_LOOKUP)
    assert audit.outcome == "rejected" and "已挂失" in audit.summary


def test_expired_and_unknown_cards_and_swipes_outside_the_pilot(world, info, pilot):
    today = timezone.localdate()
    card = issue(world, issued_on=today - dt.timedelta(days=3650), expires_on=today + dt.timedelta(days=1))
    HealthCard.objects.filter(pk=card.pk).update(expires_on=today - dt.timedelta(days=1))  # time passes
    with pytest.raises(BusinessError) as expired:
        card_selectors.card_lookup(actor=world.user("institution_a1"), card_number=card.card_number)
    assert code_of(expired) == E.CARD_EXPIRED and (today - dt.timedelta(days=1)).isoformat() in expired.value.message
    with pytest.raises(BusinessError) as unknown:
        card_selectors.card_lookup(actor=world.user("institution_a1"), card_number=NUMBER_A)
    assert code_of(unknown) == E.NOT_FOUND
    assert AuditEvent.objects.filter(action=AuditAction.CARD_LOOKUP, outcome="not-found").count() == 1
    card_services.card_pilot_update(actor=info, institutions=[world.inst_b1])
    with pytest.raises(BusinessError) as outside:
        card_selectors.card_lookup(actor=world.user("institution_a1"), card_number=card.card_number)
    assert code_of(outside) == E.NOT_IN_PILOT
    with pytest.raises(PermissionDenied):
        card_selectors.card_lookup(actor=world.user("district_a"), card_number=card.card_number)


def test_a_card_follows_its_holder_through_a_merge(world, info, pilot):
    survivor, merged = person("1", sequence=11), person("2", name="林 强", sequence=12)
    card = issue(world, who=merged)
    services.person_merge(actor=info, survivor=survivor, merged=merged, reason="同一居民，证件号一致")
    assert card_selectors.card_lookup(actor=world.user("institution_a1"),
                                      card_number=card.card_number).holder.empi == survivor.empi


def test_card_readers_issue_and_swipe_at_their_institution_unless_suspended(world, info, pilot):
    source = sources.source_register(actor=info, institution=world.inst_a1)
    reader = source.account
    card = card_services.card_issue(actor=reader, person=person())
    assert card.institution_id == world.inst_a1.pk
    used = card_services.card_use(actor=reader, card_number=card.card_number, purpose="registration", detail="内科")
    assert (used.event.kind, used.event.purpose, used.event.detail) == (CardEventKind.USE, "registration", "内科")
    with pytest.raises(BusinessError) as purpose:
        card_services.card_use(actor=reader, card_number=card.card_number, purpose="shopping")
    assert code_of(purpose) == E.PURPOSE_INVALID
    with pytest.raises(PermissionDenied):
        card_services.card_report_lost(actor=reader, card=card, reason=REASON)
    assert not card_selectors.card_list(actor=reader).exists()
    sources.source_set_status(actor=info, source=source, status="suspended")
    reader.refresh_from_db()
    with pytest.raises(BusinessError) as suspended:
        card_selectors.card_lookup(actor=reader, card_number=card.card_number)
    assert code_of(suspended) == E.SOURCE_SUSPENDED


# ---- pages --------------------------------------------------------------------------------------------------

def test_list_page_filters_sorts_paginates_and_exports_only_the_scope(world, info, pilot, login):
    a1 = issue(world)
    b1 = card_services.card_issue(actor=info, person=person("2", name="王芳", sequence=12), institution=world.inst_b1)
    client = login("institution_a1")
    page = client.get(reverse("cards:list")).content.decode()
    assert a1.card_number in page and b1.card_number not in page and "王芳" not in page
    assert "在居民健康卡试点范围内" in page
    empty = client.get(reverse("cards:list"), {"status": "lost"}).content.decode()
    assert "暂无居民健康卡" in empty
    bad_dates = client.get(reverse("cards:list"), {"issued_from": "2026-02-01", "issued_to": "2026-01-01"})
    assert bad_dates.status_code == 200
    city = login("commission_info").get(reverse("cards:list"), {"sort": "card_number"}).content.decode()
    assert city.index(a1.card_number) < city.index(b1.card_number)
    export = login("institution_a1").get(reverse("cards:list"), {"export": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(export.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("卡号", "主索引号", "姓名") and [r[0] for r in rows[1:]] == [a1.card_number]
    assert AuditEvent.objects.filter(action=AuditAction.EXPORT, entity="health-card").count() == 1
    assert login("worker_a1").get(reverse("cards:list")).status_code == 403


def test_detail_page_is_scoped_and_audited(world, pilot, login):
    card = issue(world)
    client = login("institution_a1")
    page = client.get(reverse("cards:detail", args=[card.pk]))
    html = page.content.decode()
    assert page.status_code == 200 and "林强" in html and card.person.id_number_masked in html
    assert "状态记录" in html and "此卡尚无刷卡或用卡记录" in html and reverse("cards:lost", args=[card.pk]) in html
    assert AuditEvent.objects.filter(action=AuditAction.VIEW_PERSONAL, entity="health-card").count() == 1
    assert login("institution_b1").get(reverse("cards:detail", args=[card.pk])).status_code == 404
    assert login("district_a").get(reverse("cards:detail", args=[card.pk])).status_code == 200


def test_issue_lost_replace_revoke_through_the_pages(world, pilot, login):
    resident = person()
    client = login("institution_a1")
    preview = client.post(reverse("cards:person-preview"), {"empi": resident.empi}).content.decode()
    assert "林强" in preview and resident.id_number_masked in preview
    assert "未找到该主索引号对应的居民" in client.post(reverse("cards:person-preview"), {"empi": "P0"}).content.decode()
    refused = client.post(reverse("cards:issue"), {"empi": resident.empi, "card_number": NUMBER_B})
    assert refused.status_code == 422 and "卡号前6位（510105）" in refused.content.decode()
    done = client.post(reverse("cards:issue"), {"empi": resident.empi})
    card = HealthCard.objects.get(person=resident)
    assert done.status_code == 302 and done.url == reverse("cards:detail", args=[card.pk])
    confirm = client.get(reverse("cards:lost", args=[card.pk])).content.decode()
    assert "data-confirm" in confirm and "挂失后此卡在所有机构立即停用" in confirm
    assert client.post(reverse("cards:lost", args=[card.pk]), {"reason": "丢"}).status_code == 422
    assert client.post(reverse("cards:lost", args=[card.pk]), {"reason": REASON}).status_code == 302
    replaced = client.post(reverse("cards:replace", args=[card.pk]), {"reason": "持卡人申请补卡"})
    new = HealthCard.objects.get(replaces=card)
    assert replaced.url == reverse("cards:detail", args=[new.pk])
    assert client.post(reverse("cards:revoke", args=[new.pk]), {"reason": "持卡人已死亡，注销"}).status_code == 302
    assert list(HealthCard.objects.order_by("id").values_list("status", flat=True)) == ["replaced", "revoked"]
    assert login("district_a").get(reverse("cards:lost", args=[card.pk])).status_code == 403
    assert login("institution_b1").get(reverse("cards:revoke", args=[new.pk])).status_code == 404


def test_lookup_page_shows_the_holder_or_the_refusal(world, pilot, login):
    card = issue(world)
    client = login("institution_b1")
    assert client.get(reverse("cards:lookup")).status_code == 200
    found = client.post(reverse("cards:lookup"), {"card_number": card.card_number})
    html = found.content.decode()
    assert found.status_code == 200 and "林强" in html and card.person.id_number_masked in html
    assert reverse("cards:detail", args=[card.pk]) not in html  # not theirs to open
    card_services.card_report_lost(actor=world.user("institution_a1"), card=card, reason=REASON)
    refused = client.post(reverse("cards:lookup"), {"card_number": card.card_number})
    assert refused.status_code == 422 and "该卡已挂失" in refused.content.decode() and "林强" not in \
        refused.content.decode()
    assert AuditEvent.objects.filter(action=AuditAction.CARD_LOOKUP).count() == 2
    assert login("district_a").get(reverse("cards:lookup")).status_code == 403


def test_pilot_page_for_the_information_centre_only(world, info, login):
    client = login("commission_info")
    page = client.get(reverse("cards:pilot")).content.decode()
    assert "尚未设置试点范围" in page
    saved = client.post(reverse("cards:pilot"), {"institutions": [world.inst_a1.pk],
                                                 "districts": [world.district_b.pk]})
    assert saved.status_code == 302
    assert set(CardPilotScope.objects.values_list("kind", flat=True)) == {"institution", "district"}
    assert "青羊区" in client.get(reverse("cards:pilot")).content.decode()
    assert login("institution_a1").get(reverse("cards:pilot")).status_code == 403
    assert login("district_a").get(reverse("cards:pilot")).status_code == 403


def test_forms_render_for_each_kind_of_user(world, info, pilot, login):
    card = issue(world)
    city = login("commission_info").get(reverse("cards:issue")).content.decode()
    assert "发卡机构" in city and "锦江区人民医院" in city and "青羊区人民医院" in city
    assert "春熙路社区卫生服务中心" not in city  # not in the pilot: not offered
    desk = login("institution_a1")
    form = desk.get(reverse("cards:issue")).content.decode()
    assert 'name="institution"' not in form and "核对居民" in form
    replace = desk.get(reverse("cards:replace", args=[card.pk])).content.decode()
    assert "新卡卡号" in replace and "data-confirm" in replace
    outside = login("institution_b1")
    card_services.card_pilot_update(actor=info, institutions=[world.inst_a1])
    assert "不在居民健康卡试点范围内" in outside.get(reverse("cards:lookup")).content.decode()
