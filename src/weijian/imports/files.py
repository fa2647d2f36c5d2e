"""Reading uploaded spreadsheets defensively: type sniffing, zip-bomb limits, encodings, formulas.

Everything here raises `FileRejected` with a Chinese reason; nothing here touches the database.
"""

import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

from openpyxl import load_workbook

from weijian.core.spreadsheets import looks_like_formula

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


def sniff(head: bytes, filename: str) -> str:
    name = filename.lower()
    if not head:
        raise FileRejected("文件为空")
    if name.endswith((".xlsx", ".xlsm")):
        if not head.startswith(b"PK\x03\x04"):
            raise FileRejected("文件不是有效的 Excel（.xlsx）文件，可能是改了扩展名的其他文件")
        return "xlsx"
    if name.endswith(".csv"):
        if b"\x00" in head[:4096]:
            raise FileRejected("CSV 文件含有二进制内容，请另存为 UTF-8 或 GB18030 编码的 CSV")
        return "csv"
    if name.endswith(".xls"):
        raise FileRejected("不支持旧版 .xls 文件，请在 Excel 中另存为 .xlsx")
    raise FileRejected("仅支持 .xlsx 或 .csv 文件")


def check_zip(path: str) -> None:
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            if len(infos) > MAX_ZIP_ENTRIES:
                raise FileRejected("Excel 文件结构异常（内部文件过多），已拒绝")
            total = 0
            for info in infos:
                total += info.file_size
                if info.file_size > 1024 * 1024 and info.file_size > MAX_RATIO * max(info.compress_size, 1):
                    raise FileRejected("Excel 文件压缩比异常（疑似压缩炸弹），已拒绝")
            if total > MAX_UNCOMPRESSED_BYTES:
                raise FileRejected("Excel 文件解压后过大（疑似压缩炸弹），已拒绝")
            names = {i.filename for i in infos}
            if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
                raise FileRejected("文件不是有效的 Excel（.xlsx）文件")
    except zipfile.BadZipFile:
        raise FileRejected("文件不是有效的 Excel（.xlsx）文件，可能已损坏") from None


def _clean_header(value) -> str:
    return "" if value is None else str(value).strip().lstrip("*").strip()


def open_xlsx(path: str) -> Sheet:
    check_zip(path)
    try:
        wb = load_workbook(path, read_only=True, data_only=False)
    except Exception:  # openpyxl raises many types for malformed parts
        raise FileRejected("Excel 文件无法读取，可能已损坏或加密") from None
    ws = wb.worksheets[0]
    rows = ws.iter_rows(values_only=True)
    header_row = next(rows, None)
    if header_row is None:
        wb.close()
        raise FileRejected("文件为空：第一个工作表没有内容")
    headers = [_clean_header(v) for v in header_row]
    while headers and not headers[-1]:
        headers.pop()
    total = ws.max_row - 1 if ws.max_row else None

    def iterate():
        try:
            for number, values in enumerate(rows, start=2):
                values = list(values[: len(headers)])
                if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
                    continue
                yield number, values
        finally:
            wb.close()

    return Sheet("xlsx", headers, iterate(), total)


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
        raise FileRejected("CSV 文件编码无法识别，请使用 UTF-8 或 GB18030（GBK）编码") from None


def open_csv(data: bytes) -> Sheet:
    text, encoding = decode_csv(data)
    if not text.strip():
        raise FileRejected("文件为空")
    reader = csv.reader(io.StringIO(text, newline=""))
    headers = [_clean_header(v) for v in next(reader, [])]
    total = text.count("\n")

    def iterate():
        for number, values in enumerate(reader, start=2):
            if not any(v.strip() for v in values):
                continue
            yield number, [v if v != "" else None for v in values[: len(headers)]]

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
