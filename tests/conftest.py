"""The base test world: two districts, three institutions, one user per role, plus a user of the
other district. Built through the real services, never from fixtures files."""

import os
from dataclasses import dataclass, field

import pytest

from tests import factories
from weijian.accounts import services as account_services
from weijian.accounts.models import User
from weijian.accounts.roles import Role
from weijian.orgs import services as org_services
from weijian.orgs.models import Division, DivisionLevel, Institution
from weijian.workforce.models import Worker


@dataclass
class World:
    province: Division
    city: Division
    district_a: Division  # 锦江区
    district_b: Division  # 青羊区
    township_a: Division
    inst_a1: Institution  # in district A
    inst_a2: Institution  # in district A
    inst_b1: Institution  # in district B
    worker_a1: Worker
    worker_a2: Worker
    worker_b1: Worker
    users: dict[str, User] = field(default_factory=dict)

    def user(self, key: str) -> User:
        return self.users[key]


ROLE_USERS = {
    "commission_science": dict(role=Role.COMMISSION_SCIENCE),
    "commission_info": dict(role=Role.COMMISSION_INFO),
    "district_a": dict(role=Role.DISTRICT),
    "district_b": dict(role=Role.DISTRICT),
    "institution_a1": dict(role=Role.INSTITUTION),
    "institution_b1": dict(role=Role.INSTITUTION),
    "worker_a1": dict(role=Role.HEALTH_WORKER),
    "expert": dict(role=Role.EXPERT),
    "ethics": dict(role=Role.ETHICS),
    "system_admin": dict(role=Role.SYSTEM_ADMIN),
    "security_admin": dict(role=Role.SECURITY_ADMIN),
    "audit_admin": dict(role=Role.AUDIT_ADMIN),
}


def build_world() -> World:
    province = Division.objects.create(code="510000", name="四川省", level=DivisionLevel.PROVINCE)
    city = Division.objects.create(code="510100", name="成都市", level=DivisionLevel.CITY, parent=province)
    info = account_services.user_create(actor=None, username="commission_info", password=factories.PASSWORD,
                                        role=Role.COMMISSION_INFO, bootstrap=True)
    district_a = org_services.division_create(actor=info, code="510104", name="锦江区",
                                              level=DivisionLevel.DISTRICT, parent=city)
    district_b = org_services.division_create(actor=info, code="510105", name="青羊区",
                                              level=DivisionLevel.DISTRICT, parent=city)
    township_a = org_services.division_create(actor=info, code="510104020", name="春熙路街道",
                                              level=DivisionLevel.TOWNSHIP, parent=district_a)

    def inst(name, division, seed):
        return org_services.institution_create(actor=info, uscc=factories.uscc(seed), name=name,
                                               type="general_hospital", grade="3A", ownership="public",
                                               division=division)

    inst_a1 = inst("锦江区人民医院", district_a, 1)
    inst_a2 = inst("春熙路社区卫生服务中心", township_a, 2)
    inst_b1 = inst("青羊区人民医院", district_b, 3)
    w_a1 = factories.worker(actor=info, institution=inst_a1, name="张医生")
    w_a2 = factories.worker(actor=info, institution=inst_a2, name="李护士", profession="nurse")
    w_b1 = factories.worker(actor=info, institution=inst_b1, name="王药师", profession="pharmacist")
    anchors = {
        "district_a": dict(district=district_a), "district_b": dict(district=district_b),
        "institution_a1": dict(institution=inst_a1), "institution_b1": dict(institution=inst_b1),
        "worker_a1": dict(worker=w_a1),
    }
    users = {"commission_info": info}
    for key, spec in ROLE_USERS.items():
        if key in users:
            continue
        users[key] = account_services.user_create(actor=None, username=key, password=factories.PASSWORD,
                                                  bootstrap=True, **spec, **anchors.get(key, {}))
    return World(province, city, district_a, district_b, township_a, inst_a1, inst_a2, inst_b1,
                 w_a1, w_a2, w_b1, users)


@pytest.fixture
def world(db) -> World:
    return build_world()


@pytest.fixture
def client_for(client):
    """client_for(user) -> a test client logged in as that user (enrolled in TOTP when the role requires it,
    as a real user would be after their first login)."""
    import pyotp

    def make(user):
        if user.totp_required and not user.totp_enabled:
            secret = account_services.totp_new_secret()
            account_services.totp_enrol(user=user, secret=secret, code=pyotp.TOTP(secret).now())
        client.force_login(user, backend="weijian.accounts.backends.LockoutModelBackend")
        return client

    return make


@pytest.fixture(scope="session", autouse=True)
def no_sensitive_values_in_logs():
    """Acceptance: no full ID number, password or token appears in any log output of the suite."""
    import logging

    from tests.log_guard import RecordingHandler

    handler = RecordingHandler()
    loggers = [logging.getLogger(), logging.getLogger("django.server"), logging.getLogger("django.request")]
    for logger in loggers:
        logger.addHandler(handler)
    yield handler
    for logger in loggers:
        logger.removeHandler(handler)
    assert not handler.problems, "sensitive values were logged: " + "; ".join(handler.problems[:10])


@pytest.fixture(scope="session", autouse=True)
def no_network_beyond_this_machine():
    """Tests may talk to the local database, Redis and test servers, and to nothing else
    (conventions rule 14): the product runs on an isolated intranet."""
    import ipaddress
    import socket

    real_connect = socket.socket.connect

    def guarded_connect(sock, address):
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            host = address[0]
            try:
                local = ipaddress.ip_address(host).is_loopback
            except ValueError:
                local = host == "localhost"
            if not local:
                raise ConnectionRefusedError(f"tests may not connect to {host}")
        return real_connect(sock, address)

    socket.socket.connect = guarded_connect
    yield
    socket.socket.connect = real_connect


@pytest.fixture(autouse=True)
def fresh_code_catalogue():
    """The record store keeps the terminology's codes in memory for a minute; each test's database differs."""
    from weijian.records import codes

    codes.reset()
    yield
    codes.reset()


_DATABASE_FIXTURES = frozenset({"db", "transactional_db", "django_db_setup", "live_server"})


def pytest_collection_modifyitems(config, items):
    """WEIJIAN_DATABASE_TESTS_ONLY=1 (`.ci/run`'s PostgreSQL step): deselect the tests that never touch
    the database (the linkage library, parsers, pure functions). `make test` ran them already; a second
    database engine tells nothing new about them."""
    if os.environ.get("WEIJIAN_DATABASE_TESTS_ONLY") != "1":
        return
    keep, drop = [], []
    for item in items:
        uses_database = item.get_closest_marker("django_db") is not None or not _DATABASE_FIXTURES.isdisjoint(
            getattr(item, "fixturenames", ()))
        (keep if uses_database else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
