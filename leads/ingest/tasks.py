"""The Celery task of ingest. Its name is explicit and stable (it was registered as
`leads.tasks.import_job_process` before ingest became a package): queued jobs keep
resolving."""

from celery import shared_task

from leads.ingest.jobs import import_job_run


@shared_task(name="leads.tasks.import_job_process", acks_late=True)
def import_job_process(job_id: int) -> bool:
    """Process one uploaded CSV import (see leads.ingest.jobs.import_job_run)."""
    return import_job_run(job_id=job_id)
