"""Accounts: creation, roles, passwords, lockout, two-factor (TOTP) and API tokens. All audited."""

import datetime as dt
from dataclasses import dataclass

import pyotp
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from weijian.accounts.access import require
from weijian.accounts.errors import AccountsErrorCode as E
from weijian.accounts.models import ApiToken, LoginThrottle, User
from weijian.accounts.roles import ROLE_SCOPE, Scope
from weijian.audit.actions import AuditAction
from weijian.audit.services import audit_record
from weijian.core import crypto
from weijian.core.errors import BusinessError
from weijian.workforce.idnumber import IdNumberError, parse_id_number
from weijian.workforce.models import Worker
from weijian.workforce.services import id_number_index

ISSUER = "Weijian"


def _check_password(password: str, user: User | None) -> None:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise BusinessError(E.PASSWORD_INVALID, "；".join(exc.messages), field="password") from None


def _check_anchor(role: str, district, institution, worker) -> None:
    scope = ROLE_SCOPE[role]
    needed = {Scope.DISTRICT: district, Scope.INSTITUTION: institution, Scope.SELF: worker}.get(scope, True)
    if not needed:
        raise BusinessError(E.ROLE_ANCHOR_MISSING, field="role")


@transaction.atomic
def user_create(
    *, actor, username: str, password: str, display_name: str = "", role: str = "",
    district=None, institution=None, worker=None, bootstrap: bool = False,
) -> User:
    """Create an account. `bootstrap` is only for `createadmin` and the demo loader (no actor yet)."""
    if not bootstrap:
        require(actor, "account", "create")
        if role:  # the system admin creates accounts; only the security admin grants roles
            require(actor, "account", "assign-role")
    if User.objects.filter(username=username).exists():
        raise BusinessError(E.USERNAME_TAKEN, field="username")
    if role:
        _check_anchor(role, district, institution, worker)
    user = User(username=username, display_name=display_name, role=role, district=district,
                institution=institution, worker=worker)
    _check_password(password, user)
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    audit_record(actor=actor, action=AuditAction.CREATE, entity="account", entity_id=user.pk,
                 summary=f"{username} {role}", after={"username": username, "role": role,
                                                       "district_id": user.district_id,
                                                       "institution_id": user.institution_id})
    return user


@transaction.atomic
def user_assign_role(*, actor, user: User, role: str, district=None, institution=None, worker=None) -> User:
    """Security admin's job (separation of duties): the system admin cannot grant business access."""
    require(actor, "account", "assign-role")
    if user.pk == actor.pk:
        raise BusinessError(E.CANNOT_CHANGE_SELF)
    _check_anchor(role, district, institution, worker)
    before = {"role": user.role, "district_id": user.district_id, "institution_id": user.institution_id,
              "worker_id": user.worker_id}
    # `worker` may be a Worker or an account_worker_lookup() WorkerRef: only its pk is needed.
    worker_id = worker.pk if worker is not None else None
    if worker_id and User.objects.filter(worker_id=worker_id).exclude(pk=user.pk).exists():
        raise BusinessError(E.WORKER_TAKEN, field="worker")
    user.role, user.district, user.institution, user.worker_id = role, district, institution, worker_id
    user.save(update_fields=["role", "district", "institution", "worker"])
    audit_record(actor=actor, action=AuditAction.ROLE_CHANGE, entity="account", entity_id=user.pk,
                 summary=user.username, before=before,
                 after={"role": role, "district_id": user.district_id, "institution_id": user.institution_id,
                        "worker_id": user.worker_id})
    return user


@transaction.atomic
def user_set_active(*, actor, user: User, active: bool) -> User:
    require(actor, "account", "delete")
    if user.pk == actor.pk and not active:
        raise BusinessError(E.CANNOT_DEACTIVATE_SELF)
    user.is_active = active
    user.save(update_fields=["is_active"])
    audit_record(actor=actor, action=AuditAction.UPDATE if active else AuditAction.DEACTIVATE,
                 entity="account", entity_id=user.pk, summary=user.username, after={"is_active": active})
    return user


@transaction.atomic
def password_change(*, user: User, old_password: str, new_password: str) -> User:
    if not user.check_password(old_password):
        raise BusinessError(E.PASSWORD_WRONG, field="old_password")
    _check_password(new_password, user)
    user.set_password(new_password)
    user.password_changed_at = timezone.now()
    user.save(update_fields=["password", "password_changed_at"])
    audit_record(actor=user, action=AuditAction.PASSWORD_CHANGE, entity="account", entity_id=user.pk,
                 summary=user.username)
    return user


@transaction.atomic
def user_password_reset(*, actor, user: User, password: str) -> User:
    """System admin sets a new initial password; the user must change it at the next login."""
    require(actor, "account", "update")
    if user.pk == actor.pk:
        raise BusinessError(E.CANNOT_RESET_SELF, field="password")
    _check_password(password, user)
    user.set_password(password)
    # Dated past the maximum age, so the session policy sends the user to "修改密码" first.
    user.password_changed_at = timezone.now() - dt.timedelta(days=settings.PASSWORD_MAX_AGE_DAYS + 1)
    user.save(update_fields=["password", "password_changed_at"])
    audit_record(actor=actor, action=AuditAction.PASSWORD_CHANGE, entity="account", entity_id=user.pk,
                 summary=f"{user.username}：管理员重置密码，下次登录须修改")
    return user


@dataclass(frozen=True)
class WorkerRef:
    """All the security admin learns about a worker when binding a health-worker account."""

    pk: int
    name: str
    id_number_masked: str


def account_worker_lookup(*, actor, id_number: str) -> WorkerRef:
    """The worker a health-worker account is for, by exact ID number (blind index); always audited.

    The security admin has no business data scope, so this deliberately does not start from
    scoped_queryset: it answers one exact question and returns name and masked number only.
    Not atomic on purpose: a failed lookup is audited too.
    """
    require(actor, "account", "assign-role")
    try:
        parsed = parse_id_number(id_number)
    except IdNumberError as exc:
        raise BusinessError(E.ID_NUMBER_INVALID, f"{E.ID_NUMBER_INVALID.message}：{exc}", field="worker") from None
    row = (Worker.objects.filter(id_number_index=id_number_index(parsed.value))
           .values_list("pk", "name", "id_number_masked").first())
    audit_record(actor=actor, action=AuditAction.VIEW_PERSONAL, entity="worker", entity_id=row[0] if row else "",
                 summary=f"账户绑定按身份证号查找 {parsed.masked}", outcome="ok" if row else "not-found")
    if row is None:
        raise BusinessError(E.WORKER_NOT_FOUND, field="worker")
    return WorkerRef(*row)


def password_expired(user: User) -> bool:
    age = timezone.now() - user.password_changed_at
    return age > dt.timedelta(days=settings.PASSWORD_MAX_AGE_DAYS)


# ---- lockout -----------------------------------------------------------------------------------

def login_locked(username: str) -> bool:
    throttle = LoginThrottle.objects.filter(username=username.lower()).first()
    return bool(throttle and throttle.locked_until and throttle.locked_until > timezone.now())


@transaction.atomic
def login_failed(username: str) -> None:
    throttle, _ = LoginThrottle.objects.select_for_update().get_or_create(username=username.lower())
    now = timezone.now()
    throttle.failures += 1
    throttle.last_failure_at = now
    audit_record(actor=None, username=username, action=AuditAction.LOGIN_FAILED, entity="account",
                 summary=f"第 {throttle.failures} 次失败", outcome="failed")
    if throttle.failures >= settings.LOGIN_MAX_FAILURES:
        throttle.locked_until = now + dt.timedelta(minutes=settings.LOGIN_LOCK_MINUTES)
        throttle.failures = 0
        audit_record(actor=None, username=username, action=AuditAction.LOCKED, entity="account",
                     summary=f"锁定至 {timezone.localtime(throttle.locked_until):%H:%M}", outcome="locked")
    throttle.save()


def login_succeeded(user: User) -> None:
    LoginThrottle.objects.filter(username=user.username.lower()).delete()
    audit_record(actor=user, action=AuditAction.LOGIN, entity="account", entity_id=user.pk, summary=user.username)


@transaction.atomic
def login_unlock(*, actor, username: str) -> None:
    require(actor, "account", "unlock")
    LoginThrottle.objects.filter(username=username.lower()).delete()
    audit_record(actor=actor, action=AuditAction.UNLOCK, entity="account", summary=username)


# ---- two-factor (TOTP, RFC 6238) ---------------------------------------------------------------

def totp_new_secret() -> str:
    return pyotp.random_base32()


def totp_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=ISSUER)


@transaction.atomic
def totp_enrol(*, user: User, secret: str, code: str) -> User:
    if not pyotp.TOTP(secret).verify(code.strip(), valid_window=1):
        raise BusinessError(E.TOTP_INVALID, field="code")
    user.totp_secret = crypto.encrypt(secret)
    user.totp_confirmed_at = timezone.now()
    user.save(update_fields=["totp_secret", "totp_confirmed_at"])
    audit_record(actor=user, action=AuditAction.TOTP_ENROL, entity="account", entity_id=user.pk,
                 summary=user.username)
    return user


def totp_verify(user: User, code: str) -> bool:
    if not user.totp_enabled:
        return False
    return pyotp.TOTP(crypto.decrypt(user.totp_secret)).verify((code or "").strip(), valid_window=1)


@transaction.atomic
def totp_reset(*, actor, user: User) -> User:
    require(actor, "account", "reset-totp")
    user.totp_secret, user.totp_confirmed_at = "", None
    user.save(update_fields=["totp_secret", "totp_confirmed_at"])
    audit_record(actor=actor, action=AuditAction.TOTP_RESET, entity="account", entity_id=user.pk,
                 summary=user.username)
    return user


# ---- API tokens --------------------------------------------------------------------------------

@transaction.atomic
def api_token_issue(*, user: User, name: str, days: int = 90) -> tuple[ApiToken, str]:
    """Returns the token row and the raw token, which is shown once and never stored."""
    raw = ApiToken.new_raw()
    token = ApiToken.objects.create(user=user, name=name, prefix=raw[3:11], digest=ApiToken.digest_of(raw),
                                    expires_at=timezone.now() + dt.timedelta(days=days))
    audit_record(actor=user, action=AuditAction.TOKEN_ISSUE, entity="api-token", entity_id=token.pk,
                 summary=f"{name} {token.prefix}…")
    return token, raw


@transaction.atomic
def api_token_revoke(*, user: User, token: ApiToken) -> None:
    if token.user_id != user.pk:
        raise PermissionError
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit_record(actor=user, action=AuditAction.TOKEN_REVOKE, entity="api-token", entity_id=token.pk,
                 summary=f"{token.name} {token.prefix}…")


def api_token_user(raw: str) -> User | None:
    token = (ApiToken.objects.select_related("user", "user__institution")
             .filter(digest=ApiToken.digest_of(raw), revoked_at__isnull=True).first())
    if token is None or (token.expires_at and token.expires_at < timezone.now()) or not token.user.is_active:
        return None
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    return token.user
