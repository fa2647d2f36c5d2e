from weijian.records import services
from weijian.records.models import Resource, ResourceVersion, TokenIndex


def test_create_update_delete_versions(record_sources):
    actor = record_sources.a1_user
    patient = {"resourceType": "Patient", "gender": "male", "birthDate": "1960-05-01",
               "name": [{"family": "王", "given": ["建国"]}],
               "identifier": [{"system": "urn:oid:2.16.156.10011.1.3", "value": "11010519491231002X"}]}
    created = services.resource_create(actor=actor, resource=patient)
    assert created.status == "created" and created.version == 1
    row = Resource.objects.get(type="Patient", fhir_id=created.fhir_id)
    assert "11010519491231002X" not in row.content
    again = services.resource_create(actor=actor, resource=patient)
    assert again.status == "exists" and again.fhir_id == created.fhir_id
    updated = services.resource_update(actor=actor, type_="Patient", fhir_id=created.fhir_id,
                                       resource={**patient, "gender": "female"}, if_match=1)
    assert updated.version == 2
    assert ResourceVersion.objects.filter(resource_id=row.pk).count() == 2
    assert TokenIndex.objects.filter(resource_id=row.pk, param="gender").values_list("code", flat=True).get() == "female"
    deleted = services.resource_delete(actor=actor, type_="Patient", fhir_id=created.fhir_id)
    assert deleted.version == 3
    assert not TokenIndex.objects.filter(resource_id=row.pk).exists()
