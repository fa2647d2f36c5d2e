"""The navigation shows each role only what it may open, and marks where the user is."""

import pytest

pytestmark = pytest.mark.django_db


def _nav(response) -> list[tuple[str, str, bool]]:
    return [(item["url"], str(item["label"]), item["active"]) for item in response.context["nav_items"]]


def _tabs(response) -> list[tuple[str, str, bool]]:
    return [(tab["url"], str(tab["label"]), tab["active"]) for tab in response.context["section_tabs"]]


def test_the_worker_sees_his_credits_and_not_the_dashboard(world, client_for):
    labels = [label for _url, label, _active in _nav(client_for(world.user("worker_a1")).get("/cme/transcript/"))]
    assert "我的学分" in labels
    assert "继续医学教育" not in labels


def test_the_commission_sees_the_cme_section_with_its_tabs(world, client_for):
    client = client_for(world.user("commission_science"))
    response = client.get("/cme/projects/")
    assert ("/cme/", "继续医学教育", True) in _nav(response)
    assert "我的学分" not in [label for _url, label, _active in _nav(response)]
    tabs = _tabs(response)
    assert [label for _url, label, active in tabs if active] == ["项目目录"]
    assert "项目评审" in [label for _url, label, _active in tabs]
    assert [label for _url, label, active in _tabs(client.get("/cme/")) if active] == ["概览"]


def test_tabs_follow_the_role(world, client_for):
    tabs = [label for _url, label, _active in _tabs(client_for(world.user("institution_a1")).get("/cme/projects/"))]
    assert "项目目录" in tabs
    assert "项目评审" not in tabs  # only the commission approves
    assert "项目抽查" not in tabs  # spot checks are the commission's and districts'
