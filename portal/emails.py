"""Notification e-mails: one notification's e-mail, and the daily digest (who gets one,
and sending it, marked sent in the same transaction as single e-mails are). The Celery
tasks (portal.tasks) send them; the writer (portal.notifications) enqueues.

Every e-mail has a plain-text and an HTML part, rendered from templates
(`templates/portal/emails/`), in the recipient's language (`reader_language`: the one
they chose on screen, else the site's; right to left for Arabic and Persian) with times
in their zone, whoever or whatever task writes it.
"""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from urllib.parse import urljoin

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import ngettext

from portal import numbers
from portal.dates import reading_zone
from portal.models import (
    EmailDelivery,
    EmailDigest,
    Notification,
    reader_language,
    reader_time_zone,
)

# Email text ----------------------------------------------------------------------------


def absolute_url(path: str) -> str:
    if not path:
        return ""
    return urljoin(settings.PORTAL_BASE_URL.rstrip("/") + "/", path.lstrip("/"))


@contextmanager
def reading_as(recipient):
    """Write for `recipient`: their language and their time zone (an e-mail is written
    away from any request, often by a task)."""
    with (
        translation.override(reader_language(recipient)),
        reading_zone(reader_time_zone(recipient)),
    ):
        yield


def _item(notification: Notification) -> dict:
    return {
        "title": notification.title_text,
        "body": notification.body_text,
        "reason": notification.reason_text,
        "url": absolute_url(notification.url),
    }


def _message(recipient, subject: str, template: str, context: dict) -> EmailMultiAlternatives:
    """The e-mail from `template`.txt and `template`.html, in the active language."""
    context = {**context, "recipient": recipient, "base_url": absolute_url("/")}
    text = render_to_string(f"portal/emails/{template}.txt", context)
    html = render_to_string(f"portal/emails/{template}.html", context)
    message = EmailMultiAlternatives(
        " ".join(str(subject).split()), text, settings.DEFAULT_FROM_EMAIL, [recipient.email]
    )
    message.attach_alternative(html, "text/html")
    return message


def notification_email(notification: Notification) -> EmailMultiAlternatives:
    """One notification's e-mail, written for its recipient."""
    with reading_as(notification.recipient):
        message = _message(
            notification.recipient,
            notification.title_text,
            "notification",
            {"item": _item(notification)},
        )
    calendar = email_calendar(notification)
    if calendar is not None:  # a meeting: its .ics attached, for the reader's calendar
        message.attach("meeting.ics", calendar, "text/calendar; method=PUBLISH")
    return message


def email_text(notification: Notification) -> str:
    """The plain-text part of the notification's e-mail: title, body, reason and link."""
    return notification_email(notification).body


def email_subject(notification: Notification) -> str:
    return notification_email(notification).subject


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


def digest_email(recipient, items: list[Notification]) -> EmailMultiAlternatives:
    """The daily digest of `items`, written for `recipient`."""
    with reading_as(recipient):
        subject = ngettext(
            "Your SLA portal digest: %(count)s notification",
            "Your SLA portal digest: %(count)s notifications",
            len(items),
        ) % {"count": numbers.number(len(items))}
        return _message(recipient, subject, "digest", {"items": [_item(i) for i in items]})


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
        digest_email(digest.recipient, items).send()
        now = timezone.now()
        Notification.objects.filter(pk__in=[item.pk for item in items]).update(
            emailed_at=now, digest=digest
        )
        digest.sent_at = now
        digest.save(update_fields=["sent_at"])
    return True
