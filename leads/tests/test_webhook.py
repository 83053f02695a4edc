"""HubSpot webhook: signature (hubspot-api-client as oracle), idempotency, mapping."""

import json
import time

import pytest
from hubspot.utils.signature import Signature

from leads.models import Lead, LeadEvent

SECRET = "hs-secret-for-tests"
PATH = "/integrations/hubspot/webhook"


@pytest.fixture(autouse=True)
def _secret(settings):
    settings.HUBSPOT_CLIENT_SECRET = SECRET


def events(now_ms, *items):
    base = {
        "subscriptionId": 1,
        "portalId": 9,
        "appId": 3,
        "attemptNumber": 0,
        "changeSource": "CRM",
    }
    return json.dumps([{**base, "occurredAt": now_ms - 1000, **item} for item in items]).encode()


def send(client, body, *, timestamp=None, signature=None, tamper=None):
    ts = str(timestamp or int(time.time() * 1000))
    uri = f"http://testserver{PATH}"
    sig = signature or Signature.get_signature(
        client_secret=SECRET,
        request_body=body.decode(),
        signature_version="v3",
        http_uri=uri,
        http_method="POST",
        timestamp=ts,
    )
    if tamper is not None:
        body = tamper(body)
    return client.post(
        PATH,
        data=body,
        content_type="application/json",
        HTTP_X_HUBSPOT_REQUEST_TIMESTAMP=ts,
        HTTP_X_HUBSPOT_SIGNATURE_V3=sig,
    )


@pytest.mark.django_db
def test_a_request_signed_by_the_official_client_is_stored_once_even_when_retried(client, sla):
    now = int(time.time() * 1000)
    body = events(
        now,
        {"eventId": 11, "subscriptionType": "contact.creation", "objectId": 501},
        {
            "eventId": 12,
            "subscriptionType": "contact.propertyChange",
            "objectId": 501,
            "propertyName": "lifecyclestage",
            "propertyValue": "marketingqualifiedlead",
        },
        {
            "eventId": 13,
            "subscriptionType": "contact.propertyChange",
            "objectId": 501,
            "propertyName": "firstname",
            "propertyValue": "Ana",
        },
    )
    first = send(client, body)
    assert first.status_code == 200, first.content
    assert first.json()["created"] == 2 and first.json()["ignored"] == 1
    retry = send(client, body)
    assert retry.json()["created"] == 0 and retry.json()["duplicates"] == 2
    lead = Lead.objects.get(source="hubspot", external_id="501")
    assert lead.stage == "mql" and lead.owner is not None  # handed off and assigned
    assert LeadEvent.objects.filter(source="hubspot").count() == 2


@pytest.mark.django_db
def test_one_changed_byte_of_the_body_is_refused_and_nothing_stored(client, sla):
    body = events(
        int(time.time() * 1000),
        {"eventId": 21, "subscriptionType": "contact.creation", "objectId": 777},
    )
    response = send(client, body, tamper=lambda b: b.replace(b"777", b"778"))
    assert response.status_code == 401
    assert not Lead.objects.exists()


@pytest.mark.django_db
def test_an_old_or_unsigned_request_is_refused(client, sla):
    body = events(
        int(time.time() * 1000),
        {"eventId": 31, "subscriptionType": "contact.creation", "objectId": 1},
    )
    stale = int(time.time() * 1000) - 6 * 60 * 1000
    assert send(client, body, timestamp=stale).status_code == 401
    assert client.post(PATH, data=body, content_type="application/json").status_code == 401
    assert not Lead.objects.exists()


@pytest.mark.django_db
def test_lead_status_changes_become_attempts_and_moves_and_forbidden_moves_are_refused(client, sla):
    now = int(time.time() * 1000)
    body = events(
        now,
        {
            "eventId": 41,
            "subscriptionType": "contact.propertyChange",
            "objectId": 9,
            "propertyName": "lifecyclestage",
            "propertyValue": "marketingqualifiedlead",
            "occurredAt": now - 5000,
        },
        {
            "eventId": 42,
            "subscriptionType": "contact.propertyChange",
            "objectId": 9,
            "propertyName": "hs_lead_status",
            "propertyValue": "ATTEMPTED_TO_CONTACT",
            "occurredAt": now - 4000,
        },
        {
            "eventId": 43,
            "subscriptionType": "contact.propertyChange",
            "objectId": 9,
            "propertyName": "hs_lead_status",
            "propertyValue": "BAD_TIMING",
            "occurredAt": now - 3000,
        },
        {
            "eventId": 44,
            "subscriptionType": "contact.propertyChange",
            "objectId": 9,
            "propertyName": "lifecyclestage",
            "propertyValue": "customer",
            "occurredAt": now - 2000,
        },
    )
    data = send(client, body).json()
    assert data["created"] == 3 and len(data["failed"]) == 1
    assert "cannot move from Recycled to Won" in data["failed"][0]["message"]
    lead = Lead.objects.get(external_id="9")
    assert lead.stage == "recycled" and not lead.flagged
    assert LeadEvent.objects.get(source_event_id="webhook:43").reason_code == "bad_timing"


@pytest.mark.django_db
def test_a_body_that_is_not_a_json_array_is_a_400_not_a_500(client, sla):
    assert send(client, b'{"eventId": 1}').status_code == 400
    from leads.hubspot import signature_v3

    ts = str(int(time.time() * 1000))
    sig = signature_v3(SECRET, "POST", f"http://testserver{PATH}", b"\xff\xfe", ts)
    assert send(client, b"\xff\xfe", timestamp=int(ts), signature=sig).status_code == 400
