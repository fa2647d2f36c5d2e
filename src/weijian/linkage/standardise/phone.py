"""Chinese phone numbers reduced to bare digits, so that "+86 138-0013-8000" equals "13800138000".

Mobile: 11 digits, 1[3-9]. Landline: area code with its 0 (010, 02x + 8 digits; 0xxx + 7-8 digits),
extension dropped. A bare local number (7-8 digits) is kept as typed. Anything else is "": a wrong
phone that agrees by chance (00000000, 12345678) is worse than none.
"""

import re
from functools import lru_cache

from weijian.linkage.standardise._text import as_text, fold_width

_MOBILE = re.compile(r"1[3-9]\d{9}", re.ASCII)
_LANDLINE = re.compile(r"0(?:10|2\d)[2-9]\d{7}|0[3-9]\d{2}[2-9]\d{6,7}", re.ASCII)
_LOCAL = re.compile(r"[2-9]\d{6,7}", re.ASCII)
_EXTENSION = re.compile(r"(转|分机|ext\.?|extension|x|#).*$", re.IGNORECASE)
_COUNTRY = re.compile(r"^[(（]?\s*(?:\+|00)\s*86\s*[)）]?|^86(?=[\s\-)])")
_SEVERAL = re.compile(r"[/,;，；、|]|或")
FILLER_NUMBERS = frozenset({"13800138000", "13888888888", "13900000000", "13800000000"})
_DIGITS = re.compile(r"\d+", re.ASCII)


def normalise_phone(raw, *, default_area_code: str = "") -> str:
    """Digits of the first usable number in `raw`, or "".

    `default_area_code` (e.g. "028") completes a bare local number when the source's city is known."""
    for part in _SEVERAL.split(fold_width(as_text(raw))):
        phone = _normalise_one(part, default_area_code)
        if phone:
            return phone
    return ""


@lru_cache(maxsize=1 << 16)
def _normalise_one(text: str, default_area_code: str) -> str:
    text = _EXTENSION.sub("", text.strip())
    international = False
    match = _COUNTRY.match(text)
    if match:
        international, text = True, text[match.end():]
    groups = _DIGITS.findall(text)
    digits = "".join(groups)
    if not international and len(digits) == 13 and digits.startswith("861"):
        international, digits = True, digits[2:]
    if international and not _MOBILE.fullmatch(digits) and not digits.startswith("0"):
        digits = "0" + digits  # from abroad the area code is dialled without its 0
    if len(digits) == 12 and digits.startswith("01") and _MOBILE.fullmatch(digits[1:]):
        digits = digits[1:]  # a mobile dialled with a long-distance 0
    if len(digits) > 12 and digits.startswith("0"):
        digits = _drop_extension(groups, digits)
    if len(digits) < 7 or _looks_fake(digits):
        return ""
    if _MOBILE.fullmatch(digits) or _LANDLINE.fullmatch(digits):
        return digits
    if _LOCAL.fullmatch(digits):
        return default_area_code + digits
    return ""


def _drop_extension(groups: list[str], digits: str) -> str:
    """"028-88888888-123": an extension typed as a third group; cut where a whole landline ends."""
    ends = set()
    total = 0
    for group in groups:
        total += len(group)
        ends.add(total)
    for length in (11, 12):
        if length in ends and _LANDLINE.fullmatch(digits[:length]):
            return digits[:length]
    return digits


def _looks_fake(digits: str) -> bool:
    """All one digit (00000000), a run (12345678, 87654321), or a number typed as filler (13800138000 is
    China Mobile's service line and every form's example)."""
    if len(set(digits)) == 1 or digits in FILLER_NUMBERS:
        return True
    steps = {(int(b) - int(a)) % 10 for a, b in zip(digits, digits[1:], strict=False)}
    return steps == {1} or steps == {9}
