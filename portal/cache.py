"""The shared cache (Redis, REDIS_URL), for which an outage is not a 500.

Django's RedisCache lets redis' ConnectionError and TimeoutError out of every call, so
while Redis was down every API call (rate limits) answered 500. `RedisCache` here catches them: a read is a miss, a write is dropped, an
increment counts from nothing, and the outage is logged (a warning, at most once a minute
per process). Everything that only speeds things up or counts loosely goes on working.

Code that must not fail open says so: inside `failing_closed()` the same calls raise
`CacheUnavailable` instead, and the caller decides (portal/throttling.py: API reads go
on unthrottled, writes wait). Failed sign-ins are not counted here but in the database
(django-axes, portal/login_throttle.py), so a cache outage lets no guess through uncounted.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import time

import redis
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient

logger = logging.getLogger(__name__)

REDIS_ERRORS = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)
LOG_EVERY_SECONDS = 60


class CacheUnavailable(Exception):
    """The shared cache did not answer (raised only inside `failing_closed()`)."""


_failing_closed: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "cache_failing_closed", default=False
)


@contextlib.contextmanager
def failing_closed():
    token = _failing_closed.set(True)
    try:
        yield
    finally:
        _failing_closed.reset(token)


class _RedisClientPerPool(RedisCacheClient):
    """Django's client, keeping one `redis.Redis` per connection pool: Django's builds a
    new one on every call (its constructor fills a table of ~170 reply callbacks), which
    cost more CPU than the call itself; the API's rate limits make two calls a request.
    A `redis.Redis` holds no connection of its own (the pool lends one per command)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients: dict[int, redis.Redis] = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(DjangoRedisCache):
    _last_logged = 0.0
    _failures_since_logged = 0

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = _RedisClientPerPool

    def _outage(self, operation: str, error: Exception) -> None:
        """Raise CacheUnavailable when failing closed; otherwise log (now and then)."""
        if _failing_closed.get():
            raise CacheUnavailable(operation) from error
        cls = type(self)
        cls._failures_since_logged += 1
        now = time.monotonic()
        if now - cls._last_logged >= LOG_EVERY_SECONDS:
            logger.warning(
                "Cache (Redis) unavailable: %s failed (%s); %d failed calls since the last "
                "warning, each answered as a miss",
                operation,
                error.__class__.__name__,
                cls._failures_since_logged,
            )
            cls._last_logged = now
            cls._failures_since_logged = 0

    def get(self, key, default=None, version=None):
        try:
            return super().get(key, default, version)
        except REDIS_ERRORS as error:
            self._outage("get", error)
            return default

    def get_many(self, keys, version=None):
        try:
            return super().get_many(keys, version)
        except REDIS_ERRORS as error:
            self._outage("get_many", error)
            return {}

    def has_key(self, key, version=None):
        try:
            return super().has_key(key, version)
        except REDIS_ERRORS as error:
            self._outage("has_key", error)
            return False

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            return super().add(key, value, timeout, version)
        except REDIS_ERRORS as error:
            self._outage("add", error)
            return False

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            return super().set(key, value, timeout, version)
        except REDIS_ERRORS as error:
            self._outage("set", error)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            return super().set_many(data, timeout, version)
        except REDIS_ERRORS as error:
            self._outage("set_many", error)
            return list(data)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            return super().touch(key, timeout, version)
        except REDIS_ERRORS as error:
            self._outage("touch", error)
            return False

    def incr(self, key, delta=1, version=None):
        try:
            return super().incr(key, delta, version)
        except REDIS_ERRORS as error:
            self._outage("incr", error)
            return delta

    def delete(self, key, version=None):
        try:
            return super().delete(key, version)
        except REDIS_ERRORS as error:
            self._outage("delete", error)
            return False

    def delete_many(self, keys, version=None):
        try:
            return super().delete_many(keys, version)
        except REDIS_ERRORS as error:
            self._outage("delete_many", error)

    def clear(self):
        try:
            return super().clear()
        except REDIS_ERRORS as error:
            self._outage("clear", error)
            return False
