"""Benchmark of the CSV import path against PostgreSQL COPY.

    python bench/ingest.py --events 100000

Uses the PostgreSQL database named by DATABASE_URL and EMPTIES its lead tables. Writes
a synthetic events CSV (grouped by lead), imports it with the portal's importer
(leads.ingest.importers.events_import: parse, resolve leads, insert events, derive state,
refresh cycles), then loads the same file with COPY into an unindexed staging table,
and prints one JSON line: events, events_per_s, copy_events_per_s, ratio, peak_rss_mb.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from _common import copy_baseline, django_setup, peak_rss_mb, store_reset, write_events_csv


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=100_000)
    args = parser.parse_args()
    django_setup()
    store_reset()

    from django.db import connection

    from leads.derive import IngestContext
    from leads.ingest.importers import events_import
    from portal.models import Team

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "events.csv"
        write_events_csv(path, args.events)
        context = IngestContext(
            marketing_team=Team.objects.get(name="Marketing"),
            sales_team=Team.objects.get(name="Sales"),
            mode="history",
            handoff_on_score=False,
        )
        started = time.perf_counter()
        with open(path, "rb") as stream:
            summary = events_import(stream=stream, format="events", tz="UTC", context=context)
        elapsed = time.perf_counter() - started
        assert summary.created == args.events, summary
        rss = peak_rss_mb()

        with connection.cursor() as cursor:
            copy_elapsed = copy_baseline(cursor, path)
            cursor.execute("DROP TABLE bench_copy_staging")

    events_per_s = args.events / elapsed
    copy_per_s = args.events / copy_elapsed
    print(
        json.dumps(
            {
                "events": args.events,
                "events_per_s": round(events_per_s),
                "copy_events_per_s": round(copy_per_s),
                "ratio": round(events_per_s / copy_per_s, 3),
                "peak_rss_mb": rss,
            }
        )
    )


if __name__ == "__main__":
    main()
