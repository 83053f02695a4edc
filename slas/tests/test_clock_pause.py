"""slas.clock.clock_pause: whether a business clock runs at an instant, why not, and when
it runs again."""

import datetime as dt
from zoneinfo import ZoneInfo

from slas.clock import BusinessCalendar, Pause, clock_pause

BUC = ZoneInfo("Europe/Bucharest")
CAL = BusinessCalendar("Europe/Bucharest", holidays={dt.date(2026, 12, 25)})


def at(month, day, hour, minute=0):
    return dt.datetime(2026, month, day, hour, minute, tzinfo=BUC)


def test_a_clock_in_working_hours_is_not_paused():
    assert clock_pause(CAL, at(12, 2, 10)) is None


def test_before_the_day_starts_it_resumes_at_nine_the_same_day():
    assert clock_pause(CAL, at(12, 2, 7)) == Pause("outside_hours", at(12, 2, 9))


def test_after_hours_on_friday_it_resumes_on_monday_morning():
    assert clock_pause(CAL, at(12, 4, 18)) == Pause("outside_hours", at(12, 7, 9))


def test_on_a_saturday_it_is_a_day_off_until_monday():
    assert clock_pause(CAL, at(12, 5, 11)) == Pause("day_off", at(12, 7, 9))


def test_on_a_holiday_it_says_holiday_and_resumes_the_next_working_day():
    assert clock_pause(CAL, at(12, 25, 11)) == Pause("holiday", at(12, 28, 9))


def test_the_end_of_the_working_day_is_already_paused():
    assert clock_pause(CAL, at(12, 2, 17)) == Pause("outside_hours", at(12, 3, 9))
