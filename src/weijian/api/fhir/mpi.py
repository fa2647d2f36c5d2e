"""FHIR operations of the master patient index: Patient/$match (which persons may these demographics be)
and the IHE PIXm query Patient/$ihe-pix (given one identifier, the resident's others).

A person is answered as a Patient with the platform's EMPI identifier, name, gender and birth date only
(no ID number, no phone) and `link`s to the source Patients the record store holds of them."""

import orjson
from django.http import HttpResponse

from weijian.api.fhir.body import read_json
from weijian.api.fhir.outcome import FHIR_JSON, FhirView
from weijian.core.errors import BusinessError
from weijian.mpi import selectors
from weijian.mpi.errors import MpiErrorCode as E
from weijian.records.identity import BASE, CITIZEN_ID_SYSTEM, patient_system, source_of_patient_system
from weijian.records.patients import demographics

EMPI_SYSTEM = f"{BASE}/sid/empi"
MATCH_GRADE = "http://hl7.org/fhir/StructureDefinition/match-grade"
_GENDER = {"1": "male", "2": "female", "9": "other", "0": "unknown"}


def _json(data: dict) -> HttpResponse:
    return HttpResponse(orjson.dumps(data), content_type=f"{FHIR_JSON}; charset=utf-8")


def person_patient(person, identities) -> dict:
    patient = {"resourceType": "Patient", "id": person.empi, "active": person.active,
               "identifier": [{"use": "official", "system": EMPI_SYSTEM, "value": person.empi}]}
    if person.name:
        patient["name"] = [{"text": person.name}]
    if person.sex in _GENDER:
        patient["gender"] = _GENDER[person.sex]
    if person.birth_date:
        patient["birthDate"] = person.birth_date.isoformat()
    links = [{"other": {"reference": f"Patient/{i.patient_fhir_id}"}, "type": "seealso"}
             for i in identities if i.patient_fhir_id]
    if links:
        patient["link"] = links
    return patient


def _parameter(parameters: dict, name: str):
    for parameter in parameters.get("parameter") or ():
        if isinstance(parameter, dict) and parameter.get("name") == name:
            return parameter
    return None


class MatchView(FhirView):
    """POST /fhir/Patient/$match with Parameters(resource=Patient, onlyCertainMatches, count)."""

    def post(self, request):
        body, _raw = read_json(request)
        if not isinstance(body, dict):
            raise BusinessError(E.MATCH_RESOURCE_REQUIRED)
        resource = (_parameter(body, "resource") or {}).get("resource") if body.get("resourceType") == "Parameters" \
            else body
        if not isinstance(resource, dict) or resource.get("resourceType") != "Patient":
            raise BusinessError(E.MATCH_RESOURCE_REQUIRED)
        only_certain = bool((_parameter(body, "onlyCertainMatches") or {}).get("valueBoolean", False))
        count = (_parameter(body, "count") or {}).get("valueInteger", 5)
        count = count if isinstance(count, int) and 0 < count <= 50 else 5
        found = selectors.match_candidates(request.user, demographics(resource), count=count,
                                           only_certain=only_certain)
        base = request.build_absolute_uri("/fhir/")
        entries = [{"fullUrl": f"{base}Patient/{f['person'].empi}",
                    "resource": person_patient(f["person"], f["person"].identities.all()),
                    "search": {"mode": "match", "score": round(f["score"].match_probability, 6),
                               "extension": [{"url": MATCH_GRADE, "valueCode": f["grade"]}]}}
                   for f in found]
        return _json({"resourceType": "Bundle", "type": "searchset", "total": len(entries), "entry": entries})


class PixView(FhirView):
    """GET /fhir/Patient/$ihe-pix?sourceIdentifier=system|value[&targetSystem=…] (IHE PIXm)."""

    def get(self, request):
        system, _bar, value = request.query_params.get("sourceIdentifier", "").partition("|")
        source_code = source_of_patient_system(system)
        if not value or not (source_code or system == CITIZEN_ID_SYSTEM):
            raise BusinessError(E.PIX_IDENTIFIER_INVALID, parameter="sourceIdentifier")
        person, identities = selectors.cross_references(
            request.user, source_code=source_code, local_id=value if source_code else "",
            id_number=value if system == CITIZEN_ID_SYSTEM else "")
        if person is None:
            raise BusinessError(E.PIX_NOT_FOUND)
        wanted = set(request.query_params.getlist("targetSystem"))
        targets = [(EMPI_SYSTEM, person.empi)] + [(patient_system(i.source_code), i.local_id) for i in identities]
        parameters = [{"name": "targetIdentifier", "valueIdentifier": {"system": s, "value": v}}
                      for s, v in targets if (not wanted or s in wanted) and (s, v) != (system, value)]
        parameters += [{"name": "targetId", "valueReference": {"reference": f"Patient/{i.patient_fhir_id}"}}
                       for i in identities if i.patient_fhir_id]
        return _json({"resourceType": "Parameters", "parameter": parameters})
