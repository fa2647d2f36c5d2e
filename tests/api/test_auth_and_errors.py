"""Authentication (tokens and session), the one error shape, pagination."""

import datetime as dt

from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from tests import factories
from tests.api.helpers import assert_error
from weijian.accounts.models import ApiToken
from weijian.accounts.services import api_token_issue, api_token_revoke, user_set_active

URL = "/api/v1/institutions/"


def _bearer(raw: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def test_no_credentials_is_401_not_authenticated(world):
    response = APIClient().get(URL)
    assert_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == "Bearer"


def test_valid_token_authenticates_and_records_its_use(world):
    token, raw = api_token_issue(user=world.user("district_a"), name="hospital-his")
    assert _bearer(raw).get(URL).status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_unknown_malformed_expired_and_revoked_tokens_are_refused(world):
    user = world.user("district_a")
    assert_error(_bearer("wj_not-a-real-token").get(URL), 401, "authentication_failed")
    malformed = APIClient()
    malformed.credentials(HTTP_AUTHORIZATION="Bearer two parts")
    assert_error(malformed.get(URL), 401, "authentication_failed")

    expired, raw_expired = api_token_issue(user=user, name="expired", days=1)
    assert _bearer(raw_expired).get(URL).status_code == 200
    ApiToken.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert_error(_bearer(raw_expired).get(URL), 401, "authentication_failed")

    revoked, raw_revoked = api_token_issue(user=user, name="revoked")
    api_token_revoke(user=user, token=revoked)
    assert_error(_bearer(raw_revoked).get(URL), 401, "authentication_failed")


def test_token_of_a_deactivated_account_is_refused(world):
    _, raw = api_token_issue(user=world.user("district_b"), name="x")
    user_set_active(actor=world.user("system_admin"), user=world.user("district_b"), active=False)
    assert_error(_bearer(raw).get(URL), 401, "authentication_failed")


def test_session_authentication_uses_the_same_scope(world, client_for):
    client = client_for(world.user("district_b"))
    response = client.get(URL)
    assert response.status_code == 200
    assert [r["id"] for r in response.json()["results"]] == [world.inst_b1.pk]
    assert_error(client.get(f"{URL}{world.inst_a1.pk}/"), 404, "not_found")


def test_session_writes_need_the_csrf_token(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.user("district_a"), backend="weijian.accounts.backends.LockoutModelBackend")
    body = {"uscc": factories.uscc(950), "name": "某医院", "type": "other", "ownership": "public",
            "division": "510104"}
    assert_error(client.post(URL, body, content_type="application/json"), 403, "permission_denied")
    assert client.get(URL).status_code == 200


def test_error_shape_for_each_kind_of_error(world, api):
    client = api("district_a")
    assert_error(client.get("/api/v1/workers/999999/"), 404, "not_found")
    assert_error(api("expert").get(URL), 403, "permission_denied")
    assert_error(client.put(f"{URL}{world.inst_a1.pk}/", {}), 405, "method_not_allowed")
    invalid = assert_error(client.post(URL, {"name": "x"}), 400, "validation_error")
    assert "uscc" in invalid["extra"]["fields"]
    business = assert_error(client.post(URL, {"uscc": "x", "name": "x", "type": "other", "ownership": "public",
                                             "division": "510104"}), 400, "uscc_invalid", field="uscc")
    assert business["extra"] == {"field": "uscc"}
    unparsable = client.generic("POST", URL, "{not json", content_type="application/json")
    assert_error(unparsable, 400, "parse_error")


def test_405_lists_the_methods_the_url_serves(world, api):
    response = api("district_a").put(f"{URL}{world.inst_a1.pk}/", {})
    allowed = {m.strip() for m in response["Allow"].split(",")}
    assert allowed == {"GET", "HEAD", "OPTIONS", "PATCH", "DELETE"}
    # Each method's class answers, but the header speaks for the whole URL.
    assert api("district_a").get(URL)["Allow"] == "GET, HEAD, OPTIONS, POST"
    assert api("district_a").options(URL).status_code == 200


def test_pagination(world, api):
    for _ in range(4):
        factories.worker(actor=world.user("commission_info"), institution=world.inst_b1)
    client = api("district_b")  # 5 workers in district B
    first = client.get("/api/v1/workers/", {"page_size": 2}).json()
    assert first["count"] == 5 and len(first["results"]) == 2 and first["previous"] is None
    assert "page=2" in first["next"]
    third = client.get("/api/v1/workers/", {"page_size": 2, "page": 3}).json()
    assert len(third["results"]) == 1 and third["next"] is None
    seen = [r["id"] for p in (1, 2, 3) for r in client.get("/api/v1/workers/", {"page_size": 2, "page": p})
            .json()["results"]]
    assert len(set(seen)) == 5
    assert_error(client.get("/api/v1/workers/", {"page": 9}), 404, "not_found")
    # An over-large page size is capped (max 500), not refused.
    assert len(client.get("/api/v1/workers/", {"page_size": 100000}).json()["results"]) == 5
