"""API rate limits: one bucket per token (or per signed-in user), answered with 429 + Retry-After."""

from rest_framework.throttling import SimpleRateThrottle

from portal.models import ApiToken


class PerTokenRateThrottle(SimpleRateThrottle):
    scope = "api"

    def get_cache_key(self, request, view):
        if isinstance(request.auth, ApiToken):
            ident = f"token:{request.auth.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            return None  # anonymous requests are limited by AnonRateThrottle
        return self.cache_format % {"scope": self.scope, "ident": ident}
