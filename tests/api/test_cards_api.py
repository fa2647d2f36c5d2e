"""The card-reader API: swipe a card (GET /api/v1/cards/<number>/), log a use (POST …/usage/), issue a card
(POST /api/v1/cards/). Readers use their institution's data-source token; codes, not prose, are asserted."""

import datetime as dt

import pytest

from tests import factories
from tests.api.conftest import ApiClient
from tests.api.helpers import assert_error
from weijian.accounts.services import api_token_issue
from weijian.audit.actions import AuditAction
from weijian.audit.models import AuditEvent
from weijian.mpi import card_numbers, card_services, services
from weijian.mpi.models import CardEvent, CardEventKind, HealthCard
from weijian.records import sources

REASON = "居民报告卡片遗失"


def person(local="1", sequence=21):
    return services.identity_create(source_code="S1", local_id=local, record={
        "name": "林强", "sex": "1", "birth_date": "1980-05-06",
        "id_number": factories.id_number(birth=dt.date(1980, 5, 6), sequence=sequence), "id_status": "valid",
        "id_consistent": True, "phone": "", "address": "", "address_district": "510104"}).person


@pytest.fixture
def info(world):
    return world.user("commission_info")


@pytest.fixture
def pilot(world, info):
    card_services.card_pilot_update(actor=info, institutions=[world.inst_a1], districts=[world.district_b])


@pytest.fixture
def reader(world, info):
    """The card reader at 锦江区人民医院's registration desk: the hospital's data-source account and token."""
    source = sources.source_register(actor=info, institution=world.inst_a1)
    _, raw = api_token_issue(user=source.account, name="读卡器")
    client = ApiClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    client.source = source
    return client


@pytest.fixture
def card(world, pilot):
    return card_services.card_issue(actor=world.user("institution_a1"), person=person())


def url(number, suffix=""):
    return f"/api/v1/cards/{number}/{suffix}"


def test_swipe_returns_the_holder_with_a_masked_id_and_is_audited(reader, card):
    response = reader.get(url(card.card_number))
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    body = response.json()
    assert body["card"]["card_number"] == card.card_number and body["card"]["status"] == "active"
    holder = body["holder"]
    assert (holder["empi"], holder["name"], holder["sex"], holder["birth_date"]) == (
        card.person.empi, "林强", "1", "1980-05-06")
    assert holder["id_number_masked"] == card.person.id_number_masked and "id_number" not in holder
    event = CardEvent.objects.get(pk=body["event"])
    assert (event.kind, event.institution_id, event.actor_id) == (
        CardEventKind.LOOKUP, reader.source.institution_id, reader.source.account_id)
    audit = AuditEvent.objects.get(action=AuditAction.CARD_LOOKUP)
    assert audit.channel == "api" and audit.entity_id == str(card.pk)


def test_refusals_name_the_status_and_carry_no_personal_data(world, reader, card):
    card_services.card_report_lost(actor=world.user("institution_a1"), card=card, reason=REASON)
    body = assert_error(reader.get(url(card.card_number)), 400, "card_lost", field="card_number")
    assert "林强" not in str(body) and body["message"] == "该卡已挂失，不能使用；请持卡人办理补卡"
    new = card_services.card_replace(actor=world.user("institution_a1"), card=card, reason="持卡人申请补卡")
    assert_error(reader.get(url(card.card_number)), 400, "card_replaced")
    assert reader.get(url(new.card_number)).status_code == 200
    assert CardEvent.objects.filter(kind=CardEventKind.LOOKUP, outcome="rejected").count() == 2


def test_unknown_and_malformed_numbers(reader, pilot):
    assert_error(reader.get(url("5101040000000000011")), 404, "card_not_found", field="card_number")
    assert_error(reader.get(url("5101040000000000012")), 400, "card_number_check_digit", field="card_number")
    assert_error(reader.get(url("510104")), 400, "card_number_format")


def test_usage_is_logged_with_its_purpose(reader, card):
    response = reader.post(url(card.card_number, "usage/"), {"purpose": "registration", "detail": "内科门诊"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["card_number"], body["empi"], body["purpose"]) == (card.card_number, card.person.empi,
                                                                    "registration")
    event = CardEvent.objects.get(pk=body["event"])
    assert (event.kind, event.detail) == (CardEventKind.USE, "内科门诊")
    assert_error(reader.post(url(card.card_number, "usage/"), {"purpose": "shopping"}), 400,
                 "card_purpose_invalid", field="purpose")
    assert_error(reader.post(url(card.card_number, "usage/"), {}), 400, "validation_error")


def test_a_reader_issues_at_its_own_institution_one_card_per_person(reader, pilot, world):
    resident = person()
    response = reader.post("/api/v1/cards/", {"empi": resident.empi})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["empi"] == resident.empi and body["institution"] == world.inst_a1.pk
    assert body["card_number"].startswith("510104") and card_numbers.luhn_valid(body["card_number"])
    assert AuditEvent.objects.filter(action=AuditAction.CARD_ISSUE, channel="api").count() == 1
    assert_error(reader.post("/api/v1/cards/", {"empi": resident.empi}), 400, "card_already_active", field="empi")
    assert_error(reader.post("/api/v1/cards/", {"empi": "P000"}), 400, "card_person_not_found", field="empi")
    assert_error(reader.post("/api/v1/cards/", {"empi": person("2", 22).empi, "institution": world.inst_b1.pk}),
                 400, "card_institution_out_of_scope", field="institution")
    same = reader.post("/api/v1/cards/", {"empi": person("3", 23).empi, "institution": world.inst_a1.pk})
    assert same.status_code == 201
    assert HealthCard.objects.count() == 2


def test_outside_the_pilot_and_suspended_readers_are_refused(world, info, reader, card):
    card_services.card_pilot_update(actor=info, districts=[world.district_b])
    assert_error(reader.get(url(card.card_number)), 400, "card_not_in_pilot")
    card_services.card_pilot_update(actor=info, institutions=[world.inst_a1])
    sources.source_set_status(actor=info, source=reader.source, status="suspended")
    assert_error(reader.get(url(card.card_number)), 400, "card_source_suspended")


@pytest.mark.parametrize("key, status", [
    ("institution_a1", 200), ("institution_b1", 200), ("commission_info", 200),  # any desk of the pilot, the centre
    ("district_a", 403), ("commission_science", 403), ("worker_a1", 403), ("security_admin", 403),
    ("audit_admin", 403),
])
def test_who_may_swipe(api, card, key, status):
    response = api(key).get(url(card.card_number))
    assert response.status_code == status
    if status == 403:
        assert_error(response, 403, "permission_denied")
        assert not AuditEvent.objects.filter(action=AuditAction.CARD_LOOKUP).exists()


def test_anonymous_and_wrong_methods(card):
    assert_error(ApiClient().get(url(card.card_number)), 401, "not_authenticated")


def test_issue_and_usage_roles(api, card, world):
    assert_error(api("district_a").post("/api/v1/cards/", {"empi": card.person.empi}), 403, "permission_denied")
    assert_error(api("commission_info").post(url(card.card_number, "usage/"), {"purpose": "payment"}), 403,
                 "permission_denied")
    assert api("institution_b1").post(url(card.card_number, "usage/"), {"purpose": "payment"}).status_code == 201
    assert_error(api("commission_info").post("/api/v1/cards/", {"empi": person("9", 29).empi}), 400,
                 "card_institution_required", field="institution")
    issued = api("commission_info").post("/api/v1/cards/", {"empi": person("8", 28).empi,
                                                            "institution": world.inst_b1.pk})
    assert issued.status_code == 201 and issued.json()["card_number"].startswith("510105")
