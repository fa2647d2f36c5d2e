from django.contrib.auth.backends import ModelBackend

from weijian.accounts import services


class LockoutModelBackend(ModelBackend):
    """Password check that refuses locked usernames and counts failures per username."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if not username or services.login_locked(username):
            return None
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            services.login_failed(username)
        return user
