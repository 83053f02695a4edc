"""The event writer: derived state, idempotency, scoring, handoff and assignment."""

import datetime as dt

import pytest
import time_machine

from leads.derive import IngestContext
from leads.ingest.store import lead_events_ingest
from leads.lifecycle import MoveRefused
from leads.models import Cycle, Lead, LeadEvent
from leads.services import (
    LeadExists,
    lead_contact_attempt_log,
    lead_create,
    lead_nurture,
    lead_reassign,
    lead_stage_change,
)
from leads.tests.factories import parsed
from portal.models import Notification
from reports.tests.factories import AgreementFactory, VersionFactory
from slas.models import ReasonCode
from slas.testing import version_take_effect

UTC = dt.UTC
NOW = dt.datetime(2026, 11, 23, 10, tzinfo=UTC)  # a Monday


def history_context(cast, **kw):
    return IngestContext(marketing_team=cast.marketing, sales_team=cast.sales, **kw)


@pytest.mark.django_db
def test_events_arriving_out_of_order_still_give_the_right_stage(cast, sla):
    # given a lead's later events imported first
    late = [
        parsed("L1", "stage_changed", NOW - dt.timedelta(days=2), to_stage="sal", event_id="e3"),
        parsed("L1", "contact_attempt", NOW - dt.timedelta(days=3), channel="phone", event_id="e2"),
    ]
    lead_events_ingest(items=late, context=history_context(cast, handoff_on_score=False))
    # when the older history arrives afterwards
    early = [
        parsed("L1", "created", NOW - dt.timedelta(days=5), event_id="e0"),
        parsed("L1", "stage_changed", NOW - dt.timedelta(days=4), to_stage="mql", event_id="e1"),
    ]
    lead_events_ingest(items=early, context=history_context(cast, handoff_on_score=False))
    # then the lead is in sal (the latest move), unflagged, with one cycle accepted
    lead = Lead.objects.get(external_id="L1")
    assert lead.stage == "sal"
    assert not lead.flagged, lead.flag_note
    cycle = Cycle.objects.get(lead=lead)
    assert cycle.accepted_at == NOW - dt.timedelta(days=2)
    assert cycle.first_contact_at == NOW - dt.timedelta(days=3)
    assert lead.created_at == NOW - dt.timedelta(days=5)
    # and the lead sits under the agreement of its two teams
    assert lead.agreement_id == sla.pk


@pytest.mark.django_db
def test_the_same_batch_twice_stores_once_and_counts_duplicates_exactly(cast, sla):
    items = [
        parsed("L1", "created", event_id="a"),
        parsed("L1", "note", event_id="b", note="hello"),
        parsed("L1", "note", event_id="b", note="same id again in the batch"),
    ]
    first = lead_events_ingest(items=items, context=history_context(cast))
    second = lead_events_ingest(items=items, context=history_context(cast))
    assert (first.created, first.duplicates, first.failed) == (2, 1, 0)
    assert (second.created, second.duplicates, second.failed) == (0, 3, 0)
    assert LeadEvent.objects.filter(source="crm").count() == 2


@pytest.mark.django_db
def test_an_unknown_actor_fails_only_its_own_item(cast, sla):
    items = [
        parsed("L1", "created", actor_email="nobody@example.com", row=0),
        parsed("L1", "note", actor_email="dan@example.com", row=1),
    ]
    result = lead_events_ingest(items=items, context=history_context(cast))
    assert (result.created, result.failed) == (1, 1)
    assert result.failures[0].index == 0 and "not a portal user" in result.failures[0].message


@pytest.mark.django_db
def test_an_imported_forbidden_move_is_stored_and_flagged(cast, sla):
    # given a deal won, then reopened (won is final)
    items = [
        parsed("L9", "stage_changed", NOW - dt.timedelta(days=3), to_stage="mql"),
        parsed("L9", "stage_changed", NOW - dt.timedelta(days=2), to_stage="won"),
        parsed("L9", "stage_changed", NOW - dt.timedelta(days=1), to_stage="opportunity"),
    ]
    # when it is imported as history
    result = lead_events_ingest(items=items, context=history_context(cast))
    # then every move is stored, and only the move out of won is flagged
    lead = Lead.objects.get(external_id="L9")
    assert result.created == 3
    assert lead.stage == "opportunity" and lead.flagged
    assert "Won cannot move" in lead.flag_note and "MQL" not in lead.flag_note


@pytest.mark.django_db
def test_a_live_forbidden_move_is_not_applied_but_noted_and_a_retry_is_a_duplicate(cast, sla):
    # given a live source (the webhook) sending a handoff and then a move to won
    context = history_context(cast, mode="live")
    items = [
        parsed("H1", "stage_changed", NOW - dt.timedelta(days=3), to_stage="mql", event_id="w1"),
        parsed("H1", "stage_changed", NOW - dt.timedelta(days=2), to_stage="won", event_id="w2"),
    ]
    # when both are ingested
    result = lead_events_ingest(items=items, context=context)
    # then the forbidden move is stored as a note, not a move, and flags the lead
    assert (result.created, result.failed) == (2, 0)
    assert "cannot move from MQL to Won" in result.not_applied[0].message
    note = LeadEvent.objects.get(source_event_id="w2")
    assert note.kind == "note" and note.data["not_applied"]["to_stage"] == "won"
    lead = Lead.objects.get(external_id="H1")
    assert lead.stage == "mql" and lead.flagged and "MQL to Won" in lead.flag_note
    # and the same items again are duplicates
    again = lead_events_ingest(items=items, context=context)
    assert (again.created, again.duplicates, again.not_applied) == (0, 2, [])


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_a_lead_reaching_the_threshold_is_handed_off_to_the_next_rep_who_is_notified(cast, sla):
    # given a VP at a software company who requested a demo (v2 threshold 55)
    lead = lead_create(
        marketing_team=cast.marketing,
        sales_team=cast.sales,
        external_id="W1",
        first_name="Ana",
        job_title="VP Marketing",
        industry="Software",
        attributes={"demo_requested": "yes"},
    )
    # then it scored fit 25+10 and interest 40, was handed off and given to a sales rep
    assert (lead.fit_score, lead.interest_score) == (35, 40)
    assert lead.stage == "mql"
    assert lead.owner_id in {cast.dan.pk, cast.sara.pk, cast.sales.members.get(username="tariq").pk}
    handoff = LeadEvent.objects.get(lead=lead, kind="stage_changed", to_stage="mql")
    notification = Notification.objects.get(recipient_id=lead.owner_id)
    assert notification.dedupe_key == f"lead-assigned:{handoff.pk}:{lead.owner_id}"
    # and the cycle's clock runs on the governing version's calendar
    cycle = Cycle.objects.get(lead=lead)
    assert cycle.version.number == 2 and cycle.owner_id == lead.owner_id
    assert cycle.deadline_at > NOW


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_creating_a_lead_that_an_import_already_brought_stores_nothing(cast, sla):
    # given an import brought lead W2 from the portal source, with its own event ids
    context = IngestContext(marketing_team=cast.marketing, sales_team=cast.sales)
    lead_events_ingest(
        items=[parsed("W2", "created", NOW - dt.timedelta(days=1), source="portal")],
        context=context,
    )
    events = LeadEvent.objects.count()
    # when a manager creates W2 (say their check ran before the import committed)
    with pytest.raises(LeadExists):
        lead_create(marketing_team=cast.marketing, sales_team=cast.sales, external_id="W2")
    # then nothing was added to the existing lead: no second `created` event
    assert LeadEvent.objects.count() == events
    assert Lead.objects.filter(external_id="W2").count() == 1


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_handoffs_go_round_robin_among_the_sales_reps(cast, sla):
    owners = []
    for i in range(4):
        lead = lead_create(
            marketing_team=cast.marketing,
            sales_team=cast.sales,
            external_id=f"R{i}",
            job_title="VP",
            attributes={"demo_requested": "yes"},
        )
        owners.append(lead.owner.username)
    assert owners[:3] == ["dan", "sara", "tariq"] and owners[3] == "dan"


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_a_lead_below_the_threshold_stays_a_lead(cast, sla):
    lead = lead_create(
        marketing_team=cast.marketing, sales_team=cast.sales, external_id="low", job_title="Intern"
    )
    assert lead.stage == "lead" and lead.owner_id is None
    assert not Cycle.objects.filter(lead=lead).exists()


@pytest.fixture
def handed_off(cast, sla):
    with time_machine.travel(NOW, tick=False):
        lead_events_ingest(
            items=[
                parsed("D1", "created", NOW - dt.timedelta(hours=3)),
                parsed("D1", "stage_changed", NOW - dt.timedelta(hours=2), to_stage="mql"),
                parsed(
                    "D1", "owner_changed", NOW - dt.timedelta(hours=2), outcome="dan@example.com"
                ),
            ],
            context=history_context(cast, handoff_on_score=False),
        )
    return Lead.objects.get(external_id="D1")


@pytest.mark.django_db
def test_a_contact_attempt_stops_the_clock_and_accepting_moves_to_sal(cast, handed_off):
    lead = handed_off
    assert lead.owner_id == cast.dan.pk and lead.stage == "mql"
    with time_machine.travel(NOW + dt.timedelta(minutes=5), tick=False):
        lead_contact_attempt_log(lead=lead, actor=cast.dan, channel="phone", outcome="reached")
        lead_stage_change(lead=lead, actor=cast.dan, to_stage="sal")
    lead.refresh_from_db()
    cycle = Cycle.objects.get(lead=lead)
    assert lead.stage == "sal"
    assert cycle.clock_stop_kind == "contact" and cycle.accepted_at is not None


@pytest.mark.django_db
def test_a_portal_recycle_without_a_reason_is_refused_and_nothing_is_stored(cast, handed_off):
    before = LeadEvent.objects.count()
    with pytest.raises(MoveRefused, match="needs a reason code"):
        lead_stage_change(lead=handed_off, actor=cast.dan, to_stage="recycled")
    with pytest.raises(MoveRefused, match="not a reason code"):
        lead_stage_change(
            lead=handed_off, actor=cast.dan, to_stage="recycled", reason_code="competitor"
        )
    assert LeadEvent.objects.count() == before
    lead_stage_change(
        lead=handed_off, actor=cast.dan, to_stage="recycled", reason_code="wrong_data"
    )
    handed_off.refresh_from_db()
    assert handed_off.stage == "recycled" and not handed_off.flagged


@pytest.mark.django_db
def test_a_manager_reassigns_and_the_new_owner_is_notified(cast, handed_off):
    lead_reassign(lead=handed_off, actor=cast.carol, owner=cast.sara)
    handed_off.refresh_from_db()
    assert handed_off.owner_id == cast.sara.pk
    assert Cycle.objects.get(lead=handed_off).owner_id == cast.sara.pk
    assert Notification.objects.filter(recipient=cast.sara, kind="lead_assigned").count() == 1
    with pytest.raises(MoveRefused):
        lead_reassign(lead=handed_off, actor=cast.carol, owner=cast.bob)


# --------------------------------------------------------------------------- governing version

SWITCH = NOW - dt.timedelta(days=10)


def v1_then_v2(cast):
    """An agreement of the cast's teams: v1 (reason `wrong_data`) in force until SWITCH,
    then v2, which dropped `wrong_data` and lists `duplicate` instead."""
    agreement = AgreementFactory()
    agreement.parties.set([cast.marketing, cast.sales])
    v1 = VersionFactory(agreement=agreement, number=1)
    v2 = VersionFactory(agreement=agreement, number=2)
    ReasonCode.objects.create(version=v1, code="wrong_data", label="Wrong data", applies_to="any")
    ReasonCode.objects.create(version=v2, code="duplicate", label="Duplicate", applies_to="any")
    version_take_effect(v1, in_force_from=NOW - dt.timedelta(days=200), in_force_until=SWITCH)
    version_take_effect(v2, in_force_from=SWITCH)
    return agreement, v1, v2


def v1_cycle(cast, external_id="G1"):
    """A lead handed off to dan 20 days ago, while v1 was in force."""
    handoff = SWITCH - dt.timedelta(days=10)
    lead_events_ingest(
        items=[
            parsed(external_id, "created", handoff - dt.timedelta(hours=1)),
            parsed(external_id, "stage_changed", handoff, to_stage="mql"),
            parsed(external_id, "owner_changed", handoff, outcome="dan@example.com"),
        ],
        context=history_context(cast, handoff_on_score=False),
    )
    return Lead.objects.get(external_id=external_id)


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_a_v1_cycle_recycled_after_v2_took_effect_takes_v1s_reason_codes(cast):
    # given a cycle handed off under v1, and v2 (other codes) in force now
    _agreement, v1, _v2 = v1_then_v2(cast)
    lead = v1_cycle(cast)
    assert Cycle.objects.get(lead=lead).version_id == v1.pk
    # when dan recycles it with a code only v2 lists, then it is refused
    with pytest.raises(MoveRefused, match="not a reason code"):
        lead_stage_change(lead=lead, actor=cast.dan, to_stage="recycled", reason_code="duplicate")
    # when he uses v1's code, then the move is recorded and the lead is not flagged
    lead_stage_change(lead=lead, actor=cast.dan, to_stage="recycled", reason_code="wrong_data")
    lead.refresh_from_db()
    assert lead.stage == "recycled" and not lead.flagged, lead.flag_note
    # and the cycle's exit carries the code its governing version (v1) lists
    cycle = Cycle.objects.get(lead=lead)
    assert cycle.version_id == v1.pk and cycle.exits[0][2] == "wrong_data"


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_imported_recycles_are_checked_against_the_version_of_their_cycle(cast):
    # given two v1 cycles, recycled in imported history after v2 took effect
    v1_then_v2(cast)
    ok, bad = v1_cycle(cast, "G1"), v1_cycle(cast, "G2")
    at = SWITCH + dt.timedelta(days=1)
    # when one recycle carries v1's code and the other v2's
    lead_events_ingest(
        items=[
            parsed("G1", "stage_changed", at, to_stage="recycled", reason_code="wrong_data"),
            parsed("G2", "stage_changed", at, to_stage="recycled", reason_code="duplicate"),
        ],
        context=history_context(cast, handoff_on_score=False),
    )
    # then only the one with a code v1 does not list is flagged
    ok.refresh_from_db()
    bad.refresh_from_db()
    assert not ok.flagged, ok.flag_note
    assert bad.flagged and "“duplicate” is not a reason code" in bad.flag_note


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_a_lead_never_handed_off_takes_the_codes_of_the_version_in_force_now(cast):
    # given a lead still in stage lead, under v2 now
    v1_then_v2(cast)
    lead_events_ingest(
        items=[parsed("G3", "created", NOW - dt.timedelta(days=30))],
        context=history_context(cast, handoff_on_score=False),
    )
    lead = Lead.objects.get(external_id="G3")
    # when it is disqualified with v1's code, then it is refused; v2's code is accepted
    with pytest.raises(MoveRefused, match="not a reason code"):
        lead_stage_change(
            lead=lead, actor=cast.dan, to_stage="disqualified", reason_code="wrong_data"
        )
    lead_stage_change(lead=lead, actor=cast.dan, to_stage="disqualified", reason_code="duplicate")
    lead.refresh_from_db()
    assert lead.stage == "disqualified"


@pytest.mark.django_db
def test_a_closed_lead_cannot_be_put_into_a_nurture_track(cast, handed_off):
    # given a lead that was lost
    lead_stage_change(lead=handed_off, actor=cast.dan, to_stage="sal")
    lead_stage_change(lead=handed_off, actor=cast.dan, to_stage="lost")
    handed_off.refresh_from_db()
    before = LeadEvent.objects.filter(lead=handed_off).count()
    # when dan tries to nurture it, then it is refused with why, and nothing is stored
    with pytest.raises(MoveRefused, match="This lead is closed"):
        lead_nurture(lead=handed_off, actor=cast.dan, track="Education track")
    assert LeadEvent.objects.filter(lead=handed_off).count() == before
