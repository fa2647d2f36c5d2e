"""Outlier methods against hand-computed values, and their SQL forms in DuckDB against NumPy."""

import duckdb
import numpy as np
import pytest

from weijian.dq import outliers

VALUES = [10, 12, 11, 13, 12, 11, 10, 12, 11, 95]


def test_z_score_by_hand():
    # mean 197 / 10 = 19.7, population σ = sqrt(mean of squared deviations) = 25.12
    x = np.array(VALUES, dtype=float)
    sigma = np.sqrt(((x - 19.7) ** 2).mean())
    assert sigma == pytest.approx(25.116, abs=0.001)
    scores = outliers.z_scores(VALUES)
    assert scores[-1] == pytest.approx((95 - 19.7) / sigma)  # 2.998: under 3, the classic z-score misses it
    assert not outliers.z_outliers(VALUES).any()
    assert outliers.z_outliers(VALUES, threshold=2.5).tolist() == [False] * 9 + [True]


def test_modified_z_score_by_hand():
    # median 11.5; |x − 11.5| = 1.5, .5, .5, 1.5, .5, .5, 1.5, .5, .5, 83.5 → MAD = 0.5
    scores = outliers.modified_z_scores(VALUES)
    assert scores[-1] == pytest.approx(0.6745 * 83.5 / 0.5)  # 112.6
    assert scores[0] == pytest.approx(0.6745 * 1.5 / 0.5)  # 2.02
    assert outliers.modified_z_outliers(VALUES).tolist() == [False] * 9 + [True]


def test_modified_z_score_when_most_values_are_equal():
    values = [5, 5, 5, 5, 5, 5, 9]  # MAD = 0: the mean absolute deviation (4/7) takes over
    scores = outliers.modified_z_scores(values)
    assert scores[-1] == pytest.approx(4 / (1.253314 * 4 / 7))  # 5.585
    assert outliers.modified_z_outliers(values).tolist() == [False] * 6 + [True]
    assert not outliers.modified_z_outliers([3, 3, 3]).any()


def test_min_max():
    assert outliers.min_max_outliers([30, 35, 45, 20], 30, 42).tolist() == [False, False, True, True]
    assert outliers.min_max_outliers([30, 99], None, 42).tolist() == [False, True]


def test_sql_forms_agree_with_numpy_per_group():
    rng = np.random.default_rng(3)
    groups = {"A": np.append(rng.normal(120, 10, 200), [260, 30]), "B": np.append(np.full(50, 7.0), [9, 40])}
    connection = duckdb.connect()
    connection.execute("CREATE TABLE v (source VARCHAR, n INTEGER, value DOUBLE)")
    for source, values in groups.items():
        connection.executemany("INSERT INTO v VALUES (?, ?, ?)", [(source, i, float(x)) for i, x in enumerate(values)])
    z = dict(((s, n), o) for s, n, o in connection.execute(
        f"SELECT source, n, {outliers.z_sql('value', 'source')} FROM v").fetchall())
    modified = dict(((s, n), o) for s, n, o in connection.execute(
        f"SELECT source, n, outlier FROM ({outliers.modified_z_sql('v', 'value', 'source')})").fetchall())
    minmax = dict(((s, n), o) for s, n, o in connection.execute(
        f"SELECT source, n, {outliers.min_max_sql('value', 0, 200)} FROM v").fetchall())
    for source, values in groups.items():
        assert [z[source, i] for i in range(len(values))] == outliers.z_outliers(values).tolist()
        assert [modified[source, i] for i in range(len(values))] == outliers.modified_z_outliers(values).tolist()
        assert [minmax[source, i] for i in range(len(values))] == outliers.min_max_outliers(values, 0, 200).tolist()
    assert modified["A", 200] and modified["B", 51] and not modified["B", 0]
