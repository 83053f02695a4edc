"""The portal's one way of writing a date or an instant, for pages, PDFs, e-mails and
notifications (templates reach it through `{% load dates %}`; CSV and API write ISO 8601).

Two kinds of value, never mixed:

- an agreement date (effective, end, review; a `datetime.date`) is a day on the
  agreement's calendar and is written as that day, whatever zone the reader is in;
- an instant (a handoff, a contact, a signature; an aware `datetime`) is written in the
  active time zone, which is the reader's (`portal.middleware.ReaderTimeZoneMiddleware`,
  or `reading_zone` for an e-mail). Given the zone the instant belongs to (the version's
  calendar zone), the reader's zone is named when the two differ, so "09:00" read in New
  York is not mistaken for 09:00 on a Bucharest calendar.

Django's named formats (DATETIME_FORMAT, ...) cover a date with a time but not a day and
month with a time, and vary in style from language to language (a 12-hour clock in
English, none in Arabic). The patterns below give the portal's short forms in every
shipped language, with month names from Django's catalogs:

- `when`: day, month, year and time ("25 Nov 2026, 14:05", "2026年11月25日 14:05");
- `when_short`: day, month and time, for recent instants ("25 Nov, 14:05");
- `day`: day, month and year; `day_short`: day and month.

Languages without an entry use English's patterns.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from contextlib import contextmanager

from django.utils import timezone, translation
from django.utils.dateformat import format as date_format
from django.utils.translation import gettext

PATTERNS = {
    "en": {"when": "j M Y, H:i", "when_short": "j M, H:i", "day": "j M Y", "day_short": "j M"},
    "ro": {"when": "j M Y, H:i", "when_short": "j M, H:i", "day": "j M Y", "day_short": "j M"},
    "ja": {
        "when": "Y年n月j日 H:i",
        "when_short": "n月j日 H:i",
        "day": "Y年n月j日",
        "day_short": "n月j日",
    },
    "ar": {"when": "j F Y، H:i", "when_short": "j F، H:i", "day": "j F Y", "day_short": "j F"},
    "fa": {"when": "j F Y، H:i", "when_short": "j F، H:i", "day": "j F Y", "day_short": "j F"},
}


def _pattern(kind: str) -> str:
    language = (translation.get_language() or "en").split("-")[0]
    return PATTERNS.get(language, PATTERNS["en"])[kind]


def _zone_key(zone) -> str:
    return str(getattr(zone, "key", zone) or "")


def _instant(value, kind: str, zone=None) -> str:
    if value in (None, ""):
        return ""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if not isinstance(value, dt.datetime):
        # A calendar date given where an instant was expected: write the day, unshifted.
        return day(value)
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    text = date_format(value, _pattern(kind))
    reader = _zone_key(timezone.get_current_timezone())
    if zone and _zone_key(zone) != reader:
        return gettext("%(when)s (%(zone)s)") % {"when": text, "zone": reader}
    return text


def _day(value, kind: str) -> str:
    if value in (None, ""):
        return ""
    if isinstance(value, str):
        value = dt.date.fromisoformat(value)
    if isinstance(value, dt.datetime):
        # An instant asked for as a day: the reader's day of it.
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return date_format(value, _pattern(kind))


def when(value, zone=None) -> str:
    """An instant with its year, in the reader's zone (named if `zone` is another)."""
    return _instant(value, "when", zone)


def when_short(value, zone=None) -> str:
    """An instant without its year, in the reader's zone (named if `zone` is another)."""
    return _instant(value, "when_short", zone)


def day(value) -> str:
    """A calendar date with its year, as it is (never shifted by a zone)."""
    return _day(value, "day")


def day_short(value) -> str:
    """A calendar date without its year."""
    return _day(value, "day_short")


def iso(value) -> str:
    """ISO 8601 for files and the API: an instant with its offset, a date as YYYY-MM-DD."""
    if value in (None, ""):
        return ""
    return value.isoformat()


@contextmanager
def reading_zone(zone_name: str):
    """Write instants in `zone_name` (an e-mail to a reader, away from any request)."""
    with timezone.override(zoneinfo.ZoneInfo(zone_name)):
        yield
