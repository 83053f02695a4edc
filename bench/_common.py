"""Shared by the benchmarks: Django setup, an empty lead store, a synthetic events CSV."""

from __future__ import annotations

import datetime as dt
import os
import random
import resource
import sys
import threading
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


def pid_cpu_seconds(pid: int) -> float | None:
    """CPU time (user + system) of a process of this machine, e.g. a PostgreSQL backend
    of a local server; None once it has ended. The clock ticks every 10 ms."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


class BackendsCPU:
    """The CPU time of the PostgreSQL backends (a local server) of the connections this
    process uses while in the block: the caller's own, from what it had used before,
    and every one opened meanwhile, by any thread (the importer's writers), in full.

    A backend that ends within the block (a writer's connection is closed when the
    import ends) is read every `interval` seconds until then, so each loses at most
    that much of its time: a few hundredths of a second an import."""

    def __init__(self, interval: float = 0.02) -> None:
        self.interval = interval
        self.start: dict[int, float] = {}
        self.last: dict[int, float] = {}
        self.lock = threading.Lock()
        self.done = threading.Event()
        self.sampler = threading.Thread(target=self._sample, daemon=True)

    def _track(self, pid: int, start: float) -> None:
        with self.lock:
            self.start.setdefault(pid, start)
            self.last.setdefault(pid, start)

    def _opened(self, sender, connection, **kwargs) -> None:
        self._track(connection.connection.info.backend_pid, 0.0)

    def _read(self) -> None:
        with self.lock:
            pids = list(self.last)
        for pid in pids:
            seconds = pid_cpu_seconds(pid)
            if seconds is not None:
                with self.lock:
                    self.last[pid] = max(self.last[pid], seconds)

    def _sample(self) -> None:
        while not self.done.wait(self.interval):
            self._read()

    def __enter__(self) -> BackendsCPU:
        from django.db import connection
        from django.db.backends.signals import connection_created

        connection.ensure_connection()
        pid = connection.connection.info.backend_pid
        self._track(pid, pid_cpu_seconds(pid) or 0.0)
        connection_created.connect(self._opened)
        self.sampler.start()
        return self

    def __exit__(self, *exc) -> None:
        from django.db.backends.signals import connection_created

        self.done.set()
        self.sampler.join()
        self._read()
        connection_created.disconnect(self._opened)

    @property
    def seconds(self) -> float:
        return sum(self.last[pid] - self.start[pid] for pid in self.last)

    @property
    def backends(self) -> int:
        return len(self.last)
