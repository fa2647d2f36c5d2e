"""Synthetic data for tests: valid GB 11643 ID numbers and GB 32100 credit codes, Faker zh_CN names.
Everything is written through the real services."""

import datetime as dt
import itertools
import random

from faker import Faker

from weijian.orgs.uscc import ALPHABET, check_character
from weijian.workforce import services as workforce_services
from weijian.workforce.idnumber import make_id_number

fake = Faker("zh_CN")
Faker.seed(20261122)
_rng = random.Random(20261122)
_seq = itertools.count(1)

PASSWORD = "Test-Passw0rd!"


def uscc(seed: int | None = None) -> str:
    """A valid unified social credit code: 12 (public institution) + 6-digit region + 9-char org code."""
    n = next(_seq) if seed is None else seed
    body = f"12510100{n:09d}"
    body = "".join(ch if ch in ALPHABET else "0" for ch in body)
    return body + check_character(body)


def id_number(*, region: str = "510104", birth: dt.date | None = None, sequence: int | None = None) -> str:
    birth = birth or dt.date(1970, 1, 1) + dt.timedelta(days=_rng.randint(0, 365 * 30))
    return make_id_number(region, birth, sequence if sequence is not None else _rng.randint(0, 999))


def worker(*, actor, institution, name: str | None = None, id_no: str | None = None, **fields):
    data = workforce_services.worker_clean(
        actor=actor, name=name or fake.name(), id_number=id_no or unique_id_number(),
        institution=institution, profession=fields.pop("profession", "doctor"),
        title_level=fields.pop("title_level", "intermediate"), **fields,
    )
    return workforce_services.worker_create(actor=actor, data=data)


_used_ids: set[str] = set()


def unique_id_number(**kwargs) -> str:
    while True:
        value = id_number(**kwargs)
        if value not in _used_ids:
            _used_ids.add(value)
            return value
