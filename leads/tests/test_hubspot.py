"""Tests of leads.hubspot; hubspot-api-client's Signature is the oracle."""

import json
from datetime import UTC, datetime

import pytest
from hubspot.utils.signature import Signature

from leads.ingest.formats import FormatError, ParsedEvent, RowIssue
from leads.ingest.hubspot import map_webhook_event, parse_webhook_body, signature_v3, verify_v3

SECRET = "app-secret-1234"
URI = "https://portal.example.com/integrations/hubspot/webhook?x=1&y=%20z"
NOW_MS = 1_772_000_000_000
BODY = json.dumps(
    [
        {
            "eventId": 1,
            "subscriptionType": "contact.creation",
            "objectId": 42,
            "occurredAt": NOW_MS - 1000,
            "note": "Zoë ✓",
        }
    ],
    ensure_ascii=False,
).encode("utf-8")


def oracle(body: bytes, timestamp: str, uri: str = URI, method: str = "POST") -> str:
    return Signature.get_signature(
        client_secret=SECRET,
        request_body=body.decode("utf-8"),
        signature_version="v3",
        http_uri=uri,
        http_method=method,
        timestamp=timestamp,
    )


@pytest.mark.parametrize("method", ["POST", "GET"])
@pytest.mark.parametrize("uri", [URI, "https://h.example/webhook", "https://h.example/a%3Ab?q=%40"])
def test_the_signature_equals_the_official_client(method, uri):
    ts = str(NOW_MS)
    assert signature_v3(SECRET, method, uri, BODY, ts) == oracle(BODY, ts, uri, method)


def test_a_request_signed_by_the_official_client_is_accepted():
    ts = str(NOW_MS - 2_000)
    sig = oracle(BODY, ts)
    assert verify_v3(SECRET, "POST", URI, BODY, ts, sig, now_ms=NOW_MS)
    # and the official client agrees with itself (its own freshness check uses the real clock)
    assert Signature.get_signature(SECRET, BODY.decode(), "v3", URI, "POST", ts) == sig


def test_a_request_is_refused_when_one_byte_of_the_body_changes():
    ts = str(NOW_MS)
    sig = oracle(BODY, ts)
    for i in (0, len(BODY) // 2, len(BODY) - 1):
        tampered = bytearray(BODY)
        tampered[i] ^= 0x01
        assert not verify_v3(SECRET, "POST", URI, bytes(tampered), ts, sig, now_ms=NOW_MS)


def test_a_request_is_refused_with_another_uri_method_secret_or_timestamp():
    ts = str(NOW_MS)
    sig = oracle(BODY, ts)
    assert not verify_v3(SECRET, "POST", URI + "&z=1", BODY, ts, sig, now_ms=NOW_MS)
    assert not verify_v3(SECRET, "PUT", URI, BODY, ts, sig, now_ms=NOW_MS)
    assert not verify_v3("other", "POST", URI, BODY, ts, sig, now_ms=NOW_MS)
    assert not verify_v3(SECRET, "POST", URI, BODY, str(NOW_MS - 1), sig, now_ms=NOW_MS)


def test_a_request_older_than_five_minutes_is_refused():
    ts = str(NOW_MS - 300_001)
    assert not verify_v3(SECRET, "POST", URI, BODY, ts, oracle(BODY, ts), now_ms=NOW_MS)
    ts = str(NOW_MS - 299_000)
    assert verify_v3(SECRET, "POST", URI, BODY, ts, oracle(BODY, ts), now_ms=NOW_MS)


def test_a_request_from_more_than_five_minutes_in_the_future_is_refused():
    ts = str(NOW_MS + 300_001)
    assert not verify_v3(SECRET, "POST", URI, BODY, ts, oracle(BODY, ts), now_ms=NOW_MS)


@pytest.mark.parametrize("ts", ["", "abc", "-5", "1.5e12", "１２３", "9" * 40])
def test_a_malformed_timestamp_is_refused(ts):
    assert not verify_v3(SECRET, "POST", URI, BODY, ts, "x", now_ms=NOW_MS)


@pytest.mark.parametrize("sig", ["", "not base64", "é" * 44, None])
def test_a_malformed_signature_is_refused_without_an_exception(sig):
    assert not verify_v3(SECRET, "POST", URI, BODY, str(NOW_MS), sig, now_ms=NOW_MS)


def test_an_empty_secret_refuses_everything():
    ts = str(NOW_MS)
    sig = signature_v3("", "POST", URI, BODY, ts)
    assert not verify_v3("", "POST", URI, BODY, ts, sig, now_ms=NOW_MS)


# ----------------------------------------------------------------- body


def test_a_json_array_body_is_parsed():
    assert parse_webhook_body(BODY)[0]["objectId"] == 42


@pytest.mark.parametrize(
    "body",
    [b"", b"not json", b'{"eventId": 1}', b"[1, 2]", b"\xff\xfe", b"[" * 100_000, b"null"],
)
def test_a_body_that_is_not_a_json_array_of_objects_is_a_format_error(body):
    with pytest.raises(FormatError):
        parse_webhook_body(body)


# ----------------------------------------------------------------- mapping

OCCURRED = 1_772_000_123_456


def item(**kw):
    base = {
        "eventId": 100,
        "subscriptionId": 7,
        "portalId": 99,
        "appId": 5,
        "occurredAt": OCCURRED,
        "subscriptionType": "contact.propertyChange",
        "attemptNumber": 0,
        "objectId": 4242,
        "changeSource": "CRM_UI",
    }
    base.update(kw)
    return base


def test_a_contact_creation_becomes_a_created_event():
    ev = map_webhook_event(item(subscriptionType="contact.creation"))
    assert isinstance(ev, ParsedEvent)
    assert (ev.source, ev.event_id, ev.lead_external_id, ev.kind) == (
        "hubspot",
        "webhook:100",
        "4242",
        "created",
    )
    assert ev.occurred_at == datetime(2026, 2, 25, 6, 15, 23, 456000, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "stage"),
    [
        ("subscriber", "lead"),
        ("lead", "lead"),
        ("marketingqualifiedlead", "mql"),
        ("salesqualifiedlead", "sql"),
        ("opportunity", "opportunity"),
        ("customer", "won"),
    ],
)
def test_lifecycle_stage_changes_map_to_stages(value, stage):
    ev = map_webhook_event(item(propertyName="lifecyclestage", propertyValue=value))
    assert (ev.kind, ev.to_stage) == ("stage_changed", stage)


@pytest.mark.parametrize(
    ("value", "kind", "to_stage", "channel", "outcome"),
    [
        ("ATTEMPTED_TO_CONTACT", "contact_attempt", "", "other", "ATTEMPTED_TO_CONTACT"),
        ("CONNECTED", "contact_attempt", "", "other", "CONNECTED"),
        ("UNQUALIFIED", "stage_changed", "disqualified", "", ""),
        ("BAD_TIMING", "stage_changed", "recycled", "", ""),
        ("IN_PROGRESS", "stage_changed", "sal", "", ""),
    ],
)
def test_lead_status_changes_map_to_attempts_and_stages(value, kind, to_stage, channel, outcome):
    ev = map_webhook_event(item(propertyName="hs_lead_status", propertyValue=value))
    assert (ev.kind, ev.to_stage, ev.channel, ev.outcome) == (kind, to_stage, channel, outcome)


def test_an_owner_change_keeps_the_owner_id_in_outcome():
    ev = map_webhook_event(item(propertyName="hubspot_owner_id", propertyValue="31337"))
    assert (ev.kind, ev.outcome) == ("owner_changed", "31337")
    ev = map_webhook_event(item(propertyName="hubspot_owner_id", propertyValue=""))
    assert (ev.kind, ev.outcome) == ("owner_changed", "")


def test_the_generic_object_events_for_contacts_are_read_too():
    ev = map_webhook_event(item(subscriptionType="object.creation", objectTypeId="0-1"))
    assert ev.kind == "created"
    assert map_webhook_event(item(subscriptionType="object.creation", objectTypeId="0-3")) is None


@pytest.mark.parametrize(
    "kw",
    [
        {"subscriptionType": "deal.creation"},
        {"subscriptionType": "contact.deletion"},
        {"propertyName": "firstname", "propertyValue": "Ann"},
        {"propertyName": "lifecyclestage", "propertyValue": ""},
        {"propertyName": "hs_lead_status", "propertyValue": "NEW"},
    ],
)
def test_other_events_are_ignored(kw):
    assert map_webhook_event(item(**kw)) is None


def test_an_unknown_lifecycle_value_is_a_warning():
    issue = map_webhook_event(
        item(propertyName="lifecyclestage", propertyValue="evangelist"), index=3
    )
    assert isinstance(issue, RowIssue)
    assert (issue.row, issue.severity) == (3, "warning")
    assert "evangelist" in issue.message


@pytest.mark.parametrize(
    ("kw", "column"),
    [
        ({"eventId": None}, "eventId"),
        ({"eventId": "abc"}, "eventId"),
        ({"objectId": True}, "objectId"),
        ({"occurredAt": "yesterday"}, "occurredAt"),
        ({"occurredAt": 10**30}, "occurredAt"),
    ],
)
def test_a_malformed_event_is_an_error(kw, column):
    issue = map_webhook_event(item(subscriptionType="contact.creation", **kw), index=2)
    assert isinstance(issue, RowIssue)
    assert (issue.row, issue.column, issue.severity) == (2, column, "error")


def test_a_retried_event_keeps_its_event_id():
    first = map_webhook_event(item(subscriptionType="contact.creation", attemptNumber=0))
    retry = map_webhook_event(item(subscriptionType="contact.creation", attemptNumber=3))
    assert first.event_id == retry.event_id == "webhook:100"


def test_a_fresh_request_the_official_client_validates_is_accepted_at_the_same_instant():
    import time

    now_ms = int(time.time() * 1000)
    ts = str(now_ms)
    sig = oracle(BODY, ts)
    assert Signature.is_valid(sig, SECRET, BODY.decode(), URI, "POST", "v3", ts)
    assert verify_v3(SECRET, "POST", URI, BODY, ts, sig, now_ms=now_ms)
