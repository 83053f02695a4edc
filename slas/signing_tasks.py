"""Periodic signing jobs (scheduled by CELERY_BEAT_SCHEDULE). Each calls one service and
is safe to run twice: the services re-check under locks and notifications are deduplicated."""

from celery import shared_task

from slas import signing


@shared_task(acks_late=True)
def signing_reminders_send() -> int:
    return signing.signing_reminders_send()


@shared_task(acks_late=True)
def signing_requests_expire() -> int:
    return signing.signing_requests_expire()


@shared_task(acks_late=True)
def versions_lifecycle_run() -> dict[str, int]:
    """Expire versions past their end date first, then activate those whose date has come."""
    expired = signing.versions_expire_due()
    activated = signing.versions_activate_due()
    return {"expired": expired, "activated": activated}
