"""Page tests: log in any world user as a browser would be after a full login (two-factor enrolled
where the role requires it), so the session policy does not divert the request."""

import pyotp
import pytest

from weijian.accounts import services as account_services


@pytest.fixture
def login(world, client, client_for):
    """login(key) -> the test client, now logged in as world.user(key); login(None) logs out."""

    def make(key):
        if key is None:
            client.logout()
            return client
        user = world.user(key) if isinstance(key, str) else key
        if user.totp_required and not user.totp_enabled:
            secret = account_services.totp_new_secret()
            account_services.totp_enrol(user=user, secret=secret, code=pyotp.TOTP(secret).now())
        return client_for(user)

    return make
