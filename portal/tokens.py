"""API tokens: create, revoke, authenticate. Secrets are shown once and stored hashed.

No token lives longer than settings.API_TOKEN_MAX_DAYS: one is made with at most that
expiry, and one stored without an expiry (made before the maximum) ends that many days
after it was made. Refused tokens are counted per address (FailedTokenThrottle).
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import secrets

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import authentication, exceptions, permissions

from portal.models import ApiToken, TokenScope
from portal.throttling import FailedTokenThrottle


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def api_token_create(
    *, user, name: str, scope: str = TokenScope.READ, expires_in_days: int | None = 90
) -> tuple[ApiToken, str]:
    """Return the token row and the raw token string (shown to the user once).

    `expires_in_days` None, or more than API_TOKEN_MAX_DAYS, gives the maximum."""
    prefix = secrets.token_hex(4)
    secret = secrets.token_urlsafe(32)
    days = min(expires_in_days or settings.API_TOKEN_MAX_DAYS, settings.API_TOKEN_MAX_DAYS)
    expires_at = timezone.now() + datetime.timedelta(days=days)
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=prefix,
        key_hash=_hash(secret),
        scope=scope,
        expires_at=expires_at,
    )
    return token, f"{prefix}.{secret}"


def api_token_revoke(*, token: ApiToken) -> None:
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())


class TokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer <prefix>.<secret>`."""

    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header.startswith(f"{self.keyword} "):
            return None
        failures = FailedTokenThrottle()
        failures.check(request)  # an address that guessed too often waits, 429
        try:
            token = self._token(header[len(self.keyword) + 1 :].strip())
        except exceptions.AuthenticationFailed:
            failures.record(request)
            raise
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at > datetime.timedelta(minutes=1):
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token

    def _token(self, raw: str) -> ApiToken:
        prefix, _sep, secret = raw.partition(".")
        token = (
            ApiToken.objects.select_related("user").filter(prefix=prefix).first()
            if secret
            else None
        )
        if token is None or not hmac.compare_digest(token.key_hash, _hash(secret)):
            raise exceptions.AuthenticationFailed(_("Invalid API token."))
        now = timezone.now()
        if token.revoked_at is not None:
            raise exceptions.AuthenticationFailed(_("This API token was revoked."))
        longest = token.created_at + datetime.timedelta(days=settings.API_TOKEN_MAX_DAYS)
        if min(token.expires_at or longest, longest) <= now:
            raise exceptions.AuthenticationFailed(_("This API token has expired."))
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("The token's user is inactive."))
        return token

    def authenticate_header(self, request):
        return self.keyword


class TokenScopeAllows(permissions.BasePermission):
    """A read-scoped token may only read; sessions are not limited by scope."""

    message = _("This API token is read-only.")

    def has_permission(self, request, view):
        token = request.auth
        if isinstance(token, ApiToken) and request.method not in permissions.SAFE_METHODS:
            return token.scope == TokenScope.WRITE
        return True
