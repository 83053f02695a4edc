"""CSV imports of lead events, streamed and chunked.

The file is parsed lazily (leads.formats), good events are collected into chunks of
`CHUNK_EVENTS` and each chunk is written by `lead_events_ingest` in its own transaction:
memory stays flat whatever the file size, a crash loses at most one chunk (which a
re-import then adds, since events are idempotent), and two imports of one file running
at once store each event once.

Every problem is reported as a row issue (row number, column, message) to `on_issue`;
whole-file problems (empty, not CSV, wrong encoding, a required column missing) end the
import with `ImportSummary.error`. The mappings of both formats are documented in
leads/formats.py and shared/FORMATS.md; imports are history (see IngestContext):
unusual moves are stored and flagged, scores are computed but no handoff is invented.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO

from django.db import reset_queries
from django.utils.translation import gettext as _

from leads.formats import (
    FormatError,
    ParsedEvent,
    RowIssue,
    iter_events_csv,
    iter_hubspot_csv,
    looks_like_formula,
    neutralise,
)
from leads.services import IngestContext, lead_events_ingest

CHUNK_EVENTS = 5000
PARSERS = {"events": iter_events_csv, "hubspot": iter_hubspot_csv}
REPORT_HEADER = ("row", "column", "severity", "message")


@dataclass
class ImportSummary:
    rows: int = 0
    created: int = 0
    duplicates: int = 0
    failed: int = 0  # rows refused
    warnings: int = 0
    bytes_read: int = 0
    error: str = ""


class CountingReader:
    """A binary stream that counts the bytes read from it (for progress)."""

    def __init__(self, stream: BinaryIO):
        self._stream = stream
        self.count = 0

    def read(self, size: int = -1) -> bytes:
        data = self._stream.read(size)
        self.count += len(data)
        return data


def events_import(
    *,
    stream: BinaryIO,
    format: str,
    tz: str,
    context: IngestContext,
    on_issue: Callable[[RowIssue], None] | None = None,
    on_progress: Callable[[ImportSummary], None] | None = None,
    chunk_events: int = CHUNK_EVENTS,
) -> ImportSummary:
    """Import one CSV file of the given format; return the counts."""
    summary = ImportSummary()
    reader = CountingReader(stream)
    last_row = 0
    last_failed_row = 0
    chunk: list[ParsedEvent] = []

    def issue(found: RowIssue) -> None:
        if on_issue is not None:
            on_issue(found)

    def flush() -> None:
        if not chunk:
            return
        result = lead_events_ingest(items=chunk, context=context)
        summary.created += result.created
        summary.duplicates += result.duplicates
        summary.failed += len({f.index for f in result.failures})
        for failure in result.failures:
            issue(RowIssue(failure.index, failure.column, failure.message))
        chunk.clear()
        summary.bytes_read = reader.count
        reset_queries()  # DEBUG keeps every query; a long import must not
        if on_progress is not None:
            on_progress(summary)

    try:
        parser = PARSERS[format](reader, default_tz=tz)
        for record in parser:
            if record.row != last_row:
                last_row = record.row
                summary.rows += 1
            if isinstance(record, ParsedEvent):
                chunk.append(record)
                if len(chunk) >= chunk_events:
                    flush()
                continue
            if record.severity == "error":
                if record.row != last_failed_row:
                    summary.failed += 1
                    last_failed_row = record.row
            else:
                summary.warnings += 1
            issue(record)
        flush()
    except (FormatError, ValueError) as exc:
        # ValueError: a bad time zone name, raised by the parser on its first step.
        flush()
        summary.error = str(exc)
        issue(RowIssue(0, "", summary.error))
    summary.bytes_read = reader.count
    return summary


class IssueReport:
    """Writes row issues as CSV to a text stream, inert for spreadsheets."""

    def __init__(self, out: io.TextIOBase):
        self.writer = csv.writer(out)
        self.writer.writerow(REPORT_HEADER)
        self.count = 0

    def __call__(self, found: RowIssue) -> None:
        cells = [found.row or "", found.column, found.severity, found.message]
        self.writer.writerow(
            [neutralise(c) if isinstance(c, str) and looks_like_formula(c) else c for c in cells]
        )
        self.count += 1


# --------------------------------------------------------------------------- import jobs


def import_job_create(*, user, upload, format: str, tz: str, marketing_team, sales_team):
    """Store the upload and queue its processing (after the transaction commits)."""
    from django.db import transaction

    from leads.models import ImportJob
    from leads.tasks import import_job_process

    job = ImportJob(
        original_name=getattr(upload, "name", "upload.csv")[:255],
        format=format,
        tz=tz,
        marketing_team=marketing_team,
        sales_team=sales_team,
        created_by=user,
        total_bytes=getattr(upload, "size", 0) or 0,
    )
    job.file.save(job.original_name, upload, save=False)
    job.save()
    transaction.on_commit(lambda: import_job_process.delay(job.pk))
    return job


def import_job_run(*, job_id: int) -> bool:
    """Process a queued job; claimed with a conditional update so it runs once."""
    import tempfile

    from django.core.files import File
    from django.utils import timezone

    from leads.models import ImportJob, ImportStatus

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

    with tempfile.TemporaryFile("w+", encoding="utf-8", newline="") as report_file:
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
