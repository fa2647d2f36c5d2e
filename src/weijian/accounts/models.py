import hashlib
import secrets

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from weijian.accounts.roles import ROLE_SCOPE, TOTP_REQUIRED_ROLES, Role, Scope


class WeijianUserManager(UserManager):
    def create_superuser(self, *args, **kwargs):
        raise NotImplementedError("Weijian has no superuser: use `weijian createadmin`.")


class User(AbstractUser):
    """An account. Its role fixes what it may do; its anchor (district/institution/worker) fixes where."""

    display_name = models.CharField(_("姓名"), max_length=64, blank=True)
    role = models.CharField(_("角色"), max_length=32, choices=Role.choices, blank=True)
    district = models.ForeignKey(
        "orgs.Division", verbose_name=_("所属区县"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    institution = models.ForeignKey(
        "orgs.Institution", verbose_name=_("所属机构"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    worker = models.OneToOneField(
        "workforce.Worker", verbose_name=_("对应卫生人员"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="account",
    )
    password_changed_at = models.DateTimeField(default=timezone.now)
    totp_secret = models.TextField(blank=True)  # encrypted with core.crypto
    totp_confirmed_at = models.DateTimeField(null=True, blank=True)

    objects = WeijianUserManager()

    @property
    def scope(self) -> Scope:
        return ROLE_SCOPE.get(self.role, Scope.NONE) if self.role else Scope.NONE

    @property
    def totp_required(self) -> bool:
        return self.role in TOTP_REQUIRED_ROLES

    @property
    def totp_enabled(self) -> bool:
        return self.totp_confirmed_at is not None

    def __str__(self):
        return self.display_name or self.username


class LoginThrottle(models.Model):
    """Failures per username (existing or not), so lockout cannot be used to probe accounts."""

    username = models.CharField(max_length=150, unique=True)
    failures = models.PositiveIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)
    last_failure_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return self.username


class ApiToken(models.Model):
    """A bearer token for the REST API. Only its SHA-256 is stored; the token is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("名称"), max_length=64)
    prefix = models.CharField(max_length=8)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def digest_of(raw: str) -> str:
        return hashlib.sha256(raw.encode()).hexdigest()

    @staticmethod
    def new_raw() -> str:
        return "wj_" + secrets.token_urlsafe(32)
