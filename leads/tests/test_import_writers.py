"""Imports written by several writers at once (PostgreSQL): the same result as one writer,
failures surface in the caller, messages in the caller's language."""

import datetime as dt
import io
import random
import threading

import pytest
from django.db import connection, connections, transaction
from django.utils import translation

import leads.ingest.importers as importers
import leads.ingest.store as store
from leads.derive import IngestContext
from leads.ingest.importers import ChunkWriters, events_import
from leads.ingest.store import lead_events_ingest
from leads.models import Cycle, Lead, LeadEvent
from leads.tests.factories import parsed
from leads.tests.test_imports import HEADER

pytestmark = pytest.mark.django_db(transaction=True)

T0 = dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC)
STAGES = ["mql", "sal", "recycled", "mql", "sql", "opportunity", "won"]


@pytest.fixture(autouse=True)
def postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("writers run at once only on PostgreSQL (SQLite serialises writes)")


def context(cast):
    return IngestContext(
        marketing_team=cast.marketing, sales_team=cast.sales, handoff_on_score=False
    )


def imported(cast, data: bytes, *, writers: int, chunk_events: int = 37, **options):
    return events_import(
        stream=io.BytesIO(data),
        format="events",
        tz="UTC",
        context=context(cast),
        chunk_events=chunk_events,
        writers=writers,
        **options,
    )


def shuffled_history(source: str, leads: int = 60, seed: int = 3) -> bytes:
    """Events of many leads, interleaved and out of time order, so that the chunks of
    every writer share leads with the others."""
    rng = random.Random(seed)
    rows = []
    for lead in range(leads):
        hour = 8
        rows.append((f"{source}-c{lead}", lead, "created", hour, "", "", ""))
        for step, stage in enumerate(STAGES[: rng.randint(1, len(STAGES))]):
            hour += 1
            reason = "no_budget" if stage == "recycled" else ""
            rows.append(
                (f"{source}-s{lead}-{step}", lead, "stage_changed", hour, stage, "", reason)
            )
            # at half past: events at one instant are ordered by their arrival, which
            # differs between one writer and two
            rows.append(
                (f"{source}-a{lead}-{step}", lead, "contact_attempt", hour, "", "phone", "")
            )
    rng.shuffle(rows)
    lines = [
        f"{source},{event_id},L{lead},{kind},2026-03-{2 + hour // 24:02d}T{hour % 24:02d}:"
        f"{45 if kind == 'contact_attempt' else 15}:00Z,"
        f",{stage},{channel},,{reason},,,,,,,,,\n"
        for event_id, lead, kind, hour, stage, channel, reason in rows
    ]
    return (HEADER + "".join(lines)).encode()


def state(source: str):
    leads = list(
        Lead.objects.filter(source=source)
        .order_by("external_id")
        .values_list("external_id", "stage", "flagged", "flags", "created_at")
    )
    cycles = list(
        Cycle.objects.filter(lead__source=source)
        .order_by("lead__external_id", "number")
        .values_list(
            "lead__external_id",
            "number",
            "handoff_at",
            "ended_at",
            "first_contact_at",
            "accepted_at",
            "rejected_at",
            "attempts",
            "version_id",
        )
    )
    events = LeadEvent.objects.filter(source=source).count()
    return leads, cycles, events


def test_two_writers_store_what_one_writer_stores(cast, sla):
    # given the same interleaved history under two sources
    one, two = shuffled_history("one"), shuffled_history("two")
    # when one is imported by one writer and the other by two, in small chunks
    first = imported(cast, one, writers=1)
    second = imported(cast, two, writers=2)
    # then the counts, the leads' derived state and their cycles are the same, and
    # the cycles are what a full recomputation from the stored events gives
    from reports.services import cycles_verify

    checked, differences = cycles_verify(chunk=1000)
    assert checked and not differences, differences[:3]
    assert (first.created, first.failed) == (second.created, second.failed)
    assert first.created > 300
    leads_one, cycles_one, events_one = state("one")
    leads_two, cycles_two, events_two = state("two")
    assert leads_one == leads_two and cycles_one == cycles_two and events_one == events_two
    assert any(stage == "won" for _, stage, *_ in leads_one)
    # and importing it again adds nothing
    again = imported(cast, two, writers=2)
    assert (again.created, again.duplicates) == (0, second.created)


def test_a_writer_failure_stops_the_import_in_the_caller_and_leaves_no_thread(
    cast, sla, monkeypatch
):
    # given the database fails on the third chunk
    real = importers.lead_events_ingest
    calls = []

    def failing(*, items, context):
        calls.append(len(items))
        if len(calls) == 3:
            raise RuntimeError("the database went away")
        return real(items=items, context=context)

    monkeypatch.setattr(importers, "lead_events_ingest", failing)
    before = threading.active_count()
    # when a file of many chunks is imported by two writers
    with pytest.raises(RuntimeError, match="went away"):
        imported(cast, shuffled_history("boom"), writers=2, chunk_events=20)
    # then the failure reached the caller, the writers stopped, and the chunks queued
    # behind the failed one were not written
    assert threading.active_count() == before
    assert len(calls) <= 5


def test_writer_messages_are_in_the_callers_language(cast, sla):
    # given rows naming an actor who is not a portal user, imported in Romanian
    rows = "".join(
        f"crm,g{i},G{i},note,2026-03-02T09:00:00Z,ghost@example.com,,,,,hi,,,,,,,,\n"
        for i in range(30)
    )
    found = []
    with translation.override("ro"):
        summary = imported(
            cast, (HEADER + rows).encode(), writers=2, chunk_events=10, on_issue=found.append
        )
    # then each row is reported, in order of the chunks, in Romanian
    assert summary.failed == 30
    assert [issue.row for issue in found] == list(range(2, 32))
    assert all("nu este utilizator al portalului" in issue.message for issue in found)


def test_the_writers_run_the_callers_transaction_when_there_is_one(cast, sla):
    # given a caller that holds a transaction (as a test or a larger write would)
    from django.db import transaction

    with transaction.atomic():
        pool = ChunkWriters(context(cast), 1)
        # then chunks are written in its thread, inside it
        assert pool.threads == []
        pool.close()


class _Deadlock(Exception):
    sqlstate = "40P01"


def test_a_batch_picked_as_deadlock_victim_is_written_again(cast, sla, monkeypatch):
    # given the database picks the first attempt of a batch as a deadlock victim
    from django.db import OperationalError

    real = store._batch_store
    attempts = []

    def victim_once(*args):
        attempts.append(1)
        if len(attempts) == 1:
            real(*args)  # its writes are rolled back with the transaction
            raise OperationalError("deadlock detected") from _Deadlock()
        return real(*args)

    monkeypatch.setattr(store, "_batch_store", victim_once)
    items = [parsed("D1", "created"), parsed("D1", "stage_changed", to_stage="mql")]
    # when the batch is stored in its own transaction
    result = store.lead_events_ingest(items=items, context=context(cast))
    # then it was run again, and stored once
    assert len(attempts) == 2
    assert result.created == 2 and LeadEvent.objects.filter(lead__external_id="D1").count() == 2
    assert Lead.objects.get(external_id="D1").stage == "mql"


def _until_a_writer_waits_for_a_lock(seconds: float = 10) -> None:
    with connection.cursor() as cursor:
        for _ in range(int(seconds / 0.05)):
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return
            threading.Event().wait(0.05)


def test_a_lead_another_writer_makes_meanwhile_gets_the_batch_written_again_onto_it(
    cast, sla, monkeypatch
):
    # given a writer that makes lead L1 and has not committed yet
    made, write = threading.Event(), threading.Event()

    def other_writer():
        try:
            with transaction.atomic():
                lead_events_ingest(
                    items=[parsed("L1", "created", T0, event_id="theirs")], context=context(cast)
                )
                made.set()
                write.wait(5)
                _until_a_writer_waits_for_a_lock()  # our batch, on the lead's key
        finally:
            connections.close_all()

    other = threading.Thread(target=other_writer)
    other.start()
    made.wait(5)
    written = []
    original = store._new_leads_write
    monkeypatch.setattr(
        store,
        "_new_leads_write",
        lambda *args: written.append(len(args[1])) or original(*args),
    )
    write.set()
    # when our batch of L1's events is written (it did not find L1, as it is not
    # committed, so it makes it too)
    result = lead_events_ingest(
        items=[
            parsed("L1", "stage_changed", T0 + dt.timedelta(hours=1), to_stage="mql"),
            parsed("L1", "contact_attempt", T0 + dt.timedelta(hours=2), channel="phone"),
        ],
        context=context(cast),
    )
    other.join(10)
    # then it was written again, onto the lead the other writer made, every event once
    assert written == [1]
    (lead,) = Lead.objects.filter(external_id="L1")
    assert result.created == 2 and result.created_lead_ids == set()
    assert LeadEvent.objects.filter(lead=lead).count() == 3
    assert (lead.stage, Cycle.objects.get(lead=lead).first_contact_at) == (
        "mql",
        T0 + dt.timedelta(hours=2),
    )
