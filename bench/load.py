"""Load: the production web server (gunicorn, `deploy/run web`) under the demo's people.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sla_demo python bench/load.py
    python bench/load.py --url http://127.0.0.1:8000 --server-pid 1234   # a running server

With no --url it starts `deploy/run web` itself on a free loopback port (debug off, a key of
its own, WEB_CONCURRENCY and WEB_THREADS as set, default 3 x 4) on DATABASE_URL, which must
hold the demo (`manage.py seed_demo`); it changes nothing but what the users do (contact
attempts logged on demo leads). Then, for each level of --users (default 10,25,50), that
many virtual users run for --duration seconds: each signs in as one of the demo's managers,
reps or execs and goes round the realistic mix of its role (home, My leads, a lead page,
logging a contact attempt, an agreement page, a compliance page, the monthly report, API
lists), waiting --think seconds (default 1) between requests. A last level, the saturation
run, has --saturation users and no think time.

One JSON line per level: users, think_s, requests, rps, p50_ms, p95_ms, p99_ms, errors,
and cpu_ms_per_request: the CPU time (user + system, from /proc) the gunicorn processes
spent during the level, divided by the requests answered. Loopback only; every level stops
by itself after its duration.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import random
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "sla-demo-2026"  # noqa: S105 - the demo's printed password (portal.demo)
ROLES = {
    "manager": ["alice", "carol"],
    "rep": ["dan", "sara", "tariq"],  # sales reps: they log contact attempts
    "exec": ["erin"],
}
# Of every 10 users: 3 managers, 5 reps, 2 execs.
ROLE_MIX = ["manager"] * 3 + ["rep"] * 5 + ["exec"] * 2
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class Session:
    """One signed-in person: a keep-alive connection, cookies, CSRF token."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.conn = http.client.HTTPConnection(host, port, timeout=30)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: dict | None = None) -> tuple[int, bytes]:
        headers = {"Host": self.host, "X-Forwarded-Proto": "https"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        data = None
        if body is not None:
            data = urlencode(body)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = f"https://{self.host}{path}"
            headers["X-CSRFToken"] = self.cookies.get("csrftoken", "")
        for attempt in (1, 2):
            try:
                self.conn.request(method, path, body=data, headers=headers)
                response = self.conn.getresponse()
                payload = response.read()
                break
            except (http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
                if attempt == 2:
                    raise
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response.status, payload

    def sign_in(self, username: str) -> None:
        status, page = self.request("GET", "/accounts/login/")
        token = CSRF_INPUT.search(page.decode())
        body = {"username": username, "password": PASSWORD}
        if token:
            body["csrfmiddlewaretoken"] = token.group(1)
        status, _ = self.request("POST", "/accounts/login/", body)
        if status != 302:
            raise RuntimeError(f"{username} could not sign in (HTTP {status})")


@dataclass
class Targets:
    """What one person visits, found through the pages and the API as that person."""

    agreements: list[int] = field(default_factory=list)
    versions: list[int] = field(default_factory=list)
    leads: list[int] = field(default_factory=list)


LEAD_LINK = re.compile(r'href="/leads/(\d+)/"')


def discover(session: Session, role: str) -> Targets:
    found = Targets()
    for key, path in (
        ("agreements", "/api/v1/agreements/?page_size=50"),
        ("versions", "/api/v1/versions/?page_size=50"),
    ):
        status, body = session.request("GET", path)
        if status != 200:
            raise RuntimeError(f"{path} answered {status}: is the demo seeded?")
        results = json.loads(body)
        results = results.get("results", results) if isinstance(results, dict) else results
        getattr(found, key).extend(row["id"] for row in results)
    # Leads this person may work: a rep's own queue, a manager's team queue.
    page = {"rep": "/leads/", "manager": "/leads/team/"}.get(role, "/leads/team/")
    status, body = session.request("GET", page)
    found.leads = sorted({int(pk) for pk in LEAD_LINK.findall(body.decode())})
    if not found.leads:
        status, body = session.request("GET", "/api/v1/leads/?page_size=50")
        results = json.loads(body) if status == 200 else {}
        found.leads = [row["id"] for row in results.get("results", [])]
    if not (found.agreements and found.versions and found.leads):
        raise RuntimeError("this person sees no agreements, versions or leads: seed the demo")
    return found


def mix(role: str, targets: Targets, rng: random.Random) -> list[tuple[str, str, dict | None]]:
    """One round of a role's pages, in order: (method, path, form)."""
    agreement = rng.choice(targets.agreements)
    version = rng.choice(targets.versions)
    lead = rng.choice(targets.leads)
    common = [
        ("GET", "/", None),
        ("GET", f"/agreements/{agreement}/", None),
        ("GET", f"/reports/versions/{version}/", None),
    ]
    if role == "rep":
        return [
            ("GET", "/", None),
            ("GET", "/leads/", None),
            ("GET", f"/leads/{lead}/", None),
            (
                "POST",
                f"/leads/{lead}/contact/",
                {"channel": "phone", "outcome": "no answer", "note": "load test"},
            ),
            ("GET", "/leads/", None),
            ("GET", "/api/v1/leads/?page_size=20", None),
        ]
    if role == "manager":
        return common + [
            ("GET", "/leads/team/", None),
            ("GET", f"/leads/{lead}/", None),
            ("GET", f"/reports/agreements/{agreement}/monthly/", None),
            ("GET", "/api/v1/notifications/", None),
        ]
    return common + [  # exec
        ("GET", f"/reports/agreements/{agreement}/monthly/", None),
        ("GET", "/api/v1/versions/?page_size=20", None),
        ("GET", "/api/v1/agreements/", None),
    ]


@dataclass
class Result:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, seconds: float, ok: bool, what: str) -> None:
        with self.lock:
            self.latencies.append(seconds)
            if not ok:
                self.errors += 1
                if len(self.error_samples) < 5:
                    self.error_samples.append(what)


@dataclass
class User:
    index: int
    role: str
    session: Session
    targets: Targets


def user_sign_in(index: int, host: str, port: int) -> User:
    rng = random.Random(index)
    role = ROLE_MIX[index % len(ROLE_MIX)]
    session = Session(host, port)
    session.sign_in(rng.choice(ROLES[role]))
    return User(index, role, session, discover(session, role))


def virtual_user(user: User, stop_at: float, think: float, out: Result) -> None:
    rng = random.Random(user.index)
    while time.monotonic() < stop_at:
        for method, path, form in mix(user.role, user.targets, rng):
            if time.monotonic() >= stop_at:
                return
            started = time.perf_counter()
            try:
                status, _ = user.session.request(method, path, form)
                ok = status < 400
                what = f"{method} {path} -> {status}"
            except (OSError, http.client.HTTPException) as exc:
                ok, what = False, f"{method} {path} -> {type(exc).__name__}"
            out.add(time.perf_counter() - started, ok, what)
            if think:
                time.sleep(rng.uniform(0.5 * think, 1.5 * think))


def cpu_seconds(root_pid: int, *, reaped: bool = False) -> float:
    """User + system CPU of a process and all its live descendants, from /proc; with
    `reaped`, also what its children that already exited spent (cutime + cstime: the
    PostgreSQL server's backends, one per connection, come and go)."""
    tick = os.sysconf("SC_CLK_TCK")
    children: dict[int, list[int]] = {}
    stats: dict[int, tuple[int, int]] = {}
    reaped_ticks = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            raw = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = raw[raw.rindex(")") + 2 :].split()
        ppid, utime, stime = int(fields[1]), int(fields[11]), int(fields[12])
        children.setdefault(ppid, []).append(int(entry))
        stats[int(entry)] = (utime, stime)
        if reaped and int(entry) == root_pid:
            reaped_ticks = int(fields[13]) + int(fields[14])
    total, todo = reaped_ticks, [root_pid]
    while todo:
        pid = todo.pop()
        utime, stime = stats.get(pid, (0, 0))
        total += utime + stime
        todo.extend(children.get(pid, []))
    return total / tick


def database_pid() -> int | None:
    """The local PostgreSQL server's main process (its backends are its children), or None."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            raw = Path(f"/proc/{entry}/stat").read_text()
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
        except OSError:
            continue
        fields = raw[raw.rindex(")") + 2 :].split()
        if raw[raw.index("(") + 1 : raw.rindex(")")] == "postgres" and fields[1] == "1":
            return int(entry)
        if b"postgres" in cmdline.split(b"\0")[0] and fields[1] == "1":
            return int(entry)
    return None


def percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def run_level(people: list[User], users: int, think: float, duration: float, pid: int) -> dict:
    """`users` of the signed-in people, for `duration` seconds (signing in is not timed:
    it is PBKDF2's deliberate cost, paid once a session)."""
    out = Result()
    stop_at = time.monotonic() + duration
    db_pid = database_pid()
    db_before = cpu_seconds(db_pid, reaped=True) if db_pid else 0.0
    cpu_before, started = cpu_seconds(pid), time.monotonic()
    client_before = time.process_time()
    threads = [
        threading.Thread(target=virtual_user, args=(user, stop_at, think, out), daemon=True)
        for user in people[:users]
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=duration + 60)
    elapsed = time.monotonic() - started
    cpu = cpu_seconds(pid) - cpu_before
    client_cpu = time.process_time() - client_before
    db_cpu = (cpu_seconds(db_pid, reaped=True) - db_before) if db_pid else 0.0
    count = len(out.latencies)
    return {
        "users": users,
        "think_s": think,
        "seconds": round(elapsed, 1),
        "requests": count,
        "rps": round(count / elapsed, 1),
        "p50_ms": round(1000 * statistics.median(out.latencies), 1) if count else 0,
        "p95_ms": round(1000 * percentile(out.latencies, 0.95), 1),
        "p99_ms": round(1000 * percentile(out.latencies, 0.99), 1),
        "errors": out.errors,
        "cpu_ms_per_request": round(1000 * cpu / count, 1) if count else 0,
        # PostgreSQL's CPU over the same seconds (every client's, so a quiet database only).
        "db_cpu_ms_per_request": round(1000 * db_cpu / count, 1) if count and db_pid else None,
        # this load client's own CPU (it shares the machine's cores with the server)
        "client_cpu_ms_per_request": round(1000 * client_cpu / count, 1) if count else 0,
        **({"error_samples": out.error_samples} if out.error_samples else {}),
    }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(port: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": os.environ.get("DJANGO_SECRET_KEY") or secrets.token_urlsafe(50),
        "SEAL_PRIVATE_KEY": os.environ.get("SEAL_PRIVATE_KEY")
        or base64.b64encode(secrets.token_bytes(32)).decode(),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_TRUST_PROXY": "1",
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "WEB_CONCURRENCY": os.environ.get("WEB_CONCURRENCY", "3"),
        "WEB_THREADS": os.environ.get("WEB_THREADS", "4"),
        "LOG_LEVEL": "WARNING",
    }
    if not env.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("bench/load.py needs DATABASE_URL=postgres://... holding the demo")
    subprocess.run(  # noqa: S603 - our own script
        [str(ROOT / "deploy" / "run"), "static"], cwd=ROOT, env=env, check=True
    )
    server = subprocess.Popen(  # noqa: S603 - our own script
        [str(ROOT / "deploy" / "run"), "web"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(ROOT / "var" / "load-server.log").open("wb"),  # its JSON lines, for a look
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return server
        except OSError:
            time.sleep(0.5)
    server.kill()
    sys.exit("the server did not answer /healthz within 60 s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="a running server (default: start deploy/run web)")
    parser.add_argument("--server-pid", type=int, help="its gunicorn master's pid (with --url)")
    parser.add_argument("--users", default="10,25,50", help="levels, comma separated")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds per level")
    parser.add_argument("--think", type=float, default=1.0, help="seconds between requests")
    parser.add_argument("--saturation", type=int, default=25, help="users of the last run")
    parser.add_argument("--no-saturation", action="store_true")
    args = parser.parse_args()

    server = None
    if args.url:
        parts = urlsplit(args.url)
        host, port = parts.hostname or "127.0.0.1", parts.port or 80
        if host not in ("127.0.0.1", "localhost", "::1"):
            sys.exit("loopback only: this is a load test")
        if not args.server_pid:
            sys.exit("--server-pid is needed with --url (to read the server's CPU time)")
        pid = args.server_pid
    else:
        host, port = "127.0.0.1", free_port()
        server = start_server(port)
        pid = server.pid
    try:
        levels = [(int(u), args.think) for u in args.users.split(",") if u]
        if not args.no_saturation:
            levels.append((args.saturation, 0.0))
        people = [user_sign_in(i, host, port) for i in range(max(u for u, _ in levels))]
        for users, think in levels:
            print(json.dumps(run_level(people, users, think, args.duration, pid)), flush=True)
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=40)


if __name__ == "__main__":
    main()
