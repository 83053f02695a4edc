from celery import shared_task


@shared_task(acks_late=True)
def import_job_process(job_id: int) -> bool:
    """Process one uploaded CSV import (see leads.importers.import_job_run)."""
    from leads.importers import import_job_run

    return import_job_run(job_id=job_id)
