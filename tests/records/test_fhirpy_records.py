"""A FHIR client written by others (fhirpy) against the record store: create, search, a transaction Bundle
and paging through Patient/$everything by following the server's `next` links. Its HTTP calls are routed
into Django's test client, as in test_fhirpy_client.py."""

import json as jsonlib
from types import SimpleNamespace
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.test import Client
from fhirpy import SyncFHIRClient
from fhirpy.base import lib_sync

from weijian.accounts.services import api_token_issue

pytestmark = pytest.mark.django_db
BASE = "http://testserver/fhir"


@pytest.fixture
def client(record_sources, monkeypatch):
    _token, raw = api_token_issue(user=record_sources.a1_user, name="fhirpy")
    django_client = Client()

    def request(method, url, json=None, headers=None, **_config):
        parts = urlsplit(url)
        path = f"{parts.path}?{parts.query}" if parts.query else parts.path
        extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in (headers or {}).items()
                 if k.lower() != "content-type"}
        body = {} if json is None else {"data": jsonlib.dumps(json), "content_type": "application/fhir+json"}
        response = getattr(django_client, method.lower())(path, **body, **extra)
        return SimpleNamespace(status_code=response.status_code, content=response.content)

    monkeypatch.setattr(lib_sync.requests, "request", request)
    return SyncFHIRClient(BASE, authorization=f"Bearer {raw}")


def test_fhirpy_creates_searches_runs_a_transaction_and_pages_everything(client):
    patient = client.resource("Patient", gender="female", birthDate="1958-07-02",
                              name=[{"family": "李", "given": ["秀英"], "text": "李秀英"}],
                              identifier=[{"system": "http://hospital.test/patient", "value": "A-1"}])
    patient.save()
    assert patient["id"] and patient["meta"]["versionId"] == "1"
    found = client.resources("Patient").search(identifier="http://hospital.test/patient|A-1").fetch_all()
    assert [p["id"] for p in found] == [patient["id"]]

    entries = [{"fullUrl": f"urn:uuid:obs-{i}", "request": {"method": "POST", "url": "Observation"},
                "resource": {"resourceType": "Observation", "status": "final",
                             "code": {"coding": [{"system": "http://loinc.org", "code": "8480-6"}]},
                             "subject": {"reference": f"Patient/{patient['id']}"},
                             "effectiveDateTime": f"2024-01-{i + 1:02d}",
                             "valueQuantity": {"value": 120 + i, "unit": "mmHg"}}} for i in range(25)]
    response = client.execute("", method="post", data={"resourceType": "Bundle", "type": "transaction",
                                                       "entry": entries})
    assert [e["response"]["status"] for e in response["entry"]] == ["201 Created"] * 25

    high = client.resources("Observation").search(subject=f"Patient/{patient['id']}").search(
        date__ge="2024-01-20").fetch_all()
    assert sorted(o["valueQuantity"]["value"] for o in high) == list(range(139, 145))

    seen, url, pages = [], f"Patient/{patient['id']}/$everything", 0
    params = {"_count": 7}
    while url:
        bundle = client.execute(url, method="get", params=params)
        pages += 1
        seen += [e["resource"]["id"] for e in bundle.get("entry", [])]
        following = next((link["url"] for link in bundle.get("link", []) if link["relation"] == "next"), None)
        if following:  # the server's own next link, split into path and parameters for fhirpy
            parts = urlsplit(following)
            url, params = parts.path.removeprefix("/fhir/"), dict(parse_qsl(parts.query))
        else:
            url = None
    assert len(seen) == len(set(seen)) == 26 and pages == 4
