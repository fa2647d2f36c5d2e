"""API test helpers: a client per user, authenticated with a real token from `api_token_issue`."""

import pytest
from rest_framework.test import APIClient

from weijian.accounts.services import api_token_issue


class ApiClient(APIClient):
    """Sends JSON bodies by default."""

    def post(self, path, data=None, format="json", **kwargs):
        return super().post(path, data, format=format, **kwargs)

    def patch(self, path, data=None, format="json", **kwargs):
        return super().patch(path, data, format=format, **kwargs)


@pytest.fixture
def api(world):
    """api("district_a") -> a client sending `Authorization: Bearer <token>` for that world user."""
    clients = {}

    def make(key):
        if key not in clients:
            _, raw = api_token_issue(user=world.user(key), name="tests")
            client = ApiClient()
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
            clients[key] = client
        return clients[key]

    return make
