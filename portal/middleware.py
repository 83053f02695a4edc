"""Response headers that Django 5.2 does not set by itself."""

import zoneinfo

from django.conf import settings
from django.utils import timezone

from portal.models import reader_time_zone

# No inline scripts and no third-party origins: every script and stylesheet is served
# from our own static files.
DEFAULT_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = getattr(settings, "CONTENT_SECURITY_POLICY", DEFAULT_CSP)

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", self.policy)
        return response


class ReaderTimeZoneMiddleware:
    """Instants on every page read in the reader's zone (their profile, or the site's).

    After AuthenticationMiddleware, which gives the request its user.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        timezone.activate(zoneinfo.ZoneInfo(reader_time_zone(user)))
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
