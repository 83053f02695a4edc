"""Factories for compliance tests: agreements with versions and commitments, and leads
with their events, whose cycles are refreshed through reports.facts as the leads
app's event writer does.

Calendar: Europe/Bucharest, Mon-Fri 09:00-17:00 (UTC+2 in winter, UTC+3 from
29 March 2026).
"""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from zoneinfo import ZoneInfo

import factory

from leads.cycle_rows import lead_cycles_refresh
from leads.models import Lead, LeadEvent
from leads.reviews.models import Feedback
from slas.models import Agreement, Commitment, ReasonCode, Version
from slas.testing import version_take_effect

TZ = "Europe/Bucharest"
BUC = ZoneInfo(TZ)


def local(month: int, day: int, hour: int = 10, minute: int = 0, year: int = 2026) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=BUC)


class AgreementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agreement

    title = factory.Sequence(lambda n: f"Marketing ⇄ Sales #{n}")


class VersionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Version

    agreement = factory.SubFactory(AgreementFactory)
    number = factory.Sequence(lambda n: n + 1)
    status = "draft"
    effective_date = dt.date(2026, 1, 1)
    end_date = dt.date(2027, 1, 1)
    review_date = dt.date(2026, 7, 1)
    calendar_timezone = TZ
    first_contact_hours = Decimal(4)


def commitments(version: Version, *, marketing, sales, volume=31, hours=4) -> list[Commitment]:
    """One commitment of every kind; marketing owns volume/acceptance/conversion."""
    specs = [
        (marketing, "mql_volume", {}, volume),
        (marketing, "acceptance_rate", {}, 70),
        (marketing, "conversion_rate", {"from_stage": "mql", "to_stage": "sql"}, 25),
        (sales, "first_contact_within", {"hours": hours}, 90),
        (sales, "attempts_before_recycle", {"attempts": 3}, 80),
        (sales, "reason_documented", {}, 95),
        (sales, "feedback_coverage", {}, 80),
    ]
    for code in ("no_budget", "no_need", "not_reachable"):
        ReasonCode.objects.get_or_create(version=version, code=code, defaults={"label": code})
    return [
        Commitment.objects.create(
            version=version,
            owner_team=team,
            kind=kind,
            params=params,
            target=Decimal(target),
            position=i,
        )
        for i, (team, kind, params, target) in enumerate(specs)
    ]


def two_versions(cast, *, switch=None):
    """v1 in force from 1 January 2026, superseded by v2 at ``switch`` (default
    15 March 2026 00:00 local), each with one commitment of every kind."""
    switch = switch or local(3, 15, 0)
    agreement = AgreementFactory()
    agreement.parties.set([cast.marketing, cast.sales])
    v1 = VersionFactory(agreement=agreement, number=1)
    v2 = VersionFactory(agreement=agreement, number=2)
    for v in (v1, v2):
        commitments(v, marketing=cast.marketing, sales=cast.sales)
    version_take_effect(v1, in_force_from=local(1, 1, 0), in_force_until=switch)
    version_take_effect(v2, in_force_from=switch)
    return agreement, v1, v2


_leads = itertools.count(1)


def lead(agreement, cast, *, owner=None, **fields) -> Lead:
    n = next(_leads)
    return Lead.objects.create(
        external_id=f"T{n}",
        first_name=fields.pop("first_name", "Lead"),
        last_name=fields.pop("last_name", str(n)),
        company=fields.pop("company", f"Company {n}"),
        agreement=agreement,
        marketing_team=cast.marketing,
        sales_team=cast.sales,
        owner=owner or cast.dan,
        created_at=fields.pop("created_at", local(1, 1, 0)),
        **fields,
    )


def story(lead_obj: Lead, *steps) -> Lead:
    """Write events and refresh the lead's cycles in one go. Steps:
    ("mql", at), ("sal", at), ("recycled", at, "reason"), ("attempt", at) ..."""
    for step in steps:
        what, at, *rest = step
        if what == "attempt":
            LeadEvent.objects.create(
                lead=lead_obj, kind="contact_attempt", occurred_at=at, channel="phone"
            )
        else:
            LeadEvent.objects.create(
                lead=lead_obj,
                kind="stage_changed",
                occurred_at=at,
                to_stage=what,
                reason_code=rest[0] if rest else "",
            )
    lead_cycles_refresh([lead_obj.pk])
    return lead_obj


def feedback(lead_obj: Lead, author, at: dt.datetime, rating=2) -> Feedback:
    return Feedback.objects.create(
        lead=lead_obj, author=author, rating=rating, went_wrong="Wrong persona", created_at=at
    )
