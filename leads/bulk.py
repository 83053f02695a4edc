"""Bulk writes with PostgreSQL COPY (other databases: Django's bulk_create).

Django's bulk_create renders every value into the SQL text; for the thousands of rows
an import chunk writes, COPY is several times cheaper. `copy_insert` writes unsaved
model instances (auto_now and defaults applied as bulk_create would), optionally
skipping rows that hit a unique constraint (through a temporary staging table).
Identifiers in the SQL come from model metadata only, never from input.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from django.db import connection, models


def _values(fields, obj) -> tuple:
    out = []
    for field in fields:
        value = field.pre_save(obj, True)
        if value is not None and field.get_internal_type() == "JSONField":
            value = json.dumps(value, cls=field.encoder)
        out.append(value)
    return tuple(out)


def copy_insert(
    model: type[models.Model],
    objs: Sequence[models.Model],
    *,
    ignore_conflicts: bool = False,
    order_by: Sequence[str] = (),
    returning: Sequence[str] = (),
) -> list[tuple] | None:
    """Insert the objects (their pks are not set). With `ignore_conflicts`, rows that
    violate a unique constraint are skipped, in `order_by` order (so concurrent writers
    take index locks in one order and cannot deadlock).

    With `returning` (column names; PostgreSQL with `ignore_conflicts` only) the rows
    actually inserted are returned with those columns; otherwise None."""
    if not objs:
        return [] if returning else None
    if connection.vendor != "postgresql":
        model.objects.bulk_create(objs, batch_size=1000, ignore_conflicts=ignore_conflicts)
        return None
    if returning and not ignore_conflicts:
        raise ValueError("returning needs ignore_conflicts")
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    table = model._meta.db_table
    cols = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    target = table
    with connection.cursor() as cursor:
        if ignore_conflicts:
            target = f"copy_stage_{table}"
            cursor.execute(
                f"CREATE TEMP TABLE IF NOT EXISTS {target} ON COMMIT DELETE ROWS AS "  # noqa: S608
                f"SELECT {cols} FROM {table} WITH NO DATA"
            )
            cursor.execute(f"DELETE FROM {target}")  # noqa: S608 - empty unless nested
        with cursor.cursor.copy(f"COPY {target} ({cols}) FROM STDIN") as copy:
            for obj in objs:
                copy.write_row(_values(fields, obj))
        if ignore_conflicts:
            order = f" ORDER BY {', '.join(order_by)}" if order_by else ""
            back = ""
            if returning:
                names = [
                    connection.ops.quote_name(model._meta.get_field(n).column) for n in returning
                ]
                back = f" RETURNING {', '.join(names)}"
            cursor.execute(
                f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {target}{order} "  # noqa: S608
                f"ON CONFLICT DO NOTHING{back}"
            )
            if returning:
                return cursor.fetchall()
    return None
