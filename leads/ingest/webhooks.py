"""HubSpot webhook (docs/formats.md#hubspot-webhook): POST /integrations/hubspot/webhook.

- Authenticated by signature v3 keyed with settings.HUBSPOT_CLIENT_SECRET; a wrong,
  missing or stale (> 5 minutes) signature answers 401 and stores nothing.
- Retries are idempotent: each HubSpot eventId is stored once (source "hubspot",
  event id "webhook:<eventId>").
- Moves are live portal moves, bound by the lifecycle rules (issue 5): a forbidden
  move, or a recycle/disqualification without a reason code of the version governing
  the lead's cycle, is not applied. It is stored instead as a `note` event (same event
  id, so a retry is stored once) saying what HubSpot asked for and why it was not
  applied, the lead is flagged for its owner, and the response lists it under
  `not_applied`. HubSpot sends exits without a reason: UNQUALIFIED and BAD_TIMING take
  a reason code the governing version lists, when one fits (hubspot.LEAD_STATUS_REASONS).
- Contacts are leads of the team pair named by settings.HUBSPOT_MARKETING_TEAM and
  HUBSPOT_SALES_TEAM (defaults "Marketing" and "Sales"): a lead of another pair with
  the same HubSpot id is another lead and is never touched (docs/security.md). New
  contacts belong to that pair's agreement; they are scored, and handed off and
  assigned when they reach the MQL threshold.
- The answer is 200 with counts whenever the signature is right, so HubSpot does not
  retry items that can never succeed; a body that is not a JSON array answers 400.
- Limits, each answered as JSON: a body over HUBSPOT_WEBHOOK_MAX_BYTES (or over Django's
  DATA_UPLOAD_MAX_MEMORY_SIZE) or with more than HUBSPOT_WEBHOOK_MAX_EVENTS events is a
  413 (HubSpot sends at most 100 events a request); more than
  HUBSPOT_WEBHOOK_UNSIGNED_LIMIT requests with a wrong signature from one address in a
  minute are refused 429 without checking the signature (counted in the shared cache; a
  cache outage lets requests through to the signature check, which still refuses them).
"""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponseNotAllowed, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from leads.derive import IngestContext
from leads.ingest import hubspot
from leads.ingest.formats import FormatError, ParsedEvent, RowIssue
from leads.ingest.store import lead_events_ingest
from portal.login_throttle import client_address
from portal.models import Team

log = logging.getLogger(__name__)


@csrf_exempt  # Signed by HubSpot instead; the only csrf-exempt endpoint of the portal.
def hubspot_webhook(request):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    unsigned_key = f"hubspot-webhook:unsigned:{client_address(request)}"
    if (cache.get(unsigned_key) or 0) >= settings.HUBSPOT_WEBHOOK_UNSIGNED_LIMIT:
        response = JsonResponse(
            {"detail": "too many requests with a wrong signature from this address"}, status=429
        )
        response["Retry-After"] = "60"
        return response
    too_big = JsonResponse(
        {"detail": f"the body is over {settings.HUBSPOT_WEBHOOK_MAX_BYTES} bytes"}, status=413
    )
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > settings.HUBSPOT_WEBHOOK_MAX_BYTES:
        return too_big
    try:
        body = request.body
    except RequestDataTooBig:
        return too_big
    if len(body) > settings.HUBSPOT_WEBHOOK_MAX_BYTES:
        return too_big
    ok = hubspot.verify_v3(
        settings.HUBSPOT_CLIENT_SECRET,
        request.method,
        request.build_absolute_uri(),
        body,
        request.headers.get("X-HubSpot-Request-Timestamp", ""),
        request.headers.get("X-HubSpot-Signature-v3", ""),
        now_ms=int(time.time() * 1000),
    )
    if not ok:
        cache.add(unsigned_key, 0, timeout=60)  # the minute starts at the first failure
        try:
            cache.incr(unsigned_key)
        except ValueError:  # it expired between add and incr
            cache.set(unsigned_key, 1, timeout=60)
        return JsonResponse({"detail": "invalid or expired signature"}, status=401)
    try:
        items = hubspot.parse_webhook_body(body)
    except FormatError as exc:
        return JsonResponse({"detail": str(exc)}, status=400)
    if len(items) > settings.HUBSPOT_WEBHOOK_MAX_EVENTS:
        return JsonResponse(
            {
                "detail": f"{len(items)} events in one request: send at most "
                f"{settings.HUBSPOT_WEBHOOK_MAX_EVENTS}"
            },
            status=413,
        )
    events: list[ParsedEvent] = []
    failures: list[dict] = []
    ignored = 0
    for index, item in enumerate(items, start=1):
        mapped = hubspot.map_webhook_event(item, index=index)
        if mapped is None:
            ignored += 1
        elif isinstance(mapped, RowIssue):
            if mapped.severity == "error":
                failures.append({"index": index, "message": mapped.message})
            else:
                ignored += 1
        else:
            events.append(mapped)
    created = duplicates = 0
    not_applied: list[dict] = []
    if events:
        marketing = Team.objects.filter(name=settings.HUBSPOT_MARKETING_TEAM).first()
        sales = Team.objects.filter(name=settings.HUBSPOT_SALES_TEAM).first()
        if marketing is None or sales is None:
            log.error(
                "HubSpot webhook: set HUBSPOT_MARKETING_TEAM / HUBSPOT_SALES_TEAM to team names"
            )
            return JsonResponse(
                {"detail": "the portal's HubSpot teams are not configured"}, status=503
            )
        context = IngestContext(
            marketing_team=marketing,
            sales_team=sales,
            mode="live",
            handoff_on_score=True,
        )
        result = lead_events_ingest(items=events, context=context)
        created, duplicates = result.created, result.duplicates
        failures += [{"index": f.index, "message": f.message} for f in result.failures]
        not_applied = [{"index": f.index, "message": f.message} for f in result.not_applied]
    if failures:
        log.warning("HubSpot webhook: %d events refused: %s", len(failures), failures[:5])
    if not_applied:
        log.info("HubSpot webhook: %d moves not applied: %s", len(not_applied), not_applied[:5])
    return JsonResponse(
        {
            "created": created,
            "duplicates": duplicates,
            "ignored": ignored,
            "failed": failures,
            "not_applied": not_applied,
        }
    )
