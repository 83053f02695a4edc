"""An upload becomes an import job: the file is stored and its processing queued once the
transaction commits (a worker runs it: `leads.ingest.jobs`)."""

from __future__ import annotations

from django.db import transaction
from django.utils import translation

from leads.ingest.models import ImportJob
from leads.ingest.tasks import import_job_process


def import_job_create(*, user, upload, format: str, tz: str, marketing_team, sales_team):
    """Store the upload and queue its processing (after the transaction commits)."""
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
    transaction.on_commit(lambda: import_job_process.delay(job.pk))
    return job
