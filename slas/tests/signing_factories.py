"""Factories for the signing tests: an agreement with a full version (every part model)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import factory
from django.utils import timezone

from slas.models import (
    Agreement,
    Commitment,
    EscalationStep,
    Holiday,
    Incentive,
    NurtureTrack,
    ReasonCode,
    ScoringRule,
    Section,
    Term,
    Version,
    VersionStatus,
)
from slas.process.models import ProcessStep


class AgreementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agreement
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Agreement {n}")
    purpose = "Share one revenue goal."

    @factory.post_generation
    def parties(self, create, extracted, **kwargs):
        if create and extracted:
            self.parties.set(extracted)


class VersionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Version

    agreement = factory.SubFactory(AgreementFactory)
    number = factory.Sequence(lambda n: n + 1)
    status = VersionStatus.DRAFT
    effective_date = factory.LazyFunction(lambda: timezone.localdate())
    end_date = factory.LazyAttribute(lambda v: v.effective_date + datetime.timedelta(days=365))
    review_date = factory.LazyAttribute(lambda v: v.effective_date + datetime.timedelta(days=180))
    change_summary = "Faster first contact."
    revenue_goal_amount = Decimal("1000000")
    avg_deal_size = Decimal("25000")
    goal_statements = "1M USD in 12 months."
    mql_threshold = 55
    handoff_trigger = "Score reaches the threshold."
    handoff_information = "Name, company, score."
    calendar_timezone = "Europe/Bucharest"


def add_every_part(version: Version, owner_team) -> None:
    """One row of every part model, so every field of every component is in the content."""
    Term.objects.create(version=version, term="MQL", definition="Marketing-qualified lead.")
    Term.objects.create(version=version, term="SQL", definition="Sales-qualified.", position=1)
    ScoringRule.objects.create(
        version=version,
        attribute="job_title",
        operator="contains",
        value="VP",
        points=25,
        dimension="fit",
    )
    ReasonCode.objects.create(version=version, code="no_budget", label="No budget")
    NurtureTrack.objects.create(
        version=version, name="Education", description="Webinars.", duration_days=90
    )
    Commitment.objects.create(
        version=version,
        owner_team=owner_team,
        kind="first_contact_within",
        params={"hours": 24},
        target=Decimal("90"),
        description="First contact within 24 business hours.",
    )
    Holiday.objects.create(version=version, date=version.effective_date, name="Founders' day")
    Section.objects.create(version=version, title="Escalation", body="Remind at **50%**.")
    EscalationStep.objects.create(version=version, at_percent=50, action="remind_owner")
    ProcessStep.objects.create(
        version=version,
        name="Sales-accepted lead",
        stages=["sal"],
        term="SAL",
        owner_team=owner_team,
        exit_criteria="Qualified or recycled with a reason.",
        metric="Conversion to SQL",
        sla_hours=Decimal("16"),
    )
    Incentive.objects.create(
        version=version,
        owner_team=owner_team,
        name="Won deals",
        measure="won_deals",
        amount=Decimal("100"),
        cap=Decimal("1000"),
        condition="speed_met",
    )


def local_midnight(day: datetime.date, tz: str = "Europe/Bucharest") -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(0, 0), tzinfo=ZoneInfo(tz))


def marketing_sales(
    cast, *, v3_effective: datetime.date | None = None, v2_end: datetime.date | None = None
):
    """Marketing ⇄ Sales: v2 active since 100 days ago, v3 a draft with every part."""
    today = timezone.localdate()
    agreement = AgreementFactory(
        title="Marketing ⇄ Sales SLA", parties=[cast.marketing, cast.sales]
    )
    v2_start = today - datetime.timedelta(days=100)
    v2 = VersionFactory(agreement=agreement, number=2, effective_date=v2_start)
    if v2_end is not None:
        v2.end_date = v2_end
        v2.review_date = min(v2.review_date, v2_end)
        v2.save()
    add_every_part(v2, cast.sales)
    # Parts are written while it is a draft; then it takes effect (a lifecycle-only save).
    v2.status, v2.in_force_from = VersionStatus.ACTIVE, local_midnight(v2_start)
    v2.save(update_fields=["status", "in_force_from"])
    v3 = VersionFactory(
        agreement=agreement,
        number=3,
        effective_date=v3_effective or today,
        change_summary="First contact within 16 business hours.",
    )
    add_every_part(v3, cast.sales)
    return agreement, v2, v3
