"""Factories for the feedback and review tests: an agreement with an in-force version,
leads of the cast's teams, and their lifecycle written as events (facts refreshed)."""

from __future__ import annotations

import datetime as dt
import itertools

import factory

from leads.cycle_rows import lead_cycles_refresh
from leads.models import Lead, LeadEvent
from slas.models import Agreement, Commitment, ReasonCode, Version

UTC = dt.UTC
REASONS = [
    ("no_budget", "No budget this year", "any"),
    ("no_need", "No current need", "any"),
    ("wrong_data", "Wrong or incomplete contact data", "reject"),
    ("bad_timing", "Bad timing", "recycle"),
]
_ids = itertools.count(1)


def agreement_in_force(
    cast,
    *,
    since: dt.datetime = dt.datetime(2025, 1, 1, tzinfo=UTC),
    until: dt.datetime | None = None,
    reasons=REASONS,
    cadence: str = "month",
    number: int = 1,
    agreement: Agreement | None = None,
) -> Version:
    """A Marketing-Sales agreement with a version in force over [since, until)."""
    if agreement is None:
        agreement = Agreement.objects.create(title=f"Marketing-Sales SLA {next(_ids)}")
        agreement.parties.set([cast.marketing, cast.sales])
    version = Version.objects.create(
        agreement=agreement,
        number=number,
        effective_date=since.date(),
        end_date=since.date() + dt.timedelta(days=730),
        review_date=since.date() + dt.timedelta(days=180),
        reporting_cadence=cadence,
        calendar_timezone="UTC",
    )
    for position, (code, label, applies) in enumerate(reasons):
        ReasonCode.objects.create(
            version=version, code=code, label=label, applies_to=applies, position=position
        )
    Commitment.objects.create(
        version=version, owner_team=cast.marketing, kind="acceptance_rate", target=70
    )
    Commitment.objects.create(
        version=version,
        owner_team=cast.sales,
        kind="first_contact_within",
        params={"hours": 8},
        target=90,
    )
    # Parts are written while it is a draft; then it takes effect (a lifecycle-only save).
    version.status = "active" if until is None else "superseded"
    version.in_force_from, version.in_force_until = since, until
    version.save(update_fields=["status", "in_force_from", "in_force_until"])
    return version


class LeadFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lead

    external_id = factory.Sequence(lambda n: f"fb-{n}")
    first_name = factory.Sequence(lambda n: f"Lead{n}")
    last_name = "Tester"
    company = factory.Sequence(lambda n: f"Company {n}")
    lead_source = "Webinar"
    industry = "Software"
    company_size = "200-500"
    created_at = dt.datetime(2025, 1, 2, tzinfo=UTC)


def lead_for(cast, version: Version, **fields) -> Lead:
    fields.setdefault("owner", cast.dan)
    fields.setdefault("marketing_team", cast.marketing)
    fields.setdefault("sales_team", cast.sales)
    return LeadFactory(agreement=version.agreement, **fields)


def move(lead: Lead, to_stage: str, at: dt.datetime, *, reason: str = "", actor=None) -> LeadEvent:
    event = LeadEvent.objects.create(
        lead=lead,
        kind="stage_changed",
        to_stage=to_stage,
        occurred_at=at,
        reason_code=reason,
        actor=actor,
    )
    Lead.objects.filter(pk=lead.pk).update(stage=to_stage)
    lead_cycles_refresh([lead.pk])
    return event


def attempt(lead: Lead, at: dt.datetime, *, actor=None) -> LeadEvent:
    event = LeadEvent.objects.create(
        lead=lead, kind="contact_attempt", channel="phone", occurred_at=at, actor=actor
    )
    lead_cycles_refresh([lead.pk])
    return event


def handed_off_lead(cast, version: Version, at: dt.datetime, **fields) -> Lead:
    lead = lead_for(cast, version, **fields)
    move(lead, "mql", at)
    return lead


def rejected_lead(
    cast, version: Version, at: dt.datetime, *, reason: str = "no_budget", to="recycled", **fields
) -> Lead:
    lead = handed_off_lead(cast, version, at, **fields)
    move(lead, to, at + dt.timedelta(hours=2), reason=reason, actor=cast.dan)
    return lead
