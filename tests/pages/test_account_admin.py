"""Account administration by the three separated administrators (三员分立)."""

import pytest
from django.urls import reverse

from tests import factories
from tests.conftest import ROLE_USERS
from weijian.accounts import services as account_services
from weijian.accounts.models import LoginThrottle, User
from weijian.accounts.services import password_expired
from weijian.audit.actions import AuditAction
from weijian.audit.models import AuditEvent
from weijian.core import crypto

LIST = reverse("accounts:user-list")
NEW_PASSWORD = "Xin-Mima2026!"


def _new_account(world, username="newbie"):
    return account_services.user_create(actor=world.user("system_admin"), username=username,
                                        password=factories.PASSWORD, display_name="新同事")


def _detail(user, name="accounts:user-detail"):
    return reverse(name, args=[user.pk])


@pytest.mark.parametrize("role", [r for r in ROLE_USERS if r not in ("system_admin", "security_admin")])
def test_other_roles_cannot_reach_account_pages(world, login, role):
    target = world.user("expert")
    client = login(role)
    assert client.get(LIST).status_code == 403
    assert client.get(_detail(target)).status_code == 403
    assert client.get(reverse("accounts:user-create")).status_code == 403
    assert client.get(_detail(target, "accounts:user-assign-role")).status_code == 403
    assert client.post(_detail(target, "accounts:user-set-active"), {"active": "0"}).status_code == 403
    assert client.post(reverse("accounts:user-unlock"), {"username": "x"}).status_code == 403
    target.refresh_from_db()
    assert target.is_active


@pytest.mark.parametrize("role", ["system_admin", "security_admin"])
def test_both_account_admins_list_and_export(world, login, role):
    client = login(role)
    response = client.get(LIST + "?role=district_bureau")
    assert response.status_code == 200
    assert {obj.username for obj, _url, _values in response.context["rows"]} == {"district_a", "district_b"}
    assert client.get(LIST + "?export=csv").status_code == 200
    assert AuditEvent.objects.filter(action=AuditAction.EXPORT, entity="account", actor_username=role).exists()


def test_system_admin_creates_account_without_role(world, login):
    client = login("system_admin")
    response = client.post(reverse("accounts:user-create"), {
        "username": "zhang.san", "display_name": "张三", "password": NEW_PASSWORD, "password2": NEW_PASSWORD})
    user = User.objects.get(username="zhang.san")
    assert response.status_code == 302 and response["Location"] == _detail(user)
    assert user.role == "" and user.check_password(NEW_PASSWORD)
    event = AuditEvent.objects.get(action=AuditAction.CREATE, entity="account", entity_id=str(user.pk))
    assert event.actor_username == "system_admin"
    assert NEW_PASSWORD not in str(event.after) + event.summary


@pytest.mark.parametrize(("data", "message"), [
    ({"username": "zs", "password": NEW_PASSWORD, "password2": NEW_PASSWORD}, "至少"),
    ({"username": "zhang san", "password": NEW_PASSWORD, "password2": NEW_PASSWORD}, "用户名只能包含"),
    ({"username": "district_a", "password": NEW_PASSWORD, "password2": NEW_PASSWORD}, "用户名已存在"),
    ({"username": "zhangsan", "password": "abcdefghij", "password2": "abcdefghij"}, "至少三类"),
    ({"username": "zhangsan", "password": NEW_PASSWORD, "password2": NEW_PASSWORD + "x"}, "两次输入的密码不一致"),
])
def test_create_account_errors_are_422_in_chinese(world, login, data, message):
    response = login("system_admin").post(reverse("accounts:user-create"), data)
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not User.objects.filter(username="zhangsan").exists()


def test_security_admin_cannot_create_accounts(world, login):
    response = login("security_admin").post(reverse("accounts:user-create"), {
        "username": "zhangsan", "password": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 403
    assert not User.objects.filter(username="zhangsan").exists()


def test_system_admin_cannot_assign_roles(world, login):
    user = _new_account(world)
    client = login("system_admin")
    assert "分配角色" not in client.get(_detail(user)).content.decode()
    response = client.post(_detail(user, "accounts:user-assign-role"), {"role": "commission_info"})
    assert response.status_code == 403
    user.refresh_from_db()
    assert user.role == ""
    assert not AuditEvent.objects.filter(action=AuditAction.ROLE_CHANGE).exists()


def test_security_admin_assigns_district_role(world, login):
    user = _new_account(world)
    response = login("security_admin").post(_detail(user, "accounts:user-assign-role"), {
        "role": "district_bureau", "district": world.district_b.pk})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.role == "district_bureau" and user.district == world.district_b
    event = AuditEvent.objects.get(action=AuditAction.ROLE_CHANGE, entity_id=str(user.pk))
    assert event.actor_username == "security_admin" and event.after["district_id"] == world.district_b.pk


def test_security_admin_assigns_institution_role_by_credit_code(world, login):
    user = _new_account(world)
    response = login("security_admin").post(_detail(user, "accounts:user-assign-role"), {
        "role": "institution", "institution": world.inst_a2.uscc.lower()})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.role == "institution" and user.institution == world.inst_a2 and user.district is None


@pytest.mark.parametrize(("data", "message"), [
    ({"role": "district_bureau"}, "该角色须选择所属区县"),
    ({"role": "institution", "institution": "123"}, "未找到该统一社会信用代码对应的在业机构"),
    ({"role": "health_worker"}, "该角色须填写对应卫生人员的身份证号"),
    ({"role": "health_worker", "worker": "510104199001011231"}, "身份证号无效：身份证号校验位错误"),
])
def test_assign_role_errors_are_422(world, login, data, message):
    user = _new_account(world)
    response = login("security_admin").post(_detail(user, "accounts:user-assign-role"), data)
    assert response.status_code == 422
    assert message in response.content.decode()
    user.refresh_from_db()
    assert user.role == ""


def test_security_admin_binds_health_worker_by_id_number(world, login):
    user = _new_account(world)
    worker = world.worker_a2
    full = crypto.decrypt(worker.id_number_encrypted)
    response = login("security_admin").post(_detail(user, "accounts:user-assign-role"),
                                            {"role": "health_worker", "worker": full}, follow=True)
    page = response.content.decode()
    assert response.status_code == 200
    assert worker.name in page and worker.id_number_masked in page and full not in page
    user.refresh_from_db()
    assert user.role == "health_worker" and user.worker_id == worker.pk
    lookup = AuditEvent.objects.get(action=AuditAction.VIEW_PERSONAL, actor_username="security_admin")
    assert lookup.entity == "worker" and lookup.entity_id == str(worker.pk) and full not in lookup.summary


def test_unknown_worker_lookup_is_audited_and_refused(world, login):
    user = _new_account(world)
    unknown = factories.unique_id_number()
    response = login("security_admin").post(_detail(user, "accounts:user-assign-role"),
                                            {"role": "health_worker", "worker": unknown})
    assert response.status_code == 422
    assert "未找到该身份证号对应的卫生人员" in response.content.decode()
    lookup = AuditEvent.objects.get(action=AuditAction.VIEW_PERSONAL, actor_username="security_admin")
    assert lookup.outcome == "not-found" and unknown not in lookup.summary


def test_worker_already_bound_is_refused(world, login):
    user = _new_account(world)
    full = crypto.decrypt(world.worker_a1.id_number_encrypted)  # worker_a1 already has an account
    response = login("security_admin").post(_detail(user, "accounts:user-assign-role"),
                                            {"role": "health_worker", "worker": full})
    assert response.status_code == 422
    assert "该卫生人员已绑定其他账户" in response.content.decode()


def test_security_admin_unlocks_a_locked_username(world, login, settings):
    for _ in range(settings.LOGIN_MAX_FAILURES):
        account_services.login_failed("district_a")
    assert account_services.login_locked("district_a")
    client = login("security_admin")
    assert "district_a" in client.get(LIST).content.decode()
    response = client.post(reverse("accounts:user-unlock"), {"username": "district_a"})
    assert response.status_code == 302
    assert not account_services.login_locked("district_a")
    assert not LoginThrottle.objects.filter(username="district_a").exists()
    assert AuditEvent.objects.filter(action=AuditAction.UNLOCK, actor_username="security_admin",
                                     summary="district_a").exists()


def test_security_admin_resets_totp(world, login):
    target = world.user("commission_science")
    login("commission_science")  # enrols two-factor for this role
    target.refresh_from_db()
    assert target.totp_enabled
    response = login("security_admin").post(_detail(target, "accounts:user-totp-reset"))
    assert response.status_code == 302
    target.refresh_from_db()
    assert not target.totp_enabled
    assert AuditEvent.objects.filter(action=AuditAction.TOTP_RESET, entity_id=str(target.pk)).exists()
    assert login("system_admin").post(_detail(target, "accounts:user-totp-reset")).status_code == 403


def test_system_admin_deactivates_and_reactivates(world, login):
    target = world.user("expert")
    client = login("system_admin")
    assert client.post(_detail(target, "accounts:user-set-active"), {"active": "0"}).status_code == 302
    target.refresh_from_db()
    assert not target.is_active
    assert AuditEvent.objects.filter(action=AuditAction.DEACTIVATE, entity="account",
                                     entity_id=str(target.pk)).exists()
    client.post(_detail(target, "accounts:user-set-active"), {"active": "1"})
    target.refresh_from_db()
    assert target.is_active
    assert login("security_admin").post(_detail(target, "accounts:user-set-active"),
                                        {"active": "0"}).status_code == 403


def test_system_admin_cannot_deactivate_self(world, login):
    me = world.user("system_admin")
    response = login("system_admin").post(_detail(me, "accounts:user-set-active"), {"active": "0"}, follow=True)
    assert "不能停用自己的账户" in response.content.decode()
    me.refresh_from_db()
    assert me.is_active


def test_system_admin_resets_password(world, login):
    target = world.user("expert")
    response = login("system_admin").post(_detail(target, "accounts:user-password-reset"),
                                          {"password": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 302
    target.refresh_from_db()
    assert target.check_password(NEW_PASSWORD) and password_expired(target)
    event = AuditEvent.objects.get(action=AuditAction.PASSWORD_CHANGE, actor_username="system_admin")
    assert event.entity_id == str(target.pk) and NEW_PASSWORD not in event.summary


def test_password_reset_weak_password_is_422(world, login):
    target = world.user("expert")
    response = login("system_admin").post(_detail(target, "accounts:user-password-reset"),
                                          {"password": "short", "password2": "short"})
    assert response.status_code == 422
    assert "密码长度太短" in response.content.decode() or "至少" in response.content.decode()
    assert login("security_admin").post(_detail(target, "accounts:user-password-reset"),
                                        {"password": NEW_PASSWORD, "password2": NEW_PASSWORD}).status_code == 403
