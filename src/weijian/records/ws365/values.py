"""Reading one row's cells by column kind, collecting every problem instead of stopping at the first.

Cells arrive as the xlsx/csv readers give them: str, int, float, date, datetime, or None/"" when blank.
"""

import datetime as dt
import re

from django.utils import timezone
from django.utils.translation import gettext as _

from weijian.records.ws365.codes import CodeChecker
from weijian.records.ws365.datasets import (
    ID_HEADERS,
    LIMITS,
    MAX_ID,
    MAX_TEXT,
    MULTI,
    SEPARATOR,
    Column,
    Dataset,
    domain_title,
)
from weijian.workforce.idnumber import IdNumber, IdNumberError, mask_id_number, parse_id_number

DATE = re.compile(r"^(\d{4})([-/])(\d{1,2})\2(\d{1,2})$|^(\d{4})(\d{2})(\d{2})$")
DATETIME = re.compile(r"^(\d{4})([-/])(\d{1,2})\2(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$|^(\d{4})(\d{2})(\d{2})$")
NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")
PHONE = re.compile(r"^(\+?86[- ]?)?(1\d{10}|0\d{2,3}-?\d{7,8}(-\d{1,6})?)$")


class RowError(Exception):
    """Every problem of one row, each a Chinese sentence naming the column and the value."""

    def __init__(self, messages: list[str]):
        self.messages = list(messages)
        super().__init__("；".join(self.messages))


def today() -> dt.date:
    return timezone.localdate()


def blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def as_text(value) -> str:
    """A cell as text: numbers from xlsx lose their ".0", dates become ISO dates."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def shown(header: str, value) -> str:
    """The value as quoted in a message; an ID number only masked (messages end up in logs and reports)."""
    text = as_text(value)
    if header == "身份证号":
        return mask_id_number(text) if len(text) >= 8 else "*" * len(text)
    return text if len(text) <= 40 else text[:40] + "…"


def fhir_datetime(value: dt.date | dt.datetime) -> str:
    """FHIR dateTime: a date alone, or a local time with the +08:00 offset."""
    if isinstance(value, dt.datetime):
        aware = value if timezone.is_aware(value) else timezone.make_aware(value)
        return timezone.localtime(aware).isoformat(timespec="seconds")
    return value.isoformat()


class Cells:
    """Parses a row's cells; every getter records its problems in `errors` and returns None when unusable."""

    def __init__(self, dataset: Dataset, row: dict, codes: CodeChecker):
        self.dataset, self.row, self.codes = dataset, row, codes
        self.errors: list[str] = []
        self.values: dict[str, object] = {}
        for column in dataset.columns:
            self.values[column.header] = self._read(column)

    def __getitem__(self, header: str):
        return self.values[header]

    def error(self, message: str) -> None:
        self.errors.append(message)

    def bad(self, column: Column, value, reason: str) -> None:
        self.error(_("“%(header)s”的值“%(value)s”%(reason)s") % {
            "header": column.header, "value": shown(column.header, value), "reason": reason})

    def _read(self, column: Column):
        raw = self.row.get(column.header)
        if blank(raw):
            if column.required:
                self.error(_("“%(header)s”不能为空") % {"header": column.header})
            return [] if column.header in MULTI else None
        if column.header in MULTI:
            parts = [p.strip() for p in as_text(raw).replace(";", SEPARATOR).split(SEPARATOR) if p.strip()]
            if not parts and column.required:
                self.error(_("“%(header)s”不能为空") % {"header": column.header})
            return [self._one(column, part) for part in parts]
        return self._one(column, raw)

    def _one(self, column: Column, raw):
        if column.header == "身份证号":
            return self._id_number(column, raw)
        return getattr(self, "_" + column.kind)(column, raw)

    # ---- kinds ------------------------------------------------------------------------------------

    def _text(self, column: Column, raw) -> str | None:
        text = as_text(raw)
        limit = MAX_ID if column.header in ID_HEADERS else MAX_TEXT
        if len(text) > limit:
            self.bad(column, raw, _("过长（最多 %(limit)s 个字符）") % {"limit": limit})
            return None
        if column.header == "联系电话" and not PHONE.match(text.replace(" ", "")):
            self.bad(column, raw, _("不是有效的电话号码"))
            return None
        return text

    def _id_number(self, column: Column, raw) -> IdNumber | None:
        try:
            return parse_id_number(as_text(raw), today=today())
        except IdNumberError as exc:
            self.bad(column, raw, _("有误：%(reason)s") % {"reason": exc})
            return None

    def _date(self, column: Column, raw) -> dt.date | None:
        value = self._when(column, raw, DATE, _("不是有效日期（应为 2024-03-01、2024/3/1 或 20240301）"))
        return value.date() if isinstance(value, dt.datetime) else value

    def _datetime(self, column: Column, raw) -> dt.date | dt.datetime | None:
        return self._when(column, raw, DATETIME,
                          _("不是有效日期时间（应为 2024-03-01 09:30、2024/3/1 9:30、2024-03-01 或 20240301）"))

    def _when(self, column: Column, raw, pattern: re.Pattern, message: str):
        if isinstance(raw, dt.datetime):
            # Excel stores a date typed into a cell as midnight: read it as the date it shows.
            value = raw.date() if raw.time() == dt.time() and raw.tzinfo is None else raw
        elif isinstance(raw, dt.date):
            value = raw
        else:
            value = self._parse_when(as_text(raw), pattern)
            if value is None:
                self.bad(column, raw, message)
                return None
        day = value.date() if isinstance(value, dt.datetime) else value
        if day > today():
            self.bad(column, raw, _("晚于今天"))
            return None
        if day.year < 1900:
            self.bad(column, raw, _("早于1900年"))
            return None
        return value

    @staticmethod
    def _parse_when(text: str, pattern: re.Pattern):
        match = pattern.match(text)
        if not match:
            return None
        groups = [g for g in match.groups() if g not in (None, "-", "/")]
        try:
            numbers = [int(g) for g in groups]
            return dt.datetime(*numbers) if len(numbers) > 3 else dt.date(*numbers)
        except ValueError:  # 2023-02-30, 25:00
            return None

    def _decimal(self, column: Column, raw) -> float | None:
        return self._number(column, raw, integer=False)

    def _integer(self, column: Column, raw) -> int | None:
        return self._number(column, raw, integer=True)

    def _number(self, column: Column, raw, *, integer: bool):
        if isinstance(raw, bool) or not (isinstance(raw, (int, float)) or NUMBER.match(as_text(raw))):
            self.bad(column, raw, _("不是数字"))
            return None
        number = float(raw) if isinstance(raw, (int, float)) else float(as_text(raw))
        if integer and not number.is_integer():
            self.bad(column, raw, _("不是整数"))
            return None
        low, high, _ucum, unit = LIMITS.get(column.header, (None, None, "", ""))
        if low is not None and not low <= number <= high:
            self.bad(column, raw, _("超出合理范围（%(low)s–%(high)s %(unit)s）") % {
                "low": low, "high": high, "unit": unit})
            return None
        return int(number) if integer else number

    def _code(self, column: Column, raw) -> tuple[str, str] | None:
        """(code, display); a number typed into Excel loses its leading zero ("01" → 1), so that is tried too."""
        code = as_text(raw)
        if column.value_set == "icd-10":
            code = code.upper()
        display = self.codes.display(column.value_set, code)
        if display is None and isinstance(raw, (int, float)) and code.isdigit():
            padded = code.zfill(2)
            display = self.codes.display(column.value_set, padded)
            code = padded if display is not None else code
        if display is None:
            self.bad(column, raw, _("不在值域“%(domain)s”中") % {"domain": domain_title(column.value_set)})
            return None
        return code, display
