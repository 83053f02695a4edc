"""Scale out: two web servers and two workers (and a beat) on one PostgreSQL and one Redis,
as production runs them (`deploy/run web|worker|beat`), on loopback.

Traffic goes through both web servers: a session made on one is good on the other, and
failed sign-ins count together (nothing that must be shared is kept per process). In the
middle of an import, while the notification sweep runs every second, one web server and
one worker are SIGKILLed. The import still finishes exactly once, the notifications are
each written once and none is missing, and `compliance_rebuild --verify` is clean.
"""

import datetime as dt
import subprocess
import sys
import threading

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.contrib.auth.models import User
from django.db import connection
from django.utils import timezone

from leads.ingest.models import ImportChunk, ImportJob
from leads.models import LeadEvent
from portal import schedule
from portal.demo import DEMO_PASSWORD
from portal.models import Notification
from portal.tests.processes import ROOT, free_port, wait_for
from portal.tests.workers import Fleet, WebSession, test_database_url

pytestmark = pytest.mark.celery_worker

LEADS = 400
HEADER = "source,event_id,lead_external_id,kind,occurred_at,actor_email,to_stage\n"


def handed_off_leads(now: dt.datetime) -> bytes:
    """LEADS leads, each created and handed off (to `mql`) 10 days ago, never contacted:
    every first-contact clock is breached, so the lead-clock sweep has work."""
    at = (now - dt.timedelta(days=10)).strftime("%Y-%m-%dT%H:%M:%SZ")
    rows = []
    for i in range(LEADS):
        rows.append(f"crm,s{i}a,S{i},created,{at},,\n")
        rows.append(f"crm,s{i}b,S{i},stage_changed,{at},,mql\n")
    return (HEADER + "".join(rows)).encode()


@pytest.mark.django_db(transaction=True)
def test_two_web_servers_and_two_workers_share_everything_and_survive_losing_one_each(
    cast, redis_server, tmp_path
):
    if connection.vendor != "postgresql":
        pytest.skip("several processes writing at once need PostgreSQL (DATABASE_URL)")
    from slas import demo as agreements

    agreements.seed()
    # The test run hashes with MD5; the servers, as in production, know only PBKDF2.
    hashed = PBKDF2PasswordHasher().encode(DEMO_PASSWORD, PBKDF2PasswordHasher().salt())
    User.objects.filter(username__in=["alice", "bob", "carol"]).update(password=hashed)
    fleet = Fleet(
        redis_url=redis_server.url(0),
        tmp_path=tmp_path,
        REDIS_URL=redis_server.url(1),
        DJANGO_STATIC_ROOT=str(tmp_path / "static"),
        DJANGO_TRUST_PROXY="1",
        WEB_CONCURRENCY="1",
        WEB_THREADS="2",
        IMPORT_LEASE_SECONDS="3",
        IMPORT_CHUNK_EVENTS="20",
        NOTIFICATIONS_SWEEP_SECONDS="1",
        BEAT_LOCK_SECONDS="5",
    )
    subprocess.run(
        [str(ROOT / "deploy" / "run"), "static"], cwd=ROOT, env=fleet.env, check=True, timeout=120
    )
    ports = [free_port(), free_port()]
    stop = threading.Event()  # the browsing threads stop when it is set
    try:
        webs = [fleet.start("web", PORT=str(port)) for port in ports]
        workers = [fleet.start("worker", CELERY_CONCURRENCY="2") for _ in range(2)]
        fleet.start("beat")
        a, b = (WebSession(port) for port in ports)
        for port in ports:
            wait_for(lambda p=port: _answers(p), timeout=60, what=f"web on port {port}")

        # given a session made on web A: it is good on web B (sessions are in the database)
        assert a.sign_in("alice", DEMO_PASSWORD) == 302
        b.cookies = dict(a.cookies)
        status, page = b.request("GET", "/")
        assert status == 200 and "alice" in page.lower()
        carol_a, carol_b = WebSession(ports[0]), WebSession(ports[1])
        assert carol_a.sign_in("carol", DEMO_PASSWORD) == 302
        carol_b.cookies = dict(carol_a.cookies)
        # and failed sign-ins count together across both (django-axes counts in the database)
        c, d = WebSession(ports[0]), WebSession(ports[1])
        for attempt in range(5):
            (c if attempt % 2 else d).sign_in("bob", "wrong-password")
        assert d.sign_in("bob", DEMO_PASSWORD) != 302
        assert c.sign_in("bob", DEMO_PASSWORD) != 302

        # when traffic goes through both web servers
        answers: dict[int, list[int]] = {port: [] for port in ports}

        def browse(session: WebSession, port: int) -> None:
            while not stop.is_set():
                try:
                    answers[port].append(session.request("GET", "/leads/team/")[0])
                except OSError:
                    answers[port].append(0)  # refused: that server is gone

        browsers = [
            threading.Thread(target=browse, args=(carol_a, ports[0])),
            threading.Thread(target=browse, args=(carol_b, ports[1])),
        ]
        for thread in browsers:
            thread.start()
        wait_for(
            lambda: all(200 in answers[port] for port in ports),
            timeout=60,
            what="both web servers to answer Carol",
        )
        # and Alice uploads an import of 400 handed-off leads through web A
        now = timezone.now()
        fields = {
            "format": "events",
            "tz": "UTC",
            "marketing_team": str(cast.marketing.pk),
            "sales_team": str(cast.sales.pk),
        }
        assert a.upload("/leads/imports/", fields, "handoffs.csv", handed_off_leads(now)) == 302
        job = ImportJob.objects.get()
        # and mid-import, with sweeps running, web A and the worker running it are killed
        chunks = LEADS * 2 // 20
        wait_for(
            lambda: ImportChunk.objects.filter(job=job).count() >= chunks // 4,
            timeout=120,
            what="the import to reach 25 %",
        )
        running_it = next(w for w in workers if _runs_an_import(fleet.log_of(w)))
        fleet.kill(webs[0])
        fleet.kill(running_it)
        assert ImportChunk.objects.filter(job=job).count() < chunks

        # then the import finishes exactly once, on the other worker
        wait_for(
            lambda: ImportJob.objects.filter(pk=job.pk, status__in=["done", "failed"]).exists(),
            timeout=180,
            what="the import to finish",
        )
        # and the sweeps catch up: every breached clock told to the sales manager
        wait_for(
            lambda: (
                Notification.objects.filter(recipient=cast.carol, kind="lead_breached").count()
                >= LEADS
            ),
            timeout=120,
            what="a breach notification for every imported lead",
        )
        stop.set()
        for thread in browsers:
            thread.join(timeout=60)
    finally:
        stop.set()
        fleet.stop_all()

    job.refresh_from_db()
    assert job.status == "done", (job.error, fleet.output()[-3000:])
    assert job.attempts >= 2  # resumed after its worker was killed
    assert LeadEvent.objects.filter(source="crm", source_event_id__startswith="s").count() == (
        2 * LEADS
    )
    assert (job.created, job.duplicates, job.failed) == (2 * LEADS, 0, 0)
    # web B answered every request; web A answered until it was killed
    assert answers[ports[1]] and set(answers[ports[1]]) == {200}
    assert 200 in answers[ports[0]] and set(answers[ports[0]]) <= {200, 0}
    # no notification doubled (one per recipient and key) and none missing: a sweep now
    # finds nothing left to write
    keys = list(Notification.objects.values_list("recipient_id", "dedupe_key"))
    assert len(keys) == len(set(keys))
    assert schedule.sweep_all(now=timezone.now(), parts=("leads",)) == {"leads": 0}
    # and the stored cycles equal a recomputation from the events
    verify = subprocess.run(
        [sys.executable, "manage.py", "compliance_rebuild", "--verify"],
        cwd=ROOT,
        env={**fleet.env, "DATABASE_URL": test_database_url()},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert verify.returncode == 0, verify.stdout + verify.stderr


def _runs_an_import(log: str) -> bool:
    """Whether a worker's log shows an import task received and not yet ended."""
    lines = [line for line in log.splitlines() if "leads.tasks.import_job_process[" in line]
    received = sum("received" in line for line in lines)
    return received > len(lines) - received


def _answers(port: int) -> bool:
    try:
        return WebSession(port).request("GET", "/healthz")[0] == 200
    except OSError:
        return False
