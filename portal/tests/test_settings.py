import os
import secrets
import subprocess
import sys
from pathlib import Path

from portal.tests.processes import TEST_SEAL_KEY

ROOT = Path(__file__).resolve().parents[2]


def run_manage(*args, **env):
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SEAL_"))}
    full_env.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_missing_production_secret_key_stops_the_start_with_a_clear_message():
    result = run_manage("check", DJANGO_DEBUG="0")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in result.stderr


def test_a_missing_production_seal_key_stops_the_start_with_a_clear_message():
    # given production settings with a secret key but no seal key
    # when
    result = run_manage("check", DJANGO_DEBUG="0", DJANGO_SECRET_KEY=secrets.token_urlsafe(50))
    # then
    assert result.returncode != 0
    assert "SEAL_PRIVATE_KEY is not set" in result.stderr


def test_production_settings_pass_the_deployment_checklist():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="portal.example.com",
        SEAL_PRIVATE_KEY=TEST_SEAL_KEY,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_keeps_database_connections_and_checks_them_before_reuse():
    # given production settings (debug off), then with DATABASE_CONN_MAX_AGE set
    production = dict(
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="portal.example.com",
        SEAL_PRIVATE_KEY=TEST_SEAL_KEY,
    )
    show = (
        "from django.db import connection as c; "
        "print(c.settings_dict['CONN_MAX_AGE'], c.settings_dict['CONN_HEALTH_CHECKS'])"
    )
    # then a web thread keeps its connection a minute, health-checked; debug opens one per
    # request; the setting overrides both
    assert run_manage("shell", "--no-imports", "-c", show, **production).stdout.split() == [
        "60",
        "True",
    ]
    assert run_manage("shell", "--no-imports", "-c", show, DJANGO_DEBUG="1").stdout.split() == [
        "0",
        "True",
    ]
    assert run_manage(
        "shell", "--no-imports", "-c", show, DATABASE_CONN_MAX_AGE="5", **production
    ).stdout.split() == ["5", "True"]
