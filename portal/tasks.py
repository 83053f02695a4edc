"""Celery tasks of the portal: email delivery, the periodic sweeps, the daily digest.

Every task takes ids (or nothing), is idempotent, and is acknowledged late: a worker
that dies mid-task leaves the message to be redelivered (Redis: after the visibility
timeout), and the redelivery finds the work either done or still to do, never half done.
"""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMessage, send_mail
from django.db import transaction
from django.utils import timezone

from portal import schedule
from portal.emails import (
    digest_recipients,
    digest_send,
    email_calendar,
    email_subject,
    email_text,
)
from portal.models import EmailDelivery, Notification

logger = logging.getLogger(__name__)

RELIABLE = {"acks_late": True, "reject_on_worker_lost": True}


@shared_task(bind=True, max_retries=8, **RELIABLE)
def notification_email_send(self, notification_id: int) -> bool:
    """Email one notification; True if this run sent it.

    The row is locked while the email goes out and marked emailed in the same
    transaction. A worker killed mid-send drops its connection, the database rolls back
    and releases the lock, and the redelivered task sends it. A duplicate running at the
    same time skips the locked row; one that runs later finds it emailed.
    """
    Notification.objects.filter(pk=notification_id, emailed_at__isnull=True).update(
        email_queued_at=timezone.now()
    )
    try:
        with transaction.atomic():
            notification = (
                Notification.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("recipient")
                .filter(
                    pk=notification_id,
                    emailed_at__isnull=True,
                    email_delivery=EmailDelivery.IMMEDIATE,
                )
                .first()
            )
            if notification is None:
                return False
            calendar = email_calendar(notification)
            if calendar is None:
                send_mail(
                    email_subject(notification),
                    email_text(notification),
                    settings.DEFAULT_FROM_EMAIL,
                    [notification.recipient.email],
                )
            else:  # a meeting: its .ics attached, for the reader's calendar
                message = EmailMessage(
                    email_subject(notification),
                    email_text(notification),
                    settings.DEFAULT_FROM_EMAIL,
                    [notification.recipient.email],
                )
                message.attach("meeting.ics", calendar, "text/calendar; method=PUBLISH")
                message.send()
            notification.emailed_at = timezone.now()
            notification.save(update_fields=["emailed_at"])
    except Exception as exc:
        # Email failures (SMTP down, timeouts) retry with exponential backoff.
        countdown = min(30 * 2**self.request.retries, 3600)
        raise self.retry(exc=exc, countdown=countdown) from exc
    return True


@shared_task(**RELIABLE)
def notifications_sweep() -> dict[str, int]:
    """Every minute: lead clocks (at risk, breached, escalation), unsent emails, and lead
    imports no worker is running (sent again, to be resumed)."""
    return schedule.sweep_all(now=timezone.now(), parts=("leads", "emails", "imports"))


@shared_task(**RELIABLE)
def agreement_reminders_sweep() -> dict[str, int]:
    """Review due and end date approaching (30, 7 and 1 days before)."""
    return schedule.sweep_all(now=timezone.now(), parts=("reminders",))


@shared_task(**RELIABLE)
def version_expiry_sweep() -> dict[str, int]:
    return schedule.sweep_all(now=timezone.now(), parts=("expiry",))


@shared_task(**RELIABLE)
def monthly_report_sweep() -> dict[str, int]:
    """On the first business day of the month (each version's calendar)."""
    return schedule.sweep_all(now=timezone.now(), parts=("monthly",))


@shared_task(**RELIABLE)
def action_items_overdue_sweep() -> dict[str, int]:
    """Hourly: review-session action items past their due date (once per item and due date)."""
    return schedule.sweep_all(now=timezone.now(), parts=("actions",))


@shared_task(**RELIABLE)
def notification_digests_send() -> int:
    """Once a day (from NOTIFICATION_DIGEST_HOUR): one digest email per person."""
    now = timezone.now()
    if timezone.localtime(now).hour < settings.NOTIFICATION_DIGEST_HOUR:
        return 0
    user_ids = digest_recipients()
    for user_id in user_ids:
        digest_send_one.delay(user_id, timezone.localdate(now).isoformat())
    return len(user_ids)


@shared_task(bind=True, max_retries=8, **RELIABLE)
def digest_send_one(self, user_id: int, day: str) -> bool:
    try:
        return digest_send(user_id=user_id, day=day)
    except Exception as exc:
        countdown = min(30 * 2**self.request.retries, 3600)
        raise self.retry(exc=exc, countdown=countdown) from exc
