"""Outlier detection per element (and per source): z-score, modified z-score, min–max.

Plain NumPy over one element's values for testing a rule on a sample, and the same judgement as SQL
window expressions (`*_sql`) for checking stored data set-wise in DuckDB, grouped by element and source.
A test holds the two together.

- z-score: |x − mean| / σ (population standard deviation) above the threshold (3 by default);
- modified z-score (Iglewicz and Hoaglin): 0.6745 · |x − median| / MAD above the threshold (3.5), MAD the
  median absolute deviation; when MAD is 0 (more than half the values equal), |x − median| /
  (1.253314 · mean absolute deviation) instead, as IBM SPSS does; when that is 0 too, nothing is an outlier;
- min–max: outside a configured [low, high].
"""

import numpy as np

Z_THRESHOLD = 3.0
MODIFIED_Z_THRESHOLD = 3.5
MAD_SCALE = 0.6745
MEAN_AD_SCALE = 1.253314


def z_scores(values) -> np.ndarray:
    x = np.asarray(values, dtype=float)
    sigma = x.std()
    if not len(x) or sigma == 0:
        return np.zeros(len(x))
    return np.abs(x - x.mean()) / sigma


def modified_z_scores(values) -> np.ndarray:
    x = np.asarray(values, dtype=float)
    if not len(x):
        return np.zeros(0)
    median = np.median(x)
    deviation = np.abs(x - median)
    mad = np.median(deviation)
    if mad > 0:
        return MAD_SCALE * deviation / mad
    mean_ad = deviation.mean()
    if mean_ad > 0:
        return deviation / (MEAN_AD_SCALE * mean_ad)
    return np.zeros(len(x))


def z_outliers(values, threshold: float = Z_THRESHOLD) -> np.ndarray:
    return z_scores(values) > threshold


def modified_z_outliers(values, threshold: float = MODIFIED_Z_THRESHOLD) -> np.ndarray:
    return modified_z_scores(values) > threshold


def min_max_outliers(values, low: float | None, high: float | None) -> np.ndarray:
    x = np.asarray(values, dtype=float)
    outside = np.zeros(len(x), dtype=bool)
    if low is not None:
        outside |= x < low
    if high is not None:
        outside |= x > high
    return outside


def z_sql(column: str, partition: str, threshold: float = Z_THRESHOLD) -> str:
    """TRUE for an outlier row (NULL value → NULL), over a window partitioned by `partition`."""
    window = f"OVER (PARTITION BY {partition})" if partition else "OVER ()"
    sigma = f"stddev_pop({column}) {window}"
    return (f"(CASE WHEN {sigma} = 0 THEN FALSE "
            f"ELSE abs({column} - avg({column}) {window}) / {sigma} > {float(threshold)!r} END)")


def modified_z_sql(table: str, column: str, partition: str, threshold: float = MODIFIED_Z_THRESHOLD) -> str:
    """A query over `table` adding `outlier` (the modified z-score rule) per row, partitioned by
    `partition`: the median and the deviations' median need two passes, so it is a query, not an
    expression."""
    by = f"PARTITION BY {partition}" if partition else ""
    return f"""
        WITH medians AS (
            SELECT *, median({column}) OVER ({by}) AS _median FROM {table}
        ), deviations AS (
            SELECT *, abs({column} - _median) AS _dev FROM medians
        ), spreads AS (
            SELECT *, median(_dev) OVER ({by}) AS _mad, avg(_dev) OVER ({by}) AS _mean_ad FROM deviations
        )
        SELECT * EXCLUDE (_median, _dev, _mad, _mean_ad),
               CASE WHEN {column} IS NULL THEN NULL
                    WHEN _mad > 0 THEN {MAD_SCALE!r} * _dev / _mad > {float(threshold)!r}
                    WHEN _mean_ad > 0 THEN _dev / ({MEAN_AD_SCALE!r} * _mean_ad) > {float(threshold)!r}
                    ELSE FALSE END AS outlier
        FROM spreads
    """


def min_max_sql(column: str, low: float | None, high: float | None) -> str:
    parts = []
    if low is not None:
        parts.append(f"{column} < {float(low)!r}")
    if high is not None:
        parts.append(f"{column} > {float(high)!r}")
    return "(" + (" OR ".join(parts) or "FALSE") + ")"
