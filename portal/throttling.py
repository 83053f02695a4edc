"""API rate limits: one bucket per token (or per signed-in user), answered with 429 + Retry-After.

Two buckets per address stand before authentication decides: refused tokens
(`FailedTokenThrottle`, counted by portal.tokens), and anonymous calls (`AnonymousRateFirst`:
DRF checks permissions before throttles, so an anonymous call was refused 401 by
IsAuthenticated before AnonRateThrottle ever counted it, and the "anon" rate never fired).

The buckets live in the shared cache. While it is down (Redis outage) they cannot be
read: reads (GET, HEAD, OPTIONS) go on unthrottled, so people keep seeing their work;
writes answer 503 with Retry-After, so no client can write without a limit meanwhile.
"""

import logging

from django.utils.translation import gettext_lazy as _
from rest_framework import throttling
from rest_framework.exceptions import APIException, Throttled
from rest_framework.permissions import SAFE_METHODS, BasePermission

from portal.cache import CacheUnavailable, failing_closed
from portal.models import ApiToken

logger = logging.getLogger(__name__)


class RateLimitsUnavailable(APIException):
    status_code = 503
    default_detail = _("Changes through the API are briefly unavailable, try again in a minute.")
    default_code = "unavailable"
    wait = 60  # seconds: DRF answers it as Retry-After


class CacheOutageMixin:
    def allow_request(self, request, view):
        try:
            with failing_closed():
                return super().allow_request(request, view)
        except CacheUnavailable:
            if request.method in SAFE_METHODS:
                return True
            logger.warning("Rate limits unreadable (cache down): %s refused", request.method)
            raise RateLimitsUnavailable() from None


class PerTokenRateThrottle(CacheOutageMixin, throttling.SimpleRateThrottle):
    scope = "api"

    def get_cache_key(self, request, view):
        if isinstance(request.auth, ApiToken):
            ident = f"token:{request.auth.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            return None  # anonymous requests are limited by AnonRateThrottle
        return self.cache_format % {"scope": self.scope, "ident": ident}


class AnonRateThrottle(CacheOutageMixin, throttling.AnonRateThrottle):
    def allow_request(self, request, view):
        if getattr(request, "anonymous_rate_counted", False):
            return True
        return super().allow_request(request, view)


class ScopedRateThrottle(CacheOutageMixin, throttling.ScopedRateThrottle):
    pass


class FailedTokenThrottle(throttling.SimpleRateThrottle):
    """Refused API tokens per address. Past the rate every token from the address waits
    (429), so guessing costs the guesser time, not the database a lookup per guess."""

    scope = "token_failure"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}

    def _load(self, request) -> None:
        self.key = self.get_cache_key(request, None)
        self.now = self.timer()
        self.history = [t for t in self.cache.get(self.key, []) if t > self.now - self.duration]

    def check(self, request) -> None:
        """Raise Throttled when the address has used up its refused tokens."""
        self._load(request)
        if len(self.history) >= self.num_requests:
            raise Throttled(wait=self.wait())

    def record(self, request) -> None:
        self._load(request)
        self.history.insert(0, self.now)
        self.cache.set(self.key, self.history, self.duration)


class AnonymousRateFirst(BasePermission):
    """Counts an anonymous call against the "anon" rate before IsAuthenticated refuses it
    (see the module docstring). Signed-in callers pass untouched."""

    def has_permission(self, request, view):
        if request.user and request.user.is_authenticated:
            return True
        throttle = AnonRateThrottle()
        if not throttle.allow_request(request, view):
            raise Throttled(wait=throttle.wait())
        request.anonymous_rate_counted = True  # AnonRateThrottle does not count it twice
        return True
