"""Import jobs survive faults: a lease that expires, a sweep that resumes, exactly once.

A worker killed mid-import used to leave its job "running" forever (the job was claimed
only from "queued"); an upload made while the broker was down answered 500 and stayed
"queued" forever. The real-process versions of these are in
portal/tests/test_background_faults.py.
"""

import datetime as dt
import io
from unittest import mock

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError

from leads.ingest import importers, store
from leads.ingest.jobs import import_job_claim, import_job_run
from leads.ingest.models import ImportChunk, ImportJob
from leads.ingest.uploads import import_jobs_requeue
from leads.models import LeadEvent
from leads.tests.test_imports import BAD, HEADER
from portal import numbers

pytestmark = pytest.mark.django_db

LEADS = 30
EVENTS_PER_LEAD = 4
# With chunks of at least 10 events that end where a lead ends: 10 chunks of 12 events.
CHUNKS = 10


def events_file(*, bad_every: int = 0) -> bytes:
    """LEADS leads of EVENTS_PER_LEAD events each, listed lead by lead; with
    `bad_every`, every so many events is one of an unknown kind (refused)."""
    lines, n = [], 0
    for lead in range(LEADS):
        for i in range(EVENTS_PER_LEAD):
            n += 1
            kind = "teleport" if bad_every and n % bad_every == 0 else "note"
            lines.append(
                f"crm,r{lead}-{i},R{lead},{kind},2026-03-02T09:{i:02d}:00Z,,,,,,n{n},,,,,,,,\n"
            )
    return (HEADER + "".join(lines)).encode()


def queued_job(cast, data: bytes, **fields) -> ImportJob:
    job = ImportJob(
        original_name="events.csv",
        format="events",
        marketing_team=cast.marketing,
        sales_team=cast.sales,
        created_by=cast.alice,
        total_bytes=len(data),
        **fields,
    )
    job.file.save("events.csv", ContentFile(data), save=False)
    job.save()
    return job


class WorkerKilled(BaseException):
    """Stands for SIGKILL: nothing of the job's own code runs after it."""


def kill_at_chunk(number: int):
    """Make the store die while writing the `number`th chunk (counting every chunk written)."""
    real = store.lead_events_ingest
    calls = {"n": 0}

    def ingest(**kwargs):
        calls["n"] += 1
        if calls["n"] == number:
            raise WorkerKilled()
        return real(**kwargs)

    return mock.patch.object(importers, "lead_events_ingest", side_effect=ingest), calls


def expire_lease(job: ImportJob) -> None:
    ImportJob.objects.filter(pk=job.pk).update(
        lease_expires_at=timezone.now() - dt.timedelta(seconds=1)
    )


@pytest.fixture
def small_chunks(settings):
    """Chunks of 10 events (the default is thousands)."""
    settings.IMPORT_CHUNK_EVENTS = 10


def test_a_job_whose_worker_died_is_resumed_by_the_sweep_and_stores_every_event_once(
    cast, sla, small_chunks
):
    # given a job of 120 events whose worker dies while writing its 4th chunk
    job = queued_job(cast, events_file())
    killed, _calls = kill_at_chunk(4)
    with killed, pytest.raises(WorkerKilled):
        import_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == "running" and job.chunks.count() == 3
    # when its lease expires and the sweep runs (the task runs eagerly here)
    expire_lease(job)
    counting, calls = kill_at_chunk(0)
    with counting:
        sent = import_jobs_requeue(now=timezone.now())
    # then the job is resumed where it stopped and finishes, each event stored once
    job.refresh_from_db()
    assert sent == 1
    assert job.status == "done" and job.attempts == 2
    assert calls["n"] == CHUNKS - 3  # the 3 stored chunks are not written again
    assert LeadEvent.objects.filter(source="crm").count() == LEADS * EVENTS_PER_LEAD
    assert (job.created, job.duplicates, job.rows) == (120, 0, 120)
    assert ImportChunk.objects.filter(job=job).count() == CHUNKS


def test_a_resumed_job_reports_every_refused_row_once(cast, sla, small_chunks):
    # given a file where every 7th event is of an unknown kind, cut at the 5th chunk
    job = queued_job(cast, events_file(bad_every=7))
    killed, _calls = kill_at_chunk(5)
    with killed, pytest.raises(WorkerKilled):
        import_job_run(job_id=job.pk)
    # when it is resumed
    expire_lease(job)
    assert import_job_run(job_id=job.pk) is True
    # then the counts and the issues report are those of one uninterrupted run
    job.refresh_from_db()
    refused = LEADS * EVENTS_PER_LEAD // 7
    assert (job.created, job.failed, job.duplicates) == (120 - refused, refused, 0)
    report = job.issues_report.read().decode().splitlines()
    assert len(report) == 1 + refused
    assert len(set(report)) == len(report)


def test_a_job_held_by_a_live_worker_is_not_claimed_by_another(cast, sla):
    # given a job claimed by one worker, whose lease runs
    job = queued_job(cast, events_file())
    now = timezone.now()
    assert import_job_claim(job_id=job.pk, now=now)
    # when a second worker (a redelivered message) tries, then it may not
    assert import_job_claim(job_id=job.pk, now=now + dt.timedelta(seconds=5)) is None
    assert import_job_run(job_id=job.pk) is False
    # and once the lease has expired, it may
    later = now + dt.timedelta(seconds=61)
    assert import_job_claim(job_id=job.pk, now=later)


def test_a_finished_job_is_never_run_again(cast, sla):
    job = queued_job(cast, events_file())
    assert import_job_run(job_id=job.pk) is True
    assert import_job_run(job_id=job.pk) is False
    assert import_jobs_requeue(now=timezone.now() + dt.timedelta(days=1)) == 0
    assert LeadEvent.objects.filter(source="crm").count() == LEADS * EVENTS_PER_LEAD


def test_the_sweep_sends_only_jobs_that_no_worker_runs(cast, sla):
    now = timezone.now()
    long_ago = now - dt.timedelta(hours=1)
    never_sent = queued_job(cast, b"x")
    sent_long_ago = queued_job(cast, b"x", enqueued_at=long_ago)
    just_sent = queued_job(cast, b"x", enqueued_at=now)
    dead_worker = queued_job(
        cast, b"x", status="running", enqueued_at=long_ago, lease_expires_at=now
    )
    live_worker = queued_job(
        cast,
        b"x",
        status="running",
        enqueued_at=long_ago,
        lease_expires_at=now + dt.timedelta(seconds=30),
    )
    sent = []
    with mock.patch(
        "leads.ingest.uploads.import_job_process.apply_async",
        side_effect=lambda args, **kw: sent.append(args[0]),
    ):
        assert import_jobs_requeue(now=now + dt.timedelta(seconds=1)) == 3
        # and a job sent again is not sent again by the next sweep
        assert import_jobs_requeue(now=now + dt.timedelta(seconds=2)) == 0
    assert sent == [never_sent.pk, sent_long_ago.pk, dead_worker.pk]
    assert just_sent.pk not in sent and live_worker.pk not in sent


def test_an_upload_while_the_broker_is_down_is_kept_and_queued_when_it_is_back(
    client, cast, sla, django_capture_on_commit_callbacks
):
    # given the broker does not answer
    client.force_login(cast.alice)
    down = OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
    upload = io.BytesIO((HEADER + BAD).encode())
    upload.name = "events.csv"
    with (
        mock.patch("leads.ingest.uploads.import_job_process.apply_async", side_effect=down),
        django_capture_on_commit_callbacks(execute=True),
    ):
        # when Alice uploads a file
        response = client.post(
            reverse("leads:imports"),
            {
                "file": upload,
                "format": "events",
                "tz": "UTC",
                "marketing_team": cast.marketing.pk,
                "sales_team": cast.sales.pk,
            },
            follow=True,
        )
    # then no 500: the file and the job are kept, and the page says it waits for the worker
    assert response.status_code == 200
    job = ImportJob.objects.get()
    assert job.status == "queued" and job.enqueued_at is None and job.file.size > 0
    page = response.content.decode()
    assert "the import is queued and will start when it is back" in page
    assert 'data-testid="import-waiting"' in page
    # when the broker is back, the sweep sends it, and it runs
    assert import_jobs_requeue(now=timezone.now()) == 1
    job.refresh_from_db()
    assert job.status == "done" and job.enqueued_at is not None
    assert 'data-testid="import-waiting"' not in client.get(job.get_absolute_url()).content.decode()


def test_a_job_no_worker_has_started_for_minutes_says_so(client, cast, sla):
    """Sent to the broker but not started: for the first minutes the page shows it queued,
    then it says that no worker has started it and whom to ask, on the page and in the
    status the page polls; once a worker runs it, it says so no more."""
    job = queued_job(cast, (HEADER + BAD).encode(), enqueued_at=timezone.now())
    client.force_login(cast.alice)
    status = reverse("leads:import_status", args=[job.pk])

    def shown(page: str) -> bool:
        start = page.index('data-field="queued_long"')
        return "hidden" not in page[page.rindex("<p", 0, start) : start]

    assert not shown(client.get(job.get_absolute_url()).content.decode())
    assert client.get(status).json()["queued_long"] is False
    later = job.created_at + ImportJob.QUEUED_LONG + dt.timedelta(seconds=1)
    with time_machine.travel(later, tick=False):
        page = client.get(job.get_absolute_url()).content.decode()
        assert shown(page) and "no background worker has started" in page
        assert client.get(status).json()["queued_long"] is True
        import_job_run(job_id=job.pk)
        assert client.get(status).json()["queued_long"] is False


def test_an_imports_progress_is_written_in_the_readers_digits(client, cast, sla, settings):
    """The counts and the percentage of an import's page, and the status its page polls
    to update them, are written as the reader's language writes numbers (٪ and
    Arabic-Indic digits in Arabic), like every other number of the portal."""
    job = queued_job(cast, (HEADER + BAD).encode(), enqueued_at=timezone.now())
    import_job_run(job_id=job.pk)
    job.refresh_from_db()
    client.force_login(cast.alice)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ar"
    page = client.get(job.get_absolute_url()).content.decode()
    status = client.get(reverse("leads:import_status", args=[job.pk])).json()
    assert status["percent"] == 100 and status["shown"]["percent"] == "١٠٠٪"
    assert '<span data-field="percent">١٠٠٪</span>' in page
    for name in ("rows", "created", "duplicates", "failed", "warnings"):
        shown = numbers.number(getattr(job, name), language="ar")
        assert status["shown"][name] == shown
        assert f'<strong data-field="{name}">{shown}</strong>' in page
    assert job.rows > 0 and not any(c.isascii() and c.isdigit() for c in status["shown"]["rows"])
