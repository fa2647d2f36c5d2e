import datetime as dt
import time

import pyotp
import pytest
from django.core.management import call_command
from django.utils import timezone

from tests.factories import PASSWORD
from weijian.accounts import services
from weijian.accounts.models import LoginThrottle, User
from weijian.audit.actions import AuditAction
from weijian.audit.models import AuditEvent
from weijian.core import crypto


def _login(client, username, password=PASSWORD):
    return client.post("/accounts/login/", {"username": username, "password": password})


def test_password_login_goes_home(world, client):
    response = _login(client, "district_a")
    assert response.status_code == 302 and response["Location"] == "/"
    assert AuditEvent.objects.filter(action=AuditAction.LOGIN, actor_username="district_a").exists()


def test_wrong_password_is_a_chinese_error_and_audited(world, client):
    response = _login(client, "district_a", "wrong-Passw0rd")
    assert response.status_code == 422
    assert "用户名或密码错误" in response.content.decode()
    assert AuditEvent.objects.filter(action=AuditAction.LOGIN_FAILED, actor_username="district_a").exists()


def test_lockout_by_username_after_repeated_failures(world, client, settings):
    settings.LOGIN_MAX_FAILURES = 3
    for _ in range(3):
        _login(client, "district_a", "wrong-Passw0rd")
    assert LoginThrottle.objects.get(username="district_a").locked_until > timezone.now()
    response = _login(client, "district_a")  # right password, still locked
    assert response.status_code == 422
    assert "已临时锁定" in response.content.decode()
    assert AuditEvent.objects.filter(action=AuditAction.LOCKED).count() == 1
    services.login_unlock(actor=world.user("security_admin"), username="district_a")
    assert _login(client, "district_a").status_code == 302


def test_unknown_usernames_lock_too_so_accounts_cannot_be_probed(world, client, settings):
    settings.LOGIN_MAX_FAILURES = 2
    for _ in range(2):
        _login(client, "nobody", "wrong-Passw0rd")
    assert LoginThrottle.objects.filter(username="nobody", locked_until__isnull=False).exists()


def test_totp_second_step(world, client):
    user = world.user("commission_science")
    secret = pyotp.random_base32()
    services.totp_enrol(user=user, secret=secret, code=pyotp.TOTP(secret).now())
    assert "$" in User.objects.get(pk=user.pk).totp_secret  # stored encrypted
    assert crypto.decrypt(User.objects.get(pk=user.pk).totp_secret) == secret
    response = _login(client, user.username)
    assert response["Location"].startswith("/accounts/login/verify/")
    assert client.get("/").status_code == 302  # not logged in yet
    wrong = client.post("/accounts/login/verify/", {"code": "000000"})
    assert wrong.status_code == 422 and "动态验证码错误" in wrong.content.decode()
    ok = client.post("/accounts/login/verify/", {"code": pyotp.TOTP(secret).now()})
    assert ok.status_code == 302
    assert client.get("/").status_code == 200


def test_commission_and_admin_roles_must_enrol_totp(world, client, settings):
    settings.DEMO_MODE = False
    client.force_login(world.user("audit_admin"), backend="weijian.accounts.backends.LockoutModelBackend")
    assert client.get("/")["Location"] == "/accounts/totp/"
    client.force_login(world.user("institution_a1"), backend="weijian.accounts.backends.LockoutModelBackend")
    assert client.get("/").status_code == 200  # optional for institution users


def test_expired_password_must_be_changed(world, client):
    user = world.user("institution_a1")
    User.objects.filter(pk=user.pk).update(password_changed_at=timezone.now() - dt.timedelta(days=91))
    client.force_login(user, backend="weijian.accounts.backends.LockoutModelBackend")
    assert client.get("/")["Location"] == "/accounts/password/"
    weak = client.post("/accounts/password/", {"old_password": PASSWORD, "new_password": "abcdefghij",
                                               "new_password2": "abcdefghij"})
    assert weak.status_code == 422 and "至少三类" in weak.content.decode()
    new = "Brand-New-Passw0rd"
    ok = client.post("/accounts/password/", {"old_password": PASSWORD, "new_password": new, "new_password2": new})
    assert ok.status_code == 302
    assert client.get("/").status_code == 200


def test_idle_session_times_out(world, client, settings):
    settings.SESSION_IDLE_SECONDS = 60
    client.force_login(world.user("institution_a1"), backend="weijian.accounts.backends.LockoutModelBackend")
    assert client.get("/").status_code == 200
    session = client.session
    session["last_activity"] = int(time.time()) - 120
    session.save()
    response = client.get("/")
    assert response["Location"] == "/accounts/login/?timeout=1"
    assert client.get("/").status_code == 302


def test_there_is_no_superuser(db):
    with pytest.raises(NotImplementedError):
        User.objects.create_superuser("root", "root@example.invalid", "x")


def test_production_refuses_demo_secrets(settings):
    from weijian.core.checks import production_secrets
    from weijian.settings import env

    settings.DEBUG = False
    settings.DEMO_MODE = False
    assert production_secrets(None) == []  # the test settings carry explicit secrets
    settings.SECRET_KEY = env.DEMO_SECRET
    settings.FIELD_ENCRYPTION = {**settings.FIELD_ENCRYPTION, "keys": ""}
    ids = {e.id for e in production_secrets(None)}
    assert ids == {"weijian.E001", "weijian.E002"}
    settings.DEMO_MODE = True
    assert production_secrets(None) == []


def test_system_admin_cannot_grant_roles(world):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.user_create(actor=world.user("system_admin"), username="x1", password=PASSWORD,
                             role="commission_info")
    user = services.user_create(actor=world.user("system_admin"), username="x1", password=PASSWORD)
    with pytest.raises(PermissionDenied):
        services.user_assign_role(actor=world.user("system_admin"), user=user, role="commission_info")
    services.user_assign_role(actor=world.user("security_admin"), user=user, role="commission_info")
    assert User.objects.get(pk=user.pk).role == "commission_info"


def test_django_check_passes(db):
    call_command("check")
