"""After a large import PostgreSQL re-analyzes the filled tables, so the next queries are planned on
the new size of the table; small imports leave statistics to autovacuum. (SQLite plans without
table statistics unless ANALYZE was run, so there is nothing to refresh.)"""

import pytest
from django.db import connection

from weijian.imports.registry import get_spec
from weijian.imports.services import ANALYZE_AFTER_ROWS, _refresh_statistics

pytestmark = pytest.mark.django_db


def _estimated_workers() -> float | None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'workforce_worker'")
        return cursor.fetchone()[0]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="ANALYZE statistics are PostgreSQL's")
def test_a_large_import_refreshes_the_planner_statistics(world):
    spec = get_spec("worker")
    assert spec.tables == ("workforce.Worker",)
    with connection.cursor() as cursor:  # forget what earlier tests taught the planner
        cursor.execute("UPDATE pg_class SET reltuples = -1 WHERE relname = 'workforce_worker'")
    _refresh_statistics(spec, ANALYZE_AFTER_ROWS - 1)
    assert _estimated_workers() == -1  # a small import: left to autovacuum
    _refresh_statistics(spec, ANALYZE_AFTER_ROWS)
    assert _estimated_workers() == 3  # the world's three workers



@pytest.mark.skipif(connection.vendor != "postgresql", reason="ANALYZE statistics are PostgreSQL's")
def test_an_import_adding_under_a_tenth_of_a_large_table_keeps_its_statistics(world):
    spec = get_spec("worker")
    with connection.cursor() as cursor:  # the planner believes the table holds a million workers
        cursor.execute("UPDATE pg_class SET reltuples = 1000000 WHERE relname = 'workforce_worker'")
    _refresh_statistics(spec, 99_999)
    assert _estimated_workers() == 1_000_000  # under a tenth: as autovacuum, leave them
    _refresh_statistics(spec, 100_000)
    assert _estimated_workers() == 3


@pytest.mark.skipif(connection.vendor != "postgresql", reason="synchronous_commit is PostgreSQL's")
def test_the_import_transaction_alone_commits_without_waiting_for_the_disk(world):
    from django.db import transaction

    from weijian.imports.services import _commit_without_waiting_for_disk

    def setting() -> str:
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('synchronous_commit')")
            return cursor.fetchone()[0]

    assert setting() == "on"
    with transaction.atomic():
        _commit_without_waiting_for_disk()
        assert setting() == "off"
        transaction.set_rollback(True)  # (the import's own transaction ends with its commit)
    assert setting() == "on"  # local to that transaction: nothing else is affected
