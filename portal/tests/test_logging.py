"""Logs a machine can read: a request, a task and an error each give one JSON line.

The records are written through the handler the settings configure (`LOG_FORMAT=json`,
the default with debug off), captured from the real stream it writes to.
"""

import io
import json
import logging
import subprocess
import sys

import pytest
from django.test import Client
from django.urls import include, path

from portal.logging_config import ContextFilter, JsonFormatter, log_format_default
from portal.tests.processes import ROOT, portal_env


def boom(request):
    raise RuntimeError("the view fell over")


urlpatterns = [path("boom/", boom), path("", include("portal.urls"))]
handler500 = "portal.views.server_error"


@pytest.fixture
def json_lines():
    """The JSON lines written while the test runs, as the production handler writes them."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(ContextFilter())
    root = logging.getLogger()
    previous = {name: logging.getLogger(name).level for name in ("portal.request", "")}
    root.addHandler(handler)
    logging.getLogger("portal.request").setLevel(logging.INFO)
    root.setLevel(logging.INFO)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    root.removeHandler(handler)
    for name, level in previous.items():
        logging.getLogger(name).setLevel(level)


@pytest.mark.django_db
def test_a_request_gives_one_json_line_with_its_id_user_path_status_and_duration(cast, json_lines):
    client = Client()
    client.force_login(cast.dan)

    response = client.get("/notifications/?page=1")

    lines = [line for line in json_lines() if line["logger"] == "portal.request"]
    assert len(lines) == 1
    line = lines[0]
    assert line["request_id"] == response["X-Request-ID"]
    assert line["user_id"] == cast.dan.pk
    assert line["path"] == "/notifications/"  # no query string: it may hold anything
    assert line["method"] == "GET"
    assert line["status"] == 200
    assert isinstance(line["duration_ms"], float)
    assert line["level"] == "INFO"
    assert "time" in line


@pytest.mark.django_db
def test_an_anonymous_request_is_logged_without_a_user(json_lines):
    Client().get("/accounts/login/")

    (line,) = [line for line in json_lines() if line["logger"] == "portal.request"]
    assert line["user_id"] is None
    assert line["status"] == 200


@pytest.mark.django_db
@pytest.mark.urls("portal.tests.test_logging")
def test_an_error_is_one_json_line_with_its_traceback_and_the_request_id(json_lines):
    response = Client(raise_request_exception=False).get("/boom/")

    assert response.status_code == 500
    errors = [line for line in json_lines() if line["level"] == "ERROR"]
    assert len(errors) == 1
    assert errors[0]["request_id"] == response["X-Request-ID"]
    assert "Traceback (most recent call last)" in errors[0]["exception"]
    assert "RuntimeError: the view fell over" in errors[0]["exception"]
    (request_line,) = [line for line in json_lines() if line["logger"] == "portal.request"]
    assert request_line["status"] == 500


@pytest.mark.django_db
def test_a_celery_task_gives_one_json_line_with_its_name_id_state_and_duration(json_lines):
    from portal.tasks import notifications_sweep

    result = notifications_sweep.delay()  # run inline in tests, through Celery's tracer

    (line,) = [line for line in json_lines() if line["logger"] == "portal.task"]
    assert line["task_name"] == "portal.tasks.notifications_sweep"
    assert line["task_id"] == result.id
    assert line["state"] == "SUCCESS"
    assert isinstance(line["duration_ms"], float)


def test_json_is_the_default_with_debug_off_and_text_in_development():
    assert log_format_default(debug=False) == "json"
    assert log_format_default(debug=True) == "text"


def settings_in_a_process(code: str, **env) -> str:
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env=portal_env(DJANGO_SETTINGS_MODULE="portal.settings", **env),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.strip()


def test_sentry_is_imported_only_when_a_dsn_is_set():
    code = "import sys; print('sentry_sdk' in sys.modules)"
    assert settings_in_a_process(code, DJANGO_DEBUG="1") == "False"

    code = "import sentry_sdk; print(sentry_sdk.get_client().is_active())"
    dsn = "http://public@127.0.0.1:9/1"  # nothing is sent: no error happens
    assert settings_in_a_process(code, DJANGO_DEBUG="1", SENTRY_DSN=dsn) == "True"
