"""Business-hours clock: hand-computed cases plus property tests."""

import datetime as dt
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slas.clock import (
    Allowance,
    BusinessCalendar,
    business_deadline,
    business_instant,
    business_seconds,
    business_us,
    exact_hours,
)

BUC = ZoneInfo("Europe/Bucharest")
NYC = ZoneInfo("America/New_York")
UTC = dt.UTC
HOUR = 3600.0
US = 1_000_000

bucharest = BusinessCalendar(tz="Europe/Bucharest")
new_york = BusinessCalendar(tz="America/New_York")
every_day = frozenset(range(7))


def local(zone, *args):
    return dt.datetime(*args, tzinfo=zone)


# --- ordinary weeks -----------------------------------------------------------


def test_it_answers_a_friday_evening_handoff_monday_morning_with_one_business_hour():
    # given a handoff on Friday 18:00 and a first call on Monday 10:00
    handoff = local(BUC, 2026, 3, 6, 18)
    call = local(BUC, 2026, 3, 9, 10)
    # when / then: only Monday 09:00-10:00 counts
    assert business_seconds(bucharest, handoff, call) == 1 * HOUR


def test_it_puts_a_friday_evening_deadline_on_monday_morning_in_utc():
    deadline = business_deadline(bucharest, local(BUC, 2026, 3, 6, 18), 4)
    assert deadline == local(BUC, 2026, 3, 9, 13)
    assert deadline.tzinfo is UTC


def test_it_counts_a_full_week_as_forty_hours():
    assert business_seconds(bucharest, local(BUC, 2026, 3, 2), local(BUC, 2026, 3, 9)) == 40 * HOUR


def test_it_skips_holidays():
    # given Christmas (Friday 25 Dec) as a holiday
    cal = BusinessCalendar(tz="Europe/Bucharest", holidays=frozenset({dt.date(2026, 12, 25)}))
    thursday_noon = local(BUC, 2026, 12, 24, 12)
    # then Thursday afternoon counts, Friday does not, Monday does
    assert business_seconds(cal, thursday_noon, local(BUC, 2026, 12, 28, 10)) == 6 * HOUR
    assert business_deadline(cal, thursday_noon, 6) == local(BUC, 2026, 12, 28, 10)


def test_it_counts_nothing_between_instants_outside_working_hours_on_the_same_night():
    assert business_seconds(bucharest, local(BUC, 2026, 3, 3, 18), local(BUC, 2026, 3, 4, 8)) == 0


def test_it_starts_the_clock_at_the_next_working_interval_when_started_early():
    deadline = business_deadline(bucharest, local(BUC, 2026, 3, 3, 6, 30), 1.5)
    assert deadline == local(BUC, 2026, 3, 3, 10, 30)


def test_it_ends_a_deadline_exactly_at_the_interval_end_rather_than_the_next_morning():
    assert business_deadline(bucharest, local(BUC, 2026, 3, 3, 9), 8) == local(BUC, 2026, 3, 3, 17)


def test_it_returns_zero_when_start_equals_end_or_end_is_before_start():
    t = local(BUC, 2026, 3, 3, 11)
    assert business_seconds(bucharest, t, t) == 0
    assert business_seconds(bucharest, t, t - dt.timedelta(hours=1)) == 0


def test_it_returns_the_start_itself_for_a_zero_hour_deadline():
    t = local(BUC, 2026, 3, 7, 11)  # Saturday
    assert business_deadline(bucharest, t, 0) == t


def test_it_accepts_instants_in_any_zone():
    # 07:00 UTC is 09:00 in Bucharest (winter)
    start = dt.datetime(2026, 3, 3, 7, tzinfo=UTC)
    assert business_seconds(bucharest, start, local(NYC, 2026, 3, 3, 5)) == 3 * HOUR


def test_it_reports_remaining_time_negative_once_overdue():
    start = local(BUC, 2026, 3, 3, 9)
    four = Allowance.of(4)
    assert four.left_us(business_us(bucharest, start, local(BUC, 2026, 3, 3, 12))) == 3600 * US
    assert four.left_us(business_us(bucharest, start, local(BUC, 2026, 3, 4, 10))) == -5 * 3600 * US


def test_it_handles_a_year_long_span_quickly():
    start = local(BUC, 2026, 1, 1)
    seconds = business_seconds(bucharest, start, local(BUC, 2027, 1, 1))
    assert seconds == 261 * 8 * HOUR  # 261 weekdays in 2026
    assert business_deadline(bucharest, start, 261 * 8) == local(BUC, 2026, 12, 31, 17)


# --- daylight saving ----------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "cal", "friday", "monday"),
    [
        (BUC, bucharest, (2026, 3, 27), (2026, 3, 30)),  # Europe spring forward
        (BUC, bucharest, (2026, 10, 23), (2026, 10, 26)),  # Europe fall back
        (NYC, new_york, (2026, 3, 6), (2026, 3, 9)),  # America spring forward
        (NYC, new_york, (2026, 10, 30), (2026, 11, 2)),  # America fall back
    ],
)
def test_it_keeps_the_local_interval_across_a_dst_weekend(zone, cal, friday, monday):
    # given a Friday 13:00 start, with the clocks changing on Sunday
    start = local(zone, *friday, 13)
    # then 8 business hours end at Monday 13:00 local wall time
    deadline = business_deadline(cal, start, 8)
    assert deadline == local(zone, *monday, 13)
    assert deadline.astimezone(zone).hour == 13
    assert business_seconds(cal, start, local(zone, *monday, 10)) == 5 * HOUR


@pytest.mark.parametrize(
    ("zone", "tz", "day", "real_hours"),
    [
        (BUC, "Europe/Bucharest", (2026, 3, 29), 7),  # 03:00 -> 04:00
        (BUC, "Europe/Bucharest", (2026, 10, 25), 9),  # 04:00 -> 03:00
        (NYC, "America/New_York", (2026, 3, 8), 7),  # 02:00 -> 03:00
        (NYC, "America/New_York", (2026, 11, 1), 9),  # 02:00 -> 01:00
    ],
)
def test_it_counts_real_time_when_the_jump_falls_inside_the_interval(zone, tz, day, real_hours):
    # given a night-shift interval 00:00-08:00 that contains the clock change
    cal = BusinessCalendar(tz=tz, working_days=every_day, start=dt.time(0), end=dt.time(8))
    d = dt.date(*day)
    whole_day = (local(zone, *day), local(zone, *(d + dt.timedelta(days=1)).timetuple()[:3]))
    # then the interval is 7 or 9 real hours
    assert business_seconds(cal, *whole_day) == real_hours * HOUR


def test_it_starts_an_interval_that_begins_in_the_spring_gap_at_the_jump():
    # 02:30 does not exist on 8 Mar 2026 in New York; the first later wall time is 03:00 EDT
    cal = BusinessCalendar(
        tz="America/New_York", working_days=every_day, start=dt.time(2, 30), end=dt.time(4)
    )
    day = (local(NYC, 2026, 3, 8), local(NYC, 2026, 3, 9))
    assert business_seconds(cal, *day) == 1 * HOUR
    assert business_deadline(cal, day[0], 0.5) == dt.datetime(2026, 3, 8, 7, 30, tzinfo=UTC)


def test_it_spans_both_occurrences_of_an_ambiguous_boundary_in_autumn():
    # 01:30 (EDT, first) to 03:00 (EST) on 1 Nov 2026 is 2.5 real hours
    cal = BusinessCalendar(
        tz="America/New_York", working_days=every_day, start=dt.time(1, 30), end=dt.time(3)
    )
    assert business_seconds(cal, local(NYC, 2026, 11, 1), local(NYC, 2026, 11, 2)) == 2.5 * HOUR


# --- guards -------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {"working_days": frozenset()},
        {"start": dt.time(17), "end": dt.time(9)},
        {"start": dt.time(9), "end": dt.time(9)},
        {"working_days": frozenset({7})},
        {"tz": "Mars/Olympus_Mons"},
    ],
)
def test_it_rejects_calendars_without_working_time_or_with_bad_settings(kwargs):
    with pytest.raises(ValueError):
        BusinessCalendar(**{"tz": "Europe/Bucharest", **kwargs})


def test_it_says_clearly_why_a_calendar_is_rejected():
    with pytest.raises(ValueError, match="no working time"):
        BusinessCalendar(tz="UTC", working_days=frozenset())


def test_it_normalises_plain_sets_to_frozensets_so_calendars_stay_hashable():
    cal = BusinessCalendar(tz="UTC", working_days={0, 1}, holidays=[dt.date(2026, 1, 1)])
    assert isinstance(cal.working_days, frozenset)
    assert hash(cal) == hash(
        BusinessCalendar(
            tz="UTC", working_days=frozenset({0, 1}), holidays=frozenset({dt.date(2026, 1, 1)})
        )
    )


def test_it_rejects_naive_datetimes_and_negative_hours():
    with pytest.raises(ValueError, match="aware"):
        business_seconds(bucharest, dt.datetime(2026, 3, 3), local(BUC, 2026, 3, 4))
    with pytest.raises(ValueError):
        business_deadline(bucharest, local(BUC, 2026, 3, 3), -1)


# --- properties ---------------------------------------------------------------

calendars = st.sampled_from(
    [
        bucharest,
        new_york,
        BusinessCalendar(
            tz="Asia/Jerusalem",
            working_days=frozenset({6, 0, 1, 2, 3}),
            start=dt.time(8),
            end=dt.time(16, 30),
            holidays=frozenset({dt.date(2026, 4, 2), dt.date(2026, 9, 21)}),
        ),
        BusinessCalendar(
            tz="America/New_York", working_days=every_day, start=dt.time(0), end=dt.time(8)
        ),
    ]
)
instants = st.datetimes(min_value=dt.datetime(2025, 12, 1), max_value=dt.datetime(2027, 2, 1)).map(
    lambda d: d.replace(tzinfo=UTC)
)
hours = st.floats(min_value=0, max_value=400, allow_nan=False, allow_infinity=False)


@settings(max_examples=200, deadline=None)
@given(calendars, instants, instants, instants)
def test_it_is_additive_over_any_split_point(cal, a, b, c):
    a, b, c = sorted([a, b, c])
    whole = business_seconds(cal, a, c)
    assert whole == pytest.approx(
        business_seconds(cal, a, b) + business_seconds(cal, b, c), abs=1e-6
    )


@settings(max_examples=200, deadline=None)
@given(calendars, instants, hours)
def test_it_lands_a_deadline_on_exactly_the_requested_business_time(cal, start, h):
    deadline = business_deadline(cal, start, h)
    assert abs(business_seconds(cal, start, deadline) - h * 3600) <= 1e-6
    if h * 3600 > 1e-6:  # and nothing earlier would do
        earlier = deadline - dt.timedelta(microseconds=2)
        assert business_seconds(cal, start, earlier) < h * 3600


@settings(max_examples=200, deadline=None)
@given(calendars, instants, instants, instants, hours, hours)
def test_it_is_monotonic(cal, start, e1, e2, h1, h2):
    e1, e2 = sorted([e1, e2])
    h1, h2 = sorted([h1, h2])
    assert business_seconds(cal, start, e1) <= business_seconds(cal, start, e2)
    assert business_deadline(cal, start, h1) <= business_deadline(cal, start, h2)
    assert business_seconds(cal, start, e1) >= 0


# --- exact comparison (issue 16, section 8) -------------------------------------------


def test_it_counts_business_time_in_whole_microseconds():
    start = local(BUC, 2026, 3, 2, 9)
    assert business_us(bucharest, start, start + dt.timedelta(microseconds=7)) == 7
    assert business_us(bucharest, start, local(BUC, 2026, 3, 2, 13, 6)) == 14_760 * US


def test_it_reads_a_window_as_the_decimal_it_is_written_as():
    # 4.1 x 3600 is 14759.999999999998 in binary floating point; 4.1 hours are 14,760 s
    assert exact_hours(4.1) * 3600 == 14_760
    assert exact_hours(Decimal("4.10")) == exact_hours("4.1") == exact_hours(4.1)
    with pytest.raises(TypeError):
        exact_hours(True)


def test_it_lands_a_fractional_deadline_on_the_exact_instant():
    # given a handoff on Monday 09:00 and a window of 4.1 business hours
    start = local(BUC, 2026, 3, 2, 9)
    # then the deadline is 13:06:00 sharp, and 16.5 minutes before it 25 % are left
    assert business_deadline(bucharest, start, 4.1) == local(BUC, 2026, 3, 2, 13, 6)
    risk = Allowance.of(1.1).at_risk_instant(bucharest, start)
    assert risk == local(BUC, 2026, 3, 2, 9, 49) + dt.timedelta(seconds=30)


@pytest.mark.parametrize(
    ("hours", "used_s", "state"),
    [
        (4.1, 14_760, "at_risk"),  # exactly H, still running: at risk, not breached
        (1.1, 2970, "at_risk"),  # exactly 25 % of 1.1 h left
        (4.4, 11_880, "at_risk"),  # exactly 25 % of 4.4 h left
        (1.1, 2969, "open"),
        (4.4, 11_879, "open"),
    ],
)
def test_it_judges_a_running_clock_at_the_boundaries_exactly(hours, used_s, state):
    assert Allowance.of(hours).state(used_s * US, stopped=False) == state


def test_it_breaches_a_running_clock_one_microsecond_past_h():
    assert Allowance.of(4.1).state(14_760 * US + 1, stopped=False) == "breached"


def test_it_judges_a_stopped_clock_met_at_exactly_h():
    allowance = Allowance.of(4.1)
    assert allowance.state(14_760 * US, stopped=True) == "met"
    assert allowance.state(14_760 * US + 1, stopped=True) == "breached"


def test_a_window_finer_than_a_microsecond_keeps_its_exact_value():
    # H = 1e-10 h = 0.36 us: a clock is within H only at 0 us, and the deadline is 1 us
    allowance = Allowance.of(Fraction(1, 10**10))
    assert (allowance.within_us, allowance.at_risk_from_us) == (0, 1)
    start = local(BUC, 2026, 3, 2, 9)
    assert business_deadline(bucharest, start, Fraction(1, 10**10)) == start + dt.timedelta(
        microseconds=1
    )


fractional_hours = st.integers(min_value=1, max_value=40_000).map(lambda n: n / 1000)


@settings(max_examples=200, deadline=None)
@given(calendars, instants, fractional_hours)
def test_a_deadline_of_fractional_hours_holds_exactly_h_and_nothing_earlier_does(cal, start, h):
    h_us = round(Decimal(repr(h)) * 3600 * US)
    deadline = business_deadline(cal, start, h)
    assert business_us(cal, start, deadline) == h_us
    assert business_us(cal, start, deadline - dt.timedelta(microseconds=1)) < h_us
    assert business_instant(cal, start, h_us) == deadline


@settings(max_examples=200, deadline=None)
@given(st.one_of(fractional_hours, st.decimals(min_value="0.01", max_value="400", places=2)))
def test_a_clock_at_exactly_h_is_within_and_a_quarter_left_is_at_risk(h):
    # given any window with fractional hours, in whole microseconds
    allowance = Allowance.of(h)
    h_us = Fraction(Decimal(str(h))) * 3600 * US
    # then exactly H used is met when stopped and open (at risk) when running; one
    # microsecond more is breached either way
    assert allowance.state(int(h_us), stopped=True) == "met"
    assert allowance.state(int(h_us), stopped=False) == "at_risk"
    assert allowance.left_us(int(h_us)) == 0
    assert allowance.state(int(h_us) + 1, stopped=True) == "breached"
    assert allowance.state(int(h_us) + 1, stopped=False) == "breached"
    # and exactly 25 % of H left is at risk, a microsecond more left is not
    turn = h_us * 3 / 4
    assert turn.denominator == 1
    assert allowance.state(int(turn), stopped=False) == "at_risk"
    assert allowance.left_us(int(turn)) == h_us / 4
    assert allowance.state(int(turn) - 1, stopped=False) == "open"


@settings(max_examples=200, deadline=None)
@given(calendars, instants, instants, instants)
def test_it_is_exactly_additive_over_any_split_point(cal, a, b, c):
    a, b, c = sorted([a, b, c])
    assert business_us(cal, a, c) == business_us(cal, a, b) + business_us(cal, b, c)
