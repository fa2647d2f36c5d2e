"""Standardisation: raw demographics from many hospitals made comparable before linkage.

- `standardise_record(raw, gazetteer)` / `standardise_frame(df, gazetteer)`: the STANDARDISED RECORD
  (`STANDARDISED_COLUMNS`) that the model consumes.
- The parts, usable on their own: `clean_name`, `check_id_number`, `normalise_phone`, `parse_address`
  with a `Gazetteer`, `parse_birth_date`, `parse_sex`.

No Django, no database: the gazetteer of divisions is passed in by the caller.
"""

from weijian.linkage.standardise.address import Gazetteer, ParsedAddress, parse_address
from weijian.linkage.standardise.demographics import parse_birth_date, parse_sex
from weijian.linkage.standardise.frame import standardise_frame
from weijian.linkage.standardise.idnumber import (
    USABLE_STATUSES,
    IdCheck,
    check_digit,
    check_id_number,
    repair_candidates,
    upgrade_legacy15,
)
from weijian.linkage.standardise.names import CleanName, clean_name, split_surname, surname_pinyin
from weijian.linkage.standardise.phone import normalise_phone
from weijian.linkage.standardise.record import STANDARDISED_COLUMNS, id_consistent, standardise_record

__all__ = [
    "STANDARDISED_COLUMNS",
    "USABLE_STATUSES",
    "CleanName",
    "Gazetteer",
    "IdCheck",
    "ParsedAddress",
    "check_digit",
    "check_id_number",
    "clean_name",
    "id_consistent",
    "normalise_phone",
    "parse_address",
    "parse_birth_date",
    "parse_sex",
    "repair_candidates",
    "split_surname",
    "standardise_frame",
    "standardise_record",
    "surname_pinyin",
    "upgrade_legacy15",
]
