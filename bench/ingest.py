"""Benchmark of the CSV import path against PostgreSQL COPY.

    python bench/ingest.py --events 100000

Uses the PostgreSQL database named by DATABASE_URL and EMPTIES its lead tables. Writes
a synthetic events CSV (grouped by lead), imports it with the portal's importer
(leads.ingest.importers.events_import: parse, resolve leads, insert events, derive state,
refresh cycles), then loads the same file with COPY into an unindexed staging table,
and prints one JSON line: events, events_per_s, copy_events_per_s, ratio, peak_rss_mb,
and what bounds the ratio:

- `py_cpu_s`: the importer's CPU in this process (all its threads; they share one GIL,
  so this much is spent one thread at a time), `db_cpu_s`: the CPU of the PostgreSQL
  backends it used (a local server; each writer's own, see `BackendsCPU`), `load`: the
  machine's load average when it ended (other work on the machine stretches the wall
  time, not these);
- `cpu_bound_ratio`: the ratio if the import took only max(py_cpu_s, (py_cpu_s +
  db_cpu_s) / 2) seconds, Python on one core and the rest shared by two cores: the best
  this much CPU allows on two free cores, whatever overlaps it.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

from _common import (
    BackendsCPU,
    copy_baseline,
    django_setup,
    peak_rss_mb,
    store_reset,
    write_events_csv,
)


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
        with BackendsCPU() as db_cpu:
            cpu, started = time.process_time(), time.perf_counter()
            with open(path, "rb") as stream:
                summary = events_import(stream=stream, format="events", tz="UTC", context=context)
            elapsed = time.perf_counter() - started
            py_cpu = time.process_time() - cpu
        load = os.getloadavg()[0]
        assert summary.created == args.events, summary
        rss = peak_rss_mb()

        with connection.cursor() as cursor:
            copy_elapsed = copy_baseline(cursor, path)
            cursor.execute("DROP TABLE bench_copy_staging")

    events_per_s = args.events / elapsed
    copy_per_s = args.events / copy_elapsed
    cpu_bound_s = max(py_cpu, (py_cpu + db_cpu.seconds) / 2)
    print(
        json.dumps(
            {
                "events": args.events,
                "events_per_s": round(events_per_s),
                "copy_events_per_s": round(copy_per_s),
                "ratio": round(events_per_s / copy_per_s, 3),
                "peak_rss_mb": rss,
                "py_cpu_s": round(py_cpu, 2),
                "db_cpu_s": round(db_cpu.seconds, 2),
                "db_backends": db_cpu.backends,
                "cpu_bound_ratio": round(args.events / cpu_bound_s / copy_per_s, 3),
                "load": round(load, 2),
            }
        )
    )


if __name__ == "__main__":
    main()
