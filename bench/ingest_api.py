"""Benchmark of the bulk events endpoint (POST /api/v1/leads/events/bulk/).

    python bench/ingest_api.py --events 100000

Uses the PostgreSQL database named by DATABASE_URL and EMPTIES its lead tables. Sends
the synthetic events (grouped by lead, as in bench/ingest.py) in batches of 1,000 JSON
objects with a write-scoped API token of a marketing manager, in-process through
Django's test client (the full stack: token auth, JSON parsing, validation, the event
writer), and prints one JSON line: events, events_per_s.
"""

from __future__ import annotations

import argparse
import csv
import json
import tempfile
import time
from pathlib import Path

from _common import django_setup, store_reset, write_events_csv

BATCH = 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=100_000)
    args = parser.parse_args()
    django_setup()
    store_reset()

    from django.contrib.auth import get_user_model
    from django.test import Client

    from portal.models import TokenScope
    from portal.tokens import api_token_create

    _token, raw = api_token_create(
        user=get_user_model().objects.get(username="alice"), name="bench", scope=TokenScope.WRITE
    )
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    created = 0
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "events.csv"
        write_events_csv(path, args.events)
        with open(path, encoding="utf-8", newline="") as f:
            reader = csv.DictReader(f)
            batches = []
            batch = []
            for row in reader:
                batch.append({k: v for k, v in row.items() if v})
                if len(batch) == BATCH:
                    batches.append(json.dumps(batch))
                    batch = []
            if batch:
                batches.append(json.dumps(batch))
        started = time.perf_counter()
        for body in batches:
            response = client.post(
                "/api/v1/leads/events/bulk/", data=body, content_type="application/json"
            )
            if response.status_code != 200:
                raise SystemExit(f"HTTP {response.status_code}: {response.content[:300]!r}")
            data = response.json()
            if data["failed"]:
                raise SystemExit(f"failures: {data['failures'][:3]}")
            created += data["created"]
        elapsed = time.perf_counter() - started
    assert created == args.events, created
    print(json.dumps({"events": args.events, "events_per_s": round(args.events / elapsed)}))


if __name__ == "__main__":
    main()
