"""The batch write path's shortcuts give what the plain way would: rows copied from
tuples, lead columns applied once per lead when they repeat, events staged in any order,
a new lead written once with the state that deriving its stored events gives."""

import datetime as dt
import itertools
import re

import pytest
from django.db import connection
from django.db.models.signals import post_init
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leads.bulk import copy_insert
from leads.cycle_rows import cycles_computed
from leads.derive import DERIVED_FIELDS, IngestContext, _leads_derive
from leads.ingest.store import _lead_maker, lead_events_ingest
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
def test_copied_rows_keep_every_kind_of_value_as_given(cast):
    # given lead rows with text COPY would escape, numbers, booleans, JSON of each
    # shape, NULL and an instant in another zone (rows are copied in binary)
    paris = dt.timezone(dt.timedelta(hours=1))
    columns = ("source", "external_id", "marketing_team_id", "sales_team_id", "created_at")
    tricky = "tab\there, line\nbreak, back\\slash, \\N, é 日本"
    inserted = copy_insert(
        Lead,
        (*columns, "company", "fit_score", "flagged", "flags", "attributes", "owner_id"),
        [
            (
                "csv",
                "C1",
                cast.marketing.pk,
                cast.sales.pk,
                T0.astimezone(paris),
                tricky,
                -3,
                True,
                [{"code": "x", "n": 1.5}],
                {"a": None, "b": [1, "é"]},
                cast.dan.pk,
            ),
            ("csv", "C2", cast.marketing.pk, cast.sales.pk, T0, "", 0, False, [], {}, None),
        ],
        ignore_conflicts=True,
        order_by=("source", "external_id"),
        returning=("id",),
    )
    # then each column reads back as it was given
    assert inserted is None or len(inserted) == 2  # None: SQLite does not report them
    one, two = Lead.objects.filter(source="csv").order_by("external_id")
    assert (one.created_at, one.company, one.fit_score, one.flagged) == (T0, tricky, -3, True)
    assert (one.flags, one.attributes, one.owner_id) == (
        [{"code": "x", "n": 1.5}],
        {"a": None, "b": [1, "é"]},
        cast.dan.pk,
    )
    assert (two.company, two.flagged, two.flags, two.attributes, two.owner_id) == (
        "",
        False,
        [],
        {},
        None,
    )
    assert two.stage == "lead" and two.updated_at is not None


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


# --------------------------------------------------------------------------- new leads

# A lead's history drawn at random: moves of every kind (a few that break the rules and
# flag it), reasons given or not, attempts, owner changes, notes, on a few hours so that
# events often share an instant and their ids decide the order.
_moves = st.tuples(
    st.sampled_from(
        ["stage_changed"] * 4 + ["contact_attempt", "owner_changed", "note", "created"]
    ),
    st.integers(0, 4),  # hours after T0
    st.sampled_from(["mql", "sal", "sql", "recycled", "disqualified", "won", "lost"]),
    st.sampled_from(["", "no_budget", "bad_timing", "wrong_data", "competitor"]),
)
_history = st.lists(_moves, min_size=1, max_size=9)
_columns = st.fixed_dictionaries(
    {
        "job_title": st.sampled_from(["VP Sales", "Engineer", "CEO", ""]),
        "company_size": st.sampled_from(["20", "450", "2000", ""]),
        "industry": st.sampled_from(["Software", "Retail", ""]),
    }
)
_leads = st.lists(st.tuples(_history, _columns), min_size=1, max_size=3)
_examples = itertools.count()


def _history_items(n: int, history, columns) -> list:
    lead = {name: value for name, value in columns.items() if value}
    items = []
    for j, (kind, hours, to_stage, reason) in enumerate(history):
        fields = {"lead": lead}
        if kind == "stage_changed":
            fields |= {"to_stage": to_stage, "reason_code": reason}
        elif kind == "contact_attempt":
            fields["channel"] = "phone"
        elif kind == "owner_changed":
            fields["outcome"] = "dan@example.com"
        # Event ids out of their order in the file, so an instant's order is the ids'.
        event_id = f"e{(j * 7) % 10}-{j}"
        items.append(
            parsed(f"P{n}", kind, T0 + dt.timedelta(hours=hours), event_id=event_id, **fields)
        )
    return items


@pytest.mark.django_db
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
    derandomize=True,
)
@given(leads=_leads)
def test_a_new_lead_is_written_with_the_state_derivation_gives_its_stored_events(cast, sla, leads):
    # given new leads' histories, in one batch
    n = next(_examples)
    items = [
        item
        for i, (history, columns) in enumerate(leads)
        for item in _history_items(n * 10 + i, history, columns)
    ]
    context = history_context(cast)
    # when they are ingested (each lead made and written once, with its state)
    result = lead_events_ingest(items=items, context=context)
    assert result.created == len(items) and len(result.created_lead_ids) == len(leads)
    written = {
        lead.pk: lead for lead in Lead.objects.filter(pk__in=result.created_lead_ids).order_by("pk")
    }
    events_before = LeadEvent.objects.filter(lead__in=written).count()
    # then deriving them again from their stored events, as for a lead that existed,
    # scored again, changes no column and adds no event
    _leads_derive(sorted(written), context, rescore=set(written))
    for pk, before in written.items():
        after = Lead.objects.get(pk=pk)
        for name in DERIVED_FIELDS:
            assert getattr(after, name) == getattr(before, name), name
    assert LeadEvent.objects.filter(lead__in=written).count() == events_before
    # and their cycles are those a recomputation from the stored events gives
    stored = list(Cycle.objects.filter(lead__in=written).order_by("handoff_event_id"))
    computed = sorted(cycles_computed(sorted(written)), key=lambda c: c.handoff_event_id)
    assert len(stored) == len(computed)
    for row, expected in zip(stored, computed, strict=True):
        for field in Cycle._meta.concrete_fields:
            if not field.primary_key:
                assert getattr(row, field.attname) == getattr(expected, field.attname), field


@pytest.mark.django_db
def test_a_new_lead_is_inserted_with_its_state_and_never_updated(cast, sla):
    # given a new lead's history that moves it, scores it and flags it
    items = [
        parsed("W1", "created", T0, lead={"job_title": "VP Sales", "company_size": "2000"}),
        parsed("W1", "stage_changed", T0 + dt.timedelta(hours=1), to_stage="mql"),
        parsed("W1", "stage_changed", T0 + dt.timedelta(hours=2), to_stage="recycled"),
        parsed("W1", "owner_changed", T0 + dt.timedelta(hours=3), outcome="dan@example.com"),
    ]
    # when it is ingested
    with CaptureQueriesContext(connection) as queries:
        lead_events_ingest(items=items, context=history_context(cast))
    # then its row was written once, with its stage, owner, score and flag
    updates = [q["sql"] for q in queries if re.match(r'\s*UPDATE\s+"?leads_lead\b', q["sql"])]
    assert updates == []
    lead = Lead.objects.get(external_id="W1")
    assert (lead.stage, lead.owner_id, lead.flagged) == ("recycled", cast.dan.pk, True)
    assert lead.fit_score > 0
    assert "reason code" in lead.flag_note


@pytest.mark.django_db
def test_a_lead_made_for_an_import_is_the_lead_the_constructor_makes(cast, sla):
    # given the maker of an import's new leads
    make = _lead_maker(history_context(cast))
    # when it makes a lead
    made = make(("csv", "M1"), T0)
    # then it holds what Lead(...) with those values holds, and is unsaved
    expected = Lead(**{f.attname: getattr(made, f.attname) for f in Lead._meta.concrete_fields})
    assert {k: v for k, v in vars(made).items() if k != "_state"} == {
        k: v for k, v in vars(expected).items() if k != "_state"
    }
    assert (made.source, made.external_id, made.created_at, made.pk) == ("csv", "M1", T0, None)
    assert (made.marketing_team_id, made.sales_team_id) == (cast.marketing.pk, cast.sales.pk)
    assert made._state.adding and made._state.db is None
    # and each lead has its own list and dict defaults (shared, a change to one lead's
    # flags would have changed every lead the import made)
    other = make(("csv", "M2"), T0)
    assert made.attributes == {} and made.attributes is not other.attributes
    assert made.flags == [] and made.flags is not other.flags


@pytest.mark.django_db
def test_a_lead_made_for_an_import_reaches_receivers_of_the_init_signals(cast, sla):
    # given a receiver of Lead's post_init
    seen = []

    def receiver(sender, instance, **kwargs):
        seen.append(instance.external_id)

    post_init.connect(receiver, sender=Lead)
    try:
        # when an import's maker makes leads
        make = _lead_maker(history_context(cast))
        made, other = make(("csv", "M1"), T0), make(("csv", "M2"), T0)
    finally:
        post_init.disconnect(receiver, sender=Lead)
    # then the receiver saw them, as for any lead, each with its own flags
    assert seen == ["M1", "M2"] and made.created_at == T0
    assert made.flags == [] and made.flags is not other.flags


@pytest.mark.django_db
def test_a_new_lead_handed_off_by_its_score_has_the_cycles_its_stored_events_give(cast, sla):
    # given a new lead whose columns score past the threshold, contacted afterwards
    columns = {
        "job_title": "VP Sales",
        "company_size": "2000",
        "industry": "Software",
        "attributes": {"demo_requested": "yes", "pricing_page_visits": 5, "visits": 9},
    }
    items = [
        parsed("S1", "created", T0, lead=columns),
        parsed("S1", "contact_attempt", T0 + dt.timedelta(hours=1), channel="phone"),
    ]
    # when it is ingested where a score hands off
    context = IngestContext(marketing_team=cast.marketing, sales_team=cast.sales)
    result = lead_events_ingest(items=items, context=context)
    # then derivation handed it off, and its cycles are those its stored events give
    (lead_id,) = result.created_lead_ids
    assert LeadEvent.objects.filter(lead_id=lead_id, data__trigger="score").exists()
    stored = list(Cycle.objects.filter(lead_id=lead_id).order_by("handoff_event_id"))
    computed = sorted(cycles_computed([lead_id]), key=lambda c: c.handoff_event_id)
    assert len(stored) == len(computed) == 1
    for row, expected in zip(stored, computed, strict=True):
        for field in Cycle._meta.concrete_fields:
            if not field.primary_key:
                assert getattr(row, field.attname) == getattr(expected, field.attname), field
