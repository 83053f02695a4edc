"""Handoff cycles from one lead's events."""

import datetime as dt
import random

from leads.cycles import EventIn, clock_business_us, clock_stopped, cycles_from_events
from slas.clock import BusinessCalendar

UTC = dt.UTC
T0 = dt.datetime(2026, 3, 2, 8, tzinfo=UTC)  # Monday 10:00 in Bucharest


def at(hours: float) -> dt.datetime:
    return T0 + dt.timedelta(hours=hours)


class Events:
    """Tiny builder: events get increasing ids in the order written."""

    def __init__(self):
        self.items: list[EventIn] = []

    def _add(self, hours, kind, **kw):
        self.items.append(EventIn(id=len(self.items) + 1, occurred_at=at(hours), kind=kind, **kw))
        return self

    def stage(self, hours, to, reason=""):
        return self._add(hours, "stage_changed", to_stage=to, reason_code=reason)

    def contact(self, hours, channel="phone"):
        return self._add(hours, "contact_attempt", channel=channel)

    def other(self, hours, kind="note"):
        return self._add(hours, kind)


def no_version(_):
    return None


def version_7(_):
    return 7


def test_it_opens_one_cycle_per_handoff_and_closes_it_at_the_next_one():
    # given a lead handed off, recycled and handed off again
    ev = Events().other(-1, "created").stage(-1, "lead").stage(0, "mql").stage(5, "recycled")
    ev.stage(30, "mql")
    # when
    first, second = cycles_from_events(ev.items, version_7, lead_id=42)
    # then
    assert (first.number, first.handoff_event_id, first.handoff_at, first.ended_at) == (
        1,
        3,
        at(0),
        at(30),
    )
    assert (second.number, second.handoff_event_id, second.ended_at) == (2, 5, None)
    assert first.lead_id == second.lead_id == 42
    assert first.key == 3


def test_it_accepts_events_in_any_order_and_breaks_ties_by_seq_then_id():
    ev = Events().stage(0, "mql").contact(1).stage(2, "sal")
    shuffled = list(reversed(ev.items))
    random.Random(1).shuffle(shuffled)
    (cycle,) = cycles_from_events(shuffled, version_7)
    assert cycle.first_contact_at == at(1)
    assert cycle.accepted_at == at(2)
    # same instant: seq decides, so the contact below comes before the handoff
    same = [
        EventIn(id=1, occurred_at=at(0), kind="stage_changed", to_stage="mql", seq=2),
        EventIn(id=2, occurred_at=at(0), kind="contact_attempt", seq=1),
    ]
    (cycle,) = cycles_from_events(same, version_7)
    assert cycle.first_contact_at is None


def test_it_asks_for_the_governing_version_at_each_handoff_instant():
    # given version 1 in force before hour 10 and version 2 after it
    ev = Events().stage(0, "mql").stage(1, "recycled").stage(20, "mql")
    cycles = cycles_from_events(ev.items, lambda t: 1 if t < at(10) else 2)
    assert [c.version_id for c in cycles] == [1, 2]


def test_it_marks_handoffs_without_a_version_in_force_as_ungoverned():
    (cycle,) = cycles_from_events(Events().stage(0, "mql").items, no_version)
    assert cycle.version_id is None
    assert not cycle.governed


def test_it_stops_the_clock_at_the_first_contact_attempt():
    ev = Events().stage(0, "mql").other(1).contact(2, "email").contact(3).stage(4, "sal")
    (cycle,) = cycles_from_events(ev.items, version_7)
    assert (cycle.first_contact_at, cycle.clock_stop_at, cycle.clock_stop_kind) == (
        at(2),
        at(2),
        "contact",
    )
    assert cycle.contact_attempts == 2
    assert cycle.accepted_at == at(4)
    assert cycle.rejected_at is None


def test_it_stops_the_clock_at_a_rejection_that_comes_before_any_contact():
    ev = Events().stage(0, "mql").stage(1, "disqualified", "spam").contact(2)
    (cycle,) = cycles_from_events(ev.items, version_7)
    assert (cycle.clock_stop_at, cycle.clock_stop_kind) == (at(1), "rejected")
    assert (cycle.rejected_at, cycle.rejected_to, cycle.rejected_reason_code) == (
        at(1),
        "disqualified",
        "spam",
    )
    assert cycle.first_contact_at == at(2)
    assert cycle.accepted_at is None


def test_it_does_not_call_a_recycle_after_acceptance_a_rejection():
    # given mql -> sal -> sql -> recycled with three attempts before the recycle
    ev = Events().stage(0, "mql").contact(1).stage(2, "sal").contact(3).stage(4, "sql")
    ev.contact(5).stage(6, "recycled", "no_budget").contact(7)
    (cycle,) = cycles_from_events(ev.items, version_7)
    assert cycle.rejected_at is None
    assert cycle.accepted_at == at(2)
    assert (cycle.sales_recycle_at, cycle.sales_recycle_from) == (at(6), "sql")
    assert cycle.attempts_before_sales_recycle == 3
    assert cycle.exits == [(at(6), "recycled", "no_budget")]


def test_it_does_not_accept_a_cycle_that_reaches_sales_only_after_a_rejection():
    ev = Events().stage(0, "mql").stage(1, "recycled", "too_small").stage(2, "sal")
    (cycle,) = cycles_from_events(ev.items, version_7)
    assert cycle.rejected_at == at(1)
    assert cycle.accepted_at is None


def test_it_only_counts_moves_out_of_mql_as_rejections():
    # given mql -> lead (odd, but possible) -> disqualified
    ev = Events().stage(0, "mql").stage(1, "lead").stage(2, "disqualified", "dup")
    (cycle,) = cycles_from_events(ev.items, version_7)
    assert cycle.rejected_at is None
    assert cycle.clock_stop_at is None
    assert cycle.exits == [(at(2), "disqualified", "dup")]


def test_it_records_the_first_entry_into_each_stage_with_mql_at_the_handoff():
    ev = Events().stage(0, "mql").stage(1, "sal").stage(2, "sql").stage(3, "sal").stage(4, "sql")
    (cycle,) = cycles_from_events(ev.items, version_7)
    assert cycle.stage_entered == {"mql": at(0), "sal": at(1), "sql": at(2)}


def test_it_treats_a_later_stage_as_having_reached_the_earlier_ones():
    # given a lead that skips sal and goes to won
    ev = Events().stage(0, "mql").stage(1, "sql").stage(3, "won")
    (cycle,) = cycles_from_events(ev.items, version_7)
    assert cycle.accepted_at == at(1)
    assert cycle.reached_at("sal") == at(1)
    assert cycle.reached_at("opportunity") == at(3)
    assert cycle.reached_at("lost") is None  # won does not imply lost
    assert cycle.reached_at("recycled") is None


def test_it_ignores_events_before_the_first_handoff_except_for_the_stage_replay():
    ev = Events().contact(-5).stage(-4, "sal").stage(-3, "recycled").stage(0, "mql")
    (cycle,) = cycles_from_events(ev.items, version_7)
    assert cycle.contact_attempts == 0
    assert cycle.exits == []
    assert cycles_from_events(Events().contact(0).stage(1, "sal").items, version_7) == []


def test_it_keeps_attempts_and_exits_inside_their_own_cycle():
    ev = Events().stage(0, "mql").contact(1).stage(2, "sal").stage(3, "recycled", "r1")
    ev.stage(10, "mql").stage(11, "recycled", "r2")
    first, second = cycles_from_events(ev.items, version_7)
    assert first.exits == [(at(3), "recycled", "r1")]
    assert second.exits == [(at(11), "recycled", "r2")]
    assert second.contact_attempts == 0
    assert second.rejected_at == at(11)
    assert second.sales_recycle_at is None


def test_it_measures_the_clock_in_business_time_until_stop_or_now():
    cal = BusinessCalendar(tz="Europe/Bucharest")
    # handoff Monday 10:00 local, contact Monday 13:00 local
    (stopped,) = cycles_from_events(Events().stage(0, "mql").contact(3).items, version_7)
    assert clock_business_us(stopped, cal, now=at(100)) == 3 * 3600 * 10**6
    assert clock_stopped(stopped, now=at(100))
    # before the contact happened (as of hour 1) the clock was still running
    assert clock_business_us(stopped, cal, now=at(1)) == 3600 * 10**6
    assert not clock_stopped(stopped, now=at(1))
    # a running clock counts business time to now: Mon 10-17 + Tue 9-10 = 8 h
    (running,) = cycles_from_events(Events().stage(0, "mql").items, version_7)
    assert clock_business_us(running, cal, now=at(24)) == 8 * 3600 * 10**6
