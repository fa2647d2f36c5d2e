"""`standardise_record` over a whole DataFrame, fast enough for a city's million records.

Same output as calling `standardise_record` on each row (a test holds the two together). Speed comes
from doing Python work once per distinct value, not once per row: names, birth dates, sexes and
addresses repeat a lot. ID numbers and mobiles are nearly all distinct, so their common clean case
(an 18-character number, an 11-digit mobile) is checked with numpy in bulk, and only the rest goes
through the scalar functions.
"""

import datetime as dt
import re
from collections.abc import Callable

import numpy as np
import pandas as pd

from weijian.linkage.standardise._text import as_text
from weijian.linkage.standardise.address import Gazetteer, parse_address
from weijian.linkage.standardise.demographics import parse_birth_date, parse_sex
from weijian.linkage.standardise.idnumber import (
    CHECK_CHARS,
    FEMALE,
    MALE,
    USABLE_STATUSES,
    VALID,
    WEIGHTS,
    check_id_number,
)
from weijian.linkage.standardise.names import REASON_NEWBORN, clean_name
from weijian.linkage.standardise.phone import FILLER_NUMBERS, normalise_phone
from weijian.linkage.standardise.record import REASON_ID_OTHER_PERSON, STANDARDISED_COLUMNS, newborn_id_cutoff

_WEIGHTS = np.array(WEIGHTS, dtype=np.int64)
_CHECK_BYTES = np.frombuffer(CHECK_CHARS.encode(), dtype=np.uint8)
_CLEAN_ID = re.compile(r"\d{17}[\dX]", re.ASCII)
_CLEAN_MOBILE = re.compile(r"1[3-9]\d{9}", re.ASCII)
# How sources write a mobile besides its bare digits: "+86 139 1234 5678", "139-1234-5678", "+8613912345678".
_FORMATTED_MOBILE = re.compile(r"(?:\+86 ?)?(1[3-9]\d)([- ]?)(\d{4})\2(\d{4})", re.ASCII)
_DAYS_IN_MONTH = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])


def standardise_frame(df: pd.DataFrame, gazetteer: Gazetteer | None = None, *,
                      today: dt.date | None = None) -> pd.DataFrame:
    """Standardise every row of `df` (columns as `standardise_record`'s keys; any may be absent).

    Returns a frame with `STANDARDISED_COLUMNS`, on `df`'s index."""
    today = today or dt.date.today()
    n = len(df)

    def column(key: str) -> pd.Series:
        return df[key] if key in df.columns else pd.Series([None] * n, index=df.index, dtype=object)

    out: dict[str, np.ndarray] = {key: _text_column(column(key))
                                  for key in ("record_id", "source", "local_id")}

    names, name_codes = _per_distinct(column("name"), clean_name)
    for key, attribute in (("name", "name"), ("surname", "surname"), ("given_name", "given_name"),
                           ("name_pinyin", "pinyin_text"), ("name_pinyin_key", "pinyin_key"),
                           ("surname_pinyin", "surname_pinyin"), ("newborn_of", "newborn_of"),
                           ("newborn_surname", "newborn_surname"), ("birth_order", "birth_order")):
        out[key] = _field(names, attribute, str)[name_codes]
    out["placeholder_name"] = _field(names, "placeholder", bool)[name_codes]
    name_problems = _field(names, "problems", tuple)[name_codes]

    ids = _id_columns(column("id_number"), today)
    out.update(id_number=ids["id_number"], id_status=ids["status"], id_birth_date=ids["birth_date"],
               id_sex=ids["sex"])

    births, birth_codes = _per_distinct(column("birth_date"), lambda v: parse_birth_date(v, today=today))
    birth_date = _item(births, 0)[birth_codes]
    birth_problem = _item(births, 1)[birth_codes]
    sexes, sex_codes = _per_distinct(column("sex"), parse_sex)
    sex = _item(sexes, 0)[sex_codes]
    sex_problem = _item(sexes, 1)[sex_codes]

    usable = np.isin(ids["status"], list(USABLE_STATUSES))
    # a newborn's placeholder name with an adult's ID: a parent's ID (see `standardise_record`)
    newborn = np.array([REASON_NEWBORN in name.problems for name in names], dtype=bool)[name_codes]
    parents_id = newborn & (ids["birth_date"] != "") & (ids["birth_date"] <= newborn_id_cutoff(today))
    consistent = (usable & ((birth_date == "") | (birth_date == ids["birth_date"]))
                  & ((sex == "") | (ids["sex"] == "") | (sex == ids["sex"])) & ~parents_id)
    from_id = consistent & (birth_date == "")
    out["birth_date"] = np.where(from_id, ids["birth_date"], birth_date)
    out["birth_date_from_id"] = from_id
    out["sex"] = np.where(from_id & (sex == ""), ids["sex"], sex)
    out["id_consistent"] = consistent

    out["phone"] = _phone_column(column("phone"))

    addresses, address_codes = _per_distinct(column("address"),
                                             lambda v: parse_address(v, gazetteer, cached=False))
    out["address"] = _field(addresses, "normalised", str)[address_codes]
    out["address_key"] = _field(addresses, "key", str)[address_codes]
    out["address_district"] = _field(addresses, "district_code", str)[address_codes]
    out["address_street"] = _field(addresses, "street_key", str)[address_codes]
    address_problems = _field(addresses, "problems", tuple)[address_codes]

    other_person = usable & ~consistent
    parts = (name_problems, ids["problems"], birth_problem, sex_problem, address_problems)
    out["problems"] = _problems(n, parts, other_person)
    return pd.DataFrame({key: out[key] for key in STANDARDISED_COLUMNS}, index=df.index)


def _per_distinct(series: pd.Series, function: Callable) -> tuple[list, np.ndarray]:
    """`function` applied once per distinct value; codes index the results row by row (missing → last)."""
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    results = [function(value) for value in uniques]
    results.append(function(None))
    codes = np.where(codes < 0, len(results) - 1, codes)
    return results, codes


def _objects(values: list) -> np.ndarray:
    # fromiter keeps each tuple as one element, where np.array would build a 2-D array from them.
    return np.fromiter(values, dtype=object, count=len(values))


def _field(results: list, attribute: str, kind: type) -> np.ndarray:
    values = [getattr(result, attribute) for result in results]
    if kind is bool:
        return np.array(values, dtype=bool)
    return _objects(values)


def _item(results: list, index: int) -> np.ndarray:
    return _objects([result[index] for result in results])


def _text_column(series: pd.Series) -> np.ndarray:
    if series.dtype.kind in "iu":
        return series.astype(str).to_numpy(dtype=object)
    values = series.to_numpy(dtype=object)
    # Identifiers are distinct per row: strip the strings directly, send only the rest through as_text.
    is_text = np.fromiter((type(v) is str for v in values), bool, len(values))
    result = np.empty(len(values), dtype=object)
    result[is_text] = _objects([v.strip() for v in values[is_text]])
    others = np.flatnonzero(~is_text)
    results, codes = _per_distinct(series.iloc[others], as_text)
    result[others] = _objects(results)[codes]
    return result


def _id_columns(series: pd.Series, today: dt.date) -> dict[str, np.ndarray]:
    n = len(series)
    values = series.to_numpy(dtype=object)
    columns = {key: np.full(n, "", dtype=object) for key in ("id_number", "status", "birth_date", "sex")}
    columns["problems"] = np.empty(n, dtype=object)
    candidates = np.flatnonzero(_matches(values, _CLEAN_ID))
    valid = candidates[_valid_ids(values[candidates], today)] if len(candidates) else candidates
    if len(valid):
        raw = values[valid].astype("S18").view(np.uint8).reshape(-1, 18)
        columns["id_number"][valid] = values[valid]
        columns["status"][valid] = VALID
        iso = np.full((len(valid), 10), ord("-"), dtype=np.uint8)
        iso[:, 0:4], iso[:, 5:7], iso[:, 8:10] = raw[:, 6:10], raw[:, 10:12], raw[:, 12:14]
        columns["birth_date"][valid] = iso.view("S10").ravel().astype("U10").astype(object)
        columns["sex"][valid] = np.where(raw[:, 16] % 2 == 1, MALE, FEMALE).astype(object)  # "0" is byte 48
        columns["problems"][valid] = _objects([()] * len(valid))
    slow = np.ones(n, dtype=bool)
    slow[valid] = False
    slow = np.flatnonzero(slow)
    # Everything else (15-digit, lower-case x, spaces, bad check characters, junk) one by one.
    checks, codes = _per_distinct(series.iloc[slow], lambda v: check_id_number(v, today=today))
    for key, attribute in (("id_number", "id_number"), ("status", "status"), ("birth_date", "birth_date"),
                           ("sex", "sex"), ("problems", "problems")):
        columns[key][slow] = _field(checks, attribute, tuple if key == "problems" else str)[codes]
    return columns


def _matches(values: np.ndarray, pattern: re.Pattern, exclude: frozenset = frozenset()) -> np.ndarray:
    fullmatch = pattern.fullmatch
    return np.fromiter((type(v) is str and fullmatch(v) is not None and v not in exclude for v in values),
                       bool, len(values))


def _valid_ids(values: np.ndarray, today: dt.date) -> np.ndarray:
    """Which 18-character numbers pass the check character and carry a real date from 1900 to today."""
    raw = values.astype("S18").view(np.uint8).reshape(-1, 18)
    digits = raw[:, :17].astype(np.int64) - 48
    checksum_ok = _CHECK_BYTES[(digits * _WEIGHTS).sum(axis=1) % 11] == raw[:, 17]
    year = digits[:, 6] * 1000 + digits[:, 7] * 100 + digits[:, 8] * 10 + digits[:, 9]
    month = digits[:, 10] * 10 + digits[:, 11]
    day = digits[:, 12] * 10 + digits[:, 13]
    return checksum_ok & _real_date(year, month, day, today)


def _phone_column(series: pd.Series) -> np.ndarray:
    values = series.to_numpy(dtype=object)
    # An 11-digit mobile needs no work: normalise_phone returns it unchanged (unless it is a filler).
    mobile = _matches(values, _CLEAN_MOBILE, exclude=FILLER_NUMBERS)
    result = np.empty(len(values), dtype=object)
    result[mobile] = values[mobile]
    # A mobile with +86, spaces or dashes: its digits, as normalise_phone reads them, at a regex's cost.
    rest = np.flatnonzero(~mobile)
    formatted = [_formatted_mobile(value) for value in values[rest]]
    found = np.fromiter((bool(phone) for phone in formatted), bool, len(rest))
    result[rest[found]] = _objects([phone for phone in formatted if phone])
    slow = rest[~found]
    phones, codes = _per_distinct(series.iloc[slow], normalise_phone)
    result[slow] = _objects(phones)[codes]
    return result


def _formatted_mobile(value) -> str:
    match = _FORMATTED_MOBILE.fullmatch(value) if type(value) is str else None
    if match is None:
        return ""
    digits = match.group(1) + match.group(3) + match.group(4)
    return "" if digits in FILLER_NUMBERS else digits


def _real_date(year: np.ndarray, month: np.ndarray, day: np.ndarray, today: dt.date) -> np.ndarray:
    """A real calendar date from 1900 to today."""
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    month_ok = (month >= 1) & (month <= 12)
    longest = _DAYS_IN_MONTH[np.clip(month, 0, 12)] + (leap & (month == 2))
    day_ok = (day >= 1) & (day <= longest)
    not_future = year * 10000 + month * 100 + day <= today.year * 10000 + today.month * 100 + today.day
    return month_ok & day_ok & (year >= 1900) & not_future


def _problems(n: int, parts: tuple[np.ndarray, ...], other_person: np.ndarray) -> list[list[str]]:
    """Each row's reasons, in `standardise_record`'s order; a fresh list per row (callers may append)."""
    name, id_problems, birth, sex, address = parts
    has = (np.fromiter(map(bool, name), bool, n) | np.fromiter(map(bool, id_problems), bool, n)
           | (birth != "") | (sex != "") | np.fromiter(map(bool, address), bool, n) | other_person)
    problems = [[] for _ in range(n)]
    for row in np.flatnonzero(has):
        found = [*name[row], *id_problems[row], birth[row], sex[row], *address[row]]
        if other_person[row]:
            found.append(REASON_ID_OTHER_PERSON)
        problems[row] = [problem for problem in found if problem]
    return problems
