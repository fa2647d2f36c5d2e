"""Each demo role logs in in a real browser and sees only its own scope."""

import re

import pytest

from tests.browser.pages import column, nav_labels, total
from weijian.demo import DEMO_PASSWORD

pytestmark = pytest.mark.browser

DISTRICT = "锦江区"
HOSPITAL = "锦江区人民医院"


def _sorted_both_ways(page, path: str, sort: str, header: str) -> set[str]:
    """The values of `header` at both ends of the list sorted by `sort`: if both ends hold only one
    value, every row does."""
    seen = set()
    for direction in ("", "-"):
        page.goto(f"{path}?sort={direction}{sort}&size=100")
        seen |= set(column(page, header))
    return seen


@pytest.fixture(scope="module")
def other_district_institution(browser, server):
    """The URL of an institution outside 锦江区, as the city-wide science office sees it."""
    context = browser.new_context(base_url=server, locale="zh-CN")
    page = context.new_page()
    page.goto("/accounts/login/")
    page.fill("input[name=username]", "commission_science")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.goto("/orgs/institutions/?sort=-district__code")
    link = page.locator("table tbody tr td:first-child a").first
    href = link.get_attribute("href")
    context.close()
    return href


def test_commission_sees_the_whole_city(page, login, screenshot):
    login(page, "commission_science")
    assert "演示环境" in page.locator("body").inner_text()  # the demo-mode banner
    screenshot(page, "01-commission-science-home")
    districts = _sorted_both_ways(page, "/orgs/institutions/", "district__code", "所属区县")
    assert DISTRICT in districts and len(districts) > 1
    assert total(page) == 60
    screenshot(page, "02-commission-science-institutions")


def test_district_bureau_sees_only_its_district(page, login, screenshot, other_district_institution):
    login(page, "district_jinjiang")
    assert _sorted_both_ways(page, "/orgs/institutions/", "district__code", "所属区县") == {DISTRICT}
    assert 0 < total(page) < 60
    screenshot(page, "03-district-institutions")
    assert _sorted_both_ways(page, "/workforce/workers/", "institution__district__code", "所属区县") == {DISTRICT}
    screenshot(page, "04-district-workers")
    response = page.goto(other_district_institution)
    assert response.status == 404


def test_institution_sees_only_itself(page, login, screenshot, other_district_institution):
    login(page, "institution_jinjiang")
    page.goto("/orgs/institutions/")
    assert total(page) == 1 and column(page, "机构名称") == [HOSPITAL]
    screenshot(page, "05-institution-institutions")
    assert _sorted_both_ways(page, "/workforce/workers/", "institution__name", "所在机构") == {HOSPITAL}
    screenshot(page, "06-institution-workers")
    assert page.goto(other_district_institution).status == 404


def test_health_worker_sees_only_themself(page, login, screenshot):
    login(page, "worker_jinjiang")
    labels = nav_labels(page)
    assert "卫生人员" in labels and "医疗卫生机构" not in labels and "审计日志" not in labels
    page.goto("/workforce/workers/")
    assert total(page) == 1
    me = column(page, "姓名")
    assert len(me) == 1 and column(page, "所在机构") == [HOSPITAL]
    assert me[0] in page.locator("nav").inner_text()  # the account shows the worker's own name
    screenshot(page, "07-health-worker-self")
    assert page.goto("/orgs/institutions/").status == 403


def test_audit_admin_sees_the_audit_log_and_no_business_data(page, login, screenshot):
    login(page, "audit_admin")
    labels = nav_labels(page)
    assert "审计日志" in labels and "卫生人员" not in labels and "医疗卫生机构" not in labels
    page.goto("/audit/")
    assert total(page) > 0
    assert re.search("新增|登录", page.locator("table tbody").inner_text())
    screenshot(page, "08-audit-admin-log")
    assert page.goto("/workforce/workers/").status == 403


@pytest.mark.parametrize("username", ["system_admin", "security_admin"])
def test_account_administrators_see_accounts_not_business_data(page, login, screenshot, username):
    login(page, username)
    labels = nav_labels(page)
    assert "账户管理" in labels and "卫生人员" not in labels and "审计日志" not in labels
    page.goto("/accounts/users/")
    assert total(page) >= 10
    screenshot(page, f"09-{username}-accounts")
    assert page.goto("/workforce/workers/").status == 403


@pytest.mark.parametrize("username", ["expert", "ethics"])
def test_reviewers_see_no_registry_data(page, login, screenshot, username):
    login(page, username)
    labels = nav_labels(page)
    assert not {"卫生人员", "医疗卫生机构", "审计日志", "账户管理"} & set(labels)
    screenshot(page, f"10-{username}-home")
    assert page.goto("/workforce/workers/").status == 403
    assert page.goto("/orgs/institutions/").status == 403


def test_wrong_password_is_refused(page):
    page.goto("/accounts/login/")
    page.fill("input[name=username]", "commission_info")
    page.fill("input[name=password]", "not-the-password")
    page.click("button[type=submit]")
    assert "/accounts/login" in page.url
    assert "用户名或密码错误" in page.locator("body").inner_text()
