"""Parse the portal's import formats into plain records (no models, no database;
messages go through Django's gettext when they are made, in the active language).

Two CSV formats are read here (see ``shared/FORMATS.md``):

* ``iter_events_csv``: the portal's own events CSV (one event a row);
* ``iter_hubspot_csv``: HubSpot's contacts export (one contact a row, which
  becomes a ``created`` event plus one ``stage_changed`` event per non-empty
  ``Became a ... Date`` column).

Both are generators that stream the binary upload: the file is read in chunks
of ``CHUNK_BYTES`` and parsed row by row, so memory does not grow with the
file size. They yield ``ParsedEvent`` for good rows and ``RowIssue`` for
problems; a row with at least one *error* yields its issues and no event,
while good rows keep coming through. Whole-file problems raise
``FormatError`` (a ``ValueError``) with a message meant for the uploader.
Because parsing is lazy, every exception (including a bad ``default_tz``)
is raised on the first ``next()``, and a ``FormatError`` may in rare cases be
raised after some rows were already yielded (a physical line longer than
``MAX_LINE_BYTES``); callers that need all-or-nothing should import in a
transaction.

Choices made:

* **Row numbers** are those a spreadsheet user sees: the header is row 1, the
  first record row 2. They count CSV records, so a quoted value spanning
  several lines still counts as one row. Blank rows are skipped but counted.
* **Encoding**: UTF-8, with or without BOM. A UTF-16 BOM, or invalid UTF-8 in
  the first ``SNIFF_BYTES`` of the file, is a ``FormatError`` naming the line
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
  wide) to ``MAX_LINE_BYTES`` so that the ``csv`` module never raises on a big
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

import codecs
import csv
import operator
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import BinaryIO, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# Messages are for the uploader, in their language: gettext at call time (the parser
# itself stays free of models and settings), named placeholders for translators.
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

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

CHUNK_BYTES = 64 * 1024
SNIFF_BYTES = 64 * 1024
MAX_LINE_BYTES = 2 * 1024 * 1024

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


# --------------------------------------------------------------------------- helpers

_BINARY_SIGNATURES = (
    (b"\x89PNG", gettext_noop("a PNG image")),
    (b"\xff\xd8\xff", gettext_noop("a JPEG image")),
    (b"GIF8", gettext_noop("a GIF image")),
    (b"%PDF", gettext_noop("a PDF document")),
    (
        b"PK\x03\x04",
        gettext_noop("a ZIP archive (an .xlsx workbook is one: export it as CSV UTF-8)"),
    ),
    (b"\xd0\xcf\x11\xe0", gettext_noop("a legacy Excel/Office file (export it as CSV UTF-8)")),
    (b"\x1f\x8b", gettext_noop("a gzip archive")),
)

_FORMULA_RE = re.compile(
    r"""^(?:
        =.                                   # =anything
      | @[A-Za-z_]                           # @SUM(, @cmd
      | [+\-]\s*[A-Za-z_][\w.]*\s*\(         # +SUM(, -HYPERLINK(
      | [+\-]\s*\$?[A-Za-z]{1,3}\$?\d+\b     # +A1, -$B$2
      | [+\-=@].*\|                          # DDE: -cmd|' /C calc'!A0
      | [+\-]\s*[=@]                         # +=1, -@x
    )""",
    re.VERBOSE | re.DOTALL,
)
# The first characters a (trimmed) formula can start with: a value starting with none of
# them is never one, which lets the events fast path skip ``_FORMULA_RE``.
_FORMULA_FIRST = "=+-@\t\r"
_EMAIL_RE = re.compile(r"^[^@\s,;:<>()\[\]\"'=+]+@[^@\s,;:<>()\[\]\"']+\.[A-Za-z0-9-]{2,}$")
_DATETIME_SHAPE = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


def looks_like_formula(value: str) -> bool:
    """True when a (trimmed) text value would be run as a formula by a spreadsheet."""
    return bool(value) and value[0] in _FORMULA_FIRST and bool(_FORMULA_RE.match(value.strip()))


def neutralise(value: str) -> str:
    """Make a formula-looking value inert for spreadsheets (leading single quote)."""
    return "'" + value


def _show(value: str, limit: int = 40) -> str:
    """A value quoted for a message, truncated."""
    value = value.replace("\r", "\\r").replace("\n", "\\n")
    if len(value) > limit:
        value = value[:limit] + "…"
    return f"'{value}'"


def _zone(default_tz: str) -> ZoneInfo:
    try:
        return ZoneInfo(default_tz)
    except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
        raise ValueError(
            _("unknown time zone %(tz)s (use an IANA name such as 'UTC' or 'Europe/Paris')")
            % {"tz": repr(default_tz)}
        ) from exc


def parse_timestamp(value: str, tz: ZoneInfo) -> datetime:
    """Parse an ISO 8601 date-time (offset optional, read in ``tz``) to aware UTC."""
    if not _DATETIME_SHAPE.match(value):
        raise ValueError("shape")
    dt = datetime.fromisoformat(value)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=tz)
    return dt.astimezone(UTC)


class _Lines:
    """Iterate the decoded lines of a binary stream, reading it in chunks.

    Lines keep their terminators (as ``csv`` wants with ``newline=''``).
    ``line_no`` is the physical line number of the last line produced;
    ``bad_bytes`` collects (line_no, message) for lines that were not UTF-8
    (those lines are decoded with replacement characters).
    """

    def __init__(self, stream: BinaryIO):
        self._stream = stream
        self.line_no = 0
        self.bad: list[tuple[int, str]] = []
        self._buf = b""
        self._eof = False

    def _read(self) -> bytes:
        chunk = self._stream.read(CHUNK_BYTES)
        if not chunk:
            self._eof = True
            return b""
        return chunk

    def sniff(self) -> None:
        """Read the first bytes and reject empty, binary or non-UTF-8 uploads."""
        while len(self._buf) < SNIFF_BYTES and not self._eof:
            self._buf += self._read()
        head = self._buf
        if head.startswith(codecs.BOM_UTF8):
            head = head[len(codecs.BOM_UTF8) :]
            self._buf = head
        if not head.strip():
            raise FormatError(_("the file is empty: expected a CSV file with a header row"))
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            raise FormatError(
                _(
                    "the file is UTF-16 encoded: save it as 'CSV UTF-8 (comma delimited)' "
                    "and upload again"
                )
            )
        for magic, what in _BINARY_SIGNATURES:
            if head.startswith(magic):
                raise FormatError(_("not a CSV file: this looks like %(what)s") % {"what": _(what)})
        if b"\x00" in head:
            raise FormatError(_("not a CSV file: it contains binary data (NUL bytes)"))
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as exc:
            # A multi-byte sequence cut by the sniff boundary is fine.
            if not (exc.end == len(head) and exc.reason == "unexpected end of data"):
                line = head.count(b"\n", 0, exc.start) + 1
                raise FormatError(
                    _(
                        "the file is not UTF-8 encoded (byte 0x%(byte)s on line %(line)d): "
                        "save it as 'CSV UTF-8 (comma delimited)' and upload again"
                    )
                    % {"byte": f"{head[exc.start]:02x}", "line": line}
                ) from None

    def _too_long(self) -> FormatError:
        return FormatError(
            _("line %(line)d is longer than %(mb)d MB: this is not a CSV file the portal can read")
            % {"line": self.line_no + 1, "mb": MAX_LINE_BYTES // (1024 * 1024)}
        )

    @staticmethod
    def _clean_run(buf: bytes, pos: int, end: int) -> tuple[list[str], int]:
        """The lines (without "\\n") of ``buf[pos:end]``, complete lines, that come
        before the first one with a NUL or invalid UTF-8, and where they end. Each
        search stops at the first problem, so problem lines cost no more than before."""
        nul = buf.find(b"\x00", pos, end)
        if nul >= 0:
            end = buf.rfind(b"\n", pos, nul) + 1
            if end <= pos:
                return [], pos
        try:
            text = str(memoryview(buf)[pos:end], "utf-8")
        except UnicodeDecodeError as exc:
            end = buf.rfind(b"\n", pos, pos + exc.start) + 1
            if end <= pos:
                return [], pos
            text = str(memoryview(buf)[pos:end], "utf-8")
        lines = text.split("\n")
        lines.pop()  # the "" after the last "\n"
        return lines, end

    def __iter__(self) -> Iterator[str]:
        buf, pos = self._buf, 0
        self._buf = b""
        while True:
            idx = buf.find(b"\n", pos)
            while idx < 0 and not self._eof:
                if len(buf) - pos > MAX_LINE_BYTES:
                    raise self._too_long()
                buf, pos = buf[pos:], 0  # one copy per chunk, not per line
                start = len(buf)
                buf += self._read()
                idx = buf.find(b"\n", start)
            if idx < 0:
                raw, buf, pos = buf[pos:], b"", 0
                if not raw:
                    return
            else:
                # Fast path: the complete lines from here on, up to the first one with
                # invalid UTF-8 or a NUL, decoded in one go and split at "\n" (a b"\n"
                # is never part of a UTF-8 sequence). Problem lines, and all lines
                # when the run is longer than MAX_LINE_BYTES, go one at a time below.
                end = buf.rfind(b"\n", idx) + 1
                if end - pos <= MAX_LINE_BYTES:
                    clean, clean_end = self._clean_run(buf, pos, end)
                    if clean:
                        pos = clean_end
                        for text in clean:
                            self.line_no += 1
                            yield text + "\n"
                        continue
                raw, pos = buf[pos : idx + 1], idx + 1
            if len(raw) > MAX_LINE_BYTES:
                raise self._too_long()
            self.line_no += 1
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                self.bad.append(
                    (
                        self.line_no,
                        _(
                            "not valid UTF-8 (byte 0x%(byte)s at character %(position)d "
                            "of the line): save the file as 'CSV UTF-8'"
                        )
                        % {"byte": f"{raw[exc.start]:02x}", "position": exc.start + 1},
                    )
                )
                text = raw.decode("utf-8", errors="replace")
            if "\x00" in text:
                self.bad.append((self.line_no, _("contains a NUL character")))
                text = text.replace("\x00", "")
            yield text


def _ensure_field_limit() -> None:
    if csv.field_size_limit() < MAX_LINE_BYTES:
        csv.field_size_limit(MAX_LINE_BYTES)


def _iter_rows(
    stream: BinaryIO, required: Iterable[str], known: Iterable[str]
) -> Iterator[tuple[int, dict[str, str] | None, list[RowIssue]]]:
    """Yield (row, values-by-known-column or None, issues) for each non-blank record.

    ``known`` names are matched case-insensitively; the returned dict is keyed
    by the names as given in ``known`` (every one of them: "" for a column the
    header lacks). Values are raw (untrimmed).
    """
    known = tuple(known)
    for row, values, issues in _iter_row_values(stream, required, known):
        yield row, (None if values is None else dict(zip(known, values, strict=True))), issues


def _iter_row_values(
    stream: BinaryIO, required: Iterable[str], known: tuple[str, ...]
) -> Iterator[tuple[int, tuple[str, ...] | None, list[RowIssue]]]:
    """Yield (row, values or None, issues) for each non-blank record: the raw
    (untrimmed) values in the order of ``known``, "" for a column the header
    lacks or the row leaves out (a tuple is cheaper to make than a dict)."""
    _ensure_field_limit()
    lines = _Lines(stream)
    lines.sniff()
    reader = csv.reader(iter(lines), dialect="excel", strict=False)
    try:
        header = next(reader)
    except StopIteration:
        raise FormatError(_("the file is empty: expected a CSV file with a header row")) from None
    except csv.Error as exc:
        raise FormatError(
            _("the header row cannot be read as CSV: %(error)s") % {"error": exc}
        ) from None
    if lines.bad:
        raise FormatError(_("the header row is %(problem)s") % {"problem": lines.bad[0][1]})
    by_lower = {name.lower(): name for name in known}
    index: dict[str, int] = {}
    for i, label in enumerate(header):
        key = by_lower.get(label.strip().lower())
        if key is None:
            continue
        if key in index:
            raise FormatError(_("the header has the column '%(column)s' twice") % {"column": key})
        index[key] = i
    missing = [name for name in required if name not in index]
    if missing:
        if len(header) <= 1:
            raise FormatError(
                _(
                    "not a CSV file: the first line has no comma-separated column names "
                    "(expected columns: %(columns)s)"
                )
                % {"columns": ", ".join(required)}
            )
        raise FormatError(
            ngettext(
                "missing required column: %(columns)s (the header has: %(header)s)",
                "missing required columns: %(columns)s (the header has: %(header)s)",
                len(missing),
            )
            % {
                "columns": ", ".join(missing),
                "header": ", ".join(h.strip() for h in header)[:300],
            }
        )
    # One C-level getter picks the known columns out of a row. A row shorter than
    # ``need`` is padded with "" first; a known column the header lacks reads the ""
    # appended after that (position -1).
    positions = [index.get(name, -1) for name in known]
    need = max(positions) + 1
    pick = operator.itemgetter(*positions)
    width = len(header)
    bad = lines.bad
    row = 1
    while True:
        n_bad = len(bad)
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            row += 1
            yield (
                row,
                None,
                [RowIssue(row, "", _("cannot be read as CSV: %(error)s") % {"error": exc})],
            )
            continue
        row += 1
        if len(bad) > n_bad:
            issues = [RowIssue(row, "", msg) for _line, msg in bad[n_bad:]]
            del bad[n_bad:]
        else:
            issues = []
        if not issues and not any(map(str.strip, values)):
            continue  # blank row
        if len(values) > width and any(map(str.strip, values[width:])):
            issues.append(
                RowIssue(
                    row,
                    "",
                    _("the row has %(values)d values but the header has %(columns)d columns")
                    % {"values": len(values), "columns": width},
                )
            )
        if len(values) < need:
            values += [""] * (need - len(values))
        values.append("")
        yield row, pick(values), issues


class _RowCheck:
    """Collects issues for one row while cleaning its values."""

    def __init__(self, row: int):
        self.row = row
        self.issues: list[RowIssue] = []

    @property
    def ok(self) -> bool:
        return not any(i.severity == "error" for i in self.issues)

    def error(self, column: str, message: str) -> None:
        self.issues.append(RowIssue(self.row, column, message, "error"))

    def warn(self, column: str, message: str) -> None:
        self.issues.append(RowIssue(self.row, column, message, "warning"))

    def text(
        self, column: str, raw: str, *, label: str | None = None, limit_key: str | None = None
    ) -> str:
        label = label or column
        value = raw.strip()
        limit = LIMITS.get(limit_key or column, 255)
        if len(value) > limit:
            self.error(
                label,
                _("%(column)s is %(length)d characters long; the limit is %(limit)d")
                % {"column": label, "length": len(value), "limit": limit},
            )
            return ""
        if (limit_key or column) in TEXT_COLUMNS and looks_like_formula(value):
            self.warn(
                label,
                _(
                    "%(column)s %(value)s looks like a spreadsheet formula; "
                    "it was kept with a leading ' so it cannot run"
                )
                % {"column": label, "value": _show(value)},
            )
            value = neutralise(value)
        return value

    def required(self, column: str, raw: str) -> str:
        value = self.text(column, raw)
        if not value and len(raw.strip()) <= LIMITS.get(column, 255):
            self.error(column, _("%(column)s is required") % {"column": column})
        return value

    def choice(self, column: str, raw: str, allowed: tuple[str, ...]) -> str:
        value = self.text(column, raw).lower()
        if value and value not in allowed:
            self.error(
                column,
                _("%(column)s %(value)s is not one of: %(allowed)s")
                % {"column": column, "value": _show(value), "allowed": ", ".join(allowed)},
            )
            return ""
        return value

    def email(self, column: str, raw: str, *, label: str | None = None, strict: bool) -> str:
        label = label or column
        value = self.text(column, raw, label=label)
        if value and not _EMAIL_RE.match(value):
            values = {"column": label, "value": _show(value)}
            if strict:
                self.error(label, _("%(column)s %(value)s is not a valid email address") % values)
            else:
                self.warn(
                    label,
                    _("%(column)s %(value)s is not a valid email address; it was ignored") % values,
                )
            return ""
        return value.lower() if strict else value

    def timestamp(
        self, column: str, raw: str, tz: ZoneInfo, *, label: str | None = None
    ) -> datetime | None:
        label = label or column
        value = raw.strip()
        try:
            return parse_timestamp(value, tz)
        except (ValueError, OverflowError):
            self.error(
                label,
                _(
                    "%(column)s %(value)s is not an ISO 8601 date and time (expected e.g. "
                    "2026-03-02T16:30:00+01:00, 2026-03-02T15:30:00Z or 2026-03-02 16:30)"
                )
                % {"column": label, "value": _show(value)},
            )
            return None


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
