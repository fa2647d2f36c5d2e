"""A clustered batch run loaded in bulk is the same index `link_arrivals` builds one arrival at a time: the
same encrypted demographics, blocking keys, golden records and link history, so real-time matching finds
loaded identities exactly as it finds arrived ones."""

import pandas as pd
import pytest

from weijian.core import crypto
from weijian.linkage.standardise import standardise_frame
from weijian.linkage.synthetic import RAW_COLUMNS, generate
from weijian.mpi import bulkload, matching, services
from weijian.mpi.models import BlockingKey, LinkEvent, LinkState, Person, SourceIdentity

DEMOGRAPHICS = ("name", "sex", "birth_date", "id_number", "phone", "address")


def _raw() -> pd.DataFrame:
    """Synthetic residents (households share phones and addresses), some with several records."""
    frame = generate(40, seed=5)
    return frame[list(RAW_COLUMNS) + ["truth"]].reset_index(drop=True)


def _snapshot() -> dict:
    """(source, local ID) → what the index holds for it: demographics, keys, state, person's members."""
    members: dict[int, set] = {}
    for identity in SourceIdentity.objects.all():
        members.setdefault(identity.person_id, set()).add((identity.source_code, identity.local_id))
    keys: dict[int, set] = {}
    for identity_id, key in BlockingKey.objects.values_list("identity_id", "key"):
        keys.setdefault(identity_id, set()).add(key)
    out = {}
    for identity in SourceIdentity.objects.select_related("person"):
        person = identity.person
        out[(identity.source_code, identity.local_id)] = {
            "json": crypto.decrypt(identity.standardised),
            "keys": keys.get(identity.pk, set()),
            "state": identity.link_state,
            "events": list(LinkEvent.objects.filter(identity=identity).values_list("kind", "state", "to_person_id")),
            "person_members": members[person.pk],
            "golden": _golden(person),
        }
    return out


def _golden(person: Person) -> dict:
    """The golden record, ciphertexts opened (their nonces differ) and identity ids as (source, local ID)."""
    local = dict(SourceIdentity.objects.filter(person=person).values_list("pk", "local_id"))
    return {
        "name": person.name, "sex": person.sex, "birth_date": person.birth_date,
        "id_number": crypto.decrypt(person.id_number_encrypted) if person.id_number_encrypted else "",
        "id_number_index": person.id_number_index, "id_number_masked": person.id_number_masked,
        "phone": crypto.decrypt(person.phone_encrypted) if person.phone_encrypted else "",
        "phone_masked": person.phone_masked, "address": person.address,
        "address_district": person.address_district, "active": person.active,
        "survivorship": {field: (local[entry["identity"]], entry["rule"])
                         for field, entry in person.survivorship.items()},
    }


def _clear():
    LinkEvent.objects.all().delete()
    SourceIdentity.objects.all().delete()
    Person.objects.all().delete()


def test_a_bulk_load_stores_what_link_arrivals_stores_and_matches_alike(db):
    raw = _raw()
    model = matching.active_model()
    arrivals = [matching.Arrival(row.source, row.local_id, {key: getattr(row, key) for key in DEMOGRAPHICS})
                for row in raw.itertuples()]
    matching.link_arrivals(arrivals, model=model)
    arrived = _snapshot()
    # the persons link_arrivals made, as the clusters of a batch run
    person_of = dict(SourceIdentity.objects.values_list("local_id", "person_id"))
    clusters = {row.record_id: person_of[row.local_id] for row in raw.itertuples()}
    probes = [matching.standardise({key: getattr(row, key) for key in DEMOGRAPHICS}) for row in raw.itertuples()]

    def matched() -> list:
        """Per probe: the decision, capped keys, and each candidate person (by its members) with its weight
        (identity ids differ between the two loads, so ties between persons are compared as sets)."""
        members: dict[int, set] = {}
        for person_id, local_id in SourceIdentity.objects.values_list("person_id", "local_id"):
            members.setdefault(person_id, set()).add(local_id)
        results = []
        for probe in probes:
            result = matching.match(probe, model)
            candidates = sorted((round(c.score.match_weight, 12), sorted(members[c.person_id]))
                                for c in result.candidates)
            results.append((result.decision, result.capped, candidates))
        return results

    before = matched()
    assert any(len(entry["person_members"]) > 1 for entry in arrived.values())  # some persons have several
    assert sum(len(candidates) > 1 for _decision, _capped, candidates in before) > 5

    _clear()
    standardised = standardise_frame(raw[list(RAW_COLUMNS)], matching.gazetteer())
    loaded = bulkload.load_clustered(standardised, clusters, model_version=model.version, chunk_persons=7)
    assert loaded.identities == len(raw) == SourceIdentity.objects.count()
    assert loaded.persons == len(set(clusters.values())) == Person.objects.count()
    assert loaded.keys == BlockingKey.objects.count()
    assert loaded.identity_ids == {
        row.record_id: SourceIdentity.objects.get(source_code=row.source, local_id=row.local_id).pk
        for row in raw.itertuples()}
    bulk = _snapshot()

    assert bulk.keys() == arrived.keys()
    for key, expected in arrived.items():
        got = bulk[key]
        assert got["json"] == expected["json"], key  # byte for byte, key order included
        assert got["keys"] == expected["keys"], key
        assert got["person_members"] == expected["person_members"], key
        assert got["golden"] == expected["golden"], key
        assert len(got["events"]) == 1 and got["events"][0][0] == "link"
    # the first identity of a person is new, the rest linked automatically
    for members in {frozenset(v["person_members"]) for v in bulk.values()}:
        states = sorted(bulk[m]["state"] for m in members)
        assert states.count(LinkState.NEW) == 1 and set(states) <= {LinkState.NEW, LinkState.AUTO}

    assert matched() == before


def test_the_golden_record_is_refresh_goldens(db):
    raw = _raw()
    standardised = standardise_frame(raw[list(RAW_COLUMNS)], matching.gazetteer())
    clusters = dict(zip(raw["record_id"], raw["truth"], strict=True))
    bulkload.load_clustered(standardised, clusters, model_version="test")
    for person in Person.objects.all():
        loaded = _golden(person)
        assert _golden(services.refresh_golden(person)) == loaded


def test_an_identity_needs_a_source_and_a_local_id(db):
    raw = _raw().head(3).copy()
    raw.loc[1, "local_id"] = ""
    with pytest.raises(ValueError, match="source and a local ID"):
        bulkload.load_clustered(standardise_frame(raw[list(RAW_COLUMNS)]), {}, model_version="test")
