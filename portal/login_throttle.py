"""Sign-in lockout: django-axes, and the little the portal adds to it.

Axes counts failed sign-ins per username at an address (settings: AXES_*), in the
database, so the counts hold across web servers and while the cache is down: no
password guess goes uncounted. A success at that address clears the count; an admin
unlocks someone by deleting their row under Axes > Access attempts.

What the portal adds: the client's address as portal.proxy decided it (`client_address`),
when a pause ends (`locked_until`, for the sign-in page to say), and the same count for
a wrong password typed to sign an agreement (`is_locked`, `record_failure`), which is
a sign-in in all but name.

Password reset requests are counted here too, in the cache (a miss while it is down lets
a request through: the worst is one more e-mail to a real owner), per address and per
e-mail: an address over its limit is told to wait; an e-mail over its limit is answered
as usual but sent nothing, so the answer never says whether the address is known.
"""

import datetime

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_cool_off, get_lockout_message
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.core.cache import cache
from django.db.models import Max
from django.http import HttpRequest, HttpResponse


def client_address(request) -> str | None:
    """REMOTE_ADDR, which portal.proxy set from X-Forwarded-For only if the proxy is trusted."""
    return request.META.get("REMOTE_ADDR") or None


def _credentials(username: str) -> dict:
    return {"username": username}


def locked_until(request, username: str) -> datetime.datetime | None:
    """When `username` may try again from this request's address; None when not paused."""
    if not AxesProxyHandler.is_locked(request, _credentials(username)):
        return None
    last = AccessAttempt.objects.filter(
        username=username, ip_address=request.axes_ip_address
    ).aggregate(last=Max("attempt_time"))["last"]
    return last + get_cool_off(request)


def lockout_response(request, original_response=None, credentials=None) -> HttpResponse:
    """What axes answers once a sign-in locks someone out. The portal's sign-in page has
    already said so (and when to retry) with status 429: keep it. Elsewhere (the admin's
    own sign-in page) answer axes's message."""
    if original_response is not None and original_response.status_code == 429:
        return original_response
    return HttpResponse(get_lockout_message(), status=429, content_type="text/plain")


def _request_from(address: str) -> HttpRequest:
    request = HttpRequest()
    request.method = "POST"
    request.META["REMOTE_ADDR"] = address
    return request


def is_locked(username: str, address: str) -> bool:
    """For checks made without the sign-in form (signing with one's password)."""
    return locked_until(_request_from(address), username) is not None


def record_failure(username: str, address: str) -> None:
    """A wrong password given outside the sign-in form counts as a failed sign-in."""
    user_login_failed.send(
        sender=__name__, credentials=_credentials(username), request=_request_from(address)
    )


def unlock(username: str) -> None:
    """Lift every pause on `username` (its password was just reset by its owner)."""
    AxesProxyHandler.reset_attempts(username=username)


def _within(key: str, limit: int) -> bool:
    """Count one more under `key` for an hour; False once more than `limit`."""
    if cache.add(key, 1, timeout=3600):
        return True
    try:
        return cache.incr(key) <= limit
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=3600)
        return True


def reset_allowed_from(address: str) -> bool:
    return _within(f"password-reset:addr:{address}", settings.PASSWORD_RESET_PER_ADDRESS)


def reset_allowed_for(email: str) -> bool:
    key = f"password-reset:email:{email.strip().lower()}"
    return _within(key, settings.PASSWORD_RESET_PER_EMAIL)
