"""Divisions and institutions through the API: filters, the orgs services' rules, deactivation."""

from tests import factories
from tests.api.helpers import assert_error
from weijian.audit.actions import AuditAction
from weijian.audit.models import AuditEvent
from weijian.orgs.models import Institution

INSTITUTIONS, INSTITUTION = "/api/v1/institutions/", "/api/v1/institutions/{}/"


def _codes(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [r["code"] for r in response.json()["results"]]


def test_division_list_filters_and_detail(world, api):
    client = api("commission_science")
    assert _codes(client.get("/api/v1/divisions/", {"level": "district"})) == ["510104", "510105"]
    assert _codes(client.get("/api/v1/divisions/", {"parent": "510104"})) == ["510104020"]
    assert _codes(client.get("/api/v1/divisions/", {"q": "青羊"})) == ["510105"]
    assert _codes(client.get("/api/v1/divisions/", {"q": "5101"})) == ["510100", "510104", "510104020", "510105"]
    assert_error(client.get("/api/v1/divisions/", {"level": "village"}), 400, "validation_error")
    detail = client.get("/api/v1/divisions/510104020/").json()
    assert detail == {"code": "510104020", "name": "春熙路街道", "level": "township", "parent": "510104",
                      "parent_name": "锦江区", "is_active": True}
    assert client.get("/api/v1/divisions/510000/").json()["parent"] is None
    assert_error(client.get("/api/v1/divisions/999999/"), 404, "not_found")


def _institution(**overrides):
    body = {"uscc": factories.uscc(901), "name": "锦江区妇幼保健院", "type": "maternal_child", "grade": "2A",
            "ownership": "public", "division": "510104020"}
    body.update(overrides)
    return body


def test_create_institution_derives_the_district_and_audits(world, api):
    response = api("district_a").post(INSTITUTIONS, _institution())
    assert response.status_code == 201, response.content
    data = response.json()
    assert (data["division"], data["district"], data["district_name"]) == ("510104020", "510104", "锦江区")
    assert data["is_active"] is True and data["grade"] == "2A"
    institution = Institution.objects.get(pk=data["id"])
    assert AuditEvent.objects.filter(action=AuditAction.CREATE, entity="institution",
                                     entity_id=str(institution.pk), channel="api").count() == 1


def test_create_institution_business_errors(world, api):
    client = api("commission_info")
    valid = factories.uscc(903)
    wrong_check = valid[:-1] + ("1" if valid[-1] != "1" else "2")
    cases = [
        (_institution(uscc=wrong_check), "uscc_invalid", "uscc"),
        (_institution(uscc="123"), "uscc_invalid", "uscc"),
        (_institution(uscc=world.inst_a1.uscc), "uscc_taken", "uscc"),
        (_institution(type="spa"), "choice_invalid", "type"),
        (_institution(name=" "), "name_required", "name"),
        (_institution(division="510100"), "division_not_in_district", "division"),
        (_institution(division="999999"), "division_out_of_scope", "division"),
    ]
    for body, code, field in cases:
        assert_error(client.post(INSTITUTIONS, body), 400, code, field=field)
    # District B may not register in district A; to it, district A's township does not exist.
    assert_error(api("district_b").post(INSTITUTIONS, _institution()), 400, "division_out_of_scope",
                 field="division")
    error = assert_error(client.post(INSTITUTIONS, _institution(name="院" * 129)), 400, "validation_error")
    assert "name" in error["extra"]["fields"]
    assert Institution.objects.count() == 3


def test_patch_institution_keeps_the_credit_code(world, api):
    url = INSTITUTION.format(world.inst_a1.pk)
    response = api("district_a").patch(url, {"name": "锦江区第一人民医院", "division": "510104020",
                                             "uscc": factories.uscc(902)})
    assert response.status_code == 200, response.content
    world.inst_a1.refresh_from_db()
    assert world.inst_a1.name == "锦江区第一人民医院" and world.inst_a1.division_id == "510104020"
    assert world.inst_a1.uscc == factories.uscc(1)
    event = AuditEvent.objects.get(action=AuditAction.UPDATE, entity="institution")
    assert set(event.after) == {"name", "division_id"}
    moved = api("district_a").patch(url, {"division": "510105"})
    assert_error(moved, 400, "division_out_of_scope", field="division")


def test_delete_deactivates_and_the_active_filter_sees_it(world, api):
    client = api("commission_info")
    assert client.delete(INSTITUTION.format(world.inst_b1.pk)).status_code == 204
    world.inst_b1.refresh_from_db()
    assert world.inst_b1.is_active is False
    assert AuditEvent.objects.filter(action=AuditAction.DEACTIVATE, entity="institution").count() == 1

    def ids(**params):
        return {r["id"] for r in client.get(INSTITUTIONS, params).json()["results"]}

    assert ids(active="false") == {world.inst_b1.pk}
    assert ids(active="true") == {world.inst_a1.pk, world.inst_a2.pk}
    assert ids() == {world.inst_a1.pk, world.inst_a2.pk, world.inst_b1.pk}
    # Reopening is an update.
    assert client.patch(INSTITUTION.format(world.inst_b1.pk), {"is_active": True}).json()["is_active"] is True


def test_institution_list_filters(world, api):
    client = api("commission_science")
    Institution.objects.filter(pk=world.inst_a2.pk).update(type="community_centre", grade="1",
                                                           ownership="non_public")

    def ids(**params):
        response = client.get(INSTITUTIONS, params)
        assert response.status_code == 200, response.content
        return {r["id"] for r in response.json()["results"]}

    assert ids(type="community_centre") == ids(grade="1") == ids(ownership="non_public") == {world.inst_a2.pk}
    assert ids(district="510105") == {world.inst_b1.pk}
    assert ids(q="青羊") == {world.inst_b1.pk}
    assert ids(q=world.inst_a1.uscc[:17].lower()) == {world.inst_a1.pk}
    assert_error(client.get(INSTITUTIONS, {"grade": "5"}), 400, "validation_error")
    assert_error(client.get(INSTITUTIONS, {"active": "maybe"}), 400, "validation_error")
