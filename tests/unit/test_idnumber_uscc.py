import datetime as dt

import pytest

from weijian.orgs.uscc import check_character, uscc_problem
from weijian.workforce.idnumber import (
    IdNumberError,
    check_digit,
    make_id_number,
    mask_id_number,
    parse_id_number,
)


def test_gb11643_check_digit_of_the_standard_example():
    # The worked example in GB 11643-1999 appendix: 11010519491231002 -> X.
    assert check_digit("11010519491231002") == "X"
    parsed = parse_id_number("11010519491231002x")
    assert parsed.value.endswith("X")
    assert parsed.birth_date == dt.date(1949, 12, 31)
    assert parsed.sex == "F"  # 17th digit 2 is even


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("51010419900101123", "身份证号应为18位"),
        ("5101041990010112AX", "身份证号格式错误：前17位应为数字，末位为数字或X"),
        ("510104199002301234", "身份证号中的出生日期无效"),
        ("510104209901011234", "身份证号中的出生日期超出合理范围"),
    ],
)
def test_invalid_id_numbers_have_chinese_reasons(raw, reason):
    with pytest.raises(IdNumberError) as exc:
        parse_id_number(raw)
    assert str(exc.value) == reason


def test_wrong_check_digit_is_rejected():
    good = make_id_number("510104", dt.date(1985, 6, 15), 37)
    wrong = good[:17] + ("0" if good[17] != "0" else "1")
    with pytest.raises(IdNumberError, match="校验位错误"):
        parse_id_number(wrong)
    assert parse_id_number(good).sex == "M"


def test_mask_keeps_four_and_four():
    assert mask_id_number("510104198506150375") == "5101**********0375"


def test_uscc_check_character_and_problems():
    body = "91510100MA61XXXX0"
    body = body.replace("X", "1")
    code = body + check_character(body)
    assert uscc_problem(code) is None
    wrong = body + ("0" if code[-1] != "0" else "1")
    assert uscc_problem(wrong) == "统一社会信用代码校验位错误"
    assert uscc_problem(code[:17]) == "统一社会信用代码应为18位"
    assert uscc_problem(code[:16] + "I" + code[17]) == "统一社会信用代码含非法字符（不得含 I、O、S、V、Z 及小写字母）"


def test_uscc_known_public_format_example():
    # GB 32100 appendix style example: check character computed by the standard's weights.
    assert check_character("91350100M000100Y4") == "3"
