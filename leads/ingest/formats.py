"""Parse the portal's import formats into plain records (no models, no database;
messages go through Django's gettext when they are made, in the active language).

Two CSV formats are read here (see docs/formats.md):

* ``iter_events_csv``: the portal's own events CSV (one event a row);
* ``iter_hubspot_csv``: HubSpot's contacts export (one contact a row, which
  becomes a ``created`` event plus one ``stage_changed`` event per non-empty
  ``Became a ... Date`` column).

Both are generators that stream the binary upload: the file is read in chunks
of ``csvread.CHUNK_BYTES`` and parsed row by row, so memory does not grow with the
file size. They yield ``ParsedEvent`` for good rows and ``RowIssue`` for
problems; a row with at least one *error* yields its issues and no event,
while good rows keep coming through. Whole-file problems raise
``FormatError`` (a ``ValueError``) with a message meant for the uploader.
Because parsing is lazy, every exception (including a bad ``default_tz``)
is raised on the first ``next()``, and a ``FormatError`` may in rare cases be
raised after some rows were already yielded (a physical line longer than
``csvread.MAX_LINE_BYTES``); callers that need all-or-nothing should import in a
transaction.

Choices made:

* **Row numbers** are those a spreadsheet user sees: the header is row 1, the
  first record row 2. They count CSV records, so a quoted value spanning
  several lines still counts as one row. Blank rows are skipped but counted.
* **Encoding**: UTF-8, with or without BOM. A UTF-16 BOM, or invalid UTF-8 in
  the first ``csvread.SNIFF_BYTES`` of the file, is a ``FormatError`` naming the line
  and byte (the whole file is most likely in another encoding). Invalid UTF-8
  further down is an error ``RowIssue`` for the row that holds it.
* **Not a CSV**: NUL bytes or a well-known binary signature (PNG, JPEG, GIF,
  PDF, ZIP/XLSX, legacy XLS, gzip) at the start raise ``FormatError``, as does
  a header that has no comma at all.
* **Columns**: header names are matched case-insensitively after trimming
  spaces; unknown columns are ignored; a missing required column raises
  ``FormatError`` listing all missing ones. Duplicate known columns are a
  ``FormatError``. A row with more values than the header is an error unless
  the extra values are empty (trailing commas); missing trailing values are
  read as empty.
* **Values** are trimmed of surrounding whitespace (this also removes a
  leading tab or carriage return). ``kind``, ``to_stage`` and ``channel`` are
  lower-cased and checked against ``KINDS``, ``STAGES`` and ``CHANNELS``.
  ``to_stage``/``channel`` given for a kind that does not use them are
  dropped with a warning.
* **Lengths**: each column has a limit (``LIMITS``: 255 for names and
  company, 5000 for the note, ...); a longer value is an error stating the
  limit and the actual length. ``csv.field_size_limit`` is raised (process
  wide) to ``csvread.MAX_LINE_BYTES`` so that the ``csv`` module never raises on a big
  field before our own check; any remaining ``csv.Error`` becomes a row error.
* **Spreadsheet-formula injection**: a free-text value (outcome, reason code,
  note, lead attributes) that looks like a formula once trimmed, i.e. starts
  with ``=``, or with ``@`` followed by a letter (``@SUM(``, ``@cmd``), or with
  ``+``/``-`` followed by a function call, a cell reference or a DDE pipe
  (``+SUM(A1)``, ``-A1+B2``, ``-cmd|' /C calc'!A0``), is **kept** but stored
  neutralised with a leading single quote (``'=HYPERLINK(...)``), and a
  *warning* ``RowIssue`` is yielded. Ordinary values such as ``-5``,
  ``+33 1 23 45 67 89``, ``- called back`` or ``@ 10am`` are left alone. We
  neutralise rather than reject because such text can be legitimate (notes
  quoting a formula) and losing an event would skew the SLA numbers; the
  quote makes it inert if the value is ever exported to a spreadsheet.
  Identifiers (source, ids) and emails are not rewritten: identifiers are
  kept verbatim, and emails that look like formulas fail email validation.
* **Timestamps**: ISO 8601 extended format with a time of day
  (``2026-03-02T16:30:00+01:00``, ``...Z``, ``2026-03-02 16:30``); a value
  without offset is read in ``default_tz`` (an IANA name; at a DST overlap the
  first occurrence is used). A date without time is an error. Results are
  aware datetimes in UTC.
* **Emails**: a malformed ``actor_email`` is an error; a malformed lead
  ``email`` (or HubSpot ``Contact owner``) is a warning and the attribute is
  dropped, since the event itself is still valid.
* **HubSpot export**: ``Record ID`` and ``Create Date`` columns are required.
  Source is ``hubspot``, the event ids are ``{record_id}:created`` and
  ``{record_id}:{stage}`` (stable across exports). ``Lifecycle Stage`` and
  ``Lead Status`` carry no date and produce no event. A contact's events are
  yielded in chronological order (ties: created, lead, mql, sql, opportunity,
  won), each carrying the contact's lead attributes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

# Messages are for the uploader, in their language: gettext at call time (the parser
# itself stays free of models and settings), named placeholders for translators.

KINDS = ("created", "stage_changed", "contact_attempt", "score_changed", "owner_changed", "note")
STAGES = (
    "lead",
    "mql",
    "sal",
    "sql",
    "opportunity",
    "won",
    "lost",
    "recycled",
    "disqualified",
)
CHANNELS = ("phone", "email", "video", "meeting", "other")


EVENT_COLUMNS = (
    "source",
    "event_id",
    "lead_external_id",
    "kind",
    "occurred_at",
    "actor_email",
    "to_stage",
    "channel",
    "outcome",
    "reason_code",
    "note",
    "email",
    "first_name",
    "last_name",
    "company",
    "job_title",
    "industry",
    "company_size",
    "lead_source",
)
EVENT_REQUIRED = ("source", "event_id", "lead_external_id", "kind", "occurred_at")
LEAD_COLUMNS = (
    "email",
    "first_name",
    "last_name",
    "company",
    "job_title",
    "industry",
    "company_size",
    "lead_source",
)
# Free-text columns checked for spreadsheet formulas.
TEXT_COLUMNS = frozenset(
    {
        "outcome",
        "reason_code",
        "note",
        "first_name",
        "last_name",
        "company",
        "job_title",
        "industry",
        "company_size",
        "lead_source",
    }
)

LIMITS = {
    "source": 64,
    "event_id": 255,
    "lead_external_id": 255,
    "kind": 32,
    "occurred_at": 64,
    "actor_email": 254,
    "to_stage": 32,
    "channel": 32,
    "outcome": 255,
    "reason_code": 64,
    "note": 5000,
    "email": 254,
    "first_name": 255,
    "last_name": 255,
    "company": 255,
    "job_title": 255,
    "industry": 255,
    "company_size": 64,
    "lead_source": 255,
    "owner_email": 254,
}

# HubSpot export label -> our name. Labels are matched case-insensitively.
HUBSPOT_LEAD_COLUMNS = {
    "First Name": "first_name",
    "Last Name": "last_name",
    "Email": "email",
    "Company Name": "company",
    "Job Title": "job_title",
    "Industry": "industry",
    "Original Source": "lead_source",
    "Contact owner": "owner_email",
}
HUBSPOT_STAGE_COLUMNS = {
    "Became a Lead Date": "lead",
    "Became a Marketing Qualified Lead Date": "mql",
    "Became a Sales Qualified Lead Date": "sql",
    "Became an Opportunity Date": "opportunity",
    "Became a Customer Date": "won",
}
HUBSPOT_REQUIRED = ("Record ID", "Create Date")
HUBSPOT_SOURCE = "hubspot"

Severity = Literal["error", "warning"]


class FormatError(ValueError):
    """The whole upload is unusable (empty, not CSV, wrong encoding, columns missing)."""


@dataclass(slots=True)
class ParsedEvent:
    row: int
    source: str
    event_id: str
    lead_external_id: str
    kind: str
    occurred_at: datetime
    actor_email: str = ""
    to_stage: str = ""
    channel: str = ""
    outcome: str = ""
    reason_code: str = ""
    note: str = ""
    lead: dict[str, str] = field(default_factory=dict)
    # Live sources only (the webhook): what the source asked for, in its own words
    # ("hs_lead_status = UNQUALIFIED"), and reason codes that fit an exit the source sent
    # without one (the first the governing version lists is used).
    requested: str = ""
    reason_candidates: tuple[str, ...] = ()


@dataclass(slots=True)
class RowIssue:
    row: int
    column: str
    message: str
    severity: Severity = "error"
