"""Splink on DuckDB: the default engine, for one machine (an in-memory database per call)."""

from __future__ import annotations

import copy
from typing import Any

import duckdb
import pandas as pd
import splink
from splink import DuckDBAPI, Linker
from splink.internals.exceptions import EMTrainingException

from weijian.linkage.engines import Engine, Estimated, TrainingPlan


class DuckDBEngine(Engine):
    name = "duckdb"

    def __init__(self, *, threads: int | None = None, memory_limit: str | None = None):
        self.threads = threads
        self.memory_limit = memory_limit

    @property
    def version(self) -> str:
        return f"splink {splink.__version__}, duckdb {duckdb.__version__}"

    def _linker(self, frame: pd.DataFrame, settings: dict[str, Any]) -> Linker:
        connection = duckdb.connect(":memory:")
        if self.threads:
            connection.execute(f"SET threads = {int(self.threads)}")
        if self.memory_limit:
            connection.execute("SET memory_limit = ?", [self.memory_limit])
        db_api = DuckDBAPI(connection=connection)
        # every prepared column is text: say so, rather than let DuckDB guess from the values
        table = frame.astype({column: "string" for column in frame.columns})
        return Linker(db_api.register(table), settings, log_level=None)

    def estimate(self, frame: pd.DataFrame, settings: dict[str, Any], plan: TrainingPlan) -> Estimated:
        linker = self._linker(frame, settings)
        notes: list[str] = []
        if plan.prior is None:
            linker.training.estimate_probability_two_random_records_match(
                list(plan.deterministic_rules), recall=plan.recall
            )
        linker.training.estimate_u_using_random_sampling(max_pairs=plan.u_max_pairs, seed=plan.seed)
        for rule in plan.em_blocking_rules:
            # A failed EM session leaves Splink's settings half-rewritten (the comparisons it blocked on
            # removed), so each session runs on a copy that replaces the linker only when it succeeds.
            # It fails when the rule yields no pairs, or when an m falls to exactly 0.0 (a level seen only
            # among pairs whose match probability underflowed), which Splink 5 refuses to store.
            trial = copy.deepcopy(linker)
            try:
                trial.training.estimate_parameters_using_expectation_maximisation(
                    rule, max_pairs=plan.em_max_pairs
                )
            except (EMTrainingException, ValueError) as error:
                notes.append(f"EM session blocked on `{rule}` skipped: {str(error).splitlines()[0]}")
                continue
            linker = trial
        return Estimated(splink_model=linker.misc.save_model_to_json(), notes=tuple(notes))

    def predict(
        self, frame: pd.DataFrame, settings: dict[str, Any], *, threshold_match_weight: float | None
    ) -> pd.DataFrame:
        linker = self._linker(frame, settings)
        result = linker.inference.predict(threshold_match_weight=threshold_match_weight)
        return result.as_pandas_dataframe()


ENGINE = DuckDBEngine
