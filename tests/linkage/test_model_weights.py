"""The model artefact: hand-computed weights (checked against Splink too) and the JSON round trip."""

import json
import math

import pytest

from weijian.linkage.comparisons import (
    DEFAULT_COMPARISONS,
    And,
    ComparisonSpec,
    Filled,
    Level,
    Not,
    Same,
)
from weijian.linkage.engines import prepare_frame, splink_settings
from weijian.linkage.engines.duckdb import DuckDBEngine
from weijian.linkage.model import (
    M_U_CLAMP_MIN,
    Model,
    TrainingInfo,
    level_match_weight,
    match_weight_to_probability,
    probability_to_match_weight,
)

SEX = ComparisonSpec(
    "sex",
    "性别",
    (
        Level("sex missing", "缺失", Not(Filled("sex")), is_null=True),
        Level("same sex", "相同", Same("sex")),
        Level("different sex", "不同", None),
    ),
)
PHONE = ComparisonSpec(
    "phone",
    "电话",
    (
        Level("same phone", "相同", And(Filled("phone"), Same("phone"))),
        Level("different phone", "不同", None),
    ),
)


def two_comparison_model() -> Model:
    # λ = 1/5: prior odds 1/4, prior weight -2
    # sex:   same  m=1/2 u=1/32  → BF 16   → +4;   different m=1/2 u=31/32 → log2(16/31)
    # phone: same  m=3/4 u=3/16  → BF 4    → +2;   different m=1/4 u=13/16 → log2(4/13)
    return Model(
        version="test-1",
        created="2025-01-01T00:00:00+00:00",
        comparisons=(SEX, PHONE),
        m={"sex": (None, 0.5, 0.5), "phone": (0.75, 0.25)},
        u={"sex": (None, 1 / 32, 31 / 32), "phone": (3 / 16, 13 / 16)},
        probability_two_random_records_match=0.2,
        threshold_upper=3.0,
        threshold_lower=-1.0,
    )


HAND_COMPUTED = {
    # (sex level, phone level): weight
    (0, 0): 0.0,  # -2 + 0 + 2
    (0, 1): -math.log2(13),  # -2 + 0 + 2 - log2 13
    (1, 0): 4.0,  # -2 + 4 + 2
    (1, 1): 4.0 - math.log2(13),
    (2, 0): 4.0 - math.log2(31),
    (2, 1): 4.0 - math.log2(31) - math.log2(13),
}


def test_hand_computed_weights_for_every_level_combination():
    model = two_comparison_model()
    assert model.prior_match_weight == -2.0
    assert model.level_weights("sex") == (0.0, 4.0, pytest.approx(4 - math.log2(31), abs=1e-12))
    assert model.level_weights("phone") == (2.0, pytest.approx(2 - math.log2(13), abs=1e-12))
    for levels, expected in HAND_COMPUTED.items():
        assert model.match_weight(levels) == pytest.approx(expected, abs=1e-12), levels
        assert model.match_weight({"sex": levels[0], "phone": levels[1]}) == model.match_weight(levels)
    # exact where the arithmetic is exact
    assert model.match_weight((0, 0)) == 0.0
    assert model.match_weight((1, 0)) == 4.0
    assert model.match_probability((0, 0)) == 0.5
    assert model.match_probability((1, 0)) == 16 / 17
    assert model.bayes_factor("sex", 1) == 16.0
    assert model.bayes_factor("sex", 0) == 1.0
    assert [model.band(w) for w in (3.0, 2.9, -1.0, -1.01)] == ["match", "review", "review", "non_match"]


def test_splink_gives_the_hand_computed_weights():
    """The same model run through Splink's predict on records realising every level combination."""
    records = []
    for sex in ("", "1", "2"):
        for phone in ("13900000000", "13911111111"):
            records.append({"record_id": f"{sex or 'x'}-{phone[-1]}", "sex": sex, "phone": phone})
    records.append({"record_id": "ref", "sex": "1", "phone": "13900000000"})
    model = two_comparison_model()
    settings = splink_settings(model.comparisons, m=model.m, u=model.u,
                               probability_two_random_records_match=0.2, blocking_rules=["1=1"])
    pairs = DuckDBEngine().predict(prepare_frame(records), settings, threshold_match_weight=None)
    pairs = pairs[(pairs.record_id_l == "ref") | (pairs.record_id_r == "ref")]
    seen = set()
    for row in pairs.itertuples():
        levels = (SEX.index_of_gamma(row.gamma_sex), PHONE.index_of_gamma(row.gamma_phone))
        seen.add(levels)
        assert row.match_weight == pytest.approx(HAND_COMPUTED[levels], abs=1e-12)
        assert row.match_weight == pytest.approx(model.match_weight(levels), abs=1e-12)
        assert row.match_probability == pytest.approx(match_weight_to_probability(row.match_weight), abs=1e-15)
    assert seen == set(HAND_COMPUTED)


def test_probability_conversions_follow_splink():
    assert probability_to_match_weight(0.5) == 0.0
    assert probability_to_match_weight(0.2) == -2.0
    assert probability_to_match_weight(1) == math.inf
    assert match_weight_to_probability(0.0) == 0.5
    assert match_weight_to_probability(-2.0) == 0.2
    assert match_weight_to_probability(3000.0) == 1.0  # no overflow either way
    assert match_weight_to_probability(-3000.0) == 0.0
    # Splink's clamp: a zero m or u is floored at 1e-300 before log2
    assert level_match_weight(0.0, 0.5) == math.log2(M_U_CLAMP_MIN / 0.5)
    assert level_match_weight(0.5, 0.0) == math.log2(0.5 / M_U_CLAMP_MIN)
    assert level_match_weight(None, None) == 0.0


def test_json_round_trip_is_exact_and_stable():
    model = Model(
        version="mpi-test",
        created="2025-01-01T00:00:00+00:00",
        comparisons=DEFAULT_COMPARISONS,
        m={s.name: tuple(None if lv.is_null else 0.05 + i / 11 for i, lv in enumerate(s.levels)) for s in
           DEFAULT_COMPARISONS},
        u={s.name: tuple(None if lv.is_null else 1 / (3 + i) ** 5 for i, lv in enumerate(s.levels)) for s in
           DEFAULT_COMPARISONS},
        probability_two_random_records_match=1 / 12345,
        threshold_upper=10.0,
        threshold_lower=0.5,
        training=TrainingInfo(record_count=300, engine="duckdb", em_blocking_rules=("l.a = r.a",), seed=7,
                              notes=("a note",)),
    )
    text = model.to_json()
    again = Model.from_json(text)
    assert again == model
    assert again.to_json() == text
    assert again.match_weight([1, 1, 1, 1, 1]) == model.match_weight([1, 1, 1, 1, 1])
    data = json.loads(text)
    assert data["format"] == 1
    assert list(data)[:3] == ["format", "version", "created"]
    assert "姓名" in text  # human-readable, not \\u escapes
    first_level = data["comparisons"][0]["levels"][1]
    assert first_level["sql"] == "(name_l <> '' AND name_r <> '') AND (name_l = name_r)"
    assert first_level["condition"] == {"and": [{"filled": "name"}, {"same": "name"}]}


def test_unknown_format_is_refused():
    data = json.loads(two_comparison_model().to_json())
    data["format"] = 2
    with pytest.raises(ValueError, match="unsupported model format 2"):
        Model.from_dict(data)


def test_model_checks_its_parameters():
    good = two_comparison_model()
    with pytest.raises(ValueError, match="null level"):
        Model(version="x", comparisons=(SEX, PHONE), m={"sex": (0.1, 0.5, 0.5), "phone": (0.75, 0.25)},
              u=good.u, probability_two_random_records_match=0.2, threshold_upper=1, threshold_lower=0)
    with pytest.raises(ValueError, match=r"\[1e-300, 1\]"):
        Model(version="x", comparisons=(SEX, PHONE), m={"sex": (None, 0.0, 1.0), "phone": (0.75, 0.25)},
              u=good.u, probability_two_random_records_match=0.2, threshold_upper=1, threshold_lower=0)
    with pytest.raises(ValueError, match="exactly the model's comparisons"):
        Model(version="x", comparisons=(SEX,), m=good.m, u=good.u, probability_two_random_records_match=0.2,
              threshold_upper=1, threshold_lower=0)
    with pytest.raises(ValueError, match=r"\(0, 1\)"):
        Model(version="x", comparisons=(SEX, PHONE), m=good.m, u=good.u, probability_two_random_records_match=0,
              threshold_upper=1, threshold_lower=0)
