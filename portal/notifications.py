"""Writing notifications: one row per (recipient, dedupe key), delivered once.

`notification_create` is the only writer. The email copy is sent by a Celery task
enqueued after the transaction commits, and the task claims the row with a
conditional update, so a retried or duplicated task never sends twice.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction

from portal.models import Notification


def notification_create(
    *,
    recipient,
    kind: str,
    title: str,
    dedupe_key: str,
    url: str = "",
    body: str = "",
    reason: str = "",
    email: bool = True,
) -> Notification | None:
    """Create the notification unless one with the same key exists; None if it did."""
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                recipient=recipient,
                kind=kind,
                title=title[:255],
                dedupe_key=dedupe_key[:255],
                url=url,
                body=body,
                reason=reason[:255],
            )
    except IntegrityError:
        return None
    if email and recipient.email:
        from portal.tasks import notification_email_send

        transaction.on_commit(lambda: notification_email_send.delay(notification.pk))
    return notification
