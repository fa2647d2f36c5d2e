"""`weijian issue-token`: prints the raw token once, stores only its digest, audits the issue."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from weijian.accounts.models import ApiToken
from weijian.audit.actions import AuditAction
from weijian.audit.models import AuditEvent


def _issue(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("issue_token", *args, stdout=out, stderr=err)
    return out.getvalue().strip(), err.getvalue()


def test_issue_token_prints_a_working_token_once(world):
    raw, note = _issue("--user", "institution_a1", "--name", "his-sync", "--days", "30")
    assert raw.startswith("wj_") and raw not in note
    token = ApiToken.objects.get(user=world.user("institution_a1"), name="his-sync")
    assert token.digest == ApiToken.digest_of(raw) and raw not in (token.prefix, token.digest)
    assert 29 <= (token.expires_at - token.created_at).days <= 30
    event = AuditEvent.objects.get(action=AuditAction.TOKEN_ISSUE, entity_id=str(token.pk))
    assert event.actor_username == "institution_a1" and event.channel == "cli" and raw not in event.summary
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    response = client.get("/api/v1/workers/")
    assert [w["id"] for w in response.json()["results"]] == [world.worker_a1.pk]


@pytest.mark.parametrize("args", [
    ("--user", "nobody", "--name", "x"),
    ("--user", "district_a", "--name", "  "),
    ("--user", "district_a", "--name", "x", "--days", "0"),
])
def test_issue_token_refuses_bad_input(world, args):
    with pytest.raises(CommandError):
        _issue(*args)
    assert not ApiToken.objects.exists()
