"""Phones: every way a number is typed reduces to the same digits; junk becomes ""."""

import pytest

from weijian.linkage.standardise import normalise_phone


@pytest.mark.parametrize("raw", [
    "13912345678",
    "139 1234 5678",
    "139-1234-5678",
    "+86 139 1234 5678",
    "+8613912345678",
    "(+86)139-1234-5678",
    "0086 13912345678",
    "008613912345678",
    "86-13912345678",
    "8613912345678",
    "１３９１２３４５６７８",
    "013912345678",  # dialled with a long-distance 0
    13912345678,
    13912345678.0,
    "13912345678 / 028-85551234",
])
def test_mobile_formats(raw):
    assert normalise_phone(raw) == "13912345678"


@pytest.mark.parametrize(("raw", "expected"), [
    ("028-88888888", "02888888888"),
    ("028-85551234", "02885551234"),
    ("(028)8555 1234", "02885551234"),
    ("028 8555-1234", "02885551234"),
    ("０２８－８５５５１２３４", "02885551234"),
    ("+86 28 8555 1234", "02885551234"),
    ("0086-28-85551234", "02885551234"),
    ("010-65551234", "01065551234"),
    ("0816-2345678", "08162345678"),
    ("0816-23456789", "081623456789"),
])
def test_landlines_keep_their_area_code(raw, expected):
    assert normalise_phone(raw) == expected


@pytest.mark.parametrize("raw", [
    "028-85551234-8021",
    "028-85551234转8021",
    "028-85551234 分机 8021",
    "028-85551234 ext. 8021",
    "028 85551234 x8021",
    "028-85551234#8021",
])
def test_extensions_are_dropped(raw):
    assert normalise_phone(raw) == "02885551234"


def test_local_number_without_area_code_is_kept_or_completed():
    assert normalise_phone("85551234") == "85551234"
    assert normalise_phone("8555-1234", default_area_code="028") == "02885551234"


@pytest.mark.parametrize("raw", [
    None, "", float("nan"), "无", "不详",
    "00000000", "11111111111", "88888888",  # one digit repeated
    "12345678", "87654321",  # a run
    "123456", "555",  # fewer than 7 digits
    "13800138000",  # every form's example number
    "1391234567",  # a mobile missing a digit
    "139123456789",  # a mobile with one too many
    "abcdefg",
    "138****5678",
])
def test_junk_is_empty(raw):
    assert normalise_phone(raw) == ""


def test_first_usable_of_several_numbers():
    assert normalise_phone("无/13912345678") == "13912345678"
    assert normalise_phone("028-85551234；13912345678") == "02885551234"
