"""With Redis (REDIS_URL), sessions are read through the cache and kept in PostgreSQL
(portal.session_store: Django's cached_db, its copies kept `CACHE_SECONDS`): a signed-in page costs no session query, and
every write to a session (sign-in, the reader's zone kept, sign-out) reaches both."""

import datetime as dt

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from portal.demo import DEMO_PASSWORD
from portal.session_store import CACHE_SECONDS

pytestmark = pytest.mark.django_db
CACHED_DB = "portal.session_store"


@pytest.fixture
def cached_sessions(settings):
    # the process's own cache, also where CI sets REDIS_URL: the copies' lifetime is
    # checked on a clock the tests move, which Redis' expiry does not follow
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    settings.SESSION_ENGINE = CACHED_DB
    cache.clear()
    yield
    cache.clear()


def _signed_in(username: str) -> Client:
    client = Client()
    response = client.post("/accounts/login/", {"username": username, "password": DEMO_PASSWORD})
    assert response.status_code == 302
    return client


def test_a_signed_in_page_reads_no_session_row(cast, cached_sessions):
    client = _signed_in("alice")
    client.get("/people/me/")
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/people/me/").status_code == 200
    assert not [q for q in queries.captured_queries if "django_session" in q["sql"]]
    # and the session is in PostgreSQL too: a cache emptied (Redis restarted) signs no one out
    key = client.cookies["sessionid"].value
    assert Session.objects.filter(session_key=key).exists()
    cache.clear()
    assert client.get("/people/me/").status_code == 200


def test_signing_out_ends_the_session_in_the_cache_too(cast, cached_sessions):
    client = _signed_in("alice")
    cookie = client.cookies["sessionid"].value
    assert client.get("/people/me/").status_code == 200
    client.post("/accounts/logout/")
    # a copy of the old cookie no longer signs anyone in
    stale = Client()
    stale.cookies["sessionid"] = cookie
    response = stale.get("/people/me/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert not Session.objects.filter(session_key=cookie).exists()


def test_a_sign_out_the_cache_missed_holds_only_as_long_as_the_copy(cast, cached_sessions):
    """A sign-out while Redis did not answer deletes the row, not the copy (portal.cache
    drops the write): the old cookie then works `CACHE_SECONDS` at most, not two weeks."""
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC), tick=False) as clock:
        client = _signed_in("alice")
        assert client.get("/people/me/").status_code == 200
        Session.objects.filter(session_key=client.cookies["sessionid"].value).delete()
        clock.shift(CACHE_SECONDS - 10)
        assert client.get("/people/me/").status_code == 200  # the copy still answers
        clock.shift(20)
        response = client.get("/people/me/")
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
