"""The health workers of the demo city, as plain rows (no database).

Names come from Faker's zh_CN data; ID numbers are valid GB 11643 numbers built from a real Sichuan
region code, the birth date and a sequence whose parity gives the sex. Ages run 23–60 (most in
their thirties), practice starts at 22–26, titles follow years of practice, and each kind of
institution has its own mix of professions.
"""

import datetime as dt
import itertools
import random
from collections.abc import Iterator
from dataclasses import dataclass

from faker.providers.person.zh_CN import Provider as ChineseNames

from weijian.demo.city import DISTRICTS, OTHER_SICHUAN_REGIONS
from weijian.demo.institutions import InstitutionSpec, share_out
from weijian.workforce.idnumber import make_id_number

DEFAULT_WORKERS = 20_000

HOSPITAL_MIX = {"doctor": 36, "nurse": 46, "pharmacist": 5, "technician": 9, "other": 4}
PROFESSION_MIX = {
    "general_hospital": HOSPITAL_MIX,
    "tcm_hospital": {"doctor": 40, "nurse": 40, "pharmacist": 9, "technician": 7, "other": 4},
    "specialist_hospital": HOSPITAL_MIX,
    "maternal_child": {"doctor": 38, "nurse": 44, "pharmacist": 5, "technician": 9, "other": 4},
    "cdc": {"doctor": 35, "technician": 40, "other": 25},
    "health_supervision": {"doctor": 30, "other": 70},
    "blood_centre": {"doctor": 20, "nurse": 35, "technician": 35, "other": 10},
    "community_centre": {"doctor": 42, "nurse": 36, "pharmacist": 8, "technician": 8, "other": 6},
    "township_hospital": {"doctor": 45, "nurse": 35, "pharmacist": 7, "technician": 8, "other": 5},
    "village_clinic": {"doctor": 85, "nurse": 15},
    "private_clinic": {"doctor": 55, "nurse": 35, "pharmacist": 10},
}
SMALL_PLACES = {"village_clinic", "private_clinic"}

# Title level by years of practice: (upper bound in years, {title: weight}).
TITLE_BY_YEARS = (
    (3, {"none": 60, "junior": 40}),
    (8, {"none": 5, "junior": 80, "intermediate": 15}),
    (15, {"junior": 45, "intermediate": 50, "associate_senior": 5}),
    (25, {"junior": 12, "intermediate": 55, "associate_senior": 28, "senior": 5}),
    (99, {"junior": 5, "intermediate": 40, "associate_senior": 38, "senior": 17}),
)
MALE_SHARE = {"nurse": 0.07, "doctor": 0.5}


@dataclass(frozen=True)
class WorkerRow:
    institution_key: str
    name: str
    id_number: str
    profession: str
    title_level: str
    practising_since: dt.date
    status: str


# Faker's zh_CN name data, drawn directly: surnames by their real frequency, given names by sex
# (Faker's own name_male() mixes both sexes, and calling Faker per row is the slow part).
SURNAMES = list(ChineseNames.last_names)
SURNAME_WEIGHTS = list(itertools.accumulate(ChineseNames.last_names.values()))
GIVEN_NAMES = {True: ChineseNames.first_names_male, False: ChineseNames.first_names_female}


def _name(rng: random.Random, male: bool) -> str:
    return rng.choices(SURNAMES, cum_weights=SURNAME_WEIGHTS)[0] + rng.choice(GIVEN_NAMES[male])


def _pick(rng: random.Random, weights: dict) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _years_between(start: dt.date, end: dt.date) -> int:
    return end.year - start.year - ((end.month, end.day) < (start.month, start.day))


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def allocate(institutions: list[InstitutionSpec], total: int) -> dict[str, int]:
    """Workers per institution, in proportion to its size; the first institution (the demo
    district's 人民医院, which the demo health worker belongs to) always gets at least one."""
    shares = share_out(total, {spec.key: spec.staff for spec in institutions})
    first = institutions[0].key if institutions else None
    if total and first and shares[first] == 0:
        donor = max(shares, key=shares.get)
        shares[donor] -= 1
        shares[first] += 1
    return shares


def generate_workers(
    institutions: list[InstitutionSpec], total: int = DEFAULT_WORKERS, *, seed: int = 11643,
    today: dt.date | None = None,
) -> Iterator[WorkerRow]:
    """`total` synthetic workers with unique ID numbers, institution by institution."""
    rng = random.Random(seed)
    today = today or dt.date.today()
    chengdu = [d.code for d in DISTRICTS]
    used: set[str] = set()
    by_key = {spec.key: spec for spec in institutions}
    for key, count in allocate(institutions, total).items():
        spec = by_key[key]
        mix = PROFESSION_MIX.get(spec.type, HOSPITAL_MIX)
        for _ in range(count):
            profession = _pick(rng, mix)
            male = rng.random() < MALE_SHARE.get(profession, 0.4)
            age = int(rng.triangular(23, 61, 34))
            birth = _add_years(today, -age) - dt.timedelta(days=rng.randint(0, 364))
            roll = rng.random()
            region = (spec.district_code if roll < 0.7 else
                      rng.choice(chengdu) if roll < 0.85 else rng.choice(OTHER_SICHUAN_REGIONS))
            while True:
                sequence = rng.randrange(0, 1000)
                if (sequence % 2 == 1) != male:
                    sequence ^= 1
                id_number = make_id_number(region, birth, sequence)
                if id_number not in used:
                    used.add(id_number)
                    break
            # Practice starts 0-4 years after the 22nd birthday, and never after today.
            spare_days = min(4 * 365, (today - _add_years(birth, 22)).days - 1)
            practising = _add_years(birth, 22) + dt.timedelta(days=rng.randint(0, spare_days))
            years = _years_between(practising, today)
            title = _pick(rng, next(w for bound, w in TITLE_BY_YEARS if years < bound))
            if profession == "other" and rng.random() < 0.5:
                title = "none"
            if spec.type in SMALL_PLACES and title in ("associate_senior", "senior") and rng.random() < 0.7:
                title = "intermediate"
            status = "active"
            if age >= 58 and rng.random() < 0.3:
                status = "retired"
            elif rng.random() < 0.02:
                status = "left"
            name = _name(rng, male)
            yield WorkerRow(key, name, id_number, profession,
                            title, practising, status)
