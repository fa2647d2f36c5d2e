"""The downloadable .xlsx template of each data set: the headers (required ones in red, each with a cell
comment giving the hint), one synthetic sample row, and a second sheet "值域" listing every coded column's
allowed codes.

Hints live in comments, not in a second header row: the upload readers take the first row as the header
and every later row as data.
"""

import io
import random

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from weijian.core.spreadsheets import neutralise
from weijian.records.ws365.datasets import Column, Dataset, domain_title
from weijian.records.ws365.samples import sample_rows
from weijian.terminology.seed import SYSTEMS

KIND_LABELS = {"text": "文本", "date": "日期", "datetime": "日期时间", "decimal": "数字", "integer": "整数",
               "code": "代码（见“值域”工作表）"}
# Code systems too large (ICD-10) or too local (divisions) to list in the template.
UNLISTED = {
    "icd-10": "ICD-10 编码，如 I10、E11.9；以平台术语字典为准",
    "gb-t-2260": "GB/T 2260 六位县级行政区划代码，如 510104",
}
SAMPLE_SEED = 365


def hint(column: Column) -> str:
    parts = ["必填" if column.required else "选填", KIND_LABELS[column.kind]]
    if column.help:
        parts.append(column.help)
    text = "；".join(parts)
    if column.element:
        text += f"\n数据元：{column.element}"
    return text


def template_xlsx(dataset: Dataset) -> bytes:
    wb = Workbook()
    sheet = wb.active
    sheet.title = dataset.title[:31]
    sheet.append(dataset.headers)
    sample = sample_rows(dataset, 1, random.Random(SAMPLE_SEED))[0]
    sheet.append([neutralise(sample.get(header, "")) for header in dataset.headers])
    for index, column in enumerate(dataset.columns, start=1):
        letter = get_column_letter(index)
        head = sheet.cell(row=1, column=index)
        head.font = Font(bold=True, color="C00000" if column.required else "000000")
        head.comment = Comment(hint(column), "卫健平台", width=260, height=120)
        sheet.column_dimensions[letter].width = max(12, len(column.header) * 2 + 4)
        if column.kind in ("text", "code"):
            # Text cells keep ID numbers' digits and codes' leading zeros when people type into them.
            sheet.column_dimensions[letter].number_format = "@"
            sheet.cell(row=2, column=index).number_format = "@"
    sheet.freeze_panes = "A2"
    _value_domains(wb.create_sheet("值域"), dataset)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _value_domains(sheet, dataset: Dataset) -> None:
    concepts = {slug: rows for slug, *_rest, rows in SYSTEMS}
    sheet.append(["列名", "值域", "代码", "名称"])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for column in dataset.columns:
        if column.kind != "code":
            continue
        title = domain_title(column.value_set)
        if column.value_set in UNLISTED:
            sheet.append([column.header, title, "", UNLISTED[column.value_set]])
            continue
        for code, display, _parent in concepts.get(column.value_set, []):
            sheet.append([column.header, title, code, display])
    for letter, width in zip("ABCD", (16, 24, 18, 40), strict=True):
        sheet.column_dimensions[letter].width = width
