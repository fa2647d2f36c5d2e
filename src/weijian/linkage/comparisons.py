"""Comparisons defined once, used twice: as Splink SQL for batch linkage and as Python for real-time scoring.

A comparison is an ordered list of levels: an optional null level first ("not comparable", weight 0), then
levels from the strongest agreement down to a final "else". Each level's condition is a small expression tree
(`Same`, `Filled`, `EditDistanceAtMost`, `And`, `Or`, `Not`, `Cross`) that renders to a DuckDB SQL condition
over `<column>_l` / `<column>_r` and evaluates the same way in Python.

Why the two evaluations agree exactly:
- Both run on the same *prepared* columns (`prepare_record`): every column is a non-null `str` ("" when
  missing), so SQL's three-valued logic never comes into play and `=`, `<>`, AND/OR/NOT behave as in Python.
  Derived values (birth year-month, day/month swap, pinyin of the given name, the ID only when usable) are
  computed here in Python once and handed to Splink as ordinary columns, never re-derived in SQL.
- String equality is code-point equality on both sides (DuckDB compares UTF-8 bytes, no collation).
- `damerau_levenshtein` is a port of DuckDB's own function (Lowrance–Wagner, counting UTF-8 *bytes*, as
  DuckDB does); tests compare it with DuckDB on thousands of random pairs. It is only used on ASCII columns
  (pinyin, ID numbers, dates), never on Chinese text, where a byte distance would be meaningless.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

# --------------------------------------------------------------------------------------------------------
# Prepared columns
# --------------------------------------------------------------------------------------------------------

UNIQUE_ID_COLUMN = "record_id"

#: Columns compared by the default comparisons (all `str`, "" when missing).
PREPARED_COLUMNS = (
    "name",  # simplified Chinese name; "" for newborn placeholders
    "name_key",  # pinyin key "zhangwei"; "" when name is ""
    "surname_key",  # surname pinyin without spaces; "" when name is ""
    "given_key",  # pinyin key of the given name (name_key without the surname prefix)
    "name_fuzzy",  # the name's 模糊音 key: each syllable with zh/z, in/ing … folded (`fuzzy_syllable`)
    "newborn_of",  # the parent a newborn's placeholder names (王芳 for 王芳之子), else ""
    "newborn_surname",  # the surname a newborn's placeholder gives instead of a parent (林 for 林之子), else ""
    "birth_order",  # a newborn placeholder's birth order ("1" for 之子一, twins), else ""
    "id_any",  # ID number when usable as evidence: consistent, or a typo (bad checksum/date/format)
    "id_ok",  # ID number only when id_consistent (valid and agreeing with the record's birth date/sex)
    "birth_date",  # "YYYY-MM-DD" or ""
    "birth_ym",  # "YYYY-MM" or ""
    "birth_swap",  # "YYYY-DD-MM" (day and month swapped) or ""
    "sex",  # "1", "2" or ""
    "phone",
    "address",
    "area",  # "<district>|<street>" when both are known, else ""
    "id_valid",  # ID number when valid (or a converted 15-digit one), whether or not it fits the record
    "birth_from_id",  # "1" when the standardiser read the birth date from the record's own ID, else ""
    "id_distinct",  # ID number when it proves who the record is (`distinct_id`), else ""; not compared
)

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
TYPO_ID_STATUSES = frozenset({"bad_checksum", "bad_date", "bad_format"})
VALID_ID_STATUS = "valid"  # an 18-digit ID with a valid check character and date (not a converted 15-digit one)
USABLE_ID_STATUSES = frozenset({VALID_ID_STATUS, "legacy15"})


def _missing_value(value: Any) -> bool:
    """None, NaN, NaT or pandas' NA (whose comparisons are neither true nor false)."""
    if value is None:
        return True
    try:
        return bool(value != value)
    except (TypeError, ValueError):
        return True


def text_value(value: Any) -> str:
    return "" if _missing_value(value) else str(value).strip()


def flag_value(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"true", "1", "t", "y", "yes"}
    return False if _missing_value(value) else bool(value)


# 模糊音: the confusions pinyin input methods offer to forgive, written as folds to one spelling. Initials
# first (zh → z, n → l, r → l, h → f), then finals (ang → an, eng → en, ing → in; iang and uang follow).
_FUZZY_INITIALS = (("zh", "z"), ("ch", "c"), ("sh", "s"), ("n", "l"), ("r", "l"), ("h", "f"))
_FUZZY_FINALS = (("ang", "an"), ("eng", "en"), ("ing", "in"))


@functools.lru_cache(maxsize=4096)  # a few hundred syllables make every name
def fuzzy_syllable(syllable: str) -> str:
    """One pinyin syllable with the near-homophone confusions folded: 平翘舌 (z/zh, c/ch, s/sh), n/l, r/l,
    f/h and 前后鼻音 (an/ang, en/eng, in/ing): "zheng" and "zen" both give "zen", "ming" and "min" "lin"."""
    for old, new in _FUZZY_INITIALS:
        if syllable.startswith(old):
            syllable = new + syllable[len(old):]
            break
    for old, new in _FUZZY_FINALS:
        if syllable.endswith(old):
            return syllable[: -len(old)] + new
    return syllable


def _fuzzy_key(name_pinyin: str, surname_key: str, given_key: str, name_key: str) -> str:
    """The name's 模糊音 key from its syllables (`name_pinyin`, "zhang wei"); without them, from the surname
    and given-name keys taken as one syllable each."""
    syllables = name_pinyin.split()
    if not syllables or "".join(syllables) != name_key:
        syllables = [part for part in (surname_key, given_key) if part] if surname_key else [name_key]
    return "".join(fuzzy_syllable(syllable) for syllable in syllables)


def name_columns(
    placeholder: bool, name: str, pinyin_key: str, surname_pinyin: str, name_pinyin: str
) -> tuple[str, str, str, str, str]:
    """(name, name_key, surname_key, given_key, name_fuzzy) from the standardised name fields as text."""
    name = "" if placeholder else name
    name_key = pinyin_key.replace(" ", "") if name else ""
    surname_key = surname_pinyin.replace(" ", "") if name else ""
    given_key = name_key[len(surname_key):] if surname_key and name_key.startswith(surname_key) else ""
    name_fuzzy = _fuzzy_key(name_pinyin, surname_key, given_key, name_key) if name_key else ""
    return name, name_key, surname_key, given_key, name_fuzzy


def birth_columns(birth_date: str) -> tuple[str, str]:
    """(birth_ym, birth_swap) of a birth date as text; "" unless it is YYYY-MM-DD."""
    if not _DATE.match(birth_date):
        return "", ""
    return birth_date[:7], f"{birth_date[:4]}-{birth_date[8:10]}-{birth_date[5:7]}"


def prepare_record(record: Mapping[str, Any]) -> dict[str, str]:
    """Turn one standardised record into the prepared columns both evaluators read.

    Input: the standardised-record contract (record_id, name, name_pinyin_key, surname_pinyin,
    placeholder_name, id_number, id_status, id_consistent, birth_date, birth_date_from_id, sex, phone,
    address, address_key, address_district, address_street, ...). Missing keys count as missing values.
    """
    name, name_key, surname_key, given_key, name_fuzzy = name_columns(
        flag_value(record.get("placeholder_name")),
        text_value(record.get("name")),
        text_value(record.get("name_pinyin_key")),
        text_value(record.get("surname_pinyin")),
        text_value(record.get("name_pinyin")),
    )

    id_number = text_value(record.get("id_number"))
    id_status = text_value(record.get("id_status"))
    consistent = flag_value(record.get("id_consistent"))
    # A valid ID that disagrees with the record (a parent's ID on a child's record) says nothing about this
    # person: it is left out. A malformed ID is kept for the typo level.
    id_any = id_number if id_number and (consistent or id_status in TYPO_ID_STATUSES) else ""
    id_ok = id_number if consistent else ""
    id_valid = id_number if id_status in USABLE_ID_STATUSES else ""
    birth_from_id = flag_value(record.get("birth_date_from_id"))

    birth_date = text_value(record.get("birth_date"))
    birth_ym, birth_swap = birth_columns(birth_date)

    sex = text_value(record.get("sex"))
    district = text_value(record.get("address_district"))
    street = text_value(record.get("address_street"))
    return {
        UNIQUE_ID_COLUMN: text_value(record.get(UNIQUE_ID_COLUMN)),
        "name": name,
        "name_key": name_key,
        "surname_key": surname_key,
        "given_key": given_key,
        "name_fuzzy": name_fuzzy,
        "newborn_of": text_value(record.get("newborn_of")),
        "newborn_surname": text_value(record.get("newborn_surname")),
        "birth_order": text_value(record.get("birth_order")),
        "id_any": id_any,
        "id_ok": id_ok,
        "birth_date": birth_date,
        "birth_ym": birth_ym,
        "birth_swap": birth_swap,
        "sex": sex if sex in ("1", "2") else "",
        "phone": text_value(record.get("phone")),
        # the address without its optional street (`address_key`); records standardised before it existed
        # have only the whole normalised address
        "address": text_value(record.get("address_key")) or text_value(record.get("address")),
        "area": f"{district}|{street}" if district and street else "",
        "id_valid": id_valid,
        "birth_from_id": "1" if birth_from_id else "",
        "id_distinct": distinct_id(record),
    }


def distinct_id(record: Mapping[str, Any]) -> str:
    """A standardised record's ID number when it proves whose record this is, else "" (the prepared column
    `id_distinct`): two records with different such IDs are two people, whatever their pairwise weight
    (twins look like one person with a mistyped name).

    Only an 18-digit ID with a valid check character that agrees with a birth date the record states
    itself: a 15-digit ID converted to 18 may carry a mistyped digit the old format cannot catch, and an ID
    that supplied the record's birth date was checked against nothing (a parent's ID on a child's record
    with no birth date looks consistent). Clustering (`engines.cluster`) and real-time matching
    (`mpi.matching`) never put two different values in one person automatically; a reviewer still can."""
    if (not flag_value(record.get("id_consistent")) or text_value(record.get("id_status")) != VALID_ID_STATUS
            or flag_value(record.get("birth_date_from_id"))):
        return ""
    return text_value(record.get("id_number"))


#: A name written on this many records of one person, beside another name written as often, makes the two
#: names two people (twins), not one person and a typo: see `engines.attested_names`.
ATTESTED_NAME_RECORDS = 2


# --------------------------------------------------------------------------------------------------------
# DuckDB's Damerau–Levenshtein, in Python
# --------------------------------------------------------------------------------------------------------


def damerau_levenshtein(source: str | bytes, target: str | bytes) -> int:
    """DuckDB's `damerau_levenshtein(source, target)`, reproduced step by step.

    Unrestricted Damerau–Levenshtein (Lowrance–Wagner) over UTF-8 *bytes*, as DuckDB computes it
    (extension/core_functions/scalar/string/damerau_levenshtein.cpp). A Chinese character is 3 bytes, so
    the distance between two Chinese strings is not a character distance: use it on ASCII columns only.
    """
    s = source.encode("utf-8") if isinstance(source, str) else source
    t = target.encode("utf-8") if isinstance(target, str) else target
    source_len, target_len = len(s), len(t)
    if source_len == 0:
        return target_len
    if target_len == 0:
        return source_len
    inf = source_len + target_len + 1
    distance = [[inf] * (target_len + 2) for _ in range(source_len + 2)]
    for i in range(source_len + 1):
        distance[i + 1][1] = i
    for j in range(1, target_len + 1):
        distance[1][j + 1] = j
    last_source_row: dict[int, int] = {}
    for i in range(source_len):
        last_target_col = 0
        for j in range(target_len):
            i1 = last_source_row.get(t[j], 0)
            j1 = last_target_col
            if s[i] == t[j]:
                cost = 0
                last_target_col = j + 1
            else:
                cost = 1
            distance[i + 2][j + 2] = min(
                distance[i + 1][j + 1] + cost,
                distance[i + 2][j + 1] + 1,
                distance[i + 1][j + 2] + 1,
                distance[i1][j1] + (i - i1) + 1 + (j - j1),
            )
        last_source_row[s[i]] = i + 1
    return distance[source_len + 1][target_len + 1]


def _within_one_edit(a: bytes, b: bytes) -> bool:
    """`damerau_levenshtein(a, b) <= 1` without the matrix: equal, or one substitution, insertion, deletion
    or swap of two adjacent bytes (for distance ≤ 1, restricted and unrestricted DL coincide)."""
    if a == b:
        return True
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    if la < lb:
        a, b, la, lb = b, a, lb, la
    i = 0
    while i < lb and a[i] == b[i]:
        i += 1
    if la > lb:  # one deletion from the longer string
        return a[i + 1:] == b[i:]
    if a[i + 1:] == b[i + 1:]:  # one substitution
        return True
    return i + 1 < la and a[i] == b[i + 1] and a[i + 1] == b[i] and a[i + 2:] == b[i + 2:]


# --------------------------------------------------------------------------------------------------------
# Conditions: one tree, rendered to SQL and evaluated in Python
# --------------------------------------------------------------------------------------------------------

Record = Mapping[str, str]


def _column(name: str) -> str:
    if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
        raise ValueError(f"column names are lower-case identifiers, got {name!r}")
    return name


class Condition:
    """A level condition over the prepared columns of a left and a right record."""

    def sql(self) -> str:
        raise NotImplementedError

    def test(self, left: Record, right: Record) -> bool:
        raise NotImplementedError

    def to_dict(self) -> dict[str, Any]:
        raise NotImplementedError

    def columns(self) -> set[str]:
        raise NotImplementedError


@dataclass(frozen=True)
class Same(Condition):
    """`column_l = column_r` (combine with `Filled` when "" must not count as agreement)."""

    column: str

    def __post_init__(self):
        _column(self.column)

    def sql(self) -> str:
        return f"{self.column}_l = {self.column}_r"

    def test(self, left: Record, right: Record) -> bool:
        return left[self.column] == right[self.column]

    def to_dict(self) -> dict[str, Any]:
        return {"same": self.column}

    def columns(self) -> set[str]:
        return {self.column}


@dataclass(frozen=True)
class Cross(Condition):
    """`left_column_l = right_column_r`, e.g. the swapped birth date on the left equals the birth date on the
    right. Use it in both directions (`Or`) to keep a level symmetric."""

    left_column: str
    right_column: str

    def __post_init__(self):
        _column(self.left_column)
        _column(self.right_column)

    def sql(self) -> str:
        return f"{self.left_column}_l = {self.right_column}_r"

    def test(self, left: Record, right: Record) -> bool:
        return left[self.left_column] == right[self.right_column]

    def to_dict(self) -> dict[str, Any]:
        return {"cross": [self.left_column, self.right_column]}

    def columns(self) -> set[str]:
        return {self.left_column, self.right_column}


@dataclass(frozen=True)
class Filled(Condition):
    """Both sides have a value: `column_l <> '' AND column_r <> ''`."""

    column: str

    def __post_init__(self):
        _column(self.column)

    def sql(self) -> str:
        return f"{self.column}_l <> '' AND {self.column}_r <> ''"

    def test(self, left: Record, right: Record) -> bool:
        return left[self.column] != "" and right[self.column] != ""

    def to_dict(self) -> dict[str, Any]:
        return {"filled": self.column}

    def columns(self) -> set[str]:
        return {self.column}


@dataclass(frozen=True)
class EditDistanceAtMost(Condition):
    """`damerau_levenshtein(column_l, column_r) <= distance` — DuckDB's function, byte-counting (the SQL
    spares most pairs the function, see `sql`)."""

    column: str
    distance: int

    def __post_init__(self):
        _column(self.column)
        if self.distance < 0:
            raise ValueError("distance must be >= 0")

    def sql(self) -> str:
        """The same truth value as `damerau_levenshtein(l, r) <= distance`, computed only where it can hold.

        DuckDB's damerau_levenshtein costs ~10 µs a pair, which made u-sampling of 10^7 pairs take two
        minutes; cheap necessary conditions now reject most pairs first (CASE runs a THEN branch only on
        the rows its WHEN selected). Both hold for the byte distance of any two UTF-8 strings, though they
        count characters (code points): one byte operation changes the number of characters by at most
        one, so the distance is at least the difference in length; and one edit that leaves valid UTF-8
        alters at most two adjacent characters, so the common prefix and suffix together span all but two
        characters of the longer string, and one of them spans k = (longest - 2) // 2 characters (tests
        compare this with DuckDB's function on thousands of random Chinese and ASCII pairs)."""
        a, b, d = f"{self.column}_l", f"{self.column}_r", int(self.distance)
        exact = f"damerau_levenshtein({a}, {b}) <= {d}"
        length_differs = f"abs(length({a}) - length({b})) > {d}"
        if d != 1:
            return f"CASE WHEN {length_differs} THEN FALSE ELSE {exact} END"
        k = f"greatest((greatest(length({a}), length({b})) - 2) // 2, 0)"
        return (
            f"CASE WHEN {length_differs} THEN FALSE "
            f"WHEN left({a}, {k}) <> left({b}, {k}) AND right({a}, {k}) <> right({b}, {k}) THEN FALSE "
            f"ELSE {exact} END"
        )

    def test(self, left: Record, right: Record) -> bool:
        a, b = left[self.column].encode("utf-8"), right[self.column].encode("utf-8")
        if self.distance == 1:
            return _within_one_edit(a, b)
        return damerau_levenshtein(a, b) <= self.distance

    def to_dict(self) -> dict[str, Any]:
        return {"dl_at_most": [self.column, self.distance]}

    def columns(self) -> set[str]:
        return {self.column}


@dataclass(frozen=True)
class And(Condition):
    parts: tuple[Condition, ...]

    def __init__(self, *parts: Condition):
        if len(parts) < 2:
            raise ValueError("And needs at least two parts")
        object.__setattr__(self, "parts", tuple(parts))

    def sql(self) -> str:
        return " AND ".join(f"({part.sql()})" for part in self.parts)

    def test(self, left: Record, right: Record) -> bool:
        return all(part.test(left, right) for part in self.parts)

    def to_dict(self) -> dict[str, Any]:
        return {"and": [part.to_dict() for part in self.parts]}

    def columns(self) -> set[str]:
        return set().union(*(part.columns() for part in self.parts))


@dataclass(frozen=True)
class Or(Condition):
    parts: tuple[Condition, ...]

    def __init__(self, *parts: Condition):
        if len(parts) < 2:
            raise ValueError("Or needs at least two parts")
        object.__setattr__(self, "parts", tuple(parts))

    def sql(self) -> str:
        return " OR ".join(f"({part.sql()})" for part in self.parts)

    def test(self, left: Record, right: Record) -> bool:
        return any(part.test(left, right) for part in self.parts)

    def to_dict(self) -> dict[str, Any]:
        return {"or": [part.to_dict() for part in self.parts]}

    def columns(self) -> set[str]:
        return set().union(*(part.columns() for part in self.parts))


@dataclass(frozen=True)
class Not(Condition):
    part: Condition

    def sql(self) -> str:
        return f"NOT ({self.part.sql()})"

    def test(self, left: Record, right: Record) -> bool:
        return not self.part.test(left, right)

    def to_dict(self) -> dict[str, Any]:
        return {"not": self.part.to_dict()}

    def columns(self) -> set[str]:
        return self.part.columns()


def condition_from_dict(data: Mapping[str, Any]) -> Condition:
    """Inverse of `Condition.to_dict()` (used by the model artefact)."""
    if len(data) != 1:
        raise ValueError(f"a condition has exactly one key, got {sorted(data)}")
    ((op, arg),) = data.items()
    match op:
        case "same":
            return Same(arg)
        case "cross":
            return Cross(*arg)
        case "filled":
            return Filled(arg)
        case "dl_at_most":
            return EditDistanceAtMost(arg[0], int(arg[1]))
        case "and":
            return And(*(condition_from_dict(part) for part in arg))
        case "or":
            return Or(*(condition_from_dict(part) for part in arg))
        case "not":
            return Not(condition_from_dict(arg))
    raise ValueError(f"unknown condition {op!r}")


# --------------------------------------------------------------------------------------------------------
# Levels and comparisons
# --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Level:
    """One level. `condition=None` is the final "else"; `is_null=True` marks the "not comparable" level."""

    label: str  # short English label, Splink's label_for_charts
    title: str  # Chinese label for the review page
    condition: Condition | None
    is_null: bool = False

    def sql(self) -> str:
        return "ELSE" if self.condition is None else self.condition.sql()

    def test(self, left: Record, right: Record) -> bool:
        return True if self.condition is None else self.condition.test(left, right)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"label": self.label, "title": self.title}
        if self.is_null:
            data["is_null"] = True
        data["condition"] = None if self.condition is None else self.condition.to_dict()
        data["sql"] = self.sql()  # informative: regenerated from the condition on load
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Level:
        condition = data.get("condition")
        return cls(
            label=data["label"],
            title=data.get("title", data["label"]),
            condition=None if condition is None else condition_from_dict(condition),
            is_null=bool(data.get("is_null", False)),
        )


@dataclass(frozen=True)
class ComparisonSpec:
    """A named comparison: levels in evaluation order (null level first, then strongest → else)."""

    name: str  # Splink output_column_name (gamma_<name>, mw_<name>)
    title: str
    levels: tuple[Level, ...]

    def __post_init__(self):
        _column(self.name)
        levels = self.levels
        if len(levels) < 2:
            raise ValueError(f"{self.name}: a comparison needs at least two levels")
        if levels[-1].condition is not None or levels[-1].is_null:
            raise ValueError(f"{self.name}: the last level must be the non-null else level")
        if any(level.condition is None for level in levels[:-1]):
            raise ValueError(f"{self.name}: only the last level may be an else level")
        if any(level.is_null for level in levels[1:]):
            raise ValueError(f"{self.name}: the null level, if any, must come first")
        if len(self.non_null_indexes) < 2:
            raise ValueError(f"{self.name}: at least two non-null levels are needed")
        if len({level.label for level in levels}) != len(levels):
            raise ValueError(f"{self.name}: level labels must be unique")

    @property
    def non_null_indexes(self) -> tuple[int, ...]:
        return tuple(i for i, level in enumerate(self.levels) if not level.is_null)

    @property
    def columns(self) -> set[str]:
        return set().union(*(level.condition.columns() for level in self.levels if level.condition))

    def level(self, left: Record, right: Record) -> int:
        """Index (into `levels`) of the first level whose condition holds: SQL CASE WHEN semantics."""
        for index, level in enumerate(self.levels):
            if level.test(left, right):
                return index
        raise AssertionError("unreachable: the last level is ELSE")

    def gamma(self, index: int) -> int:
        """Splink's comparison vector value of a level: -1 for null, else counting down to 0 for ELSE."""
        if self.levels[index].is_null:
            return -1
        return len(self.levels) - 1 - index

    def index_of_gamma(self, gamma: int) -> int:
        if gamma == -1:
            if not self.levels[0].is_null:
                raise ValueError(f"{self.name} has no null level")
            return 0
        return len(self.levels) - 1 - gamma

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "title": self.title, "levels": [level.to_dict() for level in self.levels]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ComparisonSpec:
        return cls(
            name=data["name"],
            title=data.get("title", data["name"]),
            levels=tuple(Level.from_dict(level) for level in data["levels"]),
        )

    def splink_comparison(
        self,
        m: Sequence[float | None] | None = None,
        u: Sequence[float | None] | None = None,
    ) -> dict[str, Any]:
        """This comparison as a Splink comparison dict (what `cl.CustomComparison(**d)` takes), with the
        m and u probabilities of each level when given (None for the null level)."""
        levels = []
        for index, level in enumerate(self.levels):
            entry: dict[str, Any] = {"sql_condition": level.sql(), "label_for_charts": level.label}
            if level.is_null:
                entry["is_null_level"] = True
            else:
                if m is not None:
                    entry["m_probability"] = m[index]
                if u is not None:
                    entry["u_probability"] = u[index]
            levels.append(entry)
        return {"output_column_name": self.name, "comparison_levels": levels}


def levels_for_pair(
    comparisons: Sequence[ComparisonSpec], left: Record, right: Record
) -> tuple[int, ...]:
    """Level index of every comparison for one pair of *prepared* records."""
    return tuple(spec.level(left, right) for spec in comparisons)


# --------------------------------------------------------------------------------------------------------
# The default comparisons for the master patient index
# --------------------------------------------------------------------------------------------------------


def _missing(column: str) -> Condition:
    return Not(Filled(column))


def _agree(column: str) -> Condition:
    return And(Filled(column), Same(column))


def _either(column: str) -> Condition:
    """At least one side has a value (the opposite of both being "")."""
    return Not(And(Same(column), Not(Filled(column))))


# Twins named as newborns: 王芳之子一 and 王芳之子二 are two babies, however much else they share.
_BIRTH_ORDER_DIFFERS = And(Filled("birth_order"), Not(Same("birth_order")))

NAME = ComparisonSpec(
    name="name",
    title="姓名",
    levels=(
        # Two placeholders say something when both name the parent or give the same surname, or when their
        # birth orders differ. 王芳之子 against 林之子 or 男婴 is the same baby written two ways as often as not,
        # and so is 林之子 against 王之子 (the father's surname, the mother's): neither counts against.
        Level("name missing or placeholder", "缺失或新生儿占位名",
              Not(Or(Filled("name"), Filled("newborn_of"), _agree("newborn_surname"), _BIRTH_ORDER_DIFFERS)),
              is_null=True),
        Level("exact name", "姓名相同", _agree("name")),
        Level("same pinyin", "同音（拼音相同）", _agree("name_key")),
        # Not "given name within one pinyin edit": 萍/颖 (ping/ying) or 敏/民 … are one edit apart by chance,
        # and twins or siblings with such names share everything else. The confusions people make are these.
        Level("near-homophone (模糊音)", "近音（模糊音相同）", _agree("name_fuzzy")),
        # before the placeholder agreements, so twins of one mother never reach them
        Level("newborn placeholders, another birth order (twins)", "新生儿占位名，胎次不同（双胞胎）",
              _BIRTH_ORDER_DIFFERS),
        Level("newborn placeholders naming one parent", "新生儿占位名，父母姓名相同", _agree("newborn_of")),
        Level("newborn placeholders with one surname", "新生儿占位名，姓氏相同", _agree("newborn_surname")),
        Level("different name", "姓名不同", None),
    ),
)

_SAME_ID_SAME_NAME = And(_agree("id_valid"), _agree("name_fuzzy"))

ID_NUMBER = ComparisonSpec(
    name="id_number",
    title="身份证号",
    levels=(
        # Also no evidence: one ID on two records whose names are plainly different (not even 模糊音) when
        # a birth date is missing. A parent's ID typed on a child's record passes every check when the
        # record has no birth date of its own; with both birth dates there, it would have failed one.
        Level(
            "ID missing or not this person's",
            "缺失或与本人信息不符",
            Or(
                And(_missing("id_any"), Not(_SAME_ID_SAME_NAME)),
                And(Filled("name_fuzzy"), Not(Same("name_fuzzy")), Same("id_any"),
                    Or(_missing("birth_date"), _either("birth_from_id"))),
            ),
            is_null=True,
        ),
        Level("same valid ID", "身份证号相同且有效", _agree("id_ok")),
        # A valid ID that disagrees with its record's birth date or sex is left out above (it may be a
        # parent's), unless both records carry it under the same name: then the birth date or sex was
        # mistyped, not the ID.
        Level("same valid ID, same name, a birth date or sex mistyped", "身份证号与姓名相同（出生日期或性别录入有误）",
              _SAME_ID_SAME_NAME),
        Level("ID within 1 edit (typo)", "身份证号相差一位（录入错误）", EditDistanceAtMost("id_any", 1)),
        Level("different ID", "身份证号不同", None),
    ),
)

BIRTH_DATE = ComparisonSpec(
    name="birth_date",
    title="出生日期",
    levels=(
        # A birth date read from a record's own ID is no second piece of evidence when the IDs are compared
        # too (a parent's ID on a child's record would count twice); against a record without an ID it is.
        Level(
            "birth date missing",
            "缺失",
            Or(_missing("birth_date"), And(_either("birth_from_id"), Filled("id_any"))),
            is_null=True,
        ),
        Level("exact birth date", "出生日期相同", Same("birth_date")),
        Level("same year and month", "年月相同", _agree("birth_ym")),
        Level(
            "day and month swapped",
            "日月颠倒",
            And(Filled("birth_swap"), Or(Cross("birth_swap", "birth_date"), Cross("birth_date", "birth_swap"))),
        ),
        Level("birth date within 1 edit", "相差一位数字", EditDistanceAtMost("birth_date", 1)),
        Level("different birth date", "出生日期不同", None),
    ),
)

SEX = ComparisonSpec(
    name="sex",
    title="性别",
    levels=(
        Level("sex missing", "缺失", _missing("sex"), is_null=True),
        Level("same sex", "性别相同", Same("sex")),
        Level("different sex", "性别不同", None),
    ),
)

# Phone and address in ONE comparison: a household shares both, and two separate comparisons would count
# that shared evidence twice and link siblings or parent and child.
CONTACT = ComparisonSpec(
    name="contact",
    title="联系方式与住址",
    levels=(
        Level(
            "no contact data to compare",
            "无可比较的联系方式",
            And(_missing("phone"), _missing("address"), _missing("area")),
            is_null=True,
        ),
        Level("same phone and address", "电话与住址均相同", And(_agree("phone"), _agree("address"))),
        Level("same phone", "电话相同", _agree("phone")),
        # The whole address (without the optional street) names one home. The same street alone says
        # nothing for a match: true pairs share the home or have moved away (EM gives it m ≈ 0).
        Level("same address", "住址相同", _agree("address")),
        Level("different contact", "联系方式不同", None),
    ),
)

DEFAULT_COMPARISONS: tuple[ComparisonSpec, ...] = (NAME, ID_NUMBER, BIRTH_DATE, SEX, CONTACT)


# --------------------------------------------------------------------------------------------------------
# Blocking keys: the same keys for batch prediction (Splink blocking rules) and real-time candidates
# --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BlockingKey:
    """A blocking key: records sharing a non-empty key value are compared.

    The value joins `parts` with "|" when every part is non-empty, else it is missing. A part names a
    prepared column ("name_key") or, after "@", a field of the standardised record as text
    ("@birth_date"). `column` holds the value in the prepared frame (None when missing), so the Splink
    rule is simply `l.<column> = r.<column>`; the real-time key is `"<prefix>:<value>"`.
    """

    prefix: str
    title: str
    parts: tuple[str, ...]

    @property
    def column(self) -> str:
        return f"bk_{self.prefix}"

    @property
    def rule_sql(self) -> str:
        return f"l.{self.column} = r.{self.column}"

    @property
    def record_fields(self) -> tuple[str, ...]:
        return tuple(part[1:] for part in self.parts if part.startswith("@"))

    def value(self, record: Mapping[str, Any], prepared: Record) -> str | None:
        values = [text_value(record.get(part[1:])) if part.startswith("@") else prepared[part] for part in self.parts]
        return "|".join(values) if all(values) else None


BLOCKING_KEYS: tuple[BlockingKey, ...] = (
    # the raw ID, whatever its status: a parent's ID on a child still finds the parent as a candidate
    BlockingKey("id", "身份证号", ("@id_number",)),
    BlockingKey("ph", "电话", ("phone",)),
    # birth dates as standardised, i.e. also those read from the record's ID: a candidate is worth finding
    BlockingKey("nb", "姓名拼音+出生日期", ("name_key", "@birth_date")),
    BlockingKey("bd", "出生日期+区县", ("@birth_date", "@address_district")),
    BlockingKey("nd", "姓名拼音+区县", ("name_key", "@address_district")),
    # a mistyped given name of someone who moved and changed numbers: the surname and birth date still agree
    BlockingKey("sb", "姓氏+出生日期", ("surname_key", "@birth_date")),
    # one home (the address without its optional street): a newborn's placeholder record finds the baby
    BlockingKey("ad", "区县+住址", ("@address_district", "address")),
    # newborns' placeholders naming one mother (王芳之子): the baby's other records, and its twin
    BlockingKey("mo", "新生儿父母姓名", ("newborn_of",)),
)


def blocking_values(record: Mapping[str, Any], prepared: Record | None = None) -> dict[str, str | None]:
    """`{"bk_id": "1101...", "bk_ph": None, ...}` for one standardised record."""
    prepared = prepared if prepared is not None else prepare_record(record)
    return {key.column: key.value(record, prepared) for key in BLOCKING_KEYS}
