"""Acceptance: log in as the institution user, download the template, upload a file with errors,
read the error report, fix, import, see the rows."""

import datetime as dt
import io
import random

from openpyxl import load_workbook

from tests.browser import pages
from weijian.workforce.idnumber import make_id_number


def _new_people(n: int) -> list[tuple[str, str]]:
    rng = random.Random()  # a fresh set every run: the server's database lives for the whole session
    people = []
    for i in range(n):
        birth = dt.date(1975, 1, 1) + dt.timedelta(days=rng.randint(0, 9000))
        people.append((f"导入测试{rng.randint(1000, 9999)}{i}", make_id_number("510104", birth, rng.randint(0, 999))))
    return people


def _fill(template: bytes, rows: list[list]) -> bytes:
    wb = load_workbook(io.BytesIO(template))
    ws = wb["数据"]
    for r, row in enumerate(rows, start=2):  # as a user types them: from row 2 on (the template pre-formats rows)
        for c, value in enumerate(row, start=1):
            ws.cell(row=r, column=c, value=value)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _own_institution_code(page, server) -> str:
    page.goto(f"{server}/orgs/institutions/")
    assert pages.total(page) == 1  # the institution user sees only its own institution
    return pages.column(page, "统一社会信用代码")[0]


def _upload(page, server, tmp_path, name: str, content: bytes):
    path = tmp_path / name
    path.write_bytes(content)
    page.goto(f"{server}/imports/worker/upload/")
    page.set_input_files("input[type=file][name=file]", str(path))
    page.get_by_role("button", name="上传并校验").click()
    page.wait_for_url("**/imports/jobs/**")
    page.wait_for_selector("#job-summary:has-text('试导入结果')", timeout=60_000)


def test_institution_user_imports_workers_after_fixing_errors(page, server, login, screenshot, tmp_path):
    login(page, "institution_jinjiang")
    uscc = _own_institution_code(page, server)

    page.goto(f"{server}/imports/worker/upload/")
    with page.expect_download() as download:
        page.get_by_role("link", name="下载模板").click()
    template = download.value.path().read_bytes()
    headers = [c.value for c in load_workbook(io.BytesIO(template))["数据"][1]]
    assert headers[:4] == ["姓名", "身份证号", "机构统一社会信用代码", "职业类别"]
    assert "填写说明" in load_workbook(io.BytesIO(template)).sheetnames

    (name_ok, id_ok), (name_bad, id_good_for_bad) = _new_people(2)
    id_bad = id_good_for_bad[:17] + ("0" if id_good_for_bad[17] != "0" else "1")  # wrong check digit
    blank = [None] * (len(headers) - 4)
    first = _fill(template, [[name_ok, id_ok, uscc, "医师", *blank],
                             [name_bad, id_bad, uscc, "护士", *blank]])
    _upload(page, server, tmp_path, "workers-with-error.xlsx", first)
    assert "错误 1 行" in page.locator("#job-summary").inner_text()
    assert "身份证号校验位错误" in page.locator("#error-preview").inner_text()
    screenshot(page, "import-dry-run-with-errors")

    with page.expect_download() as download:
        page.get_by_role("link", name="下载错误报告").click()
    report = load_workbook(io.BytesIO(download.value.path().read_bytes()))["错误报告"]
    assert [c.value for c in report[1]] == ["行号", "列", "值", "错误原因"]
    rows = [list(r) for r in report.iter_rows(min_row=2, values_only=True)]
    assert rows == [[3, "身份证号", id_bad[:4] + "*" * 10 + id_bad[-4:], "身份证号校验位错误"]]

    # Confirming without choosing "only valid rows" is refused and writes nothing.
    page.get_by_role("button", name="确认导入").click()
    assert "仅导入有效行" in page.locator("#confirm-error").inner_text()
    page.goto(f"{server}/workforce/workers/?q={name_ok}")
    assert pages.total(page) == 0

    fixed = _fill(template, [[name_ok, id_ok, uscc, "医师", *blank],
                             [name_bad, id_good_for_bad, uscc, "护士", *blank]])
    _upload(page, server, tmp_path, "workers-fixed.xlsx", fixed)
    assert "将新增 2" in page.locator("#job-summary").inner_text()
    page.get_by_role("button", name="确认导入").click()
    page.wait_for_selector("#job-summary:has-text('导入完成')", timeout=60_000)
    assert "已新增 2" in page.locator("#job-summary").inner_text()
    screenshot(page, "import-done")

    for name in (name_ok, name_bad):
        page.goto(f"{server}/workforce/workers/?q={name}")
        assert pages.total(page) == 1
        assert pages.column(page, "姓名") == [name]
    screenshot(page, "imported-worker-in-list")

    # The same file again: nothing new, nothing duplicated.
    _upload(page, server, tmp_path, "workers-fixed-again.xlsx", fixed)
    assert "将新增 0" in page.locator("#job-summary").inner_text()
    assert "无变化 2" in page.locator("#job-summary").inner_text()
