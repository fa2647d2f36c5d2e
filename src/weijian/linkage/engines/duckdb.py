"""Splink on DuckDB: the default engine, for one machine (an in-memory database per call)."""

from __future__ import annotations

import contextlib
import copy
import tempfile
from collections.abc import Iterator
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa
import splink
from splink import DuckDBAPI, Linker
from splink.internals.exceptions import EMTrainingException

from weijian.linkage.engines import PAIR_COLUMNS, Engine, Estimated, TrainingPlan

#: DuckDB's own limit (it spills beyond it); the default of 80 % of the machine's memory let a million
#: records' prediction take 6 GB. At 2 GB it took 33 s instead of 40 (docs/mpi-speed.md).
DEFAULT_MEMORY_LIMIT = "2GB"
COPY_SLICE = 100_000  # records handed to DuckDB at a time


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
        # Every prepared column is text: say so (Arrow tables of strings), rather than let DuckDB guess from
        # Python objects, and copy the frame into a DuckDB table, whose strings are compact and counted
        # against memory_limit; slice by slice, so no second full copy is held in Python at any time.
        schema = pa.schema([(column, pa.string()) for column in frame.columns])
        columns = ", ".join(f'"{column}" VARCHAR' for column in frame.columns)
        connection.execute(f"CREATE TABLE prepared_records ({columns})")
        for start in range(0, len(frame), COPY_SLICE):
            part = pa.Table.from_pandas(frame.iloc[start:start + COPY_SLICE], schema=schema, preserve_index=False)
            connection.register("prepared_slice", part)
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
            return connection.execute(f"SELECT {selected} FROM {table}").df()


ENGINE = DuckDBEngine
