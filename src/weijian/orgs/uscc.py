"""Unified social credit code (统一社会信用代码), GB 32100-2015: 18 characters, last one a check character."""

from django.utils.translation import gettext as _

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # no I, O, S, V, Z
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def check_character(first17: str) -> str:
    total = sum(ALPHABET.index(ch) * w for ch, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def uscc_problem(code: str) -> str | None:
    """Return a Chinese reason why `code` is not a valid USCC, or None when it is."""
    if len(code) != 18:
        return _("统一社会信用代码应为18位")
    if any(ch not in ALPHABET for ch in code):
        return _("统一社会信用代码含非法字符（不得含 I、O、S、V、Z 及小写字母）")
    if check_character(code[:17]) != code[17]:
        return _("统一社会信用代码校验位错误")
    return None
