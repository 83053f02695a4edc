"""A version's business calendar as the pure clock's `BusinessCalendar`."""

from __future__ import annotations

from slas.clock import BusinessCalendar
from slas.models import Version


def version_calendar(version: Version, holidays=None) -> BusinessCalendar:
    """Build the calendar; pass `holidays` (dates) to avoid a query when prefetched."""
    if holidays is None:
        holidays = [h.date for h in version.holidays.all()]
    return BusinessCalendar(
        tz=version.calendar_timezone,
        working_days=frozenset(int(day) for day in version.working_days),
        start=version.work_start,
        end=version.work_end,
        holidays=frozenset(holidays),
    )
