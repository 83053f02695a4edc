"""HubSpot webhooks: signature v3 and event mapping (pure: no Django, no database).

* ``signature_v3`` computes exactly what ``hubspot.utils.signature.Signature``
  (hubspot-api-client 12) computes for ``signature_version="v3"``:
  base64(HMAC-SHA256(secret, method + uri + body + timestamp)), UTF-8 encoded.
  That client does **no** URI decoding, so neither do we: pass the URI exactly
  as HubSpot called it (scheme, host, path and query). ``body`` is the raw
  request body as bytes (the client takes a str; the result is the same for
  UTF-8 bodies, and for other bytes ours signs the bytes as received).
* ``verify_v3`` refuses (returns False) a request whose timestamp is malformed,
  older than ``max_age_ms``, or more than ``max_age_ms`` in the future (the
  client only checks age), a signature that does not match, and any request
  when the secret is empty (a misconfigured server must not accept requests
  signed with an empty key). The comparison uses ``hmac.compare_digest``.
* ``map_webhook_event`` maps one item of the JSON array:
  ``contact.creation`` -> ``created``; ``contact.propertyChange`` of
  ``lifecyclestage`` -> ``stage_changed`` (subscriber/lead -> lead,
  marketingqualifiedlead -> mql, salesqualifiedlead -> sql, opportunity,
  customer -> won); of ``hs_lead_status`` -> ``contact_attempt`` with channel
  ``other`` and the status in ``outcome`` (ATTEMPTED_TO_CONTACT, CONNECTED),
  or ``stage_changed`` (UNQUALIFIED -> disqualified, BAD_TIMING -> recycled,
  IN_PROGRESS -> sal; exits carry ``reason_candidates`` from ``LEAD_STATUS_REASONS``);
  moves carry what HubSpot sent in ``requested``; of ``hubspot_owner_id`` -> ``owner_changed`` with the
  HubSpot owner id in ``outcome`` (empty when the contact was unassigned).
  The generic ``object.creation`` / ``object.propertyChange`` types are read
  the same way when ``objectTypeId`` is ``0-1`` (contacts).
  It returns ``None`` for events the portal ignores (other subscription types
  or properties, a cleared value, lead statuses NEW/OPEN/OPEN_DEAL), a
  *warning* ``RowIssue`` for a value of a handled property that has no portal
  meaning (e.g. a custom lifecycle stage), and an *error* ``RowIssue`` for a
  malformed item (missing or invalid eventId, objectId or occurredAt). The
  ``row`` of a ``RowIssue`` is the 1-based position given as ``index``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from leads.ingest.formats import FormatError, ParsedEvent, RowIssue

SOURCE = "hubspot"
CONTACT_OBJECT_TYPE = "0-1"

LIFECYCLE_STAGES = {
    "subscriber": "lead",
    "lead": "lead",
    "marketingqualifiedlead": "mql",
    "salesqualifiedlead": "sql",
    "opportunity": "opportunity",
    "customer": "won",
}
LEAD_STATUS_ATTEMPTS = frozenset({"ATTEMPTED_TO_CONTACT", "CONNECTED"})
LEAD_STATUS_STAGES = {
    "UNQUALIFIED": "disqualified",
    "BAD_TIMING": "recycled",
    "IN_PROGRESS": "sal",
}
LEAD_STATUS_IGNORED = frozenset({"NEW", "OPEN", "OPEN_DEAL"})
# HubSpot sends exits without a reason: these codes say what the status means, and the
# first one the governing version lists becomes the move's reason code (leads/README.md).
LEAD_STATUS_REASONS = {
    "UNQUALIFIED": ("unqualified", "not_qualified", "no_fit"),
    "BAD_TIMING": ("bad_timing",),
}

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def signature_v3(secret: str, method: str, uri: str, body: bytes, timestamp: str) -> str:
    """HubSpot signature v3: base64(HMAC-SHA256(secret, method + uri + body + timestamp))."""
    message = method.encode("utf-8") + uri.encode("utf-8") + bytes(body) + timestamp.encode("utf-8")
    digest = hmac.new(secret.encode("utf-8"), msg=message, digestmod=hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def verify_v3(
    secret: str,
    method: str,
    uri: str,
    body: bytes,
    timestamp: str,
    signature: str,
    *,
    now_ms: int,
    max_age_ms: int = 300_000,
) -> bool:
    """True only for a fresh request carrying the right v3 signature."""
    if not secret or not isinstance(signature, str) or not isinstance(timestamp, str):
        return False
    ts = timestamp.strip()
    if not ts.isascii() or not ts.isdigit() or len(ts) > 16:
        return False
    if abs(now_ms - int(ts)) > max_age_ms:
        return False
    try:
        given = signature.strip().encode("ascii")
    except UnicodeEncodeError:
        return False
    expected = signature_v3(secret, method, uri, body, timestamp).encode("ascii")
    return hmac.compare_digest(expected, given)


def parse_webhook_body(body: bytes) -> list[dict]:
    """Decode a webhook request body: a JSON array of objects."""
    try:
        data = json.loads(bytes(body).decode("utf-8"))
    except UnicodeDecodeError:
        raise FormatError("the webhook body is not UTF-8 encoded") from None
    except (ValueError, RecursionError) as exc:
        raise FormatError(f"the webhook body is not valid JSON: {str(exc)[:100]}") from None
    if not isinstance(data, list):
        raise FormatError(
            f"the webhook body must be a JSON array of events, not {type(data).__name__}"
        )
    for i, item in enumerate(data, start=1):
        if not isinstance(item, dict):
            raise FormatError(f"event {i} of the webhook body is not a JSON object")
    return data


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit() and len(value.strip()) <= 20:
        return int(value.strip())
    return None


def map_webhook_event(item: dict, *, index: int = 0) -> ParsedEvent | None | RowIssue:
    """Map one webhook event to a ``ParsedEvent``, ``None`` (ignored) or a ``RowIssue``."""
    if not isinstance(item, dict):
        return RowIssue(index, "", "the event is not a JSON object")
    sub = item.get("subscriptionType")
    if sub in ("object.creation", "object.propertyChange"):
        if str(item.get("objectTypeId", "")) != CONTACT_OBJECT_TYPE:
            return None
        sub = "contact." + sub.split(".", 1)[1]
    if sub not in ("contact.creation", "contact.propertyChange"):
        return None
    prop = item.get("propertyName")
    if sub == "contact.propertyChange" and prop not in (
        "lifecyclestage",
        "hs_lead_status",
        "hubspot_owner_id",
    ):
        return None

    event_id = _as_int(item.get("eventId"))
    if event_id is None:
        return RowIssue(index, "eventId", "eventId is missing or not an integer")
    object_id = _as_int(item.get("objectId"))
    if object_id is None:
        return RowIssue(index, "objectId", "objectId is missing or not an integer")
    occurred_ms = _as_int(item.get("occurredAt"))
    try:
        if occurred_ms is None:
            raise ValueError
        occurred_at = _EPOCH + timedelta(milliseconds=occurred_ms)
    except (ValueError, OverflowError):
        return RowIssue(index, "occurredAt", "occurredAt is missing or not epoch milliseconds")

    def event(kind: str, **extra) -> ParsedEvent:
        return ParsedEvent(
            row=index,
            source=SOURCE,
            event_id=f"webhook:{event_id}",
            lead_external_id=str(object_id),
            kind=kind,
            occurred_at=occurred_at,
            **extra,
        )

    if sub == "contact.creation":
        return event("created")

    raw = item.get("propertyValue")
    value = "" if raw is None else str(raw).strip()
    if prop == "hubspot_owner_id":
        return event("owner_changed", outcome=value[:255])
    if not value:
        return None
    if prop == "lifecyclestage":
        stage = LIFECYCLE_STAGES.get(value.lower())
        if stage is None:
            return RowIssue(
                index,
                "propertyValue",
                f"lifecycle stage {value[:40]!r} has no portal stage; ignored",
                "warning",
            )
        return event("stage_changed", to_stage=stage, requested=f"lifecyclestage = {value[:40]}")
    # hs_lead_status
    status = value.upper()
    if status in LEAD_STATUS_ATTEMPTS:
        return event("contact_attempt", channel="other", outcome=status)
    if status in LEAD_STATUS_STAGES:
        return event(
            "stage_changed",
            to_stage=LEAD_STATUS_STAGES[status],
            requested=f"hs_lead_status = {status}",
            reason_candidates=LEAD_STATUS_REASONS.get(status, ()),
        )
    if status in LEAD_STATUS_IGNORED:
        return None
    return RowIssue(
        index,
        "propertyValue",
        f"lead status {value[:40]!r} has no portal meaning; ignored",
        "warning",
    )
