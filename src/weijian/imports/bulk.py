"""Fast multi-row INSERTs for importers' bulk writers.

`QuerySet.bulk_create` builds SQL text with a placeholder per value for every row, which costs
more than the database work itself at 100,000 rows. Here the statement is built once and the
rows go through the driver's `executemany` (psycopg sends them pipelined). Values are prepared
per column with the field's own database conversion, so dates, datetimes and JSON are stored
exactly as the ORM would store them. No model `save()` or signals run: callers write their own
audit rows, as bulk writers must.
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
    fields = [meta.get_field(name[:-3] if name.endswith("_id") and name not in
                             {f.attname for f in meta.concrete_fields if not f.is_relation} else name)
              for name in columns]
    quote = connection.ops.quote_name
    sql = (f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
           f"VALUES ({', '.join(['%s'] * len(fields))})")
    prepare = [_preparer(f) for f in fields]
    convert = [(i, p) for i, p in enumerate(prepare) if p is not None]
    count = 0
    batch: list[list] = []
    with connection.cursor() as cursor:
        for row in rows:
            values = list(row)
            for i, p in convert:
                if values[i] is not None:
                    values[i] = p(values[i])
            batch.append(values)
            if len(batch) >= BATCH:
                cursor.executemany(sql, batch)
                count += len(batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)
            count += len(batch)
    return count
