"""Addresses: prefixes stripped, district by full or short name, street/township, detail kept.

Province, city and district codes are the real GB/T 2260 ones; the 9-digit street codes are made up
for the test (the parser only needs them to be children of their district).
"""

import pytest

from weijian.linkage.standardise import Gazetteer, parse_address
from weijian.linkage.standardise.address import short_names

ROWS = [
    ("510000", "四川省", None),
    ("510100", "成都市", "510000"),
    ("510104", "锦江区", "510100"),
    ("510105", "青羊区", "510100"),
    ("510106", "金牛区", "510100"),
    ("510112", "龙泉驿区", "510100"),
    ("510181", "都江堰市", "510100"),
    ("510104901", "春熙路街道", "510104"),
    ("510104902", "书院街街道", "510104"),
    ("510104903", "三圣街道", "510104"),
    ("510112901", "龙泉街道", "510112"),
    ("510181901", "青城山镇", "510181"),
    ("511100", "乐山市", "510000"),
    ("511132", "峨边彝族自治县", "511100"),
    ("110000", "北京市", ""),
    ("110100", "市辖区", "110000"),
    ("110105", "朝阳区", "110100"),
    ("220000", "吉林省", ""),
    ("220100", "长春市", "220000"),
    ("220104", "朝阳区", "220100"),
    ("450000", "广西壮族自治区", ""),
]


@pytest.fixture(scope="module")
def gazetteer():
    return Gazetteer.from_divisions(ROWS)


@pytest.mark.parametrize("raw", [
    "四川省成都市锦江区春熙路街道红星路三段1号",
    "成都市锦江区春熙路街道红星路三段1号",
    "锦江区春熙路街道红星路三段1号",
    "四川成都锦江区春熙路街道红星路三段1号",
    "锦江春熙路街道红星路三段1号",
    "中国四川省成都市锦江区春熙路街道办事处红星路三段1号",
    "四川省 成都市 锦江区 春熙路街道 红星路三段１号 610000",
    "四川省成都市錦江區春熙路街道紅星路三段1號",
])
def test_the_same_address_written_many_ways(gazetteer, raw):
    parsed = parse_address(raw, gazetteer)
    assert parsed.district_code == "510104"
    assert parsed.district_name == "锦江区"
    assert (parsed.province_code, parsed.city_code) == ("510000", "510100")
    assert (parsed.street_code, parsed.street_name) == ("510104901", "春熙路街道")
    assert parsed.detail == "红星路三段1号"
    assert parsed.normalised == "四川省成都市锦江区春熙路街道红星路三段1号"
    assert parsed.problems == ()


def test_the_key_leaves_out_the_street_people_write_or_omit(gazetteer):
    with_street = parse_address("成都市锦江区春熙路街道红星路三段1号", gazetteer)
    without = parse_address("锦江区红星路三段1号", gazetteer)
    assert with_street.normalised != without.normalised
    assert with_street.key == without.key == "四川省成都市锦江区红星路三段1号"
    unknown_street = parse_address("青羊区草堂街道青华路37号", gazetteer)
    assert unknown_street.key == "四川省成都市青羊区青华路37号"
    no_district = parse_address("某某路1号", gazetteer)
    assert no_district.key == no_district.normalised


def test_a_road_named_like_a_street_is_detail_not_the_street(gazetteer):
    parsed = parse_address("锦江区春熙路123号", gazetteer)
    assert (parsed.district_code, parsed.street_code, parsed.street_name) == ("510104", "", "")
    assert parsed.detail == "春熙路123号"
    assert parsed.normalised == "四川省成都市锦江区春熙路123号"


def test_township_written_with_an_older_suffix(gazetteer):
    parsed = parse_address("成都锦江区三圣乡红砂村1组", gazetteer)
    assert (parsed.street_code, parsed.street_name, parsed.detail) == ("510104903", "三圣街道", "红砂村1组")


def test_street_not_in_the_gazetteer_keeps_its_name(gazetteer):
    parsed = parse_address("青羊区草堂街道青华路37号", gazetteer)
    assert (parsed.district_code, parsed.street_code, parsed.street_name) == ("510105", "", "草堂街道")
    assert parsed.street_key == "草堂街道"
    assert parsed.detail == "青华路37号"


def test_county_level_city_and_town(gazetteer):
    parsed = parse_address("都江堰青城山镇泰安村5组", gazetteer)
    assert (parsed.district_code, parsed.street_code, parsed.detail) == ("510181", "510181901", "泰安村5组")
    assert parsed.normalised == "四川省成都市都江堰市青城山镇泰安村5组"


def test_short_name_of_an_autonomous_county(gazetteer):
    assert short_names("峨边彝族自治县", "district") == ["峨边"]
    parsed = parse_address("乐山峨边县沙坪镇1号", gazetteer)
    assert (parsed.district_code, parsed.street_name, parsed.detail) == ("511132", "沙坪镇", "1号")


def test_short_names_of_provinces_and_cities():
    assert short_names("广西壮族自治区", "province") == ["广西"]
    assert short_names("四川省", "province") == ["四川"]
    assert short_names("成都市", "city") == ["成都"]
    assert short_names("锦江区", "district") == ["锦江"]


def test_municipality(gazetteer):
    for raw in ("北京市朝阳区建国路88号", "北京朝阳区建国路88号"):
        parsed = parse_address(raw, gazetteer)
        assert (parsed.province_code, parsed.district_code) == ("110000", "110105")
        assert parsed.normalised == "北京市朝阳区建国路88号"


def test_same_district_name_in_two_cities_needs_the_city(gazetteer):
    assert parse_address("吉林省长春市朝阳区人民大街1号", gazetteer).district_code == "220104"
    parsed = parse_address("朝阳区建国路88号", gazetteer)
    assert (parsed.district_code, parsed.normalised) == ("", "朝阳区建国路88号")
    assert parsed.problems == ("区县名称有歧义，未编码",)


def test_district_outside_the_written_city_is_not_taken(gazetteer):
    parsed = parse_address("成都市朝阳区1号", gazetteer)
    assert parsed.district_code == ""
    assert parsed.city_code == "510100"


def test_a_road_named_after_a_district_is_not_the_district(gazetteer):
    parsed = parse_address("金牛大道5号", gazetteer)
    assert parsed.district_code == ""
    assert parsed.normalised == "金牛大道5号"


def test_unknown_district_keeps_the_text(gazetteer):
    parsed = parse_address("四川省成都市高新区天府大道北段1700号", gazetteer)
    assert (parsed.district_code, parsed.street_code) == ("", "")
    assert (parsed.province_code, parsed.city_code) == ("510000", "510100")
    assert parsed.normalised == "四川省成都市高新区天府大道北段1700号"
    assert parsed.problems == ("地址中未识别出区县",)


def test_province_short_name_is_written_out(gazetteer):
    parsed = parse_address("广西南宁市青秀区民族大道1号", gazetteer)
    assert parsed.province_code == "450000"
    assert parsed.normalised == "广西壮族自治区南宁市青秀区民族大道1号"


def test_without_a_gazetteer_the_text_is_only_cleaned():
    parsed = parse_address(" 四川省成都市 锦江区 红星路１号 ")
    assert parsed.normalised == parsed.detail == "四川省成都市锦江区红星路1号"
    assert (parsed.district_code, parsed.street_code, parsed.problems) == ("", "", ())


@pytest.mark.parametrize("raw", [None, "", "   ", float("nan")])
def test_missing_address(gazetteer, raw):
    parsed = parse_address(raw, gazetteer)
    assert (parsed.normalised, parsed.district_code, parsed.problems) == ("", "", ())


def test_twelve_digit_township_codes_are_shortened():
    gazetteer = Gazetteer.from_divisions([("510104", "锦江区", "510100"),
                                          ("510104901000", "春熙路街道", "510104")])
    assert parse_address("锦江区春熙路街道1号", gazetteer).street_code == "510104901"
