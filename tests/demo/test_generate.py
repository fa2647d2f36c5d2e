"""The demo city written to the database: through the services, audited, scoped, idempotent."""

import pytest
from django.contrib.auth import authenticate

from weijian.accounts.access import scoped_queryset
from weijian.accounts.models import User
from weijian.accounts.roles import Role
from weijian.audit.models import AuditEvent
from weijian.core import crypto
from weijian.demo import DEMO_PASSWORD, DEMO_USERS, city_exists, generate_city
from weijian.orgs.models import Division, Institution
from weijian.orgs.uscc import uscc_problem
from weijian.workforce.idnumber import parse_id_number
from weijian.workforce.models import Worker

SMALL = dict(workers=240, institutions=40)


@pytest.fixture
def city(db):
    summary = generate_city(**SMALL)
    return summary


def test_small_city_counts(city):
    assert city.divisions == 22  # 四川省, 成都市, 20 districts
    assert city.institutions == 40 and Institution.objects.count() == 40
    assert city.workers_created == 240 and Worker.objects.count() == 240
    assert city.users == len(DEMO_USERS) == 10
    assert Division.objects.filter(level="district", parent_id="510100").count() == 20
    assert city_exists()


def test_rows_are_valid_and_encrypted(city):
    assert all(uscc_problem(code) is None for code in Institution.objects.values_list("uscc", flat=True))
    for worker in Worker.objects.all()[:50]:
        assert worker.id_number_encrypted.startswith("v1$")
        number = crypto.decrypt(worker.id_number_encrypted)
        parsed = parse_id_number(number)
        assert parsed.birth_date == worker.birth_date and parsed.sex == worker.sex
        assert worker.id_number_masked == number[:4] + "*" * 10 + number[-4:]


def test_writes_are_audited_under_the_information_centre(city):
    info = User.objects.get(username="commission_info")
    assert AuditEvent.objects.filter(entity="institution", action="create", actor=info).count() == 40
    assert AuditEvent.objects.filter(entity="worker", action="create", actor=info).count() == 240
    assert AuditEvent.objects.filter(entity="division", action="create").count() == 22
    assert AuditEvent.objects.filter(entity="account", action="create").count() == 10


def test_every_demo_user_logs_in_with_the_demo_password(city):
    for spec in DEMO_USERS:
        user = authenticate(username=spec.username, password=DEMO_PASSWORD)
        assert user is not None and user.role == spec.role, spec.username


def _user(username):
    return User.objects.get(username=username)


def test_demo_users_see_only_their_scope(city):
    district = _user("district_jinjiang")
    institutions = scoped_queryset(district, Institution)
    assert institutions.exists()
    assert set(institutions.values_list("district_id", flat=True)) == {"510104"}
    assert set(scoped_queryset(district, Worker).values_list("institution__district_id", flat=True)) == {"510104"}

    hospital = _user("institution_jinjiang")
    assert hospital.institution.name == "锦江区人民医院"
    assert list(scoped_queryset(hospital, Institution)) == [hospital.institution]
    assert set(scoped_queryset(hospital, Worker).values_list("institution_id", flat=True)) == {hospital.institution_id}

    worker = _user("worker_jinjiang")
    assert worker.worker.institution_id == hospital.institution_id
    assert worker.worker.profession == "doctor"
    assert worker.display_name == worker.worker.name
    assert list(scoped_queryset(worker, Worker)) == [worker.worker]

    for username in ("audit_admin", "system_admin", "security_admin", "expert", "ethics"):
        assert not scoped_queryset(_user(username), Worker).exists(), username
    assert scoped_queryset(_user("audit_admin"), AuditEvent).exists()
    assert scoped_queryset(_user("commission_science"), Institution).count() == 40


def test_three_administrators_have_separate_roles(city):
    roles = set(User.objects.filter(username__in=["system_admin", "security_admin", "audit_admin"])
                .values_list("role", flat=True))
    assert roles == {Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN}
    assert not User.objects.filter(is_superuser=True).exists()


def test_running_again_changes_nothing(city):
    counts = (Institution.objects.count(), Worker.objects.count(), User.objects.count(), AuditEvent.objects.count())
    again = generate_city(**SMALL)
    assert (again.divisions, again.institutions, again.workers_created, again.users) == (0, 0, 0, 0)
    assert again.workers_unchanged == 240
    assert (Institution.objects.count(), Worker.objects.count(), User.objects.count(),
            AuditEvent.objects.count()) == counts


def test_a_bigger_run_adds_to_the_city(city):
    bigger = generate_city(workers=300, institutions=45)
    assert bigger.institutions == 5
    assert Worker.objects.count() >= 300
    assert bigger.users == 0


def test_empty_database_has_no_city(db):
    assert not city_exists()
