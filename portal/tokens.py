"""API tokens: create, revoke, authenticate. Secrets are shown once and stored hashed."""

from __future__ import annotations

import datetime
import hashlib
import hmac
import secrets

from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import authentication, exceptions, permissions

from portal.models import ApiToken, TokenScope


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def api_token_create(
    *, user, name: str, scope: str = TokenScope.READ, expires_in_days: int | None = 90
) -> tuple[ApiToken, str]:
    """Return the token row and the raw token string (shown to the user once)."""
    prefix = secrets.token_hex(4)
    secret = secrets.token_urlsafe(32)
    expires_at = (
        timezone.now() + datetime.timedelta(days=expires_in_days) if expires_in_days else None
    )
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
        raw = header[len(self.keyword) + 1 :].strip()
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
        if token.expires_at is not None and token.expires_at <= now:
            raise exceptions.AuthenticationFailed(_("This API token has expired."))
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("The token's user is inactive."))
        if token.last_used_at is None or now - token.last_used_at > datetime.timedelta(minutes=1):
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token

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
