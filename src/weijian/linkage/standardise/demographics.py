"""Birth date and sex as typed by the source, made ISO and GB/T 2261.1."""

import datetime as dt
import re
from functools import lru_cache

from weijian.linkage.standardise._text import NULL_TOKENS, as_text, fold_width, is_missing

MALE, FEMALE = "1", "2"  # GB/T 2261.1

_SEPARATED = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[\sT].*)?", re.ASCII)
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})(?:[\sT].*)?", re.ASCII)

_SEX = {
    "男": MALE, "男性": MALE, "m": MALE, "male": MALE, "1": MALE,
    "女": FEMALE, "女性": FEMALE, "f": FEMALE, "female": FEMALE, "2": FEMALE,
}
# GB/T 2261.1's 0 (未知的性别) and 9 (未说明的性别) and their spellings: unknown, but nothing wrong.
_SEX_UNKNOWN = frozenset({"0", "9", "u", "unknown", "未知的性别", "未说明的性别", "未说明"})

REASON_BAD_BIRTH_DATE = "出生日期不合法"
REASON_BAD_SEX = "性别无法识别"


def parse_birth_date(raw, *, today: dt.date | None = None) -> tuple[str, str]:
    """(ISO date or "", Chinese reason or ""). Accepts 1990-01-02, 1990/1/2, 19900102, 1990年1月2日,
    date and datetime objects; a date must be real, from 1900 on, and not in the future."""
    today = today or dt.date.today()
    if is_missing(raw):
        return "", ""
    if isinstance(raw, dt.datetime):
        raw = raw.date()
    if isinstance(raw, dt.date):
        return _checked(raw, today)
    return _parse_text(fold_width(as_text(raw)), today)


@lru_cache(maxsize=1 << 16)
def _parse_text(text: str, today: dt.date) -> tuple[str, str]:
    if not text or text.lower() in NULL_TOKENS:
        return "", ""
    match = _SEPARATED.fullmatch(text) or _COMPACT.fullmatch(text)
    if not match:
        return "", REASON_BAD_BIRTH_DATE
    try:
        born = dt.date(*map(int, match.groups()))
    except ValueError:
        return "", REASON_BAD_BIRTH_DATE
    return _checked(born, today)


def _checked(born: dt.date, today: dt.date) -> tuple[str, str]:
    if born.year < 1900 or born > today:
        return "", REASON_BAD_BIRTH_DATE
    return born.isoformat(), ""


def parse_sex(raw) -> tuple[str, str]:
    """("1" male / "2" female / "" unknown, Chinese reason or "")."""
    return _parse_sex(fold_width(as_text(raw)).lower())


@lru_cache(maxsize=1024)
def _parse_sex(text: str) -> tuple[str, str]:
    if text in _SEX:
        return _SEX[text], ""
    if not text or text in NULL_TOKENS or text in _SEX_UNKNOWN:
        return "", ""
    return "", REASON_BAD_SEX
