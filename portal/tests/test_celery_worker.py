"""A real Celery worker on the real broker, seeing the real database.

Skipped only when no CELERY_BROKER_URL is configured (CI always configures Redis).
The test starts its own worker process on a queue of its own and stops only that.
"""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.db import connection

from portal.models import EmailDelivery, Notification

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.skipif(
        not os.environ.get("CELERY_BROKER_URL"), reason="no CELERY_BROKER_URL configured"
    ),
]


def test_database_url() -> str:
    """The URL of the test database this test run writes to."""
    s = connection.settings_dict
    if s["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{s['NAME']}"
    auth = s["USER"] or ""
    if s["PASSWORD"]:
        auth += f":{s['PASSWORD']}"
    host = f"{auth}@" if auth else ""
    return f"postgres://{host}{s['HOST'] or 'localhost'}:{s['PORT'] or 5432}/{s['NAME']}"


test_database_url.__test__ = False


def start_worker(queue: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": test_database_url(),
        "DJANGO_DEBUG": "1",
        "EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend",
    }
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "portal",
            "worker",
            "-Q",
            queue,
            "--pool=solo",
            "--concurrency=1",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-l",
            "INFO",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


start_worker.__test__ = False


@pytest.mark.django_db(transaction=True)
def test_a_task_sent_through_the_broker_is_run_by_a_worker_and_changes_the_database(cast):
    from portal.celery import app
    from portal.tasks import notification_email_send

    # given a notification that was never emailed, and a worker on a queue of our own
    notification = Notification.objects.create(
        recipient=cast.dan,
        kind="test",
        title="Hello from the worker",
        dedupe_key=str(uuid.uuid4()),
        email_delivery=EmailDelivery.IMMEDIATE,
    )
    queue = f"test-{uuid.uuid4().hex[:12]}"
    app.conf.task_always_eager = False
    worker = start_worker(queue)
    try:
        # when the task goes through the real broker
        notification_email_send.apply_async(args=[notification.pk], queue=queue)
        # then the worker process claims and sends it
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            notification.refresh_from_db()
            if notification.emailed_at is not None:
                break
            time.sleep(0.5)
        assert notification.emailed_at is not None, "the worker did not run the task within 60 s"
    finally:
        worker.terminate()
        try:
            output, _ = worker.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
            output, _ = worker.communicate()
    assert b"Hello from the worker" in output
