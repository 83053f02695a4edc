"""An import job run by a worker (the Celery task `leads.tasks.import_job_process`): the
stored upload is read in chunks, events are stored, progress and the issues report kept.

A worker claims a job with a lease: a conditional UPDATE takes a job that is queued, or
running under a lease that has expired, and gives it a fresh token; two workers never
hold one job at once. While the worker lives, a thread renews the lease every third of
`IMPORT_LEASE_SECONDS`; a worker killed mid-import (SIGKILL, a lost machine) stops
renewing, and once the lease has expired the imports sweep (`import_jobs_requeue` in
leads.ingest.uploads) sends the job again, to be resumed.

Resuming is exact: every chunk of events is recorded (`ImportChunk`) in the transaction
that stores it, so a resumed run re-reads the file but writes no recorded chunk again
and takes its counts and refused rows as recorded. Every event is stored once, every
count is right, and the issues report is complete, however often the job was cut.

Uploads become jobs in `leads.ingest.uploads`."""

from __future__ import annotations

import datetime as dt
import logging
import tempfile
import threading
import uuid

from django.conf import settings
from django.core.files import File
from django.db import connection
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from leads.derive import IngestContext
from leads.ingest.importers import ImportSummary, IssueReport, events_import
from leads.ingest.models import ImportChunk, ImportJob, ImportStatus
from leads.ingest.store import Failure, IngestResult

logger = logging.getLogger(__name__)


class LeaseLost(Exception):
    """Another worker holds the job now (this one's lease expired): step aside."""


def _lease_seconds() -> int:
    return settings.IMPORT_LEASE_SECONDS


def import_job_claim(*, job_id: int, now: dt.datetime) -> str | None:
    """Claim a job that is queued, or running under an expired lease; the lease's token,
    or None when the job is done, failed, or held by a live worker."""
    token = uuid.uuid4().hex
    claimed = (
        ImportJob.objects.filter(pk=job_id)
        .filter(
            Q(status=ImportStatus.QUEUED)
            | Q(status=ImportStatus.RUNNING, lease_expires_at__lt=now)
            | Q(status=ImportStatus.RUNNING, lease_expires_at__isnull=True)
        )
        .update(
            status=ImportStatus.RUNNING,
            lease_token=token,
            lease_expires_at=now + dt.timedelta(seconds=_lease_seconds()),
            started_at=Coalesce("started_at", now),
            attempts=F("attempts") + 1,
        )
    )
    return token if claimed else None


class Lease:
    """Renews a claimed job's lease from a thread of its own (with its own database
    connection) while the worker lives; `lost` once another worker has taken it."""

    def __init__(self, job_id: int, token: str):
        self.job_id = job_id
        self.token = token
        self.lost = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"import-lease-{job_id}")

    def __enter__(self) -> Lease:
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        try:
            while not self._stop.wait(_lease_seconds() / 3):
                if not self.renew():
                    self.lost = True
                    return
        finally:
            connection.close()  # this thread's own connection

    def renew(self) -> bool:
        seconds = _lease_seconds()
        try:
            return bool(
                ImportJob.objects.filter(pk=self.job_id, lease_token=self.token).update(
                    lease_expires_at=timezone.now() + dt.timedelta(seconds=seconds)
                )
            )
        except Exception:  # the database blinked: the next renewal tries again
            logger.warning("Import %s: could not renew the lease", self.job_id, exc_info=True)
            return True

    def mine(self) -> bool:
        return ImportJob.objects.filter(pk=self.job_id, lease_token=self.token).exists()


def _stored_chunks(job_id: int) -> dict[tuple[int, int], IngestResult]:
    """The chunks earlier runs of the job stored, as `events_import` takes them."""
    found = {}
    for chunk in ImportChunk.objects.filter(job_id=job_id):
        failures = [Failure(row, column, message) for row, column, message in chunk.failures]
        found[(chunk.seq, chunk.last_row)] = IngestResult(
            created=chunk.created,
            duplicates=chunk.duplicates,
            failed=len(failures),
            failures=failures,
        )
    return found


def import_job_run(*, job_id: int) -> bool:
    """Run (or resume) a job; True if this call finished it."""
    token = import_job_claim(job_id=job_id, now=timezone.now())
    if token is None:
        return False
    with Lease(job_id, token) as lease:
        try:
            return _run(job_id, lease)
        except LeaseLost:
            logger.warning("Import %s: lease lost to another worker; stepping aside", job_id)
            return False


def _run(job_id: int, lease: Lease) -> bool:
    job = ImportJob.objects.select_related("marketing_team", "sales_team").get(pk=job_id)
    context = IngestContext(
        marketing_team=job.marketing_team,
        sales_team=job.sales_team,
        mode="history",
        handoff_on_score=False,
    )
    stored = _stored_chunks(job_id)
    if stored:
        logger.info("Import %s: resuming after %d stored chunks", job_id, len(stored))

    def on_stored(seq: int, last_row: int, result: IngestResult) -> None:
        # In the chunk's own transaction: the chunk and its record commit together.
        if lease.lost:
            raise LeaseLost()
        ImportChunk.objects.create(
            job_id=job_id,
            seq=seq,
            last_row=last_row,
            created=result.created,
            duplicates=result.duplicates,
            failures=[[f.index, f.column, f.message] for f in result.failures],
        )

    def progress(summary: ImportSummary) -> None:
        if lease.lost:
            raise LeaseLost()
        ImportJob.objects.filter(pk=job_id, lease_token=lease.token).update(
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
                    on_stored=on_stored,
                    stored=stored,
                    chunk_events=settings.IMPORT_CHUNK_EVENTS,
                )
        except LeaseLost:
            raise
        except Exception as exc:
            if lease.lost or not lease.mine():
                raise LeaseLost() from exc  # e.g. the other worker stored the chunk first
            ImportJob.objects.filter(pk=job_id, lease_token=lease.token).update(
                status=ImportStatus.FAILED,
                error=_("The import stopped unexpectedly: %(error)s")
                % {"error": type(exc).__name__},
                finished_at=timezone.now(),
                lease_expires_at=None,
            )
            raise
        if lease.lost or not lease.mine():
            raise LeaseLost()
        progress(summary)
        if report.count:
            report_file.seek(0)
            job.issues_report.save(f"import-{job.pk}-issues.csv", File(report_file), save=False)
        finished = ImportJob.objects.filter(pk=job_id, lease_token=lease.token).update(
            status=ImportStatus.FAILED if summary.error else ImportStatus.DONE,
            error=summary.error,
            processed_bytes=job.total_bytes,
            finished_at=timezone.now(),
            issues_report=job.issues_report.name or "",
            lease_expires_at=None,
        )
    return bool(finished)
