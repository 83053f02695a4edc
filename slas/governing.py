"""Which version governs an agreement at an instant: the in-force intervals of every activated version, per agreement, loaded once (`VersionIndex`). A cycle keeps the version that governed its handoff for life (docs/compliance.md)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from slas.calendars import version_calendar
from slas.clock import BusinessCalendar
from slas.frozen import frozen_key, frozen_parts
from slas.models import Holiday, Version

#: What the index reads of a version: its agreement, window, calendar and allowance.
GOVERNING_FIELDS = (
    "agreement",
    "in_force_from",
    "in_force_until",
    "calendar_timezone",
    "working_days",
    "work_start",
    "work_end",
    "first_contact_hours",
    "number",
    "mql_threshold",
    "status",
    "content_hash",
)


@dataclass(frozen=True)
class GoverningVersion:
    id: int
    starts: dt.datetime
    ends: dt.datetime | None
    calendar: BusinessCalendar
    first_contact_hours: Decimal  # exact, as the version holds it (slas.clock.Allowance)
    number: int = 0
    mql_threshold: int | None = None
    #: What names its parts in the shared cache (slas.frozen); None: not kept there.
    frozen: str | None = None


class VersionIndex:
    """In-force intervals of every activated version, per agreement, loaded once."""

    def __init__(self, agreement_ids: Iterable[int] | None = None) -> None:
        """`agreement_ids`: only these agreements' versions are loaded (a page showing the
        clocks of a few leads); the others have none."""
        self._by_agreement: dict[int, list[GoverningVersion]] | None = None
        self._agreement_ids = None if agreement_ids is None else set(agreement_ids)
        self._by_id: dict[int, GoverningVersion] | None = None

    def _load(self) -> dict[int, list[GoverningVersion]]:
        versions = Version.objects.filter(in_force_from__isnull=False)
        if self._agreement_ids is not None:
            versions = versions.filter(agreement__in=self._agreement_ids)
        versions = list(versions.only(*GOVERNING_FIELDS).order_by("in_force_from"))
        keys = {
            v.pk: frozen_key(v.pk, status=v.status, content_hash=v.content_hash) for v in versions
        }
        holidays = holidays_of([v.pk for v in versions], keys)
        index: dict[int, list[GoverningVersion]] = defaultdict(list)
        for version in versions:
            index[version.agreement_id].append(
                GoverningVersion(
                    id=version.pk,
                    starts=version.in_force_from,
                    ends=version.in_force_until,
                    calendar=version_calendar(version, holidays[version.pk]),
                    first_contact_hours=version.first_contact_hours,
                    number=version.number,
                    mql_threshold=version.mql_threshold,
                    frozen=keys[version.pk],
                )
            )
        return index

    def versions(self, agreement_id: int | None) -> list[GoverningVersion]:
        if self._by_agreement is None:
            self._by_agreement = self._load()
        return self._by_agreement.get(agreement_id, []) if agreement_id else []

    def version(self, version_id: int) -> GoverningVersion | None:
        """The activated version of this id (None: no such version, or never activated)."""
        if self._by_id is None:
            if self._by_agreement is None:
                self._by_agreement = self._load()
            self._by_id = {v.id: v for vs in self._by_agreement.values() for v in vs}
        return self._by_id.get(version_id)

    def frozen_keys(self, version_ids: Iterable[int]) -> dict[int, str | None]:
        """The cache keys of these versions' parts (slas.frozen): None for one the index
        does not hold (never activated) or that has no content hash."""
        found = {pk: self.version(pk) for pk in version_ids}
        return {pk: version.frozen if version else None for pk, version in found.items()}

    def governing(self, agreement_id: int | None, at: dt.datetime) -> GoverningVersion | None:
        for version in self.versions(agreement_id):
            if version.starts <= at and (version.ends is None or at < version.ends):
                return version
        return None


def holidays_of(version_ids: list[int], keys: dict[int, str | None]) -> dict[int, list[dt.date]]:
    """The versions' holidays, by date; a version out of draft's from the shared cache
    (they never change: slas.frozen), ``keys`` being frozen_key's of each version."""
    return frozen_parts("holidays-1", version_ids, keys, _holidays_load, empty=[])


def _holidays_load(version_ids: list[int]) -> dict[int, list[dt.date]]:
    holidays: dict[int, list[dt.date]] = defaultdict(list)
    rows = Holiday.objects.filter(version_id__in=version_ids).values_list("version_id", "date")
    for version_id, day in rows:
        holidays[version_id].append(day)
    return holidays
