"""Assertions shared by the API tests."""


def assert_error(response, status: int, code: str, field: str | None = None) -> dict:
    """The one error shape: {"code", "message", "extra"}; `field` when a business rule names one."""
    assert response.status_code == status, (response.status_code, response.content[:300])
    body = response.json()
    assert set(body) == {"code", "message", "extra"}
    assert body["code"] == code
    assert body["message"]
    if field is not None:
        assert body["extra"].get("field") == field, body
    return body
