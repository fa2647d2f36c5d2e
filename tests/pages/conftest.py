"""Page tests log in by world key; `client_for` (tests/conftest.py) enrols two-factor where the
role requires it, so the session policy does not divert the request."""

import pytest


@pytest.fixture
def login(world, client, client_for):
    """login(key) -> the test client, now logged in as world.user(key); login(None) logs out."""

    def make(key):
        if key is None:
            client.logout()
            return client
        return client_for(world.user(key) if isinstance(key, str) else key)

    return make
