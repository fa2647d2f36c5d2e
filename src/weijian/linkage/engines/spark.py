"""Splink on Spark, for a city that outgrows one machine.

Imported only by `get_engine("spark")`: pyspark is imported here and nowhere else. The engine runs the very
Splink settings and training steps of the DuckDB engine (`engines.duckdb`); what differs is only what
Spark lacks:

- DuckDB's `damerau_levenshtein(a, b)`, which the comparisons' SQL uses. By default it comes from the
  Scala UDF jar bundled with Splink (`LevDamerauDistance`: the same unrestricted Lowrance–Wagner algorithm
  as DuckDB's, running in the JVM), fed each string re-read byte by byte (`decode(encode(s, 'UTF-8'),
  'ISO-8859-1')`: one character per UTF-8 byte), so that it counts UTF-8 bytes exactly as DuckDB does.
  Where the jar cannot be loaded, a Python UDF wrapping `comparisons.damerau_levenshtein` (the port the
  real-time scorer uses) takes its place.
- Nothing else: the comparisons and blocking rules are otherwise portable SQL (`=`, `<>`, `''`, AND/OR/NOT),
  and every SQL fragment is still transpiled from DuckDB's dialect to Spark's with sqlglot.

Without a session the engine starts a private local one (`local[2]`, few shuffle partitions, no UI, bound
to 127.0.0.1, Splink's jar on the class path, a temporary directory for checkpoints) when first needed,
and stops it with `stop()` or at exit. A session passed in is used as it is (see docs/mpi-spark.md for a
cluster) and never stopped here.
"""

from __future__ import annotations

import atexit
import copy
import os
import shutil
import sys
import tempfile
import threading
import types
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Literal

import pandas as pd
import splink
import sqlglot
from sqlglot import exp

try:
    import pyspark
    from pyspark.sql import SparkSession
    from pyspark.sql.types import DoubleType, LongType, StringType, StructField, StructType
    from splink import Linker
    from splink.backends.spark import SparkAPI, similarity_jar_location
except ImportError as error:  # pragma: no cover - exercised by a test that hides pyspark
    raise ImportError(
        "the Spark linkage engine needs pyspark, which is not installed; use engine='duckdb' or install "
        "pyspark (`uv sync` installs it with the dev dependencies)"
    ) from error
from splink.internals.exceptions import EMTrainingException

from weijian.linkage import comparisons
from weijian.linkage.engines import PAIR_COLUMNS, Engine, Estimated, TrainingPlan

#: The UDF class in Splink's jar, and the names the engine registers the two implementations under.
JAR_UDF_CLASS = "uk.gov.moj.dash.linkage.LevDamerauDistance"
JAR_FUNCTION = "weijian_dl_chars"  # counts characters: called on byte-per-character strings
PYTHON_FUNCTION = "weijian_dl_bytes"  # `comparisons.damerau_levenshtein`: counts UTF-8 bytes itself

DamerauLevenshtein = Literal["auto", "jar", "python"]

#: Settings of the private local session (a session passed in keeps its own).
LOCAL_CONFIG: dict[str, str] = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.driver.host": "127.0.0.1",
    "spark.driver.bindAddress": "127.0.0.1",
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.sql.adaptive.enabled": "false",  # small data: AQE's re-planning costs more than it saves
    "spark.driver.memory": "2g",
    # C1 only: the driver JVM starts in seconds less, and local runs are short
    "spark.driver.extraJavaOptions": "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC",
}


#: DuckDB functions that sqlglot passes through unchanged but Spark lacks (or names otherwise), with their
#: Spark equivalent. `length`, `left`, `right`, `abs`, `greatest` and `//` are translated by sqlglot itself
#: (DuckDB's and Spark's `length`, `left` and `right` all count characters, i.e. code points).
DUCKDB_FUNCTIONS = {
    "strlen": "octet_length",  # UTF-8 bytes
}


def _byte_chars(expression: exp.Expression) -> exp.Expression:
    """`decode(encode(x, 'UTF-8'), 'ISO-8859-1')`: the string whose characters are x's UTF-8 bytes."""
    encoded = exp.Anonymous(this="encode", expressions=[expression, exp.Literal.string("UTF-8")])
    return exp.Anonymous(this="decode", expressions=[encoded, exp.Literal.string("ISO-8859-1")])


def spark_sql(sql: str, function: str = JAR_FUNCTION) -> str:
    """One DuckDB SQL fragment of the comparisons or blocking rules, in Spark SQL: sqlglot's transpilation,
    with `damerau_levenshtein(a, b)` calling `function` — on byte-per-character strings for the jar's
    character-counting UDF, directly for the byte-counting Python one."""
    if sql.strip().upper() == "ELSE":  # Splink's else level
        return sql
    tree = sqlglot.parse_one(sql, read="duckdb")

    def rewrite(node: exp.Expression) -> exp.Expression:
        if not isinstance(node, exp.Anonymous):
            return node
        name = str(node.this).lower()
        if name == "damerau_levenshtein":
            if len(node.expressions) != 2:
                raise ValueError(f"damerau_levenshtein takes two arguments: {sql}")
            args = [arg.copy() for arg in node.expressions]
            if function == JAR_FUNCTION:
                args = [_byte_chars(arg) for arg in args]
            return exp.Anonymous(this=function, expressions=args)
        if name in DUCKDB_FUNCTIONS:
            args = [arg.copy() for arg in node.expressions]
            return exp.Anonymous(this=DUCKDB_FUNCTIONS[name], expressions=args)
        return node

    return tree.transform(rewrite).sql(dialect="spark")


def spark_settings(settings: Mapping[str, Any], function: str = JAR_FUNCTION) -> dict[str, Any]:
    """A copy of the engine-neutral Splink settings with every SQL fragment in Spark SQL."""
    translated = copy.deepcopy(dict(settings))
    for comparison in translated["comparisons"]:
        for level in comparison["comparison_levels"]:
            level["sql_condition"] = spark_sql(level["sql_condition"], function)
    translated["blocking_rules_to_generate_predictions"] = [
        spark_sql(rule, function) for rule in translated.get("blocking_rules_to_generate_predictions", [])
    ]
    return translated


def _restore_sql(saved: dict[str, Any], settings: Mapping[str, Any]) -> dict[str, Any]:
    """Splink's saved model with the comparisons' original (DuckDB) SQL, as the DuckDB engine returns it."""
    original = {c["output_column_name"]: c["comparison_levels"] for c in settings["comparisons"]}
    for comparison in saved["comparisons"]:
        for level, source in zip(comparison["comparison_levels"], original[comparison["output_column_name"]],
                                 strict=True):
            level["sql_condition"] = source["sql_condition"]
    return saved


def _python_udf() -> Callable[[str | None, str | None], int | None]:
    """`comparisons.damerau_levenshtein` as a UDF body that Spark pickles by value, code and all (a copy of
    the function is not what its module holds under its name, so cloudpickle does not pickle it by
    reference): the executors need the driver's Python version, not `weijian`."""
    port = comparisons.damerau_levenshtein
    distance = types.FunctionType(port.__code__, port.__globals__, port.__name__, port.__defaults__)

    def weijian_dl_bytes(source: str | None, target: str | None) -> int | None:
        if source is None or target is None:
            return None  # DuckDB's function is NULL on NULL
        return distance(source, target)

    return weijian_dl_bytes


class SparkEngine(Engine):
    """Splink on Spark. `spark`: a SparkSession to use (a cluster's); None starts a private local one on
    first use. Options: `master` and `config` (extra Spark settings) of the local session;
    `shuffle_partitions` of the local session (default 2); `checkpoint_dir`: where Splink writes
    intermediate tables as parquet (a temporary directory for the local session; on a cluster, a
    directory every executor reaches, e.g. on HDFS); `break_lineage_method`: Splink's, default "parquet";
    `damerau_levenshtein`: "jar" (Splink's Scala UDF, needs its jar on the driver's and executors' class
    path), "python" (a Python UDF, needs the driver's Python version on the executors) or "auto" (the jar
    when it loads, else Python)."""

    name = "spark"

    def __init__(
        self,
        spark: SparkSession | None = None,
        *,
        master: str = "local[2]",
        shuffle_partitions: int = 2,
        checkpoint_dir: str | None = None,
        break_lineage_method: str = "parquet",
        damerau_levenshtein: DamerauLevenshtein = "auto",
        config: Mapping[str, str] | None = None,
    ):
        if damerau_levenshtein not in ("auto", "jar", "python"):
            raise ValueError("damerau_levenshtein must be 'auto', 'jar' or 'python'")
        self._spark = spark
        self._owns_session = False
        self.master = master
        self.shuffle_partitions = int(shuffle_partitions)
        self.checkpoint_dir = checkpoint_dir
        self.break_lineage_method = break_lineage_method
        self.damerau_levenshtein = damerau_levenshtein
        self.config = dict(config or {})
        self._temp_dir: str | None = None
        self._exit_hook = False
        self._function: str | None = None  # the registered damerau_levenshtein, once registered
        self._lock = threading.RLock()  # one Splink run at a time per engine

    # ---- the session ----------------------------------------------------------------------------------

    @property
    def spark(self) -> SparkSession:
        """The session: the one given, else the private local one (started now if needed)."""
        with self._lock:
            if self._spark is None:
                self._start_local_session()
            return self._spark

    def _start_local_session(self) -> None:
        active = SparkSession.getActiveSession()
        if active is not None:  # Spark allows one context per process: use it, as if it had been given
            self._spark = active
            return
        self._temp_dir = tempfile.mkdtemp(prefix="weijian-spark-")
        if not self._exit_hook:
            atexit.register(self.stop)
            self._exit_hook = True
        config = {
            **LOCAL_CONFIG,
            "spark.sql.shuffle.partitions": str(self.shuffle_partitions),
            "spark.default.parallelism": str(self.shuffle_partitions),
            "spark.jars": similarity_jar_location(),
            "spark.sql.warehouse.dir": os.path.join(self._temp_dir, "warehouse"),
            **self.config,
        }
        builder = SparkSession.builder.master(self.master).appName("weijian-linkage")
        for key, value in config.items():
            builder = builder.config(key, value)
        if self.master.startswith("local"):
            os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")  # never look up this host's address
            # Python workers (the Python UDF) run this interpreter, not whatever `python3` is on PATH
            os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        self._spark = builder.getOrCreate()
        self._owns_session = True
        self._spark.sparkContext.setLogLevel("ERROR")

    def stop(self) -> None:
        """Stop the private local session and remove its temporary directory (a session passed in, or
        found running, is left running)."""
        with self._lock:
            if self._owns_session and self._spark is not None:
                self._spark.stop()
                self._spark = None
                self._owns_session = False
                self._function = None
            if self._temp_dir is not None:
                shutil.rmtree(self._temp_dir, ignore_errors=True)
                self._temp_dir = None

    @property
    def version(self) -> str:
        spark_version = self._spark.version if self._spark is not None else pyspark.__version__
        return f"splink {splink.__version__}, spark {spark_version}"

    # ---- damerau_levenshtein ----------------------------------------------------------------------------

    def _register_damerau_levenshtein(self, spark: SparkSession) -> str:
        if self._function is not None:
            return self._function
        if self.damerau_levenshtein in ("auto", "jar"):
            try:
                spark.udf.registerJavaFunction(JAR_FUNCTION, JAR_UDF_CLASS, DoubleType())
                # a class missing on the executors only shows when a task runs there: run one (on a range,
                # which the optimiser cannot fold into a constant on the driver)
                query = f"SELECT {JAR_FUNCTION}(CAST(id AS STRING), '10') AS d FROM range(1)"
                (check,) = spark.sql(query).collect()
                if check.d != 1:
                    raise RuntimeError(f"{JAR_UDF_CLASS}('0', '10') gave {check.d}, not 1")
                self._function = JAR_FUNCTION
                return self._function
            except Exception as error:
                if self.damerau_levenshtein == "jar":
                    raise RuntimeError(
                        f"Splink's UDF jar is not on this session's class path ({similarity_jar_location()}"
                        " must be in spark.jars)"
                    ) from error
        spark.udf.register(PYTHON_FUNCTION, _python_udf(), LongType())
        self._function = PYTHON_FUNCTION
        return self._function

    @property
    def damerau_levenshtein_function(self) -> str:
        """The Spark SQL function `damerau_levenshtein` is translated to on this session (registers it)."""
        with self._lock:
            return self._register_damerau_levenshtein(self.spark)

    # ---- one Splink run ---------------------------------------------------------------------------------

    @contextmanager
    def _run(self, frame: pd.DataFrame, settings: Mapping[str, Any]) -> Iterator[tuple[Linker, Callable]]:
        """A linker on `frame` with the settings in Spark SQL, and the translation of further SQL
        fragments; afterwards the run's temporary views and checkpoint files are removed."""
        with self._lock:
            spark = self.spark
            function = self._register_damerau_levenshtein(spark)
            views_before = {table.name for table in spark.catalog.listTables() if table.isTemporary}
            run_dir = self._run_checkpoint_dir(spark)
            db_api = _RunSparkAPI(
                spark_session=spark,
                break_lineage_method=self.break_lineage_method,
                register_udfs_automatically=False,
                checkpoint_path=run_dir,
            )
            schema = StructType([StructField(column, StringType(), True) for column in frame.columns])
            rows = frame.astype(object).where(frame.notna(), None)
            table = spark.createDataFrame(rows, schema=schema)
            try:
                linker = Linker(db_api.register(table), spark_settings(settings, function), log_level=None)
                yield linker, lambda sql: spark_sql(sql, function)
            finally:
                for table in spark.catalog.listTables():
                    if table.isTemporary and table.name not in views_before:
                        spark.catalog.dropTempView(table.name)
                if run_dir is not None:
                    _delete_path(spark, run_dir)

    def _run_checkpoint_dir(self, spark: SparkSession) -> str | None:
        """A fresh directory for this run's parquet checkpoints (removed after the run), under
        `checkpoint_dir`, else the session's checkpoint directory, else (local mode only) a temporary one."""
        if self.break_lineage_method != "parquet":
            return None
        base = self.checkpoint_dir
        if base is None:
            current = spark.sparkContext._jsc.sc().getCheckpointDir()
            if not current.isEmpty():
                base = current.get()
            elif spark.sparkContext.master.startswith("local"):
                if self._temp_dir is None:
                    self._temp_dir = tempfile.mkdtemp(prefix="weijian-spark-")
                base = os.path.join(self._temp_dir, "checkpoints")
            else:
                raise RuntimeError(
                    "Splink on Spark writes intermediate tables to a checkpoint directory: pass "
                    "checkpoint_dir= (a directory every executor reaches, e.g. on HDFS) or call "
                    "spark.sparkContext.setCheckpointDir(...)"
                )
        return f"{base.rstrip('/')}/weijian-linkage-{uuid.uuid4().hex}"

    def estimate(self, frame: pd.DataFrame, settings: dict[str, Any], plan: TrainingPlan) -> Estimated:
        with self._run(frame, settings) as (linker, translate):
            notes: list[str] = []
            if plan.prior is None:
                linker.training.estimate_probability_two_random_records_match(
                    [translate(rule) for rule in plan.deterministic_rules], recall=plan.recall
                )
            linker.training.estimate_u_using_random_sampling(max_pairs=plan.u_max_pairs, seed=plan.seed)
            for rule in plan.em_blocking_rules:
                # as in the DuckDB engine: each EM session on a copy that replaces the linker only when it
                # succeeds (a failed session leaves Splink's settings half-rewritten)
                trial = copy.deepcopy(linker)
                try:
                    trial.training.estimate_parameters_using_expectation_maximisation(
                        translate(rule), max_pairs=plan.em_max_pairs
                    )
                except (EMTrainingException, ValueError) as error:
                    notes.append(f"EM session blocked on `{rule}` skipped: {str(error).splitlines()[0]}")
                    continue
                linker = trial
            saved = _restore_sql(linker.misc.save_model_to_json(), settings)
        return Estimated(splink_model=saved, notes=tuple(notes))

    def predict(
        self, frame: pd.DataFrame, settings: dict[str, Any], *, threshold_match_weight: float | None
    ) -> pd.DataFrame:
        with self._run(frame, settings) as (linker, _translate):
            result = linker.inference.predict(threshold_match_weight=threshold_match_weight)
            return result.as_pandas_dataframe().sort_values(list(PAIR_COLUMNS[:2]), kind="stable")


class _RunSparkAPI(SparkAPI):
    """Splink's SparkAPI writing its parquet checkpoints under one directory per run."""

    def __init__(self, *, checkpoint_path: str | None, **kwargs: Any):
        self._checkpoint_path = checkpoint_path
        super().__init__(**kwargs)

    def _get_checkpoint_dir_path(self, spark_df):
        if self._checkpoint_path is not None:
            return self._checkpoint_path
        return super()._get_checkpoint_dir_path(spark_df)


def _delete_path(spark: SparkSession, path: str) -> None:
    """Remove a directory through Hadoop's file system API (local, HDFS, S3...)."""
    jvm = spark.sparkContext._jvm
    hadoop_path = jvm.org.apache.hadoop.fs.Path(path)
    hadoop_path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration()).delete(hadoop_path, True)


ENGINE = SparkEngine
