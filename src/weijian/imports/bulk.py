"""Fast multi-row INSERTs for importers' bulk writers.

`QuerySet.bulk_create` builds SQL text with a placeholder per value for every row, which costs
more than the database work itself at 100,000 rows. Here PostgreSQL gets the rows through
COPY (psycopg's C row writer), and other engines through one prepared INSERT and the driver's
`executemany` (SQLite runs it in C). Values are prepared per column with the field's own
database conversion, so dates, datetimes and JSON are stored exactly as the ORM would store
them. No model `save()` or signals run: callers write their own audit rows, as bulk writers must.
"""

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.db import connection, models
from django.db.models.fields.json import JSONField

BATCH = 2_000
_PLAIN = (models.CharField, models.TextField, models.IntegerField, models.BooleanField, models.ForeignKey)


def _preparer(field: models.Field) -> Callable[[Any], Any] | None:
    """None when the value can go to the driver as it is (str, int, bool, None)."""
    if isinstance(field, JSONField):
        return lambda value: field.get_db_prep_save(value, connection)
    if isinstance(field, models.DateTimeField):
        return connection.ops.adapt_datetimefield_value
    if isinstance(field, models.DateField):
        return connection.ops.adapt_datefield_value
    if isinstance(field, _PLAIN):
        return None
    return lambda value: field.get_db_prep_save(value, connection)


def insert_rows(model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence]) -> int:
    """INSERT `rows` (tuples in the order of `columns`, attribute names such as "institution_id")."""
    meta = model._meta
    fields = [meta.get_field(name) for name in columns]
    quote = connection.ops.quote_name
    target = f"{quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)})"
    convert = [(i, p) for i, p in enumerate(_preparer(f) for f in fields) if p is not None]

    def prepared() -> Iterable[list]:
        for row in rows:
            values = list(row)
            for i, p in convert:
                if values[i] is not None:
                    values[i] = p(values[i])
            yield values

    count = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {target} FROM STDIN") as copy:
                for values in prepared():
                    copy.write_row(values)
                    count += 1
            return count
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
