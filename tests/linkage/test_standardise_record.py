"""The STANDARDISED RECORD: one raw record in, the model's columns out; the frame gives the same rows."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from weijian.linkage.standardise import (
    STANDARDISED_COLUMNS,
    Gazetteer,
    parse_birth_date,
    parse_sex,
    standardise_frame,
    standardise_record,
)
from weijian.linkage.standardise.idnumber import check_digit

TODAY = dt.date(2025, 6, 30)
GAZETTEER = Gazetteer.from_divisions([
    ("510000", "四川省", ""), ("510100", "成都市", "510000"), ("510104", "锦江区", "510100"),
    ("510105", "青羊区", "510100"), ("510104901", "春熙路街道", "510104"),
])


def make_id(region: str, born: str, sequence: str) -> str:
    return region + born + sequence + check_digit(region + born + sequence)


MOTHER_ID = make_id("510104", "19900307", "124")  # female (4 is even)
BABY_BORN = "2024-05-01"


def raw(**fields):
    record = {"record_id": "r1", "source": "HIS-A", "local_id": "P0001", "name": "张伟", "sex": "男",
              "birth_date": "1985-01-01", "id_number": make_id("510104", "19850101", "011"),
              "phone": "139-1234-5678", "address": "成都市锦江区春熙路街道红星路三段1号"}
    record.update(fields)
    return record


def test_full_record():
    record = standardise_record(raw(), GAZETTEER, today=TODAY)
    assert tuple(record) == STANDARDISED_COLUMNS
    assert record == {
        "record_id": "r1", "source": "HIS-A", "local_id": "P0001",
        "name": "张伟", "surname": "张", "given_name": "伟", "name_pinyin": "zhang wei",
        "name_pinyin_key": "zhangwei", "surname_pinyin": "zhang", "placeholder_name": False,
        "newborn_of": "", "newborn_surname": "", "birth_order": "",
        "id_number": make_id("510104", "19850101", "011"), "id_status": "valid",
        "id_birth_date": "1985-01-01", "id_sex": "1",
        "birth_date": "1985-01-01", "birth_date_from_id": False, "sex": "1", "id_consistent": True,
        "phone": "13912345678",
        "address": "四川省成都市锦江区春熙路街道红星路三段1号", "address_key": "四川省成都市锦江区红星路三段1号",
        "address_district": "510104",
        "address_street": "510104901",
        "problems": [],
    }


def test_parents_id_on_a_newborns_record_is_not_consistent():
    record = standardise_record(raw(name="王芳之子", sex="男", birth_date=BABY_BORN, id_number=MOTHER_ID),
                                GAZETTEER, today=TODAY)
    assert record["id_status"] == "valid"
    assert record["id_birth_date"] == "1990-03-07"
    assert record["id_consistent"] is False
    assert record["birth_date"] == BABY_BORN and record["birth_date_from_id"] is False
    assert record["placeholder_name"] is True and record["name"] == ""
    assert (record["newborn_of"], record["birth_order"]) == ("王芳", "")
    assert record["problems"] == ["姓名为占位名（新生儿）", "身份证号与出生日期或性别不符（可能是他人证件）"]


def test_an_adults_id_on_a_newborns_record_without_birth_date_is_not_consistent():
    # nothing on the record disagrees with the mother's ID but the name: a newborn is not 35 years old
    record = standardise_record(raw(name="王芳之女", sex="女", birth_date=None, id_number=MOTHER_ID),
                                GAZETTEER, today=TODAY)
    assert (record["id_status"], record["id_consistent"]) == ("valid", False)
    assert record["birth_date"] == "" and record["birth_date_from_id"] is False
    assert record["problems"][-1] == "身份证号与出生日期或性别不符（可能是他人证件）"
    # the baby's own ID is the baby's
    own = make_id("510104", "20240501", "122")
    record = standardise_record(raw(name="新生儿", sex="女", birth_date=None, id_number=own), today=TODAY)
    assert (record["id_consistent"], record["birth_date"], record["birth_date_from_id"]) == (True, BABY_BORN, True)
    # an unknown adult (无名氏) keeps their ID
    record = standardise_record(raw(name="无名氏", birth_date=None), today=TODAY)
    assert record["id_consistent"] is True


def test_id_of_the_other_sex_is_not_consistent():
    record = standardise_record(raw(sex="女"), today=TODAY)
    assert (record["id_status"], record["id_consistent"]) == ("valid", False)


def test_missing_birth_date_is_filled_from_a_valid_id():
    record = standardise_record(raw(birth_date=None, sex=None), today=TODAY)
    assert record["birth_date"] == "1985-01-01"
    assert record["sex"] == "1"
    assert record["birth_date_from_id"] is True
    assert record["id_consistent"] is True
    assert record["problems"] == []


def test_birth_date_is_not_filled_from_an_id_that_disagrees_on_sex():
    record = standardise_record(raw(birth_date=None, sex="女"), today=TODAY)
    assert (record["birth_date"], record["birth_date_from_id"], record["id_consistent"]) == ("", False, False)


def test_legacy_id_counts_as_the_persons_id():
    record = standardise_record(raw(id_number="510104850101011"), today=TODAY)
    assert record["id_number"] == make_id("510104", "19850101", "011")
    assert (record["id_status"], record["id_consistent"]) == ("legacy15", True)
    assert record["problems"] == ["15位旧身份证号，已升为18位"]


def test_bad_checksum_keeps_the_number_but_it_never_counts():
    good = make_id("510104", "19850101", "011")
    typed = good[:17] + ("0" if good[17] != "0" else "1")
    record = standardise_record(raw(id_number=typed), today=TODAY)
    assert (record["id_number"], record["id_status"]) == (typed, "bad_checksum")
    assert (record["id_birth_date"], record["id_sex"], record["id_consistent"]) == ("", "", False)
    assert record["problems"][0].startswith("身份证号校验位错误")


def test_bad_date_and_bad_format_drop_the_number():
    impossible = make_id("510104", "19850230", "011")
    assert standardise_record(raw(id_number=impossible), today=TODAY)["id_number"] == ""
    record = standardise_record(raw(id_number="5101041985"), today=TODAY)
    assert (record["id_number"], record["id_status"]) == ("", "bad_format")
    assert "身份证号格式错误" in record["problems"]


@pytest.mark.parametrize(("value", "expected"), [
    ("1990-01-02", "1990-01-02"), ("1990/1/2", "1990-01-02"), ("19900102", "1990-01-02"),
    ("1990年1月2日", "1990-01-02"), ("1990.01.02", "1990-01-02"), ("1990-01-02 00:00:00", "1990-01-02"),
    ("１９９０－０１－０２", "1990-01-02"), (dt.date(1990, 1, 2), "1990-01-02"),
    (dt.datetime(1990, 1, 2, 8, 30), "1990-01-02"), (pd.Timestamp("1990-01-02"), "1990-01-02"),
    (19900102, "1990-01-02"),
])
def test_birth_date_formats(value, expected):
    assert parse_birth_date(value, today=TODAY) == (expected, "")


@pytest.mark.parametrize("value", ["1990-02-30", "19901301", "2099-01-01", "1899-12-31", "1990", "昨天",
                                   "90-1-2"])
def test_impossible_birth_dates(value):
    assert parse_birth_date(value, today=TODAY) == ("", "出生日期不合法")
    record = standardise_record(raw(birth_date=value), today=TODAY)
    assert record["birth_date"] == "1985-01-01"  # filled from the record's own valid ID
    assert "出生日期不合法" in record["problems"]


@pytest.mark.parametrize("value", [None, "", float("nan"), pd.NaT, "不详"])
def test_missing_birth_date_is_no_problem(value):
    assert parse_birth_date(value, today=TODAY) == ("", "")


@pytest.mark.parametrize(("value", "expected"), [
    ("男", "1"), ("女", "2"), ("M", "1"), ("f", "2"), ("1", "1"), ("2", "2"), (1, "1"), (2.0, "2"),
    ("male", "1"), ("Female", "2"), ("男性", "1"), ("Ｆ", "2"),
    ("0", ""), ("9", ""), ("未知", ""), (None, ""),
])
def test_sex_values(value, expected):
    assert parse_sex(value)[0] == expected


def test_unreadable_sex_is_reported():
    assert parse_sex("X") == ("", "性别无法识别")


def test_everything_missing_or_garbage_does_not_raise():
    record = standardise_record({"name": 123, "sex": object(), "birth_date": [], "id_number": {"a": 1},
                                 "phone": -1, "address": 3.5}, GAZETTEER, today=TODAY)
    assert tuple(record) == STANDARDISED_COLUMNS
    assert (record["record_id"], record["name"], record["id_status"], record["phone"]) == (
        "", "", "bad_format", "")
    empty = standardise_record({}, today=TODAY)
    assert (empty["name"], empty["id_status"], empty["birth_date"], empty["problems"]) == (
        "", "missing", "", [])
    assert empty["id_consistent"] is False


RAWS = [
    raw(),
    raw(record_id=2, local_id=17.0, name="張偉", sex="M", birth_date="1985/1/1"),
    raw(record_id="r3", name="王芳之子", birth_date=BABY_BORN, id_number=MOTHER_ID),
    raw(record_id="r4", name="欧阳娜娜", sex="女", birth_date=None, id_number=MOTHER_ID, phone="+86 28 8555 1234"),
    raw(record_id="r5", name=None, sex=None, birth_date=float("nan"), id_number=None, phone=None,
        address=None),
    raw(record_id="r6", name="单雄信", id_number="510104850101011", phone="13800138000", address="锦江春熙路1号"),
    raw(record_id="r7", name="ＬＩ　ｌｅｉ", sex="X", birth_date="1985-02-30",
        id_number=make_id("510104", "19850101", "011").lower(), address="北京朝阳区1号"),
    raw(record_id="r8", id_number=make_id("510104", "19850101", "011")[:17] + "0", phone="028-85551234-12"),
    raw(record_id="r9", id_number=make_id("510104", "20990101", "011"), birth_date=dt.date(1985, 1, 1)),
    raw(record_id="r10", id_number="abc", phone=13912345678, address="  "),
    raw(record_id="r11", name="阿依古丽.买买提", sex="2", birth_date="19900307", id_number=MOTHER_ID),
    raw(record_id="r12", id_number=" 5101041985 0101 011" + check_digit("51010419850101011")),
    # mobiles as sources format them, and dates the fast paths read or leave to the scalar parser
    raw(record_id="r13", phone="+86 139 1234 5678", birth_date="19900230"),
    raw(record_id="r14", phone="139-1234-5678", birth_date="2099-01-01"),
    raw(record_id="r15", phone="+8613800138000", birth_date="1899-12-31"),
    raw(record_id="r16", phone="+86 13912345678", birth_date="2000-02-29"),
    raw(record_id="r17", phone="139-12345678", birth_date="19000101"),
    raw(record_id="r18", phone="１３９１２３４５６７８", birth_date="1990-1-2"),
    raw(record_id="r19", phone="139 1234-5678", birth_date="1990-02-29"),
]


def test_frame_gives_the_same_rows_as_the_record_function():
    frame = standardise_frame(pd.DataFrame(RAWS, index=range(100, 100 + len(RAWS))), GAZETTEER, today=TODAY)
    assert tuple(frame.columns) == STANDARDISED_COLUMNS
    assert list(frame.index) == list(range(100, 100 + len(RAWS)))
    for position, raw_record in enumerate(RAWS):
        expected = standardise_record(raw_record, GAZETTEER, today=TODAY)
        row = {key: (value.item() if isinstance(value, np.generic) else value)
               for key, value in frame.iloc[position].to_dict().items()}
        assert row == expected, raw_record["record_id"]


def test_frame_with_missing_columns_and_typed_columns():
    df = pd.DataFrame({"record_id": [1, 2], "birth_date": pd.to_datetime(["1985-01-01", None]),
                       "phone": [13912345678, np.nan]})
    frame = standardise_frame(df, today=TODAY)
    assert list(frame["record_id"]) == ["1", "2"]
    assert list(frame["birth_date"]) == ["1985-01-01", ""]
    assert list(frame["phone"]) == ["13912345678", ""]
    assert list(frame["id_status"]) == ["missing", "missing"]
    assert list(frame["problems"]) == [[], []]


def test_frame_of_no_rows():
    frame = standardise_frame(pd.DataFrame({"name": []}), GAZETTEER, today=TODAY)
    assert tuple(frame.columns) == STANDARDISED_COLUMNS
    assert len(frame) == 0


def test_frame_problem_lists_are_not_shared_between_rows():
    frame = standardise_frame(pd.DataFrame([raw(), raw()]), today=TODAY)
    frame["problems"].iloc[0].append("x")
    assert frame["problems"].iloc[1] == []


def test_frame_of_pandas_string_columns_matches_the_record_function():
    df = pd.DataFrame(RAWS).astype("string")  # missing cells become pd.NA
    frame = standardise_frame(df, GAZETTEER, today=TODAY)
    for position, raw_record in enumerate(df.to_dict("records")):
        row = {key: (value.item() if isinstance(value, np.generic) else value)
               for key, value in frame.iloc[position].to_dict().items()}
        assert row == standardise_record(raw_record, GAZETTEER, today=TODAY), raw_record["record_id"]
    assert frame["name"].iloc[4] == "" and frame["id_status"].iloc[4] == "missing"
