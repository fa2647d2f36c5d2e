"""Role × entity × operation: what every role in the world gets from every endpoint.

Each cell is one of: a set of names (a list answering exactly those rows), a status code
(403 permission_denied, 404 not_found, 405 method_not_allowed, 2xx success), or (400, error_code).
Writes run inside a savepoint that is rolled back, so every role starts from the same world;
a successful write must leave exactly one audit row, a refused one none.
"""

import pytest
from django.db import transaction

from tests import factories
from tests.api.helpers import assert_error
from tests.conftest import ROLE_USERS
from weijian.audit.models import AuditEvent

ROLES = list(ROLE_USERS)
NO_BUSINESS = ("expert", "ethics", "system_admin", "security_admin", "audit_admin")
CITY = ("commission_science", "commission_info")


def cells(default, **overrides):
    """A full row of the matrix: every role gets `default` unless overridden."""
    row = dict.fromkeys(ROLES, default)
    row.update(overrides)
    assert set(row) == set(ROLES)
    return row


def city(value):
    return dict.fromkeys(CITY, value)


ALL_DIVISIONS = {"510000", "510100", "510104", "510105", "510104020"}
DIV_A, DIV_B = {"510104", "510104020"}, {"510105"}

MATRIX = {
    # Divisions are read-only through the API: writes are not routed (405) for anyone.
    ("division", "list"): cells(403, **city(ALL_DIVISIONS), district_a=DIV_A, district_b=DIV_B,
                                institution_a1=DIV_A, institution_b1=DIV_B),
    ("division", "detail"): cells(403, **city(200), district_a=200, institution_a1=200,
                                  district_b=404, institution_b1=404),
    ("division", "create"): cells(405),
    ("division", "update"): cells(405),
    ("division", "delete"): cells(405),

    ("institution", "list"): cells(403, **city({"inst_a1", "inst_a2", "inst_b1"}),
                                   district_a={"inst_a1", "inst_a2"}, district_b={"inst_b1"},
                                   institution_a1={"inst_a1"}, institution_b1={"inst_b1"}),
    ("institution", "detail"): cells(403, **city(200), district_a=200, institution_a1=200,
                                     district_b=404, institution_b1=404),
    ("institution", "create"): cells(403, commission_info=201, district_a=201,
                                     district_b=(400, "division_out_of_scope")),
    ("institution", "update"): cells(403, commission_info=200, district_a=200, district_b=404),
    ("institution", "delete"): cells(403, commission_info=204, district_a=204, district_b=404),

    ("worker", "list"): cells(403, **city({"worker_a1", "worker_a2", "worker_b1"}),
                              district_a={"worker_a1", "worker_a2"}, district_b={"worker_b1"},
                              institution_a1={"worker_a1"}, institution_b1={"worker_b1"},
                              worker_a1={"worker_a1"}),
    ("worker", "detail"): cells(403, **city(200), district_a=200, institution_a1=200, worker_a1=200,
                                district_b=404, institution_b1=404),
    ("worker", "create"): cells(403, commission_info=201, district_a=201, institution_a1=201,
                                district_b=(400, "institution_out_of_scope"),
                                institution_b1=(400, "institution_out_of_scope")),
    ("worker", "update"): cells(403, commission_info=200, district_a=200, institution_a1=200,
                                district_b=404, institution_b1=404),
    ("worker", "delete"): cells(403, commission_info=204, district_a=204, institution_a1=204,
                                district_b=404, institution_b1=404),
}


def test_matrix_covers_every_role_entity_and_operation():
    assert {(e, o) for e in ("division", "institution", "worker")
            for o in ("list", "detail", "create", "update", "delete")} == set(MATRIX)
    for row in MATRIX.values():
        assert set(row) == set(ROLE_USERS)
    # Roles without business data are refused everything.
    assert all(MATRIX[key][role] in (403, 405) for key in MATRIX for role in NO_BUSINESS)


def _requests(world):
    """(method, url, body) per (entity, operation); detail/update/delete target district A's rows."""
    a_worker, a_inst = world.worker_a1.pk, world.inst_a1.pk
    institution = {"uscc": factories.uscc(900), "name": "锦江区妇幼保健院", "type": "maternal_child",
                   "grade": "2A", "ownership": "public", "division": "510104"}
    worker = {"name": "赵技师", "id_number": factories.unique_id_number(), "institution": a_inst,
              "profession": "technician", "title_level": "junior"}
    return {
        ("division", "list"): ("get", "/api/v1/divisions/", None),
        ("division", "detail"): ("get", "/api/v1/divisions/510104020/", None),
        ("division", "create"): ("post", "/api/v1/divisions/", {"code": "510106", "name": "金牛区"}),
        ("division", "update"): ("patch", "/api/v1/divisions/510104020/", {"name": "改名"}),
        ("division", "delete"): ("delete", "/api/v1/divisions/510104020/", None),
        ("institution", "list"): ("get", "/api/v1/institutions/", None),
        ("institution", "detail"): ("get", f"/api/v1/institutions/{a_inst}/", None),
        ("institution", "create"): ("post", "/api/v1/institutions/", institution),
        ("institution", "update"): ("patch", f"/api/v1/institutions/{a_inst}/", {"name": "锦江区第一人民医院"}),
        ("institution", "delete"): ("delete", f"/api/v1/institutions/{a_inst}/", None),
        ("worker", "list"): ("get", "/api/v1/workers/", None),
        ("worker", "detail"): ("get", f"/api/v1/workers/{a_worker}/", None),
        ("worker", "create"): ("post", "/api/v1/workers/", worker),
        ("worker", "update"): ("patch", f"/api/v1/workers/{a_worker}/", {"title_level": "senior"}),
        ("worker", "delete"): ("delete", f"/api/v1/workers/{a_worker}/", None),
    }


ERROR_CODES = {403: "permission_denied", 404: "not_found", 405: "method_not_allowed"}


def _audit_rows_expected(key, status: int) -> int:
    """Writes audit once when they succeed; reading a worker's record is audited too; refusals never."""
    if status >= 300:
        return 0
    return 1 if key[1] in ("create", "update", "delete") or key == ("worker", "detail") else 0


def _check(world, response, expected, key) -> str | None:
    """None when the response matches the cell, else a one-line description of the mismatch."""
    entity, _ = key
    if isinstance(expected, set):
        if response.status_code != 200:
            return f"status {response.status_code}, expected 200"
        results = response.json()["results"]
        got = {r["code"] for r in results} if entity == "division" else {r["id"] for r in results}
        want = expected if entity == "division" else {getattr(world, name).pk for name in expected}
        return None if got == want else f"rows {sorted(got)}, expected {sorted(want)}"
    status, code = expected if isinstance(expected, tuple) else (expected, ERROR_CODES.get(expected))
    if response.status_code != status:
        return f"status {response.status_code}, expected {status}: {response.content[:160]!r}"
    if code is not None:
        try:
            assert_error(response, status, code)
        except AssertionError:
            return f"body {response.content[:160]!r}, expected code {code}"
    return None


@pytest.mark.parametrize("key", list(MATRIX), ids=lambda k: "-".join(k))
def test_role_matrix(world, api, key):
    method, url, body = _requests(world)[key]
    clients = {role: api(role) for role in ROLES}  # tokens issued (and audited) before counting
    mismatches = []
    for role, expected in MATRIX[key].items():
        with transaction.atomic():
            audited = AuditEvent.objects.count()
            kwargs = {} if body is None else {"data": body}
            response = getattr(clients[role], method)(url, **kwargs)
            problem = _check(world, response, expected, key)
            new_rows = AuditEvent.objects.count() - audited
            want_rows = _audit_rows_expected(key, response.status_code)
            if not problem and new_rows != want_rows:
                problem = f"{new_rows} audit rows, expected {want_rows}"
            transaction.set_rollback(True)
        if problem:
            mismatches.append(f"{role}: {problem}")
    assert not mismatches, "\n".join(mismatches)
