"""Session policy: idle timeout, pending second factor, forced TOTP enrolment, password expiry."""

import time

from django.conf import settings
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.urls import reverse

from weijian.accounts import services

EXEMPT_PREFIXES = ("/static/", "/i18n/", "/accounts/login", "/accounts/logout")


class SessionPolicyMiddleware:
    """Applies to session logins only; API token requests are authenticated later by DRF."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated and not request.path.startswith(EXEMPT_PREFIXES):
            api = request.path.startswith("/api/")
            now = int(time.time())
            last = request.session.get("last_activity", now)
            if now - last > settings.SESSION_IDLE_SECONDS:
                logout(request)  # an API call then continues anonymous and gets 401
                if not api:
                    return redirect(f"{reverse('accounts:login')}?timeout=1")
                return self.get_response(request)
            request.session["last_activity"] = now
            target = self._required_step(request, user)
            if target and request.path != target:
                if api:  # a session that must first enrol TOTP or change its password may not use the API
                    logout(request)
                    return self.get_response(request)
                return redirect(target)
        return self.get_response(request)

    @staticmethod
    def _required_step(request, user) -> str | None:
        if user.totp_required and not user.totp_enabled and not settings.DEMO_MODE:
            return reverse("accounts:totp-enrol")
        if services.password_expired(user):
            return reverse("accounts:password-change")
        return None
