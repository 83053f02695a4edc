"""/healthz and /readyz: anonymous, cheap, and saying which check fails (nothing more)."""

import pytest
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.test import Client

from portal import health
from portal.tests.processes import free_port

pytestmark = pytest.mark.django_db


def test_healthz_answers_ok_to_anyone():
    response = Client().get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["Cache-Control"] == "no-store"


def test_readyz_answers_ok_when_everything_answers():
    response = Client().get("/readyz")

    assert response.status_code == 200, response.content
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "cache": "ok", "broker": "ok", "migrations": "ok"},
    }


def test_readyz_names_the_broker_when_its_port_is_closed(settings):
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{free_port()}/0"

    response = Client().get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["failing"] == ["broker"]
    assert body["checks"]["database"] == "ok"
    assert "127.0.0.1" not in response.content.decode()  # nothing about where or why


def test_readyz_names_migrations_when_one_is_not_applied(monkeypatch):
    monkeypatch.setattr(health, "_migrated", False)
    MigrationRecorder(connection).record_unapplied("reports", "0002_facts_revision")

    response = Client().get("/readyz")

    assert response.status_code == 503
    assert response.json()["failing"] == ["migrations"]


def test_they_answer_on_plain_http_to_any_host_with_production_security(settings):
    # a load balancer calls by IP address, on http, inside the network
    settings.SECURE_SSL_REDIRECT = True
    settings.ALLOWED_HOSTS = ["portal.example.com"]
    balancer = Client(HTTP_HOST="10.0.0.7")
    person = Client(HTTP_HOST="portal.example.com")

    assert balancer.get("/healthz").status_code == 200
    assert balancer.get("/readyz").status_code == 200
    assert person.get("/healthz").status_code == 200
    # the rest of the portal: https only, and only under its own name
    assert person.get("/accounts/login/").status_code == 301
    assert balancer.get("/accounts/login/").status_code == 400


def test_they_answer_only_get_and_head():
    assert Client().head("/healthz").status_code == 200
    assert Client().post("/healthz").status_code == 405


def test_other_paths_are_not_health_checks():
    assert Client().get("/healthz-and-more").status_code == 404
