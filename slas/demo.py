"""Demo agreements: Marketing-Sales with v1 superseded and v2 active (each drafted, sent,
signed and in force in that order, months ago: see `slas.signing.demo`), v3 a draft
with real differences sent for signature today; Sales-Customer Success with a draft. Dates are relative to today so the
demo stays alive. Idempotent: an agreement that exists is left as it is.

Everything is written through the services (change reason "demo: ..."), so the history
timeline shows who wrote what; the status changes are what the signing services do
(lifecycle-only saves). Audit entries and history rows are dated when each step happened
(`slas.audit.chain.audit_dated`), so the audit log and the history page read in time
order and agree.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from portal.models import Team
from slas import services
from slas.audit.chain import audit_dated
from slas.history import Source
from slas.models import Agreement, Version
from slas.process.demo import SAL_HOURS_V3, process_map_rows
from slas.signing.demo import seed as seed_signing
from slas.signing.demo import version_signed_in_past

MARKETING_SALES = "Marketing ⇄ Sales SLA"
SALES_CS = "Sales ⇄ Customer Success handover"
TZ = "Europe/Bucharest"

RULES = [
    ("job_title", "contains", "Director", 20, "fit"),
    ("job_title", "contains", "VP", 25, "fit"),
    ("job_title", "contains", "Head", 15, "fit"),
    ("company_size", "gte", "200", 15, "fit"),
    ("industry", "in", "Software,Financial Services,Telecommunications", 10, "fit"),
    ("visits", "gte", "5", 15, "interest"),
    ("pricing_page", "equals", "yes", 20, "interest"),
    ("demo_requested", "equals", "yes", 40, "interest"),
]

REASONS = [
    ("no_budget", "No budget this year", "any"),
    ("no_authority", "Not a decision maker", "any"),
    ("no_need", "No current need", "any"),
    ("bad_timing", "Bad timing, revisit later", "recycle"),
    ("wrong_data", "Wrong or incomplete contact data", "reject"),
    ("not_reachable", "Not reachable after the agreed attempts", "recycle"),
    ("competitor", "Works for a competitor", "disqualify"),
    ("student", "Student or job seeker", "disqualify"),
]

TRACKS = [
    ("Education track", "Monthly newsletter and two webinars over 90 days.", 90),
    ("Re-engage later", "Quarterly check-in for leads with bad timing.", 180),
]

HOLIDAYS = [
    ("01-01", "New Year"),
    ("01-02", "New Year (2nd day)"),
    ("05-01", "Labour Day"),
    ("06-01", "Children's Day"),
    ("08-15", "Assumption"),
    ("11-30", "St Andrew"),
    ("12-01", "National Day"),
    ("12-25", "Christmas"),
    ("12-26", "Christmas (2nd day)"),
]


def _local_midnight(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(0, 0), tzinfo=ZoneInfo(TZ))


def _body(
    version: Version,
    *,
    marketing: Team,
    sales: Team,
    hours: int,
    volume: int,
) -> list[tuple[str, dict]]:
    """The parts beyond the default terms and escalation ladder, as service `create` rows."""
    rows: list[tuple[str, dict]] = []
    for position, (attribute, operator, value, points, dimension) in enumerate(RULES):
        rows.append(
            (
                "scoring_rules",
                {
                    "attribute": attribute,
                    "operator": operator,
                    "value": value,
                    "points": points,
                    "dimension": dimension,
                    "position": position,
                },
            )
        )
    for position, (code, label, applies) in enumerate(REASONS):
        rows.append(
            (
                "reason_codes",
                {"code": code, "label": label, "applies_to": applies, "position": position},
            )
        )
    for position, (name, description, days) in enumerate(TRACKS):
        rows.append(
            (
                "nurture_tracks",
                {
                    "name": name,
                    "description": description,
                    "duration_days": days,
                    "position": position,
                },
            )
        )
    commitments = [
        (
            marketing,
            "mql_volume",
            {},
            volume,
            "Marketing hands over at least this many MQLs a month.",
        ),
        (marketing, "acceptance_rate", {}, 70, "Sales accepts at least 70% of handed-off MQLs."),
        (
            marketing,
            "conversion_rate",
            {"from_stage": "mql", "to_stage": "sql"},
            25,
            "MQL to SQL conversion.",
        ),
        (
            sales,
            "first_contact_within",
            {"hours": hours},
            90,
            f"First contact within {hours} business hours.",
        ),
        (
            sales,
            "attempts_before_recycle",
            {"attempts": 6},
            80,
            "Six attempts before recycling a lead.",
        ),
        (sales, "reason_documented", {}, 95, "A reason for every recycled or disqualified lead."),
        (sales, "feedback_coverage", {}, 80, "Feedback on every rejected or recycled lead."),
    ]
    for position, (team, kind, params, target, description) in enumerate(commitments):
        rows.append(
            (
                "commitments",
                {
                    "owner_team": team,
                    "kind": kind,
                    "params": params,
                    "target": Decimal(target),
                    "period": "month",
                    "description": description,
                    "position": position,
                },
            )
        )
    for year in sorted({version.effective_date.year, version.end_date.year}):
        for month_day, name in HOLIDAYS:
            day = datetime.date.fromisoformat(f"{year}-{month_day}")
            if version.effective_date <= day <= version.end_date:
                rows.append(("holidays", {"date": day, "name": name}))
    rows.append(
        (
            "sections",
            {
                "title": "Escalation",
                "position": 0,
                "body": (
                    "If a lead waits past its first-contact window:\n\n"
                    "1. the owner is reminded at **50%** of the window;\n"
                    "2. the sales manager is told at **100%**;\n"
                    "3. the lead may be reassigned at **150%**.\n"
                ),
            },
        )
    )
    rows.append(
        (
            "sections",
            {
                "title": "Review meeting",
                "position": 1,
                "body": (
                    "Marketing and sales managers meet on the first Tuesday of each month to "
                    "review the previous month's scorecards and a sample of rejected leads."
                ),
            },
        )
    )
    return rows


def _incentives(*, marketing: Team, sales: Team) -> list[tuple[str, dict]]:
    """Shared incentives (docs/incentives.md): both teams paid for the same outcomes."""
    rules = [
        (marketing, "Won deals from our leads", "won_deals", "250", None, "2500", "speed_met"),
        (marketing, "Revenue share", "revenue", None, "1", "5000", "all_met"),
        (sales, "SQLs from marketing leads", "sqls", "40", None, "1200", "none"),
        (sales, "Both scorecards green", "commitments_met", "150", None, None, "none"),
    ]
    return [
        (
            "incentives",
            {
                "owner_team": team,
                "name": name,
                "measure": measure,
                "amount": Decimal(amount) if amount else None,
                "rate_percent": Decimal(rate) if rate else None,
                "cap": Decimal(cap) if cap else None,
                "condition": condition,
                "period": "month",
                "position": position,
            },
        )
        for position, (team, name, measure, amount, rate, cap, condition) in enumerate(rules)
    ]


def _dates(effective: datetime.date) -> dict:
    return {
        "effective_date": effective,
        "end_date": effective + datetime.timedelta(days=365),
        "review_date": effective + datetime.timedelta(days=182),
    }


def _at(day: datetime.date, days: int, hour: int, minute: int = 0) -> datetime.datetime:
    """`days` after `day` (negative: before), at `hour`:`minute` local time."""
    moment = datetime.time(hour, minute)
    return datetime.datetime.combine(day + datetime.timedelta(days=days), moment, ZoneInfo(TZ))


def _signed_in_past(version: Version, start: datetime.date, *, alice, carol, marketing, sales):
    """Sent by Alice ten days before `start`, signed by both managers, in force at `start`."""
    version_signed_in_past(
        version,
        sent_by=alice,
        sent_at=_at(start, -10, 9, 30),
        signers=[
            (alice, marketing, _at(start, -10, 9, 45)),
            (carol, sales, _at(start, -8, 16, 20)),
        ],
        in_force_from=_local_midnight(start),
    )


GOAL = {
    "revenue_goal_amount": Decimal("1000000"),
    "avg_deal_size": Decimal("25000"),
    "goal_statements": "1,000,000 USD of new business in 12 months from marketing-sourced leads.",
    "handoff_information": "Name, company, job title, source, score and why, last activities.",
    "calendar_timezone": TZ,
}


@transaction.atomic
def seed(stdout=None) -> None:
    from django.contrib.auth import get_user_model

    users = {
        u.username: u for u in get_user_model().objects.filter(username__in=["alice", "carol"])
    }
    alice, carol = users["alice"], users["carol"]
    marketing = Team.objects.get(name="Marketing")
    sales = Team.objects.get(name="Sales")
    customer_success = Team.objects.get(name="Customer Success")
    today = timezone.localdate()

    if not Agreement.objects.filter(title=MARKETING_SALES).exists():
        v1_start = today - datetime.timedelta(days=200)
        v2_start = today - datetime.timedelta(days=100)
        # The audit trail reads in time order: each version is drafted a few weeks before
        # it takes effect, sent ten days before, signed over the next days.
        with audit_dated(_at(v1_start, -21, 10)):
            agreement = services.agreement_create(
                actor=alice,
                title=MARKETING_SALES,
                purpose="How marketing and sales share one revenue goal: what a qualified lead "
                "is, how fast sales follows up, and how leads come back to marketing.",
                parties=[marketing, sales],
                effective_date=v1_start,
                source=Source.DEMO,
            )
        v1 = agreement.versions.get(number=1)
        with audit_dated(_at(v1_start, -20, 11)):
            services.version_edit(
                actor=alice,
                version=v1,
                expected_revision=None,
                fields={
                    **GOAL,
                    **_dates(v1_start),
                    "change_summary": "First agreement between marketing and sales.",
                    "mql_threshold": 60,
                    "first_contact_hours": Decimal(24),
                    "handoff_trigger": "Score reaches the MQL threshold, or a demo request.",
                },
                create=_body(v1, marketing=marketing, sales=sales, hours=24, volume=100),
                source=Source.DEMO,
                what=gettext_noop("first agreement"),
            )
        v1.refresh_from_db()
        _signed_in_past(v1, v1_start, alice=alice, carol=carol, marketing=marketing, sales=sales)

        with audit_dated(_at(v2_start, -21, 10)):
            v2 = services.version_amend(actor=alice, agreement=agreement, source=Source.DEMO)
        volume = v2.commitments.get(kind="mql_volume")
        with audit_dated(_at(v2_start, -20, 11)):
            services.version_edit(
                actor=alice,
                version=v2,
                expected_revision=None,
                fields={
                    **_dates(v2_start),
                    "change_summary": "Raise the MQL volume target to 120 a month and lower the "
                    "threshold to 55; map the lead process with step SLAs; commit to a visitor-to-lead "
                    "rate. Shared incentives: both teams paid for the same deals.",
                    "mql_threshold": 55,
                },
                update=[(volume, {"target": Decimal(120)})],
                create=[
                    *process_map_rows(marketing=marketing, sales=sales),
                    *_incentives(marketing=marketing, sales=sales),
                    (
                        "commitments",
                        {
                            "owner_team": marketing,
                            "kind": "visitor_to_lead",
                            "params": {},
                            "target": Decimal("2.5"),
                            "period": "month",
                            "description": "At least 2.5% of website visitors become leads.",
                            "position": 7,
                        },
                    ),
                ],
                source=Source.DEMO,
                what=gettext_noop("raise the MQL target"),
            )
        v2.refresh_from_db()
        _signed_in_past(v2, v2_start, alice=alice, carol=carol, marketing=marketing, sales=sales)

        v3 = services.version_amend(actor=carol, agreement=agreement, source=Source.DEMO)
        first_contact = v3.commitments.get(kind="first_contact_within")
        volume = v3.commitments.get(kind="mql_volume")
        sal_step = next(s for s in v3.process_steps.all() if s.stages == ["sal"])
        won_deals = v3.incentives.get(measure="won_deals")
        services.version_edit(
            actor=carol,
            version=v3,
            expected_revision=None,
            fields={
                **_dates(today + datetime.timedelta(days=14)),
                "change_summary": "First contact within 16 business hours; define 'Nurture'.",
                "first_contact_hours": Decimal(16),
                "handoff_trigger": "Score reaches the MQL threshold, or a demo or pricing request.",
            },
            create=[
                (
                    "terms",
                    {
                        "term": "Nurture",
                        "definition": "Automated and personal follow-up for leads not ready to buy.",
                        "position": len(services.DEFAULT_TERMS),
                    },
                )
            ],
            update=[
                (
                    first_contact,
                    {
                        "params": {"hours": 16},
                        "description": "First contact within 16 business hours.",
                    },
                ),
                (volume, {"target": Decimal(130)}),
                (sal_step, {"sla_hours": SAL_HOURS_V3}),
                (won_deals, {"amount": Decimal(300), "cap": Decimal(3000)}),
            ],
            source=Source.DEMO,
            what=gettext_noop("faster first contact"),
        )

    if not Agreement.objects.filter(title=SALES_CS).exists():
        agreement = services.agreement_create(
            actor=carol,
            title=SALES_CS,
            purpose="How a won deal is handed to customer success: what comes with it and how fast onboarding starts.",
            parties=[sales, customer_success],
            effective_date=today + datetime.timedelta(days=30),
            source=Source.DEMO,
        )
        draft = agreement.versions.get(number=1)
        services.version_edit(
            actor=carol,
            version=draft,
            expected_revision=None,
            fields={
                "change_summary": "First handover agreement.",
                "handoff_trigger": "Contract signed.",
                "handoff_information": "Contract, stakeholders, goals agreed in the sales cycle.",
                "calendar_timezone": TZ,
            },
            delete=list(draft.terms.exclude(term__in=["Customer", "Recycled lead"])),
            create=[
                (
                    "commitments",
                    {
                        "owner_team": customer_success,
                        "kind": "first_contact_within",
                        "params": {"hours": 8},
                        "target": Decimal(95),
                        "period": "month",
                        "description": "Kick-off call within a day.",
                    },
                )
            ],
            source=Source.DEMO,
            what=gettext_noop("first draft"),
        )
    seed_signing(stdout, agreement_title=MARKETING_SALES)
