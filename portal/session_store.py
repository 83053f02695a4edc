"""Sessions kept in PostgreSQL and read through the shared cache, with a short copy there.

Django's cached_db keeps a session's copy in the cache as long as the session lives
(two weeks). But a sign-out while Redis does not answer deletes the row and only fails
to delete the copy (portal.cache: an outage is a dropped write), so the copy would sign
the old cookie in again once Redis is back. Here the copy lives `CACHE_SECONDS` at most:
after a sign-out that Redis missed, the old cookie works that long at most, and then
only the PostgreSQL row (gone) decides. A signed-in page still reads no session row
while its copy lives, which is the point of the cache (about one query a request).
"""

from __future__ import annotations

from django.contrib.sessions.backends import cached_db

#: How long a session's copy stays in the cache at most.
CACHE_SECONDS = 300


def _capped(timeout):
    if isinstance(timeout, (int, float)) and not isinstance(timeout, bool):
        return min(timeout, CACHE_SECONDS)
    return CACHE_SECONDS  # None (forever) or the backend's default


class _CappedCache:
    """The cache as cached_db uses it, every copy written with `CACHE_SECONDS` at most."""

    def __init__(self, cache):
        self._cache = cache

    def __getattr__(self, name):
        return getattr(self._cache, name)

    def __contains__(self, key):
        return key in self._cache

    def set(self, key, value, timeout=None, version=None):
        return self._cache.set(key, value, _capped(timeout), version)

    async def aset(self, key, value, timeout=None, version=None):
        return await self._cache.aset(key, value, _capped(timeout), version)


class SessionStore(cached_db.SessionStore):
    def __init__(self, session_key=None):
        super().__init__(session_key)
        self._cache = _CappedCache(self._cache)
