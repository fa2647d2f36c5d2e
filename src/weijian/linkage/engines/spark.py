"""Splink on Spark, for a city that outgrows one machine. Not available yet: pyspark is not installed.

Imported only by `get_engine("spark")`. When it is built it runs the same Splink settings as the DuckDB
engine; DuckDB's `damerau_levenshtein` then comes from Splink's Spark UDF jar and must be re-checked
against `comparisons.damerau_levenshtein` like the DuckDB one is.
"""

from __future__ import annotations

from typing import Any

from weijian.linkage.engines import Engine, Estimated, TrainingPlan


class SparkEngine(Engine):
    name = "spark"

    def __init__(self, **options: Any):
        try:
            import pyspark  # noqa: F401
        except ImportError as error:
            raise ImportError(
                "the Spark linkage engine needs pyspark, which is not installed; use engine='duckdb' "
                "or install pyspark (and Splink's Spark extra) on the cluster driver"
            ) from error
        raise NotImplementedError("the Spark linkage engine is not implemented yet; use engine='duckdb'")

    def estimate(self, frame, settings: dict[str, Any], plan: TrainingPlan) -> Estimated:
        raise NotImplementedError

    def predict(self, frame, settings: dict[str, Any], *, threshold_match_weight: float | None):
        raise NotImplementedError


ENGINE = SparkEngine
