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


def test_the_information_centre_creates_a_code_system(page, login, screenshot):
    _as_user(page, login, "commission_info")
    page.goto("/terminology/")
    page.get_by_role("link", name="新建代码系统").click()
    page.wait_for_load_state("domcontentloaded")
    page.get_by_label("名称").first.fill("LocalLabItems")
    page.get_by_label("标题").fill("本院检验项目")
    page.get_by_role("button", name="保存").click()
    page.wait_for_load_state("domcontentloaded")
    assert "规范地址不能为空" in page.content()  # refused, the form kept
    page.get_by_label("规范地址").fill("http://hospital.example/CodeSystem/lab-items")
    screenshot(page, "terminology-03-new-code-system")
    page.get_by_role("button", name="保存").click()
    page.wait_for_load_state("domcontentloaded")
    assert "已新建代码系统" in page.content() and "本院检验项目" in page.content()
    screenshot(page, "terminology-04-code-system-created")
