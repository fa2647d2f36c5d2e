"""Fast multi-row INSERTs for importers' bulk writers.

`QuerySet.bulk_create` builds SQL text with a placeholder per value for every row, which costs
more than the database work itself at 100,000 rows. Here PostgreSQL gets the rows through
binary COPY (psycopg's C dumpers, told each column's type up front), and other engines through one
prepared INSERT and the driver's `executemany` (SQLite runs it in C). Values are prepared per
column with the field's own database conversion, so dates, datetimes and JSON are stored exactly as
the ORM would store them. No model `save()` or signals run: callers write their own audit rows, as
bulk writers must.
"""

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from functools import partial
from typing import Any

from django.db import connection, models, transaction
from django.db.models import F, Lookup, Q
from django.db.models.fields.json import JSONField

BATCH = 2_000
_PLAIN = (models.CharField, models.TextField, models.IntegerField, models.BooleanField, models.ForeignKey)


def _same_as_last(convert: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """Bulk rows share one timestamp object: convert it once."""
    last = [object(), None]

    def prepare(value):
        if value is not last[0]:
            last[0], last[1] = value, convert(value)
        return last[1]

    return prepare


def _exactly(kind: type, convert: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """Values already of `kind` go as they are (the common case: one type test); others are converted."""
    return lambda value: value if value.__class__ is kind else convert(value)


def _preparer(field: models.Field, copy: bool) -> Callable[[Any], Any] | None:
    """None when the value can go to the driver as it is (str, int, bool, None; datetimes for COPY)."""
    if isinstance(field, JSONField):
        return partial(connection.ops.adapt_json_value, encoder=field.encoder)  # PostgreSQL: a Jsonb wrapper
    if isinstance(field, models.DateTimeField):
        # PostgreSQL's adapt_datetimefield_value is the identity: psycopg dumps the datetime itself.
        return None if copy else _same_as_last(connection.ops.adapt_datetimefield_value)
    if isinstance(field, models.DateField):
        if copy:  # binary COPY needs a real date (a datetime or a text would be refused or misread)
            return _exactly(date, field.to_python)
        if connection.vendor == "sqlite":  # its adapt_datefield_value is str(date): the same text, one call
            return lambda value: (value.isoformat() if value.__class__ is date
                                  else connection.ops.adapt_datefield_value(field.to_python(value)))
        return lambda value: field.get_db_prep_save(value, connection)
    if isinstance(field, _PLAIN):
        return None
    if isinstance(field, models.DecimalField):
        # Decimals already quantized by the domain's parser go as they are (psycopg and Django's SQLite
        # adapter both take Decimal); anything else is converted by the field.
        return _exactly(Decimal, lambda value: field.get_db_prep_save(value, connection))
    return lambda value: field.get_db_prep_save(value, connection)


_COPY_TYPE_NAMES = {"timestamp with time zone": "timestamptz", "double precision": "float8"}


def _copy_types(fields: Sequence[models.Field], cursor) -> list[str] | None:
    """The PostgreSQL type of each column, for a binary COPY; None if one is not a type psycopg knows
    (the caller then falls back to text COPY, where the server parses every value)."""
    registry = cursor.connection.adapters.types
    names = []
    for field in fields:
        declared = field.db_type(connection)
        if not declared:
            return None
        name = declared.split("(")[0].strip().lower()  # varchar(16) -> varchar, numeric(5, 1) -> numeric
        name = _COPY_TYPE_NAMES.get(name, name)
        if registry.get(name) is None:
            return None
        names.append(name)
    return names


SQLITE_CACHE_KIB = 64 * 1024


def _roomy_cache(cursor) -> None:
    """A long import transaction touches more index pages than SQLite's default 2 MB page cache
    holds; pages spilled to the WAL mid-transaction get written again and again. 64 MB for this
    connection (it is closed after the job) keeps them in memory."""
    cursor.execute("PRAGMA cache_size")
    current = cursor.fetchone()[0]
    if -SQLITE_CACHE_KIB < current < 0 or 0 <= current < SQLITE_CACHE_KIB // 4:
        cursor.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")


def insert_rows(model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence]) -> int:
    """INSERT `rows` (tuples in the order of `columns`, attribute names such as "institution_id")."""
    meta = model._meta
    fields = [meta.get_field(name) for name in columns]
    quote = connection.ops.quote_name
    target = f"{quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)})"
    copy = connection.vendor == "postgresql"
    convert = [(i, p) for i, p in enumerate(_preparer(f, copy) for f in fields) if p is not None]

    def prepared() -> Iterable[Sequence]:
        if not convert:
            yield from rows
            return
        for row in rows:
            values = list(row)
            for i, p in convert:
                if values[i] is not None:
                    values[i] = p(values[i])
            yield values

    count = 0
    with connection.cursor() as cursor:
        if copy:
            # Binary COPY: the server reads each value as it is instead of parsing text, and psycopg's
            # dumpers skip guessing a type per value. Errors (a duplicate key) come out as Django's.
            types = _copy_types(fields, cursor.cursor)
            options = " (FORMAT BINARY)" if types else ""
            with connection.wrap_database_errors, cursor.cursor.copy(f"COPY {target} FROM STDIN{options}") as out:
                if types:
                    out.set_types(types)
                for values in prepared():
                    out.write_row(values)
                    count += 1
            return count
        if connection.vendor == "sqlite":
            _roomy_cache(cursor)
        sql = f"INSERT INTO {target} VALUES ({', '.join(['%s'] * len(fields))})"
        batch: list[list] = []
        for values in prepared():
            batch.append(values)
            if len(batch) >= BATCH:
                cursor.executemany(sql, batch)
                count += len(batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)
            count += len(batch)
    return count


def reserve_ids(model: type[models.Model], count: int) -> list[int]:
    """Primary keys for `count` new rows, so that rows inserted here and their audit rows can
    refer to them without reading them back. Call inside the transaction that inserts them."""
    if count <= 0:
        return []
    meta = model._meta
    table, column = meta.db_table, meta.pk.column
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [table, column])
            sequence = cursor.fetchone()[0]
            cursor.execute("SELECT array_agg(nextval(%s::regclass)) FROM generate_series(1, %s)", [sequence, count])
            return cursor.fetchone()[0]
        if connection.vendor == "sqlite":
            # Writers hold the database lock from BEGIN IMMEDIATE (see settings), so nobody else
            # can take these numbers before we insert them. AUTOINCREMENT never reuses a number.
            quote = connection.ops.quote_name
            cursor.execute(f"SELECT max(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = %s), 0), "
                           f"COALESCE((SELECT max({quote(column)}) FROM {quote(table)}), 0))", [table])
            start = cursor.fetchone()[0] + 1
            return list(range(start, start + count))
    raise NotImplementedError(f"reserve_ids: unsupported database {connection.vendor}")


_SEPARATOR = "\x1f"  # ASCII unit separator: never part of a code, an index or a name


class _InList(Lookup):
    """`column IN <values>` with thousands of text values passed as ONE parameter.

    Django builds a placeholder per value for `__in`, and its psycopg cursor binds them
    client-side: ~40 ms per query of 2,000 values on PostgreSQL, ~10 ms on SQLite. A single
    joined string (PostgreSQL: string_to_array) or JSON array (SQLite: json_each) costs ~2-4 ms."""

    lookup_name = "in_list"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, params = self.process_lhs(compiler, connection)
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY(string_to_array(%s, %s))", [*params, _SEPARATOR.join(self.rhs), _SEPARATOR]
        return f"{lhs} IN (SELECT value FROM json_each(%s))", [*params, json.dumps(self.rhs)]


@contextmanager
def index_lookups() -> Iterator[None]:
    """Steer the queries inside to index scans on PostgreSQL.

    Within one long import transaction the planner's statistics still describe the table as it
    was before (often empty), so a lookup of 2,000 keys is planned as a scan of the whole table,
    which grows with every batch; and even on fresh statistics it prices 5,000 index probes above a
    parallel scan of a million rows, which takes ten times longer. The setting is local to a
    transaction, so the queries run in one (a savepoint inside the apply's; a transaction of their
    own in a dry run, which reads outside any): an error rolls the setting back with it."""
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('enable_seqscan'), set_config('enable_seqscan', 'off', true)")
        previous = cursor.fetchone()[0]
        yield
        cursor.execute("SELECT set_config('enable_seqscan', %s, true)", [previous])


def field_in(name: str, values: Sequence[str]) -> Q | Lookup:
    """A filter for `name IN values` on a text column, fast on both engines with thousands of values."""
    values = list(values)
    if values and connection.vendor in ("postgresql", "sqlite") and all(
            isinstance(v, str) and _SEPARATOR not in v for v in values):
        return _InList(F(name), values)
    return Q(**{f"{name}__in": values})
