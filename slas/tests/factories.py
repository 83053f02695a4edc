"""Factories for the agreement area. Content is built through the services, like a person
would, so history rows and revisions are the real ones."""

from __future__ import annotations

import datetime
from decimal import Decimal

import factory

from slas import services
from slas.history import Source
from slas.models import Agreement, Version, VersionStatus


class AgreementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agreement

    title = factory.Sequence(lambda n: f"Agreement {n}")
    purpose = "How the teams work together."


def agreement_with_draft(cast, *, title="Marketing ⇄ Sales SLA", actor=None) -> Agreement:
    """An agreement between marketing and sales with draft v1 (created by Alice)."""
    return services.agreement_create(
        actor=actor or cast.alice,
        title=title,
        purpose="One revenue goal.",
        parties=[cast.marketing, cast.sales],
        effective_date=datetime.date(2026, 1, 1),
        source=Source.IMPORT,
    )


def fill_draft(version: Version, cast, *, volume: int = 100) -> Version:
    """Give a draft a realistic body: rules, threshold, reasons, tracks, commitments..."""
    actor = cast.alice
    create = [
        (
            "scoring_rules",
            {
                "attribute": "job_title",
                "operator": "contains",
                "value": "VP",
                "points": 25,
                "dimension": "fit",
            },
        ),
        (
            "scoring_rules",
            {
                "attribute": "visits",
                "operator": "gte",
                "value": "5",
                "points": 15,
                "dimension": "interest",
            },
        ),
        ("reason_codes", {"code": "no_budget", "label": "No budget", "applies_to": "any"}),
        (
            "nurture_tracks",
            {"name": "Education", "description": "Monthly newsletter.", "duration_days": 90},
        ),
        (
            "commitments",
            {
                "owner_team": cast.marketing,
                "kind": "mql_volume",
                "params": {},
                "target": Decimal(volume),
                "period": "month",
            },
        ),
        (
            "commitments",
            {
                "owner_team": cast.sales,
                "kind": "first_contact_within",
                "params": {"hours": 24},
                "target": Decimal(90),
                "period": "month",
            },
        ),
        ("holidays", {"date": datetime.date(2026, 12, 25), "name": "Christmas"}),
        (
            "process_steps",
            {
                "name": "Sales-accepted lead",
                "stages": ["sal"],
                "term": "SAL",
                "owner_team": cast.sales,
                "exit_criteria": "Qualified as SQL, or recycled with a reason.",
                "metric": "Conversion to SQL; time in step",
                "sla_hours": Decimal(40),
                "position": 2,
            },
        ),
        ("sections", {"title": "Review meeting", "body": "First **Tuesday** of the month."}),
        (
            "incentives",
            {
                "owner_team": cast.marketing,
                "name": "Won deals from our leads",
                "measure": "won_deals",
                "amount": Decimal("150"),
                "cap": Decimal("1500"),
                "condition": "speed_met",
            },
        ),
    ]
    version, _created = services.version_edit(
        actor=actor,
        version=version,
        expected_revision=None,
        fields={
            "mql_threshold": 50,
            "revenue_goal_amount": Decimal("1000000"),
            "avg_deal_size": Decimal("25000"),
            "goal_statements": "One million in new business.",
            "change_summary": "First agreement.",
            "handoff_trigger": "Score reaches the threshold.",
        },
        create=create,
        source=Source.IMPORT,
        what="test body",
    )
    return version


def set_status(version: Version, status: str) -> Version:
    """What the signing services do: a lifecycle-only save."""
    version.status = status
    version.save(update_fields=["status"])
    return version


def activate(version: Version) -> Version:
    return set_status(version, VersionStatus.ACTIVE)
