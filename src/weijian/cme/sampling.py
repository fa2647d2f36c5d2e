"""Stratified random sampling for project spot checks. Pure Python: no Django, no database.

The frame is split into strata (level, district); from each stratum of size n we draw ceil(rate × n)
projects, so every stratum, and therefore the whole sample, meets the rate. The draw is a function of
its inputs only: candidates are sorted by id, strata visited in key order and one `random.Random(seed)`
is used throughout, so anyone holding the seed can re-draw the same sample.

With risk weighting, each stratum is sampled without replacement with probability proportional to
weight, by the Efraimidis–Spirakis method: key = u ** (1 / w) with u uniform in [0, 1); the k largest
keys win.
"""

import math
import random
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction


@dataclass(frozen=True)
class Candidate:
    id: int
    level: str
    district: str
    weight: float = 1.0

    @property
    def stratum(self) -> str:
        return f"{self.level}|{self.district}"


@dataclass(frozen=True)
class Stratum:
    key: str
    size: int
    chosen: tuple[Candidate, ...]


def _fraction(rate) -> Fraction:
    value = Fraction(str(rate))
    if not 0 < value <= 1:
        raise ValueError("rate must be in (0, 1]")
    return value


def quota(size: int, rate) -> int:
    """ceil(rate × size), computed exactly (0.15 × 20 is 3, not 3.0000000000000004 → 4)."""
    return math.ceil(_fraction(rate) * size)


def es_key(rng: random.Random, weight: float) -> float:
    if weight <= 0:
        raise ValueError("weights must be positive")
    return rng.random() ** (1.0 / weight)


def draw(candidates: Iterable[Candidate], rate, seed: int, *, weighted: bool = False) -> list[Stratum]:
    """The sample, stratum by stratum (in key order); chosen candidates sorted by id."""
    _fraction(rate)
    rng = random.Random(seed)
    strata: dict[str, list[Candidate]] = defaultdict(list)
    seen = set()
    for candidate in sorted(candidates, key=lambda c: c.id):
        if candidate.id in seen:
            raise ValueError(f"duplicate candidate {candidate.id}")
        seen.add(candidate.id)
        strata[candidate.stratum].append(candidate)
    result = []
    for key in sorted(strata):
        members = strata[key]
        k = quota(len(members), rate)
        if weighted:
            keyed = [(es_key(rng, m.weight), m) for m in members]
            keyed.sort(key=lambda pair: (-pair[0], pair[1].id))
            chosen = [m for _, m in keyed[:k]]
        else:
            chosen = rng.sample(members, k)
        result.append(Stratum(key, len(members), tuple(sorted(chosen, key=lambda c: c.id))))
    return result


def chosen_ids(strata: Iterable[Stratum]) -> list[int]:
    return sorted(c.id for s in strata for c in s.chosen)
