"""The best ratio any importer could reach on this schema: a floor under bench/ingest.py.

    python bench/ingest_floor.py --events 100000

Uses the PostgreSQL database named by DATABASE_URL and EMPTIES its lead tables. Writes
the same synthetic events CSV as bench/ingest.py, then, in one run:

1. `copy`: loads it with COPY into an unindexed staging table (ingest.py's baseline);
2. `store`: moves those rows into `leads_leadevent` in one set-based INSERT ... SELECT
   (leads already exist; the join to leads and users is done by the server), then
   commits, which runs the deferred foreign-key checks. Nothing is parsed or checked in
   Python, no lead state is derived, no cycle is computed, duplicates are not looked
   for: only what storing the events in the real table with its indexes (idempotency,
   timeline) and foreign keys costs the server.

An importer must do at least 1 + 2, so `ceiling_ratio` = copy time / (copy + store
time) bounds bench/ingest.py's `ratio` from above. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from _common import copy_baseline, django_setup, store_reset, write_events_csv

LEADS = (
    "INSERT INTO leads_lead (source, external_id, first_name, last_name, email, company, "
    "job_title, industry, company_size, lead_source, attributes, agreement_id, "
    "marketing_team_id, sales_team_id, stage, fit_score, interest_score, nurture_track, "
    "flagged, flags, created_at, updated_at) "
    "SELECT DISTINCT ON (source, lead_external_id) source, lead_external_id, '', '', '', '', "
    "'', '', '', '', '{}', NULL, %s, %s, 'lead', 0, 0, '', false, '[]', occurred_at, now() "
    "FROM bench_copy_staging ORDER BY source, lead_external_id, occurred_at"
)
STORE = (
    "INSERT INTO leads_leadevent (lead_id, kind, occurred_at, recorded_at, actor_id, "
    "from_stage, to_stage, channel, outcome, reason_code, note, data, source, "
    "source_event_id) "
    "SELECT l.id, s.kind, s.occurred_at, now(), u.id, '', coalesce(s.to_stage, ''), "
    "coalesce(s.channel, ''), coalesce(s.outcome, ''), coalesce(s.reason_code, ''), "
    "coalesce(s.note, ''), '{}', s.source, s.event_id FROM bench_copy_staging s "
    "JOIN leads_lead l ON l.source = s.source AND l.external_id = s.lead_external_id "
    "LEFT JOIN auth_user u ON u.email = NULLIF(s.actor_email, '')"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=100_000)
    args = parser.parse_args()
    django_setup()
    store_reset()

    from django.db import connection, transaction

    from portal.models import Team

    marketing = Team.objects.get(name="Marketing").pk
    sales = Team.objects.get(name="Sales").pk
    with tempfile.TemporaryDirectory() as tmp, connection.cursor() as cursor:
        path = Path(tmp) / "events.csv"
        write_events_csv(path, args.events)
        copy_s = copy_baseline(cursor, path)
        cursor.execute("ANALYZE bench_copy_staging")
        cursor.execute(LEADS, [marketing, sales])
        cursor.execute("ANALYZE leads_lead")

        started = time.perf_counter()
        with transaction.atomic():
            cursor.execute(STORE)
            stored = cursor.rowcount
            insert_s = time.perf_counter() - started
        store_s = time.perf_counter() - started
        cursor.execute("DROP TABLE bench_copy_staging")
    assert stored == args.events, stored
    print(
        json.dumps(
            {
                "events": args.events,
                "copy_events_per_s": round(args.events / copy_s),
                "store_events_per_s": round(args.events / store_s),
                "store_insert_s": round(insert_s, 3),
                "store_commit_s": round(store_s - insert_s, 3),
                "ceiling_ratio": round(copy_s / (copy_s + store_s), 3),
            }
        )
    )


if __name__ == "__main__":
    main()
