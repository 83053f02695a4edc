"""Notifications through a real broker and real worker processes.

Skipped only when no CELERY_BROKER_URL is configured (CI always configures Redis).
Every process these tests stop or kill, they started: workers on queues of their own,
and, for the broker outage, a redis-server of their own on a free port (never the
system's Redis).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from portal.models import EmailDelivery, Notification
from portal.tests.leadclocks import handed_lead, round_the_clock_version
from portal.tests.test_celery_worker import test_database_url

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.skipif(
        not os.environ.get("CELERY_BROKER_URL"), reason="no CELERY_BROKER_URL configured"
    ),
    pytest.mark.django_db(transaction=True),
]


class Worker:
    """A `celery worker` subprocess on its own queue, logging to a file."""

    def __init__(self, tmp: Path, queue: str, *, beat: bool = False, **env: str) -> None:
        self.log = tmp / f"worker-{uuid.uuid4().hex[:6]}.log"
        args = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "portal",
            "worker",
            "-Q",
            queue,
            "--pool=solo",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-l",
            "INFO",
            f"--logfile={self.log}",
        ]
        if beat:
            args += ["--beat", f"--schedule={tmp / 'beat-schedule'}"]
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            args,
            cwd=ROOT,
            env={
                **os.environ,
                "DATABASE_URL": test_database_url(),
                "DJANGO_DEBUG": "1",
                "CELERY_TASK_DEFAULT_QUEUE": queue,
                "EMAIL_BACKEND": "portal.tests.email_backends.FileRecordingBackend",
                **env,
            },
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def kill(self) -> None:
        """SIGKILL: no warm shutdown, no ack, the task in hand is lost mid-way."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=20)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()


def wait_for(condition, timeout: float, what: str, worker: Worker | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.25)
    log = worker.output()[-4000:] if worker else ""
    raise AssertionError(f"timed out after {timeout} s waiting for {what}\n{log}")


def emails(outbox: Path) -> list[str]:
    return outbox.read_text().splitlines() if outbox.exists() else []


@pytest.fixture
def queue():
    from portal.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = False
    name = f"test-notify-{uuid.uuid4().hex[:10]}"
    yield name
    app.conf.task_always_eager = previous
    # Remove this queue's own keys from the shared broker database (nothing else).
    import redis

    client = redis.Redis.from_url(os.environ["CELERY_BROKER_URL"])
    client.delete(name, f"_kombu.binding.{name}", f"_kombu.binding_permanent.{name}")


def sweeps_done(worker: Worker) -> int:
    return worker.output().count("portal.tasks.notifications_sweep[") // 2  # received+succeeded


def test_a_breached_lead_flows_end_to_end_to_one_email_per_person(cast, tmp_path, queue):
    from portal.tasks import notifications_sweep

    # given a lead whose first-contact clock breached an hour ago
    version = round_the_clock_version(cast)
    handed_lead(cast, version, at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=2))
    outbox = tmp_path / "outbox.txt"
    worker = Worker(tmp_path, queue, NOTIFY_TEST_OUTBOX=str(outbox))
    try:
        # when the sweep goes through the broker to the worker
        notifications_sweep.apply_async(queue=queue)
        # then the worker writes the notifications and emails Dan and Carol
        wait_for(lambda: len(emails(outbox)) == 2, 60, "two emails", worker)
        # and a second sweep sends nothing more
        notifications_sweep.apply_async(queue=queue)
        wait_for(lambda: sweeps_done(worker) >= 2, 60, "the second sweep", worker)
        time.sleep(1)
    finally:
        worker.stop()
    assert sorted(line.split("|")[0] for line in emails(outbox)) == [
        "carol@example.com",
        "dan@example.com",
    ]
    assert all("Breached" in line for line in emails(outbox))
    rows = Notification.objects.filter(kind="lead_breached")
    assert rows.count() == 2
    assert all(row.emailed_at is not None for row in rows)


def test_a_worker_killed_mid_delivery_leads_to_exactly_one_email(cast, tmp_path, queue):
    from portal.tasks import notification_email_send

    # given a notification whose email is due, and a worker whose mail server hangs
    notification = Notification.objects.create(
        recipient=cast.dan,
        kind="lead_at_risk",
        title="At risk: Ada",
        dedupe_key=f"kill-test:{uuid.uuid4().hex}",
        url="/leads/1/",
        email_delivery=EmailDelivery.IMMEDIATE,
    )
    outbox, started, gate = tmp_path / "outbox.txt", tmp_path / "started", tmp_path / "gate"
    env = {
        "NOTIFY_TEST_OUTBOX": str(outbox),
        "NOTIFY_TEST_STARTED": str(started),
        "NOTIFY_TEST_GATE": str(gate),
        # Redis redelivers an unacknowledged task after this (production: an hour).
        "CELERY_VISIBILITY_TIMEOUT": "3",
        "CELERY_UNACKED_RESTORE_INTERVAL": "1",
    }
    first = Worker(tmp_path, queue, **env)
    second = None
    try:
        notification_email_send.apply_async(args=[notification.pk], queue=queue)
        wait_for(started.exists, 60, "the first worker to start sending", first)
        # when the worker is killed in the middle of the delivery
        first.kill()
        notification.refresh_from_db()
        assert notification.emailed_at is None
        assert emails(outbox) == []
        # and a new worker starts (the mail server answers again)
        gate.touch()
        second = Worker(tmp_path, queue, **env)
        # then the task is delivered again and the email is sent once
        wait_for(lambda: len(emails(outbox)) == 1, 60, "the redelivered email", second)
        time.sleep(8)  # more than two visibility timeouts: no second delivery
    finally:
        first.stop()
        if second:
            second.stop()
    assert emails(outbox) == ["dan@example.com|At risk: Ada"]
    notification.refresh_from_db()
    assert notification.emailed_at is not None


class OwnRedis:
    """A redis-server of this test's own, on a free port, with nothing saved to disk."""

    def __init__(self, tmp: Path) -> None:
        self.binary = shutil.which("redis-server")
        if not self.binary:
            raise AssertionError("redis-server is not installed (apt-get install redis-server)")
        self.dir = tmp
        self.port = self._free_port()
        self.process: subprocess.Popen | None = None

    @staticmethod
    def _free_port() -> int:
        for port in range(6390 + os.getpid() % 500, 6999):
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) != 0:
                    return port
        raise AssertionError("no free port for a test redis-server")

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.dir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

        def answers() -> bool:
            with socket.socket() as probe:
                return probe.connect_ex(("127.0.0.1", self.port)) == 0

        wait_for(answers, 20, f"redis-server on port {self.port}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)


def test_notifications_due_while_the_broker_was_down_are_delivered_once_it_is_back(
    cast, tmp_path, queue
):
    # given our own broker, and a worker with its scheduler sweeping every second
    redis = OwnRedis(tmp_path)
    redis.start()
    outbox = tmp_path / "outbox.txt"
    worker = Worker(
        tmp_path,
        queue,
        beat=True,
        CELERY_BROKER_URL=redis.url,
        NOTIFICATIONS_SWEEP_SECONDS="1",
        NOTIFY_TEST_OUTBOX=str(outbox),
    )
    try:
        wait_for(lambda: sweeps_done(worker) >= 1, 60, "a first sweep", worker)
        # when the broker stops
        redis.stop()
        # and, meanwhile, leads become overdue: two breached already, one a few seconds later
        version = round_the_clock_version(cast, hours=1)
        now = dt.datetime.now(dt.UTC)
        for offset in (dt.timedelta(hours=3), dt.timedelta(hours=2)):
            handed_lead(cast, version, at=now - offset)
        handed_lead(cast, version, at=now - dt.timedelta(hours=1) + dt.timedelta(seconds=3))
        time.sleep(6)
        assert Notification.objects.count() == 0  # nothing could run
        # and the broker comes back (empty: nothing was saved)
        swept_before = sweeps_done(worker)
        redis.start()
        # then the sweep delivers every due notification: a breach for Dan and Carol per lead
        wait_for(lambda: len(emails(outbox)) >= 6, 90, "six emails", worker)
        # and later sweeps deliver none of them twice
        wait_for(lambda: sweeps_done(worker) >= swept_before + 4, 60, "more sweeps", worker)
        time.sleep(1)
    finally:
        worker.stop()
        redis.stop()
    lines = emails(outbox)
    assert len(lines) == 6, lines
    assert (
        sorted(line.split("|")[0] for line in lines)
        == ["carol@example.com"] * 3 + ["dan@example.com"] * 3
    )
    rows = Notification.objects.all()
    assert rows.count() == 6
    assert {row.kind for row in rows} == {"lead_breached"}
    assert all(row.emailed_at is not None for row in rows)
