"""Demo feedback loop: feedback on most rejected and recycled leads, and two past review
sessions with minutes and action items (one overdue).

Runs after leads/demo.py and works from whatever leads and cycles exist. When there are
none (this branch alone), it first writes a small set of demo leads as events and builds
their cycles. Idempotent: leads that already have feedback and sessions that already
exist for a period are left as they are.
"""

from __future__ import annotations

import datetime as dt
import random

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from leads.cycle_rows import lead_cycles_refresh
from leads.models import Cycle, Lead, LeadEvent
from leads.reviews import services
from leads.reviews.models import ActionStatus, Feedback, ReviewOutcome, ReviewSession
from portal import permissions
from portal.models import Team
from slas.models import Agreement

AGREEMENT_TITLE = "Marketing ⇄ Sales SLA"  # slas.demo.MARKETING_SALES
DEMO_SOURCE = "demo-feedback"
FEEDBACK_SHARE = 0.75  # of rejected and recycled leads get feedback
SOURCES = ["Webinar", "Paid search", "Trade show", "Content download", "Referral"]
CAMPAIGNS = ["spring-webinar", "ppc-brand", "expo-2026", "ebook-roi", ""]
INDUSTRIES = ["Software", "Financial Services", "Retail", "Telecommunications", "Education"]
SIZES = ["1-10", "11-50", "51-200", "201-1000", "1000+"]
HELPED = [
    "Clear demo request with a stated use case.",
    "The pricing page visit told us the timing.",
    "Good notes from the webinar Q&A.",
]
WENT_WRONG = [
    "No budget until next fiscal year.",
    "The contact is an intern collecting information.",
    "Phone number and email both bounced.",
    "Already a customer of a competitor, contract runs two more years.",
    "Interested in a product we don't sell.",
]
OUTCOME_NOTES = {
    ReviewOutcome.GOOD_LEAD: "Right persona; sales should have called back sooner.",
    ReviewOutcome.BAD_FIT: "Company too small for the MQL threshold to let it through.",
    ReviewOutcome.BAD_TIMING: "Keep in the re-engage track; revisit next quarter.",
    ReviewOutcome.SALES_FOLLOW_UP: "Only two attempts before recycling.",
    ReviewOutcome.DATA_ISSUE: "Form let a fake phone number through.",
}


def _say(stdout, text: str) -> None:
    if stdout is not None:
        stdout.write(text)


def _users() -> dict:
    return {u.username: u for u in get_user_model().objects.filter(is_active=True)}


def _own_leads(agreement: Agreement, users: dict, now: dt.datetime) -> int:
    """A small lead history (events, then cycles) for when no other demo wrote leads."""
    marketing = Team.objects.get(name="Marketing")
    sales = Team.objects.get(name="Sales")
    reps = [users[name] for name in ("dan", "sara", "tariq") if name in users]
    rng = random.Random(6)  # noqa: S311 - demo data
    created = []
    for i in range(48):
        handoff = now - dt.timedelta(days=rng.randint(3, 95), hours=rng.randint(0, 8))
        lead, was_created = Lead.objects.get_or_create(
            source=DEMO_SOURCE,
            external_id=f"fb-{i:03d}",
            defaults={
                "first_name": ["Ana", "Ben", "Chen", "Dara", "Emil", "Farah"][i % 6],
                "last_name": ["Ionescu", "Khan", "Sato", "Novak", "Reyes", "Berg", "Olsen"][
                    (i // 6 + i) % 7
                ],
                "company": f"{['Nordwind', 'Lumen', 'Atlas', 'Quill', 'Orbit'][i % 5]} {i}",
                "job_title": ["Head of Sales", "Marketing Director", "Intern", "VP Operations"][
                    i % 4
                ],
                "lead_source": SOURCES[i % len(SOURCES)],
                "industry": INDUSTRIES[(i * 3) % len(INDUSTRIES)],
                "company_size": SIZES[(i * 7) % len(SIZES)],
                "attributes": {"campaign": CAMPAIGNS[i % len(CAMPAIGNS)]}
                if CAMPAIGNS[i % len(CAMPAIGNS)]
                else {},
                "agreement": agreement,
                "marketing_team": marketing,
                "sales_team": sales,
                "owner": reps[i % len(reps)] if reps else None,
                "created_at": handoff - dt.timedelta(days=2),
            },
        )
        if not was_created:
            continue
        owner = lead.owner
        events = [
            ("created", "", handoff - dt.timedelta(days=2), ""),
            ("stage_changed", "mql", handoff, ""),
        ]
        fate = i % 4
        if fate == 0:  # rejected back to marketing
            reason = ["no_budget", "no_authority", "wrong_data", "no_need"][(i // 4) % 4]
            to = "disqualified" if i % 8 == 0 else "recycled"
            if to == "disqualified":
                reason = "student"
            events.append(("stage_changed", to, handoff + dt.timedelta(hours=5), reason))
        elif fate == 1:  # accepted, worked, recycled by sales
            events.append(("contact_attempt", "", handoff + dt.timedelta(hours=3), ""))
            events.append(("stage_changed", "sal", handoff + dt.timedelta(hours=4), ""))
            events.append(("contact_attempt", "", handoff + dt.timedelta(days=2), ""))
            events.append(
                ("stage_changed", "recycled", handoff + dt.timedelta(days=3), "not_reachable")
            )
        elif fate == 2:  # accepted and won or lost
            events.append(("contact_attempt", "", handoff + dt.timedelta(hours=2), ""))
            events.append(("stage_changed", "sal", handoff + dt.timedelta(hours=6), ""))
            end = "won" if i % 3 else "lost"
            if handoff + dt.timedelta(days=2) < now:
                events.append(("stage_changed", end, handoff + dt.timedelta(days=2), ""))
        else:  # contacted, still open
            events.append(("contact_attempt", "", handoff + dt.timedelta(hours=30), ""))
        for kind, to_stage, at, reason in events:
            LeadEvent.objects.create(
                lead=lead,
                kind=kind,
                to_stage=to_stage,
                occurred_at=at,
                reason_code=reason,
                channel="phone" if kind == "contact_attempt" else "",
                actor=owner if kind != "created" else None,
            )
        last_stage = [to for kind, to, _at, _r in events if kind == "stage_changed"][-1]
        Lead.objects.filter(pk=lead.pk).update(stage=last_stage)
        created.append(lead.pk)
    lead_cycles_refresh(created)
    return len(created)


def _seed_feedback(agreement: Agreement, users: dict, now: dt.datetime) -> int:
    returned = (
        Cycle.objects.filter(agreement=agreement)
        .exclude(rejected_at__isnull=True, sales_recycle_at__isnull=True)
        .select_related("lead", "lead__owner")
        .order_by("lead_id", "number")
    )
    already = set(Feedback.objects.values_list("lead_id", flat=True).distinct())
    fallback = users.get("dan")
    count = 0
    for cycle in returned:
        lead = cycle.lead
        rng = random.Random(lead.pk)  # noqa: S311 - demo data
        if lead.pk in already or rng.random() > FEEDBACK_SHARE:
            continue
        already.add(lead.pk)
        author = (
            lead.owner if lead.owner and permissions.can_rate_lead(lead.owner, lead) else fallback
        )
        if author is None:
            continue
        returned_at = cycle.rejected_at or cycle.sales_recycle_at
        at = min(returned_at + dt.timedelta(minutes=rng.randint(5, 600)), now)
        version = services.lead_governing_version(lead, now=at)
        codes = [r.code for r in services.reason_codes_for(version)]
        reasons = []
        if cycle.rejected_reason_code in codes:
            reasons.append(cycle.rejected_reason_code)
        elif codes and rng.random() < 0.8:
            reasons.append(rng.choice(codes))
        if codes and rng.random() < 0.3:
            reasons.append(rng.choice(codes))
        rating = 1 + int(rng.random() * 3) if cycle.rejected_at else 2 + int(rng.random() * 3)
        services.feedback_create(
            lead=lead,
            author=author,
            # Only the last fortnight's feedback is news: older entries notify nobody.
            notify=at > now - dt.timedelta(days=14),
            rating=rating,
            reason_codes=reasons,
            helped=rng.choice(HELPED) if rating >= 3 else "",
            went_wrong=rng.choice(WENT_WRONG) if rating <= 3 else "",
            now=at,
        )
        count += 1
        if "bob" in users and rng.random() < 0.15:
            services.feedback_create(
                lead=lead,
                author=users["bob"],
                note="This one came through the partner list; we'll tighten the form.",
                now=min(at + dt.timedelta(hours=3), now),
                notify=False,
            )
    return count


def _first_tuesday_after(day: dt.datetime) -> dt.datetime:
    local = timezone.localtime(day)
    days = (1 - local.weekday()) % 7 or 7
    meeting = local + dt.timedelta(days=days)
    return meeting.replace(hour=10, minute=0, second=0, microsecond=0)


def _seed_sessions(agreement: Agreement, users: dict, now: dt.datetime) -> int:
    needed = ("alice", "bob", "carol", "dan")
    if any(name not in users for name in needed):
        return 0
    alice, bob, carol, dan = (users[name] for name in needed)
    tz, cadence = services.agreement_reporting_frame(agreement, now=now)
    recent, older = services.recent_periods(tz, cadence, now=now, count=3)[1:]
    marketing = Team.objects.get(name="Marketing")
    sales = Team.objects.get(name="Sales")
    made = 0
    today = timezone.localdate(now)
    plans = [
        (
            older,
            "Tighten the budget question on webinar forms",
            [
                ("Add a budget question to the webinar form", alice, -20, ActionStatus.DONE),
                ("Call back every demo request within 4 hours", dan, -15, ActionStatus.DONE),
            ],
        ),
        (
            recent,
            "Too many students from the e-book campaign; data quality of trade show leads",
            [
                ("Exclude student domains from the e-book campaign", alice, -3, ActionStatus.OPEN),
                (
                    "Re-score trade show leads with verified phone numbers",
                    bob,
                    10,
                    ActionStatus.IN_PROGRESS,
                ),
                ("Log a reason on every recycled lead", dan, 20, ActionStatus.OPEN),
            ],
        ),
    ]
    for number, (period, summary, actions) in enumerate(plans):
        if ReviewSession.objects.filter(agreement=agreement, period_label=period.label).exists():
            continue
        session = services.review_session_schedule(
            organizer=carol,
            agreement=agreement,
            marketing_team_id=marketing.pk,
            sales_team_id=sales.pk,
            period=period,
            cadence=cadence,
            scheduled_for=min(_first_tuesday_after(period.end), now - dt.timedelta(hours=2)),
            attendee_ids=[alice.pk, bob.pk, dan.pk],
            title=f"Lead review {period.label}",
        )
        services.review_session_pick_leads(
            session=session, user=carol, kind="rejected", sample_size=5, seed=number
        )
        services.review_session_pick_leads(
            session=session, user=carol, kind="recycled", sample_size=3, seed=number
        )
        services.review_session_pick_leads(
            session=session, user=carol, kind="won", sample_size=1, seed=number
        )
        outcomes = list(ReviewOutcome)
        reviewed = list(session.leads.all())
        for i, item in enumerate(reviewed):
            outcome = ReviewOutcome.GOOD_LEAD if item.picked_because == "won" else outcomes[i % 5]
            services.reviewed_lead_record(
                reviewed_lead=item, user=carol, outcome=outcome, note=OUTCOME_NOTES[outcome]
            )
        services.review_session_record_minutes(
            session=session,
            user=carol,
            attended_ids=[carol.pk, alice.pk, dan.pk] + ([bob.pk] if number else []),
            summary=summary,
            held=True,
        )
        for i, (title, owner, due_in, status) in enumerate(actions):
            action = services.action_item_create(
                session=session,
                user=carol,
                title=title,
                owner=owner,
                due_date=today + dt.timedelta(days=due_in),
                reviewed_lead=reviewed[i] if i < len(reviewed) else None,
            )
            if status != ActionStatus.OPEN:
                services.action_item_update(item=action, user=owner, status=status, now=now)
        made += 1
    return made


@transaction.atomic
def seed(stdout=None) -> None:
    agreement = Agreement.objects.filter(title=AGREEMENT_TITLE).first()
    if agreement is None:
        _say(stdout, "  no Marketing-Sales agreement: skipping feedback demo\n")
        return
    users = _users()
    now = timezone.now()
    if not Cycle.objects.filter(agreement=agreement).exists():
        made = _own_leads(agreement, users, now)
        _say(stdout, f"  no demo leads yet: wrote {made} leads for the feedback demo\n")
    count = _seed_feedback(agreement, users, now)
    sessions = _seed_sessions(agreement, users, now)
    _say(stdout, f"  feedback entries: {count} new; review sessions: {sessions} new\n")
