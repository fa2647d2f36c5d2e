"""The institutions of the demo city, as plain specs (no database): names, types, grades, codes, size.

Every district gets its core public institutions (人民医院, 中医医院, 妇幼保健院, 疾控中心,
卫生监督所); the city gets a few large 三级甲等 hospitals with synthetic names (蓉城…, not a
real hospital); the remaining slots go to community centres, township hospitals, village clinics,
private hospitals and private clinics in the proportions of each district's kind (urban districts
have community centres and clinics, outer counties township hospitals and village clinics).
"""

import itertools
import random
from dataclasses import dataclass

from weijian.demo.city import DEMO_DISTRICT, DISTRICTS, OUTER, SUBURBAN, URBAN, District
from weijian.orgs.uscc import ALPHABET, check_character

DEFAULT_INSTITUTIONS = 300


@dataclass(frozen=True)
class InstitutionSpec:
    key: str  # stable within one generation, e.g. "510104-people"
    name: str
    type: str
    grade: str
    ownership: str
    district_code: str
    uscc: str
    staff: int  # typical head count; workers are shared out in proportion


# The city's own hospitals: synthetic names, real districts.
CITY_HOSPITALS = (
    ("city-1", "蓉城第一中心医院", "general_hospital", "510104", 2200),
    ("city-2", "蓉城第二中心医院", "general_hospital", "510106", 1800),
    ("city-3", "蓉城中西医结合医院", "tcm_hospital", "510105", 1200),
    ("city-4", "蓉城妇女儿童医院", "maternal_child", "510107", 1100),
    ("city-5", "蓉城肿瘤医院", "specialist_hospital", "510108", 800),
    ("city-6", "蓉城精神卫生中心", "specialist_hospital", "510115", 500),
    ("city-7", "蓉城疾病预防控制中心", "cdc", "510104", 300),
    ("city-8", "蓉城血液中心", "blood_centre", "510108", 160),
)

# Core institutions of each district: (key, name suffix, type, grades by district kind, staff).
CORE = (
    ("people", "人民医院", "general_hospital", {URBAN: ("3B", "2A"), SUBURBAN: ("3A", "3B"), OUTER: ("3B", "2A")}, 700),
    ("tcm", "中医医院", "tcm_hospital", {URBAN: ("3B", "2A"), SUBURBAN: ("3B", "2A"), OUTER: ("2A", "3B")}, 320),
    ("mch", "妇幼保健院", "maternal_child", {URBAN: ("2A",), SUBURBAN: ("2A", "2B"), OUTER: ("2A", "2B")}, 180),
    ("cdc", "疾病预防控制中心", "cdc", None, 70),
    ("supervision", "卫生监督所", "health_supervision", None, 35),
)

# Flexible slots: share of each kind by district kind.
MIX = {
    URBAN: {"community": 45, "private_hospital": 10, "clinic": 45},
    SUBURBAN: {"community": 30, "township": 25, "village": 15, "private_hospital": 5, "clinic": 25},
    OUTER: {"community": 10, "township": 40, "village": 30, "private_hospital": 5, "clinic": 15},
}
FLEX_STAFF = {"community": 55, "township": 40, "village": 3, "private_hospital": 90, "clinic": 6}

# Syllables for synthetic place names (街道/镇/村) and clinic brands.
PLACE_1 = "永新太安三石金花白清龙兴和高福万长宝杨铁东西南青红黄双大柳桂莲松河山水文凤德"
PLACE_2 = "安兴平和丰乐宁江桥山林泉河溪坪坝场湾池塘源阳庙寺园田岗"
BRANDS = ("仁爱", "博爱", "安康", "惠民", "德仁", "华美", "益康", "瑞康", "恒康", "佳美", "济民", "康宁",
          "同心", "和美", "仁心", "民康", "润康", "百草", "杏林", "长宁")
CLINIC_SPECIALTIES = ("口腔", "中医", "内科", "全科", "儿科", "皮肤科", "眼科", "医疗美容")
PRIVATE_HOSPITALS = (("骨科医院", "specialist_hospital"), ("口腔医院", "specialist_hospital"),
                     ("眼科医院", "specialist_hospital"), ("医院", "general_hospital"),
                     ("中医医院", "tcm_hospital"))


def organisation_code(rng: random.Random) -> str:
    """A 9-character organisation code (GB 11714): 8 digits and its check character."""
    body = "".join(rng.choice("0123456789") for _ in range(8))
    total = sum(int(ch) * w for ch, w in zip(body, (3, 7, 9, 10, 5, 8, 4, 2), strict=True))
    check = 11 - total % 11
    return body + {10: "X", 11: "0"}.get(check, str(check))


def make_uscc(prefix: str, region: str, rng: random.Random) -> str:
    """prefix: registering authority + kind (12 public institution, 52 private non-enterprise,
    92 individual business); region: the GB/T 2260 code of the registering district."""
    first17 = prefix + region + organisation_code(rng)
    assert all(ch in ALPHABET for ch in first17)
    return first17 + check_character(first17)


def share_out(total: int, weights: dict) -> dict:
    """Share `total` among keys in proportion to `weights`, as whole numbers summing to `total`."""
    whole = sum(weights.values())
    if total <= 0 or whole <= 0:
        return dict.fromkeys(weights, 0)
    exact = {k: total * w / whole for k, w in weights.items()}
    shares = {k: int(v) for k, v in exact.items()}
    left = total - sum(shares.values())
    for k in sorted(exact, key=lambda k: (shares[k] - exact[k], str(k)))[:left]:
        shares[k] += 1
    return shares


class _Names:
    """Unique synthetic place names and clinic brands, shuffled per district."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.used: set[str] = set()

    def place(self) -> str:
        for _ in range(200):
            name = self.rng.choice(PLACE_1) + self.rng.choice(PLACE_2)
            if name not in self.used:
                self.used.add(name)
                return name
        return self.rng.choice(PLACE_1) + self.rng.choice(PLACE_2) + str(len(self.used))

    def unique(self, name: str) -> str:
        for n in itertools.count(2):
            if name not in self.used:
                self.used.add(name)
                return name
            name = f"{name.removesuffix('诊所')}第{n}诊所" if name.endswith("诊所") else f"{name}{n}"
        raise AssertionError("unreachable")


def _flex_spec(kind: str, district: District, names: _Names, rng: random.Random) -> dict:
    d = district.name
    if kind == "community":
        return dict(name=f"{d}{names.place()}街道社区卫生服务中心", type="community_centre",
                    grade=rng.choice(("1", "1", "none")), ownership="public", prefix="12")
    if kind == "township":
        centre = rng.random() < 0.25
        return dict(name=f"{d}{names.place()}镇{'中心' if centre else ''}卫生院", type="township_hospital",
                    grade="2" if centre else "1", ownership="public", prefix="12")
    if kind == "village":
        public = rng.random() < 0.6
        return dict(name=f"{d}{names.place()}镇{names.place()}村卫生室", type="village_clinic", grade="none",
                    ownership="public" if public else "non_public", prefix="52" if public else "92")
    if kind == "private_hospital":
        suffix, type_ = rng.choice(PRIVATE_HOSPITALS)
        name = names.unique(f"{district.short}{rng.choice(BRANDS)}{suffix}")
        return dict(name=name, type=type_, grade=rng.choice(("2", "1", "none")), ownership="non_public",
                    prefix="52")
    name = names.unique(f"{district.short}{rng.choice(BRANDS)}{rng.choice(CLINIC_SPECIALTIES)}诊所")
    return dict(name=name, type="private_clinic", grade="none", ownership="non_public", prefix="92")


def plan_institutions(count: int = DEFAULT_INSTITUTIONS, *, seed: int = 2260) -> list[InstitutionSpec]:
    """`count` institution specs. The order is stable: with a small count, every district still
    gets its 人民医院 first, and the demo district's 人民医院 is always the very first."""
    rng = random.Random(seed)
    used_codes: set[str] = set()

    def uscc(prefix: str, region: str) -> str:
        while True:
            code = make_uscc(prefix, region, rng)
            if code not in used_codes:
                used_codes.add(code)
                return code

    def jitter(staff: int) -> int:
        return max(1, round(staff * rng.uniform(0.75, 1.25)))

    core: list[InstitutionSpec] = []
    districts = sorted(DISTRICTS, key=lambda d: d.code != DEMO_DISTRICT)
    city = [InstitutionSpec(key, name, type_, "3A", "public", region, uscc("12", region), jitter(staff))
            for key, name, type_, region, staff in CITY_HOSPITALS]
    for index, (key, suffix, type_, grades, staff) in enumerate(CORE):
        for district in districts:
            grade = rng.choice(grades[district.kind]) if grades else "none"
            core.append(InstitutionSpec(f"{district.code}-{key}", f"{district.name}{suffix}", type_, grade,
                                        "public", district.code, uscc("12", district.code), jitter(staff)))
        if index == 0:
            core.extend(city)
    if count <= len(core):
        return core[:count]

    per_district = share_out(count - len(core), {d.code: 1 for d in DISTRICTS})
    flexible: list[InstitutionSpec] = []
    for district in DISTRICTS:
        names = _Names(random.Random(f"{seed}-{district.code}"))
        kinds = share_out(per_district[district.code], MIX[district.kind])
        for kind, n in kinds.items():
            for i in range(n):
                spec = _flex_spec(kind, district, names, rng)
                flexible.append(InstitutionSpec(
                    f"{district.code}-{kind}-{i}", spec["name"], spec["type"], spec["grade"], spec["ownership"],
                    district.code, uscc(spec["prefix"], district.code), jitter(FLEX_STAFF[kind])))
    return core + flexible
