"""The store's write engine: new versions of resources with their history and search index.

`apply_changes` is the one place resources are written. It runs inside the caller's transaction (a
transaction Bundle, a chunk of a bulk import), so everything it does commits or rolls back together.
It reads the current rows of every resource it touches once, locks them on PostgreSQL, and writes new
rows with the bulk writer of the import framework (binary COPY on PostgreSQL), so a chunk of thousands
of resources is a handful of statements. No audit here: the callers audit per request or per batch.

What a write needs that does not depend on the stored rows (content hash, index rows, the encrypted
body) is `prepare`d first. A bulk import prepares in its checker processes, in parallel, so the one
process that writes does little more per resource than put the prepared parts together.
"""

import hashlib
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import orjson
from django.db import connection
from django.utils import timezone

from weijian.core import crypto
from weijian.core.errors import BusinessError
from weijian.imports.bulk import field_in, insert_rows, reserve_ids
from weijian.records import patients, searchparams
from weijian.records.errors import RecordsErrorCode as E
from weijian.records.identity import CITIZEN_ID_SYSTEM
from weijian.records.models import (
    DateIndex,
    ReferenceIndex,
    Resource,
    ResourceVersion,
    StringIndex,
    TokenIndex,
)

ID_PURPOSE = "citizen-id-number"
PERSON_TYPES = ("Patient", "Practitioner", "RelatedPerson")
INDEX_MODELS = (TokenIndex, StringIndex, DateIndex, ReferenceIndex)


@dataclass
class Prepared:
    """A resource ready to write, whatever version it becomes (see `prepare`)."""
    digest: str  # content_hash
    body: bytes  # the JSON members after resourceType, id and meta, ID numbers encrypted: b'"status":…' or b''
    meta: dict  # the sent meta, without versionId and lastUpdated
    index: searchparams.IndexRows
    patient: str  # the Patient compartment, "" when none


@dataclass
class Change:
    type: str
    fhir_id: str
    resource: dict | None  # None (and no `prepared`): delete
    method: str = "PUT"  # POST, PUT or DELETE
    if_match: int | None = None
    entry: int = 0  # position in the request, for error messages
    prepared: Prepared | None = None  # instead of `resource`, when prepared elsewhere

    @property
    def is_delete(self) -> bool:
        return self.resource is None and self.prepared is None


class _Row:
    """The store's view of one resource row while a call writes it (lighter than a model instance: a bulk
    chunk makes thousands)."""
    __slots__ = ("pk", "type", "fhir_id", "version", "deleted", "content_hash", "source_id", "content",
                 "patient", "updated", "index")

    def __init__(self, pk, type_, fhir_id, version, deleted, content_hash="", source_id=None):
        self.pk, self.type, self.fhir_id, self.version, self.deleted = pk, type_, fhir_id, version, deleted
        self.content_hash, self.source_id = content_hash, source_id
        self.content, self.patient, self.updated, self.index = "", "", None, None


@dataclass
class Outcome:
    type: str
    fhir_id: str
    status: str  # created | updated | unchanged | deleted | absent
    version: int
    updated: object
    pk: int
    content: str = ""


def dumps(resource: dict) -> str:
    return orjson.dumps(resource).decode()


def content_hash(resource: dict) -> str:
    """Of everything but id and meta: the same clinical content sent twice hashes the same."""
    body = {k: v for k, v in resource.items() if k not in ("id", "meta")}
    return hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()


def id_number_index(value: str) -> str:
    return crypto.blind_index(value.strip().upper(), purpose=ID_PURPOSE)


def _protect_identifiers(resource: dict, tokens: list) -> None:
    """Citizen ID numbers are stored encrypted and indexed by their keyed blind index, never in clear.
    The identifiers are copied first: the caller's resource (the request) must stay as sent."""
    if not isinstance(resource.get("identifier"), list):
        return
    resource["identifier"] = [dict(i) if isinstance(i, dict) else i for i in resource["identifier"]]
    for identifier in resource["identifier"]:
        if isinstance(identifier, dict) and identifier.get("system") == CITIZEN_ID_SYSTEM \
                and isinstance(identifier.get("value"), str) and not identifier["value"].startswith("v1$"):
            plain = identifier["value"]
            identifier["value"] = crypto.encrypt(plain)
            tokens[:] = [(p, s, id_number_index(plain) if s == CITIZEN_ID_SYSTEM and c == plain else c)
                         for p, s, c in tokens]


def reveal(content: str) -> str:
    """The stored JSON as a client reads it: citizen ID numbers decrypted."""
    if CITIZEN_ID_SYSTEM not in content:
        return content
    resource = orjson.loads(content)
    for identifier in resource.get("identifier", ()):
        if identifier.get("system") == CITIZEN_ID_SYSTEM and str(identifier.get("value", "")).startswith("v1$"):
            identifier["value"] = crypto.decrypt(identifier["value"])
    return dumps(resource)


def last_updated_text(moment) -> str:
    return timezone.localtime(moment).isoformat(timespec="milliseconds")


def prepare(type_: str, fhir_id: str, resource: dict) -> Prepared:
    """The version-independent parts of writing `resource` (as validated; the caller's dict is not changed)."""
    shaped = {"resourceType": type_, "id": fhir_id,
              **{k: v for k, v in resource.items() if k not in ("resourceType", "id", "meta")}}
    index = searchparams.extract(shaped)
    patient = searchparams.patient_of(shaped)
    if type_ in PERSON_TYPES:
        _protect_identifiers(shaped, index.tokens)
    del shaped["resourceType"], shaped["id"]
    meta = {k: v for k, v in (resource.get("meta") or {}).items() if k not in ("versionId", "lastUpdated")}
    return Prepared(content_hash(resource), orjson.dumps(shaped)[1:-1], meta, index, patient)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def pack(prepared: Prepared) -> tuple:
    """`prepared` as plain values, cheap to pickle between processes (datetimes as epoch microseconds)."""
    index = prepared.index
    return (prepared.digest, prepared.body, prepared.meta, index.tokens, index.strings,
            [(param, (low - _EPOCH) // _MICROSECOND, (high - _EPOCH) // _MICROSECOND)
             for param, low, high in index.dates], index.references, prepared.patient)


def unpack(packed: tuple) -> Prepared:
    digest, body, meta, tokens, strings, dates, references, patient = packed
    dates = [(param, _EPOCH + timedelta(microseconds=low), _EPOCH + timedelta(microseconds=high))
             for param, low, high in dates]
    return Prepared(digest, body, meta, searchparams.IndexRows(tokens, strings, dates, references), patient)


def _content(type_: str, fhir_id: str, version: int, stamp: str, prepared: Prepared) -> str:
    """The stored JSON, keys in the order resourceType, id, meta, then the body as sent."""
    meta = orjson.dumps({"versionId": str(version), "lastUpdated": stamp, **prepared.meta})
    head = b'{"resourceType":%b,"id":%b,"meta":%b' % (orjson.dumps(type_), orjson.dumps(fhir_id), meta)
    return (head + (b"," + prepared.body if prepared.body else b"") + b"}").decode()


def _current(changes: list[Change]) -> dict[tuple[str, str], _Row]:
    by_type = defaultdict(set)
    for change in changes:
        by_type[change.type].add(change.fhir_id)
    found = {}
    for type_, ids in by_type.items():
        rows = Resource.objects.filter(field_in("fhir_id", sorted(ids)), type=type_).order_by("id")
        if connection.vendor == "postgresql":
            rows = rows.select_for_update()
        for values in rows.values_list("id", "type", "fhir_id", "version", "deleted", "content_hash", "source_id"):
            found[(values[1], values[2])] = _Row(*values)
    return found


def apply_changes(changes: list[Change], *, source=None, institution_id=None, upload_id=None) -> list[Outcome]:
    """Write `changes` in order (call inside a transaction). Raises BusinessError (version conflict,
    id owned by another source); the caller's transaction then rolls back everything."""
    now = timezone.now()
    stamp = last_updated_text(now)
    current = _current(changes)
    outcomes: list[Outcome] = []
    new_rows, changed_rows, versions, index_rows = [], {}, [], []
    source_id = source.pk if source is not None else None
    for change in changes:
        key = (change.type, change.fhir_id)
        row = current.get(key)
        if change.if_match is not None and (row is None or row.deleted or row.version != change.if_match):
            raise BusinessError(E.VERSION_CONFLICT, entry=change.entry, resource=f"{change.type}/{change.fhir_id}",
                                expected=change.if_match, actual=row.version if row else None)
        if row is not None and source_id is not None and row.source_id not in (None, source_id):
            raise BusinessError(E.ID_OWNED_BY_OTHER_SOURCE, entry=change.entry,
                                resource=f"{change.type}/{change.fhir_id}")
        if change.is_delete:
            if row is None or row.deleted:
                outcomes.append(Outcome(change.type, change.fhir_id, "absent", row.version if row else 0, now,
                                        row.pk if row else 0))
                continue
            row.version += 1
            row.deleted = True
            row.updated = now
            if row.pk is not None:
                changed_rows[row.pk] = row
            versions.append((row, row.version, now, "DELETE", True, "", upload_id))
            outcomes.append(Outcome(change.type, change.fhir_id, "deleted", row.version, now, row.pk or 0))
            continue
        prepared = change.prepared or prepare(change.type, change.fhir_id, change.resource)
        if row is not None and not row.deleted and row.content_hash == prepared.digest:
            outcomes.append(Outcome(change.type, change.fhir_id, "unchanged", row.version, now, row.pk))
            continue
        version = 1 if row is None else row.version + 1
        content = _content(change.type, change.fhir_id, version, stamp, prepared)
        if row is None:
            row = _Row(None, change.type, change.fhir_id, 1, False)
            current[key] = row
            new_rows.append(row)
            status = "created"
        else:
            row.version, row.deleted = version, False
            if row.pk is not None:
                changed_rows[row.pk] = row
            status = "updated"
        row.content, row.content_hash, row.patient, row.updated = content, prepared.digest, prepared.patient, now
        row.index = prepared.index
        versions.append((row, version, now, change.method, False, content, upload_id))
        outcomes.append(Outcome(change.type, change.fhir_id, status, version, now, row.pk or 0, content))
        index_rows.append(row)

    if new_rows:
        ids = reserve_ids(Resource, len(new_rows))
        for row, pk in zip(new_rows, ids, strict=True):
            row.pk = pk
        insert_rows(Resource, ["id", "type", "fhir_id", "version", "updated", "deleted", "content", "content_hash",
                               "patient", "source_id", "institution_id"],
                    ((r.pk, r.type, r.fhir_id, r.version, r.updated, r.deleted, r.content, r.content_hash, r.patient,
                      source_id, institution_id) for r in new_rows))
    if changed_rows:
        _update_rows(changed_rows, now)
        _delete_index_rows(list(changed_rows))
    for outcome in outcomes:
        if not outcome.pk:
            outcome.pk = current[(outcome.type, outcome.fhir_id)].pk
    insert_rows(ResourceVersion, ["resource_id", "version", "updated", "method", "deleted", "content", "upload_id"],
                ((r.pk, v, t, m, d, c, u) for r, v, t, m, d, c, u in versions))
    _write_index(index_rows)
    patients.link_written(changes, outcomes, source=source, upload_id=upload_id)
    return outcomes


def _update_rows(changed: dict, now) -> None:
    """One prepared UPDATE run for every changed row (`executemany`: SQLite loops in C, psycopg pipelines),
    instead of a query built per row. Rows changed twice in one call keep their last state (keyed by pk)."""
    table = connection.ops.quote_name(Resource._meta.db_table)
    stamp = connection.ops.adapt_datetimefield_value(now)
    live = [(row.version, stamp, row.content, row.content_hash, row.patient, pk)
            for pk, row in changed.items() if not row.deleted]
    gone = [(row.version, stamp, pk) for pk, row in changed.items() if row.deleted]
    with connection.cursor() as cursor:
        if live:
            cursor.executemany(f"UPDATE {table} SET version = %s, deleted = false, updated = %s, content = %s, "
                               f"content_hash = %s, patient = %s WHERE id = %s", live)
        if gone:
            cursor.executemany(f"UPDATE {table} SET version = %s, deleted = true, updated = %s WHERE id = %s", gone)


def _delete_index_rows(resource_ids: list[int]) -> None:
    """Drop the index rows of re-written resources, the ids passed as ONE parameter (an array on PostgreSQL,
    JSON on SQLite) rather than a placeholder each."""
    import json

    with connection.cursor() as cursor:
        for model in INDEX_MODELS:
            table = connection.ops.quote_name(model._meta.db_table)
            if connection.vendor == "postgresql":
                cursor.execute(f"DELETE FROM {table} WHERE resource_id = ANY(%s)", [resource_ids])
            elif connection.vendor == "sqlite":
                cursor.execute(f"DELETE FROM {table} WHERE resource_id IN (SELECT value FROM json_each(%s))",
                               [json.dumps(resource_ids)])
            else:
                model.objects.filter(resource_id__in=resource_ids).delete()


def _write_index(rows: list[_Row]) -> None:
    seen = set()
    tokens, strings, dates, references = [], [], [], []
    for row in reversed(rows):  # a resource written twice in one call: index its last version only
        if row.pk in seen:
            continue
        seen.add(row.pk)
        if row.deleted:
            continue
        index, pk, type_ = row.index, row.pk, row.type
        tokens.extend((pk, type_, p, s, c) for p, s, c in index.tokens)
        strings.extend((pk, type_, p, v) for p, v in index.strings)
        dates.extend((pk, type_, p, lo, hi) for p, lo, hi in index.dates)
        references.extend((pk, type_, p, t, i) for p, t, i in index.references)
    if tokens:
        insert_rows(TokenIndex, ["resource_id", "type", "param", "system", "code"], tokens)
    if strings:
        insert_rows(StringIndex, ["resource_id", "type", "param", "value"], strings)
    if dates:
        insert_rows(DateIndex, ["resource_id", "type", "param", "low", "high"], dates)
    if references:
        insert_rows(ReferenceIndex, ["resource_id", "type", "param", "target_type", "target_id"], references)
