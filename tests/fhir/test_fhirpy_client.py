"""A FHIR client written by others (fhirpy) against our /fhir/ endpoints: it builds the URLs, sends the
Bearer token and parses the Bundles and Parameters itself. Its HTTP calls are routed into Django's test
client (one process, one test transaction): a live server cannot be used here because the append-only
audit table refuses the flush a TransactionTestCase needs (see tests/browser/conftest.py)."""

import json as jsonlib
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from django.test import Client
from fhirpy import SyncFHIRClient
from fhirpy.base import lib_sync

from tests.terminology.conftest import LAB, LAB_VS
from weijian.accounts.services import api_token_issue

pytestmark = pytest.mark.django_db
BASE = "http://testserver/fhir"


@pytest.fixture
def fhir_client(world, terms, monkeypatch):
    _token, raw = api_token_issue(user=world.user("commission_science"), name="fhirpy")
    django_client = Client()

    def request(method, url, json=None, headers=None, **_config):  # the signature fhirpy calls
        parts = urlsplit(url)
        path = f"{parts.path}?{parts.query}" if parts.query else parts.path
        extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in (headers or {}).items()
                 if k.lower() != "content-type"}
        body = {} if json is None else {"data": jsonlib.dumps(json), "content_type": "application/fhir+json"}
        response = getattr(django_client, method.lower())(path, **body, **extra)
        return SimpleNamespace(status_code=response.status_code, content=response.content)

    monkeypatch.setattr(lib_sync.requests, "request", request)
    return SyncFHIRClient(BASE, authorization=f"Bearer {raw}")


def test_fhirpy_searches_reads_and_runs_operations(fhir_client):
    found = fhir_client.resources("CodeSystem").search(url=LAB).fetch()
    assert [resource["title"] for resource in found] == ["检验项目"]
    lab = fhir_client.reference("CodeSystem", found[0]["id"]).to_resource()
    assert {concept["code"] for concept in lab["concept"]} >= {"GLU", "HB"}
    looked_up = fhir_client.execute("CodeSystem/$lookup", method="get", params={"system": LAB, "code": "GLU-F"})
    assert {p["name"]: p.get("valueString") for p in looked_up["parameter"]}["display"] == "空腹血糖"
    expansion = fhir_client.execute("ValueSet/$expand", method="get", params={"url": LAB_VS, "filter": "血"})
    assert sorted(c["code"] for c in expansion["expansion"]["contains"]) == ["GLU-F", "HB"]


def test_fhirpy_sees_the_servers_errors(fhir_client):
    from fhirpy.base.exceptions import ResourceNotFound

    with pytest.raises(ResourceNotFound):
        fhir_client.execute("CodeSystem/$lookup", method="get", params={"system": LAB, "code": "NOPE"})
