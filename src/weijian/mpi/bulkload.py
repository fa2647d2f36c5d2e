"""Load a batch linkage run into the master patient index in bulk: one person per cluster, its source
identities, their blocking keys and the link history, as `matching.link_arrivals` would have written them
one arrival at a time (the first identity of a cluster as a new person, the others linked automatically).

For a first load of a city's existing records (and for benchmarks): a million identities through
`link_arrivals` would cost an hour of per-row queries; here every table gets its rows by binary COPY on
PostgreSQL (one prepared `executemany` on SQLite, `imports.bulk.insert_rows`), ids reserved up front.

The stored values are the real-time path's own: the standardised record as `matching.standardise` makes it
(encrypted JSON, same keys, same order; the source and local ID are on the identity row, not in the JSON,
as for an arrival), the blocking keys from `matching.hashed_keys`, and the golden record by the survivorship
rules of `services.refresh_golden`. Each chunk of persons is one transaction: an interrupted load leaves
whole persons behind, never half of one.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from django.db import transaction
from django.utils import timezone

from weijian.core import crypto
from weijian.imports.bulk import field_in, insert_rows, reserve_ids
from weijian.linkage import realtime
from weijian.linkage.standardise.record import STANDARDISED_COLUMNS
from weijian.mpi import golden, matching, services
from weijian.mpi.models import BlockingKey, LinkEvent, LinkEventKind, LinkState, Person, SourceIdentity
from weijian.workforce.idnumber import mask_id_number

CHUNK_PERSONS = 10_000
_STORED = tuple(column for column in STANDARDISED_COLUMNS if column != "record_id")
# An arrival's raw demographics carry no source or local ID (they are the identity's own columns), so the
# standardised JSON `link_arrivals` stores has them empty: the same here.
_BLANK = ("source", "local_id")


@dataclass
class Loaded:
    persons: int = 0
    identities: int = 0
    keys: int = 0
    identity_ids: dict[str, int] = field(default_factory=dict)  # record_id → SourceIdentity id
    person_ids: dict[str, int] = field(default_factory=dict)  # record_id → Person id


def _columns(frame: pd.DataFrame) -> dict[str, list]:
    """The frame's columns as lists of plain Python values (numpy bools become bools)."""
    return {column: frame[column].tolist() for column in STANDARDISED_COLUMNS}


def _stored(columns: dict[str, list], row: int) -> dict:
    """Row `row` as `link_arrivals` stores it: `matching.standardise`'s record without its record_id."""
    record = {column: columns[column][row] for column in _STORED}
    for key in _BLANK:
        record[key] = ""
    return record


def _new_empis(count: int) -> list[str]:
    """`count` distinct 主索引号 in `services.new_empi`'s form, none already taken."""
    chosen: set[str] = set()
    while len(chosen) < count:
        wanted = count - len(chosen)
        drawn = {f"P{secrets.randbelow(10**15):015d}" for _ in range(wanted)}  # 15 random digits
        drawn -= chosen
        taken = set(Person.objects.filter(field_in("empi", sorted(drawn))).values_list("empi", flat=True))
        chosen |= drawn - taken
    return list(chosen)


def _golden_fields(members: list[tuple[int, dict]], received: str) -> dict:
    """The person's golden record from its identities, exactly as `services.refresh_golden` sets it."""
    chosen = golden.survive([golden.Candidate(identity_id, received, 0, record) for identity_id, record in members])
    id_number = chosen["id_number"][0]
    phone = chosen["phone"][0]
    birth = chosen["birth_date"][0]
    return {
        "name": chosen["name"][0][:64],
        "sex": chosen["sex"][0][:1],
        "birth_date": dt.date.fromisoformat(birth) if birth else None,
        "id_number_encrypted": crypto.encrypt(id_number) if id_number else "",
        "id_number_index": crypto.blind_index(id_number, purpose=services.ID_PURPOSE) if id_number else "",
        "id_number_masked": mask_id_number(id_number) if id_number else "",
        "phone_encrypted": crypto.encrypt(phone) if phone else "",
        "phone_masked": services.mask_phone(phone),
        "address": chosen["address"][0][:255],
        "address_district": chosen["address_district"][0][:6],
        "survivorship": {name: {"identity": identity_id, "rule": rule}
                         for name, (_value, identity_id, rule) in chosen.items() if identity_id},
    }


def _hashed_keys(record: dict, blind: dict[str, str]) -> list[str]:
    """`matching.hashed_keys` of the record (its blind indexes, the same order), remembering the digests."""
    out = []
    for key in realtime.blocking_keys(record):
        digest = blind.get(key)
        if digest is None:
            digest = blind[key] = crypto.blind_index(key, purpose=matching.BLOCKING_PURPOSE)
        out.append(digest)
    return list(dict.fromkeys(out))


_PERSON_COLUMNS = ("id", "empi", "name", "sex", "birth_date", "id_number_encrypted", "id_number_index",
                   "id_number_masked", "phone_encrypted", "phone_masked", "address", "address_district",
                   "survivorship", "merged_into_id", "active", "created_at", "updated_at")
_IDENTITY_COLUMNS = ("id", "source_code", "local_id", "institution_id", "patient_fhir_id", "person_id", "link_state",
                     "match_weight", "model_version", "standardised", "received_at", "created_at", "updated_at")
_EVENT_COLUMNS = ("identity_id", "kind", "from_person_id", "to_person_id", "state", "match_weight", "actor_id",
                  "reason", "upload_id", "at")


def _load_chunk(clusters: list[list[int]], columns: dict[str, list], *, model_version: str, now: dt.datetime,
                loaded: Loaded) -> None:
    count = sum(len(members) for members in clusters)
    person_ids = reserve_ids(Person, len(clusters))
    identity_ids = iter(reserve_ids(SourceIdentity, count))
    empis = _new_empis(len(clusters))
    received = now.isoformat()
    blind: dict[str, str] = {}  # households share phones and addresses: each key value hashed once
    persons, identities, events, keys = [], [], [], []
    for person_id, empi, members in zip(person_ids, empis, clusters, strict=True):
        stored_members = []
        for position, row in enumerate(members):
            record_id, record = columns["record_id"][row], _stored(columns, row)
            source_code, local_id = columns["source"][row][:32], columns["local_id"][row][:64]
            identity_id = next(identity_ids)
            state = LinkState.NEW if position == 0 else LinkState.AUTO
            identities.append((identity_id, source_code, local_id, None, "", person_id, state, None, model_version,
                               crypto.encrypt(json.dumps(record, ensure_ascii=False)), now, now, now))
            events.append((identity_id, LinkEventKind.LINK, None, person_id, state, None, None, "", None, now))
            keys.extend((identity_id, key) for key in _hashed_keys(record, blind))
            stored_members.append((identity_id, record))
            loaded.identity_ids[record_id] = identity_id
            loaded.person_ids[record_id] = person_id
        fields = _golden_fields(stored_members, received)
        persons.append((person_id, empi, *(fields[name] for name in _PERSON_COLUMNS[2:13]), None, True, now, now))
    with transaction.atomic():
        insert_rows(Person, _PERSON_COLUMNS, persons)
        insert_rows(SourceIdentity, _IDENTITY_COLUMNS, identities)
        insert_rows(LinkEvent, _EVENT_COLUMNS, events)
        insert_rows(BlockingKey, ("identity_id", "key"), keys)
    loaded.persons += len(persons)
    loaded.identities += len(identities)
    loaded.keys += len(keys)


def load_clustered(frame: pd.DataFrame, clusters: Mapping[str, Hashable], *, model_version: str,
                   chunk_persons: int = CHUNK_PERSONS, received_at: dt.datetime | None = None) -> Loaded:
    """Write a clustered batch run into the MPI tables: one Person per cluster (a record missing from
    `clusters` is a cluster of its own), one SourceIdentity per record (`source` and `local_id` of the
    frame; the cluster's first record `new`, the others `auto`), its LinkEvent and its blocking keys.

    `frame` is `standardise_frame`'s output (with `record_id`, `source`, `local_id`), standardised with
    the gazetteer real-time matching uses; `clusters` maps record_id → cluster (`engines.cluster`).
    Returns the counts and record_id → identity and person ids."""
    missing = {"record_id", "source", "local_id"}.difference(frame.columns)
    if missing:
        raise ValueError(f"the frame needs the columns {sorted(missing)}")
    now = received_at or timezone.now()
    columns = _columns(frame)
    empty = [row for row, (source, local) in enumerate(zip(columns["source"], columns["local_id"], strict=True))
             if not source or not local]
    if empty:
        raise ValueError(f"record {columns['record_id'][empty[0]]}: an identity needs a source and a local ID")
    # rows grouped by cluster, clusters in the order of their first record, records in frame order
    keys = [clusters.get(record_id, ("own", record_id)) for record_id in columns["record_id"]]
    codes, _uniques = pd.factorize(pd.Series(keys, dtype=object), sort=False)
    order = np.argsort(codes, kind="stable")
    starts = np.flatnonzero(np.r_[True, codes[order][1:] != codes[order][:-1]]) if len(order) else order
    bounds = np.r_[starts, len(order)].tolist()
    order = order.tolist()
    loaded = Loaded()
    for first in range(0, len(starts), chunk_persons):
        last = min(first + chunk_persons, len(starts))
        members = [order[bounds[i]:bounds[i + 1]] for i in range(first, last)]
        _load_chunk(members, columns, model_version=model_version, now=now, loaded=loaded)
    return loaded
