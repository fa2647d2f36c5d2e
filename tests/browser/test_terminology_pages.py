"""The dictionary (术语字典) as the information centre opens it in the demo city: the seeded national
code systems, one of them with its concepts and change history, and the ethnicity code system searched.
Screenshots of each."""


def _as_user(page, login, username: str):
    page.context.clear_cookies()
    return login(page, username)


def test_the_information_centre_browses_the_dictionary(page, login, screenshot):
    _as_user(page, login, "commission_info")
    page.goto("/terminology/")
    assert "人的性别代码" in page.content() and "GB/T 2261.1-2003" in page.content()
    screenshot(page, "terminology-01-code-systems")
    page.get_by_role("link", name="人的性别代码").first.click()
    page.wait_for_load_state("domcontentloaded")
    rows = page.locator("table tbody tr")
    assert rows.filter(has_text="未说明的性别").count() >= 1
    screenshot(page, "terminology-02-sex-codes")
    page.goto("/terminology/")
    page.get_by_role("link", name="中国各民族名称的罗马字母拼写法和代码").first.click()
    page.wait_for_load_state("domcontentloaded")
    assert "汉族" in page.content()
