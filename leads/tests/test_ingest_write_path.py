"""The batch write path's shortcuts give what the plain way would: rows copied from
tuples, lead columns applied once per lead when they repeat, events staged in any order."""

import datetime as dt

import pytest

from leads.bulk import copy_insert
from leads.cycle_rows import cycles_computed
from leads.derive import IngestContext
from leads.ingest.store import lead_events_ingest
from leads.models import Cycle, Lead, LeadEvent
from leads.tests.factories import parsed

UTC = dt.UTC
T0 = dt.datetime(2026, 1, 5, 10, tzinfo=UTC)


def history_context(cast):
    return IngestContext(
        marketing_team=cast.marketing, sales_team=cast.sales, handoff_on_score=False
    )


@pytest.mark.django_db
def test_copied_rows_get_the_defaults_of_the_columns_they_do_not_give(cast):
    lead = Lead.objects.create(
        external_id="L1",
        marketing_team=cast.marketing,
        sales_team=cast.sales,
        created_at=T0,
    )
    copy_insert(
        LeadEvent,
        ("lead_id", "kind", "occurred_at", "data"),
        [
            (lead.pk, "score_changed", T0, {"fit": 10, "nested": [1, "é"]}),
            (lead.pk, "note", T0, {}),
        ],
    )
    note, scored = LeadEvent.objects.filter(lead=lead).order_by("kind")
    assert note.kind == "note" and note.data == {}
    assert scored.data == {"fit": 10, "nested": [1, "é"]}
    assert (scored.source, scored.source_event_id, scored.actor_id, scored.note) == (
        "portal",
        "",
        None,
        "",
    )
    assert scored.recorded_at is not None


@pytest.mark.django_db
def test_lead_columns_repeated_by_every_event_are_applied_as_the_last_one_says(cast, sla):
    # given a lead whose events carry the same columns, then others, then the first again
    first = {"company": "Acme", "job_title": "VP Sales", "attributes": {"visits": 3}}
    second = {"company": "Acme Ltd", "attributes": {"visits": 4, "demo_requested": "yes"}}
    items = [
        parsed("L1", "created", T0, lead=first),
        parsed("L1", "note", T0 + dt.timedelta(hours=1), lead=first),
        parsed("L1", "note", T0 + dt.timedelta(hours=2), lead=second),
        parsed("L1", "note", T0 + dt.timedelta(hours=3), lead=first),
    ]
    # when they are ingested in one batch
    lead_events_ingest(items=items, context=history_context(cast))
    # then each set of columns was applied in event order
    lead = Lead.objects.get(external_id="L1")
    assert (lead.company, lead.job_title) == ("Acme", "VP Sales")
    assert lead.attributes == {"visits": 3, "demo_requested": "yes"}


@pytest.mark.django_db
def test_an_existing_lead_takes_the_earliest_instant_of_a_later_batch(cast, sla):
    lead_events_ingest(items=[parsed("L1", "created", T0)], context=history_context(cast))
    earlier = [
        parsed("L1", "note", T0 - dt.timedelta(hours=1)),
        parsed("L1", "note", T0 - dt.timedelta(hours=3)),
        parsed("L1", "note", T0 - dt.timedelta(hours=2)),
    ]
    lead_events_ingest(items=earlier, context=history_context(cast))
    assert Lead.objects.get(external_id="L1").created_at == T0 - dt.timedelta(hours=3)


@pytest.mark.django_db
def test_events_given_out_of_order_are_stored_with_their_data_and_cycles(cast, sla):
    # given a batch in no particular order, with an owner change carrying data
    items = [
        parsed("L1", "contact_attempt", T0 + dt.timedelta(hours=3), channel="phone", event_id="z"),
        parsed("L1", "owner_changed", T0 + dt.timedelta(hours=2), outcome="dan@example.com"),
        parsed("L1", "stage_changed", T0 + dt.timedelta(hours=1), to_stage="mql", event_id="m"),
        parsed("L1", "created", T0, event_id="a"),
    ]
    result = lead_events_ingest(items=items, context=history_context(cast))
    # then every event is stored once, the owner change with its data
    assert (result.created, result.duplicates) == (4, 0)
    lead = Lead.objects.get(external_id="L1")
    owner_change = LeadEvent.objects.get(lead=lead, kind="owner_changed")
    assert owner_change.data == {"owner_id": cast.dan.pk, "owner_ref": "dan@example.com"}
    assert LeadEvent.objects.get(lead=lead, kind="created").data == {}
    # and the stored cycle is the one a recomputation gives
    assert lead.owner_id == cast.dan.pk and lead.stage == "mql"
    (stored,) = Cycle.objects.filter(lead=lead)
    (computed,) = cycles_computed([lead.pk])
    for field in Cycle._meta.concrete_fields:
        if not field.primary_key:
            assert getattr(stored, field.attname) == getattr(computed, field.attname), field
    assert stored.first_contact_at == T0 + dt.timedelta(hours=3)
