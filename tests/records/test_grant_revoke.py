"""Revoking a clinical grant (撤销临床授权): only the security administrator, with a reason; the grantee's access
ends at once (timeline and FHIR); a revoked or expired grant cannot be revoked again; audited; the grants page."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from tests.records.test_fhir_api import api, ok, problem, send
from tests.records.test_timeline import LIU, load_residents
from weijian.audit.actions import AuditAction
from weijian.audit.models import AuditEvent
from weijian.core.errors import BusinessError
from weijian.records import services, timeline
from weijian.records.errors import RecordsErrorCode as E
from weijian.records.models import ClinicalGrant

pytestmark = pytest.mark.django_db

GRANT_REASON = "配合区域传染病疫情调查核对病例资料"
REVOKE_REASON = "疫情调查已结束，不再需要查阅临床内容"
REASON_ERROR = "撤销授权须填写理由（至少10个字）"


@pytest.fixture
def residents(record_sources):
    return load_residents(record_sources)


@pytest.fixture
def grant(world) -> ClinicalGrant:
    return services.clinical_grant_create(actor=world.user("security_admin"), user=world.user("commission_info"),
                                          reason=GRANT_REASON, days=7)


def _revokes():
    return AuditEvent.objects.filter(action=AuditAction.REVOKE, entity="record-grant")


def _timeline(pid=LIU):
    return reverse("records:patient-timeline", args=[pid])


def _revoke_url(grant):
    return reverse("records:grant-revoke", args=[grant.pk])


# ---- the service ----------------------------------------------------------------------------------------------

def test_the_security_admin_revokes_and_access_ends_at_once(world, residents, grant):
    info, admin = world.user("commission_info"), world.user("security_admin")
    fhir = api(info)
    assert len(timeline.patient_timeline(info, LIU).encounters) == 2
    assert ok(send(fhir, "get", f"Patient/{LIU}"))["id"] == LIU

    revoked = services.clinical_grant_revoke(actor=admin, grant=grant, reason=f"  {REVOKE_REASON}\n")

    grant.refresh_from_db()
    assert grant.revoked_at is not None and grant.revoked_by == admin and grant.revoke_reason == REVOKE_REASON
    assert revoked.pk == grant.pk and grant.status == ClinicalGrant.Status.REVOKED
    assert grant.expires_at > timezone.now()  # revoked before its expiry: the revoke alone ends the access
    # The very next reads are refused, by the page selector and by the FHIR API.
    with pytest.raises(PermissionDenied):
        timeline.patient_timeline(info, LIU)
    with pytest.raises(PermissionDenied):
        timeline.resident_search(info, "刘")
    problem(send(fhir, "get", f"Patient/{LIU}"), 403, "permission_denied")

    row = _revokes().get()
    assert (row.actor_username, row.entity_id, row.outcome) == ("security_admin", str(grant.pk), "ok")
    assert row.summary == f"commission_info: {REVOKE_REASON}"  # names the grantee
    assert row.before["revoked_at"] is None and row.after["revoke_reason"] == REVOKE_REASON
    assert row.after["revoked_by_id"] == admin.pk


def test_a_new_grant_after_a_revoke_opens_access_again(world, residents, grant):
    info, admin = world.user("commission_info"), world.user("security_admin")
    services.clinical_grant_revoke(actor=admin, grant=grant, reason=REVOKE_REASON)
    services.clinical_grant_create(actor=admin, user=info, reason=GRANT_REASON, days=1)
    assert len(timeline.patient_timeline(info, LIU).encounters) == 2


@pytest.mark.parametrize("key", ["system_admin", "audit_admin", "commission_info", "commission_science",
                                 "district_a", "institution_a1", "worker_a1", "expert"])
def test_only_the_security_admin_revokes(world, grant, key):
    with pytest.raises(PermissionDenied):
        services.clinical_grant_revoke(actor=world.user(key), grant=grant, reason=REVOKE_REASON)
    grant.refresh_from_db()
    assert grant.revoked_at is None and grant.revoked_by is None and grant.revoke_reason == ""
    assert not _revokes().exists()


@pytest.mark.parametrize("reason", ["", "   ", None, "调查结束", "一二三四五六七八九"])
def test_a_reason_of_at_least_ten_characters_is_required(world, grant, reason):
    with pytest.raises(BusinessError) as refused:
        services.clinical_grant_revoke(actor=world.user("security_admin"), grant=grant, reason=reason)
    error = refused.value
    assert (error.code, error.field, error.message) == (E.GRANT_REVOKE_REASON_REQUIRED, "reason", REASON_ERROR)
    grant.refresh_from_db()
    assert grant.revoked_at is None and not _revokes().exists()


def test_a_revoked_grant_cannot_be_revoked_again(world, grant):
    admin = world.user("security_admin")
    first = services.clinical_grant_revoke(actor=admin, grant=grant, reason=REVOKE_REASON)
    # Even through the caller's stale copy, which still says "not revoked".
    assert grant.revoked_at is None
    with pytest.raises(BusinessError) as refused:
        services.clinical_grant_revoke(actor=admin, grant=grant, reason="另一个理由，再次撤销该授权")
    assert refused.value.code == E.GRANT_NOT_ACTIVE
    when = timezone.localtime(first.revoked_at).strftime("%Y-%m-%d %H:%M")
    assert refused.value.message == f"该授权已于 {when} 撤销，不能重复撤销"
    grant.refresh_from_db()
    assert (grant.revoked_at, grant.revoke_reason) == (first.revoked_at, REVOKE_REASON)
    assert _revokes().count() == 1


def test_an_expired_grant_cannot_be_revoked(world, grant):
    ClinicalGrant.objects.filter(pk=grant.pk).update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    grant.refresh_from_db()
    assert grant.status == ClinicalGrant.Status.EXPIRED
    with pytest.raises(BusinessError) as refused:
        services.clinical_grant_revoke(actor=world.user("security_admin"), grant=grant, reason=REVOKE_REASON)
    assert refused.value.code == E.GRANT_NOT_ACTIVE and refused.value.message.endswith("到期失效，无需撤销")
    grant.refresh_from_db()
    assert grant.revoked_at is None and not _revokes().exists()


# ---- the grants page ------------------------------------------------------------------------------------------

def test_the_page_shows_a_revoke_button_and_the_post_revokes(world, client_for, residents, grant):
    info = world.user("commission_info")
    assert client_for(info).get(_timeline()).status_code == 200

    admin = client_for(world.user("security_admin"))
    page = admin.get(reverse("records:grant-list"))
    body = page.content.decode()
    assert page.status_code == 200
    assert f'action="{_revoke_url(grant)}"' in body and "撤销" in body and "确认撤销" in body
    assert "确定撤销“commission_info”的临床内容授权？撤销即时生效，不能恢复。" in body  # the confirmation
    assert 'text-bg-success">有效</span>' in body and "<details open" not in body

    # POST only.
    assert admin.get(_revoke_url(grant)).status_code == 405
    short = admin.post(_revoke_url(grant), {"reason": "结束"})
    assert short.status_code == 422 and REASON_ERROR in short.content.decode()
    assert "<details open" in short.content.decode()  # the form stays open under its grant
    grant.refresh_from_db()
    assert grant.revoked_at is None

    done = admin.post(_revoke_url(grant), {"reason": REVOKE_REASON}, follow=True)
    body = done.content.decode()
    assert done.redirect_chain == [(reverse("records:grant-list"), 302)]
    assert "已撤销 commission_info 的临床内容授权，即时生效" in body
    assert "暂无有效授权" in body and 'text-bg-danger">已撤销</span>' in body and REVOKE_REASON in body
    assert f'action="{_revoke_url(grant)}"' not in body
    grant.refresh_from_db()
    assert grant.revoked_by == world.user("security_admin") and _revokes().count() == 1

    again = admin.post(_revoke_url(grant), {"reason": REVOKE_REASON})
    assert again.status_code == 422 and "不能重复撤销" in again.content.decode()
    assert _revokes().count() == 1

    # The grantee's next request is refused.
    assert client_for(info).get(_timeline()).status_code == 403


def test_the_page_marks_expired_grants(world, client_for, grant):
    ClinicalGrant.objects.filter(pk=grant.pk).update(expires_at=timezone.now() - dt.timedelta(days=1))
    admin = client_for(world.user("security_admin"))
    body = admin.get(reverse("records:grant-list")).content.decode()
    assert 'text-bg-secondary">已过期</span>' in body and "暂无有效授权" in body and f'action="{_revoke_url(grant)}"' not in body
    refused = admin.post(_revoke_url(grant), {"reason": REVOKE_REASON})
    assert refused.status_code == 422 and "到期失效，无需撤销" in refused.content.decode()


def test_other_roles_cannot_revoke_through_the_page(world, client_for, client, grant):
    for key in ("system_admin", "audit_admin", "commission_info", "district_a", "worker_a1"):
        response = client_for(world.user(key)).post(_revoke_url(grant), {"reason": REVOKE_REASON})
        assert response.status_code == 403, key
    client.logout()
    anonymous = client.post(_revoke_url(grant), {"reason": REVOKE_REASON})
    assert anonymous.status_code == 302 and "login" in anonymous["Location"]
    admin = client_for(world.user("security_admin"))
    missing = reverse("records:grant-revoke", args=[grant.pk + 1000])
    assert admin.post(missing, {"reason": REVOKE_REASON}).status_code == 404
    grant.refresh_from_db()
    assert grant.revoked_at is None and not _revokes().exists()
