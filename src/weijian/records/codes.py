"""Codes in uploaded resources, against the terminology: known code systems are checked, and a source's
local codes gain the standard coding its concept map gives (so a hospital may keep sending its own codes).

The catalogue is read from the terminology tables once and kept for a minute per process: checking a
million codings must not cost a query each. Terminology edits reach uploads within that minute
(`reset()` makes them immediate, as the terminology pages' tests do)."""

import time
from dataclasses import dataclass, field

from weijian.terminology.models import (
    CodeSystem,
    CodeSystemContent,
    Concept,
    ConceptMap,
    ConceptMapElement,
    ResourceStatus,
)

TTL_SECONDS = 60


@dataclass
class Catalogue:
    codes: dict[str, dict[str, str]] = field(default_factory=dict)  # system url -> active code -> display
    maps: dict[str, list[tuple[str, dict[str, tuple[str, str]]]]] = field(default_factory=dict)
    # source system url -> [(target system url, local code -> (target code, target display))]
    loaded_at: float = 0.0

    def known(self, system: str) -> bool:
        return system in self.codes

    def display(self, system: str, code: str) -> str | None:
        return self.codes.get(system, {}).get(code)

    def translate(self, system: str, code: str) -> list[tuple[str, str, str]]:
        return [(target, *mapping[code]) for target, mapping in self.maps.get(system, ()) if code in mapping]


_cache: list[Catalogue] = []


def _load() -> Catalogue:
    catalogue = Catalogue(loaded_at=time.monotonic())
    # Only complete code systems can say a code is wrong; a fragment (the platform's own divisions) cannot.
    systems = dict(CodeSystem.objects.exclude(status=ResourceStatus.RETIRED)
                   .filter(content=CodeSystemContent.COMPLETE, concepts__isnull=False)
                   .distinct().values_list("pk", "url"))
    for url in systems.values():
        catalogue.codes.setdefault(url, {})
    rows = Concept.objects.filter(code_system_id__in=list(systems), is_active=True)
    for system_id, code, display in rows.values_list("code_system_id", "code", "display").iterator(chunk_size=5000):
        catalogue.codes[systems[system_id]][code] = display
    maps = {pk: (source, target) for pk, source, target in ConceptMap.objects.exclude(status=ResourceStatus.RETIRED)
            .values_list("pk", "source_system", "target_system")}
    by_map: dict[int, dict[str, tuple[str, str]]] = {pk: {} for pk in maps}
    for map_id, code, target, display in ConceptMapElement.objects.filter(concept_map_id__in=list(maps)).exclude(
            target_code="").values_list("concept_map_id", "source_code", "target_code", "target_display"):
        by_map[map_id].setdefault(code, (target, display))
    for pk, (source, target) in maps.items():
        catalogue.maps.setdefault(source, []).append((target, by_map[pk]))
    return catalogue


def catalogue() -> Catalogue:
    if not _cache or time.monotonic() - _cache[0].loaded_at > TTL_SECONDS:
        _cache[:] = [_load()]
    return _cache[0]


def reset() -> None:
    _cache.clear()
