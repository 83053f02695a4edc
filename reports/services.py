"""Write side of compliance: rebuilding and verifying the per-cycle facts, and the
stored results.

The facts (leads.Cycle) are normally maintained lead by lead by
``reports.facts.lead_cycles_refresh`` as events are written. ``cycles_rebuild``
recomputes them all in chunks of leads (COPY on PostgreSQL), and
``cycles_verify`` compares the maintained rows with a full recomputation.
``results_store`` writes recomputed compliance results, only for versions whose facts
revision is still the one read before their cycles (see reports.models).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.db import connection, transaction

from leads.cycle_rows import cycles_computed
from leads.models import Cycle, Lead
from reports.facts import facts_revision_bump, month_figures_changed, results_invalidate
from reports.models import ComplianceResult, FactsRevision
from slas.governing import VersionIndex
from slas.models import Version
from slas.selectors import funnel_counts_changed

CHUNK = 5000
# Every stored fact of a cycle (all concrete fields but the row id).
FACT_FIELDS = [f.attname for f in Cycle._meta.concrete_fields if f.attname != "id"]


def _lead_chunks(chunk: int) -> Iterator[list[int]]:
    ids = list(Lead.objects.order_by("pk").values_list("pk", flat=True))
    for i in range(0, len(ids), chunk):
        yield ids[i : i + chunk]


def _copy_value(value) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, list | dict):
        import json

        value = json.dumps(value)
    text = str(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def cycles_insert(rows: list[Cycle]) -> None:
    """Insert Cycle rows fast: COPY on PostgreSQL, large bulk_create elsewhere."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        Cycle.objects.bulk_create(rows, batch_size=2000)
        return
    columns = [Cycle._meta.get_field(name).column for name in FACT_FIELDS]
    buffer = io.StringIO()
    for row in rows:
        buffer.write("\t".join(_copy_value(getattr(row, name)) for name in FACT_FIELDS))
        buffer.write("\n")
    table = Cycle._meta.db_table
    with connection.cursor() as cursor:
        sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
        with cursor.cursor.copy(sql) as copy:
            copy.write(buffer.getvalue())


def cycles_rebuild(*, chunk: int = CHUNK, progress: Callable[[int], None] | None = None) -> int:
    """Recompute every lead's cycles from its events; drop every stored result."""
    index = VersionIndex()
    total = 0
    with transaction.atomic():
        funnel_counts_changed()
        month_figures_changed()
        facts_revision_bump(Version.objects.values_list("pk", flat=True))
        ComplianceResult.objects.all().delete()
        Cycle.objects.all().delete()
        for ids in _lead_chunks(chunk):
            rows = cycles_computed(ids, index)
            cycles_insert(rows)
            total += len(rows)
            if progress:
                progress(total)
    return total


@dataclass
class Difference:
    lead_id: int
    number: int
    field: str
    stored: object
    computed: object

    def __str__(self) -> str:
        return (
            f"lead {self.lead_id} cycle {self.number}: {self.field} "
            f"stored={self.stored!r} computed={self.computed!r}"
        )


def _facts(row: Cycle) -> dict:
    return {name: getattr(row, name) for name in FACT_FIELDS}


def cycles_verify(*, chunk: int = CHUNK, limit: int = 100) -> tuple[int, list[Difference]]:
    """Compare the maintained Cycle rows with a full recomputation from the events.

    Returns (cycles checked, differences); a missing or extra cycle is one
    difference on the field ``cycle``. Writes nothing.
    """
    index = VersionIndex()
    checked = 0
    differences: list[Difference] = []
    for ids in _lead_chunks(chunk):
        computed = {(row.lead_id, row.number): _facts(row) for row in cycles_computed(ids, index)}
        stored = {
            (row.lead_id, row.number): _facts(row) for row in Cycle.objects.filter(lead_id__in=ids)
        }
        checked += len(computed)
        for key in sorted(set(computed) | set(stored)):
            a, b = stored.get(key), computed.get(key)
            if a is None or b is None:
                differences.append(
                    Difference(
                        key[0], key[1], "cycle", "present" if a else None, "present" if b else None
                    )
                )
                continue
            for name in FACT_FIELDS:
                if a[name] != b[name]:
                    differences.append(Difference(key[0], key[1], name, a[name], b[name]))
        if len(differences) >= limit:
            break
    return checked, differences[:limit]


RESULT_FIELDS = [
    "version",
    "kind",
    "period_end",
    "label",
    "actual",
    "numerator",
    "denominator",
    "target",
    "status",
    "projected",
    "counts",
    "spec_hash",
    "computed_at",
    "valid_until",
    "due",
    "facts_revision",
]


def results_store(rows: list[ComplianceResult]) -> list[ComplianceResult]:
    """Upsert recomputed results, each carrying the facts revision its version had
    before its cycles were read. Under the versions' revision row locks (taken in pk
    order, after creating missing rows), rows whose version's revision moved are
    skipped: their cycles may have changed after they were read, and the writer that
    changed them has dropped, or will drop once it holds the lock, what it affects.
    Returns the rows stored."""
    if not rows:
        return []
    ids = sorted({row.version_id for row in rows})
    with transaction.atomic():
        FactsRevision.objects.bulk_create(
            [FactsRevision(version_id=version_id, value=0) for version_id in ids],
            ignore_conflicts=True,
        )
        current = dict(
            FactsRevision.objects.select_for_update()
            .filter(version_id__in=ids)
            .order_by("version_id")
            .values_list("version_id", "value")
        )
        keep = [row for row in rows if current.get(row.version_id, 0) == row.facts_revision]
        if keep:
            ComplianceResult.objects.bulk_create(
                keep,
                update_conflicts=True,
                unique_fields=["commitment", "period_start"],
                update_fields=RESULT_FIELDS,
            )
    return keep


__all__ = [
    "cycles_insert",
    "cycles_rebuild",
    "cycles_verify",
    "results_invalidate",
    "results_store",
]
