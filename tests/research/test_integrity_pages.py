"""The commission's integrity cases: recorded by ID number (never shown), listed with whether the
sanction is in force, and the recorded sanction stops the person at the gate."""

import datetime as dt

import pytest
from django.urls import reverse

from tests.research.test_services import new_application
from weijian.research import services
from weijian.research.models import IntegrityCase

pytestmark = pytest.mark.django_db


def test_the_commission_records_a_case_by_id_number_and_the_sanction_then_blocks(world, client_for):
    science = world.user("commission_science")
    client = client_for(science)
    from weijian.core import crypto

    id_number = crypto.decrypt(world.worker_a1.id_number_encrypted)  # as the commission would type it
    today = dt.date.today()
    bad = client.post(reverse("research:integrity-create"), {
        "id_number": "12345", "number": "SX-1", "finding": "抄袭", "sanction": "ban_all",
        "starts_on": today.isoformat()})
    assert bad.status_code == 422 and "身份证号应为18位" in bad.content.decode()
    assert not IntegrityCase.objects.exists()
    response = client.post(reverse("research:integrity-create"), {
        "id_number": id_number, "number": "SX-1", "finding": "论文抄袭", "sanction": "ban_apply",
        "starts_on": (today - dt.timedelta(days=1)).isoformat(), "ends_on": (today + dt.timedelta(days=30)).isoformat()})
    assert response.status_code == 302
    case = IntegrityCase.objects.get()
    assert (case.worker, case.sanction) == (world.worker_a1, "ban_apply")
    listing = client.get(reverse("research:integrity-list")).content.decode()
    assert "SX-1" in listing and "执行中" in listing and id_number not in listing

    call = services.call_publish(actor=science, call=services.call_create(
        actor=science, year=today.year, title="诚信测试", category="general", budget_ceiling="20",
        opens_on=today - dt.timedelta(days=1), closes_on=today + dt.timedelta(days=10)))
    with pytest.raises(Exception) as exc:
        new_application(call, world.user("worker_a1"))
    assert "科研失信惩戒期内" in str(exc.value)


def test_only_the_commission_sees_integrity_cases(world, client_for):
    for key in ("institution_a1", "district_a", "worker_a1", "expert"):
        assert client_for(world.user(key)).get(reverse("research:integrity-list")).status_code == 403
