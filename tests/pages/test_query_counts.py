"""List pages and exports do not issue a query per row (conventions rule 14)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests import factories
from weijian.orgs import services as org_services


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def _more_rows(world):
    actor = world.user("commission_info")
    for n in range(5):
        org_services.division_create(actor=actor, code=f"51010403{n}", name=f"新街道{n}", level="township",
                                     parent=world.district_a)
        inst = org_services.institution_create(actor=actor, uscc=factories.uscc(100 + n), name=f"新增医院{n}",
                                               type="general_hospital", ownership="public",
                                               division=world.district_a)
        factories.worker(actor=actor, institution=inst)


@pytest.mark.parametrize("url", [
    "/orgs/institutions/", "/orgs/institutions/?export=xlsx", "/orgs/divisions/",
    "/workforce/workers/?export=csv", "/audit/", "/audit/?export=xlsx",
])
def test_query_count_does_not_grow_with_rows(world, client_for, url):
    user = world.user("audit_admin" if url.startswith("/audit/") else "commission_info")
    client = client_for(user)
    before = _count(client, url)
    _more_rows(world)
    assert _count(client, url) == before
