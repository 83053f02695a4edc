"""While Redis (the shared cache) is down: no 500s.

Sign-in fails closed with a clear message; API reads go on unthrottled; API writes wait
(503, Retry-After). A real Redis of the test's own is started, used, then killed.
"""

import logging

import pytest
import redis
from django.core.cache import cache
from django.test import Client, RequestFactory

from portal.cache import CacheUnavailable, RedisCache, failing_closed
from portal.demo import DEMO_PASSWORD
from portal.login_throttle import SignInUnavailable, SignInUnavailableMiddleware
from portal.models import TokenScope
from portal.tokens import api_token_create

UNAVAILABLE = "Sign-in is briefly unavailable, try again in a minute."


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
def test_sign_in_counts_failures_in_redis_and_fails_closed_while_it_is_down(cast, redis_cache):
    # given Redis up: a wrong password is counted there
    response = sign_in("wrong-password")
    assert response.status_code == 200
    assert redis.Redis.from_url(redis_cache.url(0)).keys("*login-fail*")

    # when Redis goes down
    redis_cache.stop()

    # then even the right password waits, with a message saying why: no 500
    response = sign_in(DEMO_PASSWORD)
    assert response.status_code == 200
    assert UNAVAILABLE in response.content.decode()
    assert "_auth_user_id" not in response.client.session


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


def test_where_nothing_catches_it_sign_in_unavailable_is_a_503_not_a_500(db):
    middleware = SignInUnavailableMiddleware(lambda request: None)
    error = SignInUnavailable(UNAVAILABLE, code="unavailable")

    page = middleware.process_exception(RequestFactory().post("/agreements/1/sign/"), error)
    api = middleware.process_exception(RequestFactory().post("/api/v1/versions/1/sign/"), error)

    assert page.status_code == 503
    assert page["Retry-After"] == "60"
    assert UNAVAILABLE in page.render().content.decode()
    assert api.status_code == 503
    assert api["Retry-After"] == "60"
    assert b"unavailable" in api.content
