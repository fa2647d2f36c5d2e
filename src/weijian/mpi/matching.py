"""Real-time matching: a patient arriving from a source is standardised (`weijian.linkage`), the
records sharing one of its blocking keys are looked up in the indexed `BlockingKey` table, scored with
the active model, and the new identity is linked automatically (best weight ≥ the model's upper
threshold), given a new person and queued for review (between the thresholds), or given a new person
(below the lower one).

Keys shared by more than `CANDIDATE_CAP` identities (a hospital switchboard's phone, a placeholder ID)
are skipped and reported, as batch prediction caps them. Weights are the batch model's exactly
(`linkage.realtime`). Identities are scored one by one; the best identity of each person stands for it.
"""

from __future__ import annotations

import functools
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from django.db import connection, transaction
from django.db.models import Count, Max

from weijian.core import crypto
from weijian.linkage import realtime
from weijian.linkage.engines import DEFAULT_BLOCKING_CAP
from weijian.linkage.model import Model
from weijian.linkage.standardise.address import Gazetteer
from weijian.linkage.standardise.record import standardise_record
from weijian.mpi import services
from weijian.mpi.models import (
    BlockingKey,
    LinkageModel,
    LinkageModelStatus,
    LinkState,
    Person,
    ReviewItem,
    SourceIdentity,
)
from weijian.orgs.models import Division

BLOCKING_PURPOSE = "mpi-blocking-key"
CANDIDATE_CAP = DEFAULT_BLOCKING_CAP
REVIEW_CANDIDATES = 3  # possible matches queued per arrival, best first
BOOTSTRAP_MODEL = Path(__file__).with_name("bootstrap_model.json")


@dataclass(frozen=True)
class Arrival:
    """A patient as a source sent it: its key at the source and its raw demographics (`RAW_FIELDS` of
    `weijian.linkage.standardise.record`: name, sex, birth_date, id_number, phone, address)."""

    source_code: str
    local_id: str
    raw: dict
    institution_id: int | None = None
    patient_fhir_id: str = ""


@dataclass(frozen=True)
class Candidate:
    person_id: int
    identity_id: int
    score: realtime.Score


@dataclass
class MatchResult:
    record: dict  # the standardised record
    keys: list[str]  # blind indexes of its blocking keys
    capped: list[str] = field(default_factory=list)  # rule prefixes of keys skipped as over-full
    candidates: list[Candidate] = field(default_factory=list)  # best identity per person, best first
    decision: str = LinkState.NEW  # AUTO, POSSIBLE or NEW
    # persons the record must not be linked to automatically (`realtime.kept_apart`)
    kept_apart: dict[int, str] = field(default_factory=dict)  # person → reason (realtime.APART_*)

    @property
    def best(self) -> Candidate | None:
        return self.candidates[0] if self.candidates else None

    @property
    def linked_to(self) -> Candidate | None:
        """The candidate an AUTO decision links to: the best one not kept apart."""
        return next((c for c in self.candidates if c.person_id not in self.kept_apart), None)


# ---- the model and the gazetteer ------------------------------------------------------------------------


@functools.lru_cache(maxsize=4)
def _parse_model(version: str, text: str) -> Model:
    return Model.from_json(text)


def active_model() -> Model:
    """The active stored model, else the bootstrap model shipped with the code (trained on synthetic
    residents by `weijian mpi_train --synthetic`)."""
    row = LinkageModel.objects.filter(status=LinkageModelStatus.ACTIVE).values_list("version", "artefact").first()
    if row is None:
        return _bootstrap_model()
    return _parse_model(*row)


@functools.cache
def _bootstrap_model() -> Model:
    return Model.from_json(BOOTSTRAP_MODEL.read_text(encoding="utf-8"))


_gazetteers: dict[tuple, Gazetteer] = {}


def gazetteer() -> Gazetteer:
    """GB/T 2260 divisions for address parsing, rebuilt when the division table changes (one cheap query)."""
    stamp = tuple(Division.objects.aggregate(n=Count("code"), latest=Max("updated_at")).values())
    if stamp not in _gazetteers:
        _gazetteers.clear()
        _gazetteers[stamp] = Gazetteer.from_divisions(Division.objects.values_list("code", "name", "parent_id"))
    return _gazetteers[stamp]


def standardise(raw: dict, *, record_id: str = "new", places: Gazetteer | None = None) -> dict:
    return {**standardise_record(raw, places or gazetteer()), "record_id": record_id}


def hashed_keys(record: dict) -> dict[str, str]:
    """blind index → rule prefix ("id", "ph", "nb", …) of the record's blocking keys."""
    return {crypto.blind_index(key, purpose=BLOCKING_PURPOSE): key.split(":", 1)[0]
            for key in realtime.blocking_keys(record)}


# ---- matching (reads only) ----------------------------------------------------------------------------


def _candidate_identities(keys: dict[str, str], *, exclude: int | None) -> tuple[list[tuple], list[str]]:
    """(identity id, person id, standardised JSON) of the identities sharing a key, and the prefixes of
    keys skipped because more than CANDIDATE_CAP identities share them.

    One statement, not one ORM query per step: on this path (every arriving patient) building and
    compiling querysets cost more than the database's work. Each key is counted only up to CAP + 1
    members, so a switchboard phone shared by 10,000 patients costs 201 index entries, not 10,000."""
    if not keys:
        return [], []
    cap = int(CANDIDATE_CAP)
    if connection.vendor == "postgresql":
        wanted, keys_param = "unnest(%s::text[]) AS w(key)", list(keys)
    else:  # SQLite (and any engine with the JSON1 functions)
        wanted, keys_param = "(SELECT value AS key FROM json_each(%s)) AS w", json.dumps(list(keys))
    key_table, identity_table = BlockingKey._meta.db_table, SourceIdentity._meta.db_table
    sql = f"""
        WITH counts AS (
            SELECT w.key, (SELECT count(*) FROM (SELECT 1 FROM {key_table} b WHERE b.key = w.key
                                                 LIMIT {cap + 1}) AS s) AS n
            FROM {wanted})
        SELECT c.key, NULL, NULL, NULL FROM counts c WHERE c.n > {cap}
        UNION ALL
        SELECT NULL, i.id, i.person_id, i.standardised FROM {identity_table} i
        WHERE i.id IN (SELECT b.identity_id FROM {key_table} b JOIN counts c ON c.key = b.key
                       WHERE c.n <= {cap}) AND i.id <> %s"""
    with connection.cursor() as cursor:
        cursor.execute(sql, [keys_param, -1 if exclude is None else exclude])
        fetched = cursor.fetchall()
    capped = sorted({keys[row[0]] for row in fetched if row[0] is not None})
    return [row[1:] for row in fetched if row[0] is None], capped


def match(record: dict, model: Model, *, exclude_identity: int | None = None) -> MatchResult:
    """Score a standardised record against the index; decide nothing is written."""
    keys = hashed_keys(record)
    rows, capped = _candidate_identities(keys, exclude=exclude_identity)
    result = MatchResult(record=record, keys=list(keys), capped=capped)
    if not rows:
        return result
    person_of = {str(pk): person_id for pk, person_id, _text in rows}
    candidates = [{**json.loads(crypto.decrypt(text)), "record_id": str(pk)} for pk, _person, text in rows]
    seen = set()
    for record_id, levels, weight in realtime.rank(record, candidates, model):
        person_id = person_of[record_id]
        if person_id not in seen:  # the best identity of each person stands for it
            seen.add(person_id)
            result.candidates.append(
                Candidate(person_id, int(record_id), realtime.explain(record_id, levels, weight, model)))
    # Twins look like one person with a mistyped name: a person holding what proves another person (an ID
    # number, a birth order, a second attested name) is never linked automatically, as batch clustering
    # keeps such records apart (engines.cluster).
    result.kept_apart = realtime.kept_apart(record, candidates, person_of)
    allowed = result.linked_to
    if allowed is not None and allowed.score.match_weight >= model.threshold_upper:
        result.decision = LinkState.AUTO
    elif result.candidates[0].score.match_weight >= model.threshold_lower:
        result.decision = LinkState.POSSIBLE
    return result


# ---- linking arrivals (writes) ------------------------------------------------------------------------


def _store_keys(identity: SourceIdentity, keys: list[str]) -> None:
    BlockingKey.objects.filter(identity=identity).delete()
    BlockingKey.objects.bulk_create(BlockingKey(identity=identity, key=key) for key in keys)


def _link_new(arrival: Arrival, model: Model, upload_id, places) -> tuple[SourceIdentity, MatchResult]:
    record = standardise(arrival.raw, places=places)
    result = match(record, model)
    stored = {k: v for k, v in record.items() if k != "record_id"}
    best = result.linked_to if result.decision == LinkState.AUTO else result.best
    person = None
    if result.decision == LinkState.AUTO:
        person = Person.objects.get(pk=best.person_id)
    identity = services.identity_create(
        source_code=arrival.source_code, local_id=arrival.local_id, record=stored, person=person,
        state=result.decision, match_weight=best.score.match_weight if best else None,
        model_version=model.version, institution_id=arrival.institution_id,
        patient_fhir_id=arrival.patient_fhir_id, upload_id=upload_id)
    _store_keys(identity, result.keys)
    if result.decision == LinkState.POSSIBLE:
        ReviewItem.objects.bulk_create(
            ReviewItem(identity=identity, candidate_id=c.person_id, match_weight=c.score.match_weight,
                       match_probability=c.score.match_probability, comparison=comparison_rows(c.score),
                       model_version=model.version, kept_apart=result.kept_apart.get(c.person_id, ""))
            for c in result.candidates[:REVIEW_CANDIDATES] if c.score.match_weight >= model.threshold_lower)
    return identity, result


def _update_existing(identity: SourceIdentity, arrival: Arrival, places) -> bool:
    """A source sent a patient it had sent before: keep the link (a re-link job moves it if need be),
    refresh the demographics, keys and golden record when they changed."""
    record = standardise(arrival.raw, places=places)
    stored = {k: v for k, v in record.items() if k != "record_id"}
    if services.standardised_of(identity) == stored:
        return False
    identity.standardised = crypto.encrypt(json.dumps(stored, ensure_ascii=False))
    identity.patient_fhir_id = arrival.patient_fhir_id or identity.patient_fhir_id
    identity.save(update_fields=["standardised", "patient_fhir_id", "updated_at"])
    _store_keys(identity, list(hashed_keys(record)))
    services.refresh_golden(identity.person)
    return True


@dataclass
class Linked:
    counts: Counter  # auto / possible / new / updated / unchanged, and capped:<rule>
    capped: list[list[str]]  # per arrival, the rules of its keys skipped as over-full


def link_arrivals(arrivals: list[Arrival], *, upload_id: int | None = None, model: Model | None = None) -> Linked:
    """Link each arriving patient (in order: an earlier one can be the later one's match)."""
    linked = Linked(Counter(), [])
    counts = linked.counts
    if not arrivals:
        return linked
    model = model or active_model()
    places = gazetteer()
    with transaction.atomic():
        existing = {(i.source_code, i.local_id): i for i in SourceIdentity.objects.select_related("person").filter(
            source_code__in={a.source_code for a in arrivals},
            local_id__in={a.local_id for a in arrivals})}
        for arrival in arrivals:
            identity = existing.get((arrival.source_code, arrival.local_id))
            if identity is not None:
                counts["updated" if _update_existing(identity, arrival, places) else "unchanged"] += 1
                linked.capped.append([])
                continue
            identity, result = _link_new(arrival, model, upload_id, places)
            existing[(arrival.source_code, arrival.local_id)] = identity
            counts[result.decision] += 1
            linked.capped.append(result.capped)
            for rule in result.capped:
                counts[f"capped:{rule}"] += 1
    return linked


def comparison_rows(score: realtime.Score) -> list[dict]:
    """Per field: comparison, level label and title, weight — no personal values (stored on review items)."""
    return [{"comparison": f.comparison, "title": f.comparison_title, "level": f.label, "level_title": f.title,
             "match_weight": round(f.match_weight, 4), "is_null": f.is_null} for f in score.fields]
