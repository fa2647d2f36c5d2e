"""Real-time scoring: blocking keys, one pair's score with its per-field explanation, best matches."""

import pytest

from tests.linkage.test_model_weights import two_comparison_model
from weijian.linkage.comparisons import DEFAULT_COMPARISONS
from weijian.linkage.model import Model
from weijian.linkage.realtime import best_matches, blocking_keys, kept_apart, score

RECORD = {
    "record_id": "his-1", "source": "his", "local_id": "1", "name": "张伟", "surname": "张", "given_name": "伟",
    "name_pinyin": "zhang wei", "name_pinyin_key": "zhangwei", "surname_pinyin": "zhang",
    "placeholder_name": False, "id_number": "110105199001020013", "id_status": "valid",
    "id_birth_date": "1990-01-02", "id_sex": "1", "birth_date": "1990-01-02", "sex": "1", "id_consistent": True,
    "phone": "13912345678", "address": "红星路1号", "address_district": "510104", "address_street": "春熙路街道",
}


def test_blocking_keys_are_the_prediction_rules_as_strings():
    assert blocking_keys(RECORD) == [
        "id:110105199001020013",
        "ph:13912345678",
        "nb:zhangwei|1990-01-02",
        "bd:1990-01-02|510104",
        "nd:zhangwei|510104",
        "sb:zhang|1990-01-02",
        "ad:510104|红星路1号",
    ]
    newborn = {**RECORD, "name": "新生儿", "name_pinyin_key": "xinshenger", "placeholder_name": True,
               "id_number": "", "phone": ""}
    assert blocking_keys(newborn) == ["bd:1990-01-02|510104", "ad:510104|红星路1号"]
    # the address is compared, and blocked on, without the street people may leave out
    keyed = {**RECORD, "address": "四川省成都市锦江区春熙路街道红星路1号", "address_key": "四川省成都市锦江区红星路1号"}
    assert blocking_keys(keyed)[-1] == "ad:510104|四川省成都市锦江区红星路1号"
    assert blocking_keys({"record_id": "empty"}) == []


def test_score_explains_each_field():
    model = two_comparison_model()
    result = score({"record_id": "a", "sex": "1", "phone": "139"}, {"record_id": "b", "sex": "1", "phone": "139"},
                   model)
    assert result.record_id == "b"
    assert result.match_weight == 4.0
    assert result.match_probability == 16 / 17
    assert result.band == "match"
    assert result.levels == (1, 0)
    sex, phone = result.fields
    assert (sex.comparison, sex.label, sex.title, sex.gamma) == ("sex", "same sex", "相同", 1)
    assert (sex.bayes_factor, sex.match_weight, sex.is_null) == (16.0, 4.0, False)
    assert (phone.label, phone.bayes_factor, phone.match_weight) == ("same phone", 4.0, 2.0)
    assert model.prior_match_weight + sum(f.match_weight for f in result.fields) == result.match_weight

    missing_sex = score({"record_id": "a", "sex": "", "phone": "139"}, {"record_id": "b", "sex": "2", "phone": "138"},
                        model)
    assert missing_sex.fields[0].is_null and missing_sex.fields[0].match_weight == 0.0
    assert missing_sex.match_weight == pytest.approx(-2 + 2 - 3.700439718141092, abs=1e-12)  # log2(13)
    assert missing_sex.band == "non_match"


def _flat_model() -> Model:
    """A model whose every level has its own weight, so any level mix-up shows in the total."""
    m, u = {}, {}
    for number, spec in enumerate(DEFAULT_COMPARISONS):
        count = len(spec.non_null_indexes)
        m[spec.name] = tuple(None if lv.is_null else (count - i + number + 1) / 100 for i, lv in enumerate(spec.levels))
        u[spec.name] = tuple(None if lv.is_null else (i + 1 + number) / 100 for i, lv in enumerate(spec.levels))
    return Model(version="flat", comparisons=DEFAULT_COMPARISONS, m=m, u=u,
                 probability_two_random_records_match=0.001, threshold_upper=8, threshold_lower=0)


def test_score_is_symmetric():
    model = _flat_model()
    other = {**RECORD, "record_id": "his-2", "birth_date": "1990-02-01", "id_consistent": False,
             "name": "张玮", "phone": ""}
    forward, backward = score(RECORD, other, model), score(other, RECORD, model)
    assert forward.match_weight == backward.match_weight
    assert forward.levels == backward.levels
    assert [f.label for f in forward.fields] == [
        "same pinyin", "same valid ID, same name, a birth date or sex mistyped", "day and month swapped", "same sex",
        "same address",
    ]


def test_best_matches_ranks_and_limits():
    model = _flat_model()
    candidates = [
        {**RECORD, "record_id": "c-weak", "name": "李娜", "name_pinyin_key": "lina", "surname_pinyin": "li",
         "id_number": "", "id_consistent": False, "sex": "2", "phone": "", "address": "", "birth_date": ""},
        {**RECORD, "record_id": "c-same"},
        {**RECORD, "record_id": "b-same"},  # a tie with c-same: record_id breaks it
        {**RECORD, "record_id": "c-typo", "name": "张玮", "phone": ""},
    ]
    ranked = best_matches(RECORD, candidates, model, limit=10)
    assert [s.record_id for s in ranked] == ["b-same", "c-same", "c-typo", "c-weak"]
    for result in ranked:
        single = score(RECORD, next(c for c in candidates if c["record_id"] == result.record_id), model)
        assert result == single  # vectorised weights equal the one-pair path exactly
    assert [s.record_id for s in best_matches(RECORD, candidates, model, limit=2)] == ["b-same", "c-same"]
    strong = best_matches(RECORD, candidates, model, min_match_weight=ranked[2].match_weight)
    assert [s.record_id for s in strong] == ["b-same", "c-same", "c-typo"]
    assert best_matches(RECORD, [], model) == []


def _child(record_id, name, pinyin, **fields):
    given = name[1:]
    return {**RECORD, "record_id": record_id, "name": name, "surname": "王", "given_name": given,
            "name_pinyin": pinyin, "name_pinyin_key": pinyin.replace(" ", ""), "surname_pinyin": "wang",
            "id_number": "", "id_status": "missing", "id_consistent": False, **fields}


def test_kept_apart_names_what_batch_clustering_would_split():
    xiaoming = _child("new", "王小明", "wang xiao ming")
    twins = [_child("a1", "王小亮", "wang xiao liang"), _child("a2", "王小亮", "wang xiao liang"),
             _child("a3", "王小明", "wang xiao ming")]
    # person 1 holds 王小亮 twice and 王小明 once: a second 王小明 makes two attested names
    assert kept_apart(xiaoming, twins, {"a1": 1, "a2": 1, "a3": 1}) == {1: "name"}
    # 王小亮 twice alone: the arrival is one record with another name (a typo as far as anyone can tell)
    assert kept_apart(xiaoming, twins[:2], {"a1": 1, "a2": 1}) == {}
    # 模糊音 variants are one name: 王小敏 (min) beside 王小明 (ming) does not make a second name
    near = [_child("b1", "王小敏", "wang xiao min"), _child("b2", "王小敏", "wang xiao min"), twins[2]]
    assert kept_apart(xiaoming, near, {"b1": 2, "b2": 2, "a3": 2}) == {}
    # a newborn placeholder's birth order, and a proving ID number
    first = {**RECORD, "record_id": "n1", "birth_order": "1"}
    second = {**RECORD, "record_id": "n2", "birth_order": "2", "id_number": "110105199001020021"}
    assert kept_apart({**first, "record_id": "new", "id_number": ""}, [first, second], {"n1": 1, "n2": 2}) \
        == {2: "birth_order"}
    assert kept_apart(RECORD, [second], {"n2": 3}) == {3: "id_number"}
