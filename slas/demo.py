"""Demo agreements: Marketing-Sales with v1 superseded, v2 active, v3 a draft with real
differences; Sales-Customer Success with a draft. Dates are relative to today so the
demo stays alive. Idempotent: an agreement that exists is left as it is.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from portal.models import Team
from slas.models import (
    Agreement,
    Commitment,
    Holiday,
    NurtureTrack,
    ReasonCode,
    ScoringRule,
    Section,
    Term,
    Version,
    VersionStatus,
)

MARKETING_SALES = "Marketing ⇄ Sales SLA"
SALES_CS = "Sales ⇄ Customer Success handover"
TZ = "Europe/Bucharest"

TERMS = [
    ("Contact", "Any person in the database with at least a name and a way to reach them."),
    ("Lead", "A contact who has shown interest in our offer (a form, an event, a download)."),
    (
        "MQL",
        "Marketing-qualified lead: a lead whose fit and interest score reaches the MQL threshold, or who requested a demo.",
    ),
    ("SAL", "Sales-accepted lead: an MQL that sales has reviewed and accepted for follow-up."),
    ("SQL", "Sales-qualified lead: an SAL with a confirmed need, budget, authority and timing."),
    ("Opportunity", "An SQL with an open deal in the pipeline and a proposal in preparation."),
    ("Customer", "An organisation with a signed contract."),
    (
        "Recycled lead",
        "A lead that sales returns to marketing, with a reason code, to be nurtured.",
    ),
]

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


def _add_parts(
    version: Version,
    *,
    marketing: Team,
    sales: Team,
    threshold: int,
    hours: int,
    extra_term: tuple[str, str] | None = None,
    volume: int = 120,
) -> None:
    for position, (term, definition) in enumerate(TERMS):
        Term.objects.create(version=version, term=term, definition=definition, position=position)
    if extra_term:
        Term.objects.create(
            version=version, term=extra_term[0], definition=extra_term[1], position=len(TERMS)
        )
    for position, (attribute, operator, value, points, dimension) in enumerate(RULES):
        ScoringRule.objects.create(
            version=version,
            attribute=attribute,
            operator=operator,
            value=value,
            points=points,
            dimension=dimension,
            position=position,
        )
    for position, (code, label, applies) in enumerate(REASONS):
        ReasonCode.objects.create(
            version=version, code=code, label=label, applies_to=applies, position=position
        )
    for position, (name, description, days) in enumerate(TRACKS):
        NurtureTrack.objects.create(
            version=version,
            name=name,
            description=description,
            duration_days=days,
            position=position,
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
        Commitment.objects.create(
            version=version,
            owner_team=team,
            kind=kind,
            params=params,
            target=Decimal(target),
            period="month",
            description=description,
            position=position,
        )
    years = {version.effective_date.year, version.end_date.year}
    for year in sorted(years):
        for month_day, name in HOLIDAYS:
            day = datetime.date.fromisoformat(f"{year}-{month_day}")
            if version.effective_date <= day <= version.end_date:
                Holiday.objects.get_or_create(version=version, date=day, defaults={"name": name})
    Section.objects.create(
        version=version,
        title="Escalation",
        position=0,
        body=(
            "If a lead waits past its first-contact window:\n\n"
            "1. the owner is reminded at **50%** of the window;\n"
            "2. the sales manager is told at **100%**;\n"
            "3. the lead may be reassigned at **150%**.\n"
        ),
    )
    Section.objects.create(
        version=version,
        title="Review meeting",
        position=1,
        body=(
            "Marketing and sales managers meet on the first Tuesday of each month to review "
            "the previous month's scorecards and a sample of rejected leads."
        ),
    )


def _version(agreement, number, *, effective, status, summary, created_by, **fields) -> Version:
    return Version.objects.create(
        agreement=agreement,
        number=number,
        status=status,
        effective_date=effective,
        end_date=effective + datetime.timedelta(days=365),
        review_date=effective + datetime.timedelta(days=182),
        change_summary=summary,
        calendar_timezone=TZ,
        created_by=created_by,
        **fields,
    )


@transaction.atomic
def seed(stdout=None) -> None:
    from django.contrib.auth import get_user_model

    users = {
        u.username: u for u in get_user_model().objects.filter(username__in=["alice", "carol"])
    }
    marketing = Team.objects.get(name="Marketing")
    sales = Team.objects.get(name="Sales")
    customer_success = Team.objects.get(name="Customer Success")
    today = timezone.localdate()

    if not Agreement.objects.filter(title=MARKETING_SALES).exists():
        agreement = Agreement.objects.create(
            title=MARKETING_SALES,
            created_by=users.get("alice"),
            purpose="How marketing and sales share one revenue goal: what a qualified lead is, "
            "how fast sales follows up, and how leads come back to marketing.",
        )
        agreement.parties.set([marketing, sales])
        v1_start = today - datetime.timedelta(days=200)
        v2_start = today - datetime.timedelta(days=100)
        goal = {
            "revenue_goal_amount": Decimal("1000000"),
            "avg_deal_size": Decimal("25000"),
            "goal_statements": "1,000,000 USD of new business in 12 months from marketing-sourced leads.",
        }
        v1 = _version(
            agreement,
            1,
            effective=v1_start,
            status=VersionStatus.SUPERSEDED,
            summary="First agreement between marketing and sales.",
            created_by=users.get("alice"),
            mql_threshold=60,
            first_contact_hours=Decimal(24),
            handoff_trigger="Score reaches the MQL threshold, or a demo request.",
            handoff_information="Name, company, job title, source, score and why, last activities.",
            in_force_from=_local_midnight(v1_start),
            in_force_until=_local_midnight(v2_start),
            **goal,
        )
        _add_parts(v1, marketing=marketing, sales=sales, threshold=60, hours=24, volume=100)
        v2 = _version(
            agreement,
            2,
            effective=v2_start,
            status=VersionStatus.ACTIVE,
            summary="Raise the MQL volume target to 120 a month and lower the threshold to 55.",
            created_by=users.get("alice"),
            mql_threshold=55,
            first_contact_hours=Decimal(24),
            handoff_trigger="Score reaches the MQL threshold, or a demo request.",
            handoff_information="Name, company, job title, source, score and why, last activities.",
            in_force_from=_local_midnight(v2_start),
            **goal,
        )
        _add_parts(v2, marketing=marketing, sales=sales, threshold=55, hours=24, volume=120)
        v3 = _version(
            agreement,
            3,
            effective=today + datetime.timedelta(days=14),
            status=VersionStatus.DRAFT,
            summary="First contact within 16 business hours; define 'Nurture'.",
            created_by=users.get("carol"),
            mql_threshold=55,
            first_contact_hours=Decimal(16),
            handoff_trigger="Score reaches the MQL threshold, or a demo or pricing request.",
            handoff_information="Name, company, job title, source, score and why, last activities.",
            **goal,
        )
        _add_parts(
            v3,
            marketing=marketing,
            sales=sales,
            threshold=55,
            hours=16,
            volume=130,
            extra_term=("Nurture", "Automated and personal follow-up for leads not ready to buy."),
        )

    if not Agreement.objects.filter(title=SALES_CS).exists():
        agreement = Agreement.objects.create(
            title=SALES_CS,
            created_by=users.get("carol"),
            purpose="How a won deal is handed to customer success: what comes with it and how fast onboarding starts.",
        )
        agreement.parties.set([sales, customer_success])
        draft = _version(
            agreement,
            1,
            effective=today + datetime.timedelta(days=30),
            status=VersionStatus.DRAFT,
            summary="First handover agreement.",
            created_by=users.get("carol"),
            handoff_trigger="Contract signed.",
            handoff_information="Contract, stakeholders, goals agreed in the sales cycle.",
        )
        for position, (term, definition) in enumerate(TERMS[-2:]):
            Term.objects.create(version=draft, term=term, definition=definition, position=position)
        Commitment.objects.create(
            version=draft,
            owner_team=customer_success,
            kind="first_contact_within",
            params={"hours": 8},
            target=Decimal(95),
            description="Kick-off call within a day.",
        )
    from slas.demo_signing import seed as seed_signing  # v2 signed, v3 pending

    seed_signing(stdout)
