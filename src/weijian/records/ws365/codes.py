"""Checking coded cells against the terminology: `CodeChecker` and the two ways of building one.

The checker is asked once per coded cell, so it answers from memory: `terminology_checker` reads each
needed code system's active codes once; `seed_checker` answers from the built-in seed list (no database:
templates, the demo city, unit tests).
"""

import re
from typing import Protocol

from weijian.records.ws365.datasets import DATASETS
from weijian.terminology.seed import SYSTEMS, code_system_url

# Systems whose codes have a fixed shape. ICD-10 is loaded on demand and may be absent: then its shape is
# all that can be checked. GB/T 2260 holds only the platform's own divisions (content "fragment"), so a
# well-formed code outside it is still accepted.
PATTERNS = {
    "icd-10": re.compile(r"^[A-Z][0-9]{2}(\.[0-9A-Z]{1,4})?$"),
    "gb-t-2260": re.compile(r"^[1-8][0-9]{5}$"),
}
FRAGMENTS = frozenset({"gb-t-2260"})


class CodeChecker(Protocol):
    def display(self, slug: str, code: str) -> str | None:
        """The display of an active code of that code system ("" when valid by shape only), None if not valid."""


def needed_slugs() -> list[str]:
    return sorted({c.value_set for d in DATASETS.values() for c in d.columns if c.value_set})


class MemoryChecker:
    """Answers from {slug: {code: display}}; a slug with no codes falls back to its pattern, if it has one."""

    def __init__(self, concepts: dict[str, dict[str, str]]):
        self.concepts = concepts

    def display(self, slug: str, code: str) -> str | None:
        pattern = PATTERNS.get(slug)
        if pattern is not None and not pattern.match(code):
            return None
        known = self.concepts.get(slug) or {}
        if code in known:
            return known[code]
        if pattern is not None and (not known or slug in FRAGMENTS):
            return ""
        return None


def terminology_checker() -> CodeChecker:
    """Loads the active codes of every code system the data sets use (the current version of each), once."""
    from weijian.terminology.services import resolve_code_system

    concepts = {}
    for slug in needed_slugs():
        system = resolve_code_system(code_system_url(slug))
        rows = system.concepts.filter(is_active=True).values_list("code", "display") if system else []
        concepts[slug] = dict(rows)
    return MemoryChecker(concepts)


def seed_checker() -> CodeChecker:
    """The built-in seed's codes; ICD-10 and GB/T 2260 by pattern only."""
    return MemoryChecker({slug: {code: display for code, display, _parent in rows}
                          for slug, _name, _title, _standard, _version, _publisher, rows in SYSTEMS})
