"""The bulk writer and lookups behind the large imports: rows written by `insert_rows` read back through
the ORM exactly as if the ORM had written them, on SQLite (executemany) and PostgreSQL (binary COPY)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone

from weijian.audit.models import AuditEvent
from weijian.cme.models import CreditRecord
from weijian.imports.bulk import _copy_types, index_lookups, insert_rows

pytestmark = pytest.mark.django_db

CREDIT_COLUMNS = ("worker_id", "year", "credit_class", "category", "credits", "earned_on", "is_remote", "title",
                  "source", "external_ref", "status", "stage", "verified_by_id", "verified_at", "created_at",
                  "updated_at")


def credit_row(worker, ref: str, *, credits=Decimal("2.5"), earned_on=dt.date(2026, 3, 15), verifier=None,
               title="高血压\t基层\\诊疗\n指南"):
    now = timezone.now()
    return (worker.pk, 2026, "II", "remote", credits, earned_on, True, title, "import", ref, "verified", "done",
            verifier.pk if verifier else None, now if verifier else None, now, now)


def test_rows_read_back_as_written(world):
    verifier = world.user("commission_science")
    written = insert_rows(CreditRecord, CREDIT_COLUMNS, [
        credit_row(world.worker_a1, "R-1", verifier=verifier),
        credit_row(world.worker_a2, "R-2", credits=Decimal("0.5"), earned_on=dt.date(2026, 1, 1), title="普通标题"),
    ])
    assert written == 2
    first, second = CreditRecord.objects.filter(source="import").order_by("external_ref")
    assert (first.worker, first.year, first.credits, first.earned_on, first.is_remote, first.verified_by) == (
        world.worker_a1, 2026, Decimal("2.5"), dt.date(2026, 3, 15), True, verifier)
    assert first.title == "高血压\t基层\\诊疗\n指南"  # tabs, backslashes and newlines survive the COPY
    assert first.verified_at is not None and first.verified_at.tzinfo is not None
    assert (second.worker, second.credits, second.earned_on, second.verified_by, second.verified_at) == (
        world.worker_a2, Decimal("0.5"), dt.date(2026, 1, 1), None, None)


def test_dates_and_decimals_given_otherwise_are_converted_by_the_field(world):
    insert_rows(CreditRecord, CREDIT_COLUMNS, [
        credit_row(world.worker_a1, "R-3", credits="1.5", earned_on="2026-02-03"),
        credit_row(world.worker_a1, "R-4", credits=3, earned_on=dt.datetime(2026, 4, 5, 10, 30)),
    ])
    third, fourth = CreditRecord.objects.filter(source="import").order_by("external_ref")
    assert (third.credits, third.earned_on) == (Decimal("1.5"), dt.date(2026, 2, 3))
    assert (fourth.credits, fourth.earned_on) == (Decimal("3.0"), dt.date(2026, 4, 5))


def test_json_columns_are_stored_as_the_orm_stores_them(world):
    at = timezone.now()
    columns = ("at", "actor_username", "actor_role", "address", "channel", "action", "entity", "entity_id",
               "summary", "before", "after", "outcome")
    insert_rows(AuditEvent, columns, [
        (at, "bulk", "", "", "", "create", "cme-credit", "", "批量", None, {"refs": ["A", "B"], "名称": "中文", "n": 2},
         "ok"),
    ])
    event = AuditEvent.objects.get(actor_username="bulk")
    assert (event.before, event.after) == (None, {"refs": ["A", "B"], "名称": "中文", "n": 2})
    assert AuditEvent.objects.filter(after__refs__contains="A").exists() if connection.vendor == "postgresql" \
        else AuditEvent.objects.filter(after__n=2).exists()


def test_a_duplicate_key_is_djangos_integrity_error_and_a_savepoint_recovers(world):
    insert_rows(CreditRecord, CREDIT_COLUMNS, [credit_row(world.worker_a1, "DUP")])
    with pytest.raises(IntegrityError):
        with transaction.atomic():
            insert_rows(CreditRecord, CREDIT_COLUMNS, [credit_row(world.worker_a1, "NEW"),
                                                       credit_row(world.worker_a1, "DUP")])
    # Nothing of the refused batch stayed, and the connection is usable.
    assert sorted(CreditRecord.objects.filter(source="import").values_list("external_ref", flat=True)) == ["DUP"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY is PostgreSQL's")
def test_postgresql_copies_known_types_in_binary_and_others_as_text():
    meta = CreditRecord._meta
    fields = [meta.get_field(name) for name in CREDIT_COLUMNS]
    with connection.cursor() as cursor:
        types = _copy_types(fields, cursor.cursor)
        assert types[:6] == ["bigint", "smallint", "varchar", "varchar", "numeric", "date"]
        assert types[-3:] == ["timestamptz", "timestamptz", "timestamptz"]

        class Unknown(models.Field):
            def db_type(self, connection):
                return "geometry(Point, 4326)"

        assert _copy_types([*fields, Unknown()], cursor.cursor) is None  # falls back to text COPY


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the planner setting is PostgreSQL's")
def test_index_lookups_hold_for_every_statement_inside_and_end_with_the_block():
    """A dry run reads outside any transaction, where a transaction-local setting would last for one
    statement only; index_lookups runs its queries in a transaction (or savepoint) of their own."""

    def seqscan() -> str:
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('enable_seqscan')")
            return cursor.fetchone()[0]

    with index_lookups():
        assert seqscan() == "off"
        assert seqscan() == "off"  # still, for the next statement
    assert seqscan() == "on"
    with pytest.raises(ZeroDivisionError):
        with index_lookups():
            assert seqscan() == "off"
            raise ZeroDivisionError
    assert seqscan() == "on"  # rolled back with the savepoint
