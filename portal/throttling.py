"""API rate limits: one bucket per token (or per signed-in user), answered with 429 + Retry-After.

The buckets live in the shared cache. While it is down (Redis outage) they cannot be
read: reads (GET, HEAD, OPTIONS) go on unthrottled, so people keep seeing their work;
writes answer 503 with Retry-After, so no client can write without a limit meanwhile.
"""

import logging

from django.utils.translation import gettext_lazy as _
from rest_framework import throttling
from rest_framework.exceptions import APIException
from rest_framework.permissions import SAFE_METHODS

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
    pass


class ScopedRateThrottle(CacheOutageMixin, throttling.ScopedRateThrottle):
    pass
