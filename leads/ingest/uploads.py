"""An upload becomes an import job: the file is stored and its processing queued once the
transaction commits (a worker runs it: `leads.ingest.jobs`).

The job row and the file are kept whatever the broker does. An upload made while the
broker is down stays queued with no `enqueued_at`; the imports sweep (`import_jobs_requeue`,
every minute from `portal.tasks.notifications_sweep`) sends it when the broker is back, and
also sends again every job whose worker died (its lease expired) and every queued job
whose message has waited too long. A job sent twice is harmless: it is claimed once.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone, translation

from leads.ingest.models import ImportJob, ImportStatus
from leads.ingest.tasks import import_job_process

logger = logging.getLogger(__name__)


def import_job_create(*, user, upload, format: str, tz: str, marketing_team, sales_team):
    """Store the upload and queue its processing (after the transaction commits).

    While the broker is down the job is kept, queued, with `enqueued_at` unset
    (`job.waiting_for_worker`): the imports sweep sends it later."""
    job = ImportJob(
        original_name=getattr(upload, "name", "upload.csv")[:255],
        format=format,
        tz=tz,
        language=translation.get_language() or "",
        marketing_team=marketing_team,
        sales_team=sales_team,
        created_by=user,
        total_bytes=getattr(upload, "size", 0) or 0,
    )
    job.file.save(job.original_name, upload, save=False)
    job.save()
    transaction.on_commit(lambda: import_job_enqueue(job=job))
    return job


def import_job_enqueue(*, job: ImportJob) -> bool:
    """Send the job's task to the broker; True if sent. Never raises: a job that could not
    be sent stays as it was, for the sweep."""
    try:
        # No publish retries: the page must not hang on a dead broker, and the sweep
        # sends the job again within a minute of the broker's return.
        import_job_process.apply_async((job.pk,), retry=False)
    except Exception as exc:
        logger.warning(
            "Import %s kept, not queued: the broker did not answer (%s)",
            job.pk,
            type(exc).__name__,
        )
        return False
    job.enqueued_at = timezone.now()
    ImportJob.objects.filter(pk=job.pk).update(enqueued_at=job.enqueued_at)
    return True


def import_jobs_requeue(*, now: dt.datetime) -> int:
    """The imports sweep: send again the jobs that no worker is running. How many it sent.

    - queued, never sent (the broker was down at upload), or sent more than
      `IMPORT_REQUEUE_SECONDS` ago and still not claimed (the message was lost);
    - running, with a lease that expired (its worker died) and not sent since.
    """
    stale = now - dt.timedelta(seconds=settings.IMPORT_REQUEUE_SECONDS)
    jobs = ImportJob.objects.filter(
        Q(status=ImportStatus.QUEUED, enqueued_at__isnull=True)
        | Q(status=ImportStatus.QUEUED, enqueued_at__lt=stale)
        | Q(status=ImportStatus.RUNNING, lease_expires_at__isnull=True, enqueued_at__lt=stale)
        | Q(status=ImportStatus.RUNNING, lease_expires_at__lt=now, enqueued_at__isnull=True)
        | Q(
            status=ImportStatus.RUNNING,
            lease_expires_at__lt=now,
            enqueued_at__lt=F("lease_expires_at"),
        )
    ).order_by("pk")
    sent = 0
    for job in jobs:
        if not import_job_enqueue(job=job):
            break  # the broker is down: the next sweep tries again
        logger.info("Import %s sent again (%s)", job.pk, job.status)
        sent += 1
    return sent
