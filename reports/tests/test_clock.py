"""Business-hours clock: hand-computed cases plus property tests."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slas.clock import BusinessCalendar, business_deadline, business_remaining, business_seconds

BUC = ZoneInfo("Europe/Bucharest")
NYC = ZoneInfo("America/New_York")
UTC = dt.UTC
HOUR = 3600.0

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
    assert business_remaining(bucharest, start, 4, local(BUC, 2026, 3, 3, 12)) == 1 * HOUR
    assert business_remaining(bucharest, start, 4, local(BUC, 2026, 3, 4, 10)) == -5 * HOUR


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
