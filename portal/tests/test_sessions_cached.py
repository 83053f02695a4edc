"""With Redis (REDIS_URL), sessions are read through the cache and kept in PostgreSQL
(Django's cached_db, portal/settings.py): a signed-in page costs no session query, and
every write to a session (sign-in, the reader's zone kept, sign-out) reaches both."""

import pytest
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from portal.demo import DEMO_PASSWORD

pytestmark = pytest.mark.django_db
CACHED_DB = "django.contrib.sessions.backends.cached_db"


@pytest.fixture
def cached_sessions(settings):
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
