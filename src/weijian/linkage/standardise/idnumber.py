"""Citizen ID numbers (GB 11643-1999) checked and canonicalised for linkage.

Layout: 6-digit region, 8-digit birth date, 3-digit sequence (odd = male), check character (ISO 7064
MOD 11-2). A 15-digit number (issued before 1999) has a 2-digit year and no check character.

A bad check character is kept, not dropped: most are one typing slip, and `repair_candidates` lists the
valid numbers one adjacent transposition (or one wrong check character) away, for a person to confirm.
"""

import datetime as dt
import re
from functools import lru_cache
from operator import mul
from typing import NamedTuple

from weijian.linkage.standardise._text import NULL_TOKENS, as_text, fold_width

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"

VALID = "valid"
LEGACY15 = "legacy15"
BAD_CHECKSUM = "bad_checksum"
BAD_DATE = "bad_date"
BAD_FORMAT = "bad_format"
MISSING = "missing"
# Statuses whose number identifies a person: a converted 15-digit number is as good as an 18-digit one.
USABLE_STATUSES = frozenset({VALID, LEGACY15})

MALE = "1"  # GB/T 2261.1
FEMALE = "2"

_SEPARATORS = re.compile(r"[\s\-'\"`_.]+")  # Excel's leading apostrophe, spaces and dashes between groups
_ID18 = re.compile(r"\d{17}[\dX]", re.ASCII)
_ID15 = re.compile(r"\d{15}", re.ASCII)

REASONS = {
    LEGACY15: "15位旧身份证号，已升为18位",
    BAD_CHECKSUM: "身份证号校验位错误",
    BAD_DATE: "身份证号中的出生日期不合法",
    BAD_FORMAT: "身份证号格式错误",
}
REASON_TRANSPOSED = "身份证号校验位错误（疑似相邻数字颠倒）"


class IdCheck(NamedTuple):
    id_number: str  # canonical 18 characters; "" when missing, bad_format or bad_date
    status: str
    birth_date: str = ""  # ISO, from the number; "" unless the number is usable
    sex: str = ""  # "1" male, "2" female
    repair_candidates: tuple[str, ...] = ()  # valid numbers one slip away, when the check character fails
    transposition_suspected: bool = False
    problems: tuple[str, ...] = ()

    @property
    def usable(self) -> bool:
        return self.status in USABLE_STATUSES


def check_digit(first17: str) -> str:
    return CHECK_CHARS[sum(map(mul, map(int, first17), WEIGHTS)) % 11]


def upgrade_legacy15(id15: str) -> str:
    """15 → 18 digits: the year gains "19" (15-digit numbers predate 2000), then a check character."""
    first17 = id15[:6] + "19" + id15[6:]
    return first17 + check_digit(first17)


def birth_date_of(first17: str, today: dt.date) -> dt.date | None:
    """The embedded birth date when it is a real date between 1900 and today, else None."""
    try:
        born = dt.date(int(first17[6:10]), int(first17[10:12]), int(first17[12:14]))
    except ValueError:
        return None
    if born.year < 1900 or born > today:
        return None
    return born


def sex_of(id18: str) -> str:
    return MALE if int(id18[16]) % 2 else FEMALE


def clean_id_text(raw) -> str:
    """Full-width digits folded, separators dropped, lower 'x' raised."""
    return _SEPARATORS.sub("", fold_width(as_text(raw))).upper()


def check_id_number(raw, *, today: dt.date | None = None) -> IdCheck:
    """Classify and canonicalise one ID number; any input (None, NaN, numbers) is accepted."""
    return _check(clean_id_text(raw), today or dt.date.today())


@lru_cache(maxsize=1 << 16)
def _check(text: str, today: dt.date) -> IdCheck:
    if not text or text.lower() in NULL_TOKENS:
        return IdCheck("", MISSING)
    if _ID15.fullmatch(text):
        upgraded = upgrade_legacy15(text)
        born = birth_date_of(upgraded, today)
        if born is None:
            return IdCheck("", BAD_DATE, problems=(REASONS[BAD_DATE],))
        return IdCheck(upgraded, LEGACY15, born.isoformat(), sex_of(upgraded), problems=(REASONS[LEGACY15],))
    if not _ID18.fullmatch(text):
        return IdCheck("", BAD_FORMAT, problems=(REASONS[BAD_FORMAT],))
    born = birth_date_of(text, today)
    checksum_ok = check_digit(text[:17]) == text[17]
    if born is not None and checksum_ok:
        return IdCheck(text, VALID, born.isoformat(), sex_of(text))
    transposed, recomputed = _repairs(text, today) if not checksum_ok else ((), ())
    candidates = tuple(dict.fromkeys(transposed + recomputed))
    if born is None:
        # The date alone disqualifies the number; a transposition may still explain it
        # (19902131 typed for 19901231).
        return IdCheck("", BAD_DATE, repair_candidates=candidates, transposition_suspected=bool(transposed),
                       problems=(REASONS[BAD_DATE],))
    reason = REASON_TRANSPOSED if transposed else REASONS[BAD_CHECKSUM]
    return IdCheck(text, BAD_CHECKSUM, repair_candidates=candidates, transposition_suspected=bool(transposed),
                   problems=(reason,))


def repair_candidates(raw, *, today: dt.date | None = None) -> list[str]:
    """Valid numbers one slip away from `raw` when its check character fails: adjacent transpositions
    (in position order), then the number with its check character recomputed."""
    return list(check_id_number(raw, today=today).repair_candidates)


def _repairs(id18: str, today: dt.date) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(by swapping two adjacent digits among the first 17 and keeping the check character,
    by recomputing the check character).

    MOD 11-2 catches every adjacent transposition (neighbouring weights differ and 11 is prime), so a swap
    that validates is a real explanation of the error; a candidate must also carry a real birth date."""
    body, check = id18[:17], id18[17]
    digits = list(map(int, body))
    total = sum(map(mul, digits, WEIGHTS))
    transposed = []
    for i in range(16):
        a, b = digits[i], digits[i + 1]
        if a == b:
            continue
        # Swapping positions i and i+1 moves the weighted sum by (b - a)(w_i - w_i+1): no full recount.
        if CHECK_CHARS[(total + (b - a) * (WEIGHTS[i] - WEIGHTS[i + 1])) % 11] != check:
            continue
        swapped = body[:i] + body[i + 1] + body[i] + body[i + 2:]
        if birth_date_of(swapped, today) is not None:
            transposed.append(swapped + check)
    recomputed = ()
    if birth_date_of(body, today) is not None and check_digit(body) != check:
        recomputed = (body + check_digit(body),)
    return tuple(transposed), recomputed
