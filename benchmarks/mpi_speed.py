"""Benchmark: speed of the master patient index — batch dedupe, real-time matching against the database, and a
switchboard phone shared by thousands of arrivals.

    uv run python benchmarks/mpi_speed.py                  # 1,000,000 records; an index of 200,000 residents
    uv run python benchmarks/mpi_speed.py --quick          # small sizes (a smoke test)
    uv run python benchmarks/mpi_speed.py --parts realtime --persons 1000000 --engines postgresql
    uv run python benchmarks/mpi_speed.py --size 200000 --persons 100000 --parts batch realtime
    uv run python benchmarks/mpi_speed.py --five-million   # also the batch dedupe of 5,000,000 records
    uv run python benchmarks/mpi_speed.py --profile        # cProfile of the timed real-time matches

Records are `weijian.linkage.synthetic` residents (the "ordinary" error mix) with known truth.

(1) **Batch** (child process, so its peak memory is its own): `standardise_frame` (the synthetic city's
gazetteer) → `engines.prepare_frame` (once) → `engines.train` (library defaults) → `engines.predict` at the model's upper threshold →
`engines.cluster`, each step timed; pairwise precision/recall/F1 against the truth
(`synthetic.pairwise_scores`). Then plain Splink on the same raw records (`mpi_quality.run_splink_default`:
Splink's tutorial settings on the raw fields) with its time and F1. Goals: ≤ 30 s and ≤ 4 GB for 1,000,000
records on 2 cores, faster than plain Splink with an F1 at least as high; 5,000,000 in ≤ 180 s.

(2) **Real time**: a population of `--persons` residents (≈ 2.2 records each; 200,000 by default: an index of
1,000,000 residents, 2.2 million identities, takes ~30 minutes to load on a busy 2-core machine, so it is run
on its own, see docs/mpi-speed.md). 1,000 query records are held out:
70% true duplicates (one record of a resident whose other records stay in the index, with the generator's
errors) and 30% strangers (every record of the resident held out). The rest is standardised, clustered with
the batch model (part 1's; when part 1 is skipped, trained on 200,000 of the records) and written into the MPI tables of a fresh,
migrated database by `mpi.bulkload.load_clustered` (the values `link_arrivals` would write). On PostgreSQL
(database `wj_bench_<random>` at 127.0.0.1:5432, dropped afterwards) and SQLite (a temporary file; its rows
copied from the PostgreSQL database, ids and ciphertexts included, or loaded the same way without one), after
ANALYZE: 1,000 timed `matching.match(record, model)` calls (p50/p95/p99; standardising the query is timed
apart), after 20 untimed warm-up calls, then a breakdown of 200 calls into their steps (blind indexes, each
SQL statement, decrypting, scoring).
Splink's own real-time call on the same records, with the same model: `linker.inference.predict_between(new
record, index)` (Splink 5's successor of `find_matches_to_new_records`) for 20 of the queries. Weights are checked in the run: each candidate's weight equals `realtime.score` of the
stored record (1e-9) and Splink's weight for the same pair (1e-9) → `weights_identical`. Goal: p95 ≤ 10 ms on
both engines.

(3) **Switchboard**: 10,000 arrivals (distinct residents) that all give one hospital switchboard number go
through `matching.link_arrivals` on a small SQLite index: the phone key is capped once more than
`matching.CANDIDATE_CAP` identities share it (`Linked.counts["capped:ph"]`), so the candidate pairs scored stay
near CAP²/2 instead of n²/2. Reports the time and the pairs scored.

Prints each figure as it is measured and, as the LAST line, one JSON object.
"""

import argparse
import json
import os
import pickle
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import ROOT, child_env, pg_create, pg_drop, pg_url  # noqa: E402

GOALS = {"batch_1m_s": 30, "batch_1m_peak_mb": 4096, "batch_5m_s": 180, "realtime_p95_ms": 10}
FULL = {"records": 1_000_000, "persons": 200_000, "queries": 1_000, "splink_queries": 20, "switchboard": 10_000}
QUICK = {"records": 6_000, "persons": 2_000, "queries": 200, "splink_queries": 5, "switchboard": 250}
#: --quick is a smoke test: u from fewer random pairs than the library's default (2·10⁶) saves seconds
QUICK_TRAINING = {"u_max_pairs": 5e5}
WARM_UP = 20
BREAKDOWN = 200
SCORE_CHECK = 100  # queries whose candidates are re-scored with realtime.score
SWITCHBOARD_PHONE = "028-8543 2100"
WEIGHT_TOLERANCE = 1e-9
TRAIN_SAMPLE = 200_000  # records the real-time part trains on when part 1 (which gives the model) is skipped


def _peak_mb() -> int:
    return max(round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024), _TREE_PEAK["mb"])


# Part 1 standardises in worker processes: their memory counts too. A thread samples the proportional set
# size (PSS: pages shared after the fork counted once, not once per process) of this process and its
# children every 0.1 s; `_peak_mb` is the larger of that and this process's own peak RSS.
_TREE_PEAK = {"mb": 0}


def _tree_pss_mb(pid: int) -> float:
    total = 0.0
    try:
        with open(f"/proc/{pid}/smaps_rollup") as rollup:
            total += sum(int(line.split()[1]) for line in rollup if line.startswith("Pss:")) / 1024
        with open(f"/proc/{pid}/task/{pid}/children") as children:
            total += sum(_tree_pss_mb(int(child)) for child in children.read().split())
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        pass  # a worker that ended between the two reads
    return total


def _watch_tree_memory() -> None:
    def sample() -> None:
        while True:
            _TREE_PEAK["mb"] = max(_TREE_PEAK["mb"], round(_tree_pss_mb(os.getpid())))
            time.sleep(0.1)

    threading.Thread(target=sample, daemon=True).start()


def _ms(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))] * 1000, 2)


def _latency(values: list[float]) -> dict:
    return {"p50_ms": _ms(values, 0.50), "p95_ms": _ms(values, 0.95), "p99_ms": _ms(values, 0.99),
            "max_ms": round(max(values) * 1000, 2), "mean_ms": round(sum(values) / len(values) * 1000, 2)}


def _say(text: str) -> None:
    print(text, flush=True)


# ==== children: part 1, batch ==========================================================================


def child_batch(work: Path, params: dict) -> dict:
    from weijian.linkage import engines
    from weijian.linkage.batch import prepare_raw
    from weijian.linkage.synthetic import RAW_COLUMNS, gazetteer, pairwise_scores

    _watch_tree_memory()
    raw = pd_read(work / params["raw"])
    truth = dict(zip(raw["record_id"], raw["truth"], strict=True))
    raw = raw[list(RAW_COLUMNS)]
    city = gazetteer()
    seconds = {}
    started = mark = time.perf_counter()

    def step(name: str) -> None:
        nonlocal mark
        seconds[name] = round(time.perf_counter() - mark, 2)
        mark = time.perf_counter()
        _say(f"  batch {name}: {seconds[name]:.1f} s (peak {_peak_mb()} MB so far)")

    # In chunks of 250,000 on every core (`linkage.batch.prepare_raw`): only one chunk's standardised
    # columns are held per process beside the prepared frame (computed once, for training and prediction).
    records = len(raw)
    prepared = prepare_raw(raw, city)
    del raw
    step("standardise_prepare")
    # DuckDB's memory limit: the library's 2 GB unless the run asks for more (5,000,000 records spill
    # tens of gigabytes at 2 GB)
    engine = engines.get_engine("duckdb", memory_limit=params["duckdb_memory"]) if params.get("duckdb_memory") \
        else engines.DEFAULT_ENGINE
    model = engines.train(prepared, engine=engine, **params.get("train", {}))
    step("train")
    prediction = engines.predict(prepared, model, threshold=model.threshold_upper, engine=engine)
    step("predict")
    clusters = engines.cluster(prediction.pairs, model.threshold_upper, record_ids=prepared["record_id"],
                               distinct=prepared)
    step("cluster")
    total = time.perf_counter() - started
    scores = pairwise_scores(clusters, truth)
    if params.get("model_out"):
        (work / params["model_out"]).write_text(model.to_json(), encoding="utf-8")
    return {"records": records, "residents": len(set(truth.values())), "seconds": round(total, 1),
            "steps_s": seconds, "peak_mb": _peak_mb(), "precision": round(scores["precision"], 5),
            "recall": round(scores["recall"], 5), "f1": round(scores["f1"], 5), "fp": scores["fp"],
            "fn": scores["fn"], "pairs_scored": len(prediction.pairs), "capped_keys": len(prediction.capped),
            "threshold_match_weight": model.threshold_upper, "training_notes": len(model.training.notes)}


def _plain_splink(frame):
    """Plain Splink as `benchmarks/mpi_quality.py` runs it (its function when importable)."""
    try:
        from mpi_quality import run_splink_default
    except ImportError:
        run_splink_default = _splink_default_fallback
    return run_splink_default(frame)


def _splink_default_fallback(frame):
    """Splink 5 with its tutorials' choices on the raw fields (the same as mpi_quality.run_splink_default)."""
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    from weijian.linkage.synthetic import RAW_COLUMNS

    data = frame[list(RAW_COLUMNS)].replace({"": None})
    settings = SettingsCreator(
        link_type="dedupe_only", unique_id_column_name="record_id",
        comparisons=[cl.NameComparison("name"), cl.LevenshteinAtThresholds("id_number", [1, 2]),
                     cl.DateOfBirthComparison("birth_date", input_is_string=True), cl.ExactMatch("sex"),
                     cl.ExactMatch("phone"), cl.JaroWinklerAtThresholds("address")],
        blocking_rules_to_generate_predictions=[block_on("id_number"), block_on("phone"), block_on("name"),
                                                block_on("birth_date")],
        retain_intermediate_calculation_columns=False)
    linker = Linker(DuckDBAPI().register(data), settings)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("id_number"), block_on("name", "birth_date")], recall=0.7)
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=1)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("name"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("birth_date"))
    predictions = linker.inference.predict(threshold_match_probability=0.95)
    clustered = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=0.95).as_pandas_dataframe()
    return dict(zip(clustered["record_id"].astype(str), clustered["cluster_id"].astype(str), strict=True))


def child_splink(work: Path, params: dict) -> dict:
    from weijian.linkage.synthetic import pairwise_scores

    raw = pd_read(work / params["raw"])
    truth = dict(zip(raw["record_id"], raw["truth"], strict=True))
    started = time.perf_counter()
    clusters = _plain_splink(raw)
    seconds = time.perf_counter() - started
    scores = pairwise_scores(clusters, truth)
    return {"seconds": round(seconds, 1), "peak_mb": _peak_mb(), "precision": round(scores["precision"], 5),
            "recall": round(scores["recall"], 5), "f1": round(scores["f1"], 5), "fp": scores["fp"],
            "fn": scores["fn"]}


def pd_read(path: Path):
    import pandas as pd

    return pd.read_pickle(path)


# ==== children: part 2, real time ======================================================================


def child_rt_prepare(work: Path, params: dict) -> dict:
    """The population, the held-out queries, the clustered index to load, and Splink's real-time call."""
    import numpy as np

    from weijian.linkage import engines
    from weijian.linkage.model import Model
    from weijian.linkage.standardise import standardise_frame, standardise_record
    from weijian.linkage.synthetic import MIXES, RAW_COLUMNS, gazetteer, generate

    city = gazetteer()
    started = time.perf_counter()
    population = generate(params["persons"], seed=params["seed"] + 1, mix="ordinary")
    _say(f"  real time: {len(population):,} records of {params['persons']:,} residents generated in "
         f"{time.perf_counter() - started:.1f} s")
    rng = np.random.default_rng(params["seed"])
    per_resident = population.groupby("truth").indices
    several = np.array(sorted(t for t, rows in per_resident.items() if len(rows) >= 2), dtype=object)
    queries = params["queries"]
    duplicates = round(queries * 0.7)
    dup_residents = rng.choice(several, size=duplicates, replace=False)
    rest = np.array(sorted(set(per_resident).difference(dup_residents)), dtype=object)
    strangers = rng.choice(rest, size=queries - duplicates, replace=False)
    held_out, query_rows, kinds = set(), [], []
    for resident in dup_residents.tolist():
        row = int(rng.choice(per_resident[resident]))
        held_out.add(row)
        query_rows.append(row)
        kinds.append("duplicate")
    for resident in strangers.tolist():
        rows = per_resident[resident].tolist()
        held_out.update(rows)
        query_rows.append(int(rng.choice(rows)))
        kinds.append("stranger")
    order = rng.permutation(len(query_rows))
    query_rows, kinds = [query_rows[i] for i in order], [kinds[i] for i in order]
    load = population.drop(index=sorted(held_out)).reset_index(drop=True)
    demographics = ("name", "sex", "birth_date", "id_number", "phone", "address")
    query_raw = [{key: population.at[row, key] for key in demographics} for row in query_rows]
    query_truth = [population.at[row, "truth"] for row in query_rows]
    population_records = len(population)
    del population, per_resident

    mark = time.perf_counter()
    standardised = standardise_frame(load[list(RAW_COLUMNS)], city)
    standardise_s = time.perf_counter() - mark
    load_truth = load["truth"].tolist()
    del load
    if (work / "model.json").exists():
        model = Model.from_json((work / "model.json").read_text(encoding="utf-8"))
        train_s = None
    else:  # part 1 skipped: train here, on at most TRAIN_SAMPLE of the records
        mark = time.perf_counter()
        sample = standardised.sample(n=min(TRAIN_SAMPLE, len(standardised)), random_state=params["seed"])
        model = engines.train(sample)
        del sample
        train_s = round(time.perf_counter() - mark, 1)
        (work / "model.json").write_text(model.to_json(), encoding="utf-8")
    # engines.predict, with the prepared frame kept for Splink's real-time call below
    mark = time.perf_counter()
    prepared = engines.prepare_frame(standardised)
    prepare_s = time.perf_counter() - mark
    capped_frame, _capped = engines.cap_blocking_keys(prepared)
    runner = engines.get_engine()
    pairs = runner.predict(capped_frame, engines.model_settings(model), threshold_match_weight=model.threshold_upper)
    del capped_frame
    clusters = engines.cluster(pairs[["record_id_l", "record_id_r", "match_weight"]], model.threshold_upper,
                               record_ids=standardised["record_id"], distinct=prepared)
    cluster_s = time.perf_counter() - mark
    persons = len(set(clusters.values()))
    _say(f"  real time: {len(standardised):,} records to load standardised in {standardise_s:.1f} s, clustered with the "
         f"batch model into {persons:,} persons in {cluster_s:.1f} s (of which preparing the frame "
         f"{prepare_s:.1f} s)")
    with open(work / "load.pkl", "wb") as out:
        pickle.dump({"frame": standardised, "clusters": clusters, "truth": load_truth}, out,
                    protocol=pickle.HIGHEST_PROTOCOL)
    with open(work / "queries.pkl", "wb") as out:
        pickle.dump({"raw": query_raw, "kinds": kinds, "truth": query_truth}, out, protocol=pickle.HIGHEST_PROTOCOL)

    # Splink's own real-time call: the same model, the same prepared records, a new record at a time
    from splink import DuckDBAPI, Linker

    mark = time.perf_counter()
    db_api = DuckDBAPI()
    index = db_api.register(prepared.astype({column: "string" for column in prepared.columns}))
    linker = Linker(index, engines.model_settings(model), log_level=None)
    setup_s = time.perf_counter() - mark
    times, weights = [], {}
    for i in range(min(params["splink_queries"], len(query_raw))):
        record = {**standardise_record(query_raw[i], city), "record_id": f"Q{i:06d}"}
        new = engines.prepare_frame([record])
        mark = time.perf_counter()
        table = db_api.register(new.astype({column: "string" for column in new.columns}))
        found = linker.inference.predict_between(table, index, warning_mode="never").as_pandas_dataframe()
        times.append(time.perf_counter() - mark)
        other = np.where(found["record_id_l"] == record["record_id"], found["record_id_r"], found["record_id_l"])
        weights[i] = dict(zip(other.tolist(), found["match_weight"].astype(float).tolist(), strict=True))
    splink = {"queries": len(times), **_latency(times), "setup_s": round(setup_s, 1),
              "call": "linker.inference.predict_between"}
    _say(f"  splink real time (predict_between, {len(times)} queries against {len(prepared):,} records): "
         f"p50 {splink['p50_ms']:.0f} ms, p95 {splink['p95_ms']:.0f} ms")
    with open(work / "splink_weights.pkl", "wb") as out:
        pickle.dump(weights, out)
    return {"population_records": population_records, "loaded_records": len(standardised), "persons": persons,
            "standardise_s": round(standardise_s, 1), "cluster_s": round(cluster_s, 1), "train_s": train_s,
            "mix_mean_records": MIXES["ordinary"].mean_records, "splink": splink, "peak_mb": _peak_mb()}


def child_migrate(work: Path, params: dict) -> dict:
    """A fresh database with every migration applied (SQLite: also kept as the empty template for part 3).
    `--quick` creates the tables from the models instead (`migrate --run-syncdb` with migrations switched
    off, as pytest-django's --nomigrations does): the same tables and indexes in seconds, without the
    migrations' data steps (terminology seeds, the audit table's triggers), which no part here reads."""
    import django

    django.setup()
    from django.apps import apps
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    mark = time.perf_counter()
    if params.get("syncdb"):
        settings.MIGRATION_MODULES = {config.label: None for config in apps.get_app_configs()}
        call_command("migrate", run_syncdb=True, verbosity=0)
    else:
        call_command("migrate", verbosity=0)
    seconds = time.perf_counter() - mark
    if connection.vendor == "sqlite" and params.get("template"):
        import shutil

        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        shutil.copyfile(connection.settings_dict["NAME"], work / params["template"])
    return {"vendor": connection.vendor, "migrate_s": round(seconds, 1)}


def _analyze() -> None:
    """What autovacuum does within a minute of a large insert on PostgreSQL (statistics, visibility map,
    hint bits); statistics on SQLite."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")


_COPIED_TABLES = ("Person", "SourceIdentity", "LinkEvent", "BlockingKey")


def _copy_from_postgresql(url: str) -> int:
    """Copy the MPI rows of the benchmark's PostgreSQL database into this (SQLite) one, ids included."""
    import psycopg
    from django.db import connection, transaction

    from weijian.imports.bulk import insert_rows
    from weijian.mpi import models

    copied = 0
    with connection.cursor() as cursor:
        # the index on the blind keys takes random inserts: a page cache that holds it, for the copy only
        cursor.execute("PRAGMA cache_size")
        default_cache = cursor.fetchone()[0]
        cursor.execute("PRAGMA cache_size = -1048576")
    with psycopg.connect(url) as source, transaction.atomic():
        for name in _COPIED_TABLES:
            model = getattr(models, name)
            columns = [field.attname for field in model._meta.concrete_fields]
            quoted = ", ".join(f'"{model._meta.get_field(c).column}"' for c in columns)
            with source.cursor(name=f"copy_{name.lower()}") as cursor:
                cursor.itersize = 20_000
                cursor.execute(f'SELECT {quoted} FROM "{model._meta.db_table}" ORDER BY 1')
                copied += insert_rows(model, columns, cursor)
    with connection.cursor() as cursor:
        cursor.execute(f"PRAGMA cache_size = {int(default_cache)}")  # matches run with the usual cache
    return copied


def _time_matches(engine: str, params: dict, work: Path, identity_record: dict, person_truths: dict) -> dict:
    """1,000 timed matches (after a warm-up), the weight check against realtime.score, a step breakdown."""
    from django.db import connection
    from django.db.models import Count

    from weijian.core import crypto
    from weijian.linkage import realtime
    from weijian.linkage.model import Model
    from weijian.linkage.synthetic import gazetteer
    from weijian.mpi import matching
    from weijian.mpi.models import BlockingKey, SourceIdentity

    model = Model.from_json((work / "model.json").read_text(encoding="utf-8"))
    city = gazetteer()
    with open(work / "queries.pkl", "rb") as handle:
        queries = pickle.load(handle)
    records = []
    standardise_times = []
    for raw in queries["raw"]:
        mark = time.perf_counter()
        records.append(matching.standardise(raw, places=city))
        standardise_times.append(time.perf_counter() - mark)
    for record in records[:WARM_UP]:
        matching.match(record, model)
    profiler = None
    if params.get("profile"):
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    times, results = [], []
    for record in records:
        mark = time.perf_counter()
        result = matching.match(record, model)
        times.append(time.perf_counter() - mark)
        results.append(result)
    if profiler is not None:
        import pstats

        profiler.disable()
        _say(f"  --- {engine}: cProfile of {len(records)} matches ---")
        stats = pstats.Stats(profiler, stream=sys.stdout)
        stats.sort_stats("cumulative").print_stats(30)
        stats.sort_stats("tottime").print_stats(20)
    latency = _latency(times)
    _say(f"  {engine}: {len(times)} matches: p50 {latency['p50_ms']} ms, p95 {latency['p95_ms']} ms, "
         f"p99 {latency['p99_ms']} ms, max {latency['max_ms']} ms (standardising the query apart: "
         f"p95 {_ms(standardise_times, 0.95)} ms)")

    # what was decided, and was it right (the truth of each person's records)
    decisions: dict = {}
    found = auto_right = auto_wrong = 0
    for kind, truth, result in zip(queries["kinds"], queries["truth"], results, strict=True):
        decisions.setdefault(kind, {}).setdefault(result.decision, 0)
        decisions[kind][result.decision] += 1
        best_right = result.best is not None and truth in person_truths.get(result.best.person_id, ())
        if kind == "duplicate" and best_right:
            found += 1
        if result.decision == "auto":
            auto_right += best_right
            auto_wrong += not best_right
    duplicates = queries["kinds"].count("duplicate")

    # weights: each candidate against realtime.score of the stored record
    worst = 0.0
    checked = 0
    for record, result in zip(records[:SCORE_CHECK], results[:SCORE_CHECK], strict=True):
        stored = dict(SourceIdentity.objects.filter(id__in=[c.identity_id for c in result.candidates])
                      .values_list("id", "standardised"))
        for candidate in result.candidates:
            other = {**json.loads(crypto.decrypt(stored[candidate.identity_id])),
                     "record_id": str(candidate.identity_id)}
            direct = realtime.score(record, other, model).match_weight
            worst = max(worst, abs(direct - candidate.score.match_weight))
            checked += 1
    candidates_for_splink = {
        i: [(identity_record[c.identity_id], c.score.match_weight) for c in result.candidates]
        for i, result in enumerate(results[:params["splink_queries"]])}
    with open(work / f"candidates_{engine}.pkl", "wb") as out:
        pickle.dump(candidates_for_splink, out)

    # where the time goes: the steps of matching.match, and each SQL query, on BREAKDOWN of the queries
    steps: dict[str, list[float]] = {"blind_indexes": [], "sql": [], "decrypt_json": [], "score": []}
    sql: list[list[float]] = []
    scored = []

    def timer(execute, statement, params_, many, context):
        mark_ = time.perf_counter()
        try:
            return execute(statement, params_, many, context)
        finally:
            sql[-1].append(time.perf_counter() - mark_)

    with connection.execute_wrapper(timer):
        for record in records[:BREAKDOWN]:
            sql.append([])
            t0 = time.perf_counter()
            keys = matching.hashed_keys(record)
            t1 = time.perf_counter()
            rows, _capped = matching._candidate_identities(keys, exclude=None)
            t2 = time.perf_counter()
            candidates = [{**json.loads(crypto.decrypt(text)), "record_id": str(pk)} for pk, _p, text in rows]
            t3 = time.perf_counter()
            realtime.rank(record, candidates, model)
            t4 = time.perf_counter()
            for name, value in zip(steps, (t1 - t0, t2 - t1, t3 - t2, t4 - t3), strict=True):
                steps[name].append(value)
            scored.append(len(rows))
    breakdown = {name: {"mean_ms": round(sum(v) / len(v) * 1000, 2), "p95_ms": _ms(v, 0.95)}
                 for name, v in steps.items()}
    queries_per_match = [len(q) for q in sql]
    for position in range(max(queries_per_match)):
        values = [q[position] for q in sql if len(q) > position]
        breakdown[f"sql_query_{position + 1}"] = {"mean_ms": round(sum(values) / len(values) * 1000, 2),
                                                  "p95_ms": _ms(values, 0.95), "runs": len(values)}
    ordered = sorted(scored)
    breakdown["identities_scored"] = {"mean": round(sum(scored) / len(scored), 1),
                                      "p95": ordered[min(len(ordered) - 1, round(0.95 * len(ordered)) - 1)],
                                      "max": ordered[-1]}
    # which keys bring the candidates: identities sharing each kind of key (not timed)
    members: dict[str, list[int]] = {}
    for record in records[:BREAKDOWN]:
        keys = matching.hashed_keys(record)
        counts = dict(BlockingKey.objects.filter(key__in=list(keys)).values_list("key").annotate(n=Count("id")))
        for key, prefix in keys.items():
            members.setdefault(prefix, []).append(counts.get(key, 0))
    breakdown["key_members"] = {prefix: {"mean": round(sum(v) / len(v), 1), "p95": sorted(v)[round(0.95 * len(v)) - 1],
                                         "max": max(v), "keys": len(v)} for prefix, v in members.items()}
    _say(f"  {engine}: breakdown of {len(scored)} matches (mean / p95 ms): "
         + ", ".join(f"{k} {v['mean_ms']}/{v['p95_ms']}" for k, v in breakdown.items() if "mean_ms" in v)
         + f"; identities scored per match: mean {breakdown['identities_scored']['mean']}, "
           f"p95 {breakdown['identities_scored']['p95']}, max {breakdown['identities_scored']['max']}; identities "
           f"sharing a key (mean / p95): "
         + ", ".join(f"{k} {v['mean']}/{v['p95']}" for k, v in breakdown["key_members"].items()))
    return {"queries": len(times), **latency, "standardise_p95_ms": _ms(standardise_times, 0.95),
            "decisions": decisions, "duplicates_found_best": round(found / duplicates, 4) if duplicates else None,
            "auto_links_right": auto_right, "auto_links_wrong": auto_wrong,
            "score_check": {"pairs": checked, "max_diff": worst}, "breakdown": breakdown}


def _person_truths(work: Path, person_of: dict) -> dict:
    """person id → the residents (truth) of its records."""
    with open(work / "load.pkl", "rb") as handle:
        load = pickle.load(handle)
    truths: dict = {}
    for record_id, truth in zip(load["frame"]["record_id"].tolist(), load["truth"], strict=True):
        truths.setdefault(person_of[record_id], set()).add(truth)
    return truths


def child_rt_db(work: Path, params: dict) -> dict:
    """One engine: a migrated database, the index loaded (or copied), the timed matches."""
    import django
    from django.db import connection

    django.setup()
    engine = params["engine"]
    mark = time.perf_counter()
    if params.get("copy_from"):
        copied = _copy_from_postgresql(params["copy_from"])
        with open(work / "identity_map.pkl", "rb") as handle:
            maps = pickle.load(handle)
        how = f"copied {copied:,} rows from PostgreSQL"
    else:
        from weijian.linkage.model import Model
        from weijian.mpi.bulkload import load_clustered

        with open(work / "load.pkl", "rb") as handle:
            load = pickle.load(handle)
        model = Model.from_json((work / "model.json").read_text(encoding="utf-8"))
        loaded = load_clustered(load["frame"], load["clusters"], model_version=model.version)
        maps = {"identity": loaded.identity_ids, "person": loaded.person_ids}
        with open(work / "identity_map.pkl", "wb") as out:
            pickle.dump(maps, out, protocol=pickle.HIGHEST_PROTOCOL)
        del load
        how = (f"loaded {loaded.persons:,} persons, {loaded.identities:,} identities, {loaded.keys:,} blocking keys "
               f"with mpi.bulkload")
    load_s = time.perf_counter() - mark
    mark = time.perf_counter()
    _analyze()
    analyze_s = time.perf_counter() - mark
    from weijian.mpi.models import BlockingKey, Person, SourceIdentity

    counts = {"persons": Person.objects.count(), "identities": SourceIdentity.objects.count(),
              "keys": BlockingKey.objects.count()}
    _say(f"  {engine}: {how} in {load_s:.1f} s "
         f"({counts['identities'] / load_s:,.0f} identities/s); ANALYZE {analyze_s:.1f} s")
    identity_record = {identity: record for record, identity in maps["identity"].items()}
    person_truths = _person_truths(work, maps["person"])
    measured = _time_matches(engine, params, work, identity_record, person_truths)
    return {"engine": engine, "vendor": connection.vendor, **counts, "load_s": round(load_s, 1), "load": "copied from postgresql" if params.get("copy_from") else "bulkload",
            **measured, "peak_mb": _peak_mb()}


# ==== children: part 3, the switchboard =================================================================


def child_switchboard(work: Path, params: dict) -> dict:
    """Arrivals that all give one switchboard number, through link_arrivals on a small SQLite index."""
    import shutil

    from django.conf import settings

    template = work / params["switchboard_template"] if params.get("switchboard_template") else None
    if template and template.exists():
        shutil.copyfile(template, settings.DATABASES["default"]["NAME"])
    import django

    django.setup()
    migrate_s = 0.0
    if not (template and template.exists()):
        from django.core.management import call_command

        mark = time.perf_counter()
        call_command("migrate", verbosity=0)
        migrate_s = time.perf_counter() - mark
    from weijian.linkage import realtime
    from weijian.linkage.comparisons import BLOCKING_KEYS
    from weijian.linkage.model import Model
    from weijian.linkage.synthetic import generate
    from weijian.mpi import matching

    count = params["switchboard"]
    people = generate(count + 10, seed=params["seed"] + 2)
    first = people.drop_duplicates("truth").head(count)  # one record per resident: distinct people
    arrivals = [matching.Arrival("switchboard-hospital", f"S{n:06d}",
                                 {"name": row.name, "sex": row.sex, "birth_date": row.birth_date,
                                  "id_number": row.id_number, "phone": SWITCHBOARD_PHONE, "address": row.address})
                for n, row in enumerate(first.itertuples())]
    model_path = work / "model.json"
    model = Model.from_json(model_path.read_text(encoding="utf-8")) if model_path.exists() else None
    scored: list[int] = []
    original = realtime.best_matches

    def counting(record, candidates, model_, **options):
        scored.append(len(candidates))
        return original(record, candidates, model_, **options)

    realtime.best_matches = counting  # matching calls it through the module: count the pairs it scores
    try:
        mark = time.perf_counter()
        linked = matching.link_arrivals(arrivals, model=model)
        seconds = time.perf_counter() - mark
    finally:
        realtime.best_matches = original
    pairs = sum(scored)
    uncapped = len(arrivals) * (len(arrivals) - 1) // 2
    counts = {key: value for key, value in linked.counts.items()}
    result = {"arrivals": len(arrivals), "seconds": round(seconds, 1),
              "ms_per_arrival": round(seconds / len(arrivals) * 1000, 2), "counts": counts,
              "capped_ph": counts.get("capped:ph", 0), "pairs_scored": pairs,
              "max_candidates_per_arrival": max(scored, default=0),
              "pairs_without_cap": uncapped, "cap": matching.CANDIDATE_CAP,
              # each of an arrival's keys brings at most CAP candidates; without the cap one key brings all
              "blew_up": max(scored, default=0) > len(BLOCKING_KEYS) * matching.CANDIDATE_CAP,
              "migrate_s": round(migrate_s, 1), "peak_mb": _peak_mb(),
              "model": model.version if model else "bootstrap"}
    _say(f"  switchboard: {len(arrivals):,} arrivals sharing one phone linked in {seconds:.1f} s "
         f"({result['ms_per_arrival']} ms each); phone key capped on {result['capped_ph']:,} arrivals; "
         f"{pairs:,} candidate pairs scored (at most {result['max_candidates_per_arrival']} for one arrival) "
         f"instead of {uncapped:,}; decisions {{{', '.join(f'{k}: {v}' for k, v in counts.items())}}}")
    return result


CHILDREN = {"batch": child_batch, "splink": child_splink, "rt-prepare": child_rt_prepare, "migrate": child_migrate,
            "rt-db": child_rt_db, "switchboard": child_switchboard}


# ==== the parent ===========================================================================================


def _command(kind: str, work: Path, params: dict, label: str) -> list[str]:
    (work / f"params-{label}.json").write_text(json.dumps(params), encoding="utf-8")
    return [sys.executable, __file__, "--child", kind, "--work", str(work), "--label", label]


def _run(kind: str, work: Path, params: dict, env: dict | None = None, label: str | None = None) -> dict:
    """Run a child; echo its lines as they come (not the last: its JSON result, returned parsed)."""
    label = label or kind
    cmd = _command(kind, work, params, label)
    env = env or {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    stderr_path = work / f"stderr-{label}.txt"
    with open(stderr_path, "w") as stderr:
        process = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=stderr, text=True)
        previous = None
        for line in process.stdout:
            if not line.startswith("{"):  # the JSON result is the one line that starts with a brace
                sys.stdout.write(line)
                sys.stdout.flush()
            previous = line
        code = process.wait()
    if code != 0 or previous is None:
        raise RuntimeError(f"{label} child failed ({code}):\n{previous or ''}\n"
                           f"{stderr_path.read_text(errors='replace')[-4000:]}")
    return json.loads(previous)


def _folder(work: Path, name: str) -> Path:
    folder = work / name
    folder.mkdir(exist_ok=True)
    return folder


class Databases:
    """The throwaway databases of part 2 (and the empty SQLite template of part 3), migrated side by side
    (one process each: the migrations are mostly Python, and there are two cores)."""

    def __init__(self, work: Path, engines: list[str], template: bool, syncdb: bool = False):
        self.work, self.targets, self.notes, self.pg_name = work, {}, {}, None
        common = {"syncdb": syncdb}
        self.running: dict[str, subprocess.Popen] = {}
        if "postgresql" in engines:
            self.pg_name, note = pg_create()
            if self.pg_name is None:
                _say(f"postgresql: skipped ({note})")
                self.notes["postgresql"] = {"skipped": note}
            else:
                self.targets["postgresql"] = (common, child_env(pg_url(self.pg_name), _folder(work, "pg-data")))
        if "sqlite" in engines:
            folder = _folder(work, "sqlite-data")
            self.targets["sqlite"] = ({**common, "template": "empty.sqlite3" if template else None},
                                      child_env(f"sqlite:///{folder / 'bench.sqlite3'}", folder))

    def start(self) -> None:
        self.started = time.perf_counter()
        for engine, (params, env) in self.targets.items():
            cmd = _command("migrate", self.work, params, f"migrate-{engine}")
            self.running[engine] = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.PIPE,
                                                    stderr=subprocess.PIPE, text=True)

    def wait(self) -> dict:
        if not self.running:
            self.start()
        results = {}
        for engine, process in self.running.items():
            out, err = process.communicate()
            if process.returncode != 0:
                raise RuntimeError(f"migrating {engine} failed:\n{out[-2000:]}\n{err[-4000:]}")
            results[engine] = json.loads(out.splitlines()[-1])
        if results:
            each = ", ".join(f"{engine} ({result['migrate_s']} s)" for engine, result in results.items())
            _say(f"  migrated {each} side by side, {time.perf_counter() - self.started:.1f} s after starting")
        return results

    def drop(self) -> None:
        for process in self.running.values():
            if process.poll() is None:
                process.kill()
                process.wait()
        if self.pg_name:
            pg_drop(self.pg_name)


def _generate(records: int, seed: int, path: Path) -> int:
    from weijian.linkage.synthetic import COLUMNS, MIXES, generate

    started = time.perf_counter()
    frame = generate(round(records / MIXES["ordinary"].mean_records), seed=seed, mix="ordinary")
    frame[[c for c in COLUMNS if c not in ("household", "tags")]].to_pickle(path)
    _say(f"generated {len(frame):,} records of {frame['truth'].nunique():,} residents in "
         f"{time.perf_counter() - started:.1f} s")
    return len(frame)


def _batch(work: Path, records: int, seed: int, splink: bool, label: str, model_out: str | None,
           train: dict | None = None, duckdb_memory: str | None = None) -> dict:
    raw = f"raw-{label}.pkl"
    _generate(records, seed, work / raw)
    _say(f"batch ({label}): standardise, train, predict, cluster")
    result = _run("batch", work, {"raw": raw, "model_out": model_out, "train": train or {},
                                  "duckdb_memory": duckdb_memory})
    _say(f"batch ({label}): {result['records']:,} records in {result['seconds']} s, peak {result['peak_mb']} MB; "
         f"precision {result['precision']}, recall {result['recall']}, F1 {result['f1']}; steps {result['steps_s']}")
    if splink:
        _say(f"batch ({label}): plain Splink on the same raw records")
        plain = _run("splink", work, {"raw": raw})
        result["splink"] = plain
        result["faster_than_splink"] = result["seconds"] < plain["seconds"]
        result["f1_at_least_splinks"] = result["f1"] >= plain["f1"]
        _say(f"batch ({label}): plain Splink {plain['seconds']} s, peak {plain['peak_mb']} MB, precision "
             f"{plain['precision']}, recall {plain['recall']}, F1 {plain['f1']}")
    (work / raw).unlink()
    return result


def _weights_identical(work: Path, engines_run: list[str]) -> dict:
    """Our candidates' weights against Splink's for the same pairs (the queries Splink ran)."""
    with open(work / "splink_weights.pkl", "rb") as handle:
        splink = pickle.load(handle)
    worst, pairs, missing = 0.0, 0, 0
    for engine in engines_run:
        with open(work / f"candidates_{engine}.pkl", "rb") as handle:
            ours = pickle.load(handle)
        for query, candidates in ours.items():
            for record_id, weight in candidates:
                theirs = splink.get(query, {}).get(record_id)
                if theirs is None:
                    missing += 1
                    continue
                worst = max(worst, abs(theirs - weight))
                pairs += 1
    return {"pairs": pairs, "max_diff": worst, "missing_in_splink": missing,
            "identical": pairs > 0 and missing == 0 and worst <= WEIGHT_TOLERANCE}


def _realtime(work: Path, sizes: dict, seed: int, databases: Databases, profile: bool) -> dict:
    _say(f"real time: index of {sizes['persons']:,} residents, {sizes['queries']} queries")
    realtime: dict = dict(databases.notes)
    migrated = databases.wait()
    prepared = _run("rt-prepare", work, {"persons": sizes["persons"], "seed": seed, "queries": sizes["queries"],
                                         "splink_queries": sizes["splink_queries"]})
    realtime.update(population_records=prepared["population_records"], loaded_records=prepared["loaded_records"],
                    persons_clustered=prepared["persons"], queries=sizes["queries"], splink=prepared["splink"],
                    prepare={key: value for key, value in prepared.items() if key != "splink"})
    common = {"seed": seed, "splink_queries": sizes["splink_queries"], "profile": profile}
    run_engines = []
    for engine, (_params, env) in databases.targets.items():
        params = {**common, "engine": engine}
        if engine == "sqlite" and "postgresql" in run_engines:
            params["copy_from"] = pg_url(databases.pg_name)
        realtime[engine] = {**_run("rt-db", work, params, env, label=f"rt-{engine}"),
                            "migrate_s": migrated[engine]["migrate_s"]}
        run_engines.append(engine)
    if run_engines:
        check = _weights_identical(work, run_engines)
        scored = [realtime[e]["score_check"] for e in run_engines]
        check["realtime_score_pairs"] = sum(s["pairs"] for s in scored)
        check["realtime_score_max_diff"] = max(s["max_diff"] for s in scored)
        check["identical"] = check["identical"] and check["realtime_score_max_diff"] <= WEIGHT_TOLERANCE
        realtime["weights_identical"] = check["identical"]
        realtime["weights_check"] = check
        _say(f"real time: weights identical: {check['identical']} ({check['pairs']} pairs against Splink, max "
             f"difference {check['max_diff']:.3g}, {check['missing_in_splink']} not found by Splink; "
             f"{check['realtime_score_pairs']} pairs against realtime.score, max difference "
             f"{check['realtime_score_max_diff']:.3g})")
    return realtime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help=f"{QUICK['records']:,} records, {QUICK['persons']:,} persons, {QUICK['switchboard']:,} "
                             f"switchboard arrivals")
    parser.add_argument("--size", type=int, help="batch records (default 1,000,000)")
    parser.add_argument("--persons", type=int, help="residents in the real-time index (default 200,000)")
    parser.add_argument("--queries", type=int, help="real-time queries (default 1,000)")
    parser.add_argument("--switchboard", type=int, help="arrivals sharing one phone (default 10,000)")
    parser.add_argument("--five-million", action="store_true", help="also the batch dedupe of 5,000,000 records")
    parser.add_argument("--five-million-duckdb-memory", default="10GB",
                        help="DuckDB's memory limit for the 5,000,000 records (default 10GB; the library's is 2GB)")
    parser.add_argument("--parts", nargs="+", default=["batch", "realtime", "switchboard"],
                        choices=["batch", "realtime", "switchboard"])
    parser.add_argument("--engines", nargs="+", default=["postgresql", "sqlite"], choices=["postgresql", "sqlite"])
    parser.add_argument("--no-splink", action="store_true", help="skip plain Splink in the batch part")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--profile", action="store_true", help="cProfile of the timed real-time matches")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--work", help=argparse.SUPPRESS)
    parser.add_argument("--label", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        work = Path(args.work)
        params = json.loads((work / f"params-{args.label or args.child}.json").read_text(encoding="utf-8"))
        print(json.dumps(CHILDREN[args.child](work, params), ensure_ascii=False, default=str))
        return

    sys.path.insert(0, str(ROOT / "src"))
    sizes = dict(QUICK if args.quick else FULL)
    for key, value in (("records", args.size), ("persons", args.persons), ("queries", args.queries),
                       ("switchboard", args.switchboard)):
        if value:
            sizes[key] = value
    started = time.perf_counter()
    summary: dict = {"records": sizes["records"] if "batch" in args.parts else None,
                     "persons": sizes["persons"] if "realtime" in args.parts else None, "cores": os.cpu_count()}
    with tempfile.TemporaryDirectory(prefix="wj-mpi-speed-") as tmp:
        work = Path(tmp)
        databases = Databases(work, args.engines if "realtime" in args.parts else [],
                              template="switchboard" in args.parts, syncdb=args.quick)
        try:
            if args.quick and "realtime" in args.parts:
                # a smoke test: the migrations (~30 s of Python) overlap part 1, whose figures mean little here
                databases.start()
            if "batch" in args.parts:
                summary["batch"] = _batch(work, sizes["records"], args.seed, not args.no_splink, "main",
                                          "model.json", QUICK_TRAINING if args.quick else None)
                summary["records"] = summary["batch"]["records"]
                if args.five_million:
                    summary["batch_5m"] = _batch(work, 5_000_000, args.seed, False, "5m", None,
                                                 duckdb_memory=args.five_million_duckdb_memory)
            if "realtime" in args.parts:
                summary["realtime"] = _realtime(work, sizes, args.seed, databases, args.profile)
        finally:
            databases.drop()
        if "switchboard" in args.parts:
            folder = _folder(work, "switchboard-data")
            template = "empty.sqlite3" if (work / "empty.sqlite3").exists() else None
            _say(f"switchboard: {sizes['switchboard']:,} arrivals sharing one phone number")
            summary["switchboard"] = _run(
                "switchboard", work, {"switchboard": sizes["switchboard"], "seed": args.seed,
                                      "switchboard_template": template},
                child_env(f"sqlite:///{folder / 'switchboard.sqlite3'}", folder))
    summary["seconds"] = round(time.perf_counter() - started, 1)
    summary["goals"] = GOALS
    summary["goal_met"] = _goals(summary)
    print(json.dumps(summary, ensure_ascii=False, default=str))


def _goals(summary: dict) -> dict:
    met: dict = {}
    batch = summary.get("batch")
    if batch:
        full = batch["records"] >= 1_000_000
        met["batch_seconds"] = batch["seconds"] <= GOALS["batch_1m_s"] if full else None
        met["batch_peak_mb"] = batch["peak_mb"] <= GOALS["batch_1m_peak_mb"] if full else None
        if "splink" in batch:
            met["batch_faster_than_splink"] = batch["faster_than_splink"]
            met["batch_f1_at_least_splinks"] = batch["f1_at_least_splinks"]
    if summary.get("batch_5m"):
        met["batch_5m_seconds"] = summary["batch_5m"]["seconds"] <= GOALS["batch_5m_s"]
    realtime = summary.get("realtime")
    if realtime:
        full = (summary["persons"] or 0) >= 1_000_000
        for engine in ("postgresql", "sqlite"):
            if "p95_ms" in realtime.get(engine, {}):
                met[f"realtime_{engine}_p95"] = realtime[engine]["p95_ms"] <= GOALS["realtime_p95_ms"] if full else None
        met["weights_identical"] = realtime.get("weights_identical")
    if summary.get("switchboard"):
        met["switchboard_no_blow_up"] = not summary["switchboard"]["blew_up"]
    return met


if __name__ == "__main__":
    main()
