"""HubSpot's contacts export (one contact a row): a `created` event plus one `stage_changed` event per non-empty `Became a ... Date` column, in chronological order, each carrying the contact's lead attributes (docs/formats.md#hubspot-contacts-export)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import BinaryIO

# Messages are for the uploader, in their language: gettext at call time (the parser
# itself stays free of models and settings), named placeholders for translators.
from django.utils.translation import gettext as _

from leads.ingest.csvread import _iter_rows, _RowCheck, _zone
from leads.ingest.formats import (
    HUBSPOT_LEAD_COLUMNS,
    HUBSPOT_REQUIRED,
    HUBSPOT_SOURCE,
    HUBSPOT_STAGE_COLUMNS,
    LIMITS,
    ParsedEvent,
    RowIssue,
)

# --------------------------------------------------------------------------- HubSpot export

_HUBSPOT_ORDER = {"created": 0, "lead": 1, "mql": 2, "sql": 3, "opportunity": 4, "won": 5}


def iter_hubspot_csv(
    stream: BinaryIO, *, default_tz: str = "UTC"
) -> Iterator[ParsedEvent | RowIssue]:
    """Stream a HubSpot contacts export as ``ParsedEvent`` / ``RowIssue`` records."""
    tz = _zone(default_tz)
    known = (*HUBSPOT_REQUIRED, *HUBSPOT_LEAD_COLUMNS, *HUBSPOT_STAGE_COLUMNS)
    for row, rec, issues in _iter_rows(stream, HUBSPOT_REQUIRED, known):
        if rec is None:
            yield from issues
            continue
        chk = _RowCheck(row)
        chk.issues.extend(issues)
        record_id = chk.text("lead_external_id", rec.get("Record ID", ""), label="Record ID")
        if not record_id and len(rec.get("Record ID", "").strip()) <= LIMITS["lead_external_id"]:
            chk.error("Record ID", _("%(column)s is required") % {"column": "Record ID"})
        lead: dict[str, str] = {}
        for label, name in HUBSPOT_LEAD_COLUMNS.items():
            raw = rec.get(label, "")
            if name in ("email", "owner_email"):
                value = chk.email(name, raw, label=label, strict=False)
            else:
                value = chk.text(name, raw, label=label)
            if value:
                lead[name] = value
        dated: list[tuple[datetime, int, str]] = []
        for label, step in (("Create Date", "created"), *HUBSPOT_STAGE_COLUMNS.items()):
            raw = rec.get(label, "")
            if not raw.strip():
                continue
            when = chk.timestamp(label, raw, tz, label=label)
            if when is not None:
                dated.append((when, _HUBSPOT_ORDER[step], step))
        if chk.ok and not dated:
            chk.warn(
                "Create Date",
                _("the contact has no Create Date and no 'Became a ... Date': nothing to import"),
            )
        yield from chk.issues
        if not chk.ok:
            continue
        dated.sort()
        for when, _order, step in dated:
            if step == "created":
                kind, to_stage = "created", ""
            else:
                kind, to_stage = "stage_changed", step
            yield ParsedEvent(
                row=row,
                source=HUBSPOT_SOURCE,
                event_id=f"{record_id}:{step}",
                lead_external_id=record_id,
                kind=kind,
                occurred_at=when,
                to_stage=to_stage,
                lead=dict(lead),
            )
