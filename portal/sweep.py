"""What is due, computed from the database.

The periodic tasks call these functions; each one looks at the facts (open first-contact
clocks in leads.Cycle, version dates, the calendar) as of `now`, and writes every
notification that is due and not yet written. Because "due" is recomputed every time
from the database and every notification has a dedupe key, a sweep that did not run
(broker or worker down) is caught up by the next one, and running it twice writes
nothing twice.

Choices
-------
- A clock is open while its cycle has no clock stop and no later handoff, and belongs
  to a governing version. Its elapsed share is business time since the handoff over the
  version's first-contact window, on the version's calendar.
- At risk: at most 25% of the window left and not yet breached. A clock first seen
  already breached (e.g. after an outage) gets the breach, not a stale "at risk".
- Breached: business time > the window; the owner and the managers of the lead's sales
  team are told. Escalation steps fire once their percentage is reached.
- Clocks whose deadline passed more than LOOKBACK ago are left alone (nothing useful to
  say a month later).
- Date reminders (review date, end date) fire at 30, 7 and 1 days before, in the
  version's time zone; after an outage only the most pressing step is sent. The end
  date is exclusive: a version is over from its end date on.
- The monthly report is announced on the first business day of the month (version
  calendar) for agreements whose active version was in force before the month began.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from django.db.models import Q
from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext_noop

from portal.models import EmailDelivery, Membership, Notification, Role
from portal.notifications import (
    PARTY_MEMBER,
    notification_create,
    notification_email_enqueue,
    party_members,
)
from portal.text import Text
from slas.calendars import version_calendar
from slas.clock import business_seconds

AT_RISK_SHARE = 0.25
LOOKBACK = dt.timedelta(days=30)
DATE_STEPS = (30, 7, 1)
EMAIL_RETRY_GRACE = dt.timedelta(minutes=2)
EMAIL_LOST_AFTER = dt.timedelta(minutes=65)  # longer than the task's longest backoff

ALL_PARTS = ("leads", "emails", "reminders", "expiry", "monthly", "actions")


def sweep_all(*, now: dt.datetime, parts: Iterable[str] = ALL_PARTS) -> dict[str, int]:
    runners = {
        "leads": lead_clocks_sweep,
        "emails": pending_emails_requeue,
        "reminders": agreement_dates_sweep,
        "expiry": version_expiry_sweep,
        "monthly": monthly_report_sweep,
        "actions": action_items_sweep,
    }
    return {part: runners[part](now=now) for part in parts}


class _Batch:
    """Candidate notifications; writes only those whose (recipient, key) is new."""

    def __init__(self) -> None:
        self.items: list[dict] = []

    def add(self, *, recipient, kind: str, key: str, title: Text, url: str, reason: Text) -> None:
        if recipient is None or not recipient.is_active:
            return
        self.items.append(
            {
                "recipient": recipient,
                "kind": kind,
                "dedupe_key": key,
                "title": title,
                "url": url,
                "reason": reason,
            }
        )

    def write(self) -> int:
        if not self.items:
            return 0
        # One query to skip what exists already (the unique constraint still guards races).
        existing = set(
            Notification.objects.filter(
                dedupe_key__in={item["dedupe_key"] for item in self.items}
            ).values_list("recipient_id", "dedupe_key")
        )
        written = 0
        for item in self.items:
            if (item["recipient"].pk, item["dedupe_key"]) in existing:
                continue
            existing.add((item["recipient"].pk, item["dedupe_key"]))
            written += notification_create(**item) is not None
        return written


def _managers_by_team(team_ids: Iterable[int]) -> dict[int, list]:
    managers: dict[int, list] = defaultdict(list)
    for membership in Membership.objects.filter(
        team_id__in=set(team_ids), role=Role.MANAGER
    ).select_related("user"):
        managers[membership.team_id].append(membership.user)
    return managers


def _person(user) -> str | Text:
    if user is None:
        return Text(gettext_noop("nobody"))
    return user.get_full_name() or user.get_username()


def _hours(seconds: float) -> Text:
    hours = seconds / 3600
    if hours < 1:
        return Text(gettext_noop("%(minutes)d min"), minutes=max(1, round(seconds / 60)))
    return Text(gettext_noop("%(hours)s h"), hours=f"{hours:.1f}".removesuffix(".0"))


# Lead clocks ------------------------------------------------------------------------------


def lead_clocks_sweep(*, now: dt.datetime) -> int:
    """At risk, breached and escalation notifications for every open first-contact clock."""
    from leads.models import Cycle

    cycles = list(
        Cycle.objects.filter(
            clock_stop_at__isnull=True,
            ended_at__isnull=True,
            version__isnull=False,
            handoff_at__lte=now,
        )
        .filter(Q(deadline_at__isnull=True) | Q(deadline_at__gte=now - LOOKBACK))
        .select_related("lead__owner", "lead__sales_team", "version")
        .prefetch_related("version__holidays", "version__escalation_steps")
    )
    managers = _managers_by_team(cycle.lead.sales_team_id for cycle in cycles)
    calendars: dict[int, object] = {}
    batch = _Batch()
    for cycle in cycles:
        version, lead = cycle.version, cycle.lead
        if version.pk not in calendars:
            calendars[version.pk] = version_calendar(
                version, [h.date for h in version.holidays.all()]
            )
        window = float(version.first_contact_hours) * 3600
        if window <= 0:
            continue
        elapsed = business_seconds(calendars[version.pk], cycle.handoff_at, now)
        share = elapsed / window
        owner = lead.owner
        team_managers = [m for m in managers.get(lead.sales_team_id, []) if m != owner]
        obj = f"lead{lead.pk}.h{cycle.handoff_event_id}"
        url = lead.get_absolute_url()
        window_text = _hours(window)
        if owner is not None and 1 - AT_RISK_SHARE <= share <= 1:
            batch.add(
                recipient=owner,
                kind="lead_at_risk",
                key=f"lead_at_risk:{obj}",
                title=Text(
                    gettext_noop("At risk: first contact with %(lead)s due in %(left)s"),
                    lead=lead,
                    left=_hours(max(window - elapsed, 60)),
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
        if share > 1:
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
                        owner=_person(owner),
                    ),
                )
        for step in version.escalation_steps.all():
            if share * 100 < step.at_percent:
                continue
            _escalate(batch, step, obj, lead, owner, team_managers, url)
    return batch.write()


def _escalate(batch: _Batch, step, obj: str, lead, owner, team_managers, url: str) -> None:
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


# Emails whose task never reached the broker ---------------------------------------------------


def pending_emails_requeue(*, now: dt.datetime, limit: int = 500) -> int:
    """Enqueue again immediate emails never queued (broker down) or whose task was lost."""
    pending = (
        Notification.objects.filter(
            email_delivery=EmailDelivery.IMMEDIATE,
            emailed_at__isnull=True,
            created_at__lte=now - EMAIL_RETRY_GRACE,
            created_at__gte=now - dt.timedelta(days=7),
        )
        .filter(Q(email_queued_at__isnull=True) | Q(email_queued_at__lte=now - EMAIL_LOST_AFTER))
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    count = 0
    for notification_id in pending:
        notification_email_enqueue(notification_id)
        count += 1
    return count


# Agreement dates ----------------------------------------------------------------------------


def _active_versions():
    from slas.models import Version, VersionStatus

    return (
        Version.objects.filter(status=VersionStatus.ACTIVE, in_force_from__isnull=False)
        .select_related("agreement")
        .prefetch_related("agreement__parties", "holidays")
    )


def _local_today(version, now: dt.datetime) -> dt.date:
    return now.astimezone(ZoneInfo(version.calendar_timezone)).date()


def agreement_dates_sweep(*, now: dt.datetime) -> int:
    """Review due and end date approaching: 30, 7 and 1 days before, to party managers."""
    versions = list(_active_versions())
    managers = party_members([v.agreement for v in versions], managers_only=True)
    batch = _Batch()
    for version in versions:
        today = _local_today(version, now)
        for kind, day in (
            ("agreement_review_due", version.review_date),
            ("agreement_end_approaching", version.end_date),
        ):
            days_left = (day - today).days
            if not 0 <= days_left <= DATE_STEPS[0]:
                continue
            step = min(s for s in DATE_STEPS if days_left <= s)
            values = {
                "version": version,
                "date": formats.date_format(day, "DATE_FORMAT"),
                "days": days_left,
            }
            if kind == "agreement_review_due":
                title = Text(
                    gettext_noop("Review of %(version)s due on %(date)s (in %(days)s days)"),
                    **values,
                )
                reason = Text(
                    gettext_noop("You manage a party team; the agreement's review date is near.")
                )
            else:
                title = Text(
                    gettext_noop("%(version)s ends on %(date)s (in %(days)s days)"), **values
                )
                reason = Text(
                    gettext_noop(
                        "You manage a party team; prepare the next version before this one ends."
                    )
                )
            for user in managers.get(version.agreement_id, []):
                batch.add(
                    recipient=user,
                    kind=kind,
                    key=f"{kind}:version{version.pk}:{day.isoformat()}:{step}",
                    title=title,
                    url=version.get_absolute_url(),
                    reason=reason,
                )
    return batch.write()


def version_expiry_sweep(*, now: dt.datetime) -> int:
    """A version whose end date has come (within LOOKBACK) is announced as expired."""
    from slas.models import Version, VersionStatus

    versions = list(
        Version.objects.filter(
            status__in=[VersionStatus.ACTIVE, VersionStatus.EXPIRED],
            in_force_from__isnull=False,
            end_date__lte=now.date() + dt.timedelta(days=1),
            end_date__gte=(now - LOOKBACK).date(),
        )
        .select_related("agreement")
        .prefetch_related("agreement__parties")
    )
    versions = [v for v in versions if _local_today(v, now) >= v.end_date]
    managers = party_members([v.agreement for v in versions], managers_only=True)
    batch = _Batch()
    for version in versions:
        for user in managers.get(version.agreement_id, []):
            batch.add(
                recipient=user,
                kind="version_expired",
                key=f"version_expired:version{version.pk}",
                title=Text(gettext_noop("%(version)s has expired"), version=version),
                url=version.get_absolute_url(),
                reason=Text(
                    gettext_noop(
                        "You manage a party team; leads handed off from now on are not "
                        "governed until a new version is in force."
                    )
                ),
            )
    return batch.write()


def first_business_day(calendar, year: int, month: int) -> dt.date:
    day = dt.date(year, month, 1)
    while day.weekday() not in calendar.working_days or day in calendar.holidays:
        day += dt.timedelta(days=1)
    return day


def monthly_report_sweep(*, now: dt.datetime) -> int:
    """On the first business day of a month: the previous month's report, to all parties."""
    versions = list(_active_versions())
    members = party_members([v.agreement for v in versions], managers_only=False)
    batch = _Batch()
    for version in versions:
        calendar = version_calendar(version, [h.date for h in version.holidays.all()])
        local_now = now.astimezone(calendar.zone)
        today = local_now.date()
        if today < first_business_day(calendar, today.year, today.month):
            continue
        month_start = local_now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        if version.in_force_from >= month_start:
            continue  # nothing of this version to report on for last month
        previous = (month_start - dt.timedelta(days=1)).date()
        values = {
            "agreement": version.agreement,
            "month": formats.date_format(previous, "YEAR_MONTH_FORMAT"),
        }
        # The report of that agreement and month (its label is reports' period label).
        url = reverse(
            "reports:monthly", kwargs={"pk": version.agreement_id, "label": f"{previous:%Y-%m}"}
        )
        for user in members.get(version.agreement_id, []):
            batch.add(
                recipient=user,
                kind="monthly_report_ready",
                key=f"monthly_report_ready:agreement{version.agreement_id}:{previous:%Y-%m}",
                title=Text(
                    gettext_noop("%(agreement)s: the %(month)s compliance report is ready"),
                    **values,
                ),
                url=url,
                reason=PARTY_MEMBER,
            )
    return batch.write()


def action_items_sweep(*, now: dt.datetime) -> int:
    """Review-session action items past their due date: tell the owner once per due date."""
    from leads.reviews.selectors import action_items_overdue

    batch = _Batch()
    for item in action_items_overdue(now):
        due = formats.date_format(item.due_date, "SHORT_DATE_FORMAT")
        batch.add(
            recipient=item.owner,
            kind="action_item_overdue",
            key=f"action_item_overdue:{item.pk}:{item.due_date.isoformat()}",
            title=Text(
                gettext_noop("Action item overdue since %(due)s: %(item)s"),
                item=item.title,
                due=due,
            ),
            url=item.get_absolute_url(),
            reason=Text(
                gettext_noop(
                    "You are the owner of this action item from a lead review, and it is not done."
                )
            ),
        )
    return batch.write()
