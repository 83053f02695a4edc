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

    After AuthenticationMiddleware, which gives the request its user. The zone is kept
    in the session (with whose it is) from sign-in on, so a page costs no query for it;
    the profile page refreshes it when the person changes their zone.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        timezone.activate(zoneinfo.ZoneInfo(session_time_zone(request)))
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


SESSION_KEY = "reader_time_zone"


def session_time_zone(request, *, refresh: bool = False) -> str:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return settings.TIME_ZONE
    session = getattr(request, "session", None)
    kept = session.get(SESSION_KEY) if session is not None and not refresh else None
    if kept and kept[0] == user.pk:
        return kept[1]
    zone = reader_time_zone(user)
    if session is not None:
        session[SESSION_KEY] = [user.pk, zone]
    return zone


def session_time_zone_on_login(sender, request, user, **kwargs) -> None:
    """Keep the reader's zone in the session from sign-in (user_logged_in receiver)."""
    if request is not None and hasattr(request, "session"):
        request.session[SESSION_KEY] = [user.pk, reader_time_zone(user)]
