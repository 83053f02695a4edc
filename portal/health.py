"""Health endpoints for load balancers and orchestrators: `/healthz` and `/readyz`.

- `/healthz` (liveness): the process answers. Always 200 `{"status": "ok"}`; it touches
  nothing, so a database outage does not get every web process restarted.
- `/readyz` (readiness): the database, the cache and the broker answer, and every
  migration is applied. 200 `{"status": "ok", "checks": {...}}`, else 503 with
  `"failing": [names]`. Only check names and ok/failing go out; the reasons are logged.

A middleware, first in MIDDLEWARE, answers both before anything else runs: no session,
no language, no host check (a load balancer often calls by IP address) and no redirect to
https (it calls on plain http inside the network). Anonymous, and cheap: one query, one
cache round trip, one broker connection.
"""

from __future__ import annotations

import logging
import uuid

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.http import HttpResponseNotAllowed, JsonResponse
from kombu import Connection

logger = logging.getLogger(__name__)

LIVENESS_PATH = "/healthz"
READINESS_PATH = "/readyz"


def database_answers() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        return cursor.fetchone() == (1,)


def cache_answers() -> bool:
    # A cache that swallows its errors (portal.cache) answers None: a failure too.
    key, value = "readyz", uuid.uuid4().hex
    cache.set(key, value, timeout=30)
    return cache.get(key) == value


def broker_answers() -> bool:
    broker = Connection(
        settings.CELERY_BROKER_URL,
        transport_options=getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", None) or {},
        connect_timeout=2,
    )
    with broker:
        broker.ensure_connection(max_retries=0)
    return True


# Once every migration is applied, this process's code stays migrated: the next deploy
# starts new processes. So the migration graph is read from disk only until then.
_migrated = False


def migrations_applied() -> bool:
    global _migrated
    if not _migrated:
        # Every migration of the graph recorded, not only the leaves: a plan to the leaves
        # is empty once a leaf is recorded, even with an older one missing.
        loader = MigrationLoader(connection, ignore_no_migrations=True)
        _migrated = set(loader.graph.nodes) <= set(loader.applied_migrations)
    return _migrated


CHECKS = {
    "database": database_answers,
    "cache": cache_answers,
    "broker": broker_answers,
    "migrations": migrations_applied,
}


def readiness() -> dict[str, bool]:
    results = {}
    for name, check in CHECKS.items():
        try:
            results[name] = bool(check())
        except Exception:
            logger.warning("Readiness check %s failed", name, exc_info=True)
            results[name] = False
        else:
            if not results[name]:
                logger.warning("Readiness check %s is failing", name)
    return results


def _answer(body: dict, status: int = 200) -> JsonResponse:
    response = JsonResponse(body, status=status)
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def healthz(request):
    return _answer({"status": "ok"})


def readyz(request):
    results = readiness()
    checks = {name: "ok" if ok else "failing" for name, ok in results.items()}
    failing = [name for name, ok in results.items() if not ok]
    if failing:
        return _answer({"status": "unavailable", "failing": failing, "checks": checks}, 503)
    return _answer({"status": "ok", "checks": checks})


class HealthCheckMiddleware:
    views = {LIVENESS_PATH: healthz, READINESS_PATH: readyz}

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        view = self.views.get(request.path_info.rstrip("/") or "/")
        if view is None:
            return self.get_response(request)
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"])
        return view(request)
