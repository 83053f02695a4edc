"""Notification emails: the text of one notification's email, and the daily digest (who gets one, and sending it, marked sent in the same transaction as single emails are). The Celery tasks (portal.tasks) send them; the writer (portal.notifications) enqueues."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urljoin

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.dates import reading_zone
from portal.models import (
    EmailDelivery,
    EmailDigest,
    Notification,
    reader_time_zone,
)

# Email text ----------------------------------------------------------------------------


def absolute_url(path: str) -> str:
    if not path:
        return ""
    return urljoin(settings.PORTAL_BASE_URL.rstrip("/") + "/", path.lstrip("/"))


def email_text(notification: Notification) -> str:
    """Plain text: the title, the reason, the body, and an absolute link; times in the
    recipient's zone (the e-mail is written away from any request)."""
    with reading_zone(reader_time_zone(notification.recipient)):
        return _email_text(notification)


def email_subject(notification: Notification) -> str:
    with reading_zone(reader_time_zone(notification.recipient)):
        return notification.title_text


def _ics_text(value: str) -> str:
    """An iCalendar TEXT value (RFC 5545 §3.3.11): backslash, semicolon, comma and newline
    escaped."""
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def ics_event(
    *,
    uid: str,
    start: dt.datetime,
    end: dt.datetime,
    summary: str,
    description: str = "",
    url: str = "",
    stamp: dt.datetime,
) -> str:
    """One event as an .ics file (iCalendar, RFC 5545). Times are UTC instants: every
    calendar shows them in its owner's zone."""

    def utc(instant: dt.datetime) -> str:
        return instant.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")

    if url:
        description = f"{description}\n{url}".strip()
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//SLA portal//meetings//EN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:{uid}",
        f"DTSTAMP:{utc(stamp)}",
        f"DTSTART:{utc(start)}",
        f"DTEND:{utc(end)}",
        f"SUMMARY:{_ics_text(summary)}",
        f"DESCRIPTION:{_ics_text(description)}",
    ]
    if url:
        lines.append(f"URL:{url}")
    lines += ["END:VEVENT", "END:VCALENDAR"]
    return "\r\n".join(lines) + "\r\n"


def email_calendar(notification: Notification) -> str | None:
    """The notification's calendar event (`notification_create(event=...)`) as an .ics
    file, or None."""
    event = (notification.message or {}).get("event")
    if not event:
        return None
    return ics_event(
        uid=event["uid"],
        start=dt.datetime.fromisoformat(event["start"]),
        end=dt.datetime.fromisoformat(event["end"]),
        summary=event.get("summary", ""),
        description=event.get("description", ""),
        url=absolute_url(notification.url),
        stamp=notification.created_at,
    )


def _email_text(notification: Notification) -> str:
    parts = [notification.title_text]
    if notification.body_text:
        parts.append(notification.body_text)
    if notification.reason_text:
        parts.append(str(_("Why you get this: %(reason)s") % {"reason": notification.reason_text}))
    if notification.url:
        parts.append(absolute_url(notification.url))
    return "\n\n".join(parts)


def _digest_pending(user_id: int):
    return Notification.objects.filter(
        recipient_id=user_id,
        email_delivery=EmailDelivery.DIGEST,
        emailed_at__isnull=True,
    )


def digest_recipients() -> list[int]:
    """Ids of the people with notifications waiting for their digest."""
    return list(
        Notification.objects.filter(email_delivery=EmailDelivery.DIGEST, emailed_at__isnull=True)
        .order_by("recipient_id")
        .values_list("recipient_id", flat=True)
        .distinct()
    )


def digest_send(*, user_id: int, day: str | dt.date) -> bool:
    """Send the person's digest of `day` once: True if this call sent it.

    The EmailDigest row (unique per person and day) is locked while the email goes out
    and marked sent in the same transaction, like single emails (see portal.tasks).
    """
    if isinstance(day, str):
        day = dt.date.fromisoformat(day)
    EmailDigest.objects.get_or_create(recipient_id=user_id, day=day)
    with transaction.atomic():
        digest = (
            EmailDigest.objects.select_for_update(skip_locked=True)
            .select_related("recipient")
            .filter(recipient_id=user_id, day=day, sent_at__isnull=True)
            .first()
        )
        if digest is None:
            return False
        items = list(_digest_pending(user_id).order_by("created_at", "id"))
        if not items or not digest.recipient.email:
            return False
        subject = _("Your SLA portal digest: %(count)s notifications") % {"count": len(items)}
        body = "\n\n---\n\n".join(email_text(item) for item in items)
        send_mail(str(subject), body, settings.DEFAULT_FROM_EMAIL, [digest.recipient.email])
        now = timezone.now()
        Notification.objects.filter(pk__in=[item.pk for item in items]).update(
            emailed_at=now, digest=digest
        )
        digest.sent_at = now
        digest.save(update_fields=["sent_at"])
    return True
