"""Input limits (issue 17, section 4): what a person or a program sends that is too deep,
too long or too much is refused with a clear answer, never a 500 or an HTML page."""

import json

import pytest
from django.test import override_settings

from slas.tests.test_signing_api import client_for

DEEP = ("[" * 50_000 + "]" * 50_000).encode()  # about 100 KB, far deeper than the recursion limit


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/leads/events/bulk/",
        "/api/v1/feedback/",
        "/api/v1/notifications/preferences/",
        "/api/v1/agreements/",
    ],
)
def test_deeply_nested_json_is_a_400_on_every_json_endpoint(cast, url):
    # given a manager's write token
    client = client_for(cast.alice)
    # when a body nested far deeper than any real request is sent
    method = client.put if url.endswith("preferences/") else client.post
    response = method(url, DEEP, content_type="application/json")
    # then the API answers with its one error body, not a 500
    assert response.status_code == 400, response.content[:200]
    assert response.json()["code"] == "parse_error"
    assert "nested" in response.json()["detail"]


def _webhook(client, body: bytes, **headers):
    return client.post(
        "/integrations/hubspot/webhook", body, content_type="application/json", **headers
    )


@pytest.mark.django_db
class TestHubSpotWebhookLimits:
    @override_settings(HUBSPOT_WEBHOOK_MAX_EVENTS=100)
    def test_more_events_than_the_cap_are_refused_as_json(self, client, settings, monkeypatch):
        # given a correctly signed request with 101 events
        from leads.ingest import hubspot

        monkeypatch.setattr(hubspot, "verify_v3", lambda *args, **kwargs: True)
        body = json.dumps(
            [{"eventId": i, "subscriptionType": "contact.creation", "objectId": i}
             for i in range(101)]
        ).encode()  # fmt: skip
        # when
        response = _webhook(client, body)
        # then
        assert response.status_code == 413
        assert response["Content-Type"] == "application/json"
        assert "100" in response.json()["detail"]

    @override_settings(HUBSPOT_WEBHOOK_MAX_BYTES=1000)
    def test_a_body_over_the_limit_is_refused_as_json_before_it_is_read(self, client):
        response = _webhook(client, b"[" + b" " * 2000 + b"]")
        assert response.status_code == 413
        assert response["Content-Type"] == "application/json"

    def test_a_body_over_djangos_limit_is_json_too(self, client, settings):
        settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 500
        settings.HUBSPOT_WEBHOOK_MAX_BYTES = 10_000
        response = _webhook(client, b"[" + b" " * 2000 + b"]")
        assert response.status_code == 413
        assert response["Content-Type"] == "application/json"

    @override_settings(HUBSPOT_WEBHOOK_UNSIGNED_LIMIT=3)
    def test_unsigned_requests_from_one_address_are_throttled(self, client):
        # given three requests with a wrong signature from one address
        for _ in range(3):
            assert _webhook(client, b"[]", REMOTE_ADDR="203.0.113.9").status_code == 401
        # when a fourth comes
        response = _webhook(client, b"[]", REMOTE_ADDR="203.0.113.9")
        # then it is refused without checking, as JSON, and another address is not
        assert response.status_code == 429
        assert response["Content-Type"] == "application/json"
        assert response.has_header("Retry-After")
        assert _webhook(client, b"[]", REMOTE_ADDR="198.51.100.7").status_code == 401
