"""Addresses parsed down to district and street (GB/T 2260 codes), with the rest kept as the detail.

The library reads no database: the caller builds a `Gazetteer` from division rows (code, name,
parent_code): 6-digit provinces, cities and districts, and optionally 9-digit townships/streets.

Parsing follows how addresses are written: [province][city][district][street/township][detail], each
level optional, each matched at the current position by its full name or short name (锦江 → 锦江区).
Nothing is guessed out of order; an address whose district is not recognised keeps its text and gets
no codes, because a wrong district code would make strangers look like neighbours.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from weijian.linkage.standardise._text import as_text, fold_width, to_simplified

PROVINCE, CITY, DISTRICT, STREET = "province", "city", "district", "street"

# Placeholder levels some code lists carry (北京市 / 市辖区): never part of a written address.
_FILLER_NAMES = frozenset({"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划", "直辖县"})
_ETHNIC_GROUPS = (
    "蒙古", "回", "藏", "维吾尔", "苗", "彝", "壮", "布依", "朝鲜", "满", "侗", "瑶", "白", "土家", "哈尼",
    "哈萨克", "傣", "黎", "傈僳", "佤", "畲", "高山", "拉祜", "水", "东乡", "纳西", "景颇", "柯尔克孜", "土",
    "达斡尔", "仫佬", "羌", "布朗", "撒拉", "毛南", "仡佬", "锡伯", "阿昌", "普米", "塔吉克", "怒", "乌孜别克",
    "俄罗斯", "鄂温克", "德昂", "保安", "裕固", "京", "塔塔尔", "独龙", "鄂伦春", "赫哲", "门巴", "珞巴", "基诺",
    "各",
)
_SUFFIXES = {
    PROVINCE: ("特别行政区", "自治区", "省", "市"),
    CITY: ("自治州", "地区", "林区", "市", "盟"),
    DISTRICT: ("自治县", "自治旗", "新区", "林区", "特区", "区", "县", "市", "旗"),
    STREET: ("街道办事处", "街道", "民族乡", "镇", "乡", "苏木"),
}
# What people write after a street's short name: "春熙路街道办", "三圣乡", "龙泉镇".
_STREET_SUFFIX = re.compile(r"街道办事处|街道办|街办|街道|办事处|民族乡|镇人民政府|镇|乡人民政府|乡|苏木")
_STREET_TRAILER = re.compile(r"办事处|办|人民政府")
_UNKNOWN_STREET = re.compile(r"([\u4e00-\u9fff]{2,10}?)(街道办事处|街道办|街道|镇|乡)(?![东西南北中]?[路街巷]|大道|道)")
# A short name followed by one of these is a road or a place named after the district, not the district:
# "四川北路", "锦江宾馆", "金牛大道".
_NOT_A_DIVISION = re.compile(
    r"[东西南北中一二三四五六七八九十]?[路街巷道桥]|大道|大街|广场|大厦|小区|花园|宾馆|酒店|饭店|医院|公园"
    r"|中学|小学|大学|学校|村|社区|商场|市场|站|机场|号"
)
_GENERIC_SUFFIX = re.compile(r"[省市区县州旗]")
_COUNTRY = re.compile(r"^(中华人民共和国|中国)")
_POSTCODE = re.compile(r"(\s+|邮编:?)\d{6}$", re.ASCII)
_PUNCTUATION = frozenset(",，、;；:：-_/")
_LEADING_PUNCTUATION = re.compile(r"^[,，、;；:：\-_/]+")


@dataclass(frozen=True)
class Division:
    code: str
    name: str
    parent_code: str
    level: str


class ParsedAddress(NamedTuple):
    text: str  # the cleaned input
    normalised: str  # canonical names of the recognised levels + street + detail
    province_code: str = ""
    city_code: str = ""
    district_code: str = ""
    district_name: str = ""
    street_code: str = ""
    street_name: str = ""
    detail: str = ""
    problems: tuple[str, ...] = ()

    @property
    def street_key(self) -> str:
        """The street's code, or its name when the gazetteer does not list it."""
        return self.street_code or self.street_name

    @property
    def key(self) -> str:
        """The address as linkage compares it: `normalised` without the street (街道/镇), which people write
        or leave out at will; the street is compared on its own (`street_key`)."""
        if not self.street_name:
            return self.normalised
        cut = len(self.normalised) - len(self.detail) - len(self.street_name)
        return self.normalised[:cut] + self.detail


def level_of(code: str) -> str:
    if len(code) == 9:
        return STREET
    if code.endswith("0000"):
        return PROVINCE
    if code.endswith("00"):
        return CITY
    return DISTRICT


def short_names(name: str, level: str) -> list[str]:
    """Names people write for a division besides its full one: 锦江区 → 锦江, 广西壮族自治区 → 广西."""
    shorts = []
    for suffix in _SUFFIXES[level]:
        if name.endswith(suffix) and len(name) > len(suffix):
            base = name[: -len(suffix)]
            if suffix.startswith("自治") or suffix == "民族乡":
                base = _strip_ethnic(base)
            shorts.append(base)
            break
    return [short for short in shorts if len(short) >= 2 and short != name]


def _strip_ethnic(base: str) -> str:
    # "峨边彝族" → "峨边", "积石山保安族东乡族撒拉族" → "积石山", "新疆维吾尔" → "新疆"
    changed = True
    while changed:
        changed = False
        for group in _ETHNIC_GROUPS:
            for ending in (group + "族", group) if group == "维吾尔" else (group + "族",):
                if base.endswith(ending) and len(base) - len(ending) >= 2:
                    base = base[: -len(ending)]
                    changed = True
    return base


class _AliasIndex:
    """Aliases of one level (or of one district's streets) → [(code, is_short)], with the alias lengths
    that start with each character: parsing tries only lengths that can match, longest first."""

    def __init__(self):
        self.aliases: dict[str, list[tuple[str, bool]]] = {}
        self.lengths: dict[str, tuple[int, ...]] = {}

    def add(self, alias: str, code: str, is_short: bool) -> None:
        entries = self.aliases.setdefault(alias, [])
        if (code, is_short) not in entries:
            entries.append((code, is_short))
        lengths = set(self.lengths.get(alias[0], ())) | {len(alias)}
        self.lengths[alias[0]] = tuple(sorted(lengths, reverse=True))


class Gazetteer:
    """Division names and codes, indexed for parsing. Build once and reuse: parsing is cached per text."""

    def __init__(self, divisions: Iterable[Division]):
        self.divisions: dict[str, Division] = {d.code: d for d in divisions}
        self._ancestors = {code: tuple(self.ancestors(code)) for code in self.divisions}
        self._levels = {PROVINCE: _AliasIndex(), CITY: _AliasIndex(), DISTRICT: _AliasIndex()}
        self._streets: dict[str, _AliasIndex] = {}
        for division in self.divisions.values():
            if division.name in _FILLER_NAMES:
                continue
            if division.level == STREET:
                index = self._streets.setdefault(self.district_of(division.code), _AliasIndex())
            else:
                index = self._levels[division.level]
            index.add(division.name, division.code, False)
            for short in short_names(division.name, division.level):
                index.add(short, division.code, True)
        # A recognised district brings its province and city (and their canonical names) with it.
        self._district_context = {
            code: self._context(code) for code, d in self.divisions.items() if d.level == DISTRICT
        }
        self.parse = lru_cache(maxsize=1 << 14)(self._parse)

    @classmethod
    def from_divisions(cls, rows: Iterable[tuple[str, str, str | None]]) -> "Gazetteer":
        """rows: (code, name, parent_code). 12-digit statistical codes of townships ("510104020000") are
        accepted and shortened to their 9-digit form."""
        divisions = []
        for code, name, parent_code in rows:
            code, parent_code = _short_code(as_text(code)), _short_code(as_text(parent_code))
            name = to_simplified(fold_width(as_text(name)))
            if code and name:
                divisions.append(Division(code, name, parent_code, level_of(code)))
        return cls(divisions)

    def ancestors(self, code: str) -> list[str]:
        """The code and its parents, nearest first."""
        chain = []
        while code and code in self.divisions and code not in chain:
            chain.append(code)
            code = self.divisions[code].parent_code
        return chain

    def district_of(self, code: str) -> str:
        for ancestor in self.ancestors(code):
            if self.divisions[ancestor].level == DISTRICT:
                return ancestor
        return self.divisions[code].parent_code if code in self.divisions else ""

    def _context(self, district: str) -> tuple[str, str, str]:
        """(province code, city code, "四川省成都市锦江区") for a district."""
        found = {}
        for ancestor in self.ancestors(district):
            division = self.divisions[ancestor]
            if division.name not in _FILLER_NAMES:
                found.setdefault(division.level, ancestor)
        names = []
        for level in (PROVINCE, CITY, DISTRICT):
            name = self.divisions[found[level]].name if level in found else ""
            if name and name not in names:  # 北京市 (province) / 北京市 (city)
                names.append(name)
        return found.get(PROVINCE, ""), found.get(CITY, ""), "".join(names)

    def _parse(self, text: str) -> ParsedAddress:
        if not text:
            return ParsedAddress("", "")
        province, _, pos = self._match(text, 0, self._levels[PROVINCE], "")
        city, _, pos = self._match(text, pos, self._levels[CITY], province)
        district, ambiguous, pos = self._match(text, pos, self._levels[DISTRICT], city or province)
        if not district:
            detail = _LEADING_PUNCTUATION.sub("", text[pos:])
            names = [self.divisions[c].name for c in (province, city) if c]
            names = [name for i, name in enumerate(names) if name not in names[:i]]
            problem = "区县名称有歧义，未编码" if ambiguous else "地址中未识别出区县"
            return ParsedAddress(text, "".join(names) + detail, province, city, detail=detail,
                                 problems=(problem,))
        street_code, street_name, pos = self._match_street(text, pos, district)
        province, city, prefix = self._district_context[district]
        detail = text[pos:]
        if detail[:1] in _PUNCTUATION:
            detail = _LEADING_PUNCTUATION.sub("", detail)
        return ParsedAddress(text, prefix + street_name + detail, province, city, district,
                             self.divisions[district].name, street_code, street_name, detail)

    def _match(self, text: str, pos: int, index: _AliasIndex, scope: str) -> tuple[str, bool, int]:
        """(code, ambiguous, end) of the longest alias of `index` at `pos` that names one division."""
        lengths = index.lengths.get(text[pos:pos + 1])
        if lengths is None:
            return "", False, pos
        ambiguous = False
        for length in lengths:
            found = index.aliases.get(text[pos:pos + length])
            if found is None:
                continue
            end = pos + length
            if len(found) == 1:  # the usual case, without building a list
                code, is_short = found[0]
                if is_short and _NOT_A_DIVISION.match(text, end):
                    continue
                if scope and scope not in self._ancestors[code]:
                    continue
                codes = found
            else:
                codes = self._acceptable(text, end, found, scope)
            if len(codes) == 1:
                if codes[0][1]:
                    # "峨边县" for 峨边彝族自治县, "阿坝州": a short name with a generic suffix.
                    generic = _GENERIC_SUFFIX.match(text, end)
                    end = generic.end() if generic else end
                return codes[0][0], False, end
            ambiguous = ambiguous or len(codes) > 1  # 朝阳区 of 北京 and of 长春, no city written
        return "", ambiguous, pos

    def _acceptable(self, text: str, end: int, found: list[tuple[str, bool]], scope: str) -> list:
        acceptable = []
        for code, is_short in found:
            if is_short and _NOT_A_DIVISION.match(text, end):
                continue  # "四川北路", "金牛大道": a road named after the division
            if scope and scope not in self._ancestors[code]:
                continue
            if not acceptable or all(code != kept for kept, _ in acceptable):
                acceptable.append((code, is_short))
        return acceptable

    def _match_street(self, text: str, pos: int, district: str) -> tuple[str, str, int]:
        index = self._streets.get(district)
        lengths = index.lengths.get(text[pos:pos + 1], ()) if index else ()
        for length in lengths:
            found = index.aliases.get(text[pos:pos + length])
            if found is None:
                continue
            end = pos + length
            code, is_short = found[0]
            if is_short:
                suffix = _STREET_SUFFIX.match(text, end)
                if not suffix:
                    continue  # "春熙路" alone is the road; "春熙路街道" is the street
                end = suffix.end()
            else:
                trailer = _STREET_TRAILER.match(text, end)
                end = trailer.end() if trailer else end
            return code, self.divisions[code].name, end
        unknown = _UNKNOWN_STREET.match(text, pos)
        if unknown:
            return "", unknown.group(1) + _canonical_suffix(unknown.group(2)), unknown.end()
        return "", "", pos


def _canonical_suffix(suffix: str) -> str:
    return "街道" if suffix.startswith("街道") else suffix


def _short_code(code: str) -> str:
    if len(code) == 12 and code.endswith("000"):
        return code[:9]
    return code


def clean_address_text(raw) -> str:
    """Full-width folded, simplified, no whitespace, no country prefix, no trailing postcode."""
    text = fold_width(raw if type(raw) is str else as_text(raw)).strip()
    if text[-6:].isdigit():
        text = _POSTCODE.sub("", text)
    text = to_simplified("".join(text.split()))
    if text.startswith(("中国", "中华人民共和国")):
        text = _COUNTRY.sub("", text)
    return text


def parse_address(raw, gazetteer: Gazetteer | None = None, *, cached: bool = True) -> ParsedAddress:
    """Parse one address; without a gazetteer the text is only cleaned (no codes).

    `cached=False` skips the gazetteer's cache, for callers that already parse each distinct text once."""
    text = clean_address_text(raw)
    if gazetteer is None:
        return ParsedAddress(text, text, detail=text)
    return gazetteer.parse(text) if cached else gazetteer._parse(text)
