"""The client's address behind a reverse proxy, believed only when the portal is told to.

Sign-in throttling, API rate limits and the history's "from where" read REMOTE_ADDR.
Behind a proxy that is the proxy's address; the client's is in X-Forwarded-For, which
each proxy appends to. Anyone can send that header, so it is read only with
DJANGO_TRUST_PROXY=1, and only the entry written by the nearest of DJANGO_PROXY_COUNT
proxies is taken (entries further left may be made up by the client).
"""

import ipaddress

from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed


def forwarded_client(header: str, proxies: int) -> str | None:
    """The address the outermost of `proxies` proxies saw, or None when there is none."""
    hops = [hop.strip() for hop in header.split(",") if hop.strip()]
    if not hops or proxies < 1:
        return None
    candidate = hops[-min(proxies, len(hops))]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return None


class ForwardedForMiddleware:
    def __init__(self, get_response):
        if not settings.TRUST_PROXY:
            raise MiddlewareNotUsed
        self.get_response = get_response
        self.proxies = settings.PROXY_COUNT

    def __call__(self, request):
        client = forwarded_client(request.META.get("HTTP_X_FORWARDED_FOR", ""), self.proxies)
        if client:
            request.META["REMOTE_ADDR"] = client
        return self.get_response(request)
