"""Acceptance (CME): an institution applies for a municipal project and endorses it, the commission
approves it, the institution imports the sign-in sheet for one worker who was short of credits, the
worker's transcript then shows the project's credits and 达标, and the commission's compliance
indicator of his title group counts exactly one more compliant person."""

import datetime as dt
import io
import random
import re
from decimal import Decimal

from openpyxl import load_workbook

from tests.browser import pages
from weijian.cme.models import TitleGroup
from weijian.demo.cme import REQUIREMENTS

INSTITUTION, WORKER, COMMISSION = "institution_jinjiang", "worker_jinjiang", "commission_science"
GROUP_BY_LABEL = {str(label): value for value, label in TitleGroup.choices}


def _as_user(page, login, username: str):
    page.context.clear_cookies()
    return login(page, username)


def _dd(page, label: str) -> str:
    return page.locator(f"dt:text-is('{label}') + dd").first.inner_text().strip()


def _outcome(page) -> dict:
    """The yearly audit box of a transcript page."""
    badge = page.locator("h2:has-text('年度审验') ~ p .badge").first.inner_text().strip()
    return {"badge": badge, "class_i": Decimal(_dd(page, "计入I类学分")), "class_ii": Decimal(_dd(page, "计入II类学分")),
            "total": Decimal(_dd(page, "计入总学分")), "shortfall": Decimal(_dd(page, "差额"))}


def _compliance(page, group: str) -> tuple[int, int]:
    """(numerator, denominator) of the compliance card of a title group on the commission dashboard."""
    card = page.locator(f"[data-indicator='cme-compliance-{group}']")
    text = card.locator("span.text-muted", has_text="/").first.inner_text()
    numerator, denominator = re.search(r"([\d,]+)\s*/\s*([\d,]+)", text).groups()
    return int(numerator.replace(",", "")), int(denominator.replace(",", ""))


def _closing(group: str, class_i: Decimal, class_ii: Decimal, total: Decimal) -> tuple[str, Decimal] | None:
    """(credit class, credits) of one face-to-face project that makes this year compliant, if one class can."""
    need_total, need_i, need_ii = (Decimal(v).scaleb(-1) for v in REQUIREMENTS[group][:3])
    if class_ii >= need_ii:
        credits = max(need_i - class_i, need_total - total, Decimal("0.5"))
        return "I类", credits
    if class_i >= need_i:
        credits = max(need_ii - class_ii, need_total - total, Decimal("0.5"))
        return "II类", credits
    return None


def _short_people(page) -> list[dict]:
    people = []
    for row in page.locator("table tbody tr").all():
        cells = [c.strip() for c in row.locator("td").all_inner_texts()]
        if len(cells) < 7:
            continue  # "全部人员已达标"
        people.append({"name": cells[0], "group": GROUP_BY_LABEL[cells[1]], "total": Decimal(cells[2]),
                       "class_i": Decimal(cells[3]), "class_ii": Decimal(cells[4]), "reason": cells[6]})
    return people


def _fill(template: bytes, rows: list[list]) -> bytes:
    wb = load_workbook(io.BytesIO(template))
    ws = wb["数据"]
    for r, row in enumerate(rows, start=2):
        for c, value in enumerate(row, start=1):
            ws.cell(row=r, column=c, value=value)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _upload(page, tmp_path, entity: str, filename: str, content: bytes, new_rows: int) -> None:
    """Upload a filled template, check the dry run, confirm, check the rows written."""
    sheet = tmp_path / filename
    sheet.write_bytes(content)
    page.goto(f"/imports/{entity}/upload/")
    page.set_input_files("input[type=file][name=file]", str(sheet))
    page.get_by_role("button", name="上传并校验").click()
    page.wait_for_url("**/imports/jobs/**")
    page.wait_for_selector("#job-summary:has-text('试导入结果')", timeout=60_000)
    assert f"将新增 {new_rows}" in page.locator("#job-summary").inner_text(), page.locator("main").inner_text()
    page.get_by_role("button", name="确认导入").click()
    page.wait_for_selector("#job-summary:has-text('导入完成')", timeout=60_000)
    assert f"已新增 {new_rows}" in page.locator("#job-summary").inner_text()


def _template(page, entity: str) -> bytes:
    page.goto(f"/imports/{entity}/upload/")
    with page.expect_download() as download:
        page.get_by_role("link", name="下载模板").click()
    return download.value.path().read_bytes()


def test_project_attendance_makes_a_worker_compliant(page, server, login, screenshot, tmp_path):
    page.on("dialog", lambda dialog: dialog.accept())  # the confirmations of endorse / reveal
    today = dt.date.today()
    year = today.year
    start = today - dt.timedelta(days=20)
    end = start + dt.timedelta(days=1)
    if start.year != year:  # early January: keep the project inside this year
        start, end = dt.date(year, 1, 1), dt.date(year, 1, 1)

    # The worker account's own standing this year (the demo binds worker_jinjiang to one worker).
    _as_user(page, login, WORKER)
    page.goto(f"/cme/transcript/?year={year}")
    own_name = page.locator("h1").inner_text().removesuffix(" 的学分档案").strip()
    own_before = _outcome(page)
    screenshot(page, "cme-01-worker-transcript-before")

    # The demo gives the worker account's own worker a year short of class I credits only: the
    # institution's list of people short of credits shows him, and one class I project closes it.
    _as_user(page, login, INSTITUTION)
    page.goto(f"/cme/?year={year}")
    page.wait_for_url("**/cme/institutions/**")
    person = next(p for p in _short_people(page) if p["name"] == own_name)
    assert (person["class_i"], person["total"]) == (own_before["class_i"], own_before["total"])
    screenshot(page, "cme-02-institution-short-list")
    # His ID number for the sign-in sheet: the institution reveals it (an audited read).
    page.goto(f"/workforce/workers/?q={own_name}")
    assert pages.total(page) == 1
    page.locator("table tbody tr td a").first.click()
    page.wait_for_url(re.compile(r".*/workforce/workers/\d+/$"))
    page.get_by_role("button", name="显示完整证件号").click()
    id_number = page.locator("#id-number code[data-revealed]").inner_text().strip()
    assert re.fullmatch(r"\d{17}[\dX]", id_number)
    group = person["group"]
    credit_class, credits = _closing(group, person["class_i"], person["class_ii"], person["total"])
    assert credit_class == "I类"

    # The commission's compliance indicator of his title group, before.
    _as_user(page, login, COMMISSION)
    page.goto(f"/cme/?year={year}")
    before = _compliance(page, group)
    screenshot(page, "cme-03-commission-dashboard-before")

    # 1. The institution applies for a municipal project and endorses it.
    _as_user(page, login, INSTITUTION)
    run = random.Random().randint(100000, 999999)  # the server's database lives for the whole session
    number, name = f"{year}-BT-{run}", f"浏览器验收继续教育学习班{run}"
    page.goto("/cme/projects/new/")
    page.fill("input[name=number]", number)
    page.fill("input[name=name]", name)
    page.fill("input[name=discipline]", "全科医学")
    page.fill("input[name=credits]", str(credits))
    page.select_option("select[name=credit_class]", label=credit_class)
    page.select_option("select[name=delivery]", label="面授")
    page.fill("input[name=start_date]", start.isoformat())
    page.fill("input[name=end_date]", end.isoformat())
    page.fill("input[name=lead_teacher]", "王老师")
    page.fill("input[name=audience]", "本院医务人员")
    page.fill("input[name=expected_attendees]", "50")
    screenshot(page, "cme-04-project-form")
    page.get_by_role("button", name="保存", exact=True).click()
    page.wait_for_url(re.compile(r".*/cme/projects/\d+/$"))
    project_url = page.url
    assert page.locator("h1 .badge").first.inner_text().strip() == "申报中"
    page.get_by_role("button", name="单位推荐").click()
    page.wait_for_selector("text=已推荐至卫健委")
    assert page.locator("h1 .badge").first.inner_text().strip() == "单位已推荐"
    screenshot(page, "cme-05-project-endorsed")

    # 2. The commission approves it from its review queue.
    _as_user(page, login, COMMISSION)
    page.goto("/cme/projects/review/")
    page.get_by_role("link", name=number).click()
    page.wait_for_url(project_url)
    page.get_by_role("button", name="批准", exact=True).click()
    page.wait_for_selector("text=项目已批准")
    assert page.locator("h1 .badge").first.inner_text().strip() == "已批准"
    assert f"{credit_class} {credits}" in _dd(page, "学分")
    screenshot(page, "cme-06-project-approved")

    # 3. The institution imports the sign-in sheet: one row, the chosen worker.
    _as_user(page, login, INSTITUTION)
    template = _template(page, "cme-attendance")
    headers = [c.value for c in load_workbook(io.BytesIO(template))["数据"][1]]
    assert headers == ["项目编号", "身份证号", "执业证书编码", "姓名", "参加日期"]
    _upload(page, tmp_path, "cme-attendance", "sign-in.xlsx",
            _fill(template, [[number, id_number, None, person["name"], start.isoformat()]]), 1)
    screenshot(page, "cme-07-attendance-imported")
    page.goto(project_url + "attendance/")
    assert pages.total(page) == 1 and pages.column(page, "姓名") == [person["name"]]

    # 4. He reads his own transcript: the project's credits, counted, and 达标.
    _as_user(page, login, WORKER)
    page.goto(f"/cme/transcript/?year={year}")
    row = page.locator("table tbody tr", has_text=name)
    assert row.count() == 1
    assert str(credits) in row.inner_text() and credit_class in row.inner_text()
    after = _outcome(page)
    assert after["badge"] == "达标" and after["shortfall"] == 0
    assert after["total"] == person["total"] + credits
    if credit_class == "I类":
        assert (after["class_i"], after["class_ii"]) == (person["class_i"] + credits, person["class_ii"])
    else:
        assert (after["class_i"], after["class_ii"]) == (person["class_i"], person["class_ii"] + credits)
    screenshot(page, "cme-08-transcript-after")

    # 5. The commission's indicator: one more compliant person in his title group, same population.
    _as_user(page, login, COMMISSION)
    page.goto(f"/cme/?year={year}")
    assert _compliance(page, group) == (before[0] + 1, before[1])
    screenshot(page, "cme-09-commission-dashboard-after")
