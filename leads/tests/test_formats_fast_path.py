"""The events parser's fast paths (``_CleanRows`` and the run decoding of ``_Lines``)
give exactly what the value-by-value checks give (no Django models, no database)."""

import io
import itertools
import random

import pytest

from leads.ingest import csvread, events_csv
from leads.ingest.events_csv import iter_event_records, iter_events_csv
from leads.ingest.formats import EVENT_COLUMNS, LEAD_COLUMNS, ParsedEvent, RowIssue

HEADER = ",".join(EVENT_COLUMNS)
GOOD = {
    "source": "crm",
    "event_id": "e1",
    "lead_external_id": "L1",
    "kind": "created",
    "occurred_at": "2026-03-02T16:30:00+01:00",
    "email": "ana@example.org",
    "first_name": "Ana",
    "company": "Acme",
}

# Values that each trip one check, or sit just inside one; the fast path must send every
# tripping row to the detailed checks and take the others as they are.
NASTY = {
    "text": [
        "",
        "ok",
        " padded ",
        "\tleading tab",
        '=HYPERLINK("http://x","y")',
        "+SUM(A1)",
        "-5",
        "+33 1 23 45 67 89",
        "- called back",
        "@ 10am",
        "@SUM(1)",
        "-cmd|' /C calc'!A0",
        " =1+2",
        "=",
        "x" * 100_000,
        "y" * 255,
        "y" * 256,
        "z" * 64,
        "z" * 65,
        "line\nbreak",
        "\u00a0nbsp\u00a0",
        "İstanbul",
    ],
    "id": ["", "a", " a ", "=1", "x" * 255, "x" * 256, "s" * 64, "s" * 65],
    "kind": ["", "created", "CREATED", " Stage_Changed ", "contact_attempt", "teleport", "İ"],
    "stage": ["", "mql", "MQL", " sal ", "heaven", "s" * 33],
    "channel": ["", "phone", "EMAIL", " video ", "pigeon", "c" * 33],
    "time": [
        "",
        "2026-03-02T15:30:00Z",
        "2026-03-02 16:30",
        "2026-03-02",
        "last tuesday",
        " 2026-03-02T16:30:00Z ",
        "2026-10-25 03:30",  # Europe/Bucharest: the hour that happens twice
        "2026-03-29 03:30",  # Europe/Bucharest: the hour that does not happen
        "9999-12-31T23:59:59-12:00",
        "2026-13-01T00:00",
        "２０２６-03-02T16:30",
        "t" * 65,
    ],
    "email": [
        "",
        "ana@example.org",
        "ANA@Example.ORG",
        " dan@example.com ",
        "not-an-email",
        "=cmd@x.io",
        "e" * 250 + "@x.io",
    ],
}
KIND_OF = {
    "source": "id",
    "event_id": "id",
    "lead_external_id": "id",
    "kind": "kind",
    "occurred_at": "time",
    "actor_email": "email",
    "to_stage": "stage",
    "channel": "channel",
    "email": "email",
}


def detailed(records, tz="UTC"):
    """What the value-by-value checks alone make of records (the reference)."""
    zone = csvread._zone(tz)
    out = []
    for row, rec, issues in records:
        if rec is None:
            out.extend(issues)
        else:
            values = {name: rec.get(name, "") for name in EVENT_COLUMNS}
            out.extend(events_csv._check_event(row, values, issues, zone))
    return out


def as_tuples(records):
    return [
        (r.row, r.column, r.message, r.severity)
        if isinstance(r, RowIssue)
        else (*(getattr(r, f) for f in r.__slots__ if f != "lead"), list(r.lead.items()))
        for r in records
    ]


def nasty_rows(seed, n):
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        rec = dict(GOOD, event_id=f"e{i}")
        if rows and rng.random() < 0.5:  # a lead's events, one after another
            rec.update({name: rows[-1].get(name, "") for name in LEAD_COLUMNS})
        for name in rng.sample(EVENT_COLUMNS, rng.choice([0, 1, 1, 2, 3])):
            rec[name] = rng.choice(NASTY[KIND_OF.get(name, "text")])
        if rec["kind"].strip().lower() == "stage_changed" and rng.random() < 0.7:
            rec.setdefault("to_stage", "mql")
        rows.append(rec)
    return rows


def csv_bytes(rows):
    def cell(v):
        return '"' + v.replace('"', '""') + '"' if any(c in v for c in ',"\r\n') else v

    lines = [HEADER] + [",".join(cell(r.get(c, "")) for c in EVENT_COLUMNS) for r in rows]
    return ("\r\n".join(lines) + "\r\n").encode()


@pytest.mark.parametrize("tz", ["UTC", "Europe/Bucharest"])
def test_records_with_the_fast_path_are_those_of_the_detailed_checks(tz):
    rows = nasty_rows(seed=1, n=3000)
    records = [(i + 2, r, []) for i, r in enumerate(rows)]
    got = list(iter_event_records(records, default_tz=tz))
    assert as_tuples(got) == as_tuples(detailed(records, tz))
    # the rows are varied enough to exercise both paths
    assert 300 < sum(isinstance(r, ParsedEvent) for r in got) < 2700


@pytest.mark.parametrize("tz", ["UTC", "Europe/Bucharest"])
def test_a_csv_file_with_the_fast_path_is_read_as_with_the_detailed_checks(tz):
    rows = nasty_rows(seed=2, n=2000)
    got = list(iter_events_csv(io.BytesIO(csv_bytes(rows)), default_tz=tz))
    # The CSV reader gives every column (missing ones as ""), rows numbered from 2.
    records = [(i + 2, {c: r.get(c, "") for c in EVENT_COLUMNS}, []) for i, r in enumerate(rows)]
    assert as_tuples(got) == as_tuples(detailed(records, tz))


def test_formula_lengths_and_unused_values_still_get_their_messages():
    rows = [
        dict(GOOD, note="=HYPERLINK(1)"),  # warning, event kept
        dict(GOOD, event_id="e2", note="-5", company="@ 10am"),  # no formula
        dict(GOOD, event_id="e3", first_name="+SUM(A1)"),  # warning, on a lead column
        dict(GOOD, event_id="e4", reason_code="r" * 65),  # error
        dict(GOOD, event_id="e5", channel="phone"),  # dropped with a warning
        dict(GOOD, event_id="e6", kind="CREATED", actor_email=" Dan@Example.com "),
    ]
    got = list(iter_events_csv(io.BytesIO(csv_bytes(rows))))
    issues = [(r.row, r.column, r.severity) for r in got if isinstance(r, RowIssue)]
    assert issues == [
        (2, "note", "warning"),
        (4, "first_name", "warning"),
        (5, "reason_code", "error"),
        (6, "channel", "warning"),
    ]
    events = {e.event_id: e for e in got if isinstance(e, ParsedEvent)}
    assert events["e1"].note == "'=HYPERLINK(1)"
    assert (events["e2"].note, events["e2"].lead["company"]) == ("-5", "@ 10am")
    assert events["e3"].lead["first_name"] == "'+SUM(A1)"
    assert "e4" not in events
    assert events["e5"].channel == ""
    assert (events["e6"].kind, events["e6"].actor_email) == ("created", "dan@example.com")


def test_events_of_one_lead_do_not_share_their_lead_attributes():
    # The bulk API adds "attributes" to an event's lead dict: the lead columns of the
    # previous row are remembered, but every event gets its own dict.
    rows = [dict(GOOD, event_id=f"e{i}") for i in range(3)]
    events = list(iter_event_records([(i, r, []) for i, r in enumerate(rows)]))
    events[0].lead["attributes"] = {"x": 1}
    assert all("attributes" not in e.lead for e in events[1:])
    assert events[1].lead == {"email": "ana@example.org", "first_name": "Ana", "company": "Acme"}


def test_values_that_are_not_text_fail_as_before():
    with pytest.raises(AttributeError):
        list(iter_event_records([(0, dict(GOOD, note=None), [])]))


def test_problem_lines_after_the_sniffed_start_are_reported_on_their_rows():
    good = csv_bytes([dict(GOOD, event_id=f"p{i}") for i in range(900)])  # > 64 KB
    assert len(good) > csvread.SNIFF_BYTES
    tail = [
        b"crm,bad1,L1,created,2026-03-02 10:00,,,,,,,,Ana\xff,,,,,,",
        b"crm,ok1,L1,created,2026-03-02 10:00,,,,,,,,,,,,,,",
        b"crm,nul1,L1,created,2026-03-02 10:00,,,,,,,,An\x00a,,,,,,",
        b'crm,multi,L1,note,2026-03-02 10:00,,,,"two\n\xc3 lines",,,,,,,,,,',
        b"crm,ok2,L1,created,2026-03-02 10:00,,,,,,,,,,,,,,",
    ]
    data = good + b"\r\n".join(tail) + b"\r\n"
    got = list(iter_events_csv(io.BytesIO(data)))
    issues = [(r.row, r.message.split(" (")[0]) for r in got if isinstance(r, RowIssue)]
    assert issues == [
        (902, "not valid UTF-8"),
        (904, "contains a NUL character"),
        (905, "not valid UTF-8"),
    ]
    events = [e.event_id for e in got if isinstance(e, ParsedEvent)]
    assert events[-3:] == ["p899", "ok1", "ok2"] and len(events) == 902


@pytest.mark.parametrize("chunk", [1, 7, 4096])
def test_lines_are_the_same_whatever_the_chunks(monkeypatch, chunk):
    # Runs of lines are cut at chunk ends and at problem lines (beyond the sniffed start).
    rows = [dict(GOOD, event_id=f"p{i}") for i in range(900)] + nasty_rows(seed=3, n=300)
    data = csv_bytes(rows)
    head, tail = data[: csvread.SNIFF_BYTES], data[csvread.SNIFF_BYTES :]
    data = head + tail.replace(b"Acme", b"Ac\xffme", 5).replace(b"Ana", b"A\x00na", 3)
    whole = as_tuples(iter_events_csv(io.BytesIO(data)))
    monkeypatch.setattr(csvread, "CHUNK_BYTES", chunk)
    small = as_tuples(iter_events_csv(io.BytesIO(data)))
    assert small == whole
    assert sum(1 for r in whole if len(r) == 4 and r[1] == "" and r[3] == "error") == 8


def test_the_caches_stay_bounded(monkeypatch):
    monkeypatch.setattr(events_csv, "_CACHE_SIZE", 8)
    clean = events_csv._CleanRows(csvread._zone("UTC"))
    for i, minute in zip(range(100), itertools.cycle(range(60)), strict=False):
        values = {**GOOD, "event_id": f"e{i}", "actor_email": f"a{i}@example.org"}
        values["occurred_at"] = f"2026-03-02 10:{minute:02d}"
        event = clean.event(i, tuple(values.get(c, "") for c in EVENT_COLUMNS))
        assert event is not None and event.occurred_at.minute == minute
    assert len(clean.timestamps) <= 8 and len(clean.actors) <= 8
