"""Workers and beats as the production runs them (`deploy/run worker`, `deploy/run beat`),
on the test's own Redis and the test run's database, each in a process group of its own so
a test can SIGKILL one whole worker (its main process and its pool) as a crash would.
"""

from __future__ import annotations

import http.client
import os
import re
import secrets
import signal
import subprocess
import uuid
from pathlib import Path
from urllib.parse import urlencode

from django.conf import settings
from django.db import connection

from portal.tests.processes import ROOT, VENV_BIN, portal_env


def test_database_url() -> str:
    """The URL of the database this test run writes to."""
    s = connection.settings_dict
    if s["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{s['NAME']}"
    auth = s["USER"] or ""
    if s["PASSWORD"]:
        auth += f":{s['PASSWORD']}"
    host = f"{auth}@" if auth else ""
    return f"postgres://{host}{s['HOST'] or 'localhost'}:{s['PORT'] or 5432}/{s['NAME']}"


test_database_url.__test__ = False


class Fleet:
    """Production processes of one test: they share a queue name of their own (so a beat
    lock of their own), the test's Redis, database and media folder."""

    def __init__(self, *, redis_url: str, tmp_path: Path, **env: str):
        self.queue = f"test-{uuid.uuid4().hex[:10]}"
        self.tmp_path = tmp_path
        defaults = dict(
            DJANGO_DEBUG="0",
            DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
            DJANGO_ALLOWED_HOSTS="127.0.0.1",
            DATABASE_URL=test_database_url(),
            DJANGO_MEDIA_ROOT=str(settings.MEDIA_ROOT),
            CELERY_BROKER_URL=redis_url,
            REDIS_URL=redis_url,
            CELERY_TASK_DEFAULT_QUEUE=self.queue,
            CELERY_BEAT_SCHEDULE_FILENAME=str(tmp_path / f"schedule-{self.queue}"),
            CELERY_CONCURRENCY="1",
            EMAIL_BACKEND="django.core.mail.backends.console.EmailBackend",
            LOG_FORMAT="text",
            VENV_BIN=VENV_BIN,
        )
        self.env = portal_env(**{**defaults, **env})
        self.processes: list[subprocess.Popen] = []
        self.logs: list[Path] = []

    def start(self, role: str, **env: str) -> subprocess.Popen:
        log = self.tmp_path / f"{role}-{len(self.processes)}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [str(ROOT / "deploy" / "run"), role],
                cwd=ROOT,
                env={**self.env, **env},
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: SIGKILL takes its pool too
            )
        self.processes.append(process)
        self.logs.append(log)
        return process

    def kill(self, process: subprocess.Popen) -> None:
        """SIGKILL the process and its children: no warm shutdown, no goodbye."""
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait(timeout=10)

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                try:
                    os.killpg(process.pid, signal.SIGTERM)
                    process.wait(timeout=20)
                except (ProcessLookupError, subprocess.TimeoutExpired):
                    self.kill(process)

    def log_of(self, process: subprocess.Popen) -> str:
        return self.logs[self.processes.index(process)].read_text(errors="replace")

    def output(self) -> str:
        return "\n".join(log.read_text(errors="replace") for log in self.logs)


class WebSession:
    """A browser for `deploy/run web` on loopback: keeps cookies, sends the CSRF token,
    says it came through a TLS proxy (DJANGO_TRUST_PROXY=1 believes it)."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(
        self, method: str, path: str, body: bytes | None = None, content_type: str = ""
    ) -> tuple[int, str]:
        host = f"127.0.0.1:{self.port}"
        headers = {"Host": host, "X-Forwarded-Proto": "https"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body is not None:
            headers |= {
                "Content-Type": content_type or "application/x-www-form-urlencoded",
                "Referer": f"https://{host}{path}",
                "X-CSRFToken": self.cookies.get("csrftoken", ""),
            }
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            text = response.read().decode(errors="replace")
        finally:
            conn.close()
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                self.cookies[key.strip()] = rest.split(";", 1)[0]
        return response.status, text

    def csrf(self, path: str) -> str:
        _status, page = self.request("GET", path)
        found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        return found.group(1) if found else ""

    def sign_in(self, username: str, password: str) -> int:
        token = self.csrf("/accounts/login/")
        body = urlencode({"username": username, "password": password, "csrfmiddlewaretoken": token})
        return self.request("POST", "/accounts/login/", body.encode())[0]

    def upload(self, path: str, fields: dict[str, str], filename: str, data: bytes) -> int:
        token = self.csrf(path)
        boundary = uuid.uuid4().hex
        parts = []
        for name, value in {**fields, "csrfmiddlewaretoken": token}.items():
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                f"{value}\r\n".encode()
            )
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="{filename}"\r\nContent-Type: text/csv\r\n\r\n'.encode()
            + data
            + b"\r\n"
        )
        body = b"".join(parts) + f"--{boundary}--\r\n".encode()
        return self.request("POST", path, body, f"multipart/form-data; boundary={boundary}")[0]
