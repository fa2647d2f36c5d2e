"""`comparisons.prepare_record` and `blocking_values` over a whole DataFrame: the frame Splink sees.

The same values as preparing each row (a test holds the two together), at a city's scale. Python runs
once per distinct value, not once per row: each field is turned into text per distinct value
(`pd.factorize`), the name columns per distinct name; everything else is a column operation on NumPy
object arrays. Rows that repeat a value share one string object, which also keeps the frame small.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from weijian.linkage.comparisons import (
    BLOCKING_KEYS,
    PREPARED_COLUMNS,
    TYPO_ID_STATUSES,
    UNIQUE_ID_COLUMN,
    USABLE_ID_STATUSES,
    VALID_ID_STATUS,
    birth_columns,
    flag_value,
    name_columns,
    text_value,
)

FRAME_COLUMNS = (UNIQUE_ID_COLUMN, *PREPARED_COLUMNS, *(key.column for key in BLOCKING_KEYS))


class _Fields:
    """The standardised frame's fields as text (or flags), each computed once per distinct value."""

    def __init__(self, frame: pd.DataFrame):
        self.frame = frame
        self.rows = len(frame)
        self._codes: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._texts: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def _distinct(self, field: str) -> tuple[np.ndarray, np.ndarray]:
        """(code per row, the distinct values) of a field; a missing field is one missing value."""
        if field not in self._codes:
            if field in self.frame.columns:
                codes, uniques = pd.factorize(self.frame[field].astype(object), use_na_sentinel=False)
                uniques = np.asarray(uniques, dtype=object)
            else:
                codes, uniques = np.zeros(self.rows, dtype=np.intp), np.array([None], dtype=object)
            self._codes[field] = (codes, uniques)
        return self._codes[field]

    def text(self, field: str) -> np.ndarray:
        codes, texts = self.text_codes(field)
        return texts[codes]

    def flag(self, field: str) -> np.ndarray:
        codes, uniques = self._distinct(field)
        return np.array([flag_value(value) for value in uniques], dtype=bool)[codes]

    def text_codes(self, field: str) -> tuple[np.ndarray, np.ndarray]:
        """(code per row, text of each code): two codes may share a text ("a" and " a")."""
        if field not in self._texts:
            codes, uniques = self._distinct(field)
            self._texts[field] = (codes, _object_array(
                [value.strip() if type(value) is str else text_value(value) for value in uniques]))
        return self._texts[field]


def _object_array(values: list) -> np.ndarray:
    array = np.empty(len(values), dtype=object)
    array[:] = values
    return array


def _combined_codes(*codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One code per distinct combination of the given per-row codes, and the first row of each."""
    combined = np.zeros(len(codes[0]), dtype=np.int64)
    for part in codes:
        combined, _ = pd.factorize(combined * (int(part.max(initial=0)) + 1) + part)
    first = np.full(int(combined.max(initial=-1)) + 1, -1, dtype=np.int64)
    first[combined[::-1]] = np.arange(len(combined) - 1, -1, -1)
    return combined, first


def _name_frame(fields: _Fields) -> dict[str, np.ndarray]:
    parts = [fields._distinct("placeholder_name")[0]]
    texts = {}
    for field in ("name", "name_pinyin_key", "surname_pinyin", "name_pinyin"):
        codes, texts[field] = fields.text_codes(field)
        parts.append(codes)
    combined, first = _combined_codes(*parts)
    placeholder = fields.flag("placeholder_name")
    per_name = [
        name_columns(
            bool(placeholder[row]),
            *(texts[field][fields._distinct(field)[0][row]]
              for field in ("name", "name_pinyin_key", "surname_pinyin", "name_pinyin")),
        )
        for row in first
    ]
    names = ("name", "name_key", "surname_key", "given_key", "name_fuzzy")
    return {column: _object_array([values[i] for values in per_name])[combined] for i, column in enumerate(names)}


def _keep_where(mask: np.ndarray, values: np.ndarray, other: object = "") -> np.ndarray:
    out = np.full(len(values), other, dtype=object)
    out[mask] = values[mask]
    return out


def _joined(parts: list[np.ndarray]) -> np.ndarray:
    """parts joined with "|" where every part is non-empty, else None."""
    mask = np.ones(len(parts[0]), dtype=bool)
    for part in parts:
        mask &= part != ""
    joined = parts[0][mask]
    for part in parts[1:]:
        joined = joined + "|" + part[mask]
    out = np.full(len(parts[0]), None, dtype=object)
    out[mask] = joined
    return out


def prepared_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """Standardised records (a DataFrame of `STANDARDISED_COLUMNS`; any may be absent) → `FRAME_COLUMNS`:
    the prepared comparison columns ("" when missing) and the blocking keys (None when missing)."""
    fields = _Fields(frame)
    out: dict[str, np.ndarray] = {UNIQUE_ID_COLUMN: fields.text(UNIQUE_ID_COLUMN), **_name_frame(fields)}

    id_number, consistent = fields.text("id_number"), fields.flag("id_consistent")
    id_status = fields.text("id_status")
    typo = np.isin(id_status, list(TYPO_ID_STATUSES))
    out["id_any"] = _keep_where((id_number != "") & (consistent | typo), id_number)
    out["id_ok"] = _keep_where(consistent, id_number)

    birth_date = fields.text("birth_date")
    codes, texts = fields.text_codes("birth_date")
    per_date = [birth_columns(text) for text in texts]
    out["birth_date"] = birth_date
    out["birth_ym"] = _object_array([ym for ym, _swap in per_date])[codes]
    out["birth_swap"] = _object_array([swap for _ym, swap in per_date])[codes]

    sex = fields.text("sex")
    out["sex"] = _keep_where((sex == "1") | (sex == "2"), sex)
    out["phone"] = fields.text("phone")
    address_key = fields.text("address_key")
    out["address"] = np.where(address_key != "", address_key, fields.text("address"))
    district, street = fields.text("address_district"), fields.text("address_street")
    area = _joined([district, street])
    out["area"] = np.where(area == None, "", area)  # noqa: E711 (elementwise on an object array)
    out["id_valid"] = _keep_where(np.isin(id_status, list(USABLE_ID_STATUSES)), id_number)
    out["newborn_of"] = fields.text("newborn_of")
    out["newborn_surname"] = fields.text("newborn_surname")
    out["birth_order"] = fields.text("birth_order")
    birth_from_id = fields.flag("birth_date_from_id")
    out["birth_from_id"] = np.where(birth_from_id, "1", "").astype(object)
    # `comparisons.distinct_id`, row by row
    out["id_distinct"] = _keep_where(consistent & (id_status == VALID_ID_STATUS) & ~birth_from_id, id_number)

    for key in BLOCKING_KEYS:
        out[key.column] = _joined([fields.text(part[1:]) if part.startswith("@") else out[part]
                                   for part in key.parts])
    return pd.DataFrame({column: out[column] for column in FRAME_COLUMNS}, index=range(len(frame)),
                        dtype=object)
