"""The rep's queue and the notification sweep judge a first-contact clock by the rule the
compliance pages use (slas.clock.Allowance), compared exactly: business time in whole
microseconds against H read as the decimal it is written as (4.1 h is 14,760 s).

Calendar: UTC, Mon-Fri 09:00-17:00; 2 March 2026 is a Monday.
"""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from leads.models import Cycle, Lead
from leads.selectors import cycle_clock
from leads.sweep import lead_clocks_sweep
from portal.models import Notification
from portal.tests.leadclocks import active_agreement, contact, handed_lead
from slas.governing import VersionIndex

UTC = dt.UTC
HANDOFF = dt.datetime(2026, 3, 2, 9, tzinfo=UTC)

pytestmark = pytest.mark.django_db


def at(hour: int, minute: int = 0, second: int = 0) -> dt.datetime:
    return dt.datetime(2026, 3, 2, hour, minute, second, tzinfo=UTC)


def clock_of(lead, now):
    return cycle_clock(Cycle.objects.get(lead=lead), VersionIndex(), now)


def sweep(now):
    with time_machine.travel(now, tick=False):
        return lead_clocks_sweep(now=now)


def kinds():
    return sorted(Notification.objects.values_list("kind", flat=True))


def test_the_queue_calls_a_clock_at_exactly_h_fractional_hours_at_risk_not_overdue(cast):
    # given a 4.1-hour window and a handoff on Monday 09:00
    version = active_agreement(cast, hours=Decimal("4.1"))
    lead = handed_lead(cast, version, at=HANDOFF)
    # when the queue reads it at 13:06, exactly 4.1 business hours later
    clock = clock_of(lead, at(13, 6))
    # then it is still running, at risk, with nothing left
    assert (clock.state, clock.seconds_left, clock.label) == ("at_risk", 0, "0 min left")


def test_the_queue_calls_a_contact_exactly_h_fractional_hours_after_the_handoff_met(cast):
    # given a 4.1-hour window, a handoff on Monday 09:00 and a call at 13:06
    version = active_agreement(cast, hours=Decimal("4.1"))
    lead = handed_lead(cast, version, at=HANDOFF)
    contact(lead, at=at(13, 6))
    # then the queue says met
    assert clock_of(lead, at(14)).state == "met"


@pytest.mark.parametrize(
    ("hours", "turn", "left"),
    [("1.1", at(9, 49, 30), "16 min left"), ("4.4", at(12, 18), "1 h 6 min left")],
)
def test_the_queue_calls_a_clock_with_exactly_a_quarter_of_h_left_at_risk(cast, hours, turn, left):
    # given a fractional window and a handoff on Monday 09:00
    version = active_agreement(cast, hours=Decimal(hours))
    lead = handed_lead(cast, version, at=HANDOFF)
    # when the queue reads it with exactly 25 % of the window left
    clock = clock_of(lead, turn)
    # then it is at risk, and a second earlier it was not
    assert (clock.state, clock.label) == ("at_risk", left)
    assert clock_of(lead, turn - dt.timedelta(seconds=1)).state == "ok"


def test_the_sweep_warns_with_exactly_a_quarter_of_a_fractional_window_left(cast):
    # given a 1.1-hour window (66 min) and a handoff on Monday 09:00
    version = active_agreement(cast, hours=Decimal("1.1"))
    handed_lead(cast, version, at=HANDOFF)
    # when the sweep runs a second before and then exactly at 16.5 minutes left
    assert sweep(at(9, 49, 29)) == 0
    assert sweep(at(9, 49, 30)) == 1
    # then the owner is warned, and nothing is breached
    assert kinds() == ["lead_at_risk"]


def test_the_sweep_does_not_call_a_clock_at_exactly_h_fractional_hours_breached(cast):
    # given a 4.1-hour window and a handoff on Monday 09:00
    version = active_agreement(cast, hours=Decimal("4.1"))
    handed_lead(cast, version, at=HANDOFF)
    # when the sweep runs at 13:06, exactly 4.1 business hours later
    sweep(at(13, 6))
    # then the clock is at risk, not breached; one second later it is
    assert kinds() == ["lead_at_risk"]
    sweep(at(13, 6, 1))
    assert kinds() == ["lead_at_risk", "lead_breached", "lead_breached"]


def test_an_escalation_step_fires_at_exactly_its_share_of_a_fractional_window(cast):
    # given a 1.1-hour window with a reminder at 50 % (33 min) and a handoff at 09:00
    version = active_agreement(cast, hours=Decimal("1.1"), steps=((50, "remind_owner"),))
    handed_lead(cast, version, at=HANDOFF)
    # then the reminder is not due a second before 09:33, and due then
    assert sweep(at(9, 32, 59)) == 0
    assert sweep(at(9, 33)) == 1
    assert kinds() == ["lead_escalation"]


def test_the_sweep_tells_a_clock_whose_contact_is_stamped_in_the_future(cast):
    # given a handoff on Monday 09:00 (8-hour window) and a call logged for Wednesday
    version = active_agreement(cast, hours=8)
    lead = handed_lead(cast, version, at=HANDOFF)
    contact(lead, at=dt.datetime(2026, 3, 4, 10, tzinfo=UTC))
    # when the sweep runs on Tuesday 10:00, nine business hours after the handoff
    sweep(dt.datetime(2026, 3, 3, 10, tzinfo=UTC))
    # then the clock, which has not stopped yet, is breached for the owner and the manager
    assert kinds() == ["lead_breached", "lead_breached"]


def test_a_lead_whose_call_is_stamped_in_the_future_is_still_waiting_in_the_queue(client, cast):
    # given, on Monday, a lead called at 10:00 and one handed off at 10:00 whose call is
    # logged for Wednesday
    version = active_agreement(cast, hours=8)
    called = handed_lead(cast, version, at=HANDOFF, name="Cal")
    contact(called, at=at(10))
    later = handed_lead(cast, version, at=at(10), name="Bea")
    contact(later, at=dt.datetime(2026, 3, 4, 10, tzinfo=UTC))
    Lead.objects.filter(pk__in=[called.pk, later.pk]).update(stage="mql")
    client.force_login(cast.dan)
    with time_machine.travel(at(12), tick=False):
        # when Dan reads his queue and his home page at noon
        queue = client.get(reverse("leads:queue"))
        home = client.get(reverse("home")).content.decode()
    # then the lead still waiting comes first, with its clock running, and is on his to-do list
    rows = queue.context["rows"]
    assert [row.lead for row in rows] == [later, called]
    assert (rows[0].clock.state, rows[1].clock.state) == ("ok", "met")
    assert str(later) in home and str(called) not in home
