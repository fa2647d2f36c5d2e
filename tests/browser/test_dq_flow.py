"""Acceptance (data quality): the information centre writes a rule in the editor (a syntax error is refused
in Chinese), tests it on a sample of stored records, saves it, runs the checks, and follows a source's
scorecard to the records failing the rule. The two hospitals' records are seeded as for the timeline test."""

import random

from tests.browser.test_records_timeline import records  # noqa: F401 - the module fixture seeding records

INFO = "commission_info"


def test_information_centre_writes_a_rule_and_finds_the_failing_records(page, login, screenshot, records):  # noqa: F811
    login(page, INFO)
    page.goto("/dq/rules/new/")
    code = f"browser-gender-{random.randrange(10**6)}"
    page.fill("#id_code", code)
    page.fill("#id_name", "性别仅为男（浏览器验收）")
    page.select_option("#id_kind", "consistency")
    page.select_option("#id_resource_type", "Patient")
    page.fill("#id_left", "#{patient.gender} ==")
    page.select_option("#id_operator", "==")
    page.fill("#id_right", "true")
    page.get_by_role("button", name="保存").click()
    assert "表达式语法错误" in page.content()

    page.fill("#id_left", "#{patient.gender} == 'male'")
    page.get_by_role("button", name="在样本上测试").click()
    result = page.locator("#test-result").inner_text()
    assert "样本" in result and "不合格 0" not in result
    screenshot(page, "dq-rule-test")
    page.get_by_role("button", name="保存").click()
    page.wait_for_url("**/dq/rules/")

    page.goto("/dq/")
    page.get_by_role("button", name="运行质控").click()
    page.wait_for_url("**/dq/")
    assert "质控完成" in page.content()
    screenshot(page, "dq-scorecards")
    sources = [link.get_attribute("href") for link in page.locator("table tbody tr a").all()]
    assert sources
    for href in sources:  # the source whose patients include a woman
        page.goto(href)
        link = page.locator("table tbody tr", has_text="性别仅为男（浏览器验收）").get_by_role("link", name="不合格记录")
        if link.count():
            break
    link.click()
    failing = page.locator("#failing-records tbody tr")
    assert failing.count() > 0 and "Patient" in failing.first.inner_text()
    screenshot(page, "dq-failing-records")
