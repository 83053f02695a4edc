"""While Redis (the shared cache) is down: no 500s.

Sign-in goes on counting failures (in the database: no guess goes uncounted); API reads go on unthrottled; API writes wait
(503, Retry-After). A real Redis of the test's own is started, used, then killed.
"""

import logging

import pytest
import redis
from django.core.cache import cache
from django.test import Client

from portal.cache import CacheUnavailable, RedisCache, failing_closed
from portal.demo import DEMO_PASSWORD
from portal.models import TokenScope
from portal.tokens import api_token_create


@pytest.fixture
def redis_cache(settings, redis_server):
    settings.CACHES = {
        "default": {
            "BACKEND": "portal.cache.RedisCache",
            "LOCATION": redis_server.url(0),
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    return redis_server


def sign_in(password):
    return Client().post("/accounts/login/", {"username": "alice", "password": password})


@pytest.mark.django_db
def test_sign_in_goes_on_counting_failures_while_redis_is_down(cast, redis_cache, settings):
    # given Redis down (the failures are counted in the database, django-axes)
    settings.AXES_FAILURE_LIMIT = 3
    redis_cache.stop()

    # when a password is guessed as often as the limit allows
    statuses = [sign_in("wrong-password").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]  # the third says sign-in is paused

    # then no guess went uncounted: even the right password now waits, saying why (no 500)
    response = sign_in(DEMO_PASSWORD)
    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.content.decode()
    assert "_auth_user_id" not in response.client.session

    # and a right password is let in as usual at another address
    other = Client(REMOTE_ADDR="198.51.100.7")
    other.post("/accounts/login/", {"username": "alice", "password": DEMO_PASSWORD})
    assert "_auth_user_id" in other.session


@pytest.mark.django_db
def test_api_reads_go_on_and_writes_wait_while_redis_is_down(cast, redis_cache):
    _, raw = api_token_create(user=cast.dan, name="cli", scope=TokenScope.WRITE)
    api = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    browser = Client()
    browser.force_login(cast.dan)
    assert api.get("/api/v1/notifications/").status_code == 200  # counted in Redis

    redis_cache.stop()

    assert api.get("/api/v1/notifications/").status_code == 200
    assert browser.get("/api/v1/notifications/").status_code == 200
    assert Client().get("/api/v1/notifications/").status_code == 401  # anonymous: as ever
    response = api.post("/api/v1/notifications/read-all/")
    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    assert response.json()["code"] == "unavailable"
    assert "try again in a minute" in response.json()["detail"]


@pytest.mark.django_db
def test_pages_that_only_use_the_cache_to_count_keep_working(cast, redis_cache):
    redis_cache.stop()
    browser = Client()
    browser.force_login(cast.dan)

    assert browser.get("/").status_code == 200
    assert browser.get("/people/me/tokens/").status_code == 200


@pytest.mark.django_db
def test_readyz_names_the_cache_while_redis_is_down(redis_cache):
    redis_cache.stop()

    response = Client().get("/readyz")

    assert response.status_code == 503
    assert response.json()["failing"] == ["cache"]


def test_the_cache_answers_misses_and_logs_while_redis_is_down(redis_cache, caplog, monkeypatch):
    monkeypatch.setattr(RedisCache, "_last_logged", float("-inf"))  # a warning is due
    cache.set("k", "v")
    assert cache.get("k") == "v"
    redis_cache.stop()

    with caplog.at_level(logging.WARNING, logger="portal.cache"):
        assert cache.get("k", "default") == "default"
        assert cache.add("k", 1) is False
        assert cache.incr("k") == 1
        assert cache.get_many(["k"]) == {}
    assert "Cache (Redis) unavailable" in caplog.text

    with pytest.raises(CacheUnavailable), failing_closed():
        cache.get("k")


def test_the_cache_builds_one_redis_client_not_one_per_call(redis_cache, monkeypatch):
    # given a count of the redis clients built (Django's builds one per call)
    built = []
    build = redis.Redis.__init__
    monkeypatch.setattr(
        redis.Redis, "__init__", lambda self, *a, **kw: built.append(1) or build(self, *a, **kw)
    )
    # when the cache is read and written as a request's rate limits do
    cache.set("k", 1)
    assert cache.incr("k") == 2
    assert cache.get("k") == 2
    assert cache.get_many(["k", "other"]) == {"k": 2}
    # then one client served them all, and serves again once Redis is back
    assert len(built) == 1
    redis_cache.stop()
    assert cache.get("k", "missed") == "missed"
    redis_cache.start()
    cache.set("k", 3)
    assert cache.get("k") == 3
    assert len(built) == 1
