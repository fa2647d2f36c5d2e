"""The comparison specs: Python evaluation == DuckDB SQL evaluation, and the levels mean what they say."""

import itertools
import random

import duckdb
import pandas as pd
import pytest

from tests.linkage.test_model_synthetic import make_id, synthetic_records
from weijian.linkage.comparisons import (
    BIRTH_DATE,
    CONTACT,
    DEFAULT_COMPARISONS,
    ID_NUMBER,
    NAME,
    PREPARED_COLUMNS,
    And,
    ComparisonSpec,
    EditDistanceAtMost,
    Filled,
    Level,
    Not,
    Same,
    _within_one_edit,
    condition_from_dict,
    damerau_levenshtein,
    fuzzy_syllable,
    prepare_record,
)


def _random_string(rng: random.Random) -> str:
    alphabet = rng.choice(["0123456789X", "ab", "abc-", "zhangwei", "张伟玮李", "a张1", "é€"])
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 8)))


def _near(rng: random.Random, text: str) -> str:
    """A string a few random edits (substitute, insert, delete, swap) away from `text`."""
    chars = list(text)
    for _ in range(rng.randint(0, 2)):
        op = rng.choice("sidt")
        i = rng.randrange(len(chars) + 1)
        c = rng.choice("0123456789ab张")
        if op == "s" and i < len(chars):
            chars[i] = c
        elif op == "i":
            chars.insert(i, c)
        elif op == "d" and i < len(chars):
            del chars[i]
        elif op == "t" and i + 1 < len(chars):
            chars[i], chars[i + 1] = chars[i + 1], chars[i]
    return "".join(chars)


def test_damerau_levenshtein_is_duckdbs_on_thousands_of_random_pairs():
    rng = random.Random(11)
    pairs = []
    for _ in range(3000):
        a = _random_string(rng)
        pairs.append((a, _random_string(rng)))
        pairs.append((a, _near(rng, a)))
    pairs += [("", ""), ("", "abc"), ("ab", "ba"), ("ca", "abc"), ("110105199001020013", "110105199010020013")]
    con = duckdb.connect()
    con.register("pairs", pd.DataFrame(pairs, columns=["a", "b"]))
    duck = con.execute("select damerau_levenshtein(a, b) as d from pairs").df()["d"].tolist()
    ours = [damerau_levenshtein(a, b) for a, b in pairs]
    assert ours == duck
    assert [_within_one_edit(a.encode(), b.encode()) for a, b in pairs] == [d <= 1 for d in duck]
    assert sum(d == 1 for d in duck) > 500  # the threshold case is well exercised
    # the condition's SQL skips the function where the distance cannot be small: same answers
    con.register("sides", pd.DataFrame(pairs, columns=["x_l", "x_r"]))
    for distance in (0, 1, 2):
        sql = EditDistanceAtMost("x", distance).sql()
        rendered = con.execute(f"select ({sql}) as ok from sides").df()["ok"].tolist()
        assert rendered == [d <= distance for d in duck], distance


def test_damerau_levenshtein_counts_bytes_like_duckdb():
    # why the name comparison never uses an edit distance on Chinese text: one character is 3 bytes
    assert damerau_levenshtein("张伟", "张玮") == 3
    assert damerau_levenshtein("ca", "abc") == 2  # unrestricted DL (optimal string alignment would say 3)


def _case_sql(spec: ComparisonSpec) -> str:
    whens = " ".join(
        f"WHEN {level.sql()} THEN {index}" for index, level in enumerate(spec.levels) if level.condition
    )
    return f"CASE {whens} ELSE {len(spec.levels) - 1} END AS {spec.name}"


def test_every_comparison_gives_the_same_level_in_sql_and_python_for_all_pairs():
    records = [prepare_record(r) for r in synthetic_records(n_people=70, seed=5)]
    frame = pd.DataFrame(records)
    columns = ["record_id", *PREPARED_COLUMNS]
    select = ", ".join(f"l.{c} AS {c}_l, r.{c} AS {c}_r" for c in columns)
    con = duckdb.connect()
    con.register("records", frame)
    con.execute(f"create table pairs as select {select} from records l cross join records r")
    cases = ", ".join(_case_sql(spec) for spec in DEFAULT_COMPARISONS)
    result = con.execute(f"select record_id_l, record_id_r, {cases} from pairs").df()
    by_id = {r["record_id"]: r for r in records}
    assert len(result) == len(records) ** 2
    for row in result.itertuples(index=False):
        left, right = by_id[row.record_id_l], by_id[row.record_id_r]
        for spec in DEFAULT_COMPARISONS:
            assert spec.level(left, right) == getattr(row, spec.name), (spec.name, left, right)
    # every level of every comparison is reached, so each condition was really compared
    for spec in DEFAULT_COMPARISONS:
        assert set(result[spec.name]) == set(range(len(spec.levels))), spec.name


def test_levels_are_symmetric():
    records = [prepare_record(r) for r in synthetic_records(n_people=40, seed=9)]
    for left, right in itertools.combinations(records, 2):
        for spec in DEFAULT_COMPARISONS:
            assert spec.level(left, right) == spec.level(right, left)


def _person(**overrides) -> dict:
    record = {
        "record_id": "r1", "name": "张敏", "surname_pinyin": "zhang", "name_pinyin_key": "zhangmin",
        "placeholder_name": False, "id_number": make_id("510104", "1990-03-05", 21), "id_status": "valid",
        "id_consistent": True, "birth_date": "1990-03-05", "sex": "2", "phone": "13900001111",
        "address": "红星路1号", "address_district": "510104", "address_street": "春熙路街道",
    }
    record.update(overrides)
    return prepare_record(record)


def _label(spec: ComparisonSpec, left: dict, right: dict) -> str:
    return spec.levels[spec.level(left, right)].label


def test_name_levels():
    base = _person()
    assert _label(NAME, base, _person()) == "exact name"
    assert _label(NAME, base, _person(name="张闽")) == "same pinyin"
    assert _label(NAME, base, _person(name="张明", name_pinyin_key="zhangming")) == "near-homophone (模糊音)"
    assert _label(NAME, base, _person(name="章明", surname_pinyin="zhang", name_pinyin_key="zhangming")) == (
        "near-homophone (模糊音)"
    )
    # syllable by syllable when the pinyin is given: 志 zhi / 子 zi in the middle of the name
    two = _person(name="张志伟", name_pinyin="zhang zhi wei", name_pinyin_key="zhangzhiwei")
    assert _label(NAME, two, _person(name="张子伟", name_pinyin="zhang zi wei", name_pinyin_key="zhangziwei")) == (
        "near-homophone (模糊音)"
    )
    # one pinyin edit that no one confuses is a different name: 萍 ping / 颖 ying, 伟 wei / 文 wen
    assert _label(NAME, _person(name="黄萍", surname_pinyin="huang", name_pinyin_key="huangping"),
                  _person(name="黄颖", surname_pinyin="huang", name_pinyin_key="huangying")) == "different name"
    assert _label(NAME, two, _person(name="张志文", name_pinyin="zhang zhi wen", name_pinyin_key="zhangzhiwen")) == (
        "different name"
    )
    assert _label(NAME, base, _person(name="李敏", surname_pinyin="li", name_pinyin_key="limin")) == "different name"
    placeholder = _person(name="新生儿", surname_pinyin="", name_pinyin_key="xinshenger", placeholder_name=True)
    assert _label(NAME, placeholder, placeholder) == "name missing or placeholder"
    assert _label(NAME, base, _person(name="", name_pinyin_key="")) == "name missing or placeholder"


def test_fuzzy_syllables_fold_the_usual_confusions():
    pairs = [("zheng", "zen"), ("cheng", "cen"), ("shan", "san"), ("ming", "min"), ("lin", "ning"), ("ran", "lang"),
             ("hua", "fua"), ("jiang", "jian"), ("guang", "guan")]
    for a, b in pairs:
        assert fuzzy_syllable(a) == fuzzy_syllable(b), (a, b)
    assert fuzzy_syllable("ping") != fuzzy_syllable("ying")
    assert fuzzy_syllable("wei") == "wei"


def test_a_birth_date_read_from_the_id_is_not_compared_with_the_id_again():
    # the standardiser filled the birth date in from the ID: when the IDs are compared, that counts it
    filled = _person(birth_date="1990-03-05", birth_date_from_id=True)
    assert (filled["birth_date"], filled["birth_from_id"]) == ("1990-03-05", "1")
    assert _label(BIRTH_DATE, filled, _person()) == "birth date missing"
    assert _label(ID_NUMBER, filled, _person()) == "same valid ID"
    # against a record without an ID it is the only birth-date evidence there is
    no_id = _person(id_number="", id_status="missing", id_consistent=False)
    assert _label(BIRTH_DATE, filled, no_id) == _label(BIRTH_DATE, no_id, filled) == "exact birth date"


def test_the_same_id_under_the_same_name_counts_despite_a_mistyped_birth_date():
    own = make_id("510104", "1990-03-05", 21)
    typo = _person(birth_date="1990-03-08", id_consistent=False)  # the ID no longer fits the record
    assert typo["id_any"] == "" and typo["id_valid"] == own
    assert _label(ID_NUMBER, typo, _person()) == "same valid ID, same name, a birth date or sex mistyped"
    # under another name it may be a parent's ID: no evidence
    other = _person(name="李芳", surname_pinyin="li", name_pinyin_key="lifang", birth_date="1990-03-08",
                    id_consistent=False)
    assert _label(ID_NUMBER, other, _person()) == "ID missing or not this person's"


def test_id_levels_count_only_consistent_ids_as_agreement():
    own = make_id("510104", "1990-03-05", 21)
    typo = own[:8] + own[9] + own[8] + own[10:]
    base = _person()
    assert _label(ID_NUMBER, base, _person()) == "same valid ID"
    assert _label(ID_NUMBER, base, _person(id_number=typo, id_status="bad_checksum", id_consistent=False)) == (
        "ID within 1 edit (typo)"
    )
    assert _label(ID_NUMBER, base, _person(id_number=make_id("510104", "1991-03-05", 21))) == "different ID"
    assert _label(ID_NUMBER, base, _person(id_number="", id_status="missing", id_consistent=False)) == (
        "ID missing or not this person's"
    )
    # a parent's ID on two children's records (siblings): valid but inconsistent on both → not comparable
    parent_id = make_id("510104", "1965-07-01", 31)
    child_a = _person(name="张晨", name_pinyin_key="zhangchen", id_number=parent_id, id_consistent=False,
                      birth_date="1992-01-01")
    child_b = _person(name="张悦", name_pinyin_key="zhangyue", id_number=parent_id, id_consistent=False,
                      birth_date="1994-06-01")
    assert _label(ID_NUMBER, child_a, child_b) == "ID missing or not this person's"
    parent = _person(id_number=parent_id, birth_date="1965-07-01")
    assert _label(ID_NUMBER, child_a, parent) == "ID missing or not this person's"
    # the child's record without a birth date: the parent's ID passes every check, but the names differ
    child = _person(name="王晨", surname_pinyin="wang", name_pinyin_key="wangchen", id_number=parent_id,
                    birth_date="1965-07-01", birth_date_from_id=True)
    mother = _person(name="李芳", surname_pinyin="li", name_pinyin_key="lifang", id_number=parent_id,
                     birth_date="1965-07-01")
    assert child["id_ok"] == mother["id_ok"] == parent_id
    assert _label(ID_NUMBER, child, mother) == "ID missing or not this person's"
    # a near-homophone is the same name: the ID counts; so does it with a mistyped name and both birth dates
    assert _label(ID_NUMBER, mother, {**mother, "name": "李方", "name_fuzzy": mother["name_fuzzy"]}) == (
        "same valid ID")
    assert _label(ID_NUMBER, mother, {**mother, "name": "李芬", "name_fuzzy": "lifen"}) == "same valid ID"


def test_birth_date_levels():
    base = _person()
    assert _label(BIRTH_DATE, base, _person()) == "exact birth date"
    assert _label(BIRTH_DATE, base, _person(birth_date="1990-03-25")) == "same year and month"
    assert _label(BIRTH_DATE, base, _person(birth_date="1990-05-03")) == "day and month swapped"
    assert _label(BIRTH_DATE, _person(birth_date="1990-05-03"), base) == "day and month swapped"
    assert _label(BIRTH_DATE, base, _person(birth_date="1991-03-05")) == "birth date within 1 edit"
    assert _label(BIRTH_DATE, base, _person(birth_date="1985-11-20")) == "different birth date"
    assert _label(BIRTH_DATE, base, _person(birth_date="")) == "birth date missing"


def test_household_members_share_one_contact_level_not_two():
    parent = _person()
    child = _person(record_id="r2", name="张晨", name_pinyin_key="zhangchen", birth_date="2018-02-02")
    assert _label(CONTACT, parent, child) == "same phone and address"
    assert _label(CONTACT, parent, _person(address="")) == "same phone"
    assert _label(CONTACT, parent, _person(phone="13800000000")) == "same address"
    assert _label(CONTACT, parent, _person(phone="13800000000", address="人民南路3号")) == "different contact"
    nothing = _person(phone="", address="", address_street="")
    assert _label(CONTACT, parent, nothing) == "no contact data to compare"
    # a street name alone, without district, is not an "area"
    assert _label(CONTACT, _person(phone="", address="", address_district=""), _person(phone="", address="",
                                                                                         address_district="")) == (
        "no contact data to compare"
    )


def test_conditions_round_trip_through_dicts():
    for spec in DEFAULT_COMPARISONS:
        assert ComparisonSpec.from_dict(spec.to_dict()) == spec
        for level in spec.levels:
            if level.condition is not None:
                assert condition_from_dict(level.condition.to_dict()) == level.condition


def test_spec_shape_is_checked():
    exact = Level("exact", "相同", Same("sex"))
    other = Level("else", "不同", None)
    null = Level("null", "缺失", Not(Filled("sex")), is_null=True)
    with pytest.raises(ValueError, match="last level"):
        ComparisonSpec("sex", "性别", (exact, null))
    with pytest.raises(ValueError, match="null level"):
        ComparisonSpec("sex", "性别", (exact, null, other))
    with pytest.raises(ValueError, match="lower-case"):
        Same("Sex")
    spec = ComparisonSpec("sex", "性别", (null, exact, other))
    assert [spec.gamma(i) for i in range(3)] == [-1, 1, 0]
    assert [spec.index_of_gamma(g) for g in (-1, 1, 0)] == [0, 1, 2]
    assert spec.splink_comparison([None, 0.9, 0.1], [None, 0.5, 0.5]) == {
        "output_column_name": "sex",
        "comparison_levels": [
            {"sql_condition": "NOT (sex_l <> '' AND sex_r <> '')", "label_for_charts": "null", "is_null_level": True},
            {"sql_condition": "sex_l = sex_r", "label_for_charts": "exact", "m_probability": 0.9, "u_probability": 0.5},
            {"sql_condition": "ELSE", "label_for_charts": "else", "m_probability": 0.1, "u_probability": 0.5},
        ],
    }


def test_edit_distance_condition_sql():
    condition = And(Filled("given_key"), EditDistanceAtMost("given_key", 1))
    k = "greatest((greatest(length(given_key_l), length(given_key_r)) - 2) // 2, 0)"
    assert condition.sql() == (
        "(given_key_l <> '' AND given_key_r <> '') AND (CASE "
        "WHEN abs(length(given_key_l) - length(given_key_r)) > 1 THEN FALSE "
        f"WHEN left(given_key_l, {k}) <> left(given_key_r, {k}) AND right(given_key_l, {k}) <> right(given_key_r, {k}) "
        "THEN FALSE "
        "ELSE damerau_levenshtein(given_key_l, given_key_r) <= 1 END)"
    )
    assert EditDistanceAtMost("id_any", 2).sql() == (
        "CASE WHEN abs(length(id_any_l) - length(id_any_r)) > 2 THEN FALSE "
        "ELSE damerau_levenshtein(id_any_l, id_any_r) <= 2 END"
    )
