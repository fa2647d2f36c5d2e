"""One raw record from a hospital → the STANDARDISED RECORD the model consumes.

The keys and value conventions of `STANDARDISED_COLUMNS` are a contract with the model (comparisons,
blocking, realtime scoring): change them only together with it.
"""

import datetime as dt

from weijian.linkage.standardise._text import as_text
from weijian.linkage.standardise.address import Gazetteer, parse_address
from weijian.linkage.standardise.demographics import parse_birth_date, parse_sex
from weijian.linkage.standardise.idnumber import check_id_number
from weijian.linkage.standardise.names import REASON_NEWBORN, clean_name
from weijian.linkage.standardise.phone import normalise_phone

STANDARDISED_COLUMNS = (
    "record_id", "source", "local_id",
    "name", "surname", "given_name", "name_pinyin", "name_pinyin_key", "surname_pinyin", "placeholder_name",
    "newborn_of", "newborn_surname", "birth_order",
    "id_number", "id_status", "id_birth_date", "id_sex",
    "birth_date", "birth_date_from_id", "sex", "id_consistent",
    "phone",
    "address", "address_key", "address_district", "address_street",
    "problems",
)
RAW_FIELDS = ("record_id", "source", "local_id", "name", "sex", "birth_date", "id_number", "phone", "address")

REASON_ID_OTHER_PERSON = "身份证号与出生日期或性别不符（可能是他人证件）"
#: A record named as a newborn (王芳之子, 新生儿) with the ID of someone this many years old or more carries a
#: parent's ID, even when the record has no birth date to disagree with it.
NEWBORN_ID_MAX_AGE_YEARS = 12


def standardise_record(raw: dict, gazetteer: Gazetteer | None = None, *,
                       today: dt.date | None = None) -> dict:
    """Standardise one record. Any field may be missing, None or garbage; nothing raises."""
    today = today or dt.date.today()
    name = clean_name(raw.get("name"))
    id_check = check_id_number(raw.get("id_number"), today=today)
    birth_date, birth_problem = parse_birth_date(raw.get("birth_date"), today=today)
    sex, sex_problem = parse_sex(raw.get("sex"))
    address = parse_address(raw.get("address"), gazetteer)
    consistent = id_consistent(id_check.usable, id_check.birth_date, id_check.sex, birth_date, sex)
    if consistent and REASON_NEWBORN in name.problems and id_check.birth_date <= newborn_id_cutoff(today):
        consistent = False
    problems = [*name.problems, *id_check.problems, birth_problem, sex_problem, *address.problems]
    if id_check.usable and not consistent:
        problems.append(REASON_ID_OTHER_PERSON)
    from_id = consistent and not birth_date
    if from_id:
        # The record's own ID is the best source of a missing birth date (and of sex, if that is missing too).
        birth_date, sex = id_check.birth_date, sex or id_check.sex
    return {
        "record_id": as_text(raw.get("record_id")),
        "source": as_text(raw.get("source")),
        "local_id": as_text(raw.get("local_id")),
        "name": name.name,
        "surname": name.surname,
        "given_name": name.given_name,
        "name_pinyin": name.pinyin_text,
        "name_pinyin_key": name.pinyin_key,
        "surname_pinyin": name.surname_pinyin,
        "placeholder_name": name.placeholder,
        "newborn_of": name.newborn_of,
        "newborn_surname": name.newborn_surname,
        "birth_order": name.birth_order,
        "id_number": id_check.id_number,
        "id_status": id_check.status,
        "id_birth_date": id_check.birth_date,
        "id_sex": id_check.sex,
        "birth_date": birth_date,
        "birth_date_from_id": from_id,
        "sex": sex,
        "id_consistent": consistent,
        "phone": normalise_phone(raw.get("phone")),
        "address": address.normalised,
        "address_key": address.key,
        "address_district": address.district_code,
        "address_street": address.street_key,
        "problems": [problem for problem in problems if problem],
    }


def id_consistent(usable: bool, id_birth_date: str, id_sex: str, birth_date: str, sex: str) -> bool:
    """The ID may count as this person's: usable, and agreeing with the record's own birth date and sex
    where the record has them. A mother's ID typed on her newborn's record fails here."""
    return (usable and (not birth_date or birth_date == id_birth_date)
            and (not sex or not id_sex or sex == id_sex))


def newborn_id_cutoff(today: dt.date) -> str:
    """The latest ID birth date (ISO) that cannot be a newborn's own: `NEWBORN_ID_MAX_AGE_YEARS` before today."""
    try:
        return today.replace(year=today.year - NEWBORN_ID_MAX_AGE_YEARS).isoformat()
    except ValueError:  # 29 February
        return today.replace(year=today.year - NEWBORN_ID_MAX_AGE_YEARS, day=28).isoformat()
