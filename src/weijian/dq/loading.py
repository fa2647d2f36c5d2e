"""Stored resources as the frame the rule engine reads, straight from the record store's table (one raw
query, fetched in chunks: the ORM would build a model object per row)."""

import pandas as pd
from django.db import connection

from weijian.records.models import Resource

FETCH_ROWS = 50_000
COLUMNS = ("id", "type", "source_id", "updated", "content")


def stored_resources(*, types: tuple[str, ...] = (), source_ids: tuple[int, ...] = ()) -> pd.DataFrame:
    """Current, not deleted resources (of `types` and `source_ids` when given): id, type, source_id,
    updated (UTC), content (the stored JSON text)."""
    table = connection.ops.quote_name(Resource._meta.db_table)
    where, params = ["deleted = %s"], [False]
    if types:
        where.append(f"type IN ({', '.join(['%s'] * len(types))})")
        params += list(types)
    if source_ids:
        where.append(f"source_id IN ({', '.join(['%s'] * len(source_ids))})")
        params += list(source_ids)
    columns: dict[str, list] = {name: [] for name in COLUMNS}
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, type, source_id, updated, content FROM {table} WHERE {' AND '.join(where)}",
                       params)
        while rows := cursor.fetchmany(FETCH_ROWS):
            for name, values in zip(COLUMNS, zip(*rows, strict=True), strict=True):
                columns[name].extend(values)
    frame = pd.DataFrame(columns)
    frame["updated"] = pd.to_datetime(frame["updated"], utc=True)
    frame["source_id"] = frame["source_id"].astype("Int64")
    return frame
