"""Step SLAs and the per-step figures of the lead-process map (docs/compliance.md#process-steps),
computed by hand on small fixtures.

Calendar: Europe/Bucharest, Mon-Fri 09:00-17:00, with a holiday on Monday 9 March 2026
(so Friday 6 March 17:00 to Tuesday 10 March 09:00 is one long pause). March 2026 is
UTC+2 until Sunday 29 March.
"""

import datetime as dt
from zoneinfo import ZoneInfo

from leads.cycles import CycleFacts
from reports.steps import (
    StepDef,
    step_clock,
    step_figures,
    step_figures_by_period,
    step_figures_until,
    step_span,
)
from slas.clock import US_PER_HOUR, BusinessCalendar
from slas.periods import period_containing

TZ = "Europe/Bucharest"
BUC = ZoneInfo(TZ)
UTC = dt.UTC
HOLIDAY = dt.date(2026, 3, 9)
CAL = BusinessCalendar(tz=TZ, holidays=frozenset({HOLIDAY}))
MARCH = period_containing(TZ, "month", dt.datetime(2026, 3, 10, tzinfo=UTC))
AFTER_MARCH = dt.datetime(2026, 4, 2, tzinfo=BUC)

SAL = StepDef(key=2, name="SAL", stages=("sal",), sla_hours=8)
MQL = StepDef(key=1, name="MQL", stages=("mql",), sla_hours=None)
SQL = StepDef(key=3, name="SQL", stages=("sql",), sla_hours=None)
RECYCLE = StepDef(key=9, name="Recycle", stages=("recycled",), sla_hours=None)


def t(day, hour=10, minute=0, month=3):
    """Local Bucharest time in 2026."""
    return dt.datetime(2026, month, day, hour, minute, tzinfo=BUC)


def cycle(key, handoff, *, ended_at=None, exits=(), **entered):
    stage_entered = {"mql": handoff, **entered}
    for at, to, _reason in exits:
        stage_entered.setdefault(to, at)
    return CycleFacts(
        number=1,
        handoff_event_id=key,
        handoff_at=handoff,
        ended_at=ended_at,
        version_id=1,
        lead_id=100 + key,
        stage_entered=stage_entered,
        exits=list(exits),
    )


# --- the step's span: from its first entry to the first move out of it ------------------


def test_a_step_is_entered_at_the_first_move_into_its_stages_and_left_at_the_next_move_out():
    c = cycle(1, t(2), sal=t(3), sql=t(4))
    span = step_span(c, SAL.stages, now=AFTER_MARCH)
    assert (span.entered_at, span.left_at) == (t(3), t(4))


def test_a_recycle_leaves_the_step_and_the_next_handoff_leaves_the_recycle_step():
    c = cycle(1, t(2), sal=t(3), exits=[(t(5), "recycled", "no_budget")], ended_at=t(12))
    assert step_span(c, SAL.stages, now=AFTER_MARCH).left_at == t(5)
    recycle = step_span(c, RECYCLE.stages, now=AFTER_MARCH)
    assert (recycle.entered_at, recycle.left_at) == (t(5), t(12))


def test_facts_stamped_after_now_have_not_happened():
    c = cycle(1, t(2), sal=t(3), sql=t(4))
    assert step_span(c, SAL.stages, now=t(3, 12)).left_at is None
    assert step_span(c, SQL.stages, now=t(3, 12)) is None


# --- the step SLA clock: business hours of the version's calendar -------------------------


def test_the_step_clock_stands_still_over_a_weekend_and_a_holiday():
    # given a lead accepted (SAL) on Friday 6 March at 13:00, qualified on Tuesday 10 March
    # at 13:00: Friday 13-17 (4 h), Saturday, Sunday and the holiday Monday count nothing,
    # Tuesday 09-13 (4 h): 8 business hours, exactly the 8-hour step SLA
    c = cycle(1, t(5), sal=t(6, 13), sql=t(10, 13))
    # when
    clock = step_clock(c, SAL, CAL, now=AFTER_MARCH)
    # then
    assert clock.used_us == 8 * US_PER_HOUR
    assert clock.state == "met"


def test_the_step_clock_breaches_one_microsecond_past_its_hours():
    c = cycle(1, t(5), sal=t(6, 13), sql=t(10, 13) + dt.timedelta(microseconds=1))
    assert step_clock(c, SAL, CAL, now=AFTER_MARCH).state == "breached"


def test_a_running_step_clock_is_at_risk_in_its_last_quarter_and_breached_after():
    c = cycle(1, t(5), sal=t(6, 13))
    # Friday 13-17 is 4 h; the holiday Monday adds nothing; Tuesday 09:00 + 2 h = 6 h used
    at_six = step_clock(c, SAL, CAL, now=t(10, 11))
    assert (at_six.used_us, at_six.state) == (6 * US_PER_HOUR, "at_risk")
    assert step_clock(c, SAL, CAL, now=t(9, 16)).state == "open"  # the holiday: still 4 h
    assert step_clock(c, SAL, CAL, now=t(10, 13, 1)).state == "breached"
    assert at_six.breach_at == t(10, 13) + dt.timedelta(microseconds=1)


def test_a_step_without_sla_has_no_clock_state():
    c = cycle(1, t(5), sal=t(6, 13), sql=t(10, 13))
    assert step_clock(c, MQL, CAL, now=AFTER_MARCH).state is None


# --- the figures of one step in one period (hand count) ----------------------------------


def test_the_figures_of_a_step_equal_a_hand_count():
    # given five cycles; the SAL step (8 h SLA) is entered in March by cycles 1-4
    cycles = [
        # 1: SAL Fri 6 13:00 -> SQL Tue 10 13:00: 8 h, met, converted
        cycle(1, t(5), sal=t(6, 13), sql=t(10, 13)),
        # 2: SAL Wed 11 10:00 -> SQL Wed 11 12:00: 2 h, met, converted
        cycle(2, t(11, 9), sal=t(11, 10), sql=t(11, 12)),
        # 3: SAL Thu 12 09:00 -> recycled Mon 16 09:00: 16 h, breached, not converted
        cycle(3, t(11, 9), sal=t(12, 9), exits=[(t(16, 9), "recycled", "no_budget")]),
        # 4: SAL Mon 30 16:00, still there on 2 April 10:00: 1 + 8 + 8 + 1 = 18 h, breached (open)
        cycle(4, t(30, 9), sal=t(30, 16)),
        # 5: SAL in February: not in March's figures
        cycle(5, t(20, month=2), sal=t(23, month=2), sql=t(24, month=2)),
    ]
    steps = [MQL, SAL, SQL, RECYCLE]
    # when
    figures = step_figures(steps, cycles, MARCH, CAL, now=AFTER_MARCH)
    sal = next(f for f in figures if f.step.key == SAL.key)
    # then
    assert sal.entered == [1, 2, 3, 4]
    assert sal.next_step.key == SQL.key
    assert sal.converted == [1, 2]
    assert sal.conversion_percent == 50
    # times of the steps left: 8 h, 2 h, 16 h; the median is 8 h
    assert sal.median_us == 8 * US_PER_HOUR
    assert sal.breached == [3, 4]
    mql = next(f for f in figures if f.step.key == MQL.key)
    assert mql.entered == [1, 2, 3, 4]  # handoffs in March (cycle 1's on 5 March)
    assert mql.converted == [1, 2, 3, 4]  # all reached SAL
    assert mql.breached == []  # no SLA
    recycle = next(f for f in figures if f.step.key == RECYCLE.key)
    assert recycle.entered == [3]
    assert recycle.next_step is None
    assert recycle.median_us is None  # still recycled: never left


def test_figures_of_a_month_and_its_quarter_both_count_a_span():
    q1 = period_containing(TZ, "quarter", dt.datetime(2026, 3, 10, tzinfo=UTC))
    c = cycle(1, t(5), sal=t(6, 13), sql=t(10, 13))
    found = step_figures_by_period([SAL], [c], [MARCH, q1], CAL, now=AFTER_MARCH)
    assert found[MARCH][0].met == [1] and found[q1][0].met == [1]


def test_figures_of_a_quarter_and_its_first_month_are_kept_apart():
    # given January and Q1, which start at the same instant
    january = period_containing(TZ, "month", dt.datetime(2026, 1, 10, tzinfo=UTC))
    q1 = period_containing(TZ, "quarter", dt.datetime(2026, 1, 10, tzinfo=UTC))
    assert january.start == q1.start
    # when a span entered in March is counted
    c = cycle(1, t(5), sal=t(6, 13), sql=t(10, 13))
    found = step_figures_by_period([SAL], [c], [january, q1], CAL, now=AFTER_MARCH)
    # then it counts once in the quarter and not in January
    assert found[q1][0].entered == [1] and found[q1][0].met == [1]
    assert found[january][0].entered == []


def test_figures_hold_until_a_running_clock_turns_at_risk_then_until_it_breaches():
    # given a lead accepted on Tuesday 10 March 09:00 and still in SAL (8 h)
    c = cycle(1, t(6, 9), sal=t(10, 9))
    # then at 10:00 the figures hold until 15:00 (a quarter of 8 h left: at risk)
    _found, until = step_figures_until([SAL], [c], [MARCH], CAL, now=t(10, 10))
    assert until == t(10, 15)
    # and at 16:00 until one microsecond of business time past 8 h (Wednesday 09:00)
    _found, until = step_figures_until([SAL], [c], [MARCH], CAL, now=t(10, 16))
    assert until == t(11, 9) + dt.timedelta(microseconds=1)
    # and a fact stamped after now (the lead moves on at 16:30) comes first
    moved = cycle(2, t(6, 9), sal=t(10, 9), sql=t(10, 16, 30))
    _found, until = step_figures_until([SAL], [moved], [MARCH], CAL, now=t(10, 16))
    assert until == t(10, 16, 30)
