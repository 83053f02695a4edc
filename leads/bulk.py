"""Bulk writes with PostgreSQL COPY (other databases: Django's bulk_create).

Django's bulk_create renders every value into the SQL text; for the thousands of rows
an import chunk writes, COPY is several times cheaper. `copy_insert` writes plain rows
(tuples of the values of the named columns: building a model instance per row costs
more than copying it), the other columns taking their defaults (auto_now: the time of
the call), optionally skipping rows that hit a unique constraint (through a temporary
staging table). Identifiers in the SQL come from model metadata only, never from input.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from django.db import connection, models
from django.utils import timezone
from psycopg import postgres
from psycopg.abc import Buffer
from psycopg.adapt import Dumper
from psycopg.pq import Format


def _json(value, encoder) -> str | None:
    """A JSON field's value as COPY takes it (empty containers need no encoding)."""
    if value is None:
        return None
    if type(value) is dict and not value:
        return "{}"
    return json.dumps(value, cls=encoder)


def _is_json(field: models.Field) -> bool:
    return field.get_internal_type() == "JSONField"


def _default(field: models.Field, now):
    """What bulk_create would store in a column the rows do not give."""
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return now
    value = field.get_default()
    return _json(value, field.encoder) if _is_json(field) else value


class _JsonTextBinaryDumper(Dumper):
    """A JSON column's value, already encoded (`_json`), as binary jsonb: version 1
    and the text."""

    format = Format.BINARY
    oid = postgres.types["jsonb"].oid

    def dump(self, obj: str) -> Buffer:
        return b"\x01" + obj.encode()


# Each table's column types (oids) by database: COPY is binary (half the client time
# of text), which needs them; read once, from the table itself.
_COLUMN_TYPES: dict[tuple[str, str], dict[str, int]] = {}


def _column_types(cursor, table: str) -> dict[str, int]:
    key = (connection.settings_dict["NAME"], table)
    types = _COLUMN_TYPES.get(key)
    if types is None:
        cursor.execute(
            "SELECT attname, atttypid FROM pg_attribute "
            "WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped",
            [table],
        )
        types = _COLUMN_TYPES[key] = dict(cursor.fetchall())
    return types


def copy_insert(
    model: type[models.Model],
    columns: Sequence[str],
    rows: Sequence[tuple],
    *,
    ignore_conflicts: bool = False,
    order_by: Sequence[str] = (),
    returning: Sequence[str] = (),
) -> list[tuple] | None:
    """Insert the rows: tuples of values of `columns` (field attnames: `lead_id`), in
    that order; the model's other columns but the pk take their defaults. With
    `ignore_conflicts`, rows that violate a unique constraint are skipped, in `order_by`
    order (so concurrent writers take index locks in one order and cannot deadlock).

    With `returning` (column names; PostgreSQL with `ignore_conflicts` only) the rows
    actually inserted are returned with those columns; otherwise None."""
    if not rows:
        return [] if returning else None
    if connection.vendor != "postgresql":
        objs = [model(**dict(zip(columns, row, strict=True))) for row in rows]
        model.objects.bulk_create(objs, batch_size=1000, ignore_conflicts=ignore_conflicts)
        return None
    if returning and not ignore_conflicts:
        raise ValueError("returning needs ignore_conflicts")
    by_name = {f.attname: f for f in model._meta.concrete_fields}
    given = [by_name[name] for name in columns]
    rest = [f for f in by_name.values() if not f.primary_key and f.attname not in columns]
    fields = [*given, *rest]
    now = timezone.now()
    defaults = tuple(_default(f, now) for f in rest)
    encoders = [(i, f.encoder) for i, f in enumerate(given) if _is_json(f)]
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
        types = _column_types(cursor, table)
        # This cursor's own adapters (copied on write from the connection's).
        cursor.cursor.adapters.register_dumper(None, _JsonTextBinaryDumper)
        with cursor.cursor.copy(f"COPY {target} ({cols}) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types([types[f.column] for f in fields])
            for row in rows:
                if encoders:
                    row = list(row)
                    for i, encoder in encoders:
                        row[i] = _json(row[i], encoder)
                copy.write_row((*row, *defaults))
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
