"""X-Forwarded-Proto and X-Forwarded-For are believed only with DJANGO_TRUST_PROXY=1."""

import subprocess
import sys

import pytest
from django.core.exceptions import MiddlewareNotUsed
from django.http import HttpResponse
from django.test import RequestFactory

from portal.proxy import ForwardedForMiddleware, forwarded_client
from portal.tests.processes import ROOT, portal_env


def client_address(settings, header, *, trust=True, proxies=1):
    settings.TRUST_PROXY = trust
    settings.PROXY_COUNT = proxies
    seen = {}

    def view(request):
        seen["address"] = request.META["REMOTE_ADDR"]
        return HttpResponse()

    request = RequestFactory().get("/", HTTP_X_FORWARDED_FOR=header, REMOTE_ADDR="10.0.0.9")
    ForwardedForMiddleware(view)(request)
    return seen["address"]


def test_the_address_the_proxy_saw_is_the_clients(settings):
    assert client_address(settings, "203.0.113.7") == "203.0.113.7"


def test_addresses_the_client_made_up_are_ignored(settings):
    assert client_address(settings, "1.2.3.4, 203.0.113.7") == "203.0.113.7"


def test_with_two_proxies_the_outer_ones_entry_is_taken(settings):
    header = "1.2.3.4, 203.0.113.7, 10.0.0.5"
    assert client_address(settings, header, proxies=2) == "203.0.113.7"


def test_a_header_that_is_not_an_address_changes_nothing(settings):
    assert client_address(settings, "<script>") == "10.0.0.9"
    assert forwarded_client("", 1) is None


def test_without_trust_the_middleware_is_not_used(settings):
    settings.TRUST_PROXY = False
    with pytest.raises(MiddlewareNotUsed):
        ForwardedForMiddleware(lambda request: HttpResponse())


def proxy_ssl_header(**env) -> str:
    code = "from django.conf import settings; print(settings.SECURE_PROXY_SSL_HEADER)"
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env=portal_env(DJANGO_SETTINGS_MODULE="portal.settings", **env),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.strip()


def test_production_believes_x_forwarded_proto_only_when_told_to():
    production = {"DJANGO_DEBUG": "0", "DJANGO_SECRET_KEY": "x" * 50}
    assert proxy_ssl_header(**production) == "None"
    trusted = proxy_ssl_header(**production, DJANGO_TRUST_PROXY="1")
    assert trusted == "('HTTP_X_FORWARDED_PROTO', 'https')"
