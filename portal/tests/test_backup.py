"""Backups as docs/deploy.md says to take and restore them: pg_dump -Fc, pg_restore.

The demo is seeded into a database of the test's own, dumped, restored into a fresh
database, and the restored one must pass `verify_audit` (the signing audit chains are
intact) and `compliance_rebuild --verify` (the maintained cycles equal a recomputation
from the events). Everything runs as the operator would: commands in subprocesses with
DATABASE_URL pointing at each database. Both databases are dropped afterwards.
"""

import os
import subprocess
import sys
import uuid

import dj_database_url
import psycopg
import pytest

from portal.tests.processes import ROOT, portal_env

DATABASE_URL = os.environ.get("DATABASE_URL", "")

pytestmark = pytest.mark.skipif(
    not DATABASE_URL.startswith(("postgres://", "postgresql://")),
    reason="DATABASE_URL is not PostgreSQL (backups are pg_dump / pg_restore)",
)


def url_for(database: str) -> str:
    """DATABASE_URL's server and credentials, another database."""
    parts = dj_database_url.parse(DATABASE_URL)
    auth = parts["USER"] or ""
    if parts["PASSWORD"]:
        auth += f":{parts['PASSWORD']}"
    host = f"{auth}@" if auth else ""
    return f"postgres://{host}{parts['HOST'] or 'localhost'}:{parts['PORT'] or 5432}/{database}"


def server(sql: str) -> None:
    with psycopg.connect(url_for("postgres"), autocommit=True) as conn:
        conn.execute(sql)


def count(database: str, table: str) -> int:
    with psycopg.connect(url_for(database)) as conn:
        return conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]


def run(*command: str, database: str) -> subprocess.CompletedProcess:
    result = subprocess.run(
        list(command),
        cwd=ROOT,
        env=portal_env(DJANGO_DEBUG="1", DATABASE_URL=url_for(database)),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, f"{command}: {result.stdout}\n{result.stderr}"
    return result


def manage(*args: str, database: str) -> subprocess.CompletedProcess:
    return run(sys.executable, "manage.py", *args, database=database)


@pytest.fixture
def databases():
    suffix = uuid.uuid4().hex[:10]
    names = (f"backup_source_{suffix}", f"backup_restored_{suffix}")
    for name in names:
        server(f'CREATE DATABASE "{name}"')
    yield names
    for name in names:
        server(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_a_dump_of_the_demo_restores_into_a_fresh_database_that_verifies_clean(databases, tmp_path):
    source, restored = databases
    dump = tmp_path / "portal.dump"

    # given the demo in a database
    manage("migrate", "--noinput", database=source)
    manage("seed_demo", database=source)

    # when it is dumped and restored into a fresh database (docs/deploy.md, "Backups")
    run("pg_dump", "--format=custom", f"--file={dump}", url_for(source), database=source)
    run(
        "pg_restore",
        "--no-owner",
        "--exit-on-error",
        f"--dbname={url_for(restored)}",
        str(dump),
        database=restored,
    )

    # then the restored one is whole, and verifies clean
    for table in ("leads_lead", "leads_leadevent", "slas_auditentry", "auth_user"):
        assert count(restored, table) == count(source, table) > 0, table
    audit = manage("verify_audit", database=restored)
    assert "intact" in audit.stdout
    assert "BROKEN" not in audit.stdout
    rebuild = manage("compliance_rebuild", "--verify", database=restored)
    assert "No differences" in rebuild.stdout
    manage("migrate", "--check", database=restored)  # nothing left to apply
