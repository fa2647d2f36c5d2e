"""Rules as data, runs, tickets and scorecards through the services, on resources of two sources."""

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from weijian.core.errors import BusinessError, NotFoundOrForbidden
from weijian.dq import indicators, selectors, services
from weijian.dq.models import DqResult, DqRule, DqRun, DqTicket, TicketStatus
from weijian.records.models import Resource, Source


def _store(source, n, body):
    Resource.objects.update_or_create(
        type=body["resourceType"], fhir_id=f"{source.code}-{n}",
        defaults=dict(version=1, updated=timezone.now(), content=json.dumps(body), content_hash=f"{source.code}{n}",
                      source=source, institution=source.institution))


@pytest.fixture
def sources(world):
    a = Source.objects.create(code="SA", name="锦江区人民医院HIS", kind="hospital", institution=world.inst_a1)
    b = Source.objects.create(code="SB", name="青羊区人民医院HIS", kind="hospital", institution=world.inst_b1)
    for n, gender in enumerate(("female", "male", "M", None)):  # source A: 3 of 4 present, 2 of 3 valid
        _store(a, n, {"resourceType": "Patient"} | ({"gender": gender} if gender else {}))
    for n, gender in enumerate(("female", "male")):
        _store(b, n, {"resourceType": "Patient", "gender": gender})
    return a, b


@pytest.fixture
def rules(world):
    info = world.user("commission_info")
    present = services.rule_create(actor=info, code="gender-present", name="性别必填", kind="completeness",
                                   resource_type="Patient", element="patient.gender")
    valid = services.rule_create(actor=info, code="gender-valid", name="性别代码有效", kind="validity",
                                 resource_type="Patient", element="patient.gender",
                                 params={"values": ["male", "female", "other", "unknown"]})
    return present, valid


@pytest.mark.parametrize("fields, message", [
    (dict(kind="consistency", resource_type="Encounter", left="#{encounter.end} >=", operator=">=", right="1"),
     "语法错误"),
    (dict(kind="consistency", resource_type="Encounter", left="#{encounter.finish}", operator=">=",
          right="#{encounter.start}"), "未知的数据元：encounter.finish"),
    (dict(kind="completeness", resource_type="Patient", element="patient.shoe_size"), "未知的数据元"),
    (dict(kind="validity", resource_type="Patient", element="patient.gender", params={"low": "abc"}), "应为数字"),
])
def test_rules_that_cannot_run_are_refused_with_the_reason(world, fields, message):
    with pytest.raises(BusinessError) as caught:
        services.rule_create(actor=world.user("commission_info"), code="bad", name="坏规则", **fields)
    assert caught.value.code == "rule_invalid" and message in caught.value.message
    assert not DqRule.objects.filter(code="bad").exists()


def test_editing_a_rule_makes_a_new_version(world, rules):
    info = world.user("commission_info")
    rule = services.rule_update(actor=info, rule=rules[1], params={"values": ["male", "female"]})
    assert rule.version == 2
    assert [v.definition["params"] for v in rule.versions.order_by("version")] == [
        {"values": ["male", "female", "other", "unknown"]}, {"values": ["male", "female"]}]
    with pytest.raises(PermissionDenied):
        services.rule_update(actor=world.user("commission_science"), rule=rule, name="x")


def test_a_run_counts_per_rule_and_source_and_opens_tickets(world, sources, rules):
    a, b = sources
    run = services.run_checks(actor=world.user("commission_info"))
    counts = {(r.rule.code, r.source_id): (r.passed, r.failed, r.skipped)
              for r in DqResult.objects.filter(run=run).select_related("rule")}
    assert counts == {("gender-present", a.pk): (3, 1, 0), ("gender-valid", a.pk): (2, 1, 1),
                      ("gender-present", b.pk): (2, 0, 0), ("gender-valid", b.pk): (2, 0, 0)}
    tickets = DqTicket.objects.filter(closed_at__isnull=True)
    assert {(t.rule.code, t.source_id, t.failed) for t in tickets} == {("gender-present", a.pk, 1),
                                                                      ("gender-valid", a.pk, 1)}
    # a second run with the same data keeps one ticket per rule and source
    services.run_checks(actor=world.user("commission_info"))
    assert DqTicket.objects.filter(closed_at__isnull=True).count() == 2


def test_a_re_upload_that_fixes_the_data_closes_the_ticket(world, sources, rules):
    a, _b = sources
    info = world.user("commission_info")
    services.run_checks(actor=info)
    _store(a, 2, {"resourceType": "Patient", "gender": "male"})  # "M" corrected
    services.run_checks(actor=info)
    valid = DqTicket.objects.get(rule__code="gender-valid")
    assert valid.closed_at is not None and valid.closed_by_run and valid.status == TicketStatus.VERIFIED
    assert DqTicket.objects.get(rule__code="gender-present").closed_at is None  # the missing one remains


def test_the_ticket_workflow_and_who_may_move_it(world, sources, rules):
    services.run_checks(actor=world.user("commission_info"))
    ticket = DqTicket.objects.get(rule__code="gender-present")
    with pytest.raises(NotFoundOrForbidden):  # another institution cannot see it
        services.ticket_move(actor=world.user("institution_b1"), ticket_id=ticket.pk, move="acknowledge")
    own = world.user("institution_a1")
    services.ticket_move(actor=own, ticket_id=ticket.pk, move="acknowledge")
    with pytest.raises(BusinessError, match="请填写处理说明"):
        services.ticket_move(actor=own, ticket_id=ticket.pk, move="fix")
    services.ticket_move(actor=own, ticket_id=ticket.pk, move="fix", note="已补录性别并重新上传")
    with pytest.raises(PermissionDenied):
        services.ticket_move(actor=own, ticket_id=ticket.pk, move="verify")
    ticket = services.ticket_move(actor=world.user("commission_info"), ticket_id=ticket.pk, move="verify")
    assert ticket.status == TicketStatus.VERIFIED and ticket.closed_at is not None
    with pytest.raises(BusinessError):
        services.ticket_move(actor=world.user("commission_info"), ticket_id=ticket.pk, move="verify")


def test_scorecards_and_indicators_by_hand(world, sources, rules):
    a, b = sources
    services.run_checks(actor=world.user("commission_info"))
    cards = {card.key: card for card in selectors.scorecards(actor=world.user("commission_info"))}
    # source A: completeness 3/4 = 75.0; validity 2/3 = 66.7; composite (30·3 + 20·2) / (30·4 + 20·3) = 72.2
    assert cards[a.pk].score("completeness") == Decimal("75.0")
    assert cards[a.pk].score("validity") == Decimal("66.7")
    assert cards[a.pk].composite(selectors.weights()) == Decimal("72.2")
    assert cards[b.pk].composite(selectors.weights()) == Decimal("100.0")
    year = dt.date.today().year
    composite = indicators._composite(year, dt.date.today())
    assert (composite[world.inst_a1.pk].numerator, composite[world.inst_a1.pk].denominator) == (130, 180)
    completeness = indicators._completeness(year, dt.date.today())
    assert (completeness[world.inst_a1.pk].numerator, completeness[world.inst_a1.pk].denominator) == (3, 4)
    # a district bureau sees only its district's sources
    mine = {card.key for card in selectors.scorecards(actor=world.user("district_a"))}
    assert mine == {a.pk}


def test_composite_by_month_follows_the_runs(world, sources, rules):
    a, _b = sources
    info = world.user("commission_info")
    first = services.run_checks(actor=info)
    earlier = 1 if timezone.now().month != 1 else 2  # another month of this year
    DqRun.objects.filter(pk=first.pk).update(finished_at=timezone.now().replace(month=earlier, day=15))
    _store(a, 2, {"resourceType": "Patient", "gender": "male"})
    _store(a, 3, {"resourceType": "Patient", "gender": "female"})
    services.run_checks(actor=info)
    trend = dict(selectors.composite_by_month(actor=info, year=timezone.now().year))
    # the earlier month: A 72.2% and B 100% → (90 + 40 + 60 + 40) / (120 + 60 + 60 + 40) = 230 / 280 = 82.1
    assert trend[earlier] == Decimal("82.1")
    assert trend[timezone.now().month] == Decimal("100.0")


def test_reporting_on_time_per_month(world):
    from weijian.dq.selectors import reporting_on_time
    from weijian.records.models import Upload

    source = Source.objects.create(code="SR", name="来源", kind="hospital", institution=world.inst_a1)
    Source.objects.filter(pk=source.pk).update(created_at=timezone.make_aware(dt.datetime(2025, 2, 10)))

    def upload(day):
        Upload.objects.create(source=source, kind="bundle", file_sha256=str(day), status="done",
                              finished_at=timezone.make_aware(dt.datetime.combine(day, dt.time(12))))

    upload(dt.date(2025, 2, 20))  # February, in the month
    upload(dt.date(2025, 4, 3))   # April (and March, within the grace days)
    upload(dt.date(2025, 6, 9))   # June only: May's data came too late
    # due as of 2025-07-01: February (registered 10 February) to May; June is due from 6 July
    assert reporting_on_time(year=2025, today=dt.date(2025, 7, 1)) == {source.pk: (3, 4)}
    assert reporting_on_time(year=2025, today=dt.date(2025, 7, 6)) == {source.pk: (4, 5)}
    tallies = indicators._reporting(2025, dt.date(2025, 7, 6))
    assert (tallies[world.inst_a1.pk].numerator, tallies[world.inst_a1.pk].denominator) == (4, 5)


def test_a_validity_rule_takes_the_codes_of_a_terminology_value_set(world, sources):
    info = world.user("commission_info")
    url = "http://weijian.local/fhir/ValueSet/gb-t-2261-1"  # GB/T 2261.1 sex: 0, 1, 2, 9
    rule = services.rule_create(actor=info, code="gender-gb", name="性别（国标代码）", kind="validity",
                                resource_type="Patient", element="patient.gender", params={"value_set": url})
    assert set(services.spec_of(rule).values) == {"0", "1", "2", "9"}
    with pytest.raises(BusinessError, match="值集无法展开"):
        services.rule_create(actor=info, code="gender-x", name="x", kind="validity", resource_type="Patient",
                             element="patient.gender", params={"value_set": "http://example.org/ValueSet/none"})


def test_weights_are_set_and_change_the_composite(world, sources, rules):
    a, _b = sources
    info = world.user("commission_info")
    services.run_checks(actor=info)
    services.weights_set(actor=info, weights={"completeness": 1, "validity": 1, "consistency": 0, "timeliness": 0,
                                              "uniqueness": 0, "outlier": 0})
    card = {c.key: c for c in selectors.scorecards(actor=info)}[a.pk]
    assert card.composite(selectors.weights()) == Decimal("71.4")  # (3 + 2) / (4 + 3)
    assert card.worst_elements() == [("性别", 2)]
    with pytest.raises(BusinessError, match="不能全为0"):
        services.weights_set(actor=info, weights={})
    with pytest.raises(PermissionDenied):
        services.weights_set(actor=world.user("commission_science"), weights={"completeness": 1})
