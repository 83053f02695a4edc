"""Pages: the CPU and the queries of each page of the load mix, in-process, debug off.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sla_demo DJANGO_STATIC_ROOT=/tmp/static \\
        python bench/pages.py [-n 30] [--only /api/] [--baseline base.jsonl] [--profile /]

Measures what bench/load.py loads, without a server and without disturbing a shared
machine: the pages of `bench/load.py`'s mix, each asked -n times (after a warm-up) by a demo
person of the role that asks it, through django.test.Client, with the settings production
has (DJANGO_DEBUG=0: the cached template loader, WhiteNoise, the manifest's static names, so
run `manage.py collectstatic` into DJANGO_STATIC_ROOT first; Redis when REDIS_URL is set).
The database must hold the demo (`manage.py seed_demo`); it changes nothing but what
`bench/load.py` changes (contact attempts on a demo lead).

One JSON line per page: path, user, cpu_ms (time.process_time of this process per request:
Python and the driver, not PostgreSQL's own work), wall_ms, queries per request, db_cpu_ms
(the PostgreSQL server process's CPU per request, when the server is local), and with
--baseline (a file of these lines, e.g. from a checkout of main) the ratio cpu_ms / its
cpu_ms. Each figure is the best of --batches batches of -n requests. --profile PATH prints
cProfile's top functions for that page instead (--user: one person's).
"""

from __future__ import annotations

import argparse
import base64
import cProfile
import json
import os
import pstats
import re
import secrets
import sys
import time
from pathlib import Path

from _common import pid_cpu_seconds

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "sla-demo-2026"  # noqa: S105 - the demo's printed password (portal.demo)
LEAD_LINK = re.compile(r'href="/leads/(\d+)/"')


def django_setup() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    os.environ["DJANGO_DEBUG"] = "0"
    os.environ.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(50))
    os.environ.setdefault("SEAL_PRIVATE_KEY", base64.b64encode(secrets.token_bytes(32)).decode())
    os.environ["DJANGO_ALLOWED_HOSTS"] = "testserver"
    os.environ["DJANGO_TRUST_PROXY"] = "1"
    os.environ.setdefault("CELERY_BROKER_URL", "memory://")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.db import connection

    if connection.vendor != "postgresql":
        sys.exit("bench/pages.py needs DATABASE_URL=postgres://... holding the demo")


def client_for(username: str):
    from django.test import Client

    # Behind the proxy, as deploy/run web is in bench/load.py: https by X-Forwarded-Proto.
    client = Client(HTTP_X_FORWARDED_PROTO="https")
    response = client.post("/accounts/login/", {"username": username, "password": PASSWORD})
    if response.status_code != 302:
        sys.exit(f"{username} could not sign in (HTTP {response.status_code})")
    return client


def first_id(client, path: str) -> int:
    body = client.get(path).json()
    return (body.get("results", body) if isinstance(body, dict) else body)[0]["id"]


def pages() -> list[tuple[str, str, str, dict | None]]:
    """(user, method, path, form): each role's pages of bench/load.py's mix."""
    rep, executive = client_for("dan"), client_for("erin")
    agreement = first_id(executive, "/api/v1/agreements/")
    version = first_id(executive, "/api/v1/versions/?page_size=1")
    lead = int(LEAD_LINK.findall(rep.get("/leads/").content.decode())[0])
    contact = {"channel": "phone", "outcome": "no answer", "note": "load test"}
    return [
        ("alice", "GET", "/people/me/", None),  # a small signed-in page: the overhead
        ("alice", "GET", "/", None),
        ("dan", "GET", "/", None),
        ("erin", "GET", "/", None),
        ("dan", "GET", "/leads/", None),
        ("alice", "GET", "/leads/team/", None),
        ("dan", "GET", f"/leads/{lead}/", None),
        ("dan", "POST", f"/leads/{lead}/contact/", contact),
        ("alice", "GET", f"/agreements/{agreement}/", None),
        ("alice", "GET", f"/reports/versions/{version}/", None),
        ("alice", "GET", f"/reports/agreements/{agreement}/monthly/", None),
        ("dan", "GET", "/api/v1/leads/?page_size=20", None),
        ("alice", "GET", "/api/v1/notifications/", None),
        ("erin", "GET", "/api/v1/versions/?page_size=20", None),
        ("erin", "GET", "/api/v1/agreements/", None),
    ]


def backend_cpu_seconds(connection) -> float | None:
    """CPU time of this connection's PostgreSQL server process (a local server: /proc)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    return pid_cpu_seconds(pid)


def ask(client, method: str, path: str, form: dict | None):
    if method == "POST":
        return client.post(path, form)
    return client.get(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=30, help="requests per page (after warm-up)")
    parser.add_argument("--batches", type=int, default=3, help="batches of -n; the best counts")
    parser.add_argument("--only", default="", help="pages whose path starts with this")
    parser.add_argument("--user", default="", help="only the pages this person asks")
    parser.add_argument("--baseline", help="a file of this script's lines to compare with")
    parser.add_argument("--profile", help="profile this path (cProfile) instead")
    args = parser.parse_args()
    django_setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    baseline = {}
    if args.baseline:
        for line in Path(args.baseline).read_text().splitlines():
            row = json.loads(line)
            baseline[(row["user"], row["method"], row["path"])] = row["cpu_ms"]
    clients: dict[str, object] = {}
    for user, method, path, form in pages():
        if not path.startswith(args.only) or (args.profile and path != args.profile):
            continue
        if args.user and user != args.user:
            continue
        if user not in clients:
            clients[user] = client_for(user)
        client = clients[user]
        for _ in range(3):  # warm-up: templates compiled, connections open, caches filled
            status = ask(client, method, path, form).status_code
        if status >= 400:
            sys.exit(f"{method} {path} as {user} answered {status}")
        if args.profile:
            profiler = cProfile.Profile(time.process_time)  # CPU, not waits on the database
            profiler.enable()
            for _ in range(args.n):
                ask(client, method, path, form)
            profiler.disable()
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(60)
            pstats.Stats(profiler).sort_stats("tottime").print_stats(30)
            continue
        with CaptureQueriesContext(connection) as queries:
            ask(client, method, path, form)
        count = len(queries)  # before the next request resets the connection's log
        # The best of --batches batches of -n requests: on a shared machine the others'
        # load only ever adds (cache misses, frequency), so the minimum is the page's own.
        cpu_ms = wall_ms = float("inf")
        db_before = backend_cpu_seconds(connection)
        for _ in range(args.batches):
            cpu, wall = time.process_time(), time.perf_counter()
            for _ in range(args.n):
                ask(client, method, path, form)
            cpu_ms = min(cpu_ms, (time.process_time() - cpu) * 1000 / args.n)
            wall_ms = min(wall_ms, (time.perf_counter() - wall) * 1000 / args.n)
        row = {
            "user": user,
            "method": method,
            "path": path,
            "cpu_ms": round(cpu_ms, 2),
            "wall_ms": round(wall_ms, 2),
            "queries": count,
        }
        db_after = backend_cpu_seconds(connection)
        if db_before is not None and db_after is not None:
            # all batches (the clock ticks every 10 ms); the connection is kept (debug off)
            row["db_cpu_ms"] = round((db_after - db_before) * 1000 / (args.n * args.batches), 2)
        if (user, method, path) in baseline:
            row["ratio"] = round(cpu_ms / baseline[(user, method, path)], 2)
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
