"""Reading uploaded spreadsheets defensively: type sniffing, zip-bomb limits, encodings, formulas.

Everything here raises `FileRejected` with a Chinese reason; nothing here touches the database.
"""

import csv
import io
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.utils.translation import gettext as _

from weijian.core.spreadsheets import looks_like_formula
from weijian.imports.xlsx_reader import SheetRows, XlsxError

MAX_UNCOMPRESSED_BYTES = 400 * 1024 * 1024
MAX_RATIO = 200  # uncompressed / compressed, per entry above 1 MB
MAX_ZIP_ENTRIES = 2_000
MAX_ROWS = 500_000


class FileRejected(Exception):
    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


@dataclass
class Sheet:
    kind: str  # "xlsx" or "csv"
    headers: list[str]
    rows: Iterator[tuple[int, list]]  # (1-based spreadsheet row number, cell values)
    total_rows: int | None  # an estimate for the progress bar
    encoding: str = ""
    fraction_read: Callable[[], float] | None = None  # share of the file read so far, when rows are unknown


def sniff(head: bytes, filename: str) -> str:
    name = filename.lower()
    if not head:
        raise FileRejected(_("文件为空"))
    if name.endswith((".xlsx", ".xlsm")):
        if not head.startswith(b"PK\x03\x04"):
            raise FileRejected(_("文件不是有效的 Excel（.xlsx）文件，可能是改了扩展名的其他文件"))
        return "xlsx"
    if name.endswith(".csv"):
        if b"\x00" in head[:4096]:
            raise FileRejected(_("CSV 文件含有二进制内容，请另存为 UTF-8 或 GB18030 编码的 CSV"))
        return "csv"
    if name.endswith(".xls"):
        raise FileRejected(_("不支持旧版 .xls 文件，请在 Excel 中另存为 .xlsx"))
    raise FileRejected(_("仅支持 .xlsx 或 .csv 文件"))


def check_zip(source) -> None:
    try:
        with zipfile.ZipFile(source) as zf:
            infos = zf.infolist()
            if len(infos) > MAX_ZIP_ENTRIES:
                raise FileRejected(_("Excel 文件结构异常（内部文件过多），已拒绝"))
            total = 0
            for info in infos:
                total += info.file_size
                if info.file_size > 1024 * 1024 and info.file_size > MAX_RATIO * max(info.compress_size, 1):
                    raise FileRejected(_("Excel 文件压缩比异常（疑似压缩炸弹），已拒绝"))
            if total > MAX_UNCOMPRESSED_BYTES:
                raise FileRejected(_("Excel 文件解压后过大（疑似压缩炸弹），已拒绝"))
            names = {i.filename for i in infos}
            if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
                raise FileRejected(_("文件不是有效的 Excel（.xlsx）文件"))
    except zipfile.BadZipFile:
        raise FileRejected(_("文件不是有效的 Excel（.xlsx）文件，可能已损坏")) from None


def _clean_header(value) -> str:
    return "" if value is None else str(value).strip().lstrip("*").strip()


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def open_xlsx(source, *, header_only: bool = False) -> Sheet:
    """`source` is a path or a binary file object (the decrypted upload, kept in memory).
    `header_only`: the caller reads the header and perhaps the first row (the upload check)."""
    check_zip(source)
    try:
        reader = SheetRows(source, max_inflated=MAX_UNCOMPRESSED_BYTES, header_only=header_only)
    except XlsxError as exc:
        raise FileRejected(str(exc)) from None
    rows = iter(reader)
    try:
        # The header is the first row with content (normally row 1, as in the template).
        header_number, header_row = next(((n, v) for n, v in rows if not all(map(_blank, v))), (0, None))
    except XlsxError as exc:
        reader.close()
        raise FileRejected(str(exc)) from None
    if header_row is None:
        reader.close()
        raise FileRejected(_("文件为空：第一个工作表没有内容"))
    headers = [_clean_header(v) for v in header_row]
    while headers and not headers[-1]:
        headers.pop()
    total = reader.dimension_rows - header_number if reader.dimension_rows else None
    width = len(headers)

    def iterate():
        try:
            for number, values in rows:
                values = values[:width]
                if all(map(_blank, values)):
                    continue
                yield number, values
        except XlsxError as exc:
            raise FileRejected(str(exc)) from None
        finally:
            reader.close()

    return Sheet("xlsx", headers, iterate(), total, fraction_read=lambda: reader.consumed / reader.size)


def decode_csv(data: bytes) -> tuple[str, str]:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), "UTF-8"
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "GB18030"
    except UnicodeDecodeError:
        raise FileRejected(_("CSV 文件编码无法识别，请使用 UTF-8 或 GB18030（GBK）编码")) from None


def open_csv(data: bytes) -> Sheet:
    text, encoding = decode_csv(data)
    if not text.strip():
        raise FileRejected(_("文件为空"))
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        headers = [_clean_header(v) for v in next(reader, [])]
    except csv.Error:
        raise FileRejected(_("CSV 文件格式错误（第 1 行），请检查引号是否成对")) from None
    total = text.count("\n")

    def iterate():
        number = 1
        try:
            for number, values in enumerate(reader, start=2):  # noqa: B007 - read after the loop on error
                if not any(v.strip() for v in values):
                    continue
                yield number, [v if v != "" else None for v in values[: len(headers)]]
        except csv.Error:
            raise FileRejected(f"CSV 文件格式错误（约第 {number + 1} 行），请检查引号是否成对") from None

    return Sheet("csv", headers, iterate(), total, encoding)


def check_headers(headers: list[str], expected: list[str], required: list[str]) -> None:
    missing = [h for h in required if h not in headers]
    unknown = [h for h in headers if h and h not in expected]
    duplicated = sorted({h for h in headers if h and headers.count(h) > 1})
    problems = []
    if missing:
        problems.append("缺少列：" + "、".join(f"“{h}”" for h in missing))
    if unknown:
        problems.append("无法识别的列：" + "、".join(f"“{h}”" for h in unknown))
    if duplicated:
        problems.append("重复的列：" + "、".join(f"“{h}”" for h in duplicated))
    if problems:
        raise FileRejected("表头与模板不符（" + "；".join(problems) + "），请下载最新模板")


def formula_reason(value) -> str | None:
    if looks_like_formula(value):
        return "单元格内容以 =、+、-、@ 开头，疑似公式，已拒绝（如确需此内容，请改写）"
    return None
