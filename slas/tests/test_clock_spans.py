"""slas.clock over long spans: business time and deadlines are read from per-year sums of
the working intervals, not counted day by day, and agree exactly with the day-by-day
count (kept here as the reference) for any instants, zones, weekdays, hours, holidays
and daylight-saving changes."""

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from slas.clock import (
    UTC,
    BusinessCalendar,
    _day_interval,
    _local_date,
    business_instant,
    business_us,
)

ONE_DAY = dt.timedelta(days=1)
ONE_US = dt.timedelta(microseconds=1)


def reference_business_us(cal, start, end):
    """The day-by-day count: every local date from start's to end's, each day's interval
    clipped to [start, end)."""
    if end <= start:
        return 0
    total = dt.timedelta(0)
    day, last = _local_date(start, cal), _local_date(end, cal)
    while day <= last:
        interval = _day_interval(cal, day)
        if interval is not None:
            lo, hi = max(interval[0], start), min(interval[1], end)
            if hi > lo:
                total += hi - lo
        day += ONE_DAY
    return total // ONE_US


def reference_business_instant(cal, start, us):
    start = start.astimezone(UTC)
    remaining = dt.timedelta(microseconds=us)
    if remaining <= dt.timedelta(0):
        return start
    day = _local_date(start, cal)
    while True:
        interval = _day_interval(cal, day)
        if interval is not None:
            lo, hi = max(interval[0], start), interval[1]
            if hi > lo:
                if hi - lo >= remaining:
                    return lo + remaining
                remaining -= hi - lo
        day += ONE_DAY


# Zones with daylight saving north and south, changes at midnight (Santiago, Beirut),
# twice a year around Ramadan (Casablanca), a skipped date (Apia, end of 2011), half
# hours (Tehran, Lord Howe), and none.
ZONES = [
    "Europe/Bucharest",
    "America/New_York",
    "Asia/Jerusalem",
    "Australia/Sydney",
    "Australia/Lord_Howe",
    "America/Santiago",
    "Asia/Beirut",
    "Africa/Casablanca",
    "Pacific/Apia",
    "Asia/Tehran",
    "Asia/Kolkata",
    "UTC",
]
FIRST, LAST = dt.datetime(2009, 1, 1), dt.datetime(2031, 1, 1)

times = st.times().map(lambda t: t.replace(microsecond=t.microsecond // 1000 * 1000))


@st.composite
def calendars(draw):
    start, end = sorted(draw(st.lists(times, min_size=2, max_size=2, unique=True)))
    holidays = draw(
        st.frozensets(st.dates(min_value=FIRST.date(), max_value=LAST.date()), max_size=40)
    )
    # and holidays bunched where spans begin and end, so that edges fall on them
    near = draw(st.dates(min_value=FIRST.date(), max_value=LAST.date()))
    bunched = draw(st.frozensets(st.integers(0, 20), max_size=10))
    return BusinessCalendar(
        tz=draw(st.sampled_from(ZONES)),
        working_days=draw(st.frozensets(st.integers(0, 6), min_size=1)),
        start=start,
        end=end,
        holidays=holidays | {near + dt.timedelta(days=n) for n in bunched},
    )


instants = st.datetimes(min_value=FIRST, max_value=LAST).map(lambda d: d.replace(tzinfo=UTC))
spans = st.one_of(
    st.timedeltas(min_value=dt.timedelta(0), max_value=dt.timedelta(days=10)),
    st.timedeltas(min_value=dt.timedelta(0), max_value=dt.timedelta(days=3 * 366)),
)


@settings(max_examples=600, deadline=None)
@given(calendars(), instants, spans)
def test_business_time_over_any_span_equals_the_day_by_day_count(cal, start, span):
    end = start + span
    assert business_us(cal, start, end) == reference_business_us(cal, start, end)


@settings(max_examples=600, deadline=None)
@given(
    calendars(),
    instants,
    st.one_of(st.integers(0, 3_600_000_000), st.integers(0, 2_000 * 3_600_000_000)),
)
def test_a_deadline_is_the_instant_the_day_by_day_count_reaches(cal, start, us):
    assert business_instant(cal, start, us) == reference_business_instant(cal, start, us)


def test_a_clock_years_old_reads_as_few_days_as_one_a_day_old():
    # given a calendar whose year sums are already known (an earlier clock read them)
    cal = BusinessCalendar(tz="Europe/Bucharest", holidays={dt.date(2024, 12, 25)})
    start = dt.datetime(2018, 3, 5, 10, tzinfo=UTC)
    now = dt.datetime(2026, 3, 5, 10, tzinfo=UTC)
    business_us(cal, start, now)
    business_instant(cal, start, 2_000 * 3_600_000_000)
    # when the clock is read again, and a deadline 2,000 business hours on
    before = _day_interval.cache_info()
    business_us(cal, start + ONE_US, now)
    business_instant(cal, start + ONE_US, 2_000 * 3_600_000_000)
    after = _day_interval.cache_info()
    # then only the days at its two ends were looked at, not eight years of days
    assert (after.hits + after.misses) - (before.hits + before.misses) <= 10
