"""A worker SIGKILLed in the middle of an import: real processes (`deploy/run worker` and
`deploy/run beat`) on a Redis of the test's own. The job used to stay "running" at 25 %
forever; now its lease expires, the sweep sends it again, another worker resumes it, and
it finishes exactly once.
"""

import pytest
from django.core.files.base import ContentFile

from leads.ingest.models import ImportChunk, ImportJob
from leads.models import LeadEvent
from leads.tests.test_imports import HEADER
from portal.tests.processes import wait_for
from portal.tests.workers import Fleet

pytestmark = pytest.mark.celery_worker

# Big enough that the import is still running when the test looks (every 0.2 s) on a fast
# machine: 300 chunks. With 30 it could finish before the kill (seen in CI).
LEADS = 3000
EVENTS_PER_LEAD = 10
CHUNK = 100  # events per chunk: 300 chunks


def big_file() -> bytes:
    lines = [
        f"crm,k{lead}-{i},K{lead},note,2026-03-02T09:{i:02d}:00Z,,,,,,n,,,,,,,,\n"
        for lead in range(LEADS)
        for i in range(EVENTS_PER_LEAD)
    ]
    return (HEADER + "".join(lines)).encode()


@pytest.mark.django_db(transaction=True)
def test_an_import_whose_worker_is_killed_finishes_exactly_once_on_another(
    cast, sla, redis_server, tmp_path
):
    # given a worker and a beat (sweeping every second), and an upload of 30,000 events
    fleet = Fleet(
        redis_url=redis_server.url(0),
        tmp_path=tmp_path,
        IMPORT_LEASE_SECONDS="3",
        IMPORT_CHUNK_EVENTS=str(CHUNK),
        NOTIFICATIONS_SWEEP_SECONDS="1",
        BEAT_LOCK_SECONDS="5",
    )
    data = big_file()
    job = ImportJob(
        original_name="big.csv",
        format="events",
        marketing_team=cast.marketing,
        sales_team=cast.sales,
        created_by=cast.alice,
        total_bytes=len(data),
    )
    job.file.save("big.csv", ContentFile(data), save=False)
    job.save()  # not sent: the sweep sends it, as after an upload during a broker outage
    total_chunks = LEADS * EVENTS_PER_LEAD // CHUNK
    try:
        first = fleet.start("worker")
        fleet.start("beat")
        # when the worker is killed (SIGKILL) once a quarter of the chunks are stored
        wait_for(
            lambda: ImportChunk.objects.filter(job=job).count() >= total_chunks // 4,
            timeout=120,
            what="the import to reach 25 %",
        )
        fleet.kill(first)
        stored_at_kill = ImportChunk.objects.filter(job=job).count()
        job.refresh_from_db()
        assert job.status == "running" and stored_at_kill < total_chunks
        # and another worker starts
        fleet.start("worker")
        # then the job is resumed and finishes
        wait_for(
            lambda: ImportJob.objects.filter(pk=job.pk, status__in=["done", "failed"]).exists(),
            timeout=180,
            what="the import to finish on the second worker",
        )
    finally:
        fleet.stop_all()
    job.refresh_from_db()
    assert job.status == "done", (job.error, fleet.output()[-3000:])
    assert job.attempts >= 2
    # every event stored once, and counted once
    events = LeadEvent.objects.filter(source="crm", source_event_id__startswith="k")
    assert events.count() == LEADS * EVENTS_PER_LEAD
    total = LEADS * EVENTS_PER_LEAD
    assert (job.rows, job.created, job.duplicates, job.failed) == (total, total, 0, 0)
    assert ImportChunk.objects.filter(job=job).count() == total_chunks
    assert "resuming after" in fleet.output()
