"""Periodic signing jobs (scheduled by CELERY_BEAT_SCHEDULE). Each calls one job and is
safe to run twice: the jobs re-check under locks and notifications are deduplicated.

Task names are explicit and stable (they were registered under `slas.signing_tasks`
before the area became a package): queued tasks and the beat schedule keep resolving.
"""

from celery import shared_task

from slas.signing import jobs


@shared_task(name="slas.signing_tasks.signing_reminders_send", acks_late=True)
def signing_reminders_send() -> int:
    return jobs.signing_reminders_send()


@shared_task(name="slas.signing_tasks.signing_requests_expire", acks_late=True)
def signing_requests_expire() -> int:
    return jobs.signing_requests_expire()


@shared_task(name="slas.signing_tasks.versions_lifecycle_run", acks_late=True)
def versions_lifecycle_run() -> dict[str, int]:
    """Expire versions past their end date first, then activate those whose date has come."""
    expired = jobs.versions_expire_due()
    activated = jobs.versions_activate_due()
    return {"expired": expired, "activated": activated}
