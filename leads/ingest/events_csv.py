"""The portal's own events CSV (one event a row): `iter_events_csv` streams an upload into `ParsedEvent` and `RowIssue` records; clean rows take a fast path that checks only what can be wrong with them (docs/formats.md#events-csv)."""

from __future__ import annotations

import operator
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import BinaryIO
from zoneinfo import ZoneInfo

# Messages are for the uploader, in their language: gettext at call time (the parser
# itself stays free of models and settings), named placeholders for translators.
from django.utils.translation import gettext as _

from leads.ingest.csvread import (
    _EMAIL_RE,
    _FORMULA_FIRST,
    _iter_row_values,
    _RowCheck,
    _zone,
    parse_timestamp,
)
from leads.ingest.formats import (
    CHANNELS,
    EVENT_COLUMNS,
    EVENT_REQUIRED,
    KINDS,
    LEAD_COLUMNS,
    LIMITS,
    STAGES,
    TEXT_COLUMNS,
    ParsedEvent,
    RowIssue,
)

# --------------------------------------------------------------------------- events CSV


def iter_events_csv(
    stream: BinaryIO, *, default_tz: str = "UTC"
) -> Iterator[ParsedEvent | RowIssue]:
    """Stream the portal's events CSV as ``ParsedEvent`` / ``RowIssue`` records."""
    yield from _event_records(_iter_row_values(stream, EVENT_REQUIRED, EVENT_COLUMNS), default_tz)


def iter_event_records(
    records: Iterable[tuple[int, dict[str, str] | None, list[RowIssue]]],
    *,
    default_tz: str = "UTC",
) -> Iterator[ParsedEvent | RowIssue]:
    """Check records of the events format, (row, raw values by column, issues so far),
    as ``ParsedEvent`` / ``RowIssue``: the rows of a CSV file, or the items of a bulk
    API request (which need no CSV round trip)."""
    yield from _event_records(_event_values(records), default_tz)


def _event_values(
    records: Iterable[tuple[int, dict[str, str] | None, list[RowIssue]]],
) -> Iterator[tuple[int, tuple[str, ...] | None, list[RowIssue]]]:
    """Records with values by column as records with values in ``EVENT_COLUMNS`` order."""
    for row, rec, issues in records:
        yield row, (None if rec is None else tuple(map(rec.get, EVENT_COLUMNS, _NO_VALUES))), issues


_NO_VALUES = ("",) * len(EVENT_COLUMNS)


def _event_records(
    rows: Iterable[tuple[int, tuple[str, ...] | None, list[RowIssue]]], default_tz: str
) -> Iterator[ParsedEvent | RowIssue]:
    """Rows with values in ``EVENT_COLUMNS`` order as ``ParsedEvent`` / ``RowIssue``."""
    tz = _zone(default_tz)
    clean_event = _CleanRows(tz).event
    for row, values, issues in rows:
        if values is None:
            yield from issues
            continue
        if not issues:
            event = clean_event(row, values)
            if event is not None:
                yield event
                continue
        yield from _check_event(row, dict(zip(EVENT_COLUMNS, values, strict=True)), issues, tz)


# The fast path. Nearly every row of an upload is clean, and checking it column by
# column with _RowCheck (a method call, a dict look-up and a few string operations
# per value) cost about 7 µs a row, most of the parse. _CleanRows only recognises
# rows that are obviously fine, mostly with C-level map/all/max over the values, and
# returns exactly the event _check_event would make of them; anything else (a value
# too long, a possible formula, a missing, unknown or unused value, a bad email or
# timestamp, a value that is not a str) gets None and _check_event decides, and
# words the issues. The rules stay in one place: the limits are LIMITS, formulas
# are _FORMULA_FIRST (the full test is looks_like_formula), emails are _EMAIL_RE
# and timestamps are parse_timestamp.
_LEAD_START = EVENT_COLUMNS.index(LEAD_COLUMNS[0])
assert EVENT_COLUMNS[_LEAD_START:] == LEAD_COLUMNS  # the lead columns come last


def _free_text(names: tuple[str, ...]) -> operator.itemgetter:
    return operator.itemgetter(*(i for i, name in enumerate(names) if name in TEXT_COLUMNS))


_EVENT_LIMITS = tuple(LIMITS[name] for name in EVENT_COLUMNS[:_LEAD_START])
_EVENT_SHORTEST = min(_EVENT_LIMITS)
_EVENT_FREE_TEXT = _free_text(EVENT_COLUMNS[:_LEAD_START])
_LEAD_LIMITS = tuple(LIMITS[name] for name in LEAD_COLUMNS)
_LEAD_SHORTEST = min(_LEAD_LIMITS)
_LEAD_FREE_TEXT = _free_text(LEAD_COLUMNS)
_LEAD_EMAIL = LEAD_COLUMNS.index("email")
_KIND_SET = frozenset(KINDS)
_STAGE_SET = frozenset(STAGES)
_CHANNEL_SET = frozenset(CHANNELS)
_CACHE_SIZE = 4096  # entries in each cache of _CleanRows


def _within_limits(values: tuple[str, ...], limits: tuple[int, ...], shortest: int) -> bool:
    # One max() settles the usual case where every value is short.
    return max(map(len, values)) <= shortest or all(map(operator.le, map(len, values), limits))


def _no_formula_start(values: tuple[str, ...]) -> bool:
    # A plain loop: most free-text values are empty, and the test is then one step.
    for value in values:
        if value and value[0] in _FORMULA_FIRST:
            return False
    return True


class _CleanRows:
    """The fast path for rows in ``EVENT_COLUMNS`` order (see above), with what it
    remembers from row to row: parsed timestamps, actor emails found valid (a few
    people do most of the work), and the lead columns of the last row whose lead
    columns were fine (an export has a lead's events one after another, all with the
    same lead columns). The caches are cleared when full, so memory stays bounded."""

    __slots__ = ("tz", "timestamps", "actors", "lead_raw", "lead")

    def __init__(self, tz: ZoneInfo):
        self.tz = tz
        self.timestamps: dict[str, datetime] = {}
        self.actors: dict[str, str] = {}  # as given -> as stored (lower case)
        self.lead_raw: tuple[str, ...] | None = None
        self.lead: dict[str, str] = {}

    def event(self, row: int, values: tuple[str, ...]) -> ParsedEvent | None:
        """The event of a row that passes every check without an issue, else None."""
        lead_raw = values[_LEAD_START:]
        if lead_raw != self.lead_raw:
            lead = self._lead(lead_raw)
            if lead is None:
                return None
            self.lead_raw, self.lead = lead_raw, lead
        try:
            trimmed = tuple(map(str.strip, values[:_LEAD_START]))
        except TypeError:  # not a str: _check_event fails the way it always did
            return None
        if not (
            _within_limits(trimmed, _EVENT_LIMITS, _EVENT_SHORTEST)
            and _no_formula_start(_EVENT_FREE_TEXT(trimmed))
        ):
            return None
        (
            source,
            event_id,
            lead_id,
            kind,
            occurred,
            actor,
            to_stage,
            channel,
            outcome,
            reason,
            note,
        ) = trimmed
        if not (source and event_id and lead_id and occurred):
            return None
        kind = kind.lower()
        if kind not in _KIND_SET:
            return None
        # to_stage and channel: the one kind that uses each needs a known value, and
        # any other kind none (given, it would be dropped with a warning).
        if kind == "stage_changed":
            to_stage = to_stage.lower()
            if to_stage not in _STAGE_SET:
                return None
        elif to_stage:
            return None
        if kind == "contact_attempt":
            channel = channel.lower()
            if channel not in _CHANNEL_SET:
                return None
        elif channel:
            return None
        if actor:
            known = self.actors.get(actor)
            if known is None:
                if not _EMAIL_RE.match(actor):
                    return None
                if len(self.actors) >= _CACHE_SIZE:
                    self.actors.clear()
                known = self.actors[actor] = actor.lower()
            actor = known
        occurred_at = self.timestamps.get(occurred)
        if occurred_at is None:
            try:
                occurred_at = parse_timestamp(occurred, self.tz)
            except (ValueError, OverflowError):
                return None
            if len(self.timestamps) >= _CACHE_SIZE:
                self.timestamps.clear()
            self.timestamps[occurred] = occurred_at
        # Positional, in field order (row, source, ..., note, lead): keywords cost
        # twice as much here.
        return ParsedEvent(
            row, source, event_id, lead_id, kind, occurred_at, actor, to_stage, channel,
            outcome, reason, note, self.lead.copy(),
        )  # fmt: skip

    @staticmethod
    def _lead(raw: tuple[str, ...]) -> dict[str, str] | None:
        """The lead attributes of clean lead columns (``LEAD_COLUMNS`` order), else None."""
        try:
            trimmed = tuple(map(str.strip, raw))
        except TypeError:
            return None
        if not (
            _within_limits(trimmed, _LEAD_LIMITS, _LEAD_SHORTEST)
            and _no_formula_start(_LEAD_FREE_TEXT(trimmed))
        ):
            return None
        email = trimmed[_LEAD_EMAIL]
        if email and not _EMAIL_RE.match(email):
            return None
        return {name: value for name, value in zip(LEAD_COLUMNS, trimmed, strict=True) if value}


def _check_event(
    row: int, rec: dict[str, str], issues: list[RowIssue], tz: ZoneInfo
) -> Iterator[ParsedEvent | RowIssue]:
    """Check one record value by value: its issues, then its event if it has no error."""
    chk = _RowCheck(row)
    chk.issues.extend(issues)
    source = chk.required("source", rec.get("source", ""))
    event_id = chk.required("event_id", rec.get("event_id", ""))
    lead_id = chk.required("lead_external_id", rec.get("lead_external_id", ""))
    kind = chk.choice("kind", rec.get("kind", ""), KINDS)
    if not kind and not rec.get("kind", "").strip():
        chk.error(
            "kind", _("kind is required (one of: %(allowed)s)") % {"allowed": ", ".join(KINDS)}
        )
    occurred_raw = rec.get("occurred_at", "")
    occurred_at = None
    if not occurred_raw.strip():
        chk.error("occurred_at", _("%(column)s is required") % {"column": "occurred_at"})
    else:
        occurred_at = chk.timestamp("occurred_at", occurred_raw, tz)
    actor = chk.email("actor_email", rec.get("actor_email", ""), strict=True)
    to_stage = chk.choice("to_stage", rec.get("to_stage", ""), STAGES)
    channel = chk.choice("channel", rec.get("channel", ""), CHANNELS)
    if kind == "stage_changed" and not to_stage and not rec.get("to_stage", "").strip():
        chk.error(
            "to_stage",
            _("to_stage is required for stage_changed (one of: %(allowed)s)")
            % {"allowed": ", ".join(STAGES)},
        )
    elif kind and kind != "stage_changed" and to_stage:
        chk.warn(
            "to_stage",
            _("to_stage is only used for stage_changed; ignored for %(kind)s") % {"kind": kind},
        )
        to_stage = ""
    if kind == "contact_attempt" and not channel and not rec.get("channel", "").strip():
        chk.error(
            "channel",
            _("channel is required for contact_attempt (one of: %(allowed)s)")
            % {"allowed": ", ".join(CHANNELS)},
        )
    elif kind and kind != "contact_attempt" and channel:
        chk.warn(
            "channel",
            _("channel is only used for contact_attempt; ignored for %(kind)s") % {"kind": kind},
        )
        channel = ""
    outcome = chk.text("outcome", rec.get("outcome", ""))
    reason = chk.text("reason_code", rec.get("reason_code", ""))
    note = chk.text("note", rec.get("note", ""))
    lead: dict[str, str] = {}
    for col in LEAD_COLUMNS:
        raw = rec.get(col, "")
        if col == "email":
            value = chk.email(col, raw, strict=False)
        else:
            value = chk.text(col, raw)
        if value:
            lead[col] = value
    yield from chk.issues
    if chk.ok and occurred_at is not None:
        yield ParsedEvent(
            row=row,
            source=source,
            event_id=event_id,
            lead_external_id=lead_id,
            kind=kind,
            occurred_at=occurred_at,
            actor_email=actor,
            to_stage=to_stage,
            channel=channel,
            outcome=outcome,
            reason_code=reason,
            note=note,
            lead=lead,
        )
