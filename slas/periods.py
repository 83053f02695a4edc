"""Reporting periods (months and quarters) in an agreement's calendar zone: the period containing an instant, the periods between two instants. Midnights are local, so a period is whole days on the calendar whatever daylight saving does."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal
from zoneinfo import ZoneInfo

PeriodKind = Literal["month", "quarter"]


@dataclass(frozen=True)
class Period:
    """A reporting period ``[start, end)``; bounds are local midnights of the
    calendar time zone, stored as aware UTC datetimes. Label: ``2026-03`` or
    ``2026-Q1``."""

    start: dt.datetime
    end: dt.datetime
    label: str

    def contains(self, instant: dt.datetime) -> bool:
        return self.start <= instant < self.end


def _local_midnight(zone: ZoneInfo, year: int, month: int) -> dt.datetime:
    return dt.datetime(year, month, 1, tzinfo=zone).astimezone(dt.UTC)


def period_containing(tz: str, kind: PeriodKind, instant: dt.datetime) -> Period:
    """The month or quarter (in ``tz``) that contains ``instant``."""
    zone = ZoneInfo(tz)
    local = instant.astimezone(zone)
    if kind == "month":
        first, months, label = local.month, 1, f"{local.year}-{local.month:02d}"
    elif kind == "quarter":
        q = (local.month - 1) // 3
        first, months, label = 3 * q + 1, 3, f"{local.year}-Q{q + 1}"
    else:
        raise ValueError(f"period kind must be 'month' or 'quarter', got {kind!r}")
    end_month = first + months
    end_year = local.year + (end_month - 1) // 12
    end_month = (end_month - 1) % 12 + 1
    return Period(
        _local_midnight(zone, local.year, first), _local_midnight(zone, end_year, end_month), label
    )


def periods_between(
    tz: str, kind: PeriodKind, start: dt.datetime, end: dt.datetime
) -> list[Period]:
    """Consecutive periods (in ``tz``) overlapping ``[start, end)``; empty if end <= start."""
    periods: list[Period] = []
    if end <= start:
        return periods
    p = period_containing(tz, kind, start)
    while p.start < end:
        periods.append(p)
        p = period_containing(tz, kind, p.end)
    return periods
