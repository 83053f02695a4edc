"""Lead clocks: open first-contact clocks at risk, breached, and escalation steps reached. Each sweep looks at the facts as of `now` and writes every notification that is due and not yet written; a dedupe key per notification makes running it twice write nothing twice (portal.sweep).

Choices
-------
- A clock is open while its cycle has no clock stop by now (a stop stamped later has not
  happened yet) and no later handoff, and belongs to a governing version. It is judged
  by the compliance pages' rule, `slas.clock.Allowance`: business time since the
  handoff on the version's calendar, in whole microseconds, against the version's
  first-contact window, compared exactly.
- At risk: at most AT_RISK_SHARE of the window left and not yet breached (docs/compliance.md#at-risk-rule).
  A clock first seen already breached (e.g. after an outage) gets the breach, not a stale "at risk".
- Breached: business time > the window; the owner and the managers of the lead's sales
  team are told. Escalation steps fire once their percentage is reached (exactly).
- Clocks whose deadline passed more than LOOKBACK ago are left alone (nothing useful to
  say a month later)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.utils.translation import gettext_noop

from leads.cycles import clock_business_us
from leads.models import Cycle
from leads.selectors import clock_running
from portal.sweep import LOOKBACK, NotificationBatch, hours_text, managers_by_team, person_name
from portal.text import Text
from slas.calendars import version_calendar
from slas.clock import US_PER_SECOND, Allowance

# Lead clocks ------------------------------------------------------------------------------


def lead_clocks_sweep(*, now: dt.datetime) -> int:
    """At risk, breached and escalation notifications for every open first-contact clock."""
    cycles = list(
        Cycle.objects.filter(
            clock_running(now),
            ended_at__isnull=True,
            version__isnull=False,
            handoff_at__lte=now,
        )
        .filter(Q(deadline_at__isnull=True) | Q(deadline_at__gte=now - LOOKBACK))
        .select_related("lead__owner", "lead__sales_team", "version")
        .prefetch_related("version__holidays", "version__escalation_steps")
    )
    managers = managers_by_team(cycle.lead.sales_team_id for cycle in cycles)
    calendars: dict[int, object] = {}
    batch = NotificationBatch()
    for cycle in cycles:
        version, lead = cycle.version, cycle.lead
        if version.pk not in calendars:
            calendars[version.pk] = version_calendar(
                version, [h.date for h in version.holidays.all()]
            )
        allowance = Allowance.of(version.first_contact_hours)
        if allowance.hours <= 0:
            continue
        used = clock_business_us(cycle, calendars[version.pk], now)
        state = allowance.state(used, stopped=False)
        owner = lead.owner
        team_managers = [m for m in managers.get(lead.sales_team_id, []) if m != owner]
        obj = f"lead{lead.pk}.h{cycle.handoff_event_id}"
        url = lead.get_absolute_url()
        window_text = hours_text(float(allowance.hours) * 3600)
        if owner is not None and state == "at_risk":
            batch.add(
                recipient=owner,
                kind="lead_at_risk",
                key=f"lead_at_risk:{obj}",
                title=Text(
                    gettext_noop("At risk: first contact with %(lead)s due in %(left)s"),
                    lead=lead,
                    left=hours_text(max(allowance.left_us(used) / US_PER_SECOND, 60)),
                ),
                url=url,
                reason=Text(
                    gettext_noop(
                        "You own this lead and at most a quarter of its first-contact window "
                        "(%(window)s of business time) is left."
                    ),
                    window=window_text,
                ),
            )
        if state == "breached":
            title = Text(
                gettext_noop("Breached: no first contact with %(lead)s within %(window)s"),
                lead=lead,
                window=window_text,
            )
            batch.add(
                recipient=owner,
                kind="lead_breached",
                key=f"lead_breached:{obj}",
                title=title,
                url=url,
                reason=Text(
                    gettext_noop("You own this lead and its first-contact window has passed.")
                ),
            )
            for manager in team_managers:
                batch.add(
                    recipient=manager,
                    kind="lead_breached",
                    key=f"lead_breached:{obj}",
                    title=title,
                    url=url,
                    reason=Text(
                        gettext_noop(
                            "You manage %(team)s; the lead's owner (%(owner)s) did not make "
                            "first contact in time."
                        ),
                        team=lead.sales_team,
                        owner=person_name(owner),
                    ),
                )
        for step in version.escalation_steps.all():
            if not allowance.reached(used, step.at_percent):
                continue
            _escalate(batch, step, obj, lead, owner, team_managers, url)
    return batch.write()


def _escalate(
    batch: NotificationBatch, step, obj: str, lead, owner, team_managers, url: str
) -> None:
    key = f"lead_escalation:{obj}:{step.at_percent}:{step.action}"
    values = {"lead": lead, "percent": step.at_percent}
    if step.action == "remind_owner":
        batch.add(
            recipient=owner,
            kind="lead_escalation",
            key=key,
            title=Text(
                gettext_noop(
                    "Reminder: %(percent)s%% of the first-contact window for %(lead)s has passed"
                ),
                **values,
            ),
            url=url,
            reason=Text(
                gettext_noop(
                    "You own this lead; the agreement reminds the owner at %(percent)s%%."
                ),
                **values,
            ),
        )
    elif step.action == "notify_manager":
        for manager in team_managers:
            batch.add(
                recipient=manager,
                kind="lead_escalation",
                key=key,
                title=Text(
                    gettext_noop(
                        "%(lead)s: %(percent)s%% of the first-contact window passed, no contact"
                    ),
                    **values,
                ),
                url=url,
                reason=Text(
                    gettext_noop(
                        "You manage %(team)s; the agreement tells the manager at %(percent)s%%."
                    ),
                    **values,
                    team=lead.sales_team,
                ),
            )
    elif step.action == "allow_reassign":
        for manager in team_managers:
            batch.add(
                recipient=manager,
                kind="lead_escalation",
                key=key,
                title=Text(gettext_noop("%(lead)s may now be reassigned"), **values),
                url=url,
                reason=Text(
                    gettext_noop(
                        "You manage %(team)s; the agreement allows reassignment at %(percent)s%% "
                        "of the first-contact window."
                    ),
                    **values,
                    team=lead.sales_team,
                ),
            )
