"""Factories for leads tests: parsed events as importers produce them."""

import datetime as dt
import itertools

from leads.ingest.formats import ParsedEvent

_counter = itertools.count(1)


def parsed(
    external_id: str = "L1",
    kind: str = "created",
    at: dt.datetime | None = None,
    *,
    source: str = "crm",
    event_id: str | None = None,
    **fields,
) -> ParsedEvent:
    n = next(_counter)
    return ParsedEvent(
        row=fields.pop("row", n),
        source=source,
        event_id=event_id or f"ev-{n}",
        lead_external_id=external_id,
        kind=kind,
        occurred_at=at or dt.datetime(2026, 1, 5, 10, tzinfo=dt.UTC),
        **fields,
    )
