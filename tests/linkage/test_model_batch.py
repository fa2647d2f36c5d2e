"""Batch linkage on DuckDB: training, prediction with capped blocking keys, clustering, engine choice."""

import hashlib
import itertools

import numpy as np
import pandas as pd
import pytest

from tests.linkage.test_model_synthetic import make_id, synthetic_records
from weijian.linkage.engines import (
    DEFAULT_BLOCKING_CAP,
    attested_names,
    cap_blocking_keys,
    cluster,
    get_engine,
    predict,
    prepare_frame,
    train,
)
from weijian.linkage.model import Model


@pytest.fixture(scope="module")
def records():
    return synthetic_records()


@pytest.fixture(scope="module")
def model(records):
    return train(records, version="test-model")


# levels before a comparison's "else" that count against a match
DISAGREEMENT_LEVELS = {"newborn placeholders, another birth order (twins)"}


def test_training_gives_m_above_u_for_agreement_levels(model, records):
    assert model.version == "test-model"
    assert model.training.record_count == len(records)
    assert model.training.engine == "duckdb"
    assert model.training.seed is not None
    assert len(model.training.em_blocking_rules) == 3
    assert 0 < model.probability_two_random_records_match < 0.05
    not_observed = " ".join(model.training.notes)
    for spec in model.comparisons:
        m, u = model.m[spec.name], model.u[spec.name]
        strongest = spec.non_null_indexes[0]
        assert m[strongest] > (10 * u[strongest] if spec.name != "sex" else 1.5 * u[strongest]), spec.name
        for index in spec.non_null_indexes[:-1]:  # every agreement level estimated from the data
            if spec.levels[index].label in DISAGREEMENT_LEVELS:
                continue
            if f"{spec.name} / {spec.levels[index].label}" not in not_observed:
                assert m[index] > u[index], (spec.name, spec.levels[index].label)
        assert m[-1] < u[-1], spec.name  # the "else" level counts against a match
        # u comes from one random sample; m is the median over EM sessions per level, so only u sums to 1
        # (over the levels the sample saw: the others get a small floor, said in the notes)
        sampled = [i for i in spec.non_null_indexes
                   if f"{spec.name} / {spec.levels[i].label}: u not observed" not in not_observed]
        assert sum(u[i] for i in sampled) == pytest.approx(1, abs=1e-9)


def _same_parameters(left, right):
    """Equal up to float rounding: DuckDB sums in parallel, so the last bit may differ between runs."""
    assert left.keys() == right.keys()
    for name in left:
        assert [x is None for x in left[name]] == [x is None for x in right[name]], name
        got = [x for x in left[name] if x is not None]
        want = [x for x in right[name] if x is not None]
        assert got == pytest.approx(want, rel=1e-9, abs=1e-15), name


def test_training_is_deterministic(model, records):
    again = train(records, version="test-model")
    _same_parameters(again.m, model.m)
    _same_parameters(again.u, model.u)
    assert again.probability_two_random_records_match == pytest.approx(
        model.probability_two_random_records_match, rel=1e-9
    )


def test_trained_model_survives_json(model):
    assert Model.from_json(model.to_json()) == model


def test_prediction_finds_true_pairs_and_clusters_them(model, records):
    prediction = predict(records, model, threshold=model.threshold_lower)
    pairs = prediction.pairs
    assert prediction.capped == ()
    assert (pairs.match_weight >= model.threshold_lower).all()
    assert (pairs.record_id_l < pairs.record_id_r).all()
    in_order = list(zip(pairs.record_id_l, pairs.record_id_r, strict=True))
    assert len(in_order) > 1 and in_order == sorted(in_order)  # sorted by the engine
    person = {r["record_id"]: r["person"] for r in records}
    clusters = cluster(pairs, model.threshold_lower, record_ids=person)
    assert set(clusters) == set(person)
    linked = [(a, b) for a, b in itertools.combinations(sorted(person), 2) if clusters[a] == clusters[b]]
    true = sum(person[a] == person[b] for a, b in linked)
    all_true = sum(1 for a, b in itertools.combinations(sorted(person), 2) if person[a] == person[b])
    assert true / len(linked) > 0.9  # precision
    assert true / all_true > 0.9  # recall


def _switchboard_records(count: int) -> list[dict]:
    """`count` different patients all registered with the hospital switchboard number."""
    records = []
    for i in range(count):
        birth = f"{1950 + i % 60}-{1 + i % 12:02d}-{1 + i % 28:02d}"
        records.append({
            "record_id": f"sw{i:04d}", "name": f"病人{i}", "name_pinyin_key": f"bingren{i}",
            "surname_pinyin": f"bing{i}", "id_number": make_id("510104", birth, i % 999),
            "id_status": "valid", "id_consistent": True, "birth_date": birth, "sex": "1" if i % 2 else "2",
            "phone": "02885551234", "address": "", "address_district": f"5101{i % 50:02d}", "address_street": "",
        })
    return records


def test_over_full_blocking_keys_are_capped_and_reported(model):
    records = _switchboard_records(495)
    records += [{**records[i], "record_id": f"dup{i}"} for i in range(0, 50, 10)]  # 5 patients seen twice
    prediction = predict(records, model, threshold=None)
    digest = hashlib.sha256(b"02885551234").hexdigest()[:16]
    assert [(c.rule, c.value_hash, c.count) for c in prediction.capped] == [("ph", digest, 500)]
    assert "02885551234" not in repr(prediction.capped)
    # without the cap the phone rule alone would give 124,750 pairs; with it, only the 5 true pairs remain,
    # found by the ID rule (rule 0), none by the phone rule (rule 1)
    pairs = prediction.pairs
    assert sorted(zip(pairs.record_id_l, pairs.record_id_r, strict=True)) == [
        (f"dup{i}", f"sw{i:04d}") for i in range(0, 50, 10)
    ]
    assert set(pairs.match_key.astype(str)) == {"0"}


def test_cap_blocking_keys_counts_per_key():
    frame = prepare_frame(_switchboard_records(DEFAULT_BLOCKING_CAP + 1))
    before = frame.copy()
    capped_frame, capped = cap_blocking_keys(frame)
    assert [(c.rule, c.count) for c in capped] == [("ph", DEFAULT_BLOCKING_CAP + 1)]
    assert capped_frame["bk_ph"].isna().all()
    assert capped_frame["bk_id"].notna().all()
    assert frame.equals(before)  # the caller's frame is left as it was
    _, nothing = cap_blocking_keys(frame, cap=DEFAULT_BLOCKING_CAP + 1)
    assert nothing == []


def test_cluster_is_connected_components_at_the_threshold():
    pairs = pd.DataFrame(
        [("a", "b", 5.0), ("b", "c", 1.0), ("d", "e", 10.0), ("c", "e", 2.0), ("x", "y", -3.0)],
        columns=["record_id_l", "record_id_r", "match_weight"],
    )
    assert cluster(pairs, 2.0, record_ids=["f"]) == {
        "a": "a", "b": "a", "c": "c", "d": "c", "e": "c", "x": "x", "y": "y", "f": "f",
    }
    assert cluster([("a", "b", 5.0), ("b", "c", 1.0)], 0.5) == {"a": "a", "b": "a", "c": "a"}
    assert cluster([], 0.5, record_ids=["a"]) == {"a": "a"}
    assert cluster([], 0.5) == {}


def _union_find_clusters(edges, threshold, record_ids):
    parent = {record_id: record_id for record_id in record_ids}

    def find(node):
        parent.setdefault(node, node)
        while parent[node] != node:
            node = parent[node]
        return node

    for left, right, weight in edges:
        a, b = find(left), find(right)
        if weight >= threshold and a != b:
            parent[max(a, b)] = min(a, b)
    return {node: find(node) for node in parent}


def test_cluster_equals_a_plain_union_find_on_random_graphs():
    rng = np.random.default_rng(3)
    for _ in range(20):
        nodes = [f"r{i:04d}" for i in rng.permutation(300)]
        edges = [(nodes[a], nodes[b], float(w)) for a, b, w in zip(
            rng.integers(0, 250, 280), rng.integers(0, 250, 280), rng.normal(5, 5, 280), strict=True) if a != b]
        frame = pd.DataFrame(edges, columns=["record_id_l", "record_id_r", "match_weight"])
        expected = _union_find_clusters(edges, 6.0, nodes)
        assert cluster(frame, 6.0, record_ids=nodes) == expected
        assert len(set(expected.values())) < len(nodes)  # some edges were kept


def test_cluster_keeps_records_with_different_distinct_ids_apart():
    # twins A (a1 with ID 1, a2 without) and B (b1 with ID 2, b2 without): a2–b2 looks like a typo
    pairs = pd.DataFrame(
        [("a1", "a2", 20.0), ("b1", "b2", 18.0), ("a2", "b2", 9.0), ("a1", "b2", 7.0), ("c1", "c2", 8.0)],
        columns=["record_id_l", "record_id_r", "match_weight"],
    )
    ids = {"a1": "1", "b1": "2", "c1": "3", "c2": ""}
    assert set(cluster(pairs, 6.0).values()) == {"a1", "c1"}  # without: one cluster of the twins
    # strongest first: a1–a2, b1–b2, then a2–b2 and a1–b2 would join ID 1 with ID 2, so they are left out
    assert cluster(pairs, 6.0, distinct=ids, record_ids=["z"]) == {
        "a1": "a1", "a2": "a1", "b1": "b1", "b2": "b1", "c1": "c1", "c2": "c1", "z": "z"}
    # an unproven record goes with the stronger side; the same result whatever the pairs' order
    pairs = pd.DataFrame([("a1", "x", 9.0), ("b1", "x", 12.0), ("a1", "a2", 10.0)],
                         columns=["record_id_l", "record_id_r", "match_weight"])
    expected = {"a1": "a1", "a2": "a1", "b1": "b1", "x": "b1"}
    assert cluster(pairs, 6.0, distinct=ids) == expected
    assert cluster(pairs.iloc[::-1], 6.0, distinct=ids) == expected
    # a prepared frame's id_distinct column is read as well
    frame = pd.DataFrame({"record_id": ["a1", "b1", "x", "a2"], "id_distinct": ["1", "2", "", ""]})
    assert cluster(pairs, 6.0, distinct=frame) == expected


def _twins_frame(names, orders=None):
    ids = [f"r{i}" for i in range(len(names))]
    return pd.DataFrame({"record_id": ids, "id_distinct": [""] * len(names), "name_fuzzy": names,
                         "birth_order": orders or [""] * len(names)})


def test_two_names_each_on_two_records_are_two_people():
    """Twins 王小明 / 王小亮 without IDs: every pair looks like one person with a mistyped character."""
    frame = _twins_frame(["wanxiaomin", "wanxiaomin", "wanxiaoliang", "wanxiaoliang"])
    pairs = pd.DataFrame([("r0", "r1", 20.0), ("r2", "r3", 19.0), ("r0", "r2", 9.0), ("r1", "r3", 8.5),
                          ("r1", "r2", 8.0)], columns=["record_id_l", "record_id_r", "match_weight"])
    assert set(cluster(pairs, 6.0).values()) == {"r0"}  # without the signs: one person
    assert cluster(pairs, 6.0, distinct=frame) == {"r0": "r0", "r1": "r0", "r2": "r2", "r3": "r2"}
    # one record of another name is a typo of this person's, not a second person
    typo = _twins_frame(["wanxiaomin", "wanxiaomin", "wanxiaomin", "wanxiaoliang"])
    assert set(cluster(pairs, 6.0, distinct=typo).values()) == {"r0"}
    # placeholders (no name) and other components do not count
    unnamed = _twins_frame(["wanxiaomin", "wanxiaomin", "", ""])
    assert set(cluster(pairs, 6.0, distinct=unnamed).values()) == {"r0"}


def test_attested_names_only_where_a_component_holds_two_of_them():
    component = np.array([0, 0, 0, 0, 0, 1, 1, 1, 2])
    names = np.array([5, 5, 7, 7, 9, 5, 5, 7, -1])
    assert attested_names(component, names).tolist() == [5, 5, 7, 7, -1, -1, -1, -1, -1]
    assert attested_names(component, np.full(9, -1)).tolist() == [-1] * 9


def test_different_birth_orders_of_newborn_placeholders_are_two_people():
    """王芳之子一 and 王芳之子二 (twins), joined through a 新生儿 record without an order."""
    frame = _twins_frame([""] * 4, orders=["1", "1", "2", ""])
    pairs = pd.DataFrame([("r0", "r1", 15.0), ("r0", "r3", 12.0), ("r2", "r3", 11.0), ("r1", "r2", 9.0)],
                         columns=["record_id_l", "record_id_r", "match_weight"])
    assert cluster(pairs, 6.0, distinct=frame) == {"r0": "r0", "r1": "r0", "r3": "r0", "r2": "r2"}


def _root(parent, node):
    while parent[node] != node:
        node = parent[node]
    return node


def test_cluster_with_distinct_ids_equals_a_constrained_union_find_on_random_graphs():
    rng = np.random.default_rng(5)
    for _ in range(20):
        nodes = [f"r{i:03d}" for i in range(200)]
        values = {node: (str(rng.integers(0, 30)) if rng.random() < 0.4 else "") for node in nodes}
        edges = [(nodes[a], nodes[b], float(w)) for a, b, w in zip(
            rng.integers(0, 200, 240), rng.integers(0, 200, 240), rng.normal(7, 4, 240), strict=True) if a < b]
        parent, value = {n: n for n in nodes}, dict(values)
        for left, right, weight in sorted(edges, key=lambda e: (-e[2], e[0], e[1])):
            a, b = _root(parent, left), _root(parent, right)
            if weight < 6.0 or a == b or (value[a] and value[b] and value[a] != value[b]):
                continue
            parent[max(a, b)], value[min(a, b)] = min(a, b), value[a] or value[b]
        expected = {node: _root(parent, node) for node in nodes}
        assert cluster(edges, 6.0, record_ids=nodes, distinct=values) == expected
        for root in set(expected.values()):
            assert len({values[n] for n in nodes if expected[n] == root} - {""}) <= 1


def test_prepare_frame_reads_pandas_missing_values_as_empty():
    frame = pd.DataFrame({
        "record_id": ["a", "b", "c"],
        "name": ["张三", None, pd.NA],
        "name_pinyin_key": ["zhangsan", float("nan"), pd.NA],
        "placeholder_name": [False, pd.NA, None],
        "id_consistent": pd.array([True, pd.NA, False], dtype="boolean"),
        "id_number": ["110105199001020013", None, pd.NA],
        "birth_date": ["1990-01-02", float("nan"), None],
    })
    prepared = prepare_frame(frame)
    assert prepared.loc[0, "id_ok"] == "110105199001020013"
    assert prepared.loc[0, "birth_swap"] == "1990-02-01"
    for column in ("name", "name_key", "id_ok", "id_any", "birth_date", "birth_ym", "phone"):
        assert prepared.loc[1, column] == prepared.loc[2, column] == "", column
    assert prepared.loc[1, "bk_id"] is None and prepared.loc[2, "bk_id"] is None


def test_prepare_frame_refuses_duplicate_ids():
    with pytest.raises(ValueError, match="unique"):
        prepare_frame([{"record_id": "a"}, {"record_id": "a"}])
    with pytest.raises(ValueError, match="record_id"):
        prepare_frame([{"name": "张三"}])


def test_engines_are_chosen_by_name():
    assert get_engine("duckdb").name == "duckdb"
    with pytest.raises(ValueError, match="unknown linkage engine"):
        get_engine("oracle")
    assert get_engine("spark").name == "spark"  # no session is started until one is needed


def test_training_beyond_max_records_uses_a_random_sample_and_says_so(records):
    sampled = train(records, version="sampled", max_records=len(records) // 2)
    assert sampled.training.record_count == len(records) // 2
    assert sampled.training.notes[0] == f"trained on a random sample of {len(records) // 2:,} of {len(records):,} records"
    assert sampled.probability_two_random_records_match > 0
    whole = train(records, version="whole", max_records=None)
    assert whole.training.record_count == len(records)
    assert not any("random sample" in note for note in whole.training.notes)


def test_prediction_on_a_prepared_frame_equals_prediction_on_the_records(model, records):
    prepared = prepare_frame(records)
    direct = predict(records, model, threshold=None).pairs
    shared = predict(prepared, model, threshold=None).pairs
    pd.testing.assert_frame_equal(direct, shared)
    assert list(direct.columns[:5]) == ["record_id_l", "record_id_r", "match_weight", "match_probability", "match_key"]
