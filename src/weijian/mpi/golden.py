"""Survivorship: which identity's value becomes the golden record's, field by field (pure functions).

Rules, as the commission set them:
- ID number: the most trusted source's valid, consistent ID (trust: the caller's ranking of sources),
  ties to the most recent;
- birth date and sex: the value most identities agree on (most complete), ties to the most recent;
- name, phone, address: the most recent non-empty value.
Each chosen value names the identity it came from and the rule, for the person page.
"""

from collections import Counter
from dataclasses import dataclass


@dataclass(frozen=True)
class Candidate:
    identity_id: int
    received: str  # ISO timestamp: later wins ties
    trust: int  # higher is more trusted (e.g. hospital EMR above a self-reported form)
    record: dict  # a standardised record (weijian.linkage)


FIELDS = ("name", "sex", "birth_date", "id_number", "phone", "address", "address_district")


def _most_recent(candidates: list[Candidate], field: str):
    for candidate in sorted(candidates, key=lambda c: (c.received, c.identity_id), reverse=True):
        if candidate.record.get(field):
            return candidate.record[field], candidate.identity_id, "most_recent"
    return "", None, ""


def _most_common(candidates: list[Candidate], field: str):
    values = Counter(c.record[field] for c in candidates if c.record.get(field))
    if not values:
        return "", None, ""
    best = max(values.values())
    for candidate in sorted(candidates, key=lambda c: (c.received, c.identity_id), reverse=True):
        if values.get(candidate.record.get(field)) == best:
            return candidate.record[field], candidate.identity_id, "most_complete"
    return "", None, ""


def _most_trusted_id(candidates: list[Candidate]):
    usable = [c for c in candidates if c.record.get("id_number") and c.record.get("id_consistent")]
    if not usable:
        return _most_recent(candidates, "id_number") if any(
            c.record.get("id_status") in ("valid", "legacy15") for c in candidates) else ("", None, "")
    chosen = max(usable, key=lambda c: (c.trust, c.received, c.identity_id))
    return chosen.record["id_number"], chosen.identity_id, "most_trusted"


def survive(candidates: list[Candidate]) -> dict[str, tuple]:
    """field → (value, identity id, rule) for the golden record."""
    if not candidates:
        return {field: ("", None, "") for field in FIELDS}
    chosen = {
        "id_number": _most_trusted_id(candidates),
        "birth_date": _most_common(candidates, "birth_date"),
        "sex": _most_common(candidates, "sex"),
    }
    for field in ("name", "phone", "address", "address_district"):
        chosen[field] = _most_recent(candidates, field)
    return chosen
