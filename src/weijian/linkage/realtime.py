"""Real-time matching: one incoming record scored against candidates with a trained `Model`.

No database and no Splink here. The mpi app stores each record's `blocking_keys` in an indexed table,
looks up the records sharing a key with the incoming one (skipping keys with more than
`engines.DEFAULT_BLOCKING_CAP` members, as batch prediction does) and passes them in as candidates.
The weights are those Splink gives the same pair in batch: the levels come from the same comparison
specs (`comparisons.py`) and the weights from the same formula (`model.py`).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from weijian.linkage.comparisons import (
    ATTESTED_NAME_RECORDS,
    UNIQUE_ID_COLUMN,
    blocking_values,
    distinct_id,
    levels_for_pair,
    prepare_record,
    text_value,
)
from weijian.linkage.model import Band, Model, match_weight_to_probability


def blocking_keys(record: Mapping[str, Any]) -> list[str]:
    """The record's blocking keys, e.g. `["id:110105199001020013", "ph:13900000000",
    "nb:zhangwei|1990-01-02", "bd:1990-01-02|510104", "nd:zhangwei|510104", "sb:zhang|1990-01-02",
    "ad:510104|红星路1号"]` — the same keys as the
    batch prediction's blocking rules (`comparisons.BLOCKING_KEYS`)."""
    keys = []
    for column, value in blocking_values(record).items():
        if value is not None:
            keys.append(f"{column.removeprefix('bk_')}:{value}")
    return keys


@dataclass(frozen=True)
class FieldScore:
    """One comparison of one pair, for the review page: which level, and what it weighed."""

    comparison: str
    comparison_title: str
    level: int  # index into the comparison's levels
    gamma: int  # Splink's comparison vector value (-1 for the null level)
    label: str
    title: str
    is_null: bool
    bayes_factor: float
    match_weight: float  # log2 of the Bayes factor: this field's contribution to the total


@dataclass(frozen=True)
class Score:
    record_id: str  # the candidate's
    match_weight: float
    match_probability: float
    band: Band
    fields: tuple[FieldScore, ...]

    @property
    def levels(self) -> tuple[int, ...]:
        return tuple(field.level for field in self.fields)


def _score_from_levels(record_id: str, levels: Sequence[int], model: Model, weight: float) -> Score:
    fields = []
    for spec, index in zip(model.comparisons, levels, strict=True):
        level = spec.levels[index]
        fields.append(
            FieldScore(
                comparison=spec.name,
                comparison_title=spec.title,
                level=index,
                gamma=spec.gamma(index),
                label=level.label,
                title=level.title,
                is_null=level.is_null,
                bayes_factor=model.bayes_factor(spec.name, index),
                match_weight=model.level_weight(spec.name, index),
            )
        )
    return Score(
        record_id=record_id,
        match_weight=weight,
        match_probability=match_weight_to_probability(weight),
        band=model.band(weight),
        fields=tuple(fields),
    )


def score(record: Mapping[str, Any], candidate: Mapping[str, Any], model: Model) -> Score:
    """Score one standardised record against one candidate (also standardised)."""
    left, right = prepare_record(record), prepare_record(candidate)
    levels = levels_for_pair(model.comparisons, left, right)
    return _score_from_levels(right[UNIQUE_ID_COLUMN], levels, model, model.match_weight(levels))


def rank(
    record: Mapping[str, Any], candidates: Sequence[Mapping[str, Any]], model: Model
) -> list[tuple[str, tuple[int, ...], float]]:
    """(record_id, levels, match weight) of every candidate, highest weight first (ties by record_id),
    without building the per-field explanations (`explain` does that for the ones shown). Weights are
    looked up and summed with NumPy in the same order as `Model.match_weight`, so they equal `score()`
    exactly."""
    if not candidates:
        return []
    left = prepare_record(record)
    prepared = [prepare_record(candidate) for candidate in candidates]
    levels = np.array([levels_for_pair(model.comparisons, left, right) for right in prepared], dtype=np.intp)
    weights = np.full(len(prepared), model.prior_match_weight, dtype=np.float64)
    for column, spec in enumerate(model.comparisons):
        table = np.array(model.level_weights(spec.name), dtype=np.float64)
        weights = weights + table[levels[:, column]]
    ids = np.array([right[UNIQUE_ID_COLUMN] for right in prepared], dtype=object)
    order = np.lexsort((ids, -weights))
    return [(ids[i], tuple(int(x) for x in levels[i]), float(weights[i])) for i in order]


def explain(record_id: str, levels: Sequence[int], weight: float, model: Model) -> Score:
    """The `Score` of a ranked candidate: its weight with each field's level and contribution."""
    return _score_from_levels(record_id, levels, model, weight)


def best_matches(
    record: Mapping[str, Any],
    candidates: Sequence[Mapping[str, Any]],
    model: Model,
    *,
    limit: int = 10,
    min_match_weight: float | None = None,
) -> list[Score]:
    """The `limit` best-scoring candidates, highest match weight first (ties by record_id), optionally
    only those with `match_weight >= min_match_weight`."""
    if limit <= 0:
        return []
    ranked = rank(record, candidates, model)
    if min_match_weight is not None:
        ranked = [row for row in ranked if row[2] >= min_match_weight]
    return [explain(*row, model) for row in ranked[:limit]]


#: Why `kept_apart` holds a person back from an automatic link.
APART_ID_NUMBER, APART_BIRTH_ORDER, APART_NAME = "id_number", "birth_order", "name"


def kept_apart(record: Mapping[str, Any], candidates: Sequence[Mapping[str, Any]],
               person_of: Mapping[str, Hashable]) -> dict[Hashable, str]:
    """The persons `record` must not be linked to automatically, for what batch clustering
    (`engines.cluster`) would keep apart: a candidate record of theirs with another proving ID number
    (`distinct_id`) or another newborn birth order (之子一 / 之子二), or a person whose records already carry
    the record's name once and another name twice or more (the record would make both names attested:
    twins, whom clustering splits; a stored person cannot be split here, so the arrival goes to review).

    Returns person → reason (`APART_*`). `candidates` are standardised records with `record_id`;
    `person_of` maps their record_id to a person. Only the candidates are looked at, not every record of
    each person."""
    apart: dict[Hashable, str] = {}
    own_id, own_order = distinct_id(record), text_value(record.get("birth_order"))
    by_person: dict[Hashable, list[Mapping[str, Any]]] = defaultdict(list)
    for candidate in candidates:
        person = person_of[text_value(candidate.get(UNIQUE_ID_COLUMN))]
        by_person[person].append(candidate)
        other_id, other_order = distinct_id(candidate), text_value(candidate.get("birth_order"))
        if own_id and other_id and other_id != own_id:
            apart[person] = APART_ID_NUMBER
        elif own_order and other_order and other_order != own_order:
            apart.setdefault(person, APART_BIRTH_ORDER)
    own_name = None
    for person, records in by_person.items():
        if person in apart or len(records) < ATTESTED_NAME_RECORDS + 1:
            continue  # the name rule needs the record's name once and another name twice
        if own_name is None:
            own_name = prepare_record(record)["name_fuzzy"]
        if not own_name:
            break
        names = Counter(prepare_record(other)["name_fuzzy"] for other in records)
        if names[own_name] >= ATTESTED_NAME_RECORDS - 1 and any(
                name and name != own_name and count >= ATTESTED_NAME_RECORDS for name, count in names.items()):
            apart[person] = APART_NAME
    return apart
