"""Stored results are maintained by the writers (reports.results.results_adjust): a write
changes only the rows whose figures it changes, and the maintained rows always equal a
full recomputation (docs/compliance.md#stored-results).

Calendar: Europe/Bucharest, Mon-Fri 09:00-17:00; v1 in force from 1 January 2026 until
15 March, then v2 (reports.tests.factories.two_versions).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import transaction
from django.db.models import Q
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from leads.cycle_rows import cycles_regovern, lead_cycles_refresh
from leads.models import Lead, LeadEvent
from leads.reviews.models import Feedback
from leads.reviews.services import feedback_create, feedback_reply, feedback_update
from leads.services import lead_contact_attempt_log, lead_event_record, lead_reassign
from reports.models import ComplianceResult, FactsRevision
from reports.results import _evaluate_many, results_for
from reports.selectors import version_compliance
from reports.services import cycles_verify
from reports.specs import version_contexts
from reports.tests.factories import feedback, lead, local, story, two_versions
from slas.models import Version
from slas.testing import version_take_effect

pytestmark = pytest.mark.django_db

NOW = local(4, 2, 12)
BUCHAREST = ZoneInfo("Europe/Bucharest")


def snapshot():
    """Every stored row's figures, and every facts revision."""
    rows = {
        row.pk: (
            row.numerator,
            row.denominator,
            row.actual,
            row.status,
            row.counts,
            row.valid_until,
            row.facts_revision,
        )
        for row in ComplianceResult.objects.all()
    }
    return rows, dict(FactsRevision.objects.values_list("version_id", "value"))


@pytest.fixture
def stored(cast):
    """Two versions, a lead handed off in March (v1) and contacted, one handed off two
    hours before now (v2) not yet contacted, all results stored."""
    agreement, v1, v2 = two_versions(cast)
    contacted = story(
        lead(agreement, cast),
        ("mql", local(3, 10, 10)),
        ("attempt", local(3, 10, 11)),
    )
    other = story(lead(agreement, cast), ("mql", local(4, 2, 10)))  # v2, clock running
    with time_machine.travel(NOW, tick=False):
        version_compliance(v1)
        version_compliance(v2)
    assert ComplianceResult.objects.exists()
    return agreement, v1, v2, contacted, other


def test_a_note_an_owner_change_or_a_repeated_attempt_changes_no_stored_result(
    cast, stored, django_assert_max_num_queries
):
    _, v1, v2, contacted, _ = stored
    before = snapshot()
    with time_machine.travel(NOW, tick=False):
        # a note
        lead_event_record(lead=contacted, kind="note", actor=cast.dan, note="Called back later")
        assert snapshot() == before
        # an owner change (the cycle's owner moves, no figure does)
        lead_reassign(lead=contacted, actor=cast.carol, owner=cast.sara)
        assert contacted.cycles.get().owner_id == cast.sara.pk
        assert snapshot() == before
        # a second contact attempt on a cycle already contacted
        lead_contact_attempt_log(lead=contacted, actor=cast.sara, channel="email")
        assert contacted.cycles.get().attempts == 2
        assert snapshot() == before
        # and the pages read every row as stored: no recomputation
        with django_assert_max_num_queries(5):
            version_compliance(v1)


def test_a_first_contact_adjusts_only_its_period_and_kinds(cast, stored):
    _, v1, v2, _, other = stored
    rows, revisions = snapshot()
    with time_machine.travel(NOW, tick=False):
        lead_contact_attempt_log(lead=other, actor=cast.dan, channel="phone")
        after, revisions_after = snapshot()
        changed = {pk for pk in rows if rows[pk] != after[pk]}
        kinds = set(
            ComplianceResult.objects.filter(pk__in=changed).values_list(
                "version_id", "kind", "label"
            )
        )
        # only v2's April first-contact figure changed; no row was dropped
        assert kinds == {(v2.pk, "first_contact_within", "2026-04")}
        assert set(after) == set(rows)
        assert revisions_after[v2.pk] == revisions.get(v2.pk, 0) + 1
        assert revisions_after.get(v1.pk) == revisions.get(v1.pk)
        fresh = version_compliance(v2)
        fc = next(r for r in fresh.line_of("first_contact_within").results if r.label == "2026-04")
        assert fc.counts["met"] == 1 and fc.counts["open"] == 0  # contacted in time


def test_results_stored_by_one_process_are_used_by_another(cast, stored):
    """A version object whose in-force instants carry the calendar's zone (as a process
    that set them in local time holds it) hashes its specs as one read back in UTC."""
    _, _v1, v2, _, _ = stored
    ComplianceResult.objects.all().delete()
    local_v2 = Version.objects.get(pk=v2.pk)
    local_v2.in_force_from = local_v2.in_force_from.astimezone(BUCHAREST)
    assert local_v2.in_force_from.utcoffset() != dt.timedelta(0)
    with time_machine.travel(NOW, tick=False):
        version_compliance(local_v2)  # process A stores
        stored_rows = snapshot()[0]
        utc_v2 = Version.objects.get(pk=v2.pk)  # process B reads it from the database
        assert utc_v2.in_force_from.utcoffset() == dt.timedelta(0)
        contexts = version_contexts([utc_v2], NOW)
        before = ComplianceResult.objects.count()
        results = results_for(contexts, NOW)
    assert ComplianceResult.objects.count() == before
    assert {row.pk for row in results.values()} == set(stored_rows)
    assert snapshot()[0] == stored_rows  # nothing recomputed, nothing rewritten


@pytest.fixture
def recycled(cast, stored):
    """A lead of v2 handed off in April and recycled by sales, without feedback yet."""
    agreement, v1, v2, _, _ = stored
    gone = story(
        lead(agreement, cast),
        ("mql", local(4, 1, 10)),
        ("attempt", local(4, 1, 11)),
        ("recycled", local(4, 1, 15), "no_budget"),
    )
    with time_machine.travel(NOW, tick=False):
        version_compliance(v2)
    return gone


def coverage_row(version):
    return ComplianceResult.objects.get(version=version, kind="feedback_coverage", label="2026-04")


def test_feedback_adjusts_the_stored_coverage_in_place(cast, stored, recycled):
    _, v1, v2, _, _ = stored
    row = coverage_row(v2)
    assert (row.numerator, row.denominator) == (0, 1)
    rows, revisions = snapshot()
    with time_machine.travel(NOW, tick=False):
        # given feedback written on the recycled lead
        entry = feedback_create(lead=recycled, author=cast.dan, rating=2, went_wrong="No budget")
        # then the same row now counts it, and no other row changed
        after, revisions_after = snapshot()
        assert set(after) == set(rows)
        assert {pk for pk in rows if rows[pk] != after[pk]} == {row.pk}
        assert (coverage_row(v2).numerator, coverage_row(v2).denominator) == (1, 1)
        assert revisions_after[v2.pk] == revisions.get(v2.pk, 0) + 1
        assert revisions_after.get(v1.pk) == revisions.get(v1.pk)
        maintained_equals_recomputed([v1, v2], NOW)

        # when it is deleted, the row is adjusted back, not dropped
        entry.delete()
        assert coverage_row(v2).pk == row.pk
        assert (coverage_row(v2).numerator, coverage_row(v2).denominator) == (0, 1)
        maintained_equals_recomputed([v1, v2], NOW)


def test_feedback_written_later_is_counted_when_its_time_comes(cast, stored, recycled):
    _, v1, v2, _, _ = stored
    with time_machine.travel(NOW, tick=False):
        feedback(recycled, cast.dan, NOW + dt.timedelta(hours=3))
        row = coverage_row(v2)
        assert row.numerator == 0 and row.valid_until <= NOW + dt.timedelta(hours=3)
        maintained_equals_recomputed([v1, v2], NOW)
    later = NOW + dt.timedelta(hours=4)
    with time_machine.travel(later, tick=False):
        maintained_equals_recomputed([v1, v2], later)
        assert coverage_row(v2).numerator == 1


def test_a_feedback_edit_or_reply_changes_no_stored_result(cast, stored, recycled):
    _, v1, v2, _, _ = stored
    with time_machine.travel(NOW, tick=False):
        entry = feedback_create(lead=recycled, author=cast.dan, rating=2, went_wrong="No budget")
        before = snapshot()
        feedback_update(feedback=entry, user=cast.dan, rating=1, went_wrong="No budget at all")
        assert snapshot() == before
        feedback_reply(feedback=entry, user=cast.alice, text="We will qualify budget first")
        assert snapshot() == before
        # a save of the whole entry that moves no instant changes nothing either
        Feedback.objects.get(pk=entry.pk).save()
        assert snapshot() == before


def test_feedback_moved_to_before_the_handoff_no_longer_covers(cast, stored, recycled):
    _, v1, v2, _, _ = stored
    with time_machine.travel(NOW, tick=False):
        entry = feedback_create(lead=recycled, author=cast.dan, rating=2, went_wrong="No budget")
        row = coverage_row(v2)
        assert row.numerator == 1
        entry.created_at = local(3, 30, 10)  # before the handoff: it does not count
        entry.save()
        assert coverage_row(v2).pk == row.pk and coverage_row(v2).numerator == 0
        maintained_equals_recomputed([v1, v2], NOW)


def first_contact_row(version, label="2026-04"):
    return ComplianceResult.objects.get(version=version, kind="first_contact_within", label=label)


def test_an_open_clock_coming_due_is_read_alone_not_the_period(
    cast, stored, monkeypatch, django_assert_max_num_queries
):
    """The April first-contact result expires when the open clock (handed off at 10:00,
    4 business hours) turns at risk at 13:00 and when it breaches after 14:00: each time
    the row is brought forward from that one cycle, never recomputed."""
    _, v1, v2, _, other = stored
    row = first_contact_row(v2)
    assert row.valid_until == local(4, 2, 13)
    key = str(other.cycles.get().handoff_event_id)
    assert row.due == {key: local(4, 2, 13).astimezone(dt.UTC).isoformat()}

    def recomputed(*args, **kwargs):
        raise AssertionError("recomputed the period instead of reading the cycles come due")

    monkeypatch.setattr("reports.results._evaluate_many", recomputed)
    for at, counts in (
        (local(4, 2, 13), {"open": 1, "at_risk": 1, "met": 0, "breached": 0}),
        (local(4, 2, 15), {"open": 0, "at_risk": 0, "met": 0, "breached": 1}),
    ):
        contexts = version_contexts([v2], at)
        with django_assert_max_num_queries(12):
            served = results_for(contexts, at)
        stepped = served[(row.commitment_id, row.period_start)]
        assert stepped.pk == row.pk and stepped.counts == counts
        assert first_contact_row(v2).counts == counts  # stored so
        monkeypatch.undo()
        maintained_equals_recomputed([v1, v2], at)
        monkeypatch.setattr("reports.results._evaluate_many", recomputed)
    # nothing left to come due but the period's end
    assert first_contact_row(v2).due == {}
    assert first_contact_row(v2).valid_until == local(5, 1, 0)


def test_a_row_stored_before_due_was_kept_is_recomputed_when_it_expires(cast, stored):
    _, v1, v2, _, _ = stored
    ComplianceResult.objects.update(due=None)
    at = local(4, 2, 13)
    with time_machine.travel(at, tick=False):
        maintained_equals_recomputed([v1, v2], at)
    assert first_contact_row(v2).due is not None


# Random sequences ---------------------------------------------------------------------

STAGES = ["mql", "sal", "sql", "opportunity", "won", "lost", "recycled", "disqualified"]
REASONS = ["no_budget", "no_need", "not_reachable", "bogus", ""]
# Events from before v1 to a little after "now" (facts stamped in the future), on the hour.
FIRST = local(12, 28, 0, year=2025)
HOURS = int((local(5, 10, 0) - FIRST).total_seconds() // 3600)


def maintained_equals_recomputed(versions, now):
    """Every result a page reads (stored, adjusted, or recomputed) equals the engine's
    result over all the cycles; a maintained row may expire earlier, never later."""
    contexts = version_contexts(versions, now)
    served = results_for(contexts, now)
    for ctx in contexts.values():
        wanted = [(line, p) for line in ctx.commitments for p in line.periods]
        for line, result in _evaluate_many(ctx, wanted, now):
            row = served[(line.commitment.pk, result.period.start)]
            expected = (
                result.numerator,
                result.denominator,
                result.actual,
                result.status,
                result.projected,
                {name: len(keys) for name, keys in result.cycles.items()},
                result.target,
            )
            got = (
                row.numerator,
                row.denominator,
                row.actual,
                row.status,
                row.projected,
                row.counts,
                row.target,
            )
            assert got == expected, (line.spec.kind, result.period.label)
            if result.valid_until is not None:
                assert row.valid_until is not None and row.valid_until <= result.valid_until


class Maintained(RuleBasedStateMachine):
    """Writes (events in any order, late ones included), feedback, version changes, the
    passing of time and page reads, in random order; after each step every result a page
    reads equals a full recomputation."""

    cast = None  # set by the test

    @initialize()
    def setup(self):
        self.atomic = transaction.atomic()
        self.atomic.__enter__()
        self.clock = time_machine.travel(NOW, tick=False)
        self.clock.start()
        self.now = NOW
        self.agreement, self.v1, self.v2 = two_versions(self.cast)
        self.leads = [lead(self.agreement, self.cast) for _ in range(4)]

    def teardown(self):
        if hasattr(self, "atomic"):
            self.clock.stop()
            transaction.set_rollback(True)
            self.atomic.__exit__(None, None, None)

    def _event(self, n, hours, **fields):
        target = self.leads[n]
        LeadEvent.objects.create(
            lead=target, occurred_at=FIRST + dt.timedelta(hours=hours), **fields
        )
        lead_cycles_refresh([target.pk])

    @rule(n=st.integers(0, 3), hours=st.integers(0, HOURS), to=st.sampled_from(STAGES))
    def stage(self, n, hours, to):
        self._event(n, hours, kind="stage_changed", to_stage=to, reason_code=REASONS[hours % 5])

    @rule(n=st.integers(0, 3), minutes=st.integers(0, 12 * 60))
    def handoff_lately(self, n, minutes):
        """A handoff shortly before now: its clock runs, and comes due as time passes."""
        target = self.leads[n]
        LeadEvent.objects.create(
            lead=target,
            kind="stage_changed",
            to_stage="mql",
            occurred_at=self.now - dt.timedelta(minutes=minutes),
        )
        lead_cycles_refresh([target.pk])

    @rule(n=st.integers(0, 3), hours=st.integers(0, HOURS))
    def attempt(self, n, hours):
        self._event(n, hours, kind="contact_attempt", channel="phone")

    @rule(n=st.integers(0, 3), hours=st.integers(0, HOURS))
    def note(self, n, hours):
        self._event(n, hours, kind="note", note="noted")

    @rule(n=st.integers(0, 3))
    def owner(self, n):
        target = self.leads[n]
        Lead.objects.filter(pk=target.pk).update(
            owner=self.cast.sara if target.owner_id == self.cast.dan.pk else self.cast.dan
        )
        target.refresh_from_db()
        lead_cycles_refresh([target.pk])

    def _fresh_rows(self):
        return set(
            ComplianceResult.objects.filter(
                Q(valid_until__isnull=True) | Q(valid_until__gt=self.now)
            ).values_list("pk", flat=True)
        )

    def _feedback_write(self, write):
        """A feedback write adjusts the rows it feeds: none that was fresh is dropped."""
        fresh = self._fresh_rows()
        write()
        assert fresh <= set(ComplianceResult.objects.values_list("pk", flat=True))

    @rule(n=st.integers(0, 3), hours=st.integers(0, HOURS))
    def feedback_add(self, n, hours):
        self._feedback_write(
            lambda: Feedback.objects.create(
                lead=self.leads[n],
                author=self.cast.dan,
                rating=2,
                went_wrong="Wrong persona",
                created_at=FIRST + dt.timedelta(hours=hours),
            )
        )

    @rule(n=st.integers(0, 3))
    def feedback_delete(self, n):
        found = Feedback.objects.filter(lead=self.leads[n]).first()
        if found is not None:
            self._feedback_write(found.delete)

    @rule(n=st.integers(0, 3), m=st.integers(0, 3), hours=st.integers(0, HOURS))
    def feedback_move(self, n, m, hours):
        """An entry saved whole with another instant, or on another lead (the admin)."""
        found = Feedback.objects.filter(lead=self.leads[n]).last()
        if found is not None:
            found.lead = self.leads[m]
            found.created_at = FIRST + dt.timedelta(hours=hours)
            self._feedback_write(found.save)

    @rule(n=st.integers(0, 3))
    def feedback_reply(self, n):
        found = Feedback.objects.filter(lead=self.leads[n], replied_at__isnull=True).first()
        if found is not None:
            before = snapshot()
            feedback_reply(feedback=found, user=self.cast.alice, text="Noted")
            assert snapshot() == before

    @rule(days=st.integers(-40, 40))
    def version_switch(self, days):
        """v1 hands over to v2 at another instant; cycles are governed anew."""
        switch = local(3, 15, 0) + dt.timedelta(days=days)
        version_take_effect(self.v1, in_force_from=local(1, 1, 0), in_force_until=switch)
        version_take_effect(self.v2, in_force_from=switch)
        cycles_regovern(agreement_id=self.agreement.pk, since=local(1, 1, 0))

    @rule(hours=st.integers(1, 24 * 20))
    def time_passes(self, hours):
        self._travel(dt.timedelta(hours=hours))

    @rule(minutes=st.integers(1, 8 * 60))
    def minutes_pass(self, minutes):
        """Within a working day: open clocks turn at risk and breach between reads."""
        self._travel(dt.timedelta(minutes=minutes))

    def _travel(self, delta):
        self.now += delta
        self.clock.stop()
        self.clock = time_machine.travel(self.now, tick=False)
        self.clock.start()

    @rule()
    def read(self):
        version_compliance(self.v1)
        version_compliance(self.v2)

    @invariant()
    def results_are_a_full_recomputation(self):
        if hasattr(self, "v1"):
            self.v1.refresh_from_db()
            self.v2.refresh_from_db()
            maintained_equals_recomputed([self.v1, self.v2], self.now)


def test_maintained_results_equal_a_full_recomputation(cast):
    Maintained.cast = cast
    run_state_machine_as_test(
        Maintained,
        settings=settings(
            max_examples=25,
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
            derandomize=True,
        ),
    )
    assert cycles_verify()[1] == []
