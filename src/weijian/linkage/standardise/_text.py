"""Text helpers shared by the standardisers: missing values, full-width folding, traditional → simplified."""

import math
import unicodedata
from functools import lru_cache

# Values that hospitals type when they have nothing to say; treated exactly like an empty cell.
NULL_TOKENS = frozenset({"无", "不详", "未知", "空", "暂无",
                         "null", "none", "nan", "nat", "n/a", "na", "-", "--", "/", "\\"})

_converter = None
_trad_chars: frozenset[str] | None = None


def is_missing(value) -> bool:
    """None, NaN, pandas NA/NaT: the library must not import pandas for scalar work, so check by duck type."""
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    return type(value).__name__ in ("NAType", "NaTType")


def as_text(value) -> str:
    """Any cell as stripped text; integral floats lose ".0" (pandas makes int columns with gaps float)."""
    if is_missing(value):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def fold_width(text: str) -> str:
    """NFKC: full-width digits, letters and punctuation become their half-width forms."""
    return unicodedata.normalize("NFKC", text)


def _load_converter():
    # opencc reads its dictionaries on first use (~0.3 s): only pay for it when a record needs it.
    global _converter, _trad_chars
    if _converter is None:
        import opencc

        converter = opencc.OpenCC("t2s")
        converter.convert("")
        chars: set[str] = set()
        for group in converter._dict_chain_data:
            for _max_len, _min_len, mapping in group:
                for key, value in mapping.items():
                    first = value.split(" ")[0]
                    if len(key) == len(first):
                        chars.update(a for a, b in zip(key, first, strict=True) if a != b)
                    else:
                        chars.update(key)
        _trad_chars = frozenset(chars)
        _converter = converter
    return _converter


@lru_cache(maxsize=1 << 16)
def _convert(text: str) -> str:
    return _load_converter().convert(text)


def to_simplified(text: str) -> str:
    """Traditional → simplified (OpenCC t2s).

    The pure-Python converter costs ~10 µs per name and ~70 µs per address, so text holding no character
    that t2s would change is returned as is: a conversion changes only characters in `_trad_chars`."""
    if not text:
        return text
    if _trad_chars is None:
        _load_converter()
    if _trad_chars.isdisjoint(text):
        return text
    return _convert(text)
