"""Role × entity × action matrix for the management pages.

Each case names the roles that may do it (200, or 302 after a POST) and the roles that may do it
in general but not to this object (404: out of scope looks like not found). Every other role of
the world gets 403, and an anonymous visitor is sent to the login page.
"""

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.urls import reverse

from tests.conftest import ROLE_USERS
from weijian.orgs import services as org_services
from weijian.orgs.models import DivisionLevel

ROLES = list(ROLE_USERS)
READERS = {"commission_science", "commission_info", "district_a", "district_b", "institution_a1",
           "institution_b1"}
CITY = {"commission_science", "commission_info"}
KEEPERS_A = {"commission_info", "district_a"}  # who may change things in district A (institutions)
OTHER_SIDE = {"district_b", "institution_b1"}  # readers whose scope does not reach district A's objects


@dataclass(frozen=True)
class Case:
    method: str
    url: Callable
    allowed: set
    hidden: set = frozenset()

    def expected(self, role: str) -> int:
        if role in self.allowed:
            return 302 if self.method == "post" else 200
        return 404 if role in self.hidden else 403


def u(name, *attrs, query=""):
    """URL builder: u("orgs:institution-detail", "inst_a1.pk") -> lambda world: url."""

    def build(world):
        args = []
        for path in attrs:
            value = world
            for part in path.split("."):
                value = getattr(value, part)
            args.append(value)
        return reverse(name, args=args) + query

    return build


CASES = {
    ("division", "list"): Case("get", u("orgs:division-list"), READERS),
    ("division", "detail"): Case("get", u("orgs:division-detail", "district_a.pk"),
                                 CITY | {"district_a", "institution_a1"}, OTHER_SIDE),
    ("division", "create"): Case("get", u("orgs:division-create"), {"commission_info"}),
    ("division", "update"): Case("get", u("orgs:division-update", "district_a.pk"), {"commission_info"}),
    ("division", "delete"): Case("post", lambda w: reverse("orgs:division-delete", args=[_spare_division(w)]),
                                 {"commission_info"}),
    ("division", "export"): Case("get", u("orgs:division-list", query="?export=xlsx"), READERS),
    ("institution", "list"): Case("get", u("orgs:institution-list"), READERS),
    ("institution", "detail"): Case("get", u("orgs:institution-detail", "inst_a1.pk"),
                                    CITY | {"district_a", "institution_a1"}, OTHER_SIDE),
    ("institution", "create"): Case("get", u("orgs:institution-create"), {"commission_info", "district_a", "district_b"}),
    ("institution", "update"): Case("get", u("orgs:institution-update", "inst_a1.pk"), KEEPERS_A, {"district_b"}),
    ("institution", "delete"): Case("post", u("orgs:institution-deactivate", "inst_a1.pk"), KEEPERS_A,
                                    {"district_b"}),
    ("institution", "export"): Case("get", u("orgs:institution-list", query="?export=csv"), READERS),
    ("worker", "list"): Case("get", u("workforce:worker-list"), READERS | {"worker_a1"}),
    ("worker", "detail"): Case("get", u("workforce:worker-detail", "worker_a1.pk"),
                               CITY | {"district_a", "institution_a1", "worker_a1"}, OTHER_SIDE),
    ("worker", "create"): Case("get", u("workforce:worker-create"),
                               {"commission_info", "district_a", "district_b", "institution_a1", "institution_b1"}),
    ("worker", "update"): Case("get", u("workforce:worker-update", "worker_a1.pk"),
                               KEEPERS_A | {"institution_a1"}, OTHER_SIDE),
    ("worker", "delete"): Case("post", u("workforce:worker-deactivate", "worker_a1.pk"),
                               KEEPERS_A | {"institution_a1"}, OTHER_SIDE),
    ("worker", "export"): Case("get", u("workforce:worker-list", query="?export=xlsx"), READERS),
}


def _spare_division(world) -> str:
    """An unused township in district A, so that deleting it is allowed."""
    code = "510104099"
    if not world.district_a.children.filter(pk=code).exists():
        org_services.division_create(actor=world.user("commission_info"), code=code, name="备用街道",
                                     level=DivisionLevel.TOWNSHIP, parent=world.district_a)
    return code


def _status(client, method, url):
    return getattr(client, method)(url).status_code


@pytest.mark.parametrize(("entity", "action"), list(CASES), ids=[f"{e}-{a}" for e, a in CASES])
def test_page_matrix(world, login, entity, action):
    case = CASES[(entity, action)]
    url = case.url(world)
    got = {role: _status(login(role), case.method, url) for role in ROLES}
    assert got == {role: case.expected(role) for role in ROLES}

    anonymous = getattr(login(None), case.method)(url)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize(("role", "url"), [
    ("worker_a1", u("workforce:worker-detail", "worker_a2.pk")),
    ("worker_a1", u("workforce:worker-reveal", "worker_a2.pk")),
    ("institution_a1", u("workforce:worker-update", "worker_b1.pk")),
    ("institution_a1", u("workforce:worker-detail", "worker_a2.pk")),  # same district, other institution
    ("district_a", u("workforce:worker-deactivate", "worker_b1.pk")),
    ("district_b", u("orgs:institution-detail", "inst_a2.pk")),
    ("institution_b1", u("orgs:division-detail", "township_a.pk")),
])
def test_out_of_scope_objects_are_not_found(world, login, role, url):
    method = "post" if "deactivate" in url(world) or "reveal" in url(world) else "get"
    assert _status(login(role), method, url(world)) == 404


def test_health_worker_list_shows_only_self_and_no_export(world, login):
    response = login("worker_a1").get(reverse("workforce:worker-list"))
    assert response.status_code == 200
    names = [values[0] for _obj, _url, values in response.context["rows"]]
    assert names == ["张医生"]
    assert response.context["hide_export"] is True
    assert "export=xlsx" not in response.content.decode()


@pytest.mark.parametrize(("role", "expected"), [
    ("commission_science", {"张医生", "李护士", "王药师"}),
    ("district_a", {"张医生", "李护士"}),
    ("district_b", {"王药师"}),
    ("institution_a1", {"张医生"}),
])
def test_worker_list_is_scoped(world, login, role, expected):
    response = login(role).get(reverse("workforce:worker-list"))
    assert {values[0] for _obj, _url, values in response.context["rows"]} == expected


def test_action_buttons_follow_permissions(world, login):
    create, upload = reverse("workforce:worker-create"), reverse("imports:upload", args=["worker"])
    page = login("institution_a1").get(reverse("workforce:worker-list")).content.decode()
    assert create in page and upload in page
    page = login("commission_science").get(reverse("workforce:worker-list")).content.decode()
    assert create not in page and upload not in page
    page = login("district_a").get(reverse("orgs:division-list")).content.decode()
    assert reverse("orgs:division-create") not in page
    page = login("commission_info").get(reverse("orgs:division-list")).content.decode()
    assert reverse("orgs:division-create") in page
