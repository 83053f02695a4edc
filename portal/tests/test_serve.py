"""`make serve`, the production server: real processes, as an operator starts them.

It refuses debug on and a missing secret key; otherwise it migrates, collects the static
files, and runs gunicorn, a Celery worker and one beat under supervisord, which restarts
whichever crashes. The full run uses a Redis of its own, a fresh SQLite file, and the
virtualenv the tests run in (`-o` tells make not to reinstall it).
"""

import functools
import http.client
import json
import os
import re
import secrets
import signal
import subprocess
import sys

import pytest

from portal.tests.processes import ROOT, VENV_BIN, free_port, portal_env, wait_for

VENV = sys.prefix


def make_serve(env, *args, **popen):
    command = ["make", "--no-print-directory", "-o", f"{VENV}/bin/.runtime-installed"]
    command += [f"VENV={VENV}", "serve", *args]
    return command, {"cwd": ROOT, "env": env, **popen}


def run_make_serve(**env):
    command, options = make_serve(portal_env(**env))
    return subprocess.run(command, capture_output=True, text=True, timeout=60, **options)


def test_make_serve_refuses_to_start_with_debug_on():
    result = run_make_serve(DJANGO_DEBUG="1", DJANGO_SECRET_KEY=secrets.token_urlsafe(50))

    assert result.returncode != 0
    assert "DJANGO_DEBUG is on" in result.stderr
    assert "Serving" not in result.stdout


def test_make_serve_refuses_to_start_without_a_secret_key():
    result = run_make_serve(DJANGO_DEBUG="0")

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in result.stderr
    assert "Serving" not in result.stdout


def get(port, path, **headers):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def answers(port, path, **headers):
    try:
        return get(port, path, **headers)[0] == 200
    except OSError:
        return False


class Supervised:
    def __init__(self, run_dir):
        self.env = {**os.environ, "SUPERVISOR_RUN_DIR": str(run_dir)}

    def status(self) -> dict[str, tuple[str, int | None]]:
        out = subprocess.run(
            [f"{VENV_BIN}/supervisorctl", "-c", "deploy/supervisord.conf", "status"],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=30,
        ).stdout
        found = {}
        for line in out.splitlines():
            match = re.match(r"(\w+)\s+(\w+)(?:\s+pid (\d+))?", line)
            if match:
                name, state, pid = match.groups()
                found[name] = (state, int(pid) if pid else None)
        return found

    def all_running(self):
        found = self.status()
        return found if {state for state, _pid in found.values()} == {"RUNNING"} else None

    def restarted(self, name, old_pid):
        state, pid = self.status().get(name, (None, None))
        return state == "RUNNING" and pid not in (None, old_pid) and pid


def json_lines(log, logger, **fields) -> list[dict]:
    found = []
    for line in log.read_text(errors="replace").splitlines():
        if line.startswith("{"):
            entry = json.loads(line)
            if entry["logger"] == logger and fields.items() <= entry.items():
                found.append(entry)
    return found


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.celery_worker
def test_make_serve_runs_the_web_a_worker_and_one_beat_and_restarts_what_crashes(
    redis_server, tmp_path
):
    port = free_port()
    env = portal_env(
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_TRUST_PROXY="1",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        CELERY_BROKER_URL=redis_server.url(0),
        REDIS_URL=redis_server.url(1),
        DJANGO_STATIC_ROOT=str(tmp_path / "static"),
        SUPERVISOR_RUN_DIR=str(tmp_path),
        CELERY_BEAT_SCHEDULE_FILENAME=str(tmp_path / "schedule"),
        BEAT_LOCK_SECONDS="5",
        WEB_CONCURRENCY="1",
        CELERY_CONCURRENCY="1",
    )
    log = tmp_path / "serve.log"
    command, options = make_serve(env, f"PORT={port}")
    with log.open("wb") as out:
        serve = subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True, **options
        )
    supervised = Supervised(tmp_path)
    try:
        # given make serve, answering once migrate and collectstatic are done
        https = {"X-Forwarded-Proto": "https"}
        wait_for(
            lambda: answers(port, "/accounts/login/", **https) or serve.poll() is not None,
            timeout=120,
            what="the sign-in page",
        )
        assert serve.poll() is None, log.read_text()
        status = wait_for(supervised.all_running, timeout=30, what="web, worker, beat running")
        assert sorted(status) == ["beat", "web", "worker"]  # exactly one beat

        # the proxy says https (trusted: DJANGO_TRUST_PROXY=1); plain http is redirected
        code, headers, _ = get(port, "/accounts/login/")
        assert code == 301
        assert headers["Location"].startswith("https://")

        # health for the load balancer: plain http, called by address
        code, _, body = get(port, "/healthz", Host="10.0.0.7")
        assert (code, json.loads(body)) == (200, {"status": "ok"})
        code, _, body = get(port, "/readyz", Host="10.0.0.7")
        assert code == 200, body
        assert json.loads(body)["checks"] == {
            "database": "ok",
            "cache": "ok",
            "broker": "ok",
            "migrations": "ok",
        }

        # static files: hashed names, compressed, cached for ever
        _, _, page = get(port, "/accounts/login/", **https)
        stylesheet = re.search(rb'href="(/static/css/portal\.[0-9a-f]{12}\.css)"', page)
        assert stylesheet, page[:2000]
        code, headers, _ = get(
            port, stylesheet.group(1).decode(), **https, **{"Accept-Encoding": "gzip"}
        )
        assert code == 200
        assert headers.get("Content-Encoding") == "gzip"
        assert "immutable" in headers["Cache-Control"]

        # logs: one JSON line per request and per task (JSON is the default, debug off)
        requests = wait_for(
            lambda: json_lines(log, "portal.request", path="/accounts/login/"),
            timeout=30,
            what="a request log line",
        )
        assert {"request_id", "user_id", "status", "duration_ms"} <= set(requests[0])
        tasks = wait_for(
            lambda: json_lines(log, "portal.task", task_name="portal.tasks.notifications_sweep"),
            timeout=60,
            what="a task log line",
        )
        assert {"task_id", "state", "duration_ms"} <= set(tasks[0])

        # when the worker and the beat crash, then supervisord starts them again
        for name in ("worker", "beat"):
            _state, pid = status[name]
            os.kill(pid, signal.SIGKILL)
            restarted = functools.partial(supervised.restarted, name, pid)
            wait_for(restarted, timeout=60, what=f"a new {name}")
    finally:
        running = {pid for _state, pid in supervised.status().values() if pid}
        if (tmp_path / "supervisord.pid").exists():
            running.add(int((tmp_path / "supervisord.pid").read_text()))
        # as Ctrl-C in a terminal: the signal goes to make, the shell and supervisord
        os.killpg(serve.pid, signal.SIGTERM)
        serve.wait(timeout=30)
    try:
        wait_for(lambda: not any(alive(pid) for pid in running), timeout=90, what="a clean stop")
    finally:
        for pid in filter(alive, running):
            os.kill(pid, signal.SIGKILL)
    output = log.read_text(errors="replace")
    assert "stopped: web" in output
    assert "stopped: worker" in output
    assert "stopped: beat" in output
