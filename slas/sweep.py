"""Agreement dates: review date and end date approaching (30, 7 and 1 days before, in the version's time zone; after an outage only the most pressing step is sent; the end date is exclusive), and versions that have expired. Each sweep looks at the facts as of `now` and writes every notification that is due and not yet written; a dedupe key per notification makes running it twice write nothing twice (portal.sweep)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.utils.translation import gettext_noop

from portal.notifications import party_members
from portal.sweep import LOOKBACK, NotificationBatch
from portal.text import Text
from slas.models import Version, VersionStatus
from slas.selectors import without_next_version_under_way

DATE_STEPS = (30, 7, 1)


# Agreement dates ----------------------------------------------------------------------------


def active_versions():
    return (
        Version.objects.filter(status=VersionStatus.ACTIVE, in_force_from__isnull=False)
        .select_related("agreement")
        .prefetch_related("agreement__parties", "holidays")
    )


def _reviewed(versions) -> set[int]:
    """Those whose next version is under way: their review is being done, not due."""
    pks = {v.pk for v in versions}
    still_due = without_next_version_under_way(Version.objects.filter(pk__in=pks))
    return pks - set(still_due.values_list("pk", flat=True))


def _local_today(version, now: dt.datetime) -> dt.date:
    return now.astimezone(ZoneInfo(version.calendar_timezone)).date()


def agreement_dates_sweep(*, now: dt.datetime) -> int:
    """Review due and end date approaching: 30, 7 and 1 days before, to party managers."""
    versions = list(active_versions())
    managers = party_members([v.agreement for v in versions], managers_only=True)
    reviewed = _reviewed(versions)
    batch = NotificationBatch()
    for version in versions:
        today = _local_today(version, now)
        for kind, day in (
            ("agreement_review_due", version.review_date),
            ("agreement_end_approaching", version.end_date),
        ):
            if kind == "agreement_review_due" and version.pk in reviewed:
                continue
            days_left = (day - today).days
            if not 0 <= days_left <= DATE_STEPS[0]:
                continue
            step = min(s for s in DATE_STEPS if days_left <= s)
            values = {
                "version": version,
                "date": day,
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
    batch = NotificationBatch()
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
