"""Reading a CSV upload as a stream: encoding and binary sniffing, physical lines of bounded length, CSV records with spreadsheet row numbers, and the per-row checks every format shares (limits, formulas, emails, timestamps). The choices are in leads.ingest.formats; the formats themselves in docs/formats.md."""

from __future__ import annotations

import codecs
import csv
import operator
import re
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import BinaryIO
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# Messages are for the uploader, in their language: gettext at call time (the parser
# itself stays free of models and settings), named placeholders for translators.
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from leads.ingest.formats import (
    LIMITS,
    TEXT_COLUMNS,
    FormatError,
    RowIssue,
)
from portal.csvsafe import FORMULA_FIRST, FORMULA_RE, looks_like_formula, neutralise

__all__ = ["looks_like_formula", "neutralise"]  # the one rule, where the formats use it

CHUNK_BYTES = 64 * 1024  # read this much of the upload at a time
SNIFF_BYTES = 64 * 1024  # look this far for a wrong encoding or a binary file
MAX_LINE_BYTES = 2 * 1024 * 1024  # a longer physical line is a FormatError

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

# Formulas: one rule for the portal (portal.csvsafe), named here as the formats use it.
_FORMULA_RE = FORMULA_RE
_FORMULA_FIRST = FORMULA_FIRST
_EMAIL_RE = re.compile(r"^[^@\s,;:<>()\[\]\"'=+]+@[^@\s,;:<>()\[\]\"']+\.[A-Za-z0-9-]{2,}$")
_DATETIME_SHAPE = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


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
