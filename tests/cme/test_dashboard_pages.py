"""The CME dashboards: who lands where, scope (404 outside it), the reminder export, the drill-down."""

import io
import re

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from weijian.audit.models import AuditEvent

from .conftest import YEAR

DASHBOARD = reverse("cme:dashboard")


def _district(code):
    return reverse("cme:district", args=[code])


def _institution(pk):
    return reverse("cme:institution", args=[pk])


def _sheet(response):
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    return rows[0], rows[1:]


def test_the_commission_sees_the_city_dashboard(cme, client_for):
    response = client_for(cme.user("commission_science")).get(DASHBOARD, {"year": YEAR})
    assert response.status_code == 200
    html = response.content.decode()
    # every indicator has a card; city compliance of the intermediate group 2/3 → 66.7%.
    for code in ("cme-compliance-intermediate_and_above", "cme-worker-coverage", "cme-institution-coverage-primary",
                 "cme-spot-check-rate", "cme-out-of-city-share", "cme-overdue-reports"):
        assert f'data-indicator="{code}"' in html
    assert "66.7%" in html and "锦江区" in html and "青羊区" in html
    assert "vendor/chartjs/chart.umd.min.js" in html
    assert not re.search(r"""(?:src|href)=["'](?:https?:)?//""", html)  # every asset served by the app
    assert response.context["charts"]["districts"]["labels"] == ["锦江区", "青羊区"]
    # district A intermediate 1/2 → 50%, B 1/1 → 100%.
    assert response.context["charts"]["districts"]["senior"] == [50.0, 100.0]
    assert response.context["charts"]["trend"]["labels"] == ["2021", "2022", "2023", "2024", "2025"]


@pytest.mark.parametrize(("key", "target"), [
    ("district_a", lambda cme: _district("510104")),
    ("institution_a1", lambda cme: _institution(cme.base.inst_a1.pk)),
    ("worker_a1", lambda cme: reverse("cme:my-transcript")),
])
def test_each_role_lands_on_its_own_view(cme, client_for, key, target):
    response = client_for(cme.user(key)).get(DASHBOARD, {"year": YEAR})
    assert response.status_code == 302
    assert response["Location"].split("?")[0] == target(cme)


@pytest.mark.parametrize("key", ["expert", "audit_admin", "system_admin"])
def test_roles_without_indicators_are_refused(cme, client_for, key):
    client = client_for(cme.user(key))
    assert client.get(DASHBOARD).status_code == 403
    assert client.get(_district("510104")).status_code == 403
    assert client.get(reverse("cme:indicator-detail", args=["cme-compliance"])).status_code == 403


def test_a_district_sees_only_its_district(cme, client_for):
    client = client_for(cme.user("district_a"))
    response = client.get(_district("510104"), {"year": YEAR})
    assert response.status_code == 200
    html = response.content.decode()
    assert "锦江区人民医院" in html and "春熙路社区卫生服务中心" in html and "青羊区人民医院" not in html
    # inst_a1: intermediate 1/1, junior 0/1, 1 short; inst_a2: intermediate 0/1, 1 short.
    rows = {row["name"]: row for row in response.context["institutions"]}
    assert rows["锦江区人民医院"]["senior"] == "100.0%（1/1）" and rows["锦江区人民医院"]["junior"] == "0.0%（0/1）"
    assert (rows["锦江区人民医院"]["short"], rows["春熙路社区卫生服务中心"]["short"]) == (1, 1)
    assert client.get(_district("510105")).status_code == 404
    assert client.get(_district("999999")).status_code == 404
    assert client.get(_district("510104020")).status_code == 404  # a township is not a district view
    assert client.get(_institution(cme.base.inst_b1.pk)).status_code == 404
    assert client.get(_institution(cme.base.inst_a2.pk), {"year": YEAR}).status_code == 200


def test_an_institution_sees_only_itself(cme, client_for):
    client = client_for(cme.user("institution_a1"))
    assert client.get(_institution(cme.base.inst_a1.pk), {"year": YEAR}).status_code == 200
    assert client.get(_institution(cme.base.inst_a2.pk)).status_code == 404
    assert client.get(_district("510104")).status_code == 404


def test_the_commission_opens_any_district_and_institution(cme, client_for):
    client = client_for(cme.user("commission_science"))
    assert client.get(_district("510105"), {"year": YEAR}).status_code == 200
    assert client.get(_institution(cme.base.inst_b1.pk), {"year": YEAR}).status_code == 200


def test_institution_page_lists_the_short_workers(cme, client_for):
    response = client_for(cme.user("institution_a1")).get(_institution(cme.base.inst_a1.pk), {"year": YEAR})
    # inst_a1: a1 passes; a3 (junior) has I 10, II 8, total 18 → short 2.
    assert [(row["worker"].name, row["outcome"].shortfall) for row in response.context["short"]] == [
        ("赵住院医", 2)]
    assert "张医生" not in response.content.decode().split("学分未达标人员")[1]


def test_reminder_export_holds_exactly_the_short_workers_and_is_audited(cme, client_for):
    client = client_for(cme.user("district_a"))
    response = client.get(_institution(cme.base.inst_a1.pk), {"year": YEAR, "export": "xlsx"})
    assert response.status_code == 200
    headers, rows = _sheet(response)
    assert headers[0] == "姓名" and headers[7] == "尚差学分"
    # a3: counted 18 (I 10 + II 8), short 2.
    assert [(r[0], r[4], r[5], r[6], r[7]) for r in rows] == [("赵住院医", 18, 10, 8, 2)]
    assert cme.a3.id_number_masked in rows[0]
    event = AuditEvent.objects.filter(action="export", entity="cme-indicator").get()
    assert (event.actor, event.entity_id) == (cme.user("district_a"), str(cme.base.inst_a1.pk))
    assert "1 人" in event.summary
    # inst_a2: a2 counted 15 (I 8 + II 7), short 10.
    response = client.get(_institution(cme.base.inst_a2.pk), {"year": YEAR, "export": "xlsx"})
    assert [(r[0], r[7]) for r in _sheet(response)[1]] == [("李护士", 10)]


def test_drill_down_lists_people_with_filters_and_exports(cme, client_for):
    url = reverse("cme:indicator-detail", args=["cme-compliance"])
    client = client_for(cme.user("commission_science"))
    response = client.get(url, {"year": YEAR, "passed": "0"})
    assert response.status_code == 200
    # short: a2 (10) then a3 (2).
    assert [row[0] for row in response.context["page"].object_list] == ["李护士", "赵住院医"]
    response = client.get(url, {"year": YEAR, "passed": "0", "title_group": "junior_and_below"})
    assert [row[0] for row in response.context["page"].object_list] == ["赵住院医"]
    response = client.get(url, {"year": YEAR, "passed": "1", "district": "510105"})
    assert sorted(row[0] for row in response.context["page"].object_list) == sorted([cme.b1.name, cme.b2.name])
    response = client.get(url, {"year": YEAR, "passed": "0", "export": "xlsx"})
    assert [r[0] for r in _sheet(response)[1]] == ["李护士", "赵住院医"]
    assert AuditEvent.objects.filter(action="export", entity="cme-indicator", entity_id="cme-compliance").count() == 1
    coverage = client.get(reverse("cme:indicator-detail", args=["cme-worker-coverage"]), {"year": YEAR})
    assert [row[0] for row in coverage.context["page"].object_list] == [cme.b1.name]
    assert client.get(reverse("cme:indicator-detail", args=["cme-remote-share"])).status_code == 404


def test_drill_down_stays_in_scope(cme, client_for):
    url = reverse("cme:indicator-detail", args=["cme-compliance"])
    client = client_for(cme.user("district_b"))
    response = client.get(url, {"year": YEAR, "passed": "0"})
    assert response.status_code == 200 and list(response.context["page"].object_list) == []
    # a district outside the scope is not among the choices: the filter is ignored, never widened.
    response = client.get(url, {"year": YEAR, "passed": "0", "district": "510104"})
    assert response.status_code == 200 and list(response.context["page"].object_list) == []
    overdue = client.get(reverse("cme:indicator-detail", args=["cme-overdue-filings"]), {"year": YEAR})
    assert overdue.status_code == 200


def test_pages_render_in_english(cme, client_for):
    client = client_for(cme.user("commission_science"))
    client.cookies["django_language"] = "en"
    for url in (DASHBOARD, _district("510104"), _institution(cme.base.inst_a1.pk),
                reverse("cme:indicator-detail", args=["cme-overdue-reports"]),
                reverse("cme:indicator-detail", args=["cme-institution-coverage"])):
        assert client.get(url, {"year": YEAR}).status_code == 200, url
    inst = client_for(cme.user("institution_a1"))
    response = inst.get(reverse("cme:indicator-detail", args=["cme-compliance"]), {"year": YEAR, "passed": "0"})
    assert [row[0] for row in response.context["page"].object_list] == ["赵住院医"]
