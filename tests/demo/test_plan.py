"""The demo city's plans, without the database: codes valid, counts exact, data plausible."""

import datetime as dt
import random
from collections import Counter

from faker.providers.person.zh_CN import Provider

from weijian.demo.city import DEMO_DISTRICT, DISTRICTS, OTHER_SICHUAN_REGIONS
from weijian.demo.institutions import organisation_code, plan_institutions, share_out
from weijian.demo.workers import generate_workers
from weijian.orgs.models import InstitutionGrade, InstitutionType, Ownership
from weijian.orgs.uscc import uscc_problem
from weijian.workforce.idnumber import parse_id_number
from weijian.workforce.models import Profession, TitleLevel

TODAY = dt.date(2026, 11, 22)


def test_twenty_real_chengdu_districts():
    codes = [d.code for d in DISTRICTS]
    assert len(codes) == len(set(codes)) == 20
    assert all(code.startswith("5101") and len(code) == 6 for code in codes)
    assert {"510104": "锦江区", "510116": "双流区", "510118": "新津区", "510185": "简阳市"}.items() <= {
        d.code: d.name for d in DISTRICTS}.items()


def test_default_plan_has_300_valid_distinct_institutions():
    specs = plan_institutions()
    assert len(specs) == 300
    assert all(uscc_problem(s.uscc) is None for s in specs)
    assert len({s.uscc for s in specs}) == 300
    assert len({s.name for s in specs}) == 300
    assert len({s.key for s in specs}) == 300
    assert {s.type for s in specs} <= set(InstitutionType.values)
    assert {s.grade for s in specs} <= set(InstitutionGrade.values)
    assert {s.ownership for s in specs} <= set(Ownership.values)
    # The credit code's region is the institution's district.
    assert all(s.uscc[2:8] == s.district_code for s in specs)


def test_every_district_has_its_core_institutions():
    specs = plan_institutions()
    by_district = Counter((s.district_code, s.name.removeprefix(next(
        d.name for d in DISTRICTS if d.code == s.district_code))) for s in specs)
    for district in DISTRICTS:
        for suffix in ("人民医院", "中医医院", "妇幼保健院", "疾病预防控制中心", "卫生监督所"):
            assert by_district[(district.code, suffix)] == 1, (district.name, suffix)
    three_a = [s for s in specs if s.grade == "3A" and s.name.startswith("蓉城")]
    assert len(three_a) >= 6


def test_mix_follows_the_kind_of_district():
    specs = plan_institutions()
    urban = Counter(s.type for s in specs if s.district_code in {"510104", "510105", "510106"})
    outer = Counter(s.type for s in specs if s.district_code in {"510121", "510129", "510131"})
    assert urban["community_centre"] > urban["township_hospital"] == 0
    assert outer["township_hospital"] > outer["community_centre"]
    assert all(s.ownership == "non_public" for s in specs if s.type == "private_clinic")


def test_small_plan_keeps_the_demo_hospital_first_and_every_district_hospital():
    specs = plan_institutions(25)
    assert len(specs) == 25
    assert specs[0].name == "锦江区人民医院" and specs[0].district_code == DEMO_DISTRICT
    assert {s.district_code for s in specs if s.name.endswith("区人民医院") or s.name.endswith("县人民医院")
            or s.name.endswith("市人民医院")} == {d.code for d in DISTRICTS}


def test_plan_is_deterministic_and_seeded():
    assert plan_institutions(120) == plan_institutions(120)
    assert plan_institutions(120, seed=1) != plan_institutions(120, seed=2)


def test_organisation_code_check_character():
    code = organisation_code(random.Random(1))
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(c) * w for c, w in zip(code[:8], weights, strict=True))
    assert code[8] == {10: "X", 11: "0"}.get(11 - total % 11, str(11 - total % 11))


def test_share_out_sums_exactly():
    assert share_out(10, {"a": 1, "b": 1, "c": 1}) == {"a": 4, "b": 3, "c": 3}
    assert sum(share_out(20_000, {i: i + 1 for i in range(300)}).values()) == 20_000
    assert share_out(0, {"a": 1}) == {"a": 0}


def test_workers_have_valid_unique_ids_and_plausible_careers():
    specs = plan_institutions(60)
    rows = list(generate_workers(specs, 3000, today=TODAY))
    assert len(rows) == 3000
    assert len({r.id_number for r in rows}) == 3000
    regions = {d.code for d in DISTRICTS} | set(OTHER_SICHUAN_REGIONS)
    for row in rows:
        parsed = parse_id_number(row.id_number, today=TODAY)  # raises when invalid
        assert row.id_number[:6] in regions
        age = (TODAY - parsed.birth_date).days / 365.25
        assert 23 <= age < 62
        practising_age = (row.practising_since - parsed.birth_date).days / 365.25
        assert 22 <= practising_age <= 27
        assert row.practising_since <= TODAY
        assert row.profession in Profession.values and row.title_level in TitleLevel.values
    titles = Counter(r.title_level for r in rows)
    assert titles["intermediate"] + titles["associate_senior"] + titles["senior"] > 0.5 * len(rows)
    professions = Counter(r.profession for r in rows)
    assert professions["nurse"] > professions["pharmacist"] and professions["doctor"] > professions["other"]


def test_names_match_the_sex_in_the_id_number():
    rows = list(generate_workers(plan_institutions(30), 500, today=TODAY))
    for row in rows:
        male = int(row.id_number[16]) % 2 == 1
        allowed = set(Provider.first_names_male if male else Provider.first_names_female)
        assert {row.name[1:], row.name[2:]} & allowed, row.name  # surnames have one or two characters


def test_every_institution_share_and_demo_hospital_gets_a_worker():
    specs = plan_institutions(300)
    rows = list(generate_workers(specs, 50, today=TODAY))
    assert len(rows) == 50
    assert any(r.institution_key == specs[0].key for r in rows)
