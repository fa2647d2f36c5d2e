"""Names: cleaning, 繁简, 复姓, surname readings, pinyin keys, placeholders."""

import pytest

from weijian.linkage.standardise import clean_name, split_surname, surname_pinyin
from weijian.linkage.standardise.names import COMPOUND_SURNAMES, REASON_NEWBORN, REASON_UNKNOWN


def test_plain_name_is_split_and_read():
    name = clean_name("张伟")
    assert (name.name, name.surname, name.given_name) == ("张伟", "张", "伟")
    assert name.pinyin == ("zhang", "wei")
    assert (name.pinyin_text, name.pinyin_key, name.surname_pinyin) == ("zhang wei", "zhangwei", "zhang")
    assert name.placeholder is False and name.problems == ()


def test_homophones_share_the_pinyin_key():
    # 同音字: a clerk hearing "zhang wei" may type either surname.
    assert clean_name("张伟").pinyin_key == clean_name("章伟").pinyin_key == "zhangwei"
    assert clean_name("张伟").name != clean_name("章伟").name


def test_traditional_characters_become_simplified():
    name = clean_name("張偉")
    assert (name.name, name.surname, name.given_name, name.pinyin_key) == ("张伟", "张", "伟", "zhangwei")
    assert clean_name("歐陽娜娜").name == "欧阳娜娜"
    assert clean_name("歐陽娜娜").surname == "欧阳"


@pytest.mark.parametrize(("raw", "surname", "given", "surname_key", "text"), [
    ("欧阳娜娜", "欧阳", "娜娜", "ouyang", "ou yang na na"),
    ("司马光", "司马", "光", "sima", "si ma guang"),
    ("诸葛亮", "诸葛", "亮", "zhuge", "zhu ge liang"),
    ("上官婉儿", "上官", "婉儿", "shangguan", "shang guan wan er"),
    ("尉迟恭", "尉迟", "恭", "yuchi", "yu chi gong"),
    ("万俟卨", "万俟", "卨", "moqi", "mo qi xie"),
    ("长孙无忌", "长孙", "无忌", "zhangsun", "zhang sun wu ji"),
    ("令狐冲", "令狐", "冲", "linghu", "ling hu chong"),
])
def test_compound_surnames(raw, surname, given, surname_key, text):
    name = clean_name(raw)
    assert (name.surname, name.given_name, name.surname_pinyin, name.pinyin_text) == (
        surname, given, surname_key, text)


def test_compound_surname_list_is_long_enough_and_two_characters_each():
    assert len(COMPOUND_SURNAMES) >= 20
    assert all(len(s) == 2 for s in COMPOUND_SURNAMES)


def test_two_character_name_starting_like_a_compound_surname_keeps_a_given_name():
    # "欧阳" alone is more likely 欧 + 阳 than a surname with no given name.
    assert split_surname("欧阳") == ("欧", "阳")
    assert split_surname("欧阳锋") == ("欧阳", "锋")


@pytest.mark.parametrize(("raw", "surname_key", "key"), [
    ("单雄信", "shan", "shanxiongxin"),
    ("曾国藩", "zeng", "zengguofan"),
    ("区志华", "ou", "ouzhihua"),
    ("仇英", "qiu", "qiuying"),
    ("解缙", "xie", "xiejin"),
    ("查良镛", "zha", "zhaliangyong"),
    ("朴树", "piao", "piaoshu"),
    ("乐嘉", "yue", "yuejia"),
    ("覃丽", "qin", "qinli"),
    ("缪斯", "miao", "miaosi"),
    ("盖聂", "ge", "genie"),
])
def test_heteronym_surnames_use_the_surname_reading(raw, surname_key, key):
    name = clean_name(raw)
    assert name.surname_pinyin == surname_key
    assert name.pinyin_key == key


def test_surname_pinyin_of_a_plain_surname_uses_pypinyin():
    assert surname_pinyin("王") == ("wang",)
    assert surname_pinyin("吕") == ("lv",)
    assert surname_pinyin("") == ()


def test_full_width_and_spaces_are_cleaned():
    assert clean_name("　王 小 明 ").name == "王小明"
    latin = clean_name("ＺＨＡＮＧ　ｗｅｉ")
    assert (latin.name, latin.pinyin_text, latin.pinyin_key) == ("ZHANG WEI", "zhang wei", "zhangwei")
    assert latin.surname == "" and latin.surname_pinyin == ""


def test_latin_names_are_upper_case_with_single_spaces():
    name = clean_name("  john   f. smith ")
    assert name.name == "JOHN F SMITH"
    assert name.pinyin_text == "john f smith"


@pytest.mark.parametrize("raw", ["阿依古丽·买买提", "阿依古丽.买买提", "阿依古丽•买买提", "阿依古丽・买买提",
                                 "阿依古丽 · 买买提", "阿依古丽．买买提"])
def test_transliterated_names_keep_one_canonical_dot(raw):
    name = clean_name(raw)
    assert name.name == "阿依古丽·买买提"
    assert name.surname == "" and name.given_name == "阿依古丽·买买提"
    assert name.pinyin_key == "ayigulimaimaiti"


def test_a_dot_inside_a_short_han_name_is_dropped():
    assert clean_name("张·伟").name == "张伟"
    assert clean_name("·张伟·").name == "张伟"


def test_noise_is_dropped_and_reported():
    name = clean_name("李四(住院)")
    assert name.name == "李四"
    assert name.problems == ("姓名含非汉字字符，已去除",)
    assert clean_name("张三1").name == "张三"


@pytest.mark.parametrize(("raw", "reason"), [
    ("婴儿", REASON_NEWBORN), ("新生儿", REASON_NEWBORN), ("之子", REASON_NEWBORN), ("之女", REASON_NEWBORN),
    ("王芳之子", REASON_NEWBORN), ("李娜之女", REASON_NEWBORN), ("张丽之女二", REASON_NEWBORN),
    ("XX之子", REASON_NEWBORN), ("男婴", REASON_NEWBORN), ("張麗嬰兒", REASON_NEWBORN),
    ("无名氏", REASON_UNKNOWN), ("未知", REASON_UNKNOWN), ("不详", REASON_UNKNOWN), ("某某", REASON_UNKNOWN),
    ("BABY", REASON_UNKNOWN),
])
def test_placeholder_names_are_emptied_and_flagged(raw, reason):
    name = clean_name(raw)
    assert name.placeholder is True
    assert (name.name, name.surname, name.given_name, name.pinyin_key, name.surname_pinyin) == (
        "", "", "", "", "")
    assert name.problems == (reason,)


@pytest.mark.parametrize(("raw", "parent", "surname", "order"), [
    ("王芳之子", "王芳", "", ""), ("王芳之子二", "王芳", "", "2"), ("張麗之女一", "张丽", "", "1"),
    ("李娜之女小", "李娜", "", "2"), ("王 芳之女1", "王芳", "", "1"), ("王芳之子（急诊）", "王芳", "", ""),
    ("欧阳娜娜之子甲", "欧阳娜娜", "", "1"),
    # a bare surname or 复姓 names a family, not a parent; a generic placeholder keeps only its birth order
    ("张之女", "", "张", ""), ("欧阳之子二", "", "欧阳", "2"), ("男婴二", "", "", "2"), ("新生儿", "", "", ""),
    ("XX之子", "", "", ""),
    # not newborns: nothing to read
    ("无名氏", "", "", ""), ("王芳", "", "", ""),
])
def test_a_newborn_placeholder_keeps_the_parent_or_surname_it_names_and_the_birth_order(raw, parent, surname,
                                                                                         order):
    name = clean_name(raw)
    assert (name.newborn_of, name.newborn_surname, name.birth_order) == (parent, surname, order)


def test_a_real_name_with_a_placeholder_character_is_not_a_placeholder():
    assert clean_name("王子怡").placeholder is False
    assert clean_name("李宝华").name == "李宝华"


@pytest.mark.parametrize("raw", [None, "", "   ", float("nan"), "-", "NULL", 12345])
def test_missing_or_garbage_names_are_empty_without_placeholder_flag(raw):
    name = clean_name(raw)
    assert name.name == "" and name.placeholder is False and name.pinyin == ()


def test_every_listed_placeholder_is_detected():
    from weijian.linkage.standardise.names import _NEWBORN_EXACT, _UNKNOWN_EXACT

    assert {raw for raw in _NEWBORN_EXACT if clean_name(raw).problems != (REASON_NEWBORN,)} == set()
    assert {raw for raw in _UNKNOWN_EXACT if clean_name(raw).problems != (REASON_UNKNOWN,)} == set()
