"""Two beats on one Redis: only the one holding the lock sends, the other takes over.

Real processes: a Redis server of the test's own, and two `deploy/run beat` (the command
`make serve`, compose.yaml and the systemd units start), with the sweep every second.
Nothing consumes the queue, so every message either beat sent is still there to count.
"""

import signal
import subprocess

import pytest
import redis

from portal.tests.processes import ROOT, VENV_BIN, portal_env, wait_for

pytestmark = pytest.mark.celery_worker

SENT = "Sending due task notifications-sweep"
TAKEN = "Beat lock sla-portal:beat-lock:celery taken"
STANDING_BY = "this beat stands by"


class Beat:
    def __init__(self, name, broker_url, tmp_path):
        self.log = tmp_path / f"beat-{name}.log"
        env = portal_env(
            VENV_BIN=VENV_BIN,
            DJANGO_DEBUG="0",  # deploy/run refuses debug on
            DJANGO_SECRET_KEY="beat-lock-test-" + "x" * 40,
            LOG_FORMAT="text",
            CELERY_BROKER_URL=broker_url,
            CELERY_BEAT_SCHEDULE_FILENAME=str(tmp_path / f"schedule-{name}"),
            BEAT_LOCK_SECONDS="3",
            NOTIFICATIONS_SWEEP_SECONDS="1",
        )
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                [str(ROOT / "deploy" / "run"), "beat"],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def lines(self) -> list[str]:
        return self.log.read_text(errors="replace").splitlines()

    def count(self, text: str) -> int:
        return sum(text in line for line in self.lines())

    def stop(self, sig=signal.SIGTERM) -> None:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            self.process.wait(timeout=30)


def test_a_second_beat_sends_nothing_until_the_first_is_gone(redis_server, tmp_path):
    broker = redis_server.url(0)
    first = Beat("first", broker, tmp_path)
    second = None
    try:
        # given a beat that holds the lock and sends
        wait_for(lambda: first.count(SENT) >= 2, timeout=60, what="the first beat to send")
        assert first.count(TAKEN) == 1

        # when a second one is started by mistake
        second = Beat("second", broker, tmp_path)
        wait_for(lambda: second.count(STANDING_BY), timeout=60, what="the second to stand by")
        sent_before = first.count(SENT)
        wait_for(lambda: first.count(SENT) >= sent_before + 4, timeout=30, what="more sweeps")

        # then it sends nothing while the first runs
        assert second.count(SENT) == 0
        assert second.count(TAKEN) == 0

        # when the first crashes (no chance to give the lock back)
        first.stop(signal.SIGKILL)

        # then the second takes over once the lock expires, and sends from then on
        wait_for(lambda: second.count(SENT) >= 2, timeout=30, what="the second to take over")
        second.stop()  # a clean stop gives the lock back
    finally:
        first.stop(signal.SIGKILL)
        if second:
            second.stop(signal.SIGKILL)

    lines = second.lines()
    taken_at = next(n for n, line in enumerate(lines) if TAKEN in line)
    assert all(SENT not in line for line in lines[:taken_at])
    assert any("given back" in line for line in lines[taken_at:])
    client = redis.Redis.from_url(broker)
    assert client.get("sla-portal:beat-lock:celery") is None
    # Every message in the queue is one that a beat said it sent, plus one start-up sweep
    # per beat that took the lock: none was sent twice. (The first may have been killed
    # between saying and sending.)
    said = first.count(SENT) + second.count(SENT) + 2
    assert said - 1 <= client.llen("celery") <= said
