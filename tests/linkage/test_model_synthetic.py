"""Hand-made standardised records for the linkage tests: people with duplicate records carrying the
errors seen in real data, households sharing phone and address, a parent's ID on a child's record.

Built here, not by `weijian.linkage.standardise`: the records follow the standardised-record contract
directly. Other test modules import `synthetic_records` from this one.
"""

import random

from weijian.linkage.comparisons import damerau_levenshtein

SURNAMES = [
    ("张", "zhang"), ("王", "wang"), ("李", "li"), ("刘", "liu"), ("陈", "chen"), ("杨", "yang"),
    ("黄", "huang"), ("赵", "zhao"), ("吴", "wu"), ("周", "zhou"), ("欧阳", "ouyang"), ("何", "he"),
]
# (given name, pinyin syllables, a near-homophone with its pinyin: front/back nasal or one-letter slip)
GIVEN = [
    ("伟", "wei", ("玮", "wei")), ("敏", "min", ("明", "ming")), ("静", "jing", ("晶", "jing")),
    ("丽", "li", ("莉", "li")), ("强", "qiang", ("墙", "qiang")), ("磊", "lei", ("雷", "lei")),
    ("军", "jun", ("君", "jun")), ("洋", "yang", ("阳", "yang")), ("林", "lin", ("玲", "ling")),
    ("晨", "chen", ("成", "cheng")), ("秀英", "xiu ying", ("秀莹", "xiu ying")), ("建国", "jian guo", ("建果", "jian guo")),
    ("志强", "zhi qiang", ("子强", "zi qiang")), ("婷", "ting", ("亭", "ting")), ("浩", "hao", ("豪", "hao")),
    ("欣怡", "xin yi", ("馨怡", "xin yi")), ("金", "jin", ("晶", "jing")), ("真", "zhen", ("正", "zheng")),
]
DISTRICTS = ["510104", "510105", "510106", "510107"]
STREETS = ["春熙路街道", "督院街街道", "草市街街道", "府南街道", "金牛坝街道"]
ROADS = ["红星路", "人民南路", "蜀都大道", "一环路", "锦华路"]

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def id_checksum(first17: str) -> str:
    return "10X98765432"[sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True)) % 11]


def make_id(district: str, birth_date: str, sequence: int) -> str:
    first17 = f"{district}{birth_date.replace('-', '')}{sequence:03d}"
    return first17 + id_checksum(first17)


def _record(person: dict, record_id: str, source: str, **overrides) -> dict:
    record = {
        "record_id": record_id,
        "source": source,
        "local_id": record_id.upper(),
        "name": person["surname"] + person["given"],
        "surname": person["surname"],
        "given_name": person["given"],
        "name_pinyin": f"{person['surname_pinyin']} {person['given_pinyin']}",
        "name_pinyin_key": (person["surname_pinyin"] + person["given_pinyin"]).replace(" ", ""),
        "surname_pinyin": person["surname_pinyin"],
        "placeholder_name": False,
        "id_number": person["id_number"],
        "id_status": "valid",
        "id_birth_date": person["birth_date"],
        "id_sex": person["sex"],
        "birth_date": person["birth_date"],
        "sex": person["sex"],
        "id_consistent": True,
        "phone": person["phone"],
        "address": person["address"],
        "address_district": person["district"],
        "address_street": person["street"],
    }
    record.update(overrides)
    return record


def _swap_day_month(date: str) -> str:
    return f"{date[:4]}-{date[8:10]}-{date[5:7]}"


def _transpose_id(id_number: str, rng: random.Random) -> str:
    digits = list(id_number)
    while True:
        i = rng.randrange(6, 16)
        if digits[i] != digits[i + 1]:
            digits[i], digits[i + 1] = digits[i + 1], digits[i]
            return "".join(digits)


def synthetic_records(n_people: int = 120, seed: int = 1) -> list[dict]:
    """About 2.5 records per person on average; returns the records with `person` (the truth) added."""
    rng = random.Random(seed)
    records: list[dict] = []
    sequence = iter(range(1, 10_000))
    households: list[dict] = []

    def new_person(household: dict | None = None, surname=None, birth_year=None) -> dict:
        s, sp = surname or rng.choice(SURNAMES)
        g, gp, near = rng.choice(GIVEN)
        year = birth_year or rng.randint(1940, 2015)
        birth_date = f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        sex = rng.choice(["1", "2"])
        seq = next(sequence) % 1000
        seq = seq - seq % 2 + (1 if sex == "1" else 0)
        if household is None:
            district = rng.choice(DISTRICTS)
            household = {
                "phone": f"1{rng.choice('3589')}{rng.randrange(10**9):09d}",
                "address": f"{rng.choice(ROADS)}{rng.randint(1, 300)}号{rng.randint(1, 30)}栋",
                "district": district,
                "street": rng.choice(STREETS),
            }
            households.append(household)
        return {
            "surname": s, "surname_pinyin": sp, "given": g, "given_pinyin": gp, "near": near,
            "birth_date": birth_date, "sex": sex,
            "id_number": make_id(household["district"], birth_date, seq),
            **household,
        }

    people = []
    for _ in range(n_people):
        person = new_person()
        people.append(person)
        if rng.random() < 0.3:  # a household: a child with the same surname, phone and address
            child = new_person(
                household={k: person[k] for k in ("phone", "address", "district", "street")},
                surname=(person["surname"], person["surname_pinyin"]),
                birth_year=min(2020, int(person["birth_date"][:4]) + rng.randint(20, 35)),
            )
            child["parent"] = person
            people.append(child)

    for number, person in enumerate(people):
        pid = f"p{number:04d}"
        person["pid"] = pid
        copies = rng.choice([1, 1, 2, 2, 3, 4])
        for copy in range(copies):
            rid = f"{pid}-{copy}"
            source = rng.choice(["his-a", "his-b", "phis"])
            changes: dict = {}
            if copy > 0:
                roll = rng.random()
                if roll < 0.12:  # homophone or near-homophone given name
                    g, gp = person["near"]
                    changes.update(
                        name=person["surname"] + g, given_name=g,
                        name_pinyin=f"{person['surname_pinyin']} {gp}",
                        name_pinyin_key=(person["surname_pinyin"] + gp).replace(" ", ""),
                    )
                elif roll < 0.22:  # two ID digits transposed: checksum fails
                    changes.update(id_number=_transpose_id(person["id_number"], rng), id_status="bad_checksum",
                                   id_consistent=False)
                elif roll < 0.30:  # day and month swapped on the record; the ID no longer agrees
                    if int(person["birth_date"][8:10]) <= 12:
                        changes.update(birth_date=_swap_day_month(person["birth_date"]), id_consistent=False)
                elif roll < 0.38:  # no ID, new phone
                    changes.update(id_number="", id_status="missing", id_consistent=False, id_birth_date="",
                                   id_sex="", phone=f"1{rng.choice('3589')}{rng.randrange(10**9):09d}")
                elif roll < 0.45:  # moved: new address in another district, nothing else
                    district = rng.choice(DISTRICTS)
                    changes.update(address=f"{rng.choice(ROADS)}{rng.randint(1, 300)}号", address_district=district,
                                   address_street=rng.choice(STREETS))
                elif roll < 0.51:  # missing birth date and sex
                    changes.update(birth_date="", sex="")
                elif roll < 0.56 and "parent" in person:  # a parent's ID on the child's record
                    changes.update(id_number=person["parent"]["id_number"],
                                   id_birth_date=person["parent"]["birth_date"],
                                   id_sex=person["parent"]["sex"], id_consistent=False)
                elif roll < 0.60:  # a newborn placeholder name
                    changes.update(name="新生儿", given_name="", name_pinyin="xin sheng er",
                                   name_pinyin_key="xinshenger", surname_pinyin="", placeholder_name=True)
                elif roll < 0.64:  # one-digit birth year typo; the valid ID no longer agrees
                    year = int(person["birth_date"][:4])
                    changes.update(birth_date=f"{year + 1}{person['birth_date'][4:]}", id_consistent=False)
                elif roll < 0.68:  # sex entered wrongly
                    changes.update(sex="1" if person["sex"] == "2" else "2", id_consistent=False)
                elif roll < 0.72:  # another given name altogether (alias, entry error)
                    g, gp, _ = rng.choice(GIVEN)
                    changes.update(
                        name=person["surname"] + g, given_name=g,
                        name_pinyin=f"{person['surname_pinyin']} {gp}",
                        name_pinyin_key=(person["surname_pinyin"] + gp).replace(" ", ""),
                    )
                elif roll < 0.78:  # a day typo: same year and month
                    day = int(person["birth_date"][8:10])
                    changes.update(birth_date=f"{person['birth_date'][:8]}{day % 28 + 1:02d}", id_consistent=False)
                elif roll < 0.84:  # no contact details at all
                    changes.update(phone="", address="", address_district="", address_street="")
                elif roll < 0.87:  # a wrong birth date
                    changes.update(birth_date=f"{rng.randint(1940, 2015)}-{rng.randint(1, 12):02d}-"
                                              f"{rng.randint(1, 28):02d}", id_consistent=False)
            record = _record(person, rid, source, **changes)
            record["person"] = pid
            records.append(record)
    records += _newborn_twins(next(p for p in people if "parent" not in p))
    rng.shuffle(records)
    return records


def _newborn_twins(mother: dict) -> list[dict]:
    """Newborn twins of `mother`, named by placeholders only, no ID: 王芳之子一 twice (one baby, two records),
    王芳之女二 (the other baby), 新生儿 (the first baby again, naming nobody) and 王之女 twice (the second baby
    under the family name)."""
    mother_name = mother["surname"] + mother["given"]
    placeholder = dict(given_name="", name_pinyin="", name_pinyin_key="", surname="", surname_pinyin="",
                       placeholder_name=True, id_number="", id_status="missing", id_consistent=False,
                       id_birth_date="", id_sex="")
    family = mother["surname"]
    twins = []
    for number, (name, sex, parent, surname, order, baby) in enumerate((
            (f"{mother_name}之子一", "1", mother_name, "", "1", "a"),
            (f"{mother_name}之子一", "1", mother_name, "", "1", "a"),
            (f"{mother_name}之女二", "2", mother_name, "", "2", "b"), ("新生儿", "1", "", "", "", "a"),
            (f"{family}之女", "2", "", family, "", "b"), (f"{family}之女", "2", "", family, "", "b"))):
        record = _record(mother, f"twin-{baby}-{number}", "mch", **placeholder, name=name, sex=sex,
                         birth_date="2025-03-04", newborn_of=parent, newborn_surname=surname, birth_order=order)
        record["person"] = f"twin-{baby}"
        twins.append(record)
    return twins


def test_synthetic_records_follow_the_contract():
    records = synthetic_records()
    assert len({r["record_id"] for r in records}) == len(records) > 250
    for record in records:
        if record["id_status"] == "valid":
            assert id_checksum(record["id_number"][:17]) == record["id_number"][17]
        if record["id_status"] == "bad_checksum":
            assert id_checksum(record["id_number"][:17]) != record["id_number"][17]
        assert record["sex"] in ("1", "2", "")
    statuses = {r["id_status"] for r in records}
    assert {"valid", "bad_checksum", "missing"} <= statuses
    assert any(r["placeholder_name"] for r in records)
    # a parent's ID on a child's record is present and flagged inconsistent
    by_id: dict[str, set] = {}
    for r in records:
        if r["id_number"]:
            by_id.setdefault(r["id_number"], set()).add(r["person"])
    assert any(len(people) > 1 for people in by_id.values())


def test_transposed_ids_are_one_edit_apart():
    rng = random.Random(3)
    original = make_id("510104", "1990-01-02", 13)
    for _ in range(50):
        assert damerau_levenshtein(original, _transpose_id(original, rng)) == 1
