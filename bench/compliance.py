"""Benchmark: the version compliance page at 10k, 100k and 1M lead events.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sla_compliance \\
        python bench/compliance.py --events 10000,100000,1000000

EMPTIES the agreements, leads, events, cycles and feedback tables of that database. For each
size it generates realistic lead histories across two versions of one agreement
(handoffs, contact attempts, acceptances, rejections, sales recycles, returns to
MQL, plus score/owner/note events), inserts them with COPY, builds the cycle facts
in bulk (reports.services.cycles_rebuild), renders the active version's compliance
page through Django's test client (warm: after one render), and prints one JSON
line: events, page_ms_p50, page_ms_p95, queries (per page render), raw_sql_ms (the
headline first-contact rate of the current period computed from the raw events by
one hand-written SQL query) and ratio = page p95 / raw SQL. It also prints the
first-contact rate both ways (they must agree) and the set-up timings.

``--after-write`` measures the pages right after a write instead (issue 21): for each
page (version compliance, agreement compliance, monthly report of the lead's month) and
age of the written lead (handed off this month, last month, 5 months back), RUNS_AFTER
times: render the page warm (timed), log a first contact attempt on an open lead of that
age through the lead page's own view (``/leads/<id>/contact/``, as the sales manager),
render again (timed), then take the attempt back (untimed: its event deleted, the cycles
refreshed). A note (no figure changes) on a lead of this month is measured the same way.
One JSON line per page and age: warm and after-write p50/p95 (and the warm render's CPU
time in this process, p50), queries of each, the ratios (after / warm) and the write's own
time, with the load average. ``--pages`` names
the pages measured (``version``, ``agreement``, ``monthly``; all unless given).
``--queue --reuse`` measures My leads (dan), the team queue (carol) and a lead page warm
on that data instead (p50/p95, queries, first and fifth page).
``--time-step`` measures what the passing of time alone costs (issue 21): with the stored
results of the active version's compliance page warm, it moves a frozen clock from now to
``BENCH_STEP_HOURS`` (default 48) hours later, from one instant at which a stored result
of the version expires (the earliest ``valid_until`` after the clock) to the next. At
each, it reads the version's results (reports.results.results_for, timed)
``BENCH_STEP_REPEATS`` (7) times from the same expired rows (put back between reads),
each followed by a warm read; then renders the page (timed: that read brings the expired
results up to date) and again (warm). One JSON line: expiry instants and rows, results_for
and the page at an expiry and warm (p50), the expiry's own cost (at expiry - warm), queries.
``--reuse`` keeps the data already in the database (the sizes' first run built it) so
two code trees can be measured alternately on the same data.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import io
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
os.environ.setdefault("DJANGO_DEBUG", "1")

import django  # noqa: E402

django.setup()

from decimal import Decimal  # noqa: E402

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, reset_queries  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

TZ = "Europe/Bucharest"
ZONE = ZoneInfo(TZ)
TITLE = "Bench ⇄ SLA"
H = 24  # first-contact window (business hours)
REASONS = ["no_budget", "no_need", "no_authority", "bad_timing", "not_reachable"]
RUNS = 60
RUNS_AFTER = int(os.environ.get("BENCH_RUNS_AFTER", "20"))
STEP_REPEATS = int(os.environ.get("BENCH_STEP_REPEATS", "7"))


def setup_world():
    from portal.demo import seed as seed_people
    from portal.models import Team
    from reports.tests.factories import commitments
    from slas.models import Agreement, Holiday, ReasonCode, Version

    people = seed_people()
    truncate()
    marketing, sales = Team.objects.get(name="Marketing"), Team.objects.get(name="Sales")
    Agreement.objects.filter(title=TITLE).delete()
    agreement = Agreement.objects.create(title=TITLE)
    agreement.parties.set([marketing, sales])
    now = timezone.now()
    today = now.astimezone(ZONE).date()
    v1_start = dt.datetime.combine(today - dt.timedelta(days=360), dt.time(0), ZONE)
    switch = dt.datetime.combine(today - dt.timedelta(days=170), dt.time(0), ZONE)
    versions = []
    for number, start, end, status in (
        (1, v1_start, switch, "superseded"),
        (2, switch, None, "active"),
    ):
        v = Version.objects.create(
            agreement=agreement,
            number=number,
            effective_date=start.date(),
            end_date=start.date() + dt.timedelta(days=400),
            review_date=start.date() + dt.timedelta(days=180),
            calendar_timezone=TZ,
            first_contact_hours=Decimal(H),
            revenue_goal_amount=Decimal(1_000_000),
            avg_deal_size=Decimal(25_000),
        )
        commitments(v, marketing=marketing, sales=sales, volume=2000, hours=H)
        ReasonCode.objects.get_or_create(version=v, code="bad_timing", defaults={"label": "x"})
        for month_day in ("01-01", "05-01", "12-25"):
            for year in (start.year, start.year + 1):
                Holiday.objects.get_or_create(
                    version=v, date=dt.date.fromisoformat(f"{year}-{month_day}")
                )
        # Parts are written while it is a draft; then it takes effect (a lifecycle-only save).
        v.status, v.in_force_from, v.in_force_until = status, start, end
        v.save(update_fields=["status", "in_force_from", "in_force_until"])
        versions.append(v)
    return people, agreement, versions, v1_start, now


def business_jitter(rnd: random.Random, t: dt.datetime, mean_hours: float) -> dt.datetime:
    """A realistic reaction time: mostly working hours, sometimes late."""
    delta = dt.timedelta(hours=rnd.expovariate(1 / mean_hours))
    return t + delta


def generate(n_events: int, agreement, users, start: dt.datetime, now: dt.datetime, seed=7):
    """Lead rows and event rows (tuples) until n_events events exist."""
    rnd = random.Random(seed)
    reps = [users["dan"].pk, users["sara"].pk]
    marketing_team = agreement.parties.get(name="Marketing").pk
    sales_team = agreement.parties.get(name="Sales").pk
    span = (now - start).total_seconds()
    ungoverned_start = start - dt.timedelta(days=20)
    leads, events, feedback = [], [], []
    lead_id = event_id = 0

    def ev(lid, kind, at, to_stage="", reason="", channel=""):
        nonlocal event_id
        if at > now:
            return False
        event_id += 1
        events.append((event_id, lid, kind, at, to_stage, reason, channel))
        return True

    while len(events) < n_events:
        lead_id += 1
        if rnd.random() < 0.01:
            created = ungoverned_start + dt.timedelta(days=rnd.random() * 19)
        else:
            created = start + dt.timedelta(seconds=rnd.random() * span)
        # working-hours bias
        local = created.astimezone(ZONE)
        if rnd.random() < 0.8:
            local = local.replace(hour=rnd.randint(9, 16), minute=rnd.randint(0, 59))
        created = local.astimezone(dt.UTC)
        if created > now:
            created = now - dt.timedelta(minutes=rnd.randint(1, 600))
        owner = rnd.choice(reps)
        leads.append((lead_id, created, owner, marketing_team, sales_team))
        ev(lead_id, "created", created, "lead")
        t = created
        for _ in range(rnd.randint(0, 2)):
            t = t + dt.timedelta(hours=rnd.uniform(1, 48))
            ev(lead_id, "score_changed", t)
        cycles = 1 + (rnd.random() < 0.15)
        for _cycle in range(cycles):
            t = t + dt.timedelta(hours=rnd.uniform(0.5, 72))
            if not ev(lead_id, "stage_changed", t, "mql"):
                break
            roll = rnd.random()
            if roll < 0.08:  # not contacted yet (open or breached)
                break
            if roll < 0.2:  # rejected by sales, sometimes after one attempt
                if rnd.random() < 0.5:
                    t = business_jitter(rnd, t, 12)
                    ev(lead_id, "contact_attempt", t, channel="phone")
                t = business_jitter(rnd, t, 20)
                to = "recycled" if rnd.random() < 0.7 else "disqualified"
                reason = rnd.choice(REASONS) if rnd.random() < 0.9 else ""
                ev(lead_id, "stage_changed", t, to, reason)
                if rnd.random() < 0.6:
                    feedback.append((lead_id, t + dt.timedelta(hours=rnd.uniform(0.1, 48))))
                continue
            t = business_jitter(rnd, t, 14)
            ev(lead_id, "contact_attempt", t, channel=rnd.choice(["phone", "email"]))
            t = business_jitter(rnd, t, 6)
            ev(lead_id, "stage_changed", t, "sal")
            attempts = rnd.randint(0, 6)
            for _a in range(attempts):
                t = t + dt.timedelta(hours=rnd.uniform(4, 60))
                ev(lead_id, "contact_attempt", t, channel=rnd.choice(["phone", "email", "video"]))
            if rnd.random() < 0.1:
                ev(lead_id, "owner_changed", t + dt.timedelta(minutes=5))
            if rnd.random() < 0.3:
                ev(lead_id, "note", t + dt.timedelta(minutes=9))
            fate = rnd.random()
            if fate < 0.25:  # sales recycle
                t = t + dt.timedelta(hours=rnd.uniform(1, 48))
                reason = rnd.choice(REASONS) if rnd.random() < 0.92 else ""
                ev(lead_id, "stage_changed", t, "recycled", reason)
                if rnd.random() < 0.5:
                    feedback.append((lead_id, t + dt.timedelta(hours=2)))
                continue
            if fate < 0.7:
                for stage in ("sql", "opportunity", rnd.choice(["won", "lost"])):
                    t = t + dt.timedelta(days=rnd.uniform(1, 20))
                    if rnd.random() < 0.35 or not ev(lead_id, "stage_changed", t, stage):
                        break
            break
    return leads, events[:n_events], [f for f in feedback if f[1] <= now]


def copy_rows(table: str, columns: list[str], rows) -> None:
    buffer = io.StringIO()
    for row in rows:
        buffer.write(
            "\t".join(
                "\\N" if v is None else (v.isoformat() if isinstance(v, dt.datetime) else str(v))
                for v in row
            )
        )
        buffer.write("\n")
    with connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            copy.write(buffer.getvalue())


def truncate() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE leads_cycle, leads_leadevent, leads_feedback, leads_lead, "
            "reports_complianceresult RESTART IDENTITY CASCADE"
        )
        # The previous size's agreement: signed versions refuse deletes through the ORM.
        cursor.execute("TRUNCATE slas_agreement, slas_version RESTART IDENTITY CASCADE")


def load(agreement, leads, events, feedback, author_id, now) -> None:
    copy_rows(
        "leads_lead",
        [
            "id",
            "source",
            "external_id",
            "first_name",
            "last_name",
            "email",
            "company",
            "job_title",
            "industry",
            "company_size",
            "lead_source",
            "attributes",
            "agreement_id",
            "marketing_team_id",
            "sales_team_id",
            "owner_id",
            "stage",
            "fit_score",
            "interest_score",
            "nurture_track",
            "flagged",
            "flags",
            "created_at",
            "updated_at",
        ],
        (
            (
                lid,
                "bench",
                f"B{lid}",
                "Lead",
                str(lid),
                "",
                f"Company {lid % 997}",
                "",
                "",
                "",
                "web",
                "{}",
                agreement.pk,
                mt,
                st,
                owner,
                "mql",
                0,
                0,
                "",
                "f",
                "[]",
                created,
                now,
            )
            for lid, created, owner, mt, st in leads
        ),
    )
    copy_rows(
        "leads_leadevent",
        [
            "id",
            "lead_id",
            "kind",
            "occurred_at",
            "recorded_at",
            "from_stage",
            "to_stage",
            "channel",
            "outcome",
            "reason_code",
            "note",
            "data",
            "source",
            "source_event_id",
        ],
        (
            (eid, lid, kind, at, now, "", to, channel, "", reason, "", "{}", "bench", "")
            for eid, lid, kind, at, to, reason, channel in events
        ),
    )
    copy_rows(
        "leads_feedback",
        [
            "lead_id",
            "author_id",
            "rating",
            "reason_codes",
            "helped",
            "went_wrong",
            "note",
            "reply",
            "created_at",
            "updated_at",
        ],
        ((lid, author_id, 3, "[]", "", "", "", "", at, now) for lid, at in feedback),
    )
    with connection.cursor() as cursor:
        for table in ("leads_lead", "leads_leadevent"):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
            )
        cursor.execute("ANALYZE")


RAW_SQL = """
WITH h AS (
  SELECT e.id, e.lead_id, e.occurred_at AS t0,
         LEAD(e.occurred_at) OVER (PARTITION BY e.lead_id ORDER BY e.occurred_at, e.id) AS next_h
  FROM leads_leadevent e JOIN leads_lead l ON l.id = e.lead_id
  WHERE e.kind = 'stage_changed' AND e.to_stage = 'mql' AND l.agreement_id = %(agreement)s
), g AS (
  SELECT * FROM h WHERE t0 >= %(v_start)s AND t0 >= %(p_start)s AND t0 < %(p_end)s AND t0 <= %(now)s
), s AS (
  SELECT g.id, g.t0, (
    SELECT min(x.occurred_at) FROM leads_leadevent x
    WHERE x.lead_id = g.lead_id AND x.id <> g.id AND x.occurred_at >= g.t0
      AND (g.next_h IS NULL OR x.occurred_at < g.next_h)
      AND (x.kind = 'contact_attempt'
           OR (x.kind = 'stage_changed' AND x.to_stage IN ('recycled', 'disqualified')))
  ) AS t1 FROM g
), b AS (
  SELECT s.id, s.t1 IS NOT NULL AND s.t1 <= %(now)s AS stopped, (
    SELECT COALESCE(SUM(GREATEST(0, EXTRACT(EPOCH FROM
      LEAST(COALESCE(LEAST(s.t1, %(now)s), %(now)s), (d + time '17:00') AT TIME ZONE %(tz)s)
      - GREATEST(s.t0, (d + time '09:00') AT TIME ZONE %(tz)s)))), 0)
    FROM generate_series((s.t0 AT TIME ZONE %(tz)s)::date::timestamp,
                         (COALESCE(LEAST(s.t1, %(now)s), %(now)s) AT TIME ZONE %(tz)s)::date::timestamp,
                         interval '1 day') AS d
    WHERE EXTRACT(ISODOW FROM d) < 6 AND d::date <> ALL(%(holidays)s)
  ) AS secs FROM s
)
SELECT COUNT(*) FILTER (WHERE stopped AND secs <= %(limit)s),
       COUNT(*) FILTER (WHERE secs > %(limit)s)
FROM b
"""


def raw_first_contact(agreement, version, period, now, holidays):
    params = {
        "agreement": agreement.pk,
        "v_start": version.in_force_from,
        "p_start": period.start,
        "p_end": period.end,
        "now": now,
        "tz": TZ,
        "holidays": holidays,
        "limit": H * 3600,
    }
    with connection.cursor() as cursor:
        started = time.perf_counter()
        cursor.execute(RAW_SQL, params)
        met, breached = cursor.fetchone()
        elapsed = (time.perf_counter() - started) * 1000
    return elapsed, (100.0 * met / (met + breached) if met + breached else None)


def run(size: int) -> dict:
    from reports.selectors import version_compliance
    from reports.services import cycles_rebuild
    from slas.periods import period_containing

    people, agreement, (v1, v2), start, now = setup_world()
    users = people["users"]
    t0 = time.perf_counter()
    leads, events, feedback = generate(size, agreement, users, start, now)
    t1 = time.perf_counter()
    load(agreement, leads, events, feedback, users["dan"].pk, now)
    n_events, n_leads = len(events), len(leads)
    # The server process never holds the generator's million tuples: drop them so
    # the garbage collector does not walk them during the timed renders.
    del leads, events, feedback
    gc.collect()
    t2 = time.perf_counter()
    cycles = cycles_rebuild(chunk=20000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE leads_cycle")
    t3 = time.perf_counter()

    client = Client(HTTP_HOST="localhost")
    client.force_login(users["erin"])
    url = reverse("reports:version", args=[v2.pk])
    cold_started = time.perf_counter()
    assert client.get(url).status_code == 200
    cold_ms = (time.perf_counter() - cold_started) * 1000
    for _ in range(5):  # warm the process (templates, per-day calendar caches)
        client.get(url)
    timings, queries = [], set()
    for _ in range(RUNS):
        reset_queries()
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            response = client.get(url)
            timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
        queries.add(len(ctx))
    timings.sort()
    p50 = statistics.median(timings)
    p95 = timings[min(len(timings) - 1, round(0.95 * (len(timings) - 1)))]

    moment = timezone.now()
    period = period_containing(TZ, "month", moment)
    holidays = [h.isoformat() for h in v2.holidays.values_list("date", flat=True)]
    raw_runs = [raw_first_contact(agreement, v2, period, moment, holidays) for _ in range(3)]
    raw_ms = statistics.median(r[0] for r in raw_runs)
    raw_rate = raw_runs[0][1]
    page_line = version_compliance(v2, now=moment).line_of("first_contact_within")
    page_rate = page_line.result(period.label).actual
    return {
        "events": n_events,
        "page_ms_p50": round(p50, 1),
        "page_ms_p95": round(p95, 1),
        "queries": sorted(queries)[0] if len(queries) == 1 else sorted(queries),
        "raw_sql_ms": round(raw_ms, 1),
        "ratio": round(p95 / raw_ms, 3),
        "first_contact_rate": {"page": page_rate, "raw_sql": raw_rate},
        "leads": n_leads,
        "cycles": cycles,
        "cold_page_ms": round(cold_ms, 1),
        "generate_s": round(t1 - t0, 1),
        "copy_s": round(t2 - t1, 1),
        "cycles_build_s": round(t3 - t2, 1),
    }


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))], 1)


def _timed(client, url: str) -> tuple[float, int]:
    with CaptureQueriesContext(connection) as ctx:
        started = time.perf_counter()
        response = client.get(url)
        elapsed = (time.perf_counter() - started) * 1000
    assert response.status_code == 200, (url, response.status_code)
    return elapsed, len(ctx)


def _open_leads(version, period, limit: int) -> list[int]:
    """Leads with a cycle of ``version`` handed off in ``period`` whose first-contact
    clock has not stopped (a first attempt changes a figure), still open."""
    from leads.models import Cycle

    return list(
        Cycle.objects.filter(
            version=version,
            handoff_at__gte=period.start,
            handoff_at__lt=period.end,
            clock_stop_at__isnull=True,
            ended_at__isnull=True,
        )
        .exclude(lead__stage__in=["won", "lost", "disqualified"])
        .order_by("handoff_at")
        .values_list("lead_id", flat=True)[:limit]
    )


def _undo(event_pk: int, lead_id: int) -> None:
    from django.db import transaction

    from leads.cycle_rows import lead_cycles_refresh
    from leads.models import LeadEvent

    with transaction.atomic():
        LeadEvent.objects.filter(pk=event_pk).delete()
        lead_cycles_refresh([lead_id])


def _world(size: int, reuse: bool):
    """The bench agreement, its active version and the people: built, or (reuse) found."""
    from portal.demo import seed as seed_people
    from slas.models import Agreement, Version

    if reuse and Agreement.objects.filter(title=TITLE).exists():
        users = seed_people()["users"]
        agreement = Agreement.objects.get(title=TITLE)
        v2 = Version.objects.get(agreement=agreement, number=2)
    else:
        people, agreement, (_v1, v2), start, now = setup_world()
        users = people["users"]
        leads, events, feedback = generate(size, agreement, users, start, now)
        load(agreement, leads, events, feedback, users["dan"].pk, now)
        del leads, events, feedback
        gc.collect()
        from reports.services import cycles_rebuild

        cycles_rebuild(chunk=20000)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return users, agreement, v2


#: --pages names the pages of --after-write by these short names.
PAGES = {
    "version compliance": "version",
    "agreement compliance": "agreement",
    "monthly report": "monthly",
}


def after_write(size: int, reuse: bool, pages_wanted: set[str] | None = None) -> list[dict]:
    from leads.models import LeadEvent
    from leads.services import lead_event_record
    from slas.periods import period_containing

    users, agreement, v2 = _world(size, reuse)
    n_events = LeadEvent.objects.count()
    reader = Client(HTTP_HOST="localhost")
    reader.force_login(users["erin"])
    writer = Client(HTTP_HOST="localhost")
    writer.force_login(users["carol"])  # a manager of the sales team may log attempts
    now = timezone.now()
    this = period_containing(TZ, "month", now)
    ages = {"this month": this}
    back = this
    for n in range(1, 6):
        back = period_containing(TZ, "month", back.start - dt.timedelta(seconds=1))
        if n in (1, 5):
            ages[{1: "last month", 5: "5 months back"}[n]] = back
    lines = []
    for age, period in ages.items():
        pages = {
            "version compliance": reverse("reports:version", args=[v2.pk]),
            "agreement compliance": reverse("reports:agreement", args=[agreement.pk]),
            "monthly report": reverse("reports:monthly", args=[agreement.pk, period.label]),
        }
        if pages_wanted:
            pages = {page: url for page, url in pages.items() if PAGES[page] in pages_wanted}
        pool = _open_leads(v2, period, RUNS_AFTER)
        if not pool:
            lines.append({"events": n_events, "age": age, "error": "no open lead of that age"})
            continue
        writes = [("contact attempt", page, url) for page, url in pages.items()]
        if age == "this month" and "version compliance" in pages:
            writes.append(("note", "version compliance", pages["version compliance"]))
        for write, page, url in writes:
            for _ in range(3):
                reader.get(url)  # warm the process and the stored results
            warm, after, warm_q, after_q, write_ms, warm_cpu = [], [], set(), set(), [], []
            for i in range(RUNS_AFTER):
                lead_id = pool[i % len(pool)]
                reader.get(url)
                cpu_started = time.process_time()
                ms, q = _timed(reader, url)
                warm_cpu.append((time.process_time() - cpu_started) * 1000)
                warm.append(ms)
                warm_q.add(q)
                last = LeadEvent.objects.order_by("-pk").values_list("pk", flat=True).first()
                started = time.perf_counter()
                if write == "note":
                    from leads.models import Lead

                    lead_event_record(
                        lead=Lead.objects.get(pk=lead_id),
                        kind="note",
                        actor=users["carol"],
                        note="Bench note",
                    )
                else:
                    response = writer.post(
                        reverse("leads:lead_contact", args=[lead_id]),
                        {"channel": "phone", "outcome": "bench"},
                    )
                    assert response.status_code == 302, response.status_code
                write_ms.append((time.perf_counter() - started) * 1000)
                ms, q = _timed(reader, url)
                after.append(ms)
                after_q.add(q)
                event = LeadEvent.objects.filter(pk__gt=last or 0, lead_id=lead_id).first()
                _undo(event.pk, lead_id)
            w50, w95, a50, a95 = (
                _pct(warm, 0.5),
                _pct(warm, 0.95),
                _pct(after, 0.5),
                _pct(after, 0.95),
            )
            lines.append(
                {
                    "events": n_events,
                    "page": page,
                    "write": write,
                    "age": age,
                    "period": period.label,
                    "runs": RUNS_AFTER,
                    "distinct_leads": len({pool[i % len(pool)] for i in range(RUNS_AFTER)}),
                    "warm_p50": w50,
                    "warm_p95": w95,
                    # this process's CPU (the page's Python; PostgreSQL's work is not in it)
                    "warm_cpu_p50": _pct(warm_cpu, 0.5),
                    "after_p50": a50,
                    "after_p95": a95,
                    "ratio_p50": round(a50 / w50, 2),
                    "ratio_p95": round(a95 / w95, 2),
                    "queries_warm": sorted(warm_q),
                    "queries_after": sorted(after_q),
                    "write_ms_p50": _pct(write_ms, 0.5),
                    "load": [round(x, 2) for x in os.getloadavg()],
                    "code": str(ROOT),
                }
            )
            print(json.dumps(lines[-1]), flush=True)
    return lines


def time_steps(size: int, reuse: bool) -> dict:
    import time_machine

    from leads.models import LeadEvent
    from reports.models import ComplianceResult
    from reports.results import results_for
    from reports.specs import version_contexts

    users, _agreement, v2 = _world(size, reuse)
    n_events = LeadEvent.objects.count()
    reader = Client(HTTP_HOST="localhost")
    reader.force_login(users["erin"])
    url = reverse("reports:version", args=[v2.pk])
    start = timezone.now()
    end = start + dt.timedelta(hours=float(os.environ.get("BENCH_STEP_HOURS", "48")))
    # Stored by the code measured (--reuse: another tree may have stored them).
    ComplianceResult.objects.filter(version=v2).delete()
    with time_machine.travel(start, tick=False):
        for _ in range(3):
            reader.get(url)  # the stored results, and a warm process
    clock, instants, rows = start, [], 0
    at_expiry, warm, q_expiry, q_warm = [], [], set(), set()
    read_expiry, read_warm = [], []
    while True:
        due = (
            ComplianceResult.objects.filter(version=v2, valid_until__gt=clock)
            .order_by("valid_until")
            .values_list("valid_until", flat=True)
            .first()
        )
        if due is None or due > end:
            break
        clock = due
        expiring = list(ComplianceResult.objects.filter(version=v2, valid_until=due))
        rows += len(expiring)
        with time_machine.travel(clock, tick=False):
            for _ in range(STEP_REPEATS):  # the expiry alone, again from the same rows
                ComplianceResult.objects.filter(pk__in=[r.pk for r in expiring]).delete()
                ComplianceResult.objects.bulk_create(expiring)
                contexts = version_contexts([v2], clock)
                started = time.perf_counter()
                results_for(contexts, clock)
                read_expiry.append((time.perf_counter() - started) * 1000)
                contexts = version_contexts([v2], clock)
                started = time.perf_counter()
                results_for(contexts, clock)
                read_warm.append((time.perf_counter() - started) * 1000)
            ComplianceResult.objects.filter(pk__in=[r.pk for r in expiring]).delete()
            ComplianceResult.objects.bulk_create(expiring)
            ms, q = _timed(reader, url)
            at_expiry.append(ms)
            q_expiry.add(q)
            ms, q = _timed(reader, url)
            warm.append(ms)
            q_warm.add(q)
        instants.append(clock.astimezone(ZONE).isoformat(timespec="seconds"))
    line = {
        "events": n_events,
        "hours": round((end - start).total_seconds() / 3600, 1),
        "from": start.astimezone(ZONE).isoformat(timespec="seconds"),
        "expiries": len(instants),
        "rows_expired": rows,
        "page_at_expiry_p50": _pct(at_expiry, 0.5) if at_expiry else None,
        "page_at_expiry_mean": round(statistics.mean(at_expiry), 1) if at_expiry else None,
        "page_warm_p50": _pct(warm, 0.5) if warm else None,
        "expiry_cost_ms_p50": (
            _pct([a - w for a, w in zip(at_expiry, warm, strict=True)], 0.5) if warm else None
        ),
        "results_for_at_expiry_p50": _pct(read_expiry, 0.5) if read_expiry else None,
        "results_for_warm_p50": _pct(read_warm, 0.5) if read_warm else None,
        "results_for_expiry_cost_p50": (
            _pct([a - w for a, w in zip(read_expiry, read_warm, strict=True)], 0.5)
            if read_warm
            else None
        ),
        "queries_at_expiry": sorted(q_expiry),
        "queries_warm": sorted(q_warm),
        "first_instants": instants[:5],
        "load": [round(x, 2) for x in os.getloadavg()],
        "code": str(ROOT),
    }
    print(json.dumps(line), flush=True)
    return line


def queues(size: int, reuse: bool) -> list[dict]:
    """My leads (dan), the team queue (carol) and one lead page, warm: p50/p95 and queries
    of RUNS renders each, first page and a later one (no count over the queue)."""
    from leads.models import Cycle, LeadEvent
    from portal.demo import seed as seed_people

    if not reuse:
        sys.exit("--queue measures the data of an earlier run: give --reuse")
    users = seed_people()["users"]
    n_events = LeadEvent.objects.count()
    lead_id = (
        Cycle.objects.filter(owner=users["dan"], ended_at__isnull=True)
        .values_list("lead_id", flat=True)
        .first()
    )
    pages = [
        ("my leads", "dan", reverse("leads:queue")),
        ("my leads, page 5", "dan", reverse("leads:queue") + "?page=5"),
        ("my leads, closed", "dan", reverse("leads:queue") + "?closed=1"),
        ("team queue", "carol", reverse("leads:team_queue")),
        ("team queue, page 5", "carol", reverse("leads:team_queue") + "?page=5"),
        ("lead page", "dan", reverse("leads:lead_detail", args=[lead_id])),
    ]
    lines = []
    for name, who, url in pages:
        client = Client(HTTP_HOST="localhost")
        client.force_login(users[who])
        for _ in range(3):
            client.get(url)
        timings, queries = [], set()
        for _ in range(RUNS_AFTER * 2):
            ms, q = _timed(client, url)
            timings.append(ms)
            queries.add(q)
        lines.append(
            {
                "events": n_events,
                "page": name,
                "user": who,
                "runs": len(timings),
                "p50": _pct(timings, 0.5),
                "p95": _pct(timings, 0.95),
                "queries": sorted(queries),
                "load": [round(x, 2) for x in os.getloadavg()],
                "code": str(ROOT),
            }
        )
        print(json.dumps(lines[-1]), flush=True)
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", default="10000,100000,1000000")
    parser.add_argument("--after-write", action="store_true", help="pages right after a write")
    parser.add_argument("--reuse", action="store_true", help="keep the data in the database")
    parser.add_argument(
        "--pages",
        default="",
        help="with --after-write: only these pages (comma-separated: version,agreement,monthly)",
    )
    parser.add_argument("--queue", action="store_true", help="My leads, team queue, lead page")
    parser.add_argument("--time-step", action="store_true", help="results expiring with time")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Set DATABASE_URL to a PostgreSQL database (it may be emptied).")
    settings.DEBUG = False  # no per-query bookkeeping beyond what we capture
    if not args.reuse:
        call_command("migrate", verbosity=0)
    for size in [int(s) for s in args.events.split(",") if s]:
        if args.queue:
            queues(size, args.reuse)
        elif args.time_step:
            time_steps(size, args.reuse)
        elif args.after_write:
            after_write(size, args.reuse, {p for p in args.pages.split(",") if p} or None)
        else:
            print(json.dumps(run(size)), flush=True)


if __name__ == "__main__":
    main()
