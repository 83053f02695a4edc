"""Leads with running first-contact clocks, for the notification tests.

Real rows all the way: an agreement with an active version, a lead, its handoff event,
and the leads.Cycle facts rebuilt by reports.facts (as the leads area does).
"""

from __future__ import annotations

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

from leads.cycle_rows import lead_cycles_refresh
from leads.models import Lead, LeadEvent
from slas.models import Agreement, EscalationStep, Holiday, Version

UTC = dt.UTC
_numbers = itertools.count(1)


def active_agreement(
    cast,
    *,
    hours: float = 8,
    tz: str = "UTC",
    in_force_from: dt.datetime = dt.datetime(2026, 1, 1, tzinfo=UTC),
    effective: dt.date = dt.date(2026, 1, 1),
    end: dt.date = dt.date(2027, 1, 1),
    review: dt.date = dt.date(2026, 7, 1),
    working_days=(0, 1, 2, 3, 4),
    work_start: dt.time = dt.time(9),
    work_end: dt.time = dt.time(17),
    steps: tuple[tuple[int, str], ...] = (),
    holidays: tuple[dt.date, ...] = (),
) -> Version:
    agreement = Agreement.objects.create(title=f"Marketing-Sales SLA {next(_numbers)}")
    agreement.parties.set([cast.marketing, cast.sales])
    version = Version.objects.create(
        agreement=agreement,
        number=1,
        status="draft",
        first_contact_hours=hours,
        calendar_timezone=tz,
        working_days=list(working_days),
        work_start=work_start,
        work_end=work_end,
        effective_date=effective,
        end_date=end,
        review_date=review,
    )
    for percent, action in steps:
        EscalationStep.objects.create(version=version, at_percent=percent, action=action)
    for day in holidays:
        Holiday.objects.create(version=version, date=day, name="Holiday")
    # Parts are added while it is a draft; then it takes effect (a lifecycle-only save).
    version.status, version.in_force_from = "active", in_force_from
    version.save(update_fields=["status", "in_force_from"])
    return version


def handed_lead(cast, version: Version, *, at: dt.datetime, owner=None, name="Ada") -> Lead:
    """A lead handed to sales at `at` (an MQL handoff event), owned by Dan by default."""
    number = next(_numbers)
    lead = Lead.objects.create(
        external_id=f"L{number}",
        first_name=name,
        last_name=f"Lovelace {number}",
        company="Analytical Engines",
        agreement=version.agreement,
        marketing_team=cast.marketing,
        sales_team=cast.sales,
        owner=owner or cast.dan,
        created_at=at - dt.timedelta(hours=1),
    )
    LeadEvent.objects.create(lead=lead, kind="stage_changed", occurred_at=at, to_stage="mql")
    lead_cycles_refresh([lead.pk])
    return lead


def contact(lead: Lead, *, at: dt.datetime) -> None:
    LeadEvent.objects.create(lead=lead, kind="contact_attempt", occurred_at=at, channel="phone")
    lead_cycles_refresh([lead.pk])


def midday_zone() -> str:
    """A fixed-offset zone where it is now about noon, so a 00:00-23:59 working day
    counts every second of the last hours (no evening gap inside the test's window)."""
    offset = 12 - dt.datetime.now(dt.UTC).hour
    offset = max(-12, min(14, offset))
    return "Etc/GMT" + ("-" if offset >= 0 else "+") + str(abs(offset))


def round_the_clock_version(cast, *, hours: float = 1):
    zone = midday_zone()
    today = dt.datetime.now(ZoneInfo(zone)).date()
    return active_agreement(
        cast,
        hours=hours,
        tz=zone,
        working_days=range(7),
        work_start=dt.time(0, 0),
        work_end=dt.time(23, 59),
        in_force_from=dt.datetime.now(dt.UTC) - dt.timedelta(days=3),
        effective=today - dt.timedelta(days=3),
        end=today + dt.timedelta(days=300),
        review=today + dt.timedelta(days=200),
    )
