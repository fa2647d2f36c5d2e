"""The point of defining comparisons once: the real-time scorer gives every pair the weight Splink gives it.

A model is trained on ~330 synthetic standardised records (homophones, near-homophone pinyin, transposed
ID digits, swapped day/month, households sharing phone and address, a parent's ID on a child's record,
newborn placeholders), then Splink scores pairs and `realtime.score` scores the same pairs.
"""

import pytest

from tests.linkage.test_model_synthetic import synthetic_records
from weijian.linkage.comparisons import levels_for_pair, prepare_record
from weijian.linkage.engines import model_settings, predict, prepare_frame, train
from weijian.linkage.engines.duckdb import DuckDBEngine
from weijian.linkage.realtime import best_matches, blocking_keys, score


@pytest.fixture(scope="module")
def records():
    return synthetic_records()


@pytest.fixture(scope="module")
def model(records):
    return train(records)


def _gammas(row, model) -> tuple[int, ...]:
    return tuple(int(getattr(row, f"gamma_{spec.name}")) for spec in model.comparisons)


def test_score_equals_splink_for_every_predicted_pair(model, records):
    by_id = {r["record_id"]: r for r in records}
    pairs = predict(records, model, threshold=-1000.0).pairs
    assert len(pairs) > 300
    for row in pairs.itertuples(index=False):
        result = score(by_id[row.record_id_l], by_id[row.record_id_r], model)
        assert result.match_weight == pytest.approx(row.match_weight, abs=1e-9)
        assert result.match_probability == pytest.approx(row.match_probability, abs=1e-12)
        assert tuple(field.gamma for field in result.fields) == _gammas(row, model)
        for field in result.fields:
            assert field.match_weight == pytest.approx(getattr(row, f"mw_{field.comparison}"), abs=1e-12)


def test_levels_equal_splink_for_all_pairs_not_only_blocked_ones(model, records):
    settings = model_settings(model)
    settings["blocking_rules_to_generate_predictions"] = ["1=1"]
    pairs = DuckDBEngine().predict(prepare_frame(records), settings, threshold_match_weight=None)
    assert len(pairs) == len(records) * (len(records) - 1) // 2
    prepared = {r["record_id"]: prepare_record(r) for r in records}
    for row in pairs.itertuples(index=False):
        levels = levels_for_pair(model.comparisons, prepared[row.record_id_l], prepared[row.record_id_r])
        assert tuple(spec.gamma(i) for spec, i in zip(model.comparisons, levels, strict=True)) == _gammas(row, model)
        assert model.match_weight(levels) == pytest.approx(row.match_weight, abs=1e-9)
    # every level of every comparison occurs, so every SQL condition met its Python twin
    for spec in model.comparisons:
        seen = set(pairs[f"gamma_{spec.name}"].astype(int))
        assert seen == {spec.gamma(i) for i in range(len(spec.levels))}, spec.name


def test_best_matches_over_blocking_candidates_agree_with_batch(model, records):
    by_key: dict[str, list[dict]] = {}
    for record in records:
        for key in blocking_keys(record):
            by_key.setdefault(key, []).append(record)
    batch = predict(records, model, threshold=None).pairs
    batch_weight = {(r.record_id_l, r.record_id_r): r.match_weight for r in batch.itertuples(index=False)}
    for record in records[:60]:
        candidates = {c["record_id"]: c for key in blocking_keys(record) for c in by_key[key]}
        candidates.pop(record["record_id"])
        ranked = best_matches(record, list(candidates.values()), model, limit=len(candidates))
        assert [s.match_weight for s in ranked] == sorted((s.match_weight for s in ranked), reverse=True)
        for result in ranked:
            pair = tuple(sorted((record["record_id"], result.record_id)))
            assert result.match_weight == pytest.approx(batch_weight[pair], abs=1e-9)  # same candidate set
        assert len(ranked) == sum(1 for pair in batch_weight if record["record_id"] in pair)
