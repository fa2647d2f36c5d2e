"""Synthetic Chinese residents with known truth, for measuring record linkage (and for the demo city).

Everyone here is made up. Names come from Faker's zh_CN data (surnames by their real frequency, Faker's
given names, and two-character given names composed from the same characters plus common name
characters), ID numbers are built the way Faker's zh_CN `ssn()` builds them (a region code from its list
or from the synthetic city, the birth date, a sequence number whose parity is the sex, the GB 11643
check character), mobiles use Faker's zh_CN prefixes. Faker itself is not called per row: drawing from
its data with NumPy is what makes a million records take seconds.

    frame = generate(100_000, seed=1, mix="ordinary")       # raw records + truth
    pairwise_scores(predicted_clusters, truth)               # precision, recall, F1 over record pairs
    gazetteer()                                              # the synthetic city's divisions, for parsing

**The city.** 成都市's 20 county-level divisions (real GB/T 2260 codes) with made-up 街道/镇 (9-digit
codes `<district>001`…), roads and villages. `gazetteer()` returns them as a `standardise.Gazetteer`.

**Residents** live in households (shares of households):

| household | share | members |
|---|---|---|
| one adult | 20% | 18–92 |
| couple | 17% | |
| couple + one child | 27% | children 0 to (mother's age − 20) |
| couple + two children | 14% | twins in `twin_share` of them |
| three generations | 12% | couple, child, the husband's parent |
| mother + child | 4% | |
| elderly couple | 6% | 60–95 |

A household shares its address. Adults have their own mobile; a child's contact phone is the mother's
(75%) or the father's; a grandparent gives the son's phone half the time; elderly couples share a
landline in 40% of households. So siblings, twins and parent–child pairs share phone *and* address.
Children take the father's surname (92%). Twins share birth date, household, ID region and have
sequence numbers one or two apart; their given names share the first character (70%) or are two
different one-character names. Newborns (`newborn_share` of residents, under one year old) carry a
placeholder name (王芳之子, 张之女, 新生儿, 男婴, twins 王芳之子一/二) on `newborn_placeholder` of their
records, usually no ID, sometimes the mother's.

**Records.** Each resident has 1–5 records (35/30/20/10/5%; newborns at least two), each from one of
`sources` (a resident can be registered twice at one source). Every record gets the resident's true
values, then independent errors at the mix's rates (per record unless the table says otherwise, in this
order; an error that does not apply to a record, e.g. a swap of day and month when the day is above 12,
is skipped). A new phone number or a move happens once in a resident's life, so the records from after
it agree with each other (and none happens between a newborn's records, weeks apart):

| error | ordinary | hard |
|---|---|---|
| given-name character replaced by a homophone (同音字: 伟→维) | 2% | 5% |
| … by a near-homophone (in/ing, en/eng, an/ang, z/zh, c/ch, s/sh, n/l, f/h) | 1% | 3% |
| … by an unrelated character | 0.3% | 1% |
| name in traditional characters | 1% | 3% |
| name with a space, a dot or a remark ("李四（急诊）") | 1% | 2% |
| name missing | 0.3% | 0.5% |
| ID missing: adults / children under 16 (newborns: 85%) | 5% / 30% | 10% / 40% |
| a parent's ID on a child's record (under 16; newborns: 30%) | 10% | 25% |
| two adjacent ID digits transposed | 1% | 3% |
| one ID digit mistyped | 1% | 2% |
| wrong check character | 0.3% | 1% |
| legacy 15-digit ID (born 1983 or before) | 3% | 10% |
| ID formatting (lower-case x, spaces, full-width digits) | 1% | 2% |
| birth date missing | 2% | 3% |
| day and month swapped | 0.5% | 2% |
| one birth-date digit mistyped (still a real date) | 1% | 3% |
| sex missing / wrong | 1% / 0.2% | 2% / 0.5% |
| phone missing | 5% | 8% |
| phone number replaced (per number; each record from before or after, 50/50) | 15% | 30% |
| another household member's phone | 3% | 8% |
| one phone digit mistyped | 0.5% | 1% |
| address missing | 5% | 6% |
| household moved (per household; each record from before or after, 50/50) | 15% | 30% |
| twins (given names never sound the same): share of two-child families | 3% | 10% |
| newborns: share of residents / of their records with a placeholder name | 1% / 80% | 3% / 90% |

The hard mix makes the confusing errors two to three times as common (homophones, transposed and
legacy IDs, parents' IDs, twins, newborns, moves and new numbers) and fields a little more often missing;
a pair of records with nothing left to compare is no test of a linker, only of the generator.

Formats differ by source, as raw exports do: sex as 男/女 or 1/2, birth dates as 1990-01-02, 19900102
or 1990/1/2, phones with dashes or +86, addresses with or without 四川省/成都市 and with the 街道 on a
quarter of records. None of this is an error: the standardiser undoes it.

Columns: `record_id`, `source`, `local_id`, `name`, `id_number`, `sex`, `birth_date`, `phone`,
`address` (all text, "" when missing: what `standardise_frame` accepts), then `truth` (the resident),
`household` and `tags` (comma-separated: the errors applied to the record, plus `twin`, `newborn`,
`child` where they apply).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd
from faker.providers.person.zh_CN import Provider as _FakerNames
from faker.providers.phone_number.zh_CN import Provider as _FakerPhones
from faker.providers.ssn.zh_CN import Provider as _FakerSsn

from weijian.linkage.standardise.address import Gazetteer

RAW_COLUMNS = ("record_id", "source", "local_id", "name", "id_number", "sex", "birth_date", "phone", "address")
COLUMNS = (*RAW_COLUMNS, "truth", "household", "tags")


# --------------------------------------------------------------------------------------------------------
# Error mixes
# --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Mix:
    """Rates of one error mix: per record unless said otherwise (see the module's table); `phone_changed`
    is per phone number, `address_moved` per household."""

    twin_share: float  # of two-child families
    newborn_share: float  # of residents
    newborn_placeholder: float  # of a newborn's records
    records_per_resident: tuple[float, ...]  # P(1 record), P(2), ...
    homophone: float
    near_pinyin: float
    other_char: float
    traditional: float
    name_noise: float
    name_missing: float
    id_missing_adult: float
    id_missing_child: float
    parent_id_on_child: float
    id_transposed: float
    id_digit: float
    id_check_char: float
    id_legacy15: float
    id_format: float
    birth_missing: float
    birth_swapped: float
    birth_digit: float
    sex_missing: float
    sex_wrong: float
    phone_missing: float
    phone_changed: float
    phone_household: float
    phone_digit: float
    address_missing: float
    address_moved: float

    @property
    def mean_records(self) -> float:
        return sum((k + 1) * p for k, p in enumerate(self.records_per_resident))


ORDINARY = Mix(
    twin_share=0.03, newborn_share=0.01, newborn_placeholder=0.8,
    records_per_resident=(0.35, 0.30, 0.20, 0.10, 0.05),
    homophone=0.02, near_pinyin=0.01, other_char=0.003, traditional=0.01, name_noise=0.01, name_missing=0.003,
    id_missing_adult=0.05, id_missing_child=0.30, parent_id_on_child=0.10, id_transposed=0.01, id_digit=0.01,
    id_check_char=0.003, id_legacy15=0.03, id_format=0.01,
    birth_missing=0.02, birth_swapped=0.005, birth_digit=0.01, sex_missing=0.01, sex_wrong=0.002,
    phone_missing=0.05, phone_changed=0.15, phone_household=0.03, phone_digit=0.005,
    address_missing=0.05, address_moved=0.15,
)
HARD = Mix(
    twin_share=0.10, newborn_share=0.03, newborn_placeholder=0.9,
    records_per_resident=(0.35, 0.30, 0.20, 0.10, 0.05),
    homophone=0.05, near_pinyin=0.03, other_char=0.01, traditional=0.03, name_noise=0.02, name_missing=0.005,
    id_missing_adult=0.10, id_missing_child=0.40, parent_id_on_child=0.25, id_transposed=0.03, id_digit=0.02,
    id_check_char=0.01, id_legacy15=0.10, id_format=0.02,
    birth_missing=0.03, birth_swapped=0.02, birth_digit=0.03, sex_missing=0.02, sex_wrong=0.005,
    phone_missing=0.08, phone_changed=0.30, phone_household=0.08, phone_digit=0.01,
    address_missing=0.06, address_moved=0.30,
)
MIXES: dict[str, Mix] = {"ordinary": ORDINARY, "hard": HARD}


# --------------------------------------------------------------------------------------------------------
# Sources: how each one writes the same values
# --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    code: str
    sex: tuple[str, str]  # how it writes male, female
    date: str  # "iso" 1990-01-02, "compact" 19900102, "slash" 1990/1/2
    phone: str  # "plain", "dashes" 139-1234-5678, "intl" +86 13912345678
    province_share: float  # of its addresses written with 四川省成都市 (the rest: 成都市 or none)


DEFAULT_SOURCES: tuple[Source, ...] = (
    Source("hospital-a", ("男", "女"), "iso", "plain", 0.5),
    Source("hospital-b", ("1", "2"), "compact", "dashes", 0.2),
    Source("hospital-c", ("男", "女"), "slash", "intl", 0.3),
    Source("community", ("男", "女"), "iso", "plain", 0.6),
    Source("public-health", ("男", "女"), "iso", "plain", 0.4),
)


# --------------------------------------------------------------------------------------------------------
# The synthetic city
# --------------------------------------------------------------------------------------------------------

PROVINCE = ("510000", "四川省")
CITY = ("510100", "成都市")
DISTRICTS: tuple[tuple[str, str], ...] = (
    ("510104", "锦江区"), ("510105", "青羊区"), ("510106", "金牛区"), ("510107", "武侯区"), ("510108", "成华区"),
    ("510112", "龙泉驿区"), ("510113", "青白江区"), ("510114", "新都区"), ("510115", "温江区"),
    ("510116", "双流区"), ("510117", "郫都区"), ("510118", "新津区"), ("510121", "金堂县"), ("510129", "大邑县"),
    ("510131", "蒲江县"), ("510181", "都江堰市"), ("510182", "彭州市"), ("510183", "邛崃市"), ("510184", "崇州市"),
    ("510185", "简阳市"),
)
_URBAN = 5  # the first five are the central districts: more people live there
_DISTRICT_WEIGHTS = np.array([3.0] * _URBAN + [1.5] * 7 + [0.8] * 8)
_STREET_STEMS = (
    "春熙", "书院", "合江", "督院", "盐市口", "牛市口", "沙河", "东光", "狮子山", "成龙", "柳江", "三圣", "草市",
    "西御河", "汪家拐", "少城", "新华西", "府南", "光华", "金沙", "黄田坝", "苏坡", "文家", "西安路", "抚琴",
    "荷花池", "驷马桥", "茶店子", "营门口", "天回", "浆洗街", "望江", "玉林", "火车南站", "簇桥", "红牌楼",
    "猛追湾", "双桥子", "府青", "建设", "跳蹬河", "保和", "龙泉", "大面", "十陵", "同安", "大弯", "弥牟",
    "新繁", "柳城", "涌泉", "东升", "九江", "郫筒", "犀浦", "五津", "花源", "赵镇", "晋原", "鹤山", "灌口",
    "天彭", "临邛", "崇阳", "简城", "石桥", "永宁", "清泉", "安德", "唐昌", "金马", "公平", "万春", "和盛",
)
_ROAD_STEMS = (
    "红星", "人民", "建设", "光华", "锦华", "玉林", "科华", "沙湾", "金沙", "青龙", "双林", "府青", "东风", "解放",
    "和平", "胜利", "长顺", "文化", "星辉", "天府", "剑南", "蜀都", "一环", "二环", "总府", "正兴", "龙泉",
    "清江", "石人", "营门口", "蜀汉", "同心", "幸福", "迎宾", "振兴", "学府", "枫林", "桂花", "芙蓉", "杜鹃",
    "银杏", "望江", "锦绣", "滨江", "新华", "兴隆", "育才", "友谊", "团结", "工农", "长江", "黄河", "太平",
)
_ROAD_SUFFIXES = ("路", "街", "大道", "东路", "西路", "南路", "北路", "巷")
_VILLAGE_STEMS = ("青杠", "白果", "河坝", "石板", "桂花", "大林", "高桥", "新民", "红光", "永丰", "团山", "双河",
                  "柏林", "茶园", "水井", "兴隆", "龙潭", "金桥", "马鞍", "长林")
STREETS_PER_DISTRICT = 8
ROADS_PER_DISTRICT = 24


@dataclass(frozen=True)
class City:
    streets: tuple[tuple[tuple[str, str], ...], ...]  # per district: (code, name) of its 街道/镇
    roads: tuple[tuple[str, ...], ...]  # per district
    villages: tuple[tuple[str, ...], ...]


@lru_cache(maxsize=1)
def city() -> City:
    """The synthetic city's streets, roads and villages (fixed: the same for every seed)."""
    rng = np.random.default_rng(2260)
    streets, roads, villages = [], [], []
    road_names = [stem + suffix for stem in _ROAD_STEMS for suffix in _ROAD_SUFFIXES]
    for index, (code, _name) in enumerate(DISTRICTS):
        stems = rng.choice(len(_STREET_STEMS), STREETS_PER_DISTRICT, replace=False)
        kinds = ["街道"] * STREETS_PER_DISTRICT if index < _URBAN else ["街道"] * 3 + ["镇"] * 5
        streets.append(tuple((f"{code}{k + 1:03d}", _STREET_STEMS[s] + kind)
                             for k, (s, kind) in enumerate(zip(stems, kinds, strict=True))))
        roads.append(tuple(road_names[i] for i in rng.choice(len(road_names), ROADS_PER_DISTRICT, replace=False)))
        villages.append(tuple(_VILLAGE_STEMS[i] + "村" for i in rng.choice(len(_VILLAGE_STEMS), 8, replace=False)))
    return City(tuple(streets), tuple(roads), tuple(villages))


def gazetteer() -> Gazetteer:
    """The synthetic city's divisions (province, city, 20 districts, their streets) as a `Gazetteer`."""
    rows = [(PROVINCE[0], PROVINCE[1], ""), (CITY[0], CITY[1], PROVINCE[0])]
    rows += [(code, name, CITY[0]) for code, name in DISTRICTS]
    for (district, _name), streets in zip(DISTRICTS, city().streets, strict=True):
        rows += [(code, name, district) for code, name in streets]
    return Gazetteer.from_divisions(rows)


# --------------------------------------------------------------------------------------------------------
# Names: Faker's zh_CN data, homophones and near-homophones
# --------------------------------------------------------------------------------------------------------

_SURNAMES = np.array(list(_FakerNames.last_names), dtype=object)
_SURNAME_P = np.array(list(_FakerNames.last_names.values()), dtype=float)
_SURNAME_P /= _SURNAME_P.sum()
# Characters common in given names, besides those of Faker's own one-character names.
_MALE_EXTRA = "志文博子泽轩然睿嘉晨昊天思一梓铭家国永德海东晓庆春福金荣兴成振学立光新力世中云小毅诚锐豪翔宏彬峻哲瑞" \
              "昊源朗逸航鸿骏"
_FEMALE_EXTRA = "雅欣怡涵诗雨思可紫梦语若晓美淑秀桂玉凤兰翠春海慧琳悦菲楠璐萱瑶佳嘉彤蕾馨琪妍婉月珊露晴宁思芸"


def _given_pools() -> dict[bool, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """(one-character names, characters for two-character names, Faker's two-character names) by male."""
    pools = {}
    for male, names, extra in ((True, _FakerNames.first_names_male, _MALE_EXTRA),
                               (False, _FakerNames.first_names_female, _FEMALE_EXTRA)):
        singles = [n for n in names if len(n) == 1]
        doubles = [n for n in names if len(n) == 2]
        chars = list(dict.fromkeys(singles + [c for n in doubles for c in n] + list(extra)))
        pools[male] = (np.array(singles, dtype=object), np.array(chars, dtype=object),
                       np.array(doubles, dtype=object))
    return pools


_GIVEN = _given_pools()


@lru_cache(maxsize=1)
def _common_chars() -> tuple[dict[str, tuple[str, ...]], dict[str, str]]:
    """GB 2312 level-1 characters (the 3,755 most common) by toneless pinyin, and each one's pinyin."""
    from pypinyin import lazy_pinyin

    by_pinyin: dict[str, list[str]] = {}
    pinyin_of: dict[str, str] = {}
    for hi in range(0xB0, 0xD8):
        for lo in range(0xA1, 0xFF):
            try:
                char = bytes([hi, lo]).decode("gb2312")
            except UnicodeDecodeError:
                continue
            syllable = lazy_pinyin(char)[0]
            pinyin_of[char] = syllable
            by_pinyin.setdefault(syllable, []).append(char)
    return {k: tuple(v) for k, v in by_pinyin.items()}, pinyin_of


_INITIAL_SWAPS = (("zh", "z"), ("ch", "c"), ("sh", "s"), ("z", "zh"), ("c", "ch"), ("s", "sh"), ("n", "l"),
                  ("l", "n"), ("f", "h"), ("h", "f"))
_FINAL_SWAPS = (("ing", "in"), ("eng", "en"), ("ang", "an"), ("in", "ing"), ("en", "eng"), ("an", "ang"))


def _near_syllables(syllable: str) -> list[str]:
    """Syllables one typical confusion away: 平翘舌 (z/zh, c/ch, s/sh), n/l, f/h, 前后鼻音 (in/ing …)."""
    out = []
    for old, new in _INITIAL_SWAPS:
        # "z" → "zh" only for a plain z: "zhang" starts with "z" too
        if syllable.startswith(old) and not (len(old) == 1 and old in "zcs" and syllable[1:2] == "h"):
            out.append(new + syllable[len(old):])
    for old, new in _FINAL_SWAPS:
        if syllable.endswith(old):  # "ming".endswith("in") is False: the two directions never overlap
            out.append(syllable[: -len(old)] + new)
    return out


def _replace_given_char(name: str, surname_len: int, rng: np.random.Generator, kind: str) -> str | None:
    """`name` with one given-name character replaced: by a homophone, a near-homophone or any character."""
    by_pinyin, pinyin_of = _common_chars()
    positions = list(range(surname_len, len(name)))
    if not positions:
        return None
    rng.shuffle(positions)
    for position in positions:
        char = name[position]
        syllable = pinyin_of.get(char)
        if kind == "homophone":
            candidates = [c for c in by_pinyin.get(syllable, ()) if c != char] if syllable else []
        elif kind == "near_pinyin":
            candidates = [c for s in _near_syllables(syllable) for c in by_pinyin.get(s, ())] if syllable else []
        else:
            candidates = _all_chars()
            replacement = candidates[int(rng.integers(len(candidates)))]
            if pinyin_of[replacement] != syllable:
                return name[:position] + replacement + name[position + 1:]
            continue
        if candidates:
            return name[:position] + candidates[int(rng.integers(len(candidates)))] + name[position + 1:]
    return None


@lru_cache(maxsize=1)
def _all_chars() -> tuple[str, ...]:
    return tuple(_common_chars()[1])


@lru_cache(maxsize=1)
def _to_traditional():
    import opencc

    return opencc.OpenCC("s2t").convert


# --------------------------------------------------------------------------------------------------------
# ID numbers (GB 11643), phones
# --------------------------------------------------------------------------------------------------------

_ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
_CHECK = np.array(list("10X98765432"), dtype=object)
_OTHER_REGIONS = np.array([c for c in _FakerSsn.area_codes if not c.endswith("00")], dtype=object)
_MOBILE_PREFIXES = np.array([str(p) for p in _FakerPhones.phonenumber_prefixes], dtype=object)
_EPOCH = np.datetime64("1970-01-01", "D")


def _id_numbers(regions: np.ndarray, births: np.ndarray, sequences: np.ndarray) -> np.ndarray:
    """18-character IDs from region codes (str), birth dates (datetime64[D]) and sequences (0–999)."""
    dates = np.char.replace(np.datetime_as_string(births, unit="D"), "-", "")
    seq = np.char.zfill(sequences.astype(str), 3)
    first17 = np.char.add(np.char.add(regions.astype(str), dates), seq)
    digits = first17.view(np.uint32).reshape(len(first17), 17).astype(np.int64) - 48
    checks = _CHECK[(digits * _ID_WEIGHTS).sum(axis=1) % 11]
    return np.char.add(first17, checks.astype(str)).astype(object)


def _mobiles(rng: np.random.Generator, n: int) -> np.ndarray:
    prefixes = _MOBILE_PREFIXES[rng.integers(len(_MOBILE_PREFIXES), size=n)].astype(str)
    return np.char.add(prefixes, np.char.zfill(rng.integers(0, 10**8, size=n).astype(str), 8)).astype(object)


def _landlines(rng: np.random.Generator, n: int) -> np.ndarray:
    return np.char.add("028", (rng.integers(0, 10**7, size=n) + 8 * 10**7).astype(str)).astype(object)


# --------------------------------------------------------------------------------------------------------
# Residents
# --------------------------------------------------------------------------------------------------------

SINGLE, HUSBAND, WIFE, CHILD, GRANDPARENT, OLD_HUSBAND, OLD_WIFE = range(7)
# (share of households, roles)
_HOUSEHOLDS = (
    (0.20, (SINGLE,)),
    (0.17, (HUSBAND, WIFE)),
    (0.27, (HUSBAND, WIFE, CHILD)),
    (0.14, (HUSBAND, WIFE, CHILD, CHILD)),
    (0.12, (HUSBAND, WIFE, CHILD, GRANDPARENT)),
    (0.04, (WIFE, CHILD)),
    (0.06, (OLD_HUSBAND, OLD_WIFE)),
)
_TWO_CHILDREN = 3
_ELDERLY = 6


@dataclass
class Residents:
    """The population, one entry per resident (arrays of equal length)."""

    household: np.ndarray
    role: np.ndarray
    male: np.ndarray
    birth: np.ndarray  # datetime64[D]
    surname: np.ndarray
    name: np.ndarray
    id_number: np.ndarray
    phone: np.ndarray
    mother: np.ndarray  # index of the mother (or father) in the household, -1 if none
    father: np.ndarray
    twin: np.ndarray
    newborn: np.ndarray
    address: np.ndarray  # per resident: index into the address table
    addresses: list  # (district index, street index, text after the street)


def _triangular(rng, low, mode, high, n):
    return rng.triangular(low, mode, high, size=n)


def _residents(n: int, mix: Mix, rng: np.random.Generator, today: np.datetime64) -> Residents:
    shares = np.array([share for share, _ in _HOUSEHOLDS])
    sizes = np.array([len(roles) for _, roles in _HOUSEHOLDS])
    households = int(n / float(shares @ sizes) * 1.1) + 8
    kind = rng.choice(len(_HOUSEHOLDS), size=households, p=shares / shares.sum())
    size = sizes[kind]
    start = np.concatenate(([0], np.cumsum(size)[:-1]))
    keep = start < n
    kind, size, start = kind[keep], size[keep], start[keep]
    households = len(kind)
    household = np.repeat(np.arange(households), size)[:n]
    position = np.arange(len(household)) - start[household]
    roles_table = np.full((len(_HOUSEHOLDS), 4), -1)
    for k, (_, roles) in enumerate(_HOUSEHOLDS):
        roles_table[k, : len(roles)] = roles
    role = roles_table[kind[household], position]
    hkind = kind[household]

    # ages in years, household by household: the mother's (or the single adult's) age first
    base = np.empty(households)
    single = kind == 0
    base[single] = _triangular(rng, 18, 30, 92, single.sum())
    couple = kind == 1
    base[couple] = _triangular(rng, 20, 30, 85, couple.sum())
    family = np.isin(kind, (2, 3, 4, 5))
    base[family] = _triangular(rng, 21, 33, 56, family.sum())
    elderly = kind == _ELDERLY
    base[elderly] = _triangular(rng, 60, 70, 95, elderly.sum())
    gap = np.clip(rng.normal(2, 2.5, households), -4, 10)  # husband older by
    mother_age = base[household]
    age = np.empty(n)
    age[role == SINGLE] = mother_age[role == SINGLE]
    is_family = np.isin(hkind, (2, 3, 4, 5))
    h = role == HUSBAND
    age[h] = np.where(is_family[h], mother_age[h] + gap[household][h], mother_age[h])
    w = role == WIFE
    age[w] = np.where(is_family[w], mother_age[w], np.maximum(18, mother_age[w] - gap[household][w]))
    age[role == OLD_HUSBAND] = mother_age[role == OLD_HUSBAND]
    ow = role == OLD_WIFE
    age[ow] = np.maximum(55, mother_age[ow] - gap[household][ow])
    c = role == CHILD
    # at least one year old here: the newborns are chosen below, at their own rate
    span = np.maximum(mother_age[c] - 21, 0.0)
    age[c] = 1 + rng.random(c.sum()) * span
    g = role == GRANDPARENT
    age[g] = np.minimum(100, mother_age[g] + gap[household][g] + rng.uniform(24, 36, g.sum()))

    # twins: the second child of a two-child family, with probability twin_share
    second_child = (role == CHILD) & (hkind == _TWO_CHILDREN) & (position == 3)
    twin_households = np.zeros(households, dtype=bool)
    twin_households[kind == _TWO_CHILDREN] = rng.random((kind == _TWO_CHILDREN).sum()) < mix.twin_share
    twin_second = second_child & twin_households[household]
    age[twin_second] = age[np.flatnonzero(twin_second) - 1]
    twin = twin_second.copy()
    twin[np.flatnonzero(twin_second) - 1] = True

    # newborns: children made younger than one year, to reach newborn_share of residents
    children = np.flatnonzero(c & ~twin_second)
    wanted = mix.newborn_share * n
    chosen = children[rng.random(len(children)) < min(1.0, wanted / max(1, len(children)))]
    age[chosen] = rng.random(len(chosen)) * 0.99
    age[twin_second] = age[np.flatnonzero(twin_second) - 1]
    newborn = c & (age < 1)

    days = np.floor(age * 365.25).astype(np.int64)
    birth = today - days.astype("timedelta64[D]")

    male = np.empty(n, dtype=bool)
    male[np.isin(role, (HUSBAND, OLD_HUSBAND))] = True
    male[np.isin(role, (WIFE, OLD_WIFE))] = False
    other = np.isin(role, (SINGLE, CHILD, GRANDPARENT))
    male[other] = rng.random(other.sum()) < np.where(role[other] == CHILD, 0.515, 0.48)

    # parents: the first two members of a family household are husband and wife (mother only for kind 5)
    hstart = start[household]
    father = np.full(n, -1)
    mother = np.full(n, -1)
    in_family = c
    father[in_family] = np.where(hkind[in_family] == 5, -1, hstart[in_family])
    mother[in_family] = np.where(hkind[in_family] == 5, hstart[in_family], hstart[in_family] + 1)

    # surnames
    surname = _SURNAMES[rng.choice(len(_SURNAMES), size=n, p=_SURNAME_P)]
    kids = np.flatnonzero(c)
    has_father = father[kids] >= 0
    from_mother = rng.random(len(kids)) < 0.08
    parent_of = np.where(has_father & ~from_mother, father[kids], mother[kids])
    single_mother = ~has_father & (rng.random(len(kids)) < 0.5)
    surname[kids] = np.where(single_mother, surname[kids], surname[parent_of])
    twin_first = np.flatnonzero(twin_second) - 1
    surname[twin_first + 1] = surname[twin_first]
    grandparents = np.flatnonzero(g & male)
    surname[grandparents] = surname[hstart[grandparents]]

    # given names: more one-character names among older people
    year = (birth.astype("datetime64[Y]").astype(int) + 1970)
    one_char = rng.random(n) < np.select([year < 1970, year < 1990], [0.55, 0.35], 0.15)
    given = np.empty(n, dtype=object)
    for sex in (True, False):
        singles, chars, doubles = _GIVEN[sex]
        idx = np.flatnonzero(male == sex)
        ones = idx[one_char[idx]]
        given[ones] = singles[rng.integers(len(singles), size=len(ones))]
        twos = idx[~one_char[idx]]
        faker_double = rng.random(len(twos)) < 0.1
        first = chars[rng.integers(len(chars), size=len(twos))]
        second = chars[rng.integers(len(chars), size=len(twos))]
        same = first == second
        second[same] = chars[(rng.integers(len(chars) - 1, size=same.sum()) + 1)]
        composed = np.char.add(first.astype(str), second.astype(str)).astype(object)
        composed[faker_double] = doubles[rng.integers(len(doubles), size=faker_double.sum())]
        given[twos] = composed
    _twin_names(given, male, twin_first, rng)
    name = np.char.add(surname.astype(str), given.astype(str)).astype(object)

    # ID numbers: region (70% born in the city), birth date, sequence with the sex's parity
    region = np.where(rng.random(n) < 0.7,
                      np.array([c for c, _ in DISTRICTS], dtype=object)[rng.integers(len(DISTRICTS), size=n)],
                      _OTHER_REGIONS[rng.integers(len(_OTHER_REGIONS), size=n)])
    region[twin_first + 1] = region[twin_first]
    sequence = rng.integers(0, 500, size=n) * 2 + male
    # twins are registered together: the next sequence number of the right parity
    step = np.where(male[twin_first + 1] == male[twin_first], 2, 1)
    step = np.where(sequence[twin_first] + step > 999, -step, step)
    sequence[twin_first + 1] = sequence[twin_first] + step
    id_number = _id_numbers(region, birth, sequence)
    for _ in range(20):  # the rare collision: draw another sequence number
        _, first_index, counts = np.unique(id_number.astype(str), return_index=True, return_counts=True)
        duplicated = np.ones(n, dtype=bool)
        duplicated[first_index] = False
        again = np.flatnonzero(duplicated)
        if not len(again):
            break
        sequence[again] = rng.integers(0, 500, size=len(again)) * 2 + male[again]
        id_number[again] = _id_numbers(region[again], birth[again], sequence[again])

    # phones: adults their own mobile, children a parent's, some elderly a landline
    own = _unique_mobiles(rng, n)
    phone = own.copy()
    kid_parent = np.where((rng.random(len(kids)) < 0.75) | (father[kids] < 0), mother[kids], father[kids])
    phone[kids] = own[kid_parent]
    gp = np.flatnonzero(g)
    use_son = rng.random(len(gp)) < 0.5
    phone[gp[use_son]] = own[hstart[gp[use_son]]]
    landline_households = np.zeros(households, dtype=bool)
    landline_households[elderly] = rng.random(elderly.sum()) < 0.4
    lines = _landlines(rng, households)
    old = np.flatnonzero(landline_households[household])
    phone[old] = lines[household[old]]

    # addresses: one per household
    addresses, address_of_household = _addresses(rng, households)
    return Residents(household=household, role=role, male=male, birth=birth, surname=surname, name=name,
                     id_number=id_number, phone=phone, mother=mother, father=father, twin=twin,
                     newborn=newborn, address=address_of_household[household], addresses=addresses)


def _twin_names(given: np.ndarray, male: np.ndarray, first: np.ndarray, rng: np.random.Generator) -> None:
    """Twins' given names: the same first character and different second ones (70%), or two different
    one-character names."""

    from pypinyin import lazy_pinyin

    def pick(pool, avoid: set[str]) -> str:
        # parents do not give twins names that sound the same: avoid equal pinyin too
        sounds = {lazy_pinyin(char)[0] for char in avoid}
        while True:
            choice = pool[int(rng.integers(len(pool)))]
            if choice not in avoid and lazy_pinyin(choice)[0] not in sounds:
                return choice

    for a in first.tolist():
        b = a + 1
        pool_a, pool_b = _GIVEN[bool(male[a])], _GIVEN[bool(male[b])]
        if rng.random() < 0.7:
            lead = pick(pool_a[1], set())
            second_a = pick(pool_a[1], {lead})
            given[a], given[b] = lead + second_a, lead + pick(pool_b[1], {lead, second_a})
        else:
            given[a] = pick(pool_a[0], set())
            given[b] = pick(pool_b[0], {given[a]})


def _unique_mobiles(rng: np.random.Generator, n: int) -> np.ndarray:
    phones = _mobiles(rng, n)
    for _ in range(20):
        _, first_index = np.unique(phones.astype(str), return_index=True)
        again = np.setdiff1d(np.arange(n), first_index)
        if not len(again):
            break
        phones[again] = _mobiles(rng, len(again))
    return phones


def _addresses(rng: np.random.Generator, count: int) -> tuple[list, np.ndarray]:
    """`count` addresses: (district index, street index, the text after the street)."""
    town = city()
    district = rng.choice(len(DISTRICTS), size=count, p=_DISTRICT_WEIGHTS / _DISTRICT_WEIGHTS.sum())
    street = rng.integers(STREETS_PER_DISTRICT, size=count)
    road = rng.integers(ROADS_PER_DISTRICT, size=count)
    number = rng.integers(1, 400, size=count)
    building = rng.integers(1, 31, size=count)
    unit = rng.integers(1, 7, size=count)
    room = rng.integers(1, 33, size=count) * 100 + rng.integers(1, 5, size=count)
    village = (district >= _URBAN + 7) & (rng.random(count) < 0.4)
    village_index = rng.integers(8, size=count)
    group = rng.integers(1, 13, size=count)
    details = [
        f"{town.villages[d][v]}{gr}组{num}号" if vil else f"{town.roads[d][r]}{num}号{b}栋{u}单元{rm}室"
        for d, r, num, b, u, rm, vil, v, gr in zip(district.tolist(), road.tolist(), number.tolist(),
                                                     building.tolist(), unit.tolist(), room.tolist(),
                                                     village.tolist(), village_index.tolist(), group.tolist(),
                                                     strict=True)
    ]
    table = list(zip(district.tolist(), street.tolist(), details, strict=True))
    return table, np.arange(count)


# --------------------------------------------------------------------------------------------------------
# Records
# --------------------------------------------------------------------------------------------------------


def generate(
    n_residents: int,
    *,
    seed: int = 0,
    mix: str | Mix = "ordinary",
    sources: Sequence[Source] = DEFAULT_SOURCES,
    today: dt.date | None = None,
) -> pd.DataFrame:
    """Raw records of `n_residents` synthetic residents, about `mix.mean_records` (2.2) each, shuffled.

    Deterministic for (`n_residents`, `seed`, `mix`, `sources`, `today`). See the module docstring for
    the columns, scenarios and error rates."""
    rates = MIXES[mix] if isinstance(mix, str) else mix
    today = today or dt.date.today()
    rng = np.random.default_rng(seed)
    day = np.datetime64(today.isoformat(), "D")
    people = _residents(n_residents, rates, rng, day)
    n = len(people.household)

    counts = rng.choice(len(rates.records_per_resident), size=n, p=np.array(rates.records_per_resident)) + 1
    counts[people.newborn] = np.maximum(counts[people.newborn], 2)
    res = np.repeat(np.arange(n), counts)
    first_of_resident = np.concatenate(([True], res[1:] != res[:-1]))
    m = len(res)
    tags: list[list[str]] = [[] for _ in range(m)]

    def tag(rows: np.ndarray, label: str) -> None:
        for row in rows.tolist():
            tags[row].append(label)

    def draw(rate: float, eligible: np.ndarray | None = None) -> np.ndarray:
        hit = rng.random(m) < rate
        return np.flatnonzero(hit if eligible is None else hit & eligible)

    tag(np.flatnonzero(people.twin[res]), "twin")
    tag(np.flatnonzero(people.newborn[res]), "newborn")
    age_days = (day - people.birth[res]).astype(np.int64)
    child = age_days < 16 * 365
    tag(np.flatnonzero(child & ~people.newborn[res]), "child")

    # --- names ---
    name = people.name[res].copy()
    surname_len = np.fromiter((len(s) for s in people.surname), np.int64, n)[res]
    for kind, rate in (("homophone", rates.homophone), ("near_pinyin", rates.near_pinyin),
                       ("other_char", rates.other_char)):
        for row in draw(rate).tolist():
            changed = _replace_given_char(name[row], int(surname_len[row]), rng, kind)
            if changed is not None:
                name[row] = changed
                tags[row].append(kind)
    convert = _to_traditional()
    for row in draw(rates.traditional).tolist():
        changed = convert(name[row])
        if changed != name[row]:
            name[row] = changed
            tags[row].append("traditional")
    for row in draw(rates.name_noise).tolist():
        text, cut = name[row], int(surname_len[row])
        style = rng.integers(3)
        name[row] = (text[:cut] + " " + text[cut:] if style == 0 else
                     text[:cut] + "·" + text[cut:] if style == 1 else text + "（急诊）")
        tags[row].append("name_noise")
    newborn_rows = np.flatnonzero(people.newborn[res])
    placeholder = newborn_rows[(rng.random(len(newborn_rows)) < rates.newborn_placeholder)
                               | first_of_resident[newborn_rows]]
    for row in placeholder.tolist():
        name[row] = _placeholder(people, int(res[row]), rng)
        tags[row].append("newborn_placeholder")
    missing_name = draw(rates.name_missing)
    name[missing_name] = ""
    tag(missing_name, "name_missing")

    # --- ID numbers ---
    id_number = people.id_number[res].copy()
    newborn = people.newborn[res]
    missing_id = np.flatnonzero(rng.random(m) < np.where(newborn, 0.85, np.where(child, rates.id_missing_child,
                                                                              rates.id_missing_adult)))
    id_number[missing_id] = ""
    tag(missing_id, "id_missing")
    parents = np.flatnonzero(child & (rng.random(m) < np.where(newborn, 0.3, rates.parent_id_on_child)))
    parent = np.where(rng.random(len(parents)) < 0.7, people.mother[res[parents]], people.father[res[parents]])
    parent = np.where(parent < 0, people.mother[res[parents]], parent)
    parents, parent = parents[parent >= 0], parent[parent >= 0]
    id_number[parents] = people.id_number[parent]
    tag(parents, "parent_id")
    has_id = np.array([bool(v) for v in id_number])
    own_id = has_id.copy()
    own_id[parents] = False
    for row in draw(rates.id_transposed, own_id).tolist():
        id_number[row] = _transpose(id_number[row], rng)
        tags[row].append("id_transposed")
    for row in draw(rates.id_digit, own_id).tolist():
        id_number[row] = _mistype(id_number[row], rng, range(17))
        tags[row].append("id_digit")
    for row in draw(rates.id_check_char, own_id).tolist():
        text = id_number[row]
        id_number[row] = text[:17] + rng.choice([c for c in "0123456789X" if c != text[17]])
        tags[row].append("id_check_char")
    born_early = people.birth[res] <= np.datetime64("1983-12-31")
    for row in draw(rates.id_legacy15, own_id & born_early).tolist():
        text = id_number[row]
        if len(text) == 18 and text[6:8] == "19":
            id_number[row] = text[:6] + text[8:17]
            tags[row].append("id_legacy15")
    for row in draw(rates.id_format, has_id).tolist():
        text = id_number[row]
        style = rng.integers(3)
        if style == 0 and text.endswith("X"):
            id_number[row] = text[:-1] + "x"
        elif style == 1:
            id_number[row] = f"{text[:6]} {text[6:14]} {text[14:]}"
        else:
            id_number[row] = text.translate(_FULL_WIDTH)
        tags[row].append("id_format")

    # --- birth date and sex ---
    birth = people.birth[res]
    born = np.datetime_as_string(birth, unit="D").astype(object)
    swapped = draw(rates.birth_swapped)
    for row in swapped.tolist():
        text = born[row]
        if int(text[8:10]) <= 12 and text[5:7] != text[8:10]:
            born[row] = f"{text[:4]}-{text[8:10]}-{text[5:7]}"
            tags[row].append("birth_swapped")
    for row in draw(rates.birth_digit).tolist():
        changed = _mistype_date(born[row], rng, today)
        if changed:
            born[row] = changed
            tags[row].append("birth_digit")
    missing_birth = draw(rates.birth_missing)
    born[missing_birth] = ""
    tag(missing_birth, "birth_missing")
    sex = np.where(people.male[res], "1", "2").astype(object)
    wrong = draw(rates.sex_wrong)
    sex[wrong] = np.where(sex[wrong] == "1", "2", "1")
    tag(wrong, "sex_wrong")
    missing_sex = draw(rates.sex_missing)
    sex[missing_sex] = ""
    tag(missing_sex, "sex_missing")

    # --- phones ---
    phone = people.phone[res].copy()
    household_rows = draw(rates.phone_household)
    # a household's members are consecutive residents
    starts = np.flatnonzero(np.concatenate(([True], people.household[1:] != people.household[:-1])))
    ends = np.append(starts[1:], n)
    for row in household_rows.tolist():
        own_phone, h = phone[row], people.household[res[row]]
        others = [people.phone[j] for j in range(starts[h], ends[h]) if people.phone[j] != own_phone]
        if others:
            phone[row] = others[int(rng.integers(len(others)))]
            tags[row].append("phone_household")
    # a number is replaced once: each record of its users comes from before or after the change
    numbers, number_of = np.unique(people.phone.astype(str), return_inverse=True)
    replaced = rng.random(len(numbers)) < rates.phone_changed
    replacement = _mobiles(rng, len(numbers))
    resident_number = number_of.ravel()[res]
    # (a newborn's records span weeks, not years: no change between them)
    changed = np.flatnonzero(replaced[resident_number] & (phone == people.phone[res]) & ~newborn
                             & (rng.random(m) < 0.5))
    phone[changed] = replacement[resident_number[changed]]
    tag(changed, "phone_changed")
    for row in draw(rates.phone_digit).tolist():
        phone[row] = _mistype(phone[row], rng, range(3, len(phone[row])))
        tags[row].append("phone_digit")
    missing_phone = draw(rates.phone_missing)
    phone[missing_phone] = ""
    tag(missing_phone, "phone_missing")

    # --- addresses ---
    address_index = people.address[res].copy()
    table = list(people.addresses)
    # a household moves once: each record of its members comes from before or after the move
    households = int(people.household.max()) + 1
    new_addresses, _ = _addresses(rng, households)
    household = people.household[res]
    moved = np.flatnonzero((rng.random(households) < rates.address_moved)[household] & ~newborn
                           & (rng.random(m) < 0.5))
    address_index[moved] = len(table) + household[moved]
    table.extend(new_addresses)
    tag(moved, "address_moved")

    # --- sources and formats ---
    source_index = rng.integers(len(sources), size=m)
    order = rng.permutation(m)
    record_id = np.empty(m, dtype=object)
    record_id[order] = [f"R{i:08d}" for i in range(m)]
    local_id = np.empty(m, dtype=object)
    for k, source in enumerate(sources):
        rows = np.flatnonzero(source_index == k)
        local_id[rows] = [f"{source.code[:1].upper()}{k}{i:07d}" for i in rng.permutation(len(rows)).tolist()]
    province_share = np.array([s.province_share for s in sources])[source_index]
    prefix_roll = rng.random(m)
    with_street = rng.random(m) < 0.25
    address = _render_addresses(table, address_index, prefix_roll, province_share, with_street)
    missing_address = draw(rates.address_missing)
    address[missing_address] = ""
    tag(missing_address, "address_missing")
    sex_text = sex.copy()
    born_text = born.copy()
    phone_text = phone.copy()
    for k, source in enumerate(sources):
        rows = np.flatnonzero(source_index == k)
        sex_text[rows] = np.select([sex[rows] == "1", sex[rows] == "2"], list(source.sex), "")
        born_text[rows] = [_format_date(v, source.date) for v in born[rows]]
        phone_text[rows] = [_format_phone(v, source.phone) for v in phone[rows]]

    frame = pd.DataFrame({
        "record_id": record_id,
        "source": np.array([s.code for s in sources], dtype=object)[source_index],
        "local_id": local_id,
        "name": name,
        "id_number": id_number,
        "sex": sex_text,
        "birth_date": born_text,
        "phone": phone_text,
        "address": address,
        "truth": np.char.add("P", np.char.zfill(res.astype(str), 8)).astype(object),
        "household": np.char.add("H", np.char.zfill(people.household[res].astype(str), 8)).astype(object),
        "tags": [",".join(t) for t in tags],
    })
    return frame.iloc[np.argsort(order, kind="stable")].reset_index(drop=True)


_FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")


def _placeholder(people: Residents, resident: int, rng: np.random.Generator) -> str:
    mother = people.mother[resident]
    male = bool(people.male[resident])
    child = "之子" if male else "之女"
    twin_suffix = ""
    if people.twin[resident]:
        first = resident > 0 and people.twin[resident - 1] and people.household[resident - 1] == people.household[
            resident]
        twin_suffix = "二" if first else "一"
    roll = rng.random()
    if roll < 0.5 and mother >= 0:
        return people.name[mother] + child + twin_suffix
    if roll < 0.75:
        return people.surname[resident] + child + twin_suffix
    return ("男婴" if male else "女婴") + twin_suffix if roll < 0.9 else "新生儿" + twin_suffix


def _transpose(text: str, rng: np.random.Generator) -> str:
    body = text[:17]
    positions = [i for i in range(16) if body[i] != body[i + 1]]
    if not positions:
        return text
    i = positions[int(rng.integers(len(positions)))]
    return body[:i] + body[i + 1] + body[i] + body[i + 2:] + text[17:]


def _mistype(text: str, rng: np.random.Generator, positions: range) -> str:
    i = positions[int(rng.integers(len(positions)))]
    digit = str((int(text[i]) + int(rng.integers(1, 10))) % 10)
    return text[:i] + digit + text[i + 1:]


def _mistype_date(text: str, rng: np.random.Generator, today: dt.date) -> str:
    digits = text.replace("-", "")
    for _ in range(8):
        changed = _mistype(digits, rng, range(2, 8))
        try:
            day = dt.date(int(changed[:4]), int(changed[4:6]), int(changed[6:]))
        except ValueError:
            continue
        if dt.date(1900, 1, 1) <= day <= today:
            return day.isoformat()
    return ""


def _format_date(text: str, style: str) -> str:
    if not text or style == "iso":
        return text
    if style == "compact":
        return text.replace("-", "")
    return f"{text[:4]}/{int(text[5:7])}/{int(text[8:10])}"


def _format_phone(text: str, style: str) -> str:
    if not text or style == "plain" or len(text) != 11 or not text.startswith("1"):
        return text
    if style == "dashes":
        return f"{text[:3]}-{text[3:7]}-{text[7:]}"
    return "+86 " + text


def _render_addresses(table: list, index: np.ndarray, roll: np.ndarray, province_share: np.ndarray,
                      with_street: np.ndarray) -> np.ndarray:
    town = city()
    district_names = [name for _, name in DISTRICTS]
    out = np.empty(len(index), dtype=object)
    for row, (i, r, p, s) in enumerate(zip(index.tolist(), roll.tolist(), province_share.tolist(),
                                           with_street.tolist(), strict=True)):
        district, street, detail = table[i]
        prefix = "四川省成都市" if r < p else "成都市" if r < p + (1 - p) / 2 else ""
        out[row] = prefix + district_names[district] + (town.streets[district][street][1] if s else "") + detail
    return out


# --------------------------------------------------------------------------------------------------------
# Evaluation
# --------------------------------------------------------------------------------------------------------


def pairwise_scores(predicted: Mapping[str, Hashable], truth: Mapping[str, Hashable]) -> dict[str, float]:
    """Precision, recall and F1 over record pairs: a pair is predicted when both records are in one
    predicted cluster, true when both belong to one resident.

    `predicted` maps record id → cluster, `truth` record id → resident. A record of `truth` missing from
    `predicted` is a cluster of its own; a record in `predicted` but not in `truth` is an error. Counted
    from the contingency table of (cluster, resident), never by listing pairs. With no predicted pairs
    precision is 1.0, with no true pairs recall is 1.0."""
    extra = set(predicted).difference(truth)
    if extra:
        raise ValueError(f"{len(extra)} predicted record(s) not in the truth, e.g. {sorted(map(str, extra))[:3]}")
    ids = list(truth)
    residents, _ = pd.factorize(pd.Series([truth[i] for i in ids], dtype=object))
    singleton = object()
    clusters_raw = [predicted.get(i, singleton) for i in ids]
    clusters, _ = pd.factorize(pd.Series(clusters_raw, dtype=object))
    # missing records: each its own cluster (factorize gave them all one code; renumber them apart)
    missing = np.fromiter((c is singleton for c in clusters_raw), bool, len(ids))
    if missing.any():
        clusters = clusters.astype(np.int64)
        clusters[missing] = clusters.max() + 1 + np.arange(missing.sum())

    def pairs(codes: np.ndarray) -> int:
        counts = np.bincount(codes) if len(codes) else np.array([], dtype=np.int64)
        return int((counts * (counts - 1) // 2).sum())

    joint = clusters.astype(np.int64) * (int(residents.max()) + 1 if len(residents) else 1) + residents
    _, joint_codes = np.unique(joint, return_inverse=True)
    tp = pairs(joint_codes.ravel())
    predicted_pairs = pairs(clusters.astype(np.int64))
    true_pairs = pairs(residents.astype(np.int64))
    fp, fn = predicted_pairs - tp, true_pairs - tp
    precision = tp / predicted_pairs if predicted_pairs else 1.0
    recall = tp / true_pairs if true_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "tp": tp, "fp": fp, "fn": fn}


__all__ = [
    "COLUMNS", "DEFAULT_SOURCES", "DISTRICTS", "HARD", "MIXES", "ORDINARY", "RAW_COLUMNS", "Mix", "Source",
    "city", "gazetteer", "generate", "pairwise_scores",
]
