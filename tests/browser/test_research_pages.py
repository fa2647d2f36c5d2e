"""The research pages a new user opens in the demo city, beyond the call-to-closure flow: the ethics
committee's secretary at work, the dashboard's drill-down, a call's ranking, the appropriate-technology
library, and the English interface. Screenshots of each."""

import re


def _as_user(page, login, username: str):
    page.context.clear_cookies()
    return login(page, username)


def test_the_ethics_secretary_sees_submissions_meetings_and_the_quorum(page, login, screenshot):
    _as_user(page, login, "ethics")
    page.goto("/research/")
    page.wait_for_url(re.compile(r".*/research/ethics/$"))
    assert page.locator("table tbody tr").count() >= 1
    screenshot(page, "research-ethics-01-submissions")
    page.get_by_role("link", name="审查会议").first.click()
    page.locator("table tbody tr a").first.click()
    page.wait_for_load_state("domcontentloaded")
    assert "法定人数" in page.content() or "到会" in page.content()
    screenshot(page, "research-ethics-02-meeting")


def test_the_commission_drills_down_ranks_and_searches_the_library(page, login, screenshot):
    _as_user(page, login, "commission_science")
    page.goto("/research/dashboard/")
    assert page.locator("[data-breakdown]").count() == 1
    assert page.locator("[data-indicator='research-provincial-won']").count() == 1
    page.locator("[data-breakdown] tbody a", has_text="锦江区").click()  # the demo district
    page.wait_for_load_state("domcontentloaded")
    assert page.locator("[data-breakdown]").get_attribute("data-breakdown") == "机构"
    screenshot(page, "research-dashboard-district")

    page.goto("/research/calls/?category=major")
    page.locator("table tbody tr a").first.click()
    page.get_by_role("link", name="评审排名").click()
    page.wait_for_load_state("domcontentloaded")
    assert page.locator("[data-ranking] tbody tr").count() >= 1
    screenshot(page, "research-ranking")

    page.goto("/research/achievements/technologies/?q=高血压")
    assert "高血压社区规范化管理技术" in page.content()
    screenshot(page, "research-technology-library")


def test_the_research_pages_in_english(page, login, screenshot):
    _as_user(page, login, "commission_science")
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state("domcontentloaded")
    page.goto("/research/dashboard/")
    assert "Research" in page.locator("h1").inner_text()
    screenshot(page, "research-dashboard-english")
