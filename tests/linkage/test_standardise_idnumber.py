"""GB 11643-1999 ID numbers: check character, 15 → 18, embedded date and sex, repair hints.

Numbers are built with `reference_id`, written from the standard's own definition (weight of position i
counted from the right, check position = 1: 2^(i-1) mod 11; check value (12 - sum mod 11) mod 11, 10 = X)
rather than from the weight table the code uses, so the two implementations check each other.
"""

import datetime as dt

import pytest

from weijian.linkage.standardise import check_digit, check_id_number, repair_candidates, upgrade_legacy15

TODAY = dt.date(2025, 6, 30)


def reference_check(first17: str) -> str:
    total = sum(int(digit) * (2 ** (17 - i) % 11) for i, digit in enumerate(first17))
    value = (12 - total % 11) % 11
    return "X" if value == 10 else str(value)


def reference_id(region: str, born: str, sequence: str) -> str:
    first17 = region + born + sequence
    return first17 + reference_check(first17)


def test_reference_agrees_with_the_standard_example_and_the_code():
    assert reference_check("11010519491231002") == "X"  # GB 11643-1999's own example
    for first17 in ("51010419900307123", "44030419850101001", "11010520000229002", "65010219770707311"):
        assert check_digit(first17) == reference_check(first17)


def test_valid_number_gives_birth_date_and_sex():
    check = check_id_number("11010519491231002X", today=TODAY)
    assert (check.status, check.id_number, check.birth_date, check.sex) == (
        "valid", "11010519491231002X", "1949-12-31", "2")
    assert check.problems == () and check.repair_candidates == () and check.usable


def test_odd_seventeenth_digit_is_male():
    number = reference_id("510104", "19900307", "123")
    check = check_id_number(number, today=TODAY)
    assert (check.status, check.birth_date, check.sex) == ("valid", "1990-03-07", "1")


@pytest.mark.parametrize("raw", ["11010519491231002x", "１１０１０５１９４９１２３１００２Ｘ", " 110105 19491231 002X ",
                                 "110105-19491231-002x", "'11010519491231002X"])
def test_lower_x_full_width_and_separators_are_canonicalised(raw):
    check = check_id_number(raw, today=TODAY)
    assert (check.status, check.id_number) == ("valid", "11010519491231002X")


def test_legacy_15_digit_number_is_upgraded():
    assert upgrade_legacy15("110105491231002") == "11010519491231002X"
    check = check_id_number("110105491231002", today=TODAY)
    assert (check.status, check.id_number, check.birth_date, check.sex) == (
        "legacy15", "11010519491231002X", "1949-12-31", "2")
    assert check.usable
    assert check.problems == ("15位旧身份证号，已升为18位",)
    legacy = "510104" + "850101" + "001"
    assert check_id_number(legacy, today=TODAY).id_number == reference_id("510104", "19850101", "001")


def test_legacy_15_digit_number_with_impossible_date():
    check = check_id_number("510104851301001", today=TODAY)  # month 13
    assert (check.status, check.id_number) == ("bad_date", "")


def test_bad_check_character_keeps_the_number_and_offers_the_recomputed_one():
    check = check_id_number("110105194912310021", today=TODAY)
    assert check.status == "bad_checksum"
    assert check.id_number == "110105194912310021"
    assert (check.birth_date, check.sex) == ("", "")
    assert not check.usable
    assert "11010519491231002X" in check.repair_candidates
    assert check.problems[0].startswith("身份证号校验位错误")


def test_adjacent_transposition_is_found():
    right = reference_id("510104", "19900307", "123")
    typed = right[:8] + right[9] + right[8] + right[10:]  # 1990 → 1909
    assert typed != right
    check = check_id_number(typed, today=TODAY)
    assert check.status == "bad_checksum"
    assert check.transposition_suspected is True
    # Other single swaps may validate too (here one in the region code): all are offered, in position order.
    assert right in check.repair_candidates
    assert check.problems == ("身份证号校验位错误（疑似相邻数字颠倒）",)
    assert repair_candidates(typed, today=TODAY) == list(check.repair_candidates)


def test_every_repair_candidate_is_a_valid_number():
    typed = "11010519941231002X"  # 1949 typed as 1994
    candidates = check_id_number(typed, today=TODAY).repair_candidates
    assert "11010519491231002X" in candidates
    for candidate in candidates:
        assert check_id_number(candidate, today=TODAY).status == "valid"
        assert reference_check(candidate[:17]) == candidate[17]


def test_transposition_that_breaks_the_date_is_still_repaired():
    right = reference_id("510104", "19901231", "456")
    typed = right[:10] + right[11] + right[10] + right[12:]  # month 12 → 21
    check = check_id_number(typed, today=TODAY)
    assert (check.status, check.id_number) == ("bad_date", "")
    assert right in check.repair_candidates and check.transposition_suspected


@pytest.mark.parametrize(("born", "why"), [
    ("19900230", "30 February"),
    ("19891301", "month 13"),
    ("20991231", "in the future"),
    ("18991231", "before 1900"),
    ("19900100", "day 0"),
])
def test_impossible_embedded_dates_are_bad_dates_even_with_a_right_check_character(born, why):
    number = reference_id("510104", born, "123")
    check = check_id_number(number, today=TODAY)
    assert (check.status, check.id_number, check.birth_date) == ("bad_date", "", ""), why
    assert check.problems == ("身份证号中的出生日期不合法",)


def test_leap_day_is_a_real_date():
    number = reference_id("510104", "20000229", "124")
    assert check_id_number(number, today=TODAY).birth_date == "2000-02-29"


@pytest.mark.parametrize("raw", ["1101051949123100", "11010519491231002Y", "X1010519491231002X", "abc",
                                 "110105194912310022X", 11010519491231002])
def test_wrong_shapes_are_bad_format(raw):
    check = check_id_number(raw, today=TODAY)
    assert (check.status, check.id_number, check.problems) == ("bad_format", "", ("身份证号格式错误",))


@pytest.mark.parametrize("raw", [None, "", "  ", float("nan"), "无", "不详", "NULL"])
def test_missing(raw):
    check = check_id_number(raw, today=TODAY)
    assert (check.status, check.id_number, check.problems) == ("missing", "", ())


def test_every_adjacent_transposition_of_a_valid_number_is_caught_and_repaired():
    import random

    rng = random.Random(11643)
    for _ in range(200):
        born = dt.date(1930, 1, 1) + dt.timedelta(days=rng.randrange(30000))
        region = rng.choice(["510104", "110105", "440305"])
        right = reference_id(region, f"{born:%Y%m%d}", f"{rng.randrange(1000):03d}")
        for i in range(16):
            if right[i] == right[i + 1]:
                continue
            typed = right[:i] + right[i + 1] + right[i] + right[i + 2:]
            check = check_id_number(typed, today=TODAY)
            assert check.status in ("bad_checksum", "bad_date"), typed
            assert right in check.repair_candidates, typed
            # Every candidate offered is valid by the reference implementation.
            for candidate in check.repair_candidates:
                assert reference_check(candidate[:17]) == candidate[17]
