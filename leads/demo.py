"""Demo leads: about 3,000 leads with six months of history under versions 1 and 2 of
the Marketing ⇄ Sales agreement (slas/demo.py), written through the real event writer
(so stages, scores, flags and cycles are derived exactly as in production).

History: handoffs, contact attempts (mostly in time, some late: breaches), acceptances,
rejections and sales recycles with reasons, opportunities won and lost, a few leads
returning as MQLs; and live clocks for dan and sara (`LIVE_CLOCKS`: breached, breaching
within minutes, at risk, on time) so the queue and the notifications are alive. Lead sources, origins, specialisations and visits come
from ../shared/datasets/x-education-leads/Leads.csv when that file is present (read at
seed time, never copied into the project), otherwise they are generated.

Idempotent: when demo leads exist, the history is left as it is and only the live
clocks are restarted from now (same leads, fresh handoff times). Deterministic (seeded
random).
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from leads.ingest.formats import ParsedEvent
from leads.ingest.store import IngestContext, lead_events_ingest
from leads.models import Cycle, Lead, LeadEvent
from leads.signals import cycles_changed
from portal.models import Team
from slas.clock import business_seconds
from slas.demo import MARKETING_SALES
from slas.governing import VersionIndex
from slas.models import Agreement

SOURCE = "demo"
LEADS = 3000
DATASET = Path(settings.BASE_DIR).parent / "shared" / "datasets" / "x-education-leads" / "Leads.csv"
REPS = ["dan@example.com", "sara@example.com", "tariq@example.com"]
SOURCER = "bob@example.com"
FIRST = [
    "Ana",
    "Mihai",
    "Ioana",
    "Andrei",
    "Elena",
    "Radu",
    "Maria",
    "Vlad",
    "Sofia",
    "Luca",
    "Irina",
    "Tudor",
    "Clara",
    "Dan",
    "Bianca",
    "Matei",
    "Yuki",
    "Omar",
    "Leila",
    "Sam",
]
LAST = [
    "Popescu",
    "Ionescu",
    "Stan",
    "Dumitru",
    "Marin",
    "Tanaka",
    "Haddad",
    "Rahimi",
    "Georgescu",
    "Florea",
    "Novak",
    "Costa",
    "Weber",
    "Moreau",
    "Olsen",
]
TITLES = [
    ("VP Sales", 3),
    ("Head of Marketing", 4),
    ("Director of Operations", 4),
    ("IT Manager", 6),
    ("Engineer", 6),
    ("Analyst", 5),
    ("CEO", 2),
    ("Student", 2),
    ("Consultant", 4),
]
INDUSTRIES = [
    "Software",
    "Financial Services",
    "Telecommunications",
    "Retail",
    "Education",
    "Healthcare",
    "Manufacturing",
]
SIZES = ["10", "45", "120", "250", "600", "1500", "5000"]
COMPANIES = [
    "Nordlicht",
    "Carpathia Tech",
    "Danubio",
    "Helix",
    "Orbit",
    "Kestrel",
    "Lumen",
    "Vertex",
    "Arcadia",
    "Bluefin",
    "Sakura Works",
    "Atlas",
    "Meridian",
    "Quanta",
]
REJECT = ["no_budget", "no_authority", "no_need", "bad_timing", "wrong_data"]
DISQUALIFY = ["competitor", "student", "no_need"]


def _dataset_rows(limit: int) -> list[dict[str, str]]:
    if not DATASET.exists():
        return []
    rows = []
    with open(DATASET, encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            rows.append(row)
            if len(rows) >= limit:
                break
    return rows


class _History:
    """Collects one lead's events; stops at `now` (later steps have not happened yet)."""

    def __init__(self, key: str, now: dt.datetime):
        self.key, self.now, self.items, self.n = key, now, [], 0
        self.done = False

    def add(self, kind: str, at: dt.datetime, **fields) -> bool:
        if self.done or at >= self.now:
            self.done = True
            return False
        self.n += 1
        self.items.append(
            ParsedEvent(
                row=0,
                source=SOURCE,
                event_id=f"{self.key}-{self.n}",
                lead_external_id=self.key,
                kind=kind,
                occurred_at=at,
                **fields,
            )
        )
        return True


def _working_instant(rng: random.Random, after: dt.datetime, max_hours: float) -> dt.datetime:
    """A time after `after`, nudged into Bucharest working hours (weekdays 9-17)."""
    from zoneinfo import ZoneInfo

    tz = ZoneInfo("Europe/Bucharest")
    at = after + dt.timedelta(hours=rng.uniform(0.2, max_hours))
    local = at.astimezone(tz)
    while local.weekday() >= 5 or not (9 <= local.hour < 17):
        local = (local + dt.timedelta(days=1)).replace(
            hour=rng.randint(9, 16), minute=rng.randint(0, 59)
        )
    return local.astimezone(dt.UTC)


def _lead_history(i: int, rng: random.Random, now: dt.datetime, base: dict) -> list[ParsedEvent]:
    key = f"demo-{i:05d}"
    h = _History(key, now)
    created = now - dt.timedelta(days=rng.uniform(2, 180))
    # Bob (marketing rep) brought in every third lead: his feedback page has something.
    sourcer = {"actor_email": SOURCER} if i % 3 == 0 else {}
    h.add("created", created, lead=base, **sourcer)
    if rng.random() > 0.6:
        return h.items  # stays a lead (not qualified)
    rep = REPS[i % 3]
    handoff = _working_instant(rng, created, 48)
    cycles = 2 if rng.random() < 0.07 else 1
    for cycle in range(cycles):
        if not h.add("stage_changed", handoff, to_stage="mql"):
            break
        h.add("owner_changed", handoff, outcome=rep)
        roll = rng.random()
        late = roll < 0.12
        first = _working_instant(rng, handoff, 90 if late else 14)
        if roll < 0.04:  # never contacted, rejected later
            h.add(
                "stage_changed",
                first + dt.timedelta(days=3),
                to_stage="recycled",
                reason_code=rng.choice(REJECT),
                actor_email=rep,
            )
            break
        h.add(
            "contact_attempt",
            first,
            channel=rng.choice(["phone", "email", "video"]),
            outcome=rng.choice(["no answer", "left voicemail", "talked"]),
            actor_email=rep,
        )
        at = first
        outcome = rng.random()
        if outcome < 0.18:  # rejected back to marketing
            at = _working_instant(rng, at, 30)
            to = "disqualified" if rng.random() < 0.25 else "recycled"
            h.add(
                "stage_changed",
                at,
                to_stage=to,
                actor_email=rep,
                reason_code=rng.choice(DISQUALIFY if to == "disqualified" else REJECT),
            )
            if to == "recycled" and cycle + 1 < cycles:
                handoff = _working_instant(rng, at, 24 * 20)
                continue
            break
        at = _working_instant(rng, at, 20)
        h.add("stage_changed", at, to_stage="sal", actor_email=rep)
        attempts = rng.randint(1, 7)
        for _ in range(attempts):
            at = _working_instant(rng, at, 40)
            h.add(
                "contact_attempt",
                at,
                channel=rng.choice(["phone", "email", "meeting"]),
                outcome=rng.choice(["no answer", "talked", "sent proposal"]),
                actor_email=rep,
            )
        if outcome < 0.35:  # sales recycle after the attempts
            h.add(
                "stage_changed",
                _working_instant(rng, at, 48),
                to_stage="recycled",
                reason_code=rng.choice(["not_reachable", "bad_timing", "no_budget"]),
                actor_email=rep,
            )
            break
        at = _working_instant(rng, at, 72)
        h.add("stage_changed", at, to_stage="sql", actor_email=rep)
        if outcome < 0.6:
            break
        at = _working_instant(rng, at, 120)
        h.add("stage_changed", at, to_stage="opportunity", actor_email=rep)
        if outcome < 0.75:
            break
        h.add(
            "stage_changed",
            _working_instant(rng, at, 300),
            to_stage="won" if rng.random() < 0.55 else "lost",
            actor_email=rep,
        )
        break
    return h.items


# Live clocks: (rep, business time left when the demo is seeded, as a share of the
# first-contact window plus seconds). Rebuilt relative to "now" on every seed, so the
# sweep (every minute under `make run`) soon has something to say to Dan: one clock is
# already breached, one breaches within ~2 minutes, one is at risk, one turns at risk
# within a few minutes. Business time only runs in working hours (Bucharest, weekdays
# 9-17): seeded outside them, the "soon" clocks wait for the next working day; the
# breached and at-risk ones are told at once.
LIVE_CLOCKS = [
    ("dan", 0.0, -2 * 3600),  # breached two business hours ago
    ("dan", 0.0, 90),  # breaches within ~2 minutes
    ("dan", 0.125, 0),  # at risk (1/8 of the window left)
    ("dan", 0.25, 4 * 60),  # at risk in 4 minutes
    ("dan", 0.5, 0),  # on time
    ("sara", 0.1, 0),  # at risk
    ("sara", 0.6, 0),  # on time
    ("sara", 0.2, 0),  # at risk
]


def _handoff_leaving(version, left: float, now: dt.datetime) -> dt.datetime:
    """The handoff instant whose first-contact clock has `left` business seconds to go at
    `now` (negative: overdue by that much). Elapsed business time only shrinks as the
    handoff moves later, so a bisection finds it (to well under a second)."""
    elapsed = float(version.first_contact_hours) * 3600 - left
    early, late = now - dt.timedelta(days=60), now
    for _ in range(40):
        middle = early + (late - early) / 2
        if business_seconds(version.calendar, middle, now) > elapsed:
            early = middle
        else:
            late = middle
    return late.replace(microsecond=0)


def _live_clock_keys() -> list[str]:
    return [f"demo-{LEADS + n:05d}" for n in range(len(LIVE_CLOCKS))]


def _open_clocks(now: dt.datetime) -> list[list[ParsedEvent]]:
    """Histories of the live-clock leads: created, handed off and owned, never contacted."""

    agreement = Agreement.objects.filter(title=MARKETING_SALES).first()
    version = VersionIndex().governing(agreement.pk if agreement else None, now)
    if version is None:
        return []
    window = float(version.first_contact_hours) * 3600
    out = []
    for n, ((rep, share, seconds), key) in enumerate(
        zip(LIVE_CLOCKS, _live_clock_keys(), strict=True)
    ):
        handoff = _handoff_leaving(version, share * window + seconds, now)
        base = {
            "first_name": FIRST[n % len(FIRST)],
            "last_name": LAST[(n * 3) % len(LAST)],
            "company": COMPANIES[n % len(COMPANIES)],
            "job_title": ["VP Sales", "Head of Marketing", "Director of IT"][n % 3],
            "industry": "Software",
            "company_size": "250",
            "lead_source": "Webinar",
            "email": f"open{n}@example.org",
            "attributes": {"visits": 7, "demo_requested": "yes"},
        }
        h = _History(key, now)
        h.add("created", handoff - dt.timedelta(hours=2), lead=base)
        h.add("stage_changed", handoff, to_stage="mql")
        h.add("owner_changed", handoff, outcome=f"{rep}@example.com")
        out.append(h.items)
    return out


def _live_clocks_reset() -> None:
    """Forget the live-clock leads' events (and so their cycles); the leads keep their
    ids, links and notifications, and get a fresh history relative to now."""
    leads = Lead.objects.filter(source=SOURCE, external_id__in=_live_clock_keys())
    touched = list(Cycle.objects.filter(lead__in=leads).values_list("version_id", "handoff_at"))
    LeadEvent.objects.filter(lead__in=leads).delete()
    cycles_changed.send(sender=Cycle, touched=touched)


def seed(stdout=None) -> None:
    marketing = Team.objects.filter(name="Marketing").first()
    sales = Team.objects.filter(name="Sales").first()
    if marketing is None or sales is None:
        return
    now = timezone.now().replace(microsecond=0)
    context = IngestContext(
        marketing_team=marketing,
        sales_team=sales,
        mode="history",
        handoff_on_score=False,
        assign_owner=False,
    )
    batch: list[ParsedEvent] = []
    total = 0

    def flush():
        nonlocal total
        if batch:
            total += lead_events_ingest(items=batch, context=context).created
            batch.clear()

    if Lead.objects.filter(source=SOURCE).exists():
        # The history stays; the live clocks are set running again from now.
        with transaction.atomic():
            _live_clocks_reset()
            for items in _open_clocks(now):
                batch.extend(items)
            flush()
        if stdout:
            stdout.write(f"  demo leads exist; {len(LIVE_CLOCKS)} live clocks restarted")
        return
    rng = random.Random(2026)
    dataset = _dataset_rows(LEADS)
    weights = [w for _t, w in TITLES]

    for i in range(LEADS):
        row = dataset[i] if i < len(dataset) else {}
        spec = row.get("Specialization", "")
        occupation = row.get("What is your current occupation", "")
        title = (
            "Student"
            if occupation == "Student"
            else rng.choices([t for t, _w in TITLES], weights)[0]
        )
        visits = row.get("TotalVisits") or str(rng.randint(0, 12))
        base = {
            "first_name": rng.choice(FIRST),
            "last_name": rng.choice(LAST),
            "email": f"lead{i}@example.org",
            "company": f"{rng.choice(COMPANIES)} {rng.choice(['SRL', 'Ltd', 'GmbH', 'KK', 'SA'])}",
            "job_title": title,
            "industry": rng.choice(INDUSTRIES) if not spec or spec == "Select" else spec[:255],
            "company_size": rng.choice(SIZES),
            "lead_source": (
                row.get("Lead Source")
                or rng.choice(["Google", "Organic Search", "Direct Traffic", "Referral", "Webinar"])
            )[:255],
            "attributes": {
                "visits": visits,
                "origin": row.get("Lead Origin", "Landing Page Submission"),
                "pricing_page": "yes" if rng.random() < 0.3 else "no",
                "demo_requested": "yes" if rng.random() < 0.2 else "no",
            },
        }
        history = _lead_history(i, rng, now, base)
        if i % 120 == 7:
            # A few histories from a legacy CRM skip acceptance (mql -> sql): kept, flagged.
            history = [e for e in history if e.to_stage != "sal"]
        batch.extend(history)
        if len(batch) >= 5000:
            flush()
    for items in _open_clocks(now):
        batch.extend(items)
    flush()
    if stdout:
        stdout.write(f"  {Lead.objects.filter(source=SOURCE).count()} demo leads, {total} events")
