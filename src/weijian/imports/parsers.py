"""Cell parsers shared by import specs. Each takes a raw cell value and returns a clean value
or raises ValueError with a Chinese reason."""

import datetime as dt

from django.db import models
from django.utils.translation import gettext as _


def text(value) -> str:
    if value.__class__ is str:
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def code(value) -> str:
    """Identifiers typed into Excel often arrive as numbers: 510104 or 5.10104E5."""
    return text(value).upper()


def date(value) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    raw = text(value).replace("/", "-").replace(".", "-")
    if len(raw) == 10 and raw[4] == "-" and raw[7] == "-":  # the template's YYYY-MM-DD: the fast, common case
        try:
            return dt.date.fromisoformat(raw)
        except ValueError:
            raise ValueError(_("日期无效，格式应为 YYYY-MM-DD")) from None
    for fmt in ("%Y-%m-%d", "%Y%m%d", "%Y-%m"):
        try:
            return dt.datetime.strptime(raw, fmt).date()
        except ValueError:
            continue
    raise ValueError(_("日期格式应为 YYYY-MM-DD"))


def choice(choices: type[models.TextChoices]):
    """Accept the Chinese label (as in the template) or the code."""
    by_label = {str(label): value for value, label in choices.choices}
    values = set(choices.values)

    def parse(value):
        raw = text(value)
        if raw in values:
            return raw
        if raw in by_label:
            return by_label[raw]
        allowed = "、".join(by_label)
        raise ValueError(f"取值无效，应为：{allowed}")

    return parse


def boolean(value) -> bool:
    raw = text(value)
    if raw in ("是", "Y", "y", "1", "TRUE", "True", "true", "有效", "在业"):
        return True
    if raw in ("否", "N", "n", "0", "FALSE", "False", "false", "无效", "停业"):
        return False
    raise ValueError(_("应为“是”或“否”"))
