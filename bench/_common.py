"""Shared by the benchmarks: Django setup, an empty lead store, a synthetic events CSV."""

from __future__ import annotations

import datetime as dt
import os
import random
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEADER = (
    "source,event_id,lead_external_id,kind,occurred_at,actor_email,to_stage,channel,outcome,"
    "reason_code,note,email,first_name,last_name,company,job_title,industry,company_size,lead_source\n"
)
REPS = ["dan@example.com", "sara@example.com", "tariq@example.com"]
TITLES = ["VP Sales", "Head of Marketing", "Director of IT", "Engineer", "Analyst", "CEO"]
INDUSTRIES = ["Software", "Retail", "Financial Services", "Education", "Telecommunications"]
SOURCES = ["Web form", "Webinar", "Paid search", "Referral", "Trade show"]


def django_setup() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    os.environ.setdefault("DJANGO_DEBUG", "1")
    # Notification emails are queued, not sent: an in-memory broker needs no worker.
    os.environ.setdefault("CELERY_BROKER_URL", "memory://")
    import django

    django.setup()
    from django.db import connection

    if connection.vendor != "postgresql":
        sys.exit("the benchmark needs PostgreSQL: set DATABASE_URL=postgres://...")


def store_reset() -> None:
    """Migrate, empty the lead tables, seed the cast and the demo agreement."""
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE leads_cycle, leads_feedback, leads_leadevent, leads_lead, "
            "leads_importjob, leads_assignmentcursor, portal_notification CASCADE"
        )
    from portal import demo as people
    from slas import demo as agreements

    people.seed()
    agreements.seed()


def lead_history(i: int, rng: random.Random, start: dt.datetime) -> list[tuple]:
    """One lead's events: created, handoff, owner, attempts, then accept/recycle/... ."""
    t = start
    ev = []

    def step(kind, to_stage="", channel="", outcome="", reason="", actor=""):
        nonlocal t
        t += dt.timedelta(minutes=rng.randint(30, 60 * 30))
        ev.append((kind, t, actor, to_stage, channel, outcome, reason))

    rep = REPS[i % 3]
    step("created")
    step("stage_changed", "mql")
    step("owner_changed", outcome=rep)
    for _ in range(rng.randint(2, 5)):
        step(
            "contact_attempt",
            channel=rng.choice(["phone", "email", "video"]),
            outcome="no answer",
            actor=rep,
        )
    roll = rng.random()
    if roll < 0.2:
        step(
            "stage_changed",
            "recycled",
            reason=rng.choice(["no_budget", "bad_timing", "wrong_data"]),
            actor=rep,
        )
    else:
        step("stage_changed", "sal", actor=rep)
        if roll > 0.5:
            step("stage_changed", "sql", actor=rep)
            step("note", outcome="", actor=rep)
    return ev


def write_events_csv(path: Path, n: int, seed: int = 7) -> None:
    """n events, grouped by lead (about 8-10 per lead) like a CRM export, streamed."""
    rng = random.Random(seed)
    start = dt.datetime(2026, 1, 5, 8, tzinfo=dt.UTC)
    written = 0
    lead = 0
    with open(path, "w", encoding="utf-8", newline="") as out:
        out.write(HEADER)
        while written < n:
            history = lead_history(lead, rng, start + dt.timedelta(minutes=lead))
            title, industry, size = (
                rng.choice(TITLES),
                rng.choice(INDUSTRIES),
                rng.choice([20, 120, 450, 2000]),
            )
            for j, (kind, at, actor, to_stage, channel, outcome, reason) in enumerate(history):
                if written >= n:
                    break
                out.write(
                    f"bench,b{lead}-{j},lead-{lead},{kind},{at.isoformat()},{actor},{to_stage},"
                    f"{channel},{outcome},{reason},,p{lead}@example.org,Ana,Pop{lead},Company {lead % 5000},"
                    f"{title},{industry},{size},{SOURCES[lead % 5]}\n"
                )
                written += 1
            lead += 1


STAGING = (
    "CREATE TABLE bench_copy_staging (source text, event_id text, lead_external_id text, "
    "kind text, occurred_at timestamptz, actor_email text, to_stage text, channel text, "
    "outcome text, reason_code text, note text, email text, first_name text, last_name text, "
    "company text, job_title text, industry text, company_size text, lead_source text)"
)


def copy_baseline(cursor, path: Path) -> float:
    """Load the events CSV with COPY into an unindexed staging table `bench_copy_staging`
    (left in place for the caller); the seconds it took."""
    cursor.execute("DROP TABLE IF EXISTS bench_copy_staging")
    cursor.execute(STAGING)
    started = time.perf_counter()
    with (
        open(path, "rb") as stream,
        cursor.cursor.copy(
            "COPY bench_copy_staging FROM STDIN WITH (FORMAT csv, HEADER true)"
        ) as copy,
    ):
        while block := stream.read(1 << 20):
            copy.write(block)
    return time.perf_counter() - started


def peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
