"""Refuse logins for a while after repeated failures, per username and per address.

Counting in the cache keeps it cheap; with several web processes the cache must be
shared (REDIS_URL), otherwise each process counts on its own.

While the shared cache is down the counts cannot be read, and sign-in fails closed:
`is_locked` raises `SignInUnavailable` ("briefly unavailable, try again in a minute")
rather than let password guesses through uncounted. Recording a failure or a success
while it is down is dropped (portal.cache logs it).
"""

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

from portal.cache import CacheUnavailable, failing_closed

RETRY_AFTER_SECONDS = 60


class SignInUnavailable(ValidationError):
    """A ValidationError, so the sign-in form shows it as its error; where nothing
    catches it (signing with a password), `SignInUnavailableMiddleware` answers 503."""


def _keys(username: str, address: str) -> list[str]:
    return [f"login-fail:user:{username.strip().lower()}", f"login-fail:addr:{address}"]


def is_locked(username: str, address: str) -> bool:
    limit = settings.LOGIN_FAILURE_LIMIT
    try:
        with failing_closed():
            counts = cache.get_many(_keys(username, address))
    except CacheUnavailable:
        raise SignInUnavailable(
            _("Sign-in is briefly unavailable, try again in a minute."), code="unavailable"
        ) from None
    return any((count or 0) >= limit for count in counts.values())


def record_failure(username: str, address: str) -> None:
    for key in _keys(username, address):
        if cache.add(key, 1, timeout=settings.LOGIN_LOCKOUT_SECONDS):
            continue
        try:
            cache.incr(key)
        except ValueError:
            cache.set(key, 1, timeout=settings.LOGIN_LOCKOUT_SECONDS)


def reset(username: str, address: str) -> None:
    cache.delete(_keys(username, address)[0])


class SignInUnavailableMiddleware:
    """503 with the message (and Retry-After) instead of a 500, wherever it escapes."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, SignInUnavailable):
            return None
        message = exception.messages[0]
        if request.path.startswith("/api/"):
            response = JsonResponse({"detail": message, "code": "unavailable"}, status=503)
        else:
            response = TemplateResponse(request, "503.html", {"message": message}, status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
