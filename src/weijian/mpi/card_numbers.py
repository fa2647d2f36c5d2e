"""Resident health card numbers (居民健康卡卡号): the platform's rule, validation and generation.

WS/T 543 (居民健康卡技术规范, 2017) specifies the card, its files and commands and names the data elements a
card carries (among them the card number and the issuing institution's code, with GB/T 2260 region codes),
but the public material available to this project does not give the card number's digit structure; in
practice provinces have printed numbers of their own making. So the platform fixes one documented rule,
which any card stock ordered for the pilot can follow, and which this module alone implements:

    RRRRRR SSSSSSSSSSSS C          19 digits, nothing else
    ^      ^            ^
    |      |            Luhn check digit (ISO/IEC 7812-1, "mod 10") over the first 18 digits
    |      serial: 12 digits, drawn at random for a new card (not in issue order, so one card's number
    |      says nothing about the next one's, and numbers cannot be walked)
    GB/T 2260 code of the issuing institution's county-level division (区县), e.g. 510104 锦江区

Why these choices:
- digits only, fixed length: card readers, magnetic stripes, bar codes and a desk's numeric keypad all carry
  them; 19 is the longest ISO/IEC 7812 card number, so co-branded bank cards (many 居民健康卡 are issued
  with a bank) fit the same field;
- Luhn rather than ISO 7064 MOD 11-2: MOD 11-2 (the 身份证号's check) may need an "X", which a digits-only
  number cannot hold; Luhn catches every single-digit error and almost every swap of adjacent digits;
- 19 digits, never 18: a card number can never be taken for a 身份证号 — not by people, not by the log
  redaction filter, not by the test suite's log guard;
- the region prefix tells a desk where a card comes from, and lets the service check that a pre-printed
  number belongs to the district of the institution that binds it.

`validate` checks the structure alone (no database): length, digits, a county-level GB/T 2260 prefix, the
check digit. Whether the prefix is a district of this city, and the issuing institution's, is the
service's business (`card_services`), as is uniqueness.
"""

import secrets
import unicodedata
from collections.abc import Callable

from weijian.core.errors import BusinessError
from weijian.mpi.card_errors import CardErrorCode as E

LENGTH = 19
REGION_LENGTH = 6
SERIAL_LENGTH = 12
# First two digits of GB/T 2260 codes: the provinces, autonomous regions, municipalities, Taiwan, Hong Kong, Macao.
PROVINCES = frozenset({
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41", "42", "43",
    "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "71", "81", "82",
})
_SEPARATORS = str.maketrans("", "", " -\u00a0\u3000\t")


def normalise(raw: str) -> str:
    """What was typed or read, as plain ASCII digits: full-width digits become ASCII (NFKC) and spaces and
    hyphens go (numbers are printed in groups, "5101 0400 0000 0000 011")."""
    return unicodedata.normalize("NFKC", raw or "").translate(_SEPARATORS)


def luhn_check_digit(body: str) -> str:
    """The Luhn digit that completes `body` (digits): double every second digit from the right, starting
    with the rightmost one of `body`, subtract 9 from doubles over 9, and pad the sum to a multiple of 10."""
    total = 0
    for position, char in enumerate(reversed(body)):
        digit = int(char)
        if position % 2 == 0:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return str((10 - total % 10) % 10)


def luhn_valid(number: str) -> bool:
    return len(number) > 1 and number.isdigit() and luhn_check_digit(number[:-1]) == number[-1]


def is_county_code(code: str) -> bool:
    """A GB/T 2260 county-level code: six digits, a known province, neither the prefecture nor the county
    part zero (510104 is; 510000 and 510100 are not)."""
    return (len(code) == REGION_LENGTH and code.isascii() and code.isdigit() and code[:2] in PROVINCES
            and code[2:4] != "00" and code[4:6] != "00")


def validate(raw: str) -> str:
    """The normalised number, or BusinessError naming the first rule it breaks."""
    number = normalise(raw)
    if not number:
        raise BusinessError(E.NUMBER_REQUIRED, field="card_number")
    if len(number) != LENGTH or not (number.isascii() and number.isdigit()):
        raise BusinessError(E.NUMBER_FORMAT, field="card_number")
    if not is_county_code(region_of(number)):
        raise BusinessError(E.NUMBER_REGION, field="card_number")
    if not luhn_valid(number):
        raise BusinessError(E.NUMBER_CHECK_DIGIT, field="card_number")
    return number


def region_of(number: str) -> str:
    return number[:REGION_LENGTH]


def generate(region: str, *, taken: Callable[[str], bool] = lambda number: False) -> str:
    """A new valid number for a card issued in county-level division `region`: a random serial from the
    system's CSPRNG, drawn again while `taken(number)` says the number exists."""
    if not is_county_code(region):
        raise BusinessError(E.NUMBER_REGION, field="card_number")
    while True:
        body = region + "".join(secrets.choice("0123456789") for _ in range(SERIAL_LENGTH))
        number = body + luhn_check_digit(body)
        if not taken(number):
            return number


def display(number: str) -> str:
    """Grouped for reading aloud and for print: "5101 0400 0000 0000 011"."""
    return " ".join(number[i:i + 4] for i in range(0, len(number), 4))


def tail(number: str) -> str:
    """The last four digits, for messages that must not give the whole number away."""
    return number[-4:]
