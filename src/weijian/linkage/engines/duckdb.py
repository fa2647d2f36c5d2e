"""Splink on DuckDB: the default engine, for one machine (an in-memory database per call)."""

from __future__ import annotations

import contextlib
import copy
import tempfile
from collections.abc import Iterator
from typing import Any

import duckdb
import pandas as pd
import splink
from splink import DuckDBAPI, Linker
from splink.internals.exceptions import EMTrainingException

from weijian.linkage.engines import PAIR_COLUMNS, Engine, Estimated, TrainingPlan

#: DuckDB's own limit (it spills beyond it); the default of 80 % of the machine's memory let a million
#: records' prediction take 6 GB. At 2 GB it took 33 s instead of 40 (docs/mpi-speed.md).
DEFAULT_MEMORY_LIMIT = "2GB"
COPY_SLICE = 250_000  # records handed to DuckDB at a time


class DuckDBEngine(Engine):
    name = "duckdb"

    def __init__(self, *, threads: int | None = None, memory_limit: str | None = DEFAULT_MEMORY_LIMIT):
        self.threads = threads
        self.memory_limit = memory_limit

    @property
    def version(self) -> str:
        return f"splink {splink.__version__}, duckdb {duckdb.__version__}"

    @contextlib.contextmanager
    def _linker(self, frame: pd.DataFrame, settings: dict[str, Any]) -> Iterator[tuple[Linker, Any]]:
        """A Splink linker over `frame` in a fresh in-memory DuckDB that spills to its own temporary
        directory beyond `memory_limit` (removed afterwards)."""
        with tempfile.TemporaryDirectory(prefix="weijian-duckdb-") as spill:
            connection = duckdb.connect(":memory:")
            try:
                connection.execute("SET temp_directory = ?", [spill])
                if self.threads:
                    connection.execute(f"SET threads = {int(self.threads)}")
                if self.memory_limit:
                    connection.execute("SET memory_limit = ?", [self.memory_limit])
                yield self._register(connection, frame, settings), connection
            finally:
                connection.close()

    @staticmethod
    def _register(connection: Any, frame: pd.DataFrame, settings: dict[str, Any]) -> Linker:
        # Copied into a DuckDB table of VARCHAR columns (compact strings, counted against memory_limit),
        # slice by slice so no second full copy is held at any time. DuckDB scans the pandas slices itself,
        # in parallel: converting them to Arrow first took twice as long (docs/mpi-speed.md).
        columns = ", ".join(f'"{column}" VARCHAR' for column in frame.columns)
        connection.execute(f"CREATE TABLE prepared_records ({columns})")
        for start in range(0, len(frame), COPY_SLICE):
            connection.register("prepared_slice", frame.iloc[start:start + COPY_SLICE])
            connection.execute("INSERT INTO prepared_records SELECT * FROM prepared_slice")
            connection.unregister("prepared_slice")
        db_api = DuckDBAPI(connection=connection)
        return Linker(db_api.register("prepared_records"), settings, log_level=None)

    def estimate(self, frame: pd.DataFrame, settings: dict[str, Any], plan: TrainingPlan) -> Estimated:
        with self._linker(frame, settings) as (linker, _connection):
            notes: list[str] = []
            if plan.prior is None:
                linker.training.estimate_probability_two_random_records_match(
                    list(plan.deterministic_rules), recall=plan.recall
                )
            linker.training.estimate_u_using_random_sampling(max_pairs=plan.u_max_pairs, seed=plan.seed)
            for rule in plan.em_blocking_rules:
                # A failed EM session leaves Splink's settings half-rewritten (the comparisons it blocked on
                # removed), so each session runs on a copy that replaces the linker only when it succeeds.
                # It fails when the rule yields no pairs, or when an m falls to exactly 0.0 (a level seen
                # only among pairs whose match probability underflowed), which Splink 5 refuses to store.
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
        with self._linker(frame, settings) as (linker, connection):
            result = linker.inference.predict(threshold_match_weight=threshold_match_weight)
            # only the pair, its weights and levels: Splink's table also holds both records' prepared
            # columns, which as Python objects would take gigabytes for a million pairs
            table = result.physical_name
            names = [row[0] for row in connection.execute(f"DESCRIBE {table}").fetchall()]
            wanted = [name for name in names if name in PAIR_COLUMNS or name.startswith(("gamma_", "mw_"))]
            selected = ", ".join(f'"{name}"' for name in wanted)
            # sorted here, in parallel: pandas took 5 s to sort a million pairs by two string columns
            order = ", ".join(f'"{name}"' for name in PAIR_COLUMNS[:2])
            return connection.execute(f"SELECT {selected} FROM {table} ORDER BY {order}").df()


ENGINE = DuckDBEngine
