"""Reads for account administration (system and security administrators)."""

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Lower
from django.utils import timezone

from weijian.accounts.access import access_object, can, scoped_queryset
from weijian.accounts.models import LoginThrottle, User
from weijian.orgs.models import Division, DivisionLevel, Institution


def _locks():
    return LoginThrottle.objects.filter(locked_until__gt=timezone.now())


def user_list(*, actor, q: str = "", role: str = "", active: str = "", locked: str = "",
              action: str = "list") -> QuerySet:
    qs = (scoped_queryset(actor, User, action)
          .select_related("district", "institution", "worker")
          .annotate(locked=Exists(_locks().filter(username=Lower(OuterRef("username"))))))
    if q:
        qs = qs.filter(Q(username__icontains=q) | Q(display_name__icontains=q))
    if role == "none":
        qs = qs.filter(role="")
    elif role:
        qs = qs.filter(role=role)
    if active in ("1", "0"):
        qs = qs.filter(is_active=active == "1")
    if locked == "1":
        qs = qs.filter(locked=True)
    return qs


def user_get(*, actor, pk, action: str = "view") -> User:
    return access_object(actor, User, pk, action)


def login_locks(*, actor) -> QuerySet:
    """Usernames locked out right now (existing accounts or not), for the security admin."""
    if not can(actor, "account", "unlock"):
        return LoginThrottle.objects.none()
    return _locks().order_by("-locked_until")


def user_locked(user: User) -> bool:
    return _locks().filter(username=user.username.lower()).exists()


# Anchor choices for role assignment. The security admin has no business data scope, so these two
# read org structure (names and codes, no personal data) directly; only account admins may call them.

def anchor_districts(*, actor) -> QuerySet:
    if not can(actor, "account", "assign-role"):
        return Division.objects.none()
    return Division.objects.filter(level=DivisionLevel.DISTRICT, is_active=True).order_by("code")


def anchor_institution(*, actor, uscc: str):
    if not can(actor, "account", "assign-role") or not uscc:
        return None
    return Institution.objects.filter(uscc=uscc.strip().upper(), is_active=True).select_related("district").first()
