"""Step SLA warnings: running step clocks at risk or breached (docs/compliance.md#step-sla).

Registered as the scheduler's `steps` part (reports.apps), run with the lead clocks every
minute. Like the lead-clock sweep it recomputes what is due from the stored cycles and
writes each notification once (a dedupe key per cycle and step), so a missed run is caught
up by the next and a second run writes nothing twice.

Choices
-------
- A step clock runs while the cycle is in the step as of now (reports.steps: entered,
  not left, cycle not ended by a later handoff), on a version with step SLAs.
- Who hears: the managers of the step's owner team (the step belongs to the team, not
  to the lead's owner), once when at risk and once when breached. A clock first seen
  already breached gets the breach only.
- Clocks breached more than LOOKBACK ago are left alone, as for lead clocks.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_noop

from leads.models import Cycle
from portal.sweep import LOOKBACK, NotificationBatch, hours_text, managers_by_team
from portal.text import Text
from reports.process import step_def
from reports.specs import CYCLE_FIELDS, facts_from_row
from reports.steps import step_clock
from slas.calendars import version_calendar
from slas.clock import US_PER_SECOND, Allowance
from slas.periods import period_containing
from slas.process.models import ProcessStep


def step_clocks_sweep(*, now: dt.datetime) -> int:
    """At-risk and breached notifications for every running step SLA clock."""
    steps_by_version: dict[int, list[ProcessStep]] = {}
    for step in ProcessStep.objects.filter(sla_hours__isnull=False).select_related("version"):
        steps_by_version.setdefault(step.version_id, []).append(step)
    if not steps_by_version:
        return 0
    rows = (
        Cycle.objects.filter(version_id__in=list(steps_by_version), handoff_at__lte=now)
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gt=now))
        .filter(handoff_at__gte=now - dt.timedelta(days=365))
        .select_related("lead")
    )
    managers = managers_by_team(
        step.owner_team_id for steps in steps_by_version.values() for step in steps
    )
    calendars = {}
    batch = NotificationBatch()
    for row in rows:
        facts = facts_from_row({name: getattr(row, name) for name in CYCLE_FIELDS})
        steps = steps_by_version[row.version_id]
        version = steps[0].version
        if version.pk not in calendars:
            calendars[version.pk] = version_calendar(version)
        calendar = calendars[version.pk]
        for step in steps:
            clock = step_clock(facts, step_def(step), calendar, now=now)
            if clock.span is None or clock.span.left_at is not None:
                continue
            if clock.state not in ("at_risk", "breached"):
                continue
            if clock.breach_at is not None and clock.breach_at < now - LOOKBACK:
                continue
            label = period_containing(calendar.tz, "month", clock.span.entered_at).label
            url = reverse("reports:process_step", args=[version.pk, step.pk, label])
            window = hours_text(float(Allowance.of(step.sla_hours).hours) * 3600)
            key = f"c{row.handoff_event_id}.s{step.pk}"
            if clock.state == "at_risk":
                left = Allowance.of(step.sla_hours).left_us(clock.used_us) / US_PER_SECOND
                kind, title, why = (
                    "step_at_risk",
                    Text(
                        gettext_noop("At risk: %(lead)s must leave step %(step)s within %(left)s"),
                        lead=row.lead,
                        step=step.name,
                        left=hours_text(max(left, 60)),
                    ),
                    Text(
                        gettext_noop(
                            "You manage %(team)s, which owns this step; at most a quarter of "
                            "its step SLA (%(window)s of business time) is left."
                        ),
                        team=step.owner_team.name,
                        window=window,
                    ),
                )
            else:
                kind, title, why = (
                    "step_breached",
                    Text(
                        gettext_noop("Breached: %(lead)s stayed in step %(step)s over %(window)s"),
                        lead=row.lead,
                        step=step.name,
                        window=window,
                    ),
                    Text(
                        gettext_noop(
                            "You manage %(team)s, which owns this step, and its step SLA has "
                            "passed."
                        ),
                        team=step.owner_team.name,
                    ),
                )
            for manager in managers.get(step.owner_team_id, []):
                batch.add(
                    recipient=manager,
                    kind=kind,
                    key=f"{kind}:{key}",
                    title=title,
                    url=url + f"?list={'at_risk' if kind == 'step_at_risk' else 'breached'}",
                    reason=why,
                )
    return batch.write()
