"""The streaming .xlsx reader: both paths return what openpyxl returns, hostile files are refused."""

import datetime as dt
import io
import zipfile

import pytest

from tests.imports.helpers import xlsx
from weijian.imports import files
from weijian.imports.xlsx_reader import SheetRows, XlsxError

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
STYLES = (f'<styleSheet xmlns="{MAIN}"><numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy&quot;年&quot;m&quot;月&quot;d&quot;日&quot;"/></numFmts>'
          '<cellXfs count="4"><xf numFmtId="0"/><xf numFmtId="14"/><xf numFmtId="164"/><xf numFmtId="49"/></cellXfs></styleSheet>')
SHARED = (f'<sst xmlns="{MAIN}" count="4"><si><t>姓名</t></si><si><t xml:space="preserve"> 身份证号 </t></si>'
          '<si><r><rPr><b/></rPr><t>张</t></r><r><t>三</t></r><rPh sb="0" eb="1"><t>zhang</t></rPh></si>'
          '<si><t>A&amp;B &lt;医院&gt; &#x4E2D;</t></si></sst>')
SHEET = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{MAIN}" xmlns:r="{RELS}">'
         '<dimension ref="A1:E4"/><sheetData>'
         '<row r="1" spans="1:5"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'
         '<row r="2"><c r="A2" t="s"><v>2</v></c><c r="B2" t="inlineStr"><is><t>510104199001011234</t></is></c>'
         '<c r="C2" s="1"><v>45292</v></c><c r="D2" s="2"><v>45293.5</v></c><c r="E2"><v>510104</v></c></row>'
         '<row r="3"/>'
         '<row r="4"><c r="B4" t="s"><v>3</v></c><c r="C4"><f>SUM(A1:A2)</f><v>3</v></c>'
         '<c r="D4" t="b"><v>1</v></c><c r="E4" s="3" t="str"><f t="shared" si="0"/><v>x</v></c></row>'
         '</sheetData></worksheet>')
EXPECTED = [
    (1, ["姓名", " 身份证号 "]),
    (2, ["张三", "510104199001011234", dt.datetime(2024, 1, 1), dt.datetime(2024, 1, 2, 12), 510104]),
    (4, [None, "A&B <医院> 中", "=SUM(A1:A2)", True, "=…"]),
]


def workbook(sheet: str = SHEET, shared: str | None = SHARED, styles: str | None = STYLES, prefix: str = "") -> bytes:
    ns = f' xmlns:{prefix[:-1]}="{MAIN}"' if prefix else f' xmlns="{MAIN}"'
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.xml", f'<{prefix}workbook{ns} xmlns:r="{RELS}"><{prefix}sheets>'
                                       f'<{prefix}sheet name="数据" sheetId="1" r:id="rId1"/></{prefix}sheets></{prefix}workbook>')
        zf.writestr("xl/_rels/workbook.xml.rels",
                    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                    '<Relationship Id="rId1" Type="worksheet" Target="worksheets/sheet1.xml"/></Relationships>')
        zf.writestr("xl/worksheets/sheet1.xml", sheet)
        if shared is not None:
            zf.writestr("xl/sharedStrings.xml", shared)
        if styles is not None:
            zf.writestr("xl/styles.xml", styles)
    return out.getvalue()


def read(data: bytes, limit: int = 10**9):
    reader = SheetRows(io.BytesIO(data), max_inflated=limit)
    try:
        return list(reader), reader
    finally:
        reader.close()


def test_fast_path_reads_shared_and_inline_strings_dates_numbers_formulas():
    rows, reader = read(workbook())
    assert reader.prefix == ""  # the fast path
    assert rows == EXPECTED
    assert reader.dimension_rows == 4


def test_unusual_markup_takes_the_careful_path_with_the_same_result():
    commented = SHEET.replace("<sheetData>", "<sheetData><!-- made by hand -->")
    rows, reader = read(workbook(commented))
    assert reader.prefix is None  # expat
    assert rows == EXPECTED


def test_prefixed_namespaces_are_read():
    prefixed = SHEET.replace(f'<worksheet xmlns="{MAIN}"', f'<x:worksheet xmlns:x="{MAIN}"').replace(
        "</worksheet>", "</x:worksheet>")
    for tag in ("sheetData", "row", "c", "v", "f", "is", "t", "dimension"):
        prefixed = prefixed.replace(f"<{tag} ", f"<x:{tag} ").replace(f"<{tag}>", f"<x:{tag}>").replace(
            f"</{tag}>", f"</x:{tag}>").replace(f"<{tag}/>", f"<x:{tag}/>")
    rows, reader = read(workbook(prefixed, prefix="x:"))
    assert reader.prefix == "x:"
    assert rows == EXPECTED


def test_files_written_by_openpyxl_read_the_same_as_openpyxl_reads_them():
    from openpyxl import load_workbook

    data = xlsx([{"姓名": "=HYPERLINK(\"http://x\")", "身份证号": "510104199001011234", "职业类别": 3.5,
                  "执业起始日期": dt.date(2015, 7, 1)}])
    ours, _ = read(data)
    ws = load_workbook(io.BytesIO(data), read_only=True).worksheets[0]
    theirs = [list(r) for r in ws.iter_rows(values_only=True)]
    padded = [values + [None] * (len(theirs[i]) - len(values)) for i, (_, values) in enumerate(ours)]
    assert padded == theirs
    assert padded[1][:6] == ["=HYPERLINK(\"http://x\")", "510104199001011234", None, 3.5, None, dt.datetime(2015, 7, 1)]


def test_a_dtd_is_refused():
    bomb = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'
            f'<worksheet xmlns="{MAIN}"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol2;</t></is></c>'
            '</row></sheetData></worksheet>')
    with pytest.raises(XlsxError, match="DTD"):
        read(workbook(bomb))


def test_inflation_beyond_the_budget_is_refused_even_when_sizes_lie():
    with pytest.raises(XlsxError, match="解压后过大"):
        read(workbook(), limit=1000)


def test_a_row_left_open_is_malformed():
    broken = SHEET.replace("</row></sheetData>", "</sheetData>")
    with pytest.raises(XlsxError, match="格式错误"):
        read(workbook(broken))


def test_missing_shared_string_is_malformed():
    with pytest.raises(XlsxError, match="共享字符串"):
        read(workbook(shared=None))


def test_open_xlsx_takes_the_first_row_with_content_as_header_and_skips_blank_rows():
    sheet = files.open_xlsx(io.BytesIO(workbook()))
    assert sheet.headers == ["姓名", "身份证号"]
    assert [number for number, _ in sheet.rows] == [2, 4]
    assert sheet.total_rows == 3


def test_a_corrupt_zip_is_rejected_in_chinese():
    with pytest.raises(files.FileRejected) as exc:
        files.open_xlsx(io.BytesIO(b"PK\x03\x04" + b"\x00" * 100))
    assert exc.value.reason == "文件不是有效的 Excel（.xlsx）文件，可能已损坏"
