"""Writing .xlsx/.csv safely: every cell that a spreadsheet would run as a formula is neutralised."""

import csv
import io
from collections.abc import Iterable, Sequence

from openpyxl import Workbook

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\uff1d")


def looks_like_formula(value) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_PREFIXES)


def neutralise(value):
    """Prefix formula-like text with an apostrophe so Excel/WPS show it as text (OWASP CSV injection)."""
    if looks_like_formula(value):
        return "'" + value
    return value


def xlsx_bytes(headers: Sequence[str], rows: Iterable[Sequence], *, sheet_title: str = "数据") -> bytes:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet_title)
    ws.append(list(headers))
    for row in rows:
        ws.append([neutralise(v) for v in row])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def csv_bytes(headers: Sequence[str], rows: Iterable[Sequence]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    for row in rows:
        writer.writerow([neutralise(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")  # BOM so Excel opens UTF-8 correctly

