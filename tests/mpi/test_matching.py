"""Real-time matching of arriving patients: every Patient an upload writes gets a person, by automatic
link, review queue or a new person; over-full blocking keys are capped and reported."""

import datetime as dt

import pytest

from tests import factories
from weijian.linkage import realtime
from weijian.mpi import matching, selectors, services
from weijian.mpi.models import BlockingKey, LinkEvent, LinkState, Person, ReviewItem, SourceIdentity
from weijian.records import services as record_services
from weijian.records.identity import CITIZEN_ID_SYSTEM, patient_system
from weijian.records.models import UploadIssue

ID_NUMBER = factories.id_number(region="510104", birth=dt.date(1962, 3, 8), sequence=31)


def patient(source, local, *, name="王建国", id_number=ID_NUMBER, birth="1962-03-08", gender="male",
            phone="13980001234", address="四川省成都市锦江区春熙路街道红星路12号") -> dict:
    identifiers = [{"system": patient_system(source.code), "value": local}]
    if id_number:
        identifiers.append({"system": CITIZEN_ID_SYSTEM, "value": id_number})
    resource = {"resourceType": "Patient", "identifier": identifiers, "name": [{"text": name}],
                "gender": gender, "birthDate": birth}
    if address:
        resource["address"] = [{"text": address}]
    if phone:
        resource["telecom"] = [{"system": "phone", "value": phone}]
    return resource


def upload(source, *resources):
    bundle = {"resourceType": "Bundle", "type": "batch",
              "entry": [{"resource": r, "request": {"method": "POST", "url": "Patient"}} for r in resources]}
    _response, batch = record_services.bundle_submit(actor=source.account, bundle=bundle)
    return batch


def identity(source, local) -> SourceIdentity:
    return SourceIdentity.objects.get(source_code=source.code, local_id=local)


def test_the_same_resident_from_two_hospitals_is_one_person(record_sources):
    a1, b1 = record_sources.a1, record_sources.b1
    first = upload(a1, patient(a1, "A-1"))
    second = upload(b1, patient(b1, "B-7", name="王建囯", phone="139 8000 1234"))  # a variant character
    one, two = identity(a1, "A-1"), identity(b1, "B-7")
    assert one.person_id == two.person_id
    assert (one.link_state, two.link_state) == (LinkState.NEW, LinkState.AUTO)
    assert two.match_weight >= matching.active_model().threshold_upper
    assert selectors.upload_link_counts(first.pk) == {"auto": 0, "possible": 0, "new": 1}
    assert selectors.upload_link_counts(second.pk) == {"auto": 1, "possible": 0, "new": 0}
    person = Person.objects.get(pk=one.person_id)
    assert person.id_number_masked.startswith("5101") and "*" in person.id_number_masked
    assert ID_NUMBER not in person.id_number_encrypted  # encrypted at rest, as the blocking keys are
    assert not BlockingKey.objects.filter(key__contains=ID_NUMBER).exists()


def test_an_uncertain_pair_gets_its_own_person_and_a_review_item(record_sources):
    a1, b1 = record_sources.a1, record_sources.b1
    upload(a1, patient(a1, "A-1"))
    # no ID number, a relative's phone: the same name, sex and birth date, a different contact
    upload(b1, patient(b1, "B-2", id_number="", phone="13511112222", address=""))
    one, two = identity(a1, "A-1"), identity(b1, "B-2")
    assert one.person_id != two.person_id
    assert two.link_state == LinkState.POSSIBLE
    review = ReviewItem.objects.get(identity=two)
    assert review.candidate_id == one.person_id
    model = matching.active_model()
    assert model.threshold_lower <= review.match_weight < model.threshold_upper
    names = [row["comparison"] for row in review.comparison]
    assert names == [spec.name for spec in model.comparisons]
    assert "王建国" not in str(review.comparison)  # the stored explanation carries no personal values


def test_a_stranger_is_a_new_person_and_resending_changes_nothing(record_sources):
    a1 = record_sources.a1
    upload(a1, patient(a1, "A-1"))
    other = factories.id_number(region="510105", sequence=77)
    batch = upload(a1, patient(a1, "A-2", name="欧阳娜娜", id_number=other, birth=f"{other[6:10]}-{other[10:12]}-"
                               f"{other[12:14]}", gender="female", phone="13700009999", address="成都市青羊区"))
    assert identity(a1, "A-2").link_state == LinkState.NEW
    assert Person.objects.count() == 2
    assert selectors.upload_link_counts(batch.pk)["new"] == 1
    events = LinkEvent.objects.count()
    upload(a1, patient(a1, "A-1"))  # the same content again: the store keeps it unchanged, the MPI too
    assert LinkEvent.objects.count() == events and Person.objects.count() == 2


def test_a_changed_patient_keeps_its_link_and_refreshes_the_golden_record(record_sources):
    a1 = record_sources.a1
    upload(a1, patient(a1, "A-1"))
    person = identity(a1, "A-1").person
    bundle = {"resourceType": "Bundle", "type": "batch", "entry": [{
        "resource": {**patient(a1, "A-1", phone="13866012345"), "id": identity(a1, "A-1").patient_fhir_id},
        "request": {"method": "PUT", "url": f"Patient/{identity(a1, 'A-1').patient_fhir_id}"}}]}
    response, _batch = record_services.bundle_submit(actor=a1.account, bundle=bundle)
    assert response["entry"][0]["response"]["status"] == "200 OK", response
    person.refresh_from_db()
    assert person.phone_masked == "138****2345"
    assert identity(a1, "A-1").person_id == person.pk


def test_weights_are_the_batch_models_and_explained_per_field(record_sources):
    a1 = record_sources.a1
    upload(a1, patient(a1, "A-1"))
    arriving = matching.standardise({"name": "王建国", "sex": "1", "birth_date": "1962-03-08",
                                     "id_number": ID_NUMBER, "phone": "13980001234", "address": "锦江区"})
    result = matching.match(arriving, matching.active_model())
    assert result.decision == LinkState.AUTO and result.best.person_id == identity(a1, "A-1").person_id
    stored = identity(a1, "A-1")
    direct = realtime.score(arriving, {**services.standardised_of(stored), "record_id": str(stored.pk)},
                            matching.active_model())
    assert result.best.score.match_weight == pytest.approx(direct.match_weight, abs=1e-12)
    assert sum(f.match_weight for f in result.best.score.fields) + matching.active_model().prior_match_weight \
        == pytest.approx(result.best.score.match_weight)


def test_a_switchboard_phone_is_capped_and_reported(record_sources):
    a1 = record_sources.a1
    count = matching.CANDIDATE_CAP + 20
    first = dt.date(1950, 1, 1)
    arrivals = [matching.Arrival("SW", f"L{n}", {"name": "患者", "phone": "02886000000",
                                                 "birth_date": (first + dt.timedelta(days=n)).isoformat()})
                for n in range(count)]
    linked = matching.link_arrivals(arrivals)
    # the key is skipped once more than CANDIDATE_CAP identities share it
    assert linked.counts["capped:ph"] == count - matching.CANDIDATE_CAP - 1
    assert all(capped == [] for capped in linked.capped[:matching.CANDIDATE_CAP + 1])
    assert linked.capped[-1] == ["ph"]
    # and through an upload, the capped patient is a warning on the upload
    batch = upload(a1, patient(a1, "A-9", name="赵六", id_number="", phone="02886000000", birth="1990-01-01"))
    warning = UploadIssue.objects.get(upload=batch, severity="warning")
    assert "联系电话" in warning.message and warning.resource_type == "Patient"


def test_records_with_nothing_usable_still_get_a_person(db):
    linked = matching.link_arrivals([
        matching.Arrival("S", "1", {}),
        matching.Arrival("S", "2", {"name": "", "birth_date": "2999-13-40", "id_number": "11010519900101001X"}),
        matching.Arrival("S", "3", {"name": "新生儿", "sex": "2", "birth_date": "2026-11-01"}),
    ])
    assert linked.counts["new"] == 3
    assert SourceIdentity.objects.count() == 3 and Person.objects.count() == 3


def test_the_upload_report_states_linked_queued_and_new(record_sources, world, client_for):
    a1, b1 = record_sources.a1, record_sources.b1
    upload(a1, patient(a1, "A-1"))
    batch = upload(b1, patient(b1, "B-1"), patient(b1, "B-2", id_number="", phone="13511112222", address=""),
                   patient(b1, "B-3", name="欧阳娜娜", id_number="", phone="13700001111", birth="1990-02-03",
                           gender="female", address="青羊区"))
    client = client_for(world.user("commission_info"))
    page = client.get(f"/records/uploads/{batch.pk}/").content.decode()
    assert "自动关联 1 人，疑似匹配待审核 1 人，新建主索引 1 人" in page
    body = client.get(f"/api/v1/records/uploads/{batch.pk}/").json()
    assert body["patients"] == {"auto": 1, "possible": 1, "new": 1}


def test_a_person_with_a_different_proving_id_is_never_linked_automatically(record_sources):
    """Twins: one twin's record without an ID looks like the other twin with a mistyped name."""
    a1, b1 = record_sources.a1, record_sources.b1
    birth = dt.date(2015, 4, 8)
    twin_a = factories.id_number(region="510104", birth=birth, sequence=101)
    twin_b = factories.id_number(region="510104", birth=birth, sequence=103)
    home = {"birth": birth.isoformat(), "phone": "13980005678", "address": "四川省成都市锦江区春熙路街道红星路30号"}
    upload(a1, patient(a1, "A-1", name="王晓明", id_number=twin_a, **home))
    upload(b1, patient(b1, "B-1", name="王小明", id_number="", **home))  # no ID: the same child, or the twin?
    assert identity(a1, "A-1").person_id == identity(b1, "B-1").person_id
    person_a = identity(a1, "A-1").person_id

    model = matching.active_model()
    raw = {"name": "王小明", "id_number": twin_b, "sex": "男", "birth_date": home["birth"], "phone": home["phone"],
           "address": home["address"]}
    result = matching.match(matching.standardise(raw), model)
    assert result.best.person_id == person_a and result.best.score.match_weight >= model.threshold_upper
    assert result.kept_apart == {person_a: "id_number"} and result.linked_to is None
    assert result.decision == LinkState.POSSIBLE  # a reviewer decides

    upload(a1, patient(a1, "A-2", name="王小明", id_number=twin_b, **home))
    twin = identity(a1, "A-2")
    assert twin.person_id != person_a and twin.link_state == LinkState.POSSIBLE
    item = ReviewItem.objects.get(identity=twin)
    assert item.candidate_id == person_a and item.kept_apart == "id_number"  # the review page says why
    # the twin's own later record links to the twin, not to the person holding the other ID
    upload(b1, patient(b1, "B-2", name="王小明", id_number=twin_b, **home))
    assert identity(b1, "B-2").person_id == twin.person_id
    assert identity(b1, "B-2").link_state == LinkState.AUTO


def test_a_second_record_of_a_second_name_goes_to_review_not_into_the_person(record_sources, world):
    """Twins without ID numbers: 王小亮 twice, then 王小明 (a typo, as far as anyone can tell), then 王小明
    again — now two names each on two records, which batch clustering splits into two people."""
    a1, b1 = record_sources.a1, record_sources.b1
    home = {"id_number": "", "birth": "2016-05-09", "phone": "13980007777",
            "address": "四川省成都市锦江区春熙路街道红星路31号"}
    upload(a1, patient(a1, "A-1", name="王小亮", **home))
    upload(b1, patient(b1, "B-1", name="王小亮", **home))
    upload(a1, patient(a1, "A-2", name="王小明", **home))
    person = identity(a1, "A-1").person_id
    assert identity(b1, "B-1").person_id == person
    if identity(a1, "A-2").person_id != person:  # the test city's model may queue it: a reviewer merges it
        item = ReviewItem.objects.get(identity=identity(a1, "A-2"), candidate_id=person)
        services.review_accept(actor=world.user("commission_info"), item=item, reason="电话与住址核实为同一人")
    assert identity(a1, "A-2").person_id == person

    upload(b1, patient(b1, "B-2", name="王小明", **home))
    second = identity(b1, "B-2")
    assert second.person_id != person and second.link_state == LinkState.POSSIBLE
    item = ReviewItem.objects.get(identity=second, candidate_id=person)
    assert item.kept_apart == "name" and item.match_weight >= matching.active_model().threshold_upper
