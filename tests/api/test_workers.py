"""Workers through the API: the same rules as the pages (worker_clean + services), masked ID numbers,
audited reads and reveals."""

import datetime as dt
import json

from tests import factories
from tests.api.helpers import assert_error
from weijian.audit.actions import AuditAction
from weijian.audit.models import AuditEvent
from weijian.core import crypto
from weijian.workforce.idnumber import parse_id_number
from weijian.workforce.models import Worker

LIST, DETAIL = "/api/v1/workers/", "/api/v1/workers/{}/"


def _payload(world, **overrides):
    body = {"name": "赵技师", "id_number": factories.unique_id_number(), "institution": world.inst_a1.pk,
            "profession": "technician", "title_level": "junior", "practising_since": "2015-07-01"}
    body.update(overrides)
    return body


def full_id_numbers() -> list[str]:
    return [crypto.decrypt(w.id_number_encrypted) for w in Worker.objects.all()]


def test_create_writes_through_the_service_and_masks_the_id_number(world, api):
    body = _payload(world)
    response = api("institution_a1").post(LIST, body)
    assert response.status_code == 201, response.content
    data = response.json()
    worker = Worker.objects.get(pk=data["id"])
    parsed = parse_id_number(body["id_number"])
    assert data["id_number_masked"] == parsed.masked == worker.id_number_masked
    assert data["birth_date"] == parsed.birth_date.isoformat() and data["sex"] == parsed.sex
    assert data["institution"] == world.inst_a1.pk and data["institution_name"] == world.inst_a1.name
    assert data["status"] == "active" and data["practising_since"] == "2015-07-01"
    assert body["id_number"] not in response.content.decode()
    assert crypto.decrypt(worker.id_number_encrypted) == body["id_number"]
    event = AuditEvent.objects.get(action=AuditAction.CREATE, entity="worker", entity_id=str(worker.pk))
    assert event.actor_username == "institution_a1" and event.channel == "api"
    assert body["id_number"] not in json.dumps(event.after, ensure_ascii=False)


def test_institution_user_cannot_place_a_worker_in_another_institution(world, api):
    before = Worker.objects.count()
    response = api("institution_a1").post(LIST, _payload(world, institution=world.inst_b1.pk))
    assert_error(response, 400, "institution_out_of_scope", field="institution")
    missing = api("institution_a1").post(LIST, _payload(world, institution=999999))
    assert_error(missing, 400, "institution_out_of_scope", field="institution")
    assert Worker.objects.count() == before


def test_business_errors_carry_their_code_and_field(world, api):
    client = api("district_a")
    taken = crypto.decrypt(world.worker_a2.id_number_encrypted)
    id_number = factories.unique_id_number()
    cases = [
        (_payload(world, id_number="510104199001011234"), "id_number_invalid", "id_number"),
        (_payload(world, id_number=taken), "id_number_taken", "id_number"),
        (_payload(world, name="  "), "name_required", "name"),
        (_payload(world, profession="surgeon"), "choice_invalid", "profession"),
        (_payload(world, id_number=id_number, birth_date="1901-01-01"), "birth_date_mismatch", "birth_date"),
        (_payload(world, practising_since="1900-01-01"), "practising_before_birth", "practising_since"),
        (_payload(world, practising_since=(dt.date.today() + dt.timedelta(days=3)).isoformat()),
         "practising_in_future", "practising_since"),
    ]
    for body, code, field in cases:
        assert_error(client.post(LIST, body), 400, code, field=field)
    assert not AuditEvent.objects.filter(action=AuditAction.CREATE, entity="worker",
                                         actor_username="district_a").exists()


def test_closed_institution_takes_no_new_workers(world, api):
    assert api("district_a").delete(f"/api/v1/institutions/{world.inst_a2.pk}/").status_code == 204
    response = api("district_a").post(LIST, _payload(world, institution=world.inst_a2.pk))
    assert_error(response, 400, "institution_closed", field="institution")


def test_malformed_input_is_a_validation_error(world, api):
    body = api("district_a").post(LIST, {"name": "赵技师", "institution": "abc", "practising_since": "yesterday"})
    error = assert_error(body, 400, "validation_error")
    assert {"id_number", "institution", "profession", "practising_since"} <= set(error["extra"]["fields"])


def test_patch_changes_only_given_fields_and_keeps_the_id_number(world, api):
    worker = world.worker_a1
    stored = crypto.decrypt(worker.id_number_encrypted)
    response = api("district_a").patch(DETAIL.format(worker.pk), {"title_level": "senior"})
    assert response.status_code == 200, response.content
    worker.refresh_from_db()
    assert worker.title_level == "senior" and worker.name == "张医生" and worker.profession == "doctor"
    assert crypto.decrypt(worker.id_number_encrypted) == stored
    event = AuditEvent.objects.get(action=AuditAction.UPDATE, entity="worker", entity_id=str(worker.pk))
    assert event.before == {"title_level": "intermediate"} and event.after == {"title_level": "senior"}
    assert stored not in response.content.decode()


def test_patch_can_correct_the_id_number(world, api):
    new_number = factories.unique_id_number(region="510105")
    response = api("commission_info").patch(DETAIL.format(world.worker_b1.pk), {"id_number": new_number})
    assert response.status_code == 200, response.content
    assert response.json()["id_number_masked"] == parse_id_number(new_number).masked
    world.worker_b1.refresh_from_db()
    assert crypto.decrypt(world.worker_b1.id_number_encrypted) == new_number


def test_patch_cannot_move_a_worker_out_of_scope(world, api):
    response = api("district_a").patch(DETAIL.format(world.worker_a1.pk), {"institution": world.inst_b1.pk})
    assert_error(response, 400, "institution_out_of_scope", field="institution")
    world.worker_a1.refresh_from_db()
    assert world.worker_a1.institution_id == world.inst_a1.pk


def test_patch_with_a_bad_value_changes_nothing(world, api):
    response = api("district_a").patch(DETAIL.format(world.worker_a1.pk), {"status": "fired", "name": "改名"})
    assert_error(response, 400, "choice_invalid", field="status")
    world.worker_a1.refresh_from_db()
    assert world.worker_a1.name == "张医生"


def test_delete_marks_as_left_once(world, api):
    client = api("institution_a1")
    url = DETAIL.format(world.worker_a1.pk)
    assert client.delete(url).status_code == 204
    assert client.delete(url).status_code == 204  # already left: nothing more to do
    world.worker_a1.refresh_from_db()
    assert world.worker_a1.status == "left"
    assert AuditEvent.objects.filter(action=AuditAction.DEACTIVATE, entity="worker",
                                     entity_id=str(world.worker_a1.pk)).count() == 1
    assert client.get(url).json()["status"] == "left"  # kept, not deleted


def test_detail_is_an_audited_read_of_personal_data(world, api):
    response = api("district_a").get(DETAIL.format(world.worker_a2.pk))
    assert response.status_code == 200
    event = AuditEvent.objects.get(action=AuditAction.VIEW_PERSONAL, entity_id=str(world.worker_a2.pk))
    assert event.actor_username == "district_a" and event.channel == "api" and event.entity == "worker"
    assert_error(api("district_b").get(DETAIL.format(world.worker_a2.pk)), 404, "not_found")
    assert AuditEvent.objects.filter(action=AuditAction.VIEW_PERSONAL).count() == 1


def test_list_and_detail_never_contain_a_full_id_number(world, api):
    numbers = full_id_numbers()
    client = api("commission_info")
    texts = [client.get(LIST).content.decode()]
    texts += [client.get(DETAIL.format(w.pk)).content.decode() for w in Worker.objects.all()]
    for text in texts:
        assert "id_number_masked" in text
        assert '"id_number"' not in text
        assert not [n for n in numbers if n in text]


def test_list_filters(world, api):
    client = api("commission_info")

    def ids(**params):
        response = client.get(LIST, params)
        assert response.status_code == 200, response.content
        return {r["id"] for r in response.json()["results"]}

    assert ids(profession="nurse") == {world.worker_a2.pk}
    assert ids(district="510105") == {world.worker_b1.pk}
    assert ids(institution=world.inst_a1.pk) == {world.worker_a1.pk}
    assert ids(q="王") == {world.worker_b1.pk}
    assert ids(q="春熙路") == {world.worker_a2.pk}  # institution name
    assert ids(status="left") == set()
    assert ids(title_level="intermediate") == {world.worker_a1.pk, world.worker_a2.pk, world.worker_b1.pk}
    assert_error(client.get(LIST, {"profession": "surgeon"}), 400, "validation_error")
    # Filters narrow the scope, never widen it.
    assert {r["id"] for r in api("district_b").get(LIST, {"district": "510104"}).json()["results"]} == set()


def test_reveal_returns_the_full_number_and_is_audited(world, api):
    url = DETAIL.format(world.worker_a1.pk) + "reveal-id-number/"
    response = api("institution_a1").post(url)
    assert response.status_code == 200
    assert response.json() == {"id_number": crypto.decrypt(world.worker_a1.id_number_encrypted)}
    assert response["Cache-Control"] == "no-store"
    event = AuditEvent.objects.get(action=AuditAction.REVEAL)
    assert (event.actor_username, event.entity, event.entity_id, event.channel) == (
        "institution_a1", "worker", str(world.worker_a1.pk), "api")
    assert response.json()["id_number"] not in event.summary


def test_reveal_scope_and_roles(world, api):
    def reveal(role, worker):
        return api(role).post(DETAIL.format(worker.pk) + "reveal-id-number/")

    assert reveal("worker_a1", world.worker_a1).status_code == 200  # their own number
    assert_error(reveal("worker_a1", world.worker_a2), 404, "not_found")
    assert_error(reveal("district_b", world.worker_a1), 404, "not_found")
    assert_error(reveal("commission_science", world.worker_a1), 403, "permission_denied")
    assert_error(reveal("expert", world.worker_a1), 403, "permission_denied")
    assert_error(api("district_a").get(DETAIL.format(world.worker_a1.pk) + "reveal-id-number/"), 405,
                 "method_not_allowed")
    assert AuditEvent.objects.filter(action=AuditAction.REVEAL).count() == 1
