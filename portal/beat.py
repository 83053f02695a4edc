"""The scheduler (Celery beat) that sends the periodic jobs: only one at a time sends.

A second beat started by mistake (a second `make serve`, beat enabled on two servers, an
overlapping deploy) would send every periodic job twice. So a beat sends only while it
holds a lock in Redis: `SET <key> <its token> NX EX <ttl>` on its first tick, renewed on
every tick while the value is still its own (at least every ttl/3 seconds). A beat that
does not hold it stands by: it keeps its schedule in step without sending anything, and
takes over when the holder stops (a clean stop gives the lock back at once; a crashed
holder's lock expires after `BEAT_LOCK_SECONDS`).

Without Redis (development on the file-system broker: `make run`) there is nothing
shared to lock with, and `make run` starts one beat.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid

import redis
from celery.beat import PersistentScheduler
from django.conf import settings

logger = logging.getLogger(__name__)

# Renew or give back the lock only while it is still ours: after a long pause (a frozen
# VM) another beat may have taken it, and must keep it.
_RENEW_IF_OURS = (
    "if redis.call('get', KEYS[1]) == ARGV[1] then "
    "return redis.call('expire', KEYS[1], ARGV[2]) else return 0 end"
)
_RELEASE_IF_OURS = (
    "if redis.call('get', KEYS[1]) == ARGV[1] then "
    "return redis.call('del', KEYS[1]) else return 0 end"
)


class BeatLock:
    def __init__(self, *, url: str, key: str, ttl: int):
        self.client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
        self.key = key
        self.ttl = ttl
        self.token = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex}"
        self.held = False

    def hold(self) -> bool:
        """Whether this beat holds the lock now: renewed if it was ours, taken if free."""
        try:
            if self.held:
                self.held = bool(
                    self.client.eval(_RENEW_IF_OURS, 1, self.key, self.token, self.ttl)
                )
            if not self.held:
                self.held = bool(self.client.set(self.key, self.token, nx=True, ex=self.ttl))
        except redis.RedisError:
            # Unable to prove we hold it: send nothing until Redis answers again.
            logger.warning("Beat lock: Redis did not answer; sending nothing meanwhile")
            self.held = False
        return self.held

    def holder(self) -> str:
        try:
            value = self.client.get(self.key)
        except redis.RedisError:
            return "?"
        return value.decode() if value else "nobody"

    def release(self) -> None:
        try:
            self.client.eval(_RELEASE_IF_OURS, 1, self.key, self.token)
        except redis.RedisError:
            pass  # it expires by itself
        self.held = False


class SingleBeatScheduler(PersistentScheduler):
    """PersistentScheduler that sends only while it holds the beat lock."""

    def __init__(self, *args, **kwargs):
        url = settings.BEAT_LOCK_URL
        self.lock = (
            BeatLock(url=url, key=settings.BEAT_LOCK_KEY, ttl=settings.BEAT_LOCK_SECONDS)
            if url
            else None
        )
        self.sending = None  # unknown until the first tick
        super().__init__(*args, **kwargs)

    def tick(self, *args, **kwargs):
        was_sending = self.sending
        self.sending = self.lock is None or self.lock.hold()
        if self.sending and not was_sending:
            if self.lock is not None:
                logger.info("Beat lock %s taken: this beat sends the periodic jobs", self.lock.key)
            self._catch_up()
        elif not self.sending and was_sending is not False:
            logger.warning(
                "Beat lock %s is held by %s: this beat stands by and sends nothing",
                self.lock.key,
                self.lock.holder(),
            )
        interval = super().tick(*args, **kwargs)
        if self.lock is None:
            return interval
        return min(interval, self.lock.ttl / 3)

    def apply_entry(self, entry, producer=None):
        if not self.sending:
            # The beat that holds the lock sends it; the schedule still moves on.
            logger.debug("Standing by: not sending %s", entry.name)
            return
        super().apply_entry(entry, producer=producer)

    def close(self):
        super().close()
        if self.lock is not None and self.lock.held:
            self.lock.release()
            logger.info("Beat lock %s given back", self.lock.key)

    def _catch_up(self) -> None:
        """After downtime, sweep at once instead of waiting for the first interval."""
        try:
            self.app.send_task("portal.tasks.notifications_sweep")
        except Exception:  # the broker is down: the schedule will try again
            logger.warning("Could not enqueue the start-up sweep")
