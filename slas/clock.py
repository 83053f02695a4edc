"""Business-hours clock (pure Python, no Django).

Contract (docs/compliance.md#business-clock): business time between two
instants is the total overlap of ``[start, end)`` with the working intervals.
Each working day has one interval, read in *local wall time* of the calendar's
time zone, so a daylight-saving change never moves it: 09:00-17:00 is 8 real
hours on a DST day unless the jump itself falls inside the interval.

All functions take aware datetimes (any zone) and return aware UTC datetimes.

Exactness: business time is counted in whole microseconds (the resolution of a
datetime, ``business_us``) and every rule that compares a clock with its window
(``Allowance``) does so in integers: H is read as the decimal it is written as
(``exact_hours``: 4.1 hours is 14,760 seconds, never 4.1 x 3600 = 14759.999999999998),
and the thresholds are rounded the one way that keeps each comparison exact. Float
seconds (``business_seconds``) are for display and the stored column only.

Choices
-------
- Each day's local interval is converted to UTC separately. A boundary that
  does not exist (spring-forward gap) maps to the transition instant, i.e. the
  first instant whose wall time is past it. An ambiguous boundary
  (autumn fall-back) maps to its earliest occurrence for the interval start
  and its latest occurrence for the interval end.
- ``business_deadline(cal, t, 0)`` is ``t`` itself (the earliest instant with
  zero business time elapsed), even when ``t`` is outside working hours.
- A window H that is not a whole number of microseconds (possible only with more
  than eight decimals of an hour) keeps its exact value in every comparison: a
  clock is within H while it has used at most floor(H) microseconds, and the
  deadline is the first instant with at least H elapsed.
- Cost is O(1) per clock once a calendar's years are known: the days at a span's
  two ends are clipped one by one (``_EDGE_DAYS``), the whole days between are read
  from the calendar's per-year running sums of its working intervals (``_year_sums``,
  365 day steps once per calendar and year, cached), and a deadline is found in them by
  bisection. A queue of clocks handed off months ago used to count every day of each
  (issue 21 section 2); the sums are the same day-by-day count, made once, so holidays
  and daylight-saving days weigh exactly what they did (slas/tests/test_clock_spans.py
  compares them with the day-by-day count).
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from bisect import bisect_left
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

UTC = dt.UTC

#: An open clock is at risk with at most this share of its H left, and not yet breached
#: (docs/compliance.md#at-risk-rule). The one place this share is written; exact.
AT_RISK_SHARE = Fraction(1, 4)
US_PER_SECOND = 1_000_000
US_PER_HOUR = 3600 * US_PER_SECOND
_ONE_DAY = dt.timedelta(days=1)
_ONE_US = dt.timedelta(microseconds=1)

#: A number of hours as commitments and versions hold it: an int or a float (JSON
#: parameters), a Decimal (``Version.first_contact_hours``), a string of one, or exact.
Hours = int | float | Decimal | Fraction | str
ClockState = Literal["met", "breached", "open", "at_risk"]


@dataclass(frozen=True)
class BusinessCalendar:
    """Working time of one agreement version: a time zone, weekdays
    (Monday=0), one local wall-time interval per working day, and local
    holiday dates. Validated on construction so every calendar has some
    working time; iterables are normalised to frozensets (hashable, cacheable).
    """

    tz: str
    working_days: frozenset[int] = field(default_factory=lambda: frozenset({0, 1, 2, 3, 4}))
    start: dt.time = dt.time(9)
    end: dt.time = dt.time(17)
    holidays: frozenset[dt.date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.tz)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {self.tz!r}") from exc
        object.__setattr__(self, "working_days", frozenset(self.working_days))
        object.__setattr__(self, "holidays", frozenset(self.holidays))
        if not self.working_days:
            raise ValueError("calendar has no working time: no working weekdays")
        if not self.working_days <= set(range(7)):
            raise ValueError(
                f"working days must be 0 (Monday) .. 6, got {sorted(self.working_days)}"
            )
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ValueError("working interval times must be naive local wall times")
        if self.start >= self.end:
            raise ValueError(
                f"calendar has no working time: interval {self.start}-{self.end} is empty"
            )

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz)


def _require_aware(name: str, value: dt.datetime) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime, got naive {value!r}")


def _wall(u: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    return u.astimezone(zone).replace(tzinfo=None, fold=0)


def _local_to_utc(day: dt.date, t: dt.time, zone: ZoneInfo, *, latest: bool) -> dt.datetime:
    """UTC instant of local wall time ``day t`` (see module Choices for gaps/folds)."""
    naive = dt.datetime.combine(day, t)
    candidates = []
    for fold in (0, 1):
        u = naive.replace(tzinfo=zone, fold=fold).astimezone(UTC)
        if _wall(u, zone) == naive:
            candidates.append(u)
    if candidates:
        return max(candidates) if latest else min(candidates)
    # Spring-forward gap: fold=1 gives an instant before the jump, fold=0 one
    # after it. Binary-search the transition (offsets change on whole seconds).
    lo = naive.replace(tzinfo=zone, fold=1).astimezone(UTC)
    hi = naive.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if lo > hi:
        lo, hi = hi, lo
    before = lo.astimezone(zone).utcoffset()
    while hi - lo > dt.timedelta(seconds=1):
        mid = lo + (hi - lo) / 2
        if mid.astimezone(zone).utcoffset() == before:
            lo = mid
        else:
            hi = mid
    return hi.replace(microsecond=0)


def _interval_of(cal: BusinessCalendar, day: dt.date) -> tuple[dt.datetime, dt.datetime] | None:
    """The working interval of a local date in UTC, or None on non-working days."""
    if day.weekday() not in cal.working_days or day in cal.holidays:
        return None
    zone = cal.zone
    lo = _local_to_utc(day, cal.start, zone, latest=False)
    hi = _local_to_utc(day, cal.end, zone, latest=True)
    if hi <= lo:
        return None
    return lo, hi


_day_interval = lru_cache(maxsize=8192)(_interval_of)

#: Days at each end of a span that are clipped to it one by one; the days between lie
#: wholly inside the span, whatever the zone's jumps (even a whole day back, as a date
#: line move), so they are read from the year sums.
_EDGE_DAYS = 2


@lru_cache(maxsize=512)
def _year_sums(cal: BusinessCalendar, year: int) -> tuple[int, ...]:
    """Running sums of the year's working intervals in microseconds: item i is the
    business time of the year's first i local dates (so item 0 is 0, the last the year's
    total). Made from ``_interval_of`` directly, not to flush the per-day cache."""
    sums = [0]
    day = dt.date(year, 1, 1)
    while day.year == year:
        interval = _interval_of(cal, day)
        sums.append(sums[-1] + ((interval[1] - interval[0]) // _ONE_US if interval else 0))
        day += _ONE_DAY
    return tuple(sums)


def _days_us(cal: BusinessCalendar, first: dt.date, last: dt.date) -> int:
    """Business time of the whole local dates ``first`` .. ``last`` (inclusive; 0 if
    ``last`` is before ``first``)."""
    total = 0
    for year in range(first.year, last.year + 1):
        sums = _year_sums(cal, year)
        jan1 = dt.date(year, 1, 1)
        lo = (first - jan1).days if year == first.year else 0
        hi = (last - jan1).days + 1 if year == last.year else len(sums) - 1
        total += sums[hi] - sums[lo]
    return total


def _local_date(value: dt.datetime, cal: BusinessCalendar) -> dt.date:
    return value.astimezone(cal.zone).date()


@dataclass(frozen=True)
class Pause:
    """Why a clock is not running at an instant, and when it runs again."""

    reason: Literal["holiday", "day_off", "outside_hours"]
    resumes_at: dt.datetime


def clock_pause(cal: BusinessCalendar, at: dt.datetime) -> Pause | None:
    """None while ``at`` is working time; otherwise why not (a holiday, a day that is not a
    working day, or outside the day's hours) and the next working instant.

    Every calendar has working time on some weekday, so a working day comes within a
    week past the last holiday; the search is bounded by the holidays listed.
    """
    _require_aware("at", at)
    u = at.astimezone(UTC)
    day = _local_date(u, cal)
    today = _day_interval(cal, day)
    if today is not None and today[0] <= u < today[1]:
        return None
    if day in cal.holidays:
        reason = "holiday"
    elif day.weekday() not in cal.working_days:
        reason = "day_off"
    else:
        reason = "outside_hours"
    if today is not None and u < today[0]:
        return Pause(reason, today[0])
    for offset in range(1, len(cal.holidays) + 8):
        interval = _day_interval(cal, day + dt.timedelta(days=offset))
        if interval is not None:
            return Pause(reason, interval[0])
    raise ValueError("calendar has no working time ahead")  # pragma: no cover


def exact_hours(hours: Hours) -> Fraction:
    """``hours`` as an exact number. A float is read as the shortest decimal that prints as
    it (4.1 is 41/10, not the binary 4.0999999999999996447...): a window typed as 4.1
    means 4.1 hours."""
    if isinstance(hours, bool):
        raise TypeError("hours must be a number, not a bool")
    if isinstance(hours, float):
        if not math.isfinite(hours):
            raise ValueError(f"hours must be finite, got {hours}")
        return Fraction(Decimal(repr(hours)))
    if isinstance(hours, str):
        return Fraction(Decimal(hours))
    return Fraction(hours)


def business_us(cal: BusinessCalendar, start: dt.datetime, end: dt.datetime) -> int:
    """Microseconds of ``[start, end)`` that fall inside working intervals; 0 if end <= start.
    Exact: the unit every clock comparison uses."""
    _require_aware("start", start)
    _require_aware("end", end)
    if end <= start:
        return 0
    first = _local_date(start, cal)
    last = _local_date(end, cal)
    edge = dt.timedelta(days=_EDGE_DAYS)
    if last - first <= 2 * edge:
        clipped = [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]
        middle = 0
    else:
        clipped = [first + dt.timedelta(days=n) for n in range(_EDGE_DAYS)]
        clipped += [last - dt.timedelta(days=n) for n in range(_EDGE_DAYS)]
        middle = _days_us(cal, first + edge, last - edge)
    total = dt.timedelta(0)
    for day in clipped:
        interval = _day_interval(cal, day)
        if interval is not None:
            lo = max(interval[0], start)
            hi = min(interval[1], end)
            if hi > lo:
                total += hi - lo
    return total // _ONE_US + middle


def business_seconds(cal: BusinessCalendar, start: dt.datetime, end: dt.datetime) -> float:
    """``business_us`` in seconds, for display and the stored ``clock_business_seconds``;
    compare clocks with ``business_us`` and ``Allowance``."""
    return business_us(cal, start, end) / US_PER_SECOND


def business_deadline(cal: BusinessCalendar, start: dt.datetime, hours: Hours) -> dt.datetime:
    """Earliest UTC instant d with ``business_us(cal, start, d) >= hours`` (exactly).

    If ``start`` is outside working hours the clock effectively starts at the
    next working interval. Always terminates: the calendar has working time
    and finitely many holidays.
    """
    exact = exact_hours(hours)
    if exact < 0:
        raise ValueError(f"hours must be >= 0, got {hours}")
    return business_instant(cal, start, math.ceil(exact * US_PER_HOUR))


def business_instant(cal: BusinessCalendar, start: dt.datetime, us: int) -> dt.datetime:
    """Earliest UTC instant d with ``business_us(cal, start, d) == us`` (``us`` >= 0)."""
    _require_aware("start", start)
    if us < 0:
        raise ValueError(f"business time must be >= 0, got {us} microseconds")
    start = start.astimezone(UTC)
    remaining = dt.timedelta(microseconds=us)
    if remaining <= dt.timedelta(0):
        return start
    day = _local_date(start, cal)
    for _edge in range(_EDGE_DAYS):  # the first days, clipped to the start
        interval = _day_interval(cal, day)
        if interval is not None:
            lo = max(interval[0], start)
            hi = interval[1]
            if hi > lo:
                available = hi - lo
                if available >= remaining:
                    return lo + remaining
                remaining -= available
        day += _ONE_DAY
    # Then whole days: the first whose running sum reaches what is left, by bisection in
    # its year's sums (a calendar has working time every week, so some year reaches it).
    left = remaining // _ONE_US
    while True:
        sums = _year_sums(cal, day.year)
        jan1 = dt.date(day.year, 1, 1)
        i = (day - jan1).days
        if sums[-1] - sums[i] >= left:
            j = bisect_left(sums, sums[i] + left, lo=i + 1)
            interval = _day_interval(cal, jan1 + dt.timedelta(days=j - 1))
            return interval[0] + dt.timedelta(microseconds=left - (sums[j - 1] - sums[i]))
        left -= sums[-1] - sums[i]
        day = dt.date(day.year + 1, 1, 1)


@dataclass(frozen=True)
class Allowance:
    """A first-contact window of H business hours, and the one rule that judges a clock
    against it (docs/compliance.md#first_contact_within): stopped within H is met, past
    H breached; running past H is breached, else open, and at risk with at most
    ``AT_RISK_SHARE`` of H left. Thresholds are whole microseconds of business time,
    rounded so that each integer comparison equals the exact one."""

    hours: Fraction
    within_us: int  # floor(H): a clock that used at most this much is within H
    at_risk_from_us: int  # ceil((1 - share) H): a running clock that used this much is at risk

    @classmethod
    @functools.lru_cache(maxsize=256)  # frozen; a page's clocks share a window or two
    def of(cls, hours: Hours) -> Allowance:
        exact = exact_hours(hours)
        if exact < 0:
            raise ValueError(f"hours must be >= 0, got {hours}")
        window = exact * US_PER_HOUR
        return cls(exact, math.floor(window), math.ceil((1 - AT_RISK_SHARE) * window))

    def state(self, used_us: int, *, stopped: bool) -> ClockState:
        """How a clock that used ``used_us`` of business time reads, stopped or running."""
        if used_us > self.within_us:
            return "breached"
        if stopped:
            return "met"
        return "at_risk" if used_us >= self.at_risk_from_us else "open"

    def left_us(self, used_us: int) -> int:
        """Business time left before the clock breaches (H - used, to the microsecond
        below); 0 at exactly H, negative once overrun."""
        return self.within_us - used_us

    def reached(self, used_us: int, percent: int | Decimal) -> bool:
        """Whether ``percent`` % of H has been used (escalation steps)."""
        return used_us * 100 >= Fraction(percent) * self.hours * US_PER_HOUR

    def at_risk_instant(self, cal: BusinessCalendar, start: dt.datetime) -> dt.datetime:
        """The instant a clock started at ``start`` and still running turns at risk."""
        return business_instant(cal, start, self.at_risk_from_us)

    def breach_instant(self, cal: BusinessCalendar, start: dt.datetime) -> dt.datetime:
        """The instant a clock started at ``start`` and still running breaches: one
        microsecond of business time past H."""
        return business_instant(cal, start, self.within_us + 1)
