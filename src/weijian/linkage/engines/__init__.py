"""Batch linkage: train a `Model` with Splink, predict scored pairs for a frame, cluster them.

Splink runs behind one adapter, `Engine`: DuckDB by default (`engines.duckdb`), Spark later
(`engines.spark`, imported only when asked for). Everything that is not "run Splink on this backend" —
preparing records, capping over-full blocking keys, turning a `Model` into Splink settings and Splink's
trained values back into a `Model` — lives here, once, for every engine.
"""

from __future__ import annotations

import abc
import hashlib
import importlib
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from weijian.linkage.comparisons import (
    ATTESTED_NAME_RECORDS,
    BLOCKING_KEYS,
    DEFAULT_COMPARISONS,
    UNIQUE_ID_COLUMN,
    ComparisonSpec,
)
from weijian.linkage.model import Model, TrainingInfo, now_iso
from weijian.linkage.prepared import FRAME_COLUMNS, prepared_columns

DEFAULT_ENGINE = "duckdb"
#: The columns of a scored pair besides each comparison's `gamma_<name>` and `mw_<name>`.
PAIR_COLUMNS = (f"{UNIQUE_ID_COLUMN}_l", f"{UNIQUE_ID_COLUMN}_r", "match_weight", "match_probability", "match_key")
#: Key values shared by more records than this are left out of their blocking rule (and reported).
DEFAULT_BLOCKING_CAP = 200

#: Rules that admit (almost) only true matches, for the prior λ: the same valid, consistent ID; or the
#: same name, birth date and phone.
DEFAULT_DETERMINISTIC_RULES: tuple[str, ...] = (
    "l.id_ok = r.id_ok AND l.id_ok <> ''",
    "l.name = r.name AND l.name <> '' AND l.birth_date = r.birth_date AND l.birth_date <> '' "
    "AND l.phone = r.phone AND l.phone <> ''",
)
#: EM blocking rules. Each uses the very columns of one comparison, so Splink leaves that comparison out
#: of that session (it cannot be estimated from pairs selected by it); every comparison is estimated by
#: at least two sessions.
DEFAULT_EM_BLOCKING_RULES: tuple[str, ...] = (
    "l.name_key = r.name_key AND l.name_key <> ''",
    "l.birth_date = r.birth_date AND l.birth_date <> ''",
    "l.id_ok = r.id_ok AND l.id_ok <> ''",
)
#: At or above it the MPI links automatically: match weight 6 (p ≈ 0.985), chosen on the synthetic city
#: (benchmarks/mpi_quality.py, docs/mpi-quality.md). On 200,000 records with the ordinary error mix it
#: gave the best pairwise F1 (precision 0.999, recall 0.998): it links records that agree on name, birth
#: date and sex and on nothing else (weight ≈ 8 in such a city, less in a larger one), which 10
#: (p ≈ 0.999) left to review.
DEFAULT_THRESHOLD_UPPER = 6.0
DEFAULT_THRESHOLD_LOWER = 0.0  # match weight, p = 0.5
DEFAULT_SEED = 7
#: Training beyond this many records only costs time: a random sample this large has the same λ (pairs of
#: one resident and all pairs shrink alike) and m and u within the noise of EM (docs/mpi-speed.md).
DEFAULT_TRAINING_RECORDS = 300_000
#: Random pairs for u. 2·10⁶ (Splink's tutorials use 10⁶) gave the same F1 as 10⁷ on the synthetic city in a
#: fifth of the time; rarer levels than one in 2·10⁶ random pairs get u = 1 / 2·10⁶ and a note.
DEFAULT_U_MAX_PAIRS = 2e6


@dataclass(frozen=True)
class TrainingPlan:
    deterministic_rules: tuple[str, ...]
    recall: float
    prior: float | None  # when given, λ is not estimated
    u_max_pairs: float
    seed: int | None
    em_blocking_rules: tuple[str, ...]
    em_max_pairs: float | None


@dataclass(frozen=True)
class Estimated:
    splink_model: dict[str, Any]  # Splink's saved model (`linker.misc.save_model_to_json()`)
    notes: tuple[str, ...] = ()  # what the engine had to skip, for `TrainingInfo.notes`


class Engine(abc.ABC):
    """Runs Splink on one backend. Frames are *prepared* (see `prepare_frame`), settings are Splink
    settings dicts (see `splink_settings`)."""

    name: ClassVar[str]

    @abc.abstractmethod
    def estimate(self, frame: pd.DataFrame, settings: dict[str, Any], plan: TrainingPlan) -> Estimated:
        """Estimate λ (unless `plan.prior`), u by random sampling and m by EM on each rule; return
        Splink's saved model."""

    @abc.abstractmethod
    def predict(
        self, frame: pd.DataFrame, settings: dict[str, Any], *, threshold_match_weight: float | None
    ) -> pd.DataFrame:
        """Scored pairs with at least `record_id_l`, `record_id_r`, `match_weight`, `match_probability`,
        `match_key` and `gamma_<comparison>`, sorted by `record_id_l`, `record_id_r`."""

    @property
    def version(self) -> str:
        return ""


def get_engine(name: str = DEFAULT_ENGINE, **options: Any) -> Engine:
    """The engine called `name`; its module (and backend) is imported only now."""
    modules = {"duckdb": "weijian.linkage.engines.duckdb", "spark": "weijian.linkage.engines.spark"}
    if name not in modules:
        raise ValueError(f"unknown linkage engine {name!r}; choose one of {sorted(modules)}")
    module = importlib.import_module(modules[name])
    return module.ENGINE(**options)


# --------------------------------------------------------------------------------------------------------
# Frames
# --------------------------------------------------------------------------------------------------------


def prepare_frame(frame: pd.DataFrame | Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """Standardised records → the prepared frame Splink sees: `record_id`, the prepared comparison
    columns (str, "" when missing) and one `bk_<prefix>` column per blocking key (None when missing).

    A frame that is already prepared is returned as it is, so `train` and `predict` can share one."""
    if isinstance(frame, pd.DataFrame) and tuple(frame.columns) == FRAME_COLUMNS:
        return frame
    records = frame if isinstance(frame, pd.DataFrame) else pd.DataFrame(list(frame))
    prepared_frame = prepared_columns(records)
    ids = prepared_frame[UNIQUE_ID_COLUMN]
    if (ids == "").any():
        raise ValueError("every record needs a record_id")
    if ids.duplicated().any():
        raise ValueError("record_id must be unique")
    return prepared_frame


@dataclass(frozen=True)
class CappedKey:
    """A blocking-key value left out of its rule because too many records share it (a hospital
    switchboard phone, a placeholder ID). The value itself is not reported, only a hash."""

    rule: str  # blocking key prefix: "id", "ph", "nb", "bd", "nd", "sb", "ad"
    value_hash: str  # first 16 hex digits of sha256(value)
    count: int


def cap_blocking_keys(frame: pd.DataFrame, *, cap: int = DEFAULT_BLOCKING_CAP) -> tuple[pd.DataFrame,
                                                                                         list[CappedKey]]:
    """Blank out (None) blocking-key values shared by more than `cap` records, per key; report them."""
    # Counted over integer codes (value_counts and isin on a million strings per key took 5 s in all), and
    # only the key columns that change are replaced: the frame's other columns are shared, not copied.
    replaced: dict[str, np.ndarray] = {}
    capped: list[CappedKey] = []
    for key in BLOCKING_KEYS:
        codes, values = pd.factorize(frame[key.column], use_na_sentinel=True)
        counts = np.bincount(codes[codes >= 0], minlength=len(values))
        over = np.flatnonzero(counts > cap)
        if not len(over):
            continue
        column = frame[key.column].to_numpy(dtype=object, copy=True)
        column[np.isin(codes, over)] = None
        replaced[key.column] = column
        for code in over:
            digest = hashlib.sha256(str(values[code]).encode("utf-8")).hexdigest()[:16]
            capped.append(CappedKey(rule=key.prefix, value_hash=digest, count=int(counts[code])))
    frame = frame.copy(deep=False)
    for column, values in replaced.items():
        frame[column] = values
    capped.sort(key=lambda item: (-item.count, item.rule, item.value_hash))
    return frame, capped


# --------------------------------------------------------------------------------------------------------
# Model ⇄ Splink settings
# --------------------------------------------------------------------------------------------------------


def splink_settings(
    comparisons: Sequence[ComparisonSpec],
    *,
    m: Mapping[str, Sequence[float | None]] | None = None,
    u: Mapping[str, Sequence[float | None]] | None = None,
    probability_two_random_records_match: float | None = None,
    blocking_rules: Sequence[str] = (),
) -> dict[str, Any]:
    """A Splink 5 settings dict (dedupe of one frame keyed by `record_id`) for these comparisons."""
    settings: dict[str, Any] = {
        "link_type": "dedupe_only",
        "unique_id_column_name": UNIQUE_ID_COLUMN,
        "comparisons": [
            spec.splink_comparison(None if m is None else m[spec.name], None if u is None else u[spec.name])
            for spec in comparisons
        ],
        "blocking_rules_to_generate_predictions": list(blocking_rules),
        # both needed for the gamma_<comparison> and mw_<comparison> columns of predict's output
        "retain_matching_columns": True,
        "retain_intermediate_calculation_columns": True,
    }
    if probability_two_random_records_match is not None:
        settings["probability_two_random_records_match"] = probability_two_random_records_match
    return settings


def model_settings(model: Model) -> dict[str, Any]:
    """Splink settings carrying every m, u and λ of `model`, with the prediction blocking rules."""
    return splink_settings(
        model.comparisons,
        m=model.m,
        u=model.u,
        probability_two_random_records_match=model.probability_two_random_records_match,
        blocking_rules=[key.rule_sql for key in BLOCKING_KEYS],
    )


def _read_trained(
    comparisons: Sequence[ComparisonSpec], saved: Mapping[str, Any], *, u_floor: float
) -> tuple[dict[str, tuple[float | None, ...]], dict[str, tuple[float | None, ...]], list[str]]:
    """m and u per level from Splink's saved model. Splink omits a value it could not estimate (a level
    never observed); then u := `u_floor` (rarer than one in the sampled pairs) and m := u (weight 0, no
    evidence either way), and a note says so."""
    by_name = {entry["output_column_name"]: entry for entry in saved["comparisons"]}
    m_out: dict[str, tuple[float | None, ...]] = {}
    u_out: dict[str, tuple[float | None, ...]] = {}
    notes: list[str] = []
    for spec in comparisons:
        levels = by_name[spec.name]["comparison_levels"]
        if [level.get("label_for_charts") for level in levels] != [level.label for level in spec.levels]:
            raise RuntimeError(f"Splink returned different levels for {spec.name}")
        m_values: list[float | None] = []
        u_values: list[float | None] = []
        for level, trained in zip(spec.levels, levels, strict=True):
            if level.is_null:
                m_values.append(None)
                u_values.append(None)
                continue
            u_value = trained.get("u_probability")
            if u_value is None:
                u_value = u_floor
                notes.append(f"{spec.name} / {level.label}: u not observed, set to {u_floor:.3g}")
            m_value = trained.get("m_probability")
            if m_value is None:
                m_value = u_value
                notes.append(f"{spec.name} / {level.label}: m not observed, set to u (weight 0)")
            m_values.append(float(m_value))
            u_values.append(float(u_value))
        m_out[spec.name] = tuple(m_values)
        u_out[spec.name] = tuple(u_values)
    return m_out, u_out, notes


# --------------------------------------------------------------------------------------------------------
# Public batch API
# --------------------------------------------------------------------------------------------------------


def train(
    frame: pd.DataFrame | Iterable[Mapping[str, Any]],
    *,
    engine: str | Engine = DEFAULT_ENGINE,
    comparisons: Sequence[ComparisonSpec] = DEFAULT_COMPARISONS,
    deterministic_rules: Sequence[str] = DEFAULT_DETERMINISTIC_RULES,
    recall: float = 0.8,
    prior: float | None = None,
    u_max_pairs: float = DEFAULT_U_MAX_PAIRS,
    seed: int | None = DEFAULT_SEED,
    em_blocking_rules: Sequence[str] = DEFAULT_EM_BLOCKING_RULES,
    em_max_pairs: float | None = None,
    max_records: int | None = DEFAULT_TRAINING_RECORDS,
    threshold_upper: float = DEFAULT_THRESHOLD_UPPER,
    threshold_lower: float = DEFAULT_THRESHOLD_LOWER,
    version: str | None = None,
) -> Model:
    """Train a model on standardised records with Splink: λ from `deterministic_rules` and `recall`
    (or `prior` as given), u by random sampling (`u_max_pairs`, `seed`), m by EM on each of
    `em_blocking_rules` (optionally sampled down to `em_max_pairs` pairs). Beyond `max_records` records
    it trains on a random sample of that many (`seed`)."""
    runner = engine if isinstance(engine, Engine) else get_engine(engine)
    prepared = prepare_frame(frame)
    sample_notes: tuple[str, ...] = ()
    if max_records is not None and len(prepared) > max_records:
        sample_notes = (f"trained on a random sample of {max_records:,} of {len(prepared):,} records",)
        prepared = prepared.sample(n=max_records, random_state=seed or 0).sort_index()
    plan = TrainingPlan(
        deterministic_rules=tuple(deterministic_rules),
        recall=recall,
        prior=prior,
        u_max_pairs=u_max_pairs,
        seed=seed,
        em_blocking_rules=tuple(em_blocking_rules),
        em_max_pairs=em_max_pairs,
    )
    settings = splink_settings(comparisons, probability_two_random_records_match=prior)
    estimated = runner.estimate(prepared, settings, plan)
    saved = estimated.splink_model

    count = len(prepared)
    all_pairs = count * (count - 1) / 2
    u_floor = 1.0 / max(1.0, min(u_max_pairs, all_pairs))
    m, u, notes = _read_trained(comparisons, saved, u_floor=u_floor)
    prior_value = float(saved["probability_two_random_records_match"]) if prior is None else prior
    if not (0 < prior_value < 1) or math.isnan(prior_value):
        raise ValueError(
            f"the deterministic rules gave λ = {prior_value}; check them or pass prior= explicitly"
        )
    created = now_iso()
    return Model(
        version=version or "mpi-" + created.replace("-", "").replace(":", "")[:15],
        created=created,
        comparisons=tuple(comparisons),
        m=m,
        u=u,
        probability_two_random_records_match=prior_value,
        threshold_upper=threshold_upper,
        threshold_lower=threshold_lower,
        training=TrainingInfo(
            record_count=count,
            engine=runner.name,
            em_blocking_rules=tuple(em_blocking_rules),
            deterministic_rules=tuple(deterministic_rules) if prior is None else (),
            recall=recall if prior is None else None,
            u_max_pairs=u_max_pairs,
            seed=seed,
            splink_version=runner.version,
            notes=(*sample_notes, *estimated.notes, *notes),
        ),
    )


@dataclass(frozen=True)
class Prediction:
    """Scored pairs (`record_id_l` < `record_id_r`, `match_weight`, `match_probability`, `match_key` — the
    index of the first blocking rule that found the pair — and per comparison `gamma_<name>`, Splink's
    level value, and `mw_<name>`, its weight) and the blocking-key values that were capped."""

    pairs: pd.DataFrame
    capped: tuple[CappedKey, ...]


def predict(
    frame: pd.DataFrame | Iterable[Mapping[str, Any]],
    model: Model,
    *,
    threshold: float | None,
    engine: str | Engine = DEFAULT_ENGINE,
    cap: int = DEFAULT_BLOCKING_CAP,
) -> Prediction:
    """Dedupe one frame with `model`: pairs sharing any blocking key (id, phone, name+birth date,
    birth date+district, name+district, surname+birth date, address; over-full key values capped at
    `cap`) scored by Splink, kept when
    `match_weight >= threshold` (all blocked pairs when None)."""
    runner = engine if isinstance(engine, Engine) else get_engine(engine)
    prepared, capped = cap_blocking_keys(prepare_frame(frame), cap=cap)
    pairs = runner.predict(prepared, model_settings(model), threshold_match_weight=threshold)
    columns = [
        f"{UNIQUE_ID_COLUMN}_l",
        f"{UNIQUE_ID_COLUMN}_r",
        "match_weight",
        "match_probability",
        "match_key",
        *(f"gamma_{spec.name}" for spec in model.comparisons),
        *(f"mw_{spec.name}" for spec in model.comparisons),
    ]
    pairs = pairs[columns].reset_index(drop=True)
    return Prediction(pairs=pairs, capped=tuple(capped))


def cluster(
    pairs: pd.DataFrame | Iterable[tuple[str, str, float]],
    threshold: float,
    *,
    record_ids: Iterable[str] = (),
    distinct: Mapping[str, str] | pd.DataFrame | None = None,
) -> dict[str, str]:
    """Connected components of the pairs with `match_weight >= threshold` (the same components as Splink's
    `cluster_pairwise_predictions_at_threshold` at that weight), found by SciPy's sparse-graph search over
    integer codes: a city's million pairs in about a second, where a Python union-find took five.

    `distinct` says which records are certainly different people: record_id → value, or a prepared frame,
    which gives three such signs (`DISTINCT_SIGNS`): the proving ID number (`id_distinct`), a newborn
    placeholder's birth order (之子一 / 之子二) and, within one component, a name written on two records
    or more while another name is too (`attested_names`). A component holding two different values of
    a sign is clustered again, its pairs joined strongest first and a join that would bring two
    different values of any sign together left out: twins otherwise join through a record of one that
    looks like the other with a mistyped name.

    Returns record_id → cluster id, the smallest record_id of its cluster. Records in `record_ids` that
    are in no kept pair form clusters of their own.
    """
    if isinstance(pairs, pd.DataFrame):
        left = pairs[f"{UNIQUE_ID_COLUMN}_l"].to_numpy(dtype=object)
        right = pairs[f"{UNIQUE_ID_COLUMN}_r"].to_numpy(dtype=object)
        weight = pairs["match_weight"].to_numpy(dtype=float)
    else:
        rows = list(pairs)
        left = np.array([row[0] for row in rows], dtype=object)
        right = np.array([row[1] for row in rows], dtype=object)
        weight = np.array([row[2] for row in rows], dtype=float)
    given = np.array(list(record_ids), dtype=object)
    codes, ids = pd.factorize(np.concatenate([given, left, right]))
    kept = weight >= threshold
    left_codes = codes[len(given):len(given) + len(left)][kept]
    right_codes = codes[len(given) + len(left):][kept]
    graph = coo_matrix((np.ones(len(left_codes), dtype=np.int8), (left_codes, right_codes)),
                       shape=(len(ids), len(ids)))
    count, component = connected_components(graph, directed=False)
    if distinct is not None:
        signs = _distinct_signs(distinct, ids, component)
        count = _separate_distinct(component, count, signs, left_codes, right_codes, weight[kept])
    # each component's smallest id, by rank in one sort (a pandas groupby-min on strings took seconds)
    order = np.argsort(np.asarray(ids, dtype=str), kind="stable")
    rank = np.empty(len(ids), dtype=np.int64)
    rank[order] = np.arange(len(ids))
    smallest = np.full(count, len(ids), dtype=np.int64)
    np.minimum.at(smallest, component, rank)
    root = np.asarray(ids, dtype=object)[order[smallest[component]]]
    return dict(zip(ids.tolist(), root.tolist(), strict=True))


#: The prepared columns that tell two records of one component apart as different people (see `cluster`):
#: the proving ID number and a newborn placeholder's birth order. Names come on top (`attested_names`).
DISTINCT_SIGNS = ("id_distinct", "birth_order")


def _distinct_signs(distinct: Mapping[str, str] | pd.DataFrame, ids: pd.Index,
                    component: np.ndarray) -> np.ndarray:
    """Each record's value of each sign as integer codes, one row per sign (-1: none)."""
    ids = np.asarray(ids, dtype=object)
    if not isinstance(distinct, pd.DataFrame):
        texts = pd.Series(dict(distinct), dtype=object).reindex(ids).fillna("").to_numpy(dtype=object)
        return _codes(texts)[np.newaxis, :]
    # each id's row in the frame, by position: no copy of the frame's other columns
    position = pd.Index(distinct[UNIQUE_ID_COLUMN].to_numpy(dtype=object)).get_indexer(ids)

    def column(name: str) -> np.ndarray:
        values = distinct[name].to_numpy(dtype=object)[position]
        values[position < 0] = ""
        return values

    signs = [_codes(column(name)) for name in DISTINCT_SIGNS if name in distinct.columns]
    if "name_fuzzy" in distinct.columns:
        signs.append(attested_names(component, _codes(column("name_fuzzy"))))
    return np.vstack(signs)


def _codes(texts: np.ndarray) -> np.ndarray:
    """Integer codes of the texts; -1 for "" and missing values."""
    codes, values = pd.factorize(texts, use_na_sentinel=True)
    empty = np.flatnonzero(pd.isna(values) | (values == ""))
    if len(empty):
        codes = np.where(np.isin(codes, empty), -1, codes)
    return codes


def attested_names(component: np.ndarray, names: np.ndarray) -> np.ndarray:
    """The name code of each record whose component holds two names each written on
    `ATTESTED_NAME_RECORDS` records or more (-1 elsewhere).

    One record with another name is a mistyped name; two names each written twice are two people —
    twins, who share surname, birth date and home and differ in one character of the given name. Names
    are compared by their 模糊音 key, so 近音 typos (林/玲) made twice do not count as a second name."""
    result = np.full(len(names), -1, dtype=np.int64)
    named = np.flatnonzero(names >= 0)
    if not len(named):
        return result
    counts = pd.DataFrame({"component": component[named], "name": names[named]}).value_counts()
    attested = counts[counts >= ATTESTED_NAME_RECORDS].reset_index()
    per_component = attested["component"].value_counts()
    twice = attested[attested["component"].isin(per_component.index[per_component.to_numpy() > 1])]
    if twice.empty:
        return result
    keep = pd.MultiIndex.from_frame(twice[["component", "name"]])
    rows = pd.MultiIndex.from_arrays([component[named], names[named]])
    chosen = named[rows.isin(keep)]
    result[chosen] = names[chosen]
    return result


def _separate_distinct(component: np.ndarray, count: int, signs: np.ndarray, left: np.ndarray,
                       right: np.ndarray, weight: np.ndarray) -> int:
    """Re-cluster, in place, the components holding two different values of a sign; returns the new count.

    `signs` holds one row of value codes per sign (-1: none)."""
    conflicting = np.zeros(count, dtype=bool)
    for values in signs:
        valued = values >= 0
        per_component = pd.DataFrame({"component": component[valued], "value": values[valued]})
        conflicts = per_component.groupby("component")["value"].nunique()
        conflicting[conflicts.index[conflicts.to_numpy() > 1]] = True
    edges = np.flatnonzero(conflicting[component[left]])
    # strongest first; equal weights in a fixed order, so the result does not depend on the input's order
    edges = edges[np.lexsort((right[edges], left[edges], -weight[edges]))]
    parent: dict[int, int] = {}
    value_of: dict[int, tuple[int, ...]] = {}

    def find(node: int) -> int:
        root = node
        while parent.get(root, root) != root:
            root = parent[root]
        while node != root:
            parent[node], node = root, parent.get(node, node)
        return root

    def values_of(root: int) -> tuple[int, ...]:
        return value_of[root] if root in value_of else tuple(int(value) for value in signs[:, root])

    for a, b in zip(left[edges].tolist(), right[edges].tolist(), strict=True):
        root_a, root_b = find(a), find(b)
        if root_a == root_b:
            continue
        values_a, values_b = values_of(root_a), values_of(root_b)
        if any(x >= 0 and y >= 0 and x != y for x, y in zip(values_a, values_b, strict=True)):
            continue  # two people, whatever this pair's weight
        parent[root_b] = root_a
        parent.setdefault(root_a, root_a)
        value_of[root_a] = tuple(x if x >= 0 else y for x, y in zip(values_a, values_b, strict=True))
    members = np.flatnonzero(conflicting[component])
    roots = np.array([find(int(node)) for node in members], dtype=np.int64)
    _codes_, new_components = np.unique(roots, return_inverse=True)
    component[members] = count + new_components
    return count + len(_codes_)
