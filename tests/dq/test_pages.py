"""The data-quality pages as the information centre, an institution and a district use them."""

import json

import pytest
from django.urls import reverse
from django.utils import timezone

from weijian.dq import services
from weijian.dq.models import DqRule, DqTicket
from weijian.records.models import Resource, Source


@pytest.fixture
def checked(world):
    source = Source.objects.create(code="SA", name="锦江区人民医院HIS", kind="hospital", institution=world.inst_a1)
    for n, body in enumerate(({"resourceType": "Observation", "status": "final", "component": [
            {"code": {"coding": [{"code": "8480-6"}]}, "valueQuantity": {"value": v1}},
            {"code": {"coding": [{"code": "8462-4"}]}, "valueQuantity": {"value": v2}}]}
            for v1, v2 in ((120, 80), (80, 120), (130, 85)))):
        Resource.objects.create(type="Observation", fhir_id=f"o{n}", version=1, updated=timezone.now(),
                                content=json.dumps(body), content_hash=str(n), source=source)
    info = world.user("commission_info")
    services.seed_default_rules(actor=info)
    services.run_checks(actor=info)
    return source


def _form(**overrides):
    data = {"code": "bp-order-2", "name": "舒张压低于收缩压", "kind": "consistency", "resource_type": "Observation",
            "left": "#{observation.diastolic}", "operator": "<", "right": "#{observation.systolic}",
            "missing": "skip_if_any_value_missing", "is_active": "on", "action": "save"}
    return data | overrides


def test_rule_editor_tests_on_a_sample_without_saving(checked, client_for, world):
    client = client_for(world.user("commission_info"))
    response = client.post(reverse("dq:rule-create"), _form(action="test"))
    page = response.content.decode()
    assert response.status_code == 200 and 'id="test-result"' in page
    assert "样本 3 条：合格 2，不合格 1，不适用 0。" in page
    assert not DqRule.objects.filter(code="bp-order-2").exists()
    response = client.post(reverse("dq:rule-create"), _form())
    assert response.status_code == 302 and DqRule.objects.filter(code="bp-order-2", version=1).exists()


def test_a_syntax_error_comes_back_in_chinese(world, client_for):
    client = client_for(world.user("commission_info"))
    response = client.post(reverse("dq:rule-create"), _form(left="#{observation.diastolic} <"))
    assert response.status_code == 422 and "表达式语法错误" in response.content.decode()
    response = client.post(reverse("dq:rule-create"), _form(left="#{observation.pulse}"))
    assert response.status_code == 422 and "未知的数据元：observation.pulse" in response.content.decode()


def test_scorecards_drill_down_to_the_failing_records(checked, client_for, world):
    client = client_for(world.user("commission_info"))
    page = client.get(reverse("dq:scorecards")).content.decode()
    assert "锦江区人民医院HIS" in page and "舒张压低于收缩压（1）" in page
    page = client.get(reverse("dq:source", args=[checked.pk])).content.decode()
    rule = DqRule.objects.get(code="bp-diastolic-below-systolic")
    failures = reverse("dq:failures", args=[rule.pk, checked.pk])
    assert failures in page
    page = client.get(failures).content.decode()
    assert 'id="failing-records"' in page and ">o1<" in page and ">o0<" not in page
    response = client.get(reverse("dq:scorecards") + "?export=xlsx")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")


def test_the_institution_works_its_ticket_and_another_district_sees_nothing(checked, client_for, world):
    ticket = DqTicket.objects.get(rule__code="bp-diastolic-below-systolic")
    client = client_for(world.user("institution_a1"))
    client.post(reverse("dq:ticket", args=[ticket.pk]), {"move": "acknowledge", "note": ""})
    response = client.post(reverse("dq:ticket", args=[ticket.pk]), {"move": "fix", "note": ""})
    assert response.status_code == 422 and "请填写处理说明" in response.content.decode()
    client.post(reverse("dq:ticket", args=[ticket.pk]), {"move": "fix", "note": "已更正并重传"})
    ticket.refresh_from_db()
    assert ticket.status == "fixed"
    other = client_for(world.user("district_b"))
    assert other.get(reverse("dq:ticket", args=[ticket.pk])).status_code == 404
    assert "锦江区人民医院HIS" not in other.get(reverse("dq:scorecards")).content.decode()


@pytest.mark.parametrize("key", ["worker_a1", "expert", "audit_admin"])
def test_other_roles_see_no_data_quality(world, client_for, key):
    assert client_for(world.user(key)).get(reverse("dq:scorecards")).status_code == 403


def test_the_weights_page(world, client_for):
    client = client_for(world.user("commission_info"))
    assert "维度权重" in client.get(reverse("dq:weights")).content.decode()
    zeros = {kind: "0" for kind in ("completeness", "validity", "consistency", "timeliness", "uniqueness", "outlier")}
    response = client.post(reverse("dq:weights"), zeros)
    assert response.status_code == 422 and "各维度权重不能全为0" in response.content.decode()
    assert client.post(reverse("dq:weights"), zeros | {"completeness": "50"}).status_code == 302
    assert client_for(world.user("district_a")).post(reverse("dq:weights"), zeros).status_code == 403
