"""An import job run by a worker (the Celery task `leads.tasks.import_job_process`): the
stored upload is read in chunks, events are stored, progress and the issues report kept.

Uploads become jobs in `leads.ingest.uploads`."""

from __future__ import annotations

from django.utils import translation
from django.utils.translation import gettext as _

from leads.derive import IngestContext
from leads.ingest.importers import ImportSummary, IssueReport, events_import
from leads.ingest.models import ImportJob, ImportStatus


def import_job_run(*, job_id: int) -> bool:
    """Process a queued job; claimed with a conditional update so it runs once."""
    import tempfile

    from django.core.files import File
    from django.utils import timezone

    claimed = ImportJob.objects.filter(pk=job_id, status=ImportStatus.QUEUED).update(
        status=ImportStatus.RUNNING, started_at=timezone.now()
    )
    if not claimed:
        return False
    job = ImportJob.objects.select_related("marketing_team", "sales_team").get(pk=job_id)
    context = IngestContext(
        marketing_team=job.marketing_team,
        sales_team=job.sales_team,
        mode="history",
        handoff_on_score=False,
    )

    def progress(summary: ImportSummary) -> None:
        ImportJob.objects.filter(pk=job_id).update(
            processed_bytes=min(summary.bytes_read, job.total_bytes or summary.bytes_read),
            rows=summary.rows,
            created=summary.created,
            duplicates=summary.duplicates,
            failed=summary.failed,
            warnings=summary.warnings,
        )

    with (
        translation.override(job.language or None),  # the report speaks the uploader's
        tempfile.TemporaryFile("w+", encoding="utf-8", newline="") as report_file,
    ):
        report = IssueReport(report_file)
        try:
            with job.file.open("rb") as stream:
                summary = events_import(
                    stream=stream,
                    format=job.format,
                    tz=job.tz,
                    context=context,
                    on_issue=report,
                    on_progress=progress,
                )
        except Exception as exc:
            ImportJob.objects.filter(pk=job_id).update(
                status=ImportStatus.FAILED,
                error=_("The import stopped unexpectedly: %(error)s")
                % {"error": type(exc).__name__},
                finished_at=timezone.now(),
            )
            raise
        progress(summary)
        job.refresh_from_db()
        if report.count:
            report_file.seek(0)
            job.issues_report.save(f"import-{job.pk}-issues.csv", File(report_file), save=False)
        job.status = ImportStatus.FAILED if summary.error else ImportStatus.DONE
        job.error = summary.error
        job.processed_bytes = job.total_bytes
        job.finished_at = timezone.now()
        job.save()
    return True
