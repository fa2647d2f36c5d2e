"""Acceptance (research): the commission publishes a call; the demo health worker applies, signs the
integrity commitment and submits; his institution endorses; the commission assigns an expert; the
demo expert scores blind; the commission approves and issues the task agreement, records the
mid-term check; the PI submits the closure report and the commission records the acceptance: the
project is closed and its certificate downloads. Screenshots at each step."""

import datetime as dt
import re

from weijian.demo.research import DEMO_EXPERT_SPECIALTY

COMMISSION, WORKER, INSTITUTION, EXPERT = "commission_science", "worker_jinjiang", "institution_jinjiang", "expert"
TITLE = "浏览器验收：社区卫生服务质量管理研究"


def _as_user(page, login, username: str):
    page.context.clear_cookies()
    return login(page, username)


def _field(page, name: str):
    """A form field by its name (labels carry required marks and help text)."""
    return page.locator(f"[name='{name}'], [name$='-{name}']").first  # forms on a page carry prefixes


def test_call_to_closure(page, login, screenshot):
    page.on("dialog", lambda dialog: dialog.accept())  # the confirmations of publish / submit / endorse ...
    today = dt.date.today()

    # 1. The commission writes and publishes a call (one expert per application).
    _as_user(page, login, COMMISSION)
    page.goto("/research/calls/new/")
    _field(page, "title").fill("浏览器验收专项")
    _field(page, "year").fill(str(today.year))
    _field(page, "budget_ceiling").fill("20")
    _field(page, "opens_on").fill((today - dt.timedelta(days=1)).isoformat())
    _field(page, "closes_on").fill((today + dt.timedelta(days=30)).isoformat())
    _field(page, "experts_per_application").fill("1")
    _field(page, "required_attachments").fill("单位推荐意见")
    page.get_by_role("button", name="保存").click()
    page.wait_for_url(re.compile(r".*/research/calls/\d+/$"))
    call_url = page.url
    page.get_by_role("button", name="发布").click()
    page.wait_for_load_state("domcontentloaded")
    assert "已发布" in page.locator("h1").inner_text()
    screenshot(page, "research-01-call-published")

    # 2. The demo health worker applies and submits with the integrity commitment.
    _as_user(page, login, WORKER)
    page.goto(call_url)
    page.get_by_role("link", name="新建申报书").click()
    _field(page, "title").fill(TITLE)
    _field(page, "specialty").fill(DEMO_EXPERT_SPECIALTY)
    _field(page, "budget_equipment").fill("8")
    _field(page, "budget_labour").fill("4")
    _field(page, "milestones").fill(f"{today.year + 1}-06-30 完成基线调查\n{today.year + 2}-06-30 完成干预评价")
    page.get_by_role("button", name="保存").click()
    page.wait_for_url(re.compile(r".*/research/applications/\d+/$"))
    application_url = page.url
    assert "合计" in page.content() and "12.00" in page.content()  # the budget by heads adds up
    # The call requires 单位推荐意见: submitting without it is refused with the reason; then he uploads it.
    _field(page, "sign_integrity").check()
    page.get_by_role("button", name="提交", exact=True).click()
    page.wait_for_load_state("domcontentloaded")
    assert "缺少必需附件：单位推荐意见" in page.content()
    _field(page, "kind").select_option("单位推荐意见")
    _field(page, "file").set_input_files(files=[{"name": "单位推荐意见.pdf", "mimeType": "application/pdf",
                                                 "buffer": b"%PDF-1.4\n% synthetic test file\n%%EOF\n"}])
    page.get_by_role("button", name="上传附件").click()
    page.wait_for_load_state("domcontentloaded")
    assert "附件已上传" in page.content()
    screenshot(page, "research-02a-attachment-uploaded")
    _field(page, "sign_integrity").check()
    page.get_by_role("button", name="提交", exact=True).click()
    page.wait_for_load_state("domcontentloaded")
    assert "待单位审核" in page.locator("h1").inner_text()
    screenshot(page, "research-02-application-submitted")

    # 3. His institution endorses it.
    _as_user(page, login, INSTITUTION)
    page.goto(application_url)
    page.get_by_role("button", name="推荐").click()
    page.wait_for_load_state("domcontentloaded")
    assert "单位已推荐" in page.locator("h1").inner_text()

    # 4. The commission assigns experts for the call's endorsed applications.
    _as_user(page, login, COMMISSION)
    page.goto(call_url)
    _field(page, "due_on").fill((today + dt.timedelta(days=10)).isoformat())
    page.get_by_role("button", name=re.compile("分配评审专家")).click()
    page.wait_for_load_state("domcontentloaded")
    screenshot(page, "research-03-experts-assigned")

    # 5. The demo expert (the only one in his specialty) scores it.
    _as_user(page, login, EXPERT)
    page.goto("/research/reviews/mine/")
    page.locator("table tbody tr", has_text=TITLE).locator("a").first.click()
    page.wait_for_url(re.compile(r".*/research/reviews/\d+/$"))
    for name, score in (("innovation", "8"), ("rigor", "7"), ("feasibility", "9"), ("foundation", "6"),
                        ("benefit", "10")):
        _field(page, name).fill(score)
    screenshot(page, "research-04-expert-scoring")
    page.get_by_role("button", name=re.compile("提交评审")).click()
    page.wait_for_load_state("domcontentloaded")
    assert "78.5" in page.content()

    # 6. The commission approves (the score is the expert's total) and runs the project to closure.
    _as_user(page, login, COMMISSION)
    page.goto(application_url)
    page.locator("[name$='decision'][value=approve]").check()
    _field(page, "funded_amount").fill("10")
    page.get_by_role("button", name="提交决定").click()
    page.wait_for_load_state("domcontentloaded")
    assert "已立项" in page.locator("h1").inner_text()
    screenshot(page, "research-05-approved")
    page.get_by_role("link", name="项目执行与结题").click()
    page.wait_for_url(re.compile(r".*/research/projects/\d+/$"))
    project_url = page.url
    _field(page, "starts_on").fill(today.isoformat())
    _field(page, "ends_on").fill((today + dt.timedelta(days=730)).isoformat())
    page.get_by_role("button", name="下达任务书").click()
    page.wait_for_load_state("domcontentloaded")
    assert "执行中" in page.locator("h1").inner_text()
    _field(page, "report").fill("完成基线调查")
    _field(page, "fund_use").fill("4")
    page.get_by_role("button", name="登记中期检查").click()
    page.wait_for_load_state("domcontentloaded")
    assert "已登记中期检查" in page.content()

    _as_user(page, login, WORKER)
    page.goto(project_url)
    _field(page, "summary").fill("完成全部研究内容，形成质量管理规范一套。")
    page.get_by_role("button", name="提交结题报告").click()
    page.wait_for_load_state("domcontentloaded")
    assert "等待验收" in page.content()

    _as_user(page, login, COMMISSION)
    page.goto(project_url)
    page.get_by_role("button", name="登记验收结论").click()
    page.wait_for_load_state("domcontentloaded")
    assert "已结题" in page.locator("h1").inner_text()
    screenshot(page, "research-06-closed")
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("结题证书")).click()
    assert download.value.path().read_bytes().startswith(b"%PDF")

    # 7. The commission's research dashboard counts this year's funding, including this project.
    page.goto("/research/dashboard/")
    funded = page.locator("[data-indicator='research-funded'] .fs-3").inner_text().strip()
    assert int(funded) >= 1
    screenshot(page, "research-07-dashboard")
