"""The activity catalogue: who edits it, the defaults, and how a report's credits follow the rules."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from weijian.audit.models import AuditEvent
from weijian.cme import services
from weijian.cme.models import ActivityType, CreditRecord
from weijian.core.errors import BusinessError

D = dt.date
DAY = D(2025, 6, 1)


def _code(call, **kwargs):
    with pytest.raises(BusinessError) as exc:
        call(**kwargs)
    return exc.value.code


@pytest.fixture
def catalogue(world):
    services.activity_catalogue_seed(actor=world.user("commission_science"))
    return {a.code: a for a in ActivityType.objects.all()}


def _report(world, activity, quantity, day=DAY, **extra):
    return services.credit_record_create(actor=world.user("worker_a1"), worker=world.worker_a1,
                                         activity_type=activity, quantity=quantity, earned_on=day, **extra)


def test_only_the_commission_edits_the_catalogue_and_it_is_audited(world):
    fields = dict(code="case_talk", name="病例讨论", category="other", credits_per_unit="0.5", unit="次",
                  max_per_year="5")
    for key in ("district_a", "institution_a1", "worker_a1"):
        with pytest.raises(PermissionDenied):
            services.activity_type_create(actor=world.user(key), **fields)
    science = world.user("commission_science")
    activity = services.activity_type_create(actor=science, **fields)
    assert (activity.credit_class, activity.rule, activity.max_per_year) == ("II", "per_unit", Decimal("5.0"))
    assert _code(services.activity_type_create, actor=science, **fields) == "activity_code_taken"
    assert _code(services.activity_type_create, actor=science, **{**fields, "code": "x",
                                                                   "category": "project"}) == (
        "category_not_self_reported")
    services.activity_type_update(actor=science, activity_type=activity, credits_per_unit="1", max_per_year="")
    activity.refresh_from_db()
    assert (activity.credits_per_unit, activity.max_per_year) == (Decimal("1.0"), None)
    event = AuditEvent.objects.filter(entity="cme-activity-type", entity_id=str(activity.pk)).latest("pk")
    assert (event.action, event.before, event.after) == (
        "update", {"credits_per_unit": "0.5", "max_per_year": "5.0"}, {"credits_per_unit": "1.0", "max_per_year": None})


def test_the_defaults_load_once(world):
    science = world.user("commission_science")
    assert services.activity_catalogue_seed(actor=science) == 9
    assert services.activity_catalogue_seed(actor=science) == 0
    assert ActivityType.objects.count() == 9
    assert AuditEvent.objects.filter(entity="cme-activity-type", action="create").count() == 9
    core = ActivityType.objects.get(code="paper_core")
    assert (core.credit_class, core.credits_per_unit, core.max_per_year, core.unit) == (
        "II", Decimal("10.0"), Decimal("20.0"), "篇")
    with pytest.raises(PermissionDenied):
        services.activity_catalogue_seed(actor=world.user("district_a"))


def test_per_unit_and_fixed_rules(world, catalogue):
    # 2 lecture hours at a city project: 2 × 2 = 4 credits, class and category from the type.
    lecture = _report(world, catalogue["lecture_city"], "2", title="授课")
    assert (lecture.credits, lecture.quantity, lecture.credit_class, lecture.category, lecture.is_remote) == (
        Decimal("4.0"), Decimal("2.0"), "II", "lecture", False)
    assert (lecture.status, lecture.stage, lecture.activity_type_id) == ("pending", "department",
                                                                         catalogue["lecture_city"].pk)
    # 3 hours of a remote course at 0.5: 1.5 credits, remote.
    remote = _report(world, catalogue["remote_course"], "3")
    assert (remote.credits, remote.is_remote, remote.category) == (Decimal("1.5"), True, "remote")
    # A research project counts 10 whatever the quantity typed; no quantity means one.
    research = _report(world, catalogue["research"], None)
    assert (research.credits, research.quantity) == (Decimal("10.0"), Decimal("1.0"))
    assert _code(_report, world=world, activity=catalogue["paper_core"], quantity="0") == "quantity_invalid"
    assert _code(_report, world=world, activity=catalogue["paper_core"], quantity=None) == "quantity_invalid"


def test_the_yearly_cap_cuts_then_refuses(world, catalogue):
    general = catalogue["paper_general"]  # 5 per paper, at most 10 a year
    first = _report(world, general, "1")
    assert first.credits == Decimal("5.0")
    second = _report(world, general, "2")  # 2 × 5 = 10, but only 10 − 5 = 5 remain
    assert second.credits == Decimal("5.0")
    assert _code(_report, world=world, activity=general, quantity="1") == "yearly_cap_reached"
    # Another year has its own allowance: 3 × 5 = 15, cut to 10.
    assert _report(world, general, "3", day=D(2024, 6, 1)).credits == Decimal("10.0")
    assert CreditRecord.objects.filter(activity_type=general).count() == 3


def test_rejected_reports_free_the_allowance(world, catalogue):
    core = catalogue["paper_core"]  # 10 per paper, at most 20
    a = _report(world, core, "1")
    _report(world, core, "1")
    assert _code(_report, world=world, activity=core, quantity="1") == "yearly_cap_reached"
    services.credit_review(actor=world.user("institution_a1"), record=a, approve=False, comment="非第一作者")
    assert _report(world, core, "1").credits == Decimal("10.0")


def test_an_inactive_type_cannot_be_reported(world, catalogue):
    services.activity_type_update(actor=world.user("commission_science"), activity_type=catalogue["book"],
                                  is_active=False)
    assert _code(_report, world=world, activity=catalogue["book"], quantity="1") == "activity_inactive"
    assert not CreditRecord.objects.exists()
