"""List endpoints cost the same number of queries for one row as for many (no N+1)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests import factories
from weijian.orgs import services as org_services
from weijian.orgs.models import DivisionLevel


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(captured)


def _more_divisions(world):
    for n in range(5):
        org_services.division_create(actor=world.user("commission_info"), code=f"5101050{n:02d}",
                                     name=f"街道{n}", level=DivisionLevel.TOWNSHIP, parent=world.district_b)


def _more_institutions(world):
    for n in range(5):
        org_services.institution_create(actor=world.user("commission_info"), uscc=factories.uscc(700 + n),
                                        name=f"青羊区诊所{n}", type="private_clinic", ownership="non_public",
                                        division=world.district_b)


def _more_workers(world):
    for _ in range(5):
        factories.worker(actor=world.user("commission_info"), institution=world.inst_b1)


@pytest.mark.parametrize(("role", "url", "add_rows"), [
    ("district_b", "/api/v1/divisions/", _more_divisions),
    ("institution_b1", "/api/v1/divisions/", _more_divisions),
    ("district_b", "/api/v1/institutions/", _more_institutions),
    ("district_b", "/api/v1/workers/", _more_workers),
    ("institution_b1", "/api/v1/workers/", _more_workers),
])
def test_list_query_count_is_constant(world, api, role, url, add_rows):
    client = api(role)
    one = _queries(client, url)
    assert client.get(url).json()["count"] == 1
    add_rows(world)
    assert client.get(url).json()["count"] == 6
    assert _queries(client, url) == one
    assert one <= 4  # token, its last use, count, page
