"""Acceptance (health records): a clinician of 锦江区人民医院 finds a resident, opens her timeline and sees the
records of two hospitals side by side, with the trend of her measurements; a resident never treated there is
opened only by emergency access with a reason. The audit administrator then finds the clinician's read of that
resident in the audit log. Screenshots at each step.

The demo city has no health records, so the two hospitals' sources are registered and their Bundles submitted
through the real services, in the server's own database (a `weijian` process with the server's environment),
before the browser starts: `seed_records` below.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.browser.conftest import _server_env

CLINICIAN, AUDITOR = "worker_jinjiang", "audit_admin"
ROOT = Path(__file__).resolve().parents[2]


def seed_records() -> dict:
    """Run inside the server's environment (Django set up): register the sources of the clinician's hospital
    and of another district's 人民医院, and submit both residents' records as those sources. Idempotent."""
    from tests.records.conftest import Sources
    from tests.records.test_timeline import LIU, ZHAO, load_residents
    from weijian.accounts.models import User
    from weijian.orgs.models import Institution
    from weijian.records import sources
    from weijian.records.models import Source

    info = User.objects.get(username="commission_info")
    own = User.objects.get(username=CLINICIAN).worker.institution
    other = Institution.objects.filter(name__endswith="人民医院").exclude(district_id=own.district_id) \
        .order_by("district_id", "uscc").first()

    def source_of(institution):
        return Source.objects.filter(institution=institution).first() or \
            sources.source_register(actor=info, institution=institution)

    load_residents(Sources(source_of(own), source_of(other)))
    return {"a": own.name, "b": other.name, "liu": LIU, "zhao": ZHAO}


@pytest.fixture(scope="module")
def records(server, tmp_path_factory) -> dict:
    data_dir = next(path for path in tmp_path_factory.getbasetemp().glob("weijian-browser*")
                    if (path / "weijian.sqlite3").exists())
    code = ("import django, json, sys; django.setup(); "
            "from tests.browser.test_records_timeline import seed_records; "
            "sys.stdout.write(json.dumps(seed_records()))")
    result = subprocess.run([sys.executable, "-c", code], env=_server_env(data_dir), cwd=ROOT, capture_output=True,
                            text=True, timeout=300, stdin=subprocess.DEVNULL)
    if result.returncode:
        pytest.fail(f"seeding the records failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def _as_user(page, login, username: str):
    page.context.clear_cookies()
    return login(page, username)


def test_a_clinician_reads_a_residents_record_of_two_hospitals_and_the_audit_shows_it(page, login, screenshot,
                                                                                   records):
    page.on("dialog", lambda dialog: dialog.accept())  # the emergency access asks for confirmation

    # 1. The clinician searches the resident by name and opens her timeline.
    _as_user(page, login, CLINICIAN)
    page.get_by_role("link", name="健康档案").click()
    page.wait_for_url("**/records/")
    page.get_by_label("姓名、档案号或身份证号").fill("刘晓")
    page.get_by_role("button", name="检索").click()
    page.wait_for_load_state("domcontentloaded")
    row = page.locator("table tbody tr", has_text="刘晓梅")
    assert row.count() == 1 and "5101**********" in row.inner_text()
    screenshot(page, "records-01-resident-search")
    row.get_by_role("link", name="刘晓梅").click()
    page.wait_for_url(f"**/records/patients/{records['liu']}/")

    timeline = page.locator("#pane-timeline")
    assert timeline.get_by_text(records["a"]).first.is_visible()
    assert timeline.get_by_text(records["b"]).first.is_visible()
    assert timeline.get_by_text("原发性高血压").is_visible() and timeline.get_by_text("2型糖尿病").is_visible()
    screenshot(page, "records-02-timeline-two-hospitals")

    page.get_by_role("tab", name="检验检查").click()
    chart = page.locator("#pane-labs canvas").first
    chart.wait_for(state="visible")
    assert page.locator("#pane-labs").get_by_text(records["b"]).first.is_visible()
    page.wait_for_function("() => document.querySelector('#pane-labs canvas').width > 0")
    screenshot(page, "records-03-lab-trends")

    page.get_by_role("tab", name="用药").click()
    assert page.locator("#pane-medications").get_by_text("硝苯地平控释片").is_visible()

    # Filtering by the other hospital leaves only its records.
    page.get_by_label("来源机构").select_option(label=records["b"])
    page.get_by_role("button", name="筛选").click()
    page.wait_for_url("**institution=*")
    page.get_by_role("tab", name="时间轴").click()
    assert page.locator("#pane-timeline").get_by_text("2型糖尿病").is_visible()
    assert page.locator("#pane-timeline").get_by_text("原发性高血压").count() == 0

    # 2. A resident never treated at his hospital: emergency access only, with a reason of 10 characters or more.
    page.goto(f"/records/patients/{records['zhao']}/")
    assert "该居民的健康档案不在您的访问范围内" in page.content()
    page.get_by_label("紧急访问理由").fill("急诊")
    page.get_by_role("button", name="开启紧急访问").click()
    page.wait_for_load_state("domcontentloaded")
    assert "紧急访问须填写理由（至少10个字）" in page.content()
    screenshot(page, "records-04-break-glass-refused")
    page.get_by_label("紧急访问理由").fill("患者急诊昏迷，需查阅既往病史和用药记录")
    page.get_by_role("button", name="开启紧急访问").click()
    page.wait_for_url(f"**/records/patients/{records['zhao']}/")
    assert "已开启紧急访问" in page.content() and "赵国强" in page.locator("h1").inner_text()

    # 3. The audit administrator finds the clinician's read of that resident.
    _as_user(page, login, AUDITOR)
    page.goto(f"/audit/?action=record-read&entity_id={records['liu']}")
    rows = page.locator("table tbody tr", has_text=CLINICIAN)
    assert rows.count() >= 1
    assert "居民健康档案时间轴：刘晓梅" in rows.first.inner_text() and records["liu"] in rows.first.inner_text()
    screenshot(page, "records-05-audit-log")
    page.goto("/audit/?action=break-glass")
    assert page.locator("table tbody tr", has_text="患者急诊昏迷，需查阅既往病史和用药记录").count() == 1


def test_the_information_centre_follows_uploads_and_sources_and_the_security_admin_grants(page, login, screenshot,
                                                                                         records):
    page.on("dialog", lambda dialog: dialog.accept())
    _as_user(page, login, "commission_info")
    page.get_by_role("link", name="健康档案").click()
    page.wait_for_url("**/records/uploads/")  # no grant: the operational pages, with the reason said
    assert "须经安全管理员授权" in page.content()
    table = page.locator("table tbody")
    assert table.get_by_text(records["a"]).count() >= 1 and table.get_by_text(records["b"]).count() >= 1
    screenshot(page, "records-06-uploads")
    table.locator("tr").first.locator("a").first.click()
    page.wait_for_url("**/records/uploads/*/")
    assert "拒收条目" in page.content()
    screenshot(page, "records-07-upload-detail")
    page.get_by_role("link", name="数据来源").click()
    page.wait_for_url("**/records/sources/")
    row = page.locator("table tbody tr", has_text=records["b"])
    row.get_by_role("button", name="暂停").click()
    page.wait_for_load_state("domcontentloaded")
    assert "已暂停数据来源" in page.content()
    page.locator("table tbody tr", has_text=records["b"]).get_by_role("button", name="恢复").click()
    page.wait_for_load_state("domcontentloaded")
    assert "已恢复数据来源" in page.content()
    screenshot(page, "records-08-sources")
    assert page.goto(f"/records/patients/{records['liu']}/").status == 403

    _as_user(page, login, "security_admin")
    page.get_by_role("link", name="健康档案").click()
    page.wait_for_url("**/records/grants/")
    page.get_by_label("被授权人（委信息中心）").select_option(label="委信息中心（演示）（commission_info）")
    page.get_by_label("授权理由").fill("配合区域传染病疫情调查核对病例资料")
    page.get_by_role("button", name="授权").click()
    page.wait_for_load_state("domcontentloaded")
    assert "已授权 commission_info 查看临床内容" in page.content()
    screenshot(page, "records-09-grants")

    _as_user(page, login, "commission_info")
    page.goto(f"/records/patients/{records['liu']}/")
    assert "刘晓梅" in page.locator("h1").inner_text()
