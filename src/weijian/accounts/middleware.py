"""Session policy: idle timeout, pending second factor, forced TOTP enrolment, password expiry."""

import time

from django.conf import settings
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.urls import reverse

from weijian.accounts import services

EXEMPT_PREFIXES = ("/static/", "/i18n/", "/accounts/login", "/accounts/logout", "/api/")


class SessionPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated and not request.path.startswith(EXEMPT_PREFIXES):
            now = int(time.time())
            last = request.session.get("last_activity", now)
            if now - last > settings.SESSION_IDLE_SECONDS:
                logout(request)
                return redirect(f"{reverse('accounts:login')}?timeout=1")
            request.session["last_activity"] = now
            target = self._required_step(request, user)
            if target and request.path != target:
                return redirect(target)
        return self.get_response(request)

    @staticmethod
    def _required_step(request, user) -> str | None:
        if user.totp_required and not user.totp_enabled and not settings.DEMO_MODE:
            return reverse("accounts:totp-enrol")
        if services.password_expired(user):
            return reverse("accounts:password-change")
        return None
