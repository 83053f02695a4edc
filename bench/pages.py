"""Per-page CPU and queries, in-process, with production's settings (debug off).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sla_demo \\
        SEAL_PRIVATE_KEY_FILE=var/seal-dev-key.pem python bench/pages.py --save /tmp/base.json
    ... python bench/pages.py --baseline /tmp/base.json          # another code tree, same data
    ... python bench/pages.py --root /path/to/other/checkout     # measure that tree's code

Needs the seeded demo (`manage.py seed_demo`) and the seal key it was sealed with. Signs in
as the demo people of bench/load.py's mix and, for each page, renders it once (warm-up,
cache filled), counts its queries in one more render, then times --requests renders with
time.process_time (this process's CPU: Python, templates, the database driver; not
PostgreSQL's own). One JSON line per page: page, user, path, cpu_ms (per request),
queries, bytes and, with --baseline, the ratio cpu_ms / baseline's (and its queries).
--profile PAGE prints the cProfile of that page's timed renders (top 40 by cumulative).

Debug is off, as gunicorn runs (cached template loader, no query log); the static files
are served from their plain storage (no collectstatic manifest needed) and the log lines
go to /dev/null. The cache is the settings' (locmem without REDIS_URL).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import logging
import os
import pstats
import secrets
import sys
import time
import warnings
from pathlib import Path

PASSWORD = "sla-demo-2026"  # noqa: S105 - the demo's printed password (portal.demo)


def setup(root: Path) -> None:
    sys.path.insert(0, str(root))
    os.chdir(root)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    os.environ["DJANGO_DEBUG"] = "0"
    os.environ.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(50))
    os.environ.setdefault("CELERY_BROKER_URL", "memory://")
    import django

    # WhiteNoise looks for collectstatic's output, which the bench does not need.
    warnings.filterwarnings("ignore", message="No directory at")
    django.setup()
    from django.conf import settings
    from django.db import connection

    if connection.vendor != "postgresql":
        sys.exit("the benchmark needs PostgreSQL: set DATABASE_URL=postgres://...")
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    devnull = open(os.devnull, "w")  # noqa: SIM115 - kept for the process's life
    for handler in logging.getLogger().handlers + [
        h for name in logging.root.manager.loggerDict for h in logging.getLogger(name).handlers
    ]:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(devnull)


class QueryCount:
    """A database execute wrapper that counts the statements run (debug off keeps no log)."""

    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def pages() -> list[tuple[str, str, str]]:
    """(name, user, path) of the pages in bench/load.py's mix, on the demo's first ids."""
    from leads.models import Lead
    from slas.models import Agreement, Version

    agreement = Agreement.objects.order_by("pk").first()
    version = (
        Version.objects.filter(agreement=agreement, in_force_from__isnull=False)
        .order_by("-number")
        .first()
    )
    lead = Lead.objects.filter(owner__username="dan").order_by("pk").first()
    return [
        ("home", "carol", "/"),
        ("agreement", "carol", f"/agreements/{agreement.pk}/"),
        ("version", "carol", f"/agreements/versions/{version.pk}/"),
        ("version_compliance", "carol", f"/reports/versions/{version.pk}/"),
        ("version_compliance_exec", "erin", f"/reports/versions/{version.pk}/"),
        ("monthly", "carol", f"/reports/agreements/{agreement.pk}/monthly/"),
        ("monthly_exec", "erin", f"/reports/agreements/{agreement.pk}/monthly/"),
        ("my_leads", "dan", "/leads/"),
        ("team_leads", "carol", "/leads/team/"),
        ("lead", "dan", f"/leads/{lead.pk}/"),
        ("api_leads", "dan", "/api/v1/leads/?page_size=20"),
        ("api_notifications", "carol", "/api/v1/notifications/"),
        ("api_versions", "erin", "/api/v1/versions/?page_size=20"),
        ("api_agreements", "erin", "/api/v1/agreements/"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[1])
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--only", default="", help="comma-separated page names")
    parser.add_argument("--save", type=Path)
    parser.add_argument("--baseline", type=Path)
    parser.add_argument("--profile", default="")
    args = parser.parse_args()
    setup(args.root.resolve())

    from django.db import connection
    from django.test import Client

    baseline = json.loads(args.baseline.read_text()) if args.baseline else {}
    only = set(filter(None, args.only.split(",")))
    clients: dict[str, Client] = {}
    results = {}
    for name, user, path in pages():
        if only and name not in only:
            continue
        if user not in clients:
            clients[user] = Client(HTTP_HOST="localhost")
            response = clients[user].post(
                "/accounts/login/", {"username": user, "password": PASSWORD}, secure=True
            )
            if response.status_code != 302:
                sys.exit(f"{user} could not sign in (HTTP {response.status_code})")
        client = clients[user]
        response = client.get(path, secure=True, follow=True)  # warm-up
        if response.status_code != 200:
            sys.exit(f"{path} answered {response.status_code}")
        path = response.request["PATH_INFO"] + (
            "?" + response.request["QUERY_STRING"] if response.request["QUERY_STRING"] else ""
        )
        queries = QueryCount()
        with connection.execute_wrapper(queries):
            response = client.get(path, secure=True)
        profiler = cProfile.Profile() if name == args.profile else None
        start = time.process_time()
        if profiler:
            profiler.enable()
        for _ in range(args.requests):
            client.get(path, secure=True)
        if profiler:
            profiler.disable()
        cpu_ms = (time.process_time() - start) * 1000 / args.requests
        row = {
            "page": name,
            "user": user,
            "path": path,
            "cpu_ms": round(cpu_ms, 1),
            "queries": queries.count,
            "bytes": len(response.content),
        }
        if name in baseline:
            row["baseline_cpu_ms"] = baseline[name]["cpu_ms"]
            row["baseline_queries"] = baseline[name]["queries"]
            row["ratio"] = round(cpu_ms / baseline[name]["cpu_ms"], 2)
        results[name] = row
        print(json.dumps(row), flush=True)
        if profiler:
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(40)
            print(out.getvalue(), file=sys.stderr)
    if args.save:
        args.save.write_text(json.dumps(results))


if __name__ == "__main__":
    main()
