"""What the sweeps share: a batch of notifications written once each, the managers of
teams, names and durations as notification texts; and the portal's own sweep, which
requeues emails that never reached the broker. The registry of sweeps is portal.schedule.

Each sweep looks at the facts as of `now` and writes every notification that is due and
not yet written. Because "due" is recomputed every time from the database and every
notification has a dedupe key, a sweep that did not run (broker or worker down) is
caught up by the next one, and running it twice writes nothing twice.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from django.db.models import Q
from django.utils.translation import gettext_noop

from portal.models import EmailDelivery, Membership, Notification, Role
from portal.notifications import notification_create, notification_email_enqueue
from portal.text import Text

#: What is older than this is left alone by every sweep (nothing useful to say a month later).
LOOKBACK = dt.timedelta(days=30)
EMAIL_RETRY_GRACE = dt.timedelta(minutes=2)
EMAIL_LOST_AFTER = dt.timedelta(minutes=65)  # longer than the task's longest backoff


class NotificationBatch:
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


def managers_by_team(team_ids: Iterable[int]) -> dict[int, list]:
    managers: dict[int, list] = defaultdict(list)
    for membership in Membership.objects.filter(
        team_id__in=set(team_ids), role=Role.MANAGER
    ).select_related("user"):
        managers[membership.team_id].append(membership.user)
    return managers


def person_name(user) -> str | Text:
    if user is None:
        return Text(gettext_noop("nobody"))
    return user.get_full_name() or user.get_username()


def hours_text(seconds: float) -> Text:
    hours = seconds / 3600
    if hours < 1:
        return Text(gettext_noop("%(minutes)d min"), minutes=max(1, round(seconds / 60)))
    return Text(gettext_noop("%(hours)s h"), hours=f"{hours:.1f}".removesuffix(".0"))


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
