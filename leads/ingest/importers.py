"""CSV imports of lead events, streamed and chunked.

The file is parsed lazily (leads.formats), good events are collected into chunks of
`CHUNK_EVENTS` and each chunk is written by `lead_events_ingest` in its own transaction:
memory stays flat whatever the file size, a crash loses at most the chunks being written
(which a re-import then adds, since events are idempotent), and two imports of one file
running at once store each event once. With `on_stored`, each chunk is also recorded in
its own transaction (a job's progress, leads.ingest.jobs), and `stored` gives the chunks a
previous run recorded: they are not written again and count as recorded, so a job resumed
after a crash stores and counts every event once. On PostgreSQL, outside a caller's
transaction, `WRITERS` chunks are written at once, each by a thread with its own connection, while
the file is parsed on (`ChunkWriters`): the server works on one chunk while Python works
on another. Writers lock leads and insert rows in one sorted order, as concurrent
imports do, so they wait for one another where chunks share leads and never deadlock.

Every problem is reported as a row issue (row number, column, message) to `on_issue`;
whole-file problems (empty, not CSV, wrong encoding, a required column missing) end the
import with `ImportSummary.error`. The mappings of both formats are documented in
leads.ingest.formats and docs/formats.md; imports are history (see IngestContext):
moves that break a rule are stored and flagged, scores are computed but no handoff is invented.
"""

from __future__ import annotations

import csv
import gc
import io
import queue
import threading
from collections import deque
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass
from typing import BinaryIO

from django.db import connection, reset_queries, transaction
from django.utils import translation

from leads.derive import IngestContext
from leads.ingest.events_csv import iter_events_csv
from leads.ingest.formats import HUBSPOT_LEAD_COLUMNS, FormatError, ParsedEvent, RowIssue
from leads.ingest.hubspot_csv import iter_hubspot_csv
from leads.ingest.store import IngestResult, lead_events_ingest
from portal import csvsafe

CHUNK_EVENTS = 5000
# While an import runs, the collector's youngest generation is collected after this many
# new container objects (net) instead of Python's 700: an import makes about ten an
# event, nearly all freed by reference counting at once, and at 700 the collector ran
# every few dozen events, each time scanning the chunks held, a sixth of the importer's
# Python time (0.52 s of 3.3 s at 100,000 events; 0.10 s at 50,000). Cyclic garbage,
# rare here, waits at most that many objects longer.
GC_YOUNG_THRESHOLD = 50_000
WRITERS = 2  # chunks written at once on PostgreSQL (see ChunkWriters)
PARSERS = {"events": iter_events_csv, "hubspot": iter_hubspot_csv}
REPORT_HEADER = ("row", "column", "severity", "message")
# The store names lead columns as the portal does; a report names them as the file does.
COLUMN_LABELS = {"hubspot": {name: label for label, name in HUBSPOT_LEAD_COLUMNS.items()}}


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


class _CollectorRelaxed:
    """The garbage collector as imports want it, from the first import of the process
    to `begin` until the last one running `end`s (imports may run at once in threads):
    the objects alive before are frozen (left out of the collector's passes, which an
    import triggers often: about a tenth of its time otherwise) and the youngest
    generation is collected less often (`GC_YOUNG_THRESHOLD`); then both as they were."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.imports = 0
        self.thresholds: tuple[int, ...] = ()

    def begin(self) -> None:
        with self.lock:
            if not self.imports:
                self.thresholds = gc.get_threshold()
                gc.freeze()
                young, *older = self.thresholds
                gc.set_threshold(max(young, GC_YOUNG_THRESHOLD), *older)
            self.imports += 1

    def end(self) -> None:
        with self.lock:
            self.imports -= 1
            if not self.imports:
                gc.set_threshold(*self.thresholds)
                gc.unfreeze()


collector_relaxed = _CollectorRelaxed()


#: Called with (chunk number, its last row, its result) inside the chunk's transaction.
OnStored = Callable[[int, int, IngestResult], None]


class ChunkWriters:
    """Writes chunks of events with `lead_events_ingest`, `count` at once.

    With `count` > 1, each chunk is written by one of `count` threads, each with its
    own database connection (closed when the writers close) and a transaction per chunk,
    in the caller's language; `submit` returns as soon as the chunk is queued, with the
    results of the chunks that are due, oldest first, so results come back in the order
    the chunks were given and at most `count` + 1 chunks are held at a time. With
    `count` 1, chunks are written in the caller's thread (and within its transaction).
    With `on_stored`, each chunk's transaction also runs `on_stored(seq, last_row, result)`.
    """

    def __init__(
        self, context: IngestContext, count: int, on_stored: OnStored | None = None
    ) -> None:
        self.context = context
        self.count = count
        self.on_stored = on_stored
        self.pending: deque[Future] = deque()
        self.jobs: queue.Queue = queue.Queue()
        self.language = translation.get_language()
        self.threads = [
            threading.Thread(target=self._work, name=f"import-writer-{i}", daemon=True)
            for i in range(count if count > 1 else 0)
        ]
        for thread in self.threads:
            thread.start()

    def _work(self) -> None:
        try:
            with translation.override(self.language):
                while (job := self.jobs.get()) is not None:
                    chunk, seq, future = job
                    if not future.set_running_or_notify_cancel():
                        continue  # cancelled: an earlier chunk failed
                    try:
                        future.set_result(self._write(chunk, seq))
                    except BaseException as exc:  # raised in the caller's thread
                        future.set_exception(exc)
                    finally:
                        reset_queries()
        finally:
            connection.close()  # this thread's own connection

    def _write(self, chunk: list[ParsedEvent], seq: int) -> IngestResult:
        if self.on_stored is None:
            return lead_events_ingest(items=chunk, context=self.context)
        with transaction.atomic():
            result = lead_events_ingest(items=chunk, context=self.context)
            self.on_stored(seq, chunk[-1].row, result)
        return result

    def submit(
        self, chunk: list[ParsedEvent], seq: int = 0, stored: IngestResult | None = None
    ) -> list[IngestResult]:
        """Write a chunk (a copy: the caller may reuse its list); return what is due.
        A chunk `stored` before (by an earlier run of the job) is not written again:
        its recorded result comes back in its turn."""
        if not self.threads:
            return [stored if stored is not None else self._write(chunk, seq)]
        future: Future = Future()
        if stored is not None:
            future.set_result(stored)
        else:
            self.jobs.put((list(chunk), seq, future))
        self.pending.append(future)
        done = []
        while self.pending and (len(self.pending) > self.count or self.pending[0].done()):
            done.append(self.pending.popleft().result())
        return done

    def drain(self) -> list[IngestResult]:
        """Wait for every chunk submitted; their results, in order."""
        done = []
        while self.pending:
            done.append(self.pending.popleft().result())
        return done

    def close(self) -> None:
        """Stop the threads; chunks not started yet (after a failure) are not written."""
        for future in self.pending:
            future.cancel()
        for _thread in self.threads:
            self.jobs.put(None)
        for thread in self.threads:
            thread.join()


def events_import(
    *,
    stream: BinaryIO,
    format: str,
    tz: str,
    context: IngestContext,
    on_issue: Callable[[RowIssue], None] | None = None,
    on_progress: Callable[[ImportSummary], None] | None = None,
    chunk_events: int = CHUNK_EVENTS,
    writers: int | None = None,
    on_stored: OnStored | None = None,
    stored: Mapping[tuple[int, int], IngestResult] | None = None,
) -> ImportSummary:
    """Import one CSV file of the given format; return the counts.

    `writers`: chunks written at once; by default `WRITERS` on PostgreSQL when the
    caller holds no transaction (each chunk has its own), else 1. `on_stored` and
    `stored` (by chunk number and last row) resume a job: see the module docstring."""
    if writers is None:
        own_transactions = connection.vendor == "postgresql" and not connection.in_atomic_block
        writers = WRITERS if own_transactions else 1
    summary = ImportSummary()
    labels = COLUMN_LABELS.get(format, {})
    reader = CountingReader(stream)
    last_row = 0
    last_failed_row = 0
    chunk: list[ParsedEvent] = []
    seq = 0

    def issue(found: RowIssue) -> None:
        if on_issue is not None:
            on_issue(found)

    def count(results: list[IngestResult]) -> None:
        for result in results:
            summary.created += result.created
            summary.duplicates += result.duplicates
            summary.failed += len({f.index for f in result.failures})
            for failure in result.failures:
                issue(RowIssue(failure.index, failure.column, failure.message))
            summary.warnings += len(result.warnings)
            for warning in result.warnings:
                column = labels.get(warning.column, warning.column)
                issue(RowIssue(warning.index, column, warning.message, "warning"))
            summary.bytes_read = reader.count
            reset_queries()  # DEBUG keeps every query; a long import must not
            if on_progress is not None:
                on_progress(summary)

    def flush() -> None:
        nonlocal seq
        if chunk:
            seq += 1
            done = (stored or {}).get((seq, chunk[-1].row))
            count(pool.submit(chunk, seq, done))
            chunk.clear()

    pool = ChunkWriters(context, writers, on_stored)
    collector_relaxed.begin()
    try:
        parser = PARSERS[format](reader, default_tz=tz)
        for record in parser:
            if record.row != last_row:
                last_row = record.row
                summary.rows += 1
            if isinstance(record, ParsedEvent):
                # A full chunk ends where the next lead starts (exports list a lead's
                # events together), so writers working at once rarely share a lead
                # and wait for one another; a lead with a huge history still splits.
                # A chunk never ends inside a row, so a resumed job's chunks are whole rows.
                if (
                    len(chunk) >= chunk_events
                    and record.row != chunk[-1].row
                    and (
                        len(chunk) >= 2 * chunk_events
                        or chunk[-1].lead_external_id != record.lead_external_id
                        or chunk[-1].source != record.source
                    )
                ):
                    flush()
                chunk.append(record)
                continue
            if record.severity == "error":
                if record.row != last_failed_row:
                    summary.failed += 1
                    last_failed_row = record.row
            else:
                summary.warnings += 1
            issue(record)
        flush()
        count(pool.drain())
    except (FormatError, ValueError) as exc:
        # ValueError: a bad time zone name, raised by the parser on its first step.
        flush()
        count(pool.drain())
        summary.error = str(exc)
        issue(RowIssue(0, "", summary.error))
    finally:
        pool.close()
        collector_relaxed.end()
    summary.bytes_read = reader.count
    return summary


class IssueReport:
    """Writes row issues as CSV to a text stream, inert for spreadsheets."""

    def __init__(self, out: io.TextIOBase):
        self.writer = csvsafe.writer(out)
        self.writer.writerow(REPORT_HEADER)
        self.count = 0

    def __call__(self, found: RowIssue) -> None:
        cells = [found.row or "", found.column, found.severity, found.message]
        self.writer.writerow(cells)
        self.count += 1


def issues_preview(report, limit: int) -> list[dict]:
    """The first `limit` issues of a stored report (IssueReport's CSV), as dicts of
    REPORT_HEADER; a row of 0 (the whole file) is read as None."""
    with report.open("rb") as stream:
        rows = csv.DictReader(io.TextIOWrapper(stream, encoding="utf-8", newline=""))
        found = []
        for entry in rows:
            if len(found) == limit:
                break
            found.append({**entry, "row": int(entry["row"]) if entry.get("row") else None})
    return found
