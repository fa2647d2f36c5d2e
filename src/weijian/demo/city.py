"""成都市 as GB/T 2260 knows it: the province, the city and its 20 county-level divisions.

The codes are the real ones (as of the 2020 change of 新津县 to 新津区); townships are left out
because GB/T 2260 stops at county level. `kind` drives the institution mix: central urban
districts, suburban districts, and outer counties/county-level cities.
"""

from dataclasses import dataclass

PROVINCE = ("510000", "四川省")
CITY = ("510100", "成都市")

URBAN, SUBURBAN, OUTER = "urban", "suburban", "outer"


@dataclass(frozen=True)
class District:
    code: str
    name: str
    kind: str

    @property
    def short(self) -> str:
        """锦江区 -> 锦江, 都江堰市 -> 都江堰 (for institution names)."""
        return self.name[:-1]


DISTRICTS: tuple[District, ...] = (
    District("510104", "锦江区", URBAN),
    District("510105", "青羊区", URBAN),
    District("510106", "金牛区", URBAN),
    District("510107", "武侯区", URBAN),
    District("510108", "成华区", URBAN),
    District("510112", "龙泉驿区", SUBURBAN),
    District("510113", "青白江区", SUBURBAN),
    District("510114", "新都区", SUBURBAN),
    District("510115", "温江区", SUBURBAN),
    District("510116", "双流区", SUBURBAN),
    District("510117", "郫都区", SUBURBAN),
    District("510118", "新津区", SUBURBAN),
    District("510121", "金堂县", OUTER),
    District("510129", "大邑县", OUTER),
    District("510131", "蒲江县", OUTER),
    District("510181", "都江堰市", OUTER),
    District("510182", "彭州市", OUTER),
    District("510183", "邛崃市", OUTER),
    District("510184", "崇州市", OUTER),
    District("510185", "简阳市", OUTER),
)

# The demo's district and institution users are anchored here.
DEMO_DISTRICT = "510104"

# Where workers were born (the region part of their ID numbers): mostly Chengdu, some from
# elsewhere in Sichuan. All real county-level codes.
OTHER_SICHUAN_REGIONS = (
    "510302",  # 自贡市自流井区
    "510502",  # 泸州市江阳区
    "510603",  # 德阳市旌阳区
    "510703",  # 绵阳市涪城区
    "511002",  # 内江市市中区
    "511102",  # 乐山市市中区
    "511302",  # 南充市顺庆区
    "511402",  # 眉山市东坡区
    "511502",  # 宜宾市翠屏区
    "511702",  # 达州市通川区
    "511802",  # 雅安市雨城区
    "512002",  # 资阳市雁江区
)
