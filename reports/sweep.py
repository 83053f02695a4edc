"""The monthly report is announced on the first business day of the month (version calendar) for agreements whose active version was in force before the month began. Each sweep looks at the facts as of `now` and writes every notification that is due and not yet written; a dedupe key per notification makes running it twice write nothing twice (portal.sweep)."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils.translation import gettext_noop

from portal import dates
from portal.notifications import PARTY_MEMBER, party_members
from portal.sweep import NotificationBatch
from portal.text import Text
from slas.calendars import version_calendar
from slas.sweep import active_versions


def first_business_day(calendar, year: int, month: int) -> dt.date:
    day = dt.date(year, month, 1)
    while day.weekday() not in calendar.working_days or day in calendar.holidays:
        day += dt.timedelta(days=1)
    return day


def monthly_report_sweep(*, now: dt.datetime) -> int:
    """On the first business day of a month: the previous month's report, to all parties."""
    versions = list(active_versions())
    members = party_members([v.agreement for v in versions], managers_only=False)
    batch = NotificationBatch()
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
            "month": dates.Month.of(previous),
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
