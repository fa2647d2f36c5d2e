"""The per-pass people cache of the e-learning credit import: each person is looked up once per pass,
and past a threshold the city's workers are read in one query; either way it answers exactly what a
fresh lookup would."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from weijian.cme.importers import CREDIT_IMPORT
from weijian.cme.services.imports import PeopleCache, people_by_index
from weijian.workforce.models import Worker

pytestmark = pytest.mark.django_db

UNKNOWN = "0" * 64


def queries(call):
    with CaptureQueriesContext(connection) as captured:
        result = call()
    return result, len(captured)


@pytest.fixture
def indexes(world):
    return {w.pk: w.id_number_index for w in (world.worker_a1, world.worker_a2, world.worker_b1)}


def test_each_person_is_looked_up_once_per_pass(world, indexes):
    cache = PeopleCache()
    a1, a2 = indexes[world.worker_a1.pk], indexes[world.worker_a2.pk]
    found, count = queries(lambda: cache([a1, UNKNOWN]))
    assert found == people_by_index([a1, UNKNOWN]) and set(found) == {a1}
    assert found[a1].pk == world.worker_a1.pk and found[a1].name == world.worker_a1.name
    assert count >= 1
    # Known and known-missing people cost nothing the second time; a new one is looked up alone.
    again, count = queries(lambda: cache([a1, UNKNOWN]))
    assert (again, count) == (found, 0)
    both, count = queries(lambda: cache([a1, a2]))
    assert set(both) == {a1, a2} and count >= 1


def test_past_the_threshold_the_whole_city_is_read_once(world, indexes, monkeypatch):
    monkeypatch.setattr(PeopleCache, "FULL_READ_AFTER", 1)
    cache = PeopleCache()
    a1, b1 = indexes[world.worker_a1.pk], indexes[world.worker_b1.pk]
    found, count = queries(lambda: cache([a1, UNKNOWN]))
    assert set(found) == {a1} and count == 2  # the size check, then every worker in one query
    # Everyone is known now: any person (or none) is answered without a query.
    rest, count = queries(lambda: cache([b1, UNKNOWN, indexes[world.worker_a2.pk]]))
    assert count == 0
    assert {i: p.pk for i, p in rest.items()} == {b1: world.worker_b1.pk,
                                                  indexes[world.worker_a2.pk]: world.worker_a2.pk}


def test_a_city_too_large_to_hold_is_looked_up_batch_by_batch(world, indexes, monkeypatch):
    monkeypatch.setattr(PeopleCache, "FULL_READ_AFTER", 1)
    monkeypatch.setattr(PeopleCache, "FULL_READ_MAX", Worker.objects.count() - 1)
    cache = PeopleCache()
    cache([indexes[world.worker_a1.pk], UNKNOWN])
    for worker in (world.worker_b1, world.worker_a2):
        found, sql = capture(lambda key=indexes[worker.pk]: cache([key]))
        assert {i: p.pk for i, p in found.items()} == {indexes[worker.pk]: worker.pk}
        reads = [q for q in sql if "workforce_worker" in q]
        assert len(reads) == 1 and "COUNT" not in reads[0].upper()  # one lookup; the size was asked once
        assert "id_number_index" in reads[0].split("WHERE", 1)[1]  # by the people asked for, not all


def capture(call):
    with CaptureQueriesContext(connection) as captured:
        result = call()
    return result, [q["sql"] for q in captured.captured_queries]


def test_the_credit_import_gives_each_pass_a_fresh_cache():
    """A cache outliving its pass could answer the apply with what the dry run saw."""
    assert CREDIT_IMPORT.cache is PeopleCache
    assert CREDIT_IMPORT.cache() is not CREDIT_IMPORT.cache()
