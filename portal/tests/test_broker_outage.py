"""A 30-second broker outage: real processes (`deploy/run worker` and `deploy/run beat`)
on a Redis of the test's own, which the test kills and starts again on the same port.

The worker used to die of it for good (`Unrecoverable error: AttributeError("'NoneType'
object has no attribute 'hostname'")`, Celery's Gossip step: see docs/deploy.md); now it
reconnects and goes on, and an import uploaded during the outage runs once it is over.
"""

import time
import uuid

import pytest
from django.core.files.base import ContentFile

from leads.ingest.models import ImportJob
from portal.celery import app
from portal.models import EmailDelivery, Notification
from portal.tasks import notification_email_send
from portal.tests.processes import wait_for
from portal.tests.workers import Fleet

pytestmark = pytest.mark.celery_worker

OUTAGE_SECONDS = 30
CSV = (
    "source,event_id,lead_external_id,kind,occurred_at\n"
    "crm,o1,O1,created,2026-03-02T09:00:00Z\n"
    "crm,o2,O1,note,2026-03-02T09:05:00Z\n"
)


@pytest.mark.django_db(transaction=True)
def test_the_worker_outlives_a_30_second_broker_outage_and_runs_what_came_meanwhile(
    cast, redis_server, tmp_path
):
    # given a worker and a beat on their Redis, sweeping every second
    fleet = Fleet(
        redis_url=redis_server.url(0),
        tmp_path=tmp_path,
        NOTIFICATIONS_SWEEP_SECONDS="1",
        BEAT_LOCK_SECONDS="5",
    )
    try:
        worker = fleet.start("worker")
        beat = fleet.start("beat")
        wait_for(
            lambda: "notifications_sweep" in fleet.output(),
            timeout=60,
            what="the worker to run a first sweep",
        )
        # when Redis dies for 30 seconds
        redis_server.stop()
        # and meanwhile a file is uploaded (kept, not sent: the broker is down)
        job = ImportJob(
            original_name="during-outage.csv",
            format="events",
            marketing_team=cast.marketing,
            sales_team=cast.sales,
            created_by=cast.alice,
            total_bytes=len(CSV),
        )
        job.file.save("during-outage.csv", ContentFile(CSV.encode()), save=False)
        job.save()
        time.sleep(OUTAGE_SECONDS)  # the outage is real time: nothing to freeze
        redis_server.start()  # the same port
        # then the worker and the beat are still alive
        assert worker.poll() is None, fleet.output()[-3000:]
        assert beat.poll() is None, fleet.output()[-3000:]
        # and the worker runs a task sent after the outage
        notification = Notification.objects.create(
            recipient=cast.dan,
            kind="test",
            title="After the outage",
            dedupe_key=str(uuid.uuid4()),
            email_delivery=EmailDelivery.IMMEDIATE,
        )
        eager = app.conf.task_always_eager
        app.conf.task_always_eager = False
        try:
            with app.connection_for_write(redis_server.url(0)) as conn:
                notification_email_send.apply_async(
                    args=[notification.pk], queue=fleet.queue, connection=conn
                )
        finally:
            app.conf.task_always_eager = eager
        wait_for(
            lambda: Notification.objects.filter(pk=notification.pk, emailed_at__isnull=False),
            timeout=90,
            what="the worker to run a task sent after the outage",
        )
        # and the import uploaded during the outage has run
        wait_for(
            lambda: ImportJob.objects.filter(pk=job.pk, status="done").exists(),
            timeout=60,
            what="the import uploaded during the outage to run",
        )
        assert worker.poll() is None
    finally:
        fleet.stop_all()
    output = fleet.output()
    assert "Unrecoverable error" not in output
    assert "Connection to broker lost" in output  # the outage did reach the worker
