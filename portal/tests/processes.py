"""Real processes for the tests about processes: a Redis server of the test's own, ports,
waiting, and the environment a child process of the portal starts with.

`redis_server` starts `redis-server` on a free port (no persistence) and kills it after the
test, so a test may stop Redis, or fill it, without touching anyone else's.
"""

from __future__ import annotations

import base64
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = str(Path(sys.executable).parent)
#: One seal key for every production process of the test run (web, workers and beat must
#: share it, as they would share it in production): the base64 of 32 random bytes.
TEST_SEAL_KEY = base64.b64encode(secrets.token_bytes(32)).decode()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(condition: Callable[[], object], *, timeout: float, what: str) -> object:
    """Poll until `condition()` is truthy; its value, or a failure naming `what`."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"gave up after {timeout:.0f} s waiting for {what}")
        time.sleep(0.2)


def portal_env(**overrides: str) -> dict[str, str]:
    """The test run's environment without the portal's own settings, plus the run's seal
    key (production refuses to start without one) and `overrides`."""
    ours = (
        "DJANGO_",
        "CELERY_",
        "REDIS_URL",
        "DATABASE_URL",
        "BEAT_LOCK",
        "LOG_",
        "SENTRY_",
        "SEAL_",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(ours)}
    env.pop("PYTEST_CURRENT_TEST", None)
    env["SEAL_PRIVATE_KEY"] = TEST_SEAL_KEY
    env.update(overrides)
    return env


class RedisServer:
    def __init__(self):
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
            + ["--save", "", "--appendonly", "no", "--daemonize", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(self._answers, timeout=10, what=f"redis-server on port {self.port}")

    def stop(self) -> None:
        """Kill it, as an outage would: no goodbye to the clients."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as conn:
                conn.sendall(b"PING\r\n")
                return conn.recv(16).startswith(b"+PONG")
        except OSError:
            return False


@pytest.fixture
def redis_server():
    if not shutil.which("redis-server"):
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    server = RedisServer()
    server.start()
    yield server
    server.stop()
