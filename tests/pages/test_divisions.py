"""Division pages: create, edit, delete (only when unused), with Chinese errors and audit rows."""

import pytest
from django.urls import reverse

from weijian.audit.actions import AuditAction
from weijian.audit.models import AuditEvent
from weijian.orgs.models import Division


def test_create_division(world, login):
    response = login("commission_info").post(reverse("orgs:division-create"), {
        "code": "510104021", "name": "书院街街道", "level": "township", "parent": world.district_a.pk})
    assert response.status_code == 302
    division = Division.objects.get(pk="510104021")
    assert division.parent == world.district_a and division.name == "书院街街道"
    assert AuditEvent.objects.filter(action=AuditAction.CREATE, entity="division", entity_id="510104021").exists()


@pytest.mark.parametrize(("data", "message"), [
    ({"code": "51010", "name": "某街道", "level": "township", "parent": "510104"}, "区划代码应为6位（乡镇为9位）数字"),
    ({"code": "510104", "name": "重复", "level": "district", "parent": "510100"}, "该区划代码已存在"),
    ({"code": "510104022", "name": "某街道", "level": "township", "parent": "510100"}, "上级区划与级别不匹配"),
])
def test_create_division_errors_are_422(world, login, data, message):
    response = login("commission_info").post(reverse("orgs:division-create"), data)
    assert response.status_code == 422
    assert message in response.content.decode()


def test_update_division(world, login):
    response = login("commission_info").post(reverse("orgs:division-update", args=[world.township_a.pk]),
                                             {"name": "春熙路街道办事处"})  # unchecked box = revoked
    assert response.status_code == 302
    world.township_a.refresh_from_db()
    assert world.township_a.name == "春熙路街道办事处" and world.township_a.is_active is False
    event = AuditEvent.objects.get(action=AuditAction.UPDATE, entity="division", entity_id=world.township_a.pk)
    assert event.before == {"name": "春熙路街道", "is_active": True}


def test_update_division_blank_name_is_422(world, login):
    response = login("commission_info").post(reverse("orgs:division-update", args=[world.township_a.pk]),
                                             {"name": " ", "is_active": "on"})
    assert response.status_code == 422
    assert "该字段是必填项" in response.content.decode()


def test_delete_division_in_use_is_refused_with_message(world, login):
    client = login("commission_info")
    page = client.get(reverse("orgs:division-detail", args=[world.township_a.pk])).content.decode()
    assert "disabled" in page  # the delete button is off while institutions point at it
    response = client.post(reverse("orgs:division-delete", args=[world.township_a.pk]), follow=True)
    assert "该区划下仍有下级区划或机构，不能删除" in response.content.decode()
    assert Division.objects.filter(pk=world.township_a.pk).exists()
    assert not AuditEvent.objects.filter(action=AuditAction.DELETE).exists()


def test_delete_unused_division(world, login):
    client = login("commission_info")
    client.post(reverse("orgs:division-create"), {"code": "510104030", "name": "临时街道", "level": "township",
                                                  "parent": world.district_a.pk})
    page = client.get(reverse("orgs:division-detail", args=["510104030"])).content.decode()
    assert "data-confirm" in page
    response = client.post(reverse("orgs:division-delete", args=["510104030"]))
    assert response.status_code == 302 and response["Location"] == reverse("orgs:division-list")
    assert not Division.objects.filter(pk="510104030").exists()
    assert AuditEvent.objects.filter(action=AuditAction.DELETE, entity="division", entity_id="510104030").exists()


def test_delete_requires_post(world, login):
    response = login("commission_info").get(reverse("orgs:division-delete", args=[world.township_a.pk]))
    assert response.status_code == 405
