"""The Fellegi–Sunter model as a versioned, human-readable JSON artefact.

A `Model` holds the comparison specs, the m and u probability of every level, the prior
(probability that two random records match) and the decision thresholds. Weights follow Splink 5 exactly
(splink/internals/comparison_level.py `_match_weight`, splink/internals/predict.py
`_combine_prior_and_mws`):

    match_weight = log2(λ / (1 - λ)) + Σ_comparisons w(level)
    w(level)     = 0                                          for a null level
                 = log2(max(m, 1e-300) / max(u, 1e-300))      otherwise
    probability  = 1 / (1 + 2^-mw)  if mw >= 0,  else  2^mw / (1 + 2^mw)

summed left to right in comparison order, as Splink's SQL does. Importing this module needs neither
Splink nor DuckDB: the real-time scorer uses it directly.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from weijian.linkage.comparisons import ComparisonSpec

FORMAT = 1
#: Splink's floor on m and u before taking log2 (splink.internals.comparison_level.M_U_CLAMP_MIN).
M_U_CLAMP_MIN = 1e-300

Band = Literal["match", "review", "non_match"]


def probability_to_match_weight(probability: float) -> float:
    """Splink's `prob_to_match_weight`: log2 of the odds."""
    if probability == 1:
        return math.inf
    return math.log2(probability / (1 - probability))


def match_weight_to_probability(match_weight: float) -> float:
    """The probability Splink's predict SQL computes from a match weight (stable for large |weight|)."""
    if match_weight >= 0:
        return 1.0 / (1.0 + 2.0 ** (-match_weight))
    return 2.0**match_weight / (1.0 + 2.0**match_weight)


def level_match_weight(m: float | None, u: float | None) -> float:
    """Weight of one level: 0 for a null level (m and u None), else log2(m/u) with Splink's clamp."""
    if m is None and u is None:
        return 0.0
    if m is None or u is None:
        raise ValueError("a non-null level needs both m and u")
    return math.log2(max(m, M_U_CLAMP_MIN) / max(u, M_U_CLAMP_MIN))


@dataclass(frozen=True)
class TrainingInfo:
    record_count: int
    engine: str
    em_blocking_rules: tuple[str, ...] = ()
    deterministic_rules: tuple[str, ...] = ()
    recall: float | None = None
    u_max_pairs: float | None = None
    seed: int | None = None
    splink_version: str = ""
    notes: tuple[str, ...] = ()  # e.g. levels never observed in training and the value used instead

    def to_dict(self) -> dict[str, Any]:
        return {
            "record_count": self.record_count,
            "engine": self.engine,
            "em_blocking_rules": list(self.em_blocking_rules),
            "deterministic_rules": list(self.deterministic_rules),
            "recall": self.recall,
            "u_max_pairs": self.u_max_pairs,
            "seed": self.seed,
            "splink_version": self.splink_version,
            "notes": list(self.notes),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TrainingInfo:
        return cls(
            record_count=int(data["record_count"]),
            engine=data["engine"],
            em_blocking_rules=tuple(data.get("em_blocking_rules", ())),
            deterministic_rules=tuple(data.get("deterministic_rules", ())),
            recall=data.get("recall"),
            u_max_pairs=data.get("u_max_pairs"),
            seed=data.get("seed"),
            splink_version=data.get("splink_version", ""),
            notes=tuple(data.get("notes", ())),
        )


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Model:
    """A trained linkage model. `m[name][i]` / `u[name][i]` belong to `levels[i]` of comparison `name`
    (None for the null level). Thresholds are match weights: at or above `threshold_upper` a pair is a
    match, below `threshold_lower` a non-match, in between it goes to review."""

    version: str
    comparisons: tuple[ComparisonSpec, ...]
    m: Mapping[str, tuple[float | None, ...]]
    u: Mapping[str, tuple[float | None, ...]]
    probability_two_random_records_match: float
    threshold_upper: float
    threshold_lower: float
    created: str = field(default_factory=now_iso)
    training: TrainingInfo | None = None

    def __post_init__(self):
        object.__setattr__(self, "comparisons", tuple(self.comparisons))
        object.__setattr__(self, "m", {k: tuple(v) for k, v in self.m.items()})
        object.__setattr__(self, "u", {k: tuple(v) for k, v in self.u.items()})
        names = [spec.name for spec in self.comparisons]
        if len(set(names)) != len(names):
            raise ValueError("comparison names must be unique")
        if set(self.m) != set(names) or set(self.u) != set(names):
            raise ValueError("m and u must be given for exactly the model's comparisons")
        for spec in self.comparisons:
            m, u = self.m[spec.name], self.u[spec.name]
            if len(m) != len(spec.levels) or len(u) != len(spec.levels):
                raise ValueError(f"{spec.name}: one m and one u per level")
            for level, m_i, u_i in zip(spec.levels, m, u, strict=True):
                if level.is_null:
                    if m_i is not None or u_i is not None:
                        raise ValueError(f"{spec.name}: the null level has no m or u")
                    continue
                for value in (m_i, u_i):
                    # Splink 5 refuses values below its clamp, so a model it could not run is refused here
                    if value is None or not (M_U_CLAMP_MIN <= value <= 1):
                        raise ValueError(f"{spec.name} / {level.label}: m and u must be in [1e-300, 1]")
        if not (0 < self.probability_two_random_records_match < 1):
            raise ValueError("probability_two_random_records_match must be in (0, 1)")
        if self.threshold_lower > self.threshold_upper:
            raise ValueError("threshold_lower must not exceed threshold_upper")
        # weights are looked up for every pair scored: compute them once
        weights = {
            spec.name: tuple(level_match_weight(m_i, u_i) for m_i, u_i in zip(self.m[spec.name], self.u[spec.name],
                                                                               strict=True))
            for spec in self.comparisons
        }
        object.__setattr__(self, "_weights", weights)

    # ---- weights --------------------------------------------------------------------------------------

    @property
    def prior_match_weight(self) -> float:
        return probability_to_match_weight(self.probability_two_random_records_match)

    def comparison(self, name: str) -> ComparisonSpec:
        for spec in self.comparisons:
            if spec.name == name:
                return spec
        raise KeyError(name)

    def level_weights(self, name: str) -> tuple[float, ...]:
        """log2 Bayes factor of every level of one comparison (0 for the null level)."""
        return self._weights[name]

    def level_weight(self, name: str, level: int) -> float:
        return self._weights[name][level]

    def bayes_factor(self, name: str, level: int) -> float:
        """m/u of one level as Splink reports it (1 for the null level, clamped like the weight)."""
        m, u = self.m[name][level], self.u[name][level]
        if m is None:
            return 1.0
        return max(m, M_U_CLAMP_MIN) / max(u, M_U_CLAMP_MIN)

    def _level_indexes(self, levels: Sequence[int] | Mapping[str, int]) -> list[int]:
        if isinstance(levels, Mapping):
            return [levels[spec.name] for spec in self.comparisons]
        levels = list(levels)
        if len(levels) != len(self.comparisons):
            raise ValueError(f"expected {len(self.comparisons)} level indexes, got {len(levels)}")
        return levels

    def match_weight(self, levels: Sequence[int] | Mapping[str, int]) -> float:
        """Prior weight plus each comparison's level weight, summed in Splink's order.

        `levels` gives, per comparison (in order, or by name), the index into that comparison's `levels`.
        """
        total = self.prior_match_weight
        for spec, index in zip(self.comparisons, self._level_indexes(levels), strict=True):
            total = total + self._weights[spec.name][index]
        return total

    def match_probability(self, levels: Sequence[int] | Mapping[str, int]) -> float:
        return match_weight_to_probability(self.match_weight(levels))

    def band(self, match_weight: float) -> Band:
        if match_weight >= self.threshold_upper:
            return "match"
        if match_weight < self.threshold_lower:
            return "non_match"
        return "review"

    # ---- artefact -------------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        comparisons = []
        for spec in self.comparisons:
            data = spec.to_dict()
            for index, level in enumerate(data["levels"]):
                if not spec.levels[index].is_null:
                    level["m_probability"] = self.m[spec.name][index]
                    level["u_probability"] = self.u[spec.name][index]
                level["match_weight"] = self._weights[spec.name][index]  # informative
            comparisons.append(data)
        return {
            "format": FORMAT,
            "version": self.version,
            "created": self.created,
            "probability_two_random_records_match": self.probability_two_random_records_match,
            "prior_match_weight": self.prior_match_weight,  # informative
            "thresholds": {
                "upper_match_weight": self.threshold_upper,
                "lower_match_weight": self.threshold_lower,
                "upper_match_probability": match_weight_to_probability(self.threshold_upper),  # informative
                "lower_match_probability": match_weight_to_probability(self.threshold_lower),  # informative
            },
            "comparisons": comparisons,
            "training": None if self.training is None else self.training.to_dict(),
        }

    def to_json(self) -> str:
        """Stable JSON: fixed key order, two-space indent, Chinese kept readable, floats round-trip exactly."""
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2, allow_nan=False) + "\n"

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Model:
        if data.get("format") != FORMAT:
            raise ValueError(f"unsupported model format {data.get('format')!r}, expected {FORMAT}")
        comparisons, m, u = [], {}, {}
        for entry in data["comparisons"]:
            spec = ComparisonSpec.from_dict(entry)
            comparisons.append(spec)
            m[spec.name] = tuple(level.get("m_probability") for level in entry["levels"])
            u[spec.name] = tuple(level.get("u_probability") for level in entry["levels"])
        thresholds = data["thresholds"]
        training = data.get("training")
        return cls(
            version=data["version"],
            created=data["created"],
            comparisons=tuple(comparisons),
            m=m,
            u=u,
            probability_two_random_records_match=data["probability_two_random_records_match"],
            threshold_upper=thresholds["upper_match_weight"],
            threshold_lower=thresholds["lower_match_weight"],
            training=None if training is None else TrainingInfo.from_dict(training),
        )

    @classmethod
    def from_json(cls, text: str | bytes) -> Model:
        return cls.from_dict(json.loads(text))
