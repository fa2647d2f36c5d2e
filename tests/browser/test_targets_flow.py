"""Acceptance (target assessment): the commission builds a work plan in the browser — one indicator, a
target per level — freezes and computes it, views the city dashboard, clicks a red district, sees its
failing institutions, opens one and follows "查看明细" to the workers behind the number."""

import random

COMMISSION = "commission_science"
SENIOR = "cme-compliance-intermediate_and_above"


def test_commission_sets_a_target_and_drills_from_a_red_district_to_the_records(page, login, screenshot):
    login(page, COMMISSION)
    page.goto("/targets/plans/")
    page.get_by_role("link", name="新建工作计划").click()
    title = f"浏览器验收计划{random.randrange(10**6)}"
    page.fill("#id_title", title)
    page.get_by_role("button", name="保存").click()
    assert page.locator("h1").inner_text().endswith(title)

    page.select_option("#id_indicator_code", SENIOR)
    page.fill("#id_weight", "100")
    page.select_option("#id_rule", "linear")
    page.get_by_role("button", name="加入", exact=True).click()
    section = page.locator("section[id^=item-]").first
    assert "中级及以上职称人员学分达标率" in section.inner_text()

    # a target below its floor is refused with the reason, then set properly for districts and institutions
    section.locator("select[name$=-level]").select_option("district")
    section.locator("input[name$=-target]").fill("90")
    section.locator("input[name$=-floor]").fill("95")
    section.get_by_role("button", name="保存目标值").click()
    assert "目标值不能低于底线值" in page.locator("section[id^=item-]").first.inner_text()
    for level in ("city", "district", "institution"):
        section = page.locator("section[id^=item-]").first
        section.locator("select[name$=-level]").select_option(level)
        section.locator("input[name$=-target]").fill("99.5")
        section.locator("input[name$=-floor]").fill("99")
        section.get_by_role("button", name="保存目标值").click()
    assert "99.5%" in page.locator("section[id^=item-]").first.inner_text()
    assert "权重合计 100 / 100 分" in page.locator("#weight-total").inner_text()
    screenshot(page, "targets-plan")

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="冻结计划").click()
    assert page.locator("#plan-status").inner_text() == "已冻结"
    page.get_by_role("button", name="计算考核结果").click()
    page.wait_for_url("**/targets/?year=*")
    assert page.locator("#city-score").inner_text() != "—"
    screenshot(page, "targets-dashboard")

    red = page.locator("a.district-tile.text-bg-danger").first
    district = red.locator("div").first.inner_text()
    red.click()
    assert district in page.locator("h1").inner_text()
    failing = page.locator("#failing-institutions a")
    assert failing.count() > 0
    institution = failing.first.inner_text()
    screenshot(page, "targets-district")
    failing.first.click()
    assert institution in page.locator("h1").inner_text()
    page.get_by_role("link", name="查看明细").first.click()
    rows = page.locator("table tbody tr")
    assert rows.count() > 0 and institution in rows.first.inner_text()
    screenshot(page, "targets-records")
