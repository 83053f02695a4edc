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
month with a time, vary in style from language to language (a 12-hour clock in English,
none in Arabic), capitalise Romanian months and know only the Gregorian calendar. The
patterns below give the portal's short forms in every shipped language:

- `when`: day, month, year and time ("25 Nov 2026, 14:05", "2026年11月25日 14:05");
- `when_short`: day, month and time, for recent instants ("25 Nov, 14:05");
- `day`: day, month and year; `day_short`: day and month;
- `month`: a month and its year ("November 2026", "noiembrie 2026", "2026年11月"); the
  portal's months (the monthly report) are Gregorian, so Persian names the Gregorian
  month ("نوامبر ۲۰۲۶"), not the Solar Hijri months it overlaps;
- `clock`: the time of day alone ("14:05"); `since`: how long ago ("2 days").

Each language as it writes dates:

- en: abbreviated month ("6 Dec 2026"); ro: the full month name in lower case, as
  Romanian writes it in a sentence ("6 decembrie 2026");
- ja: 2026年12月6日;
- ar: the month's name from Django's catalog, Arabic-Indic digits ("٦ ديسمبر ٢٠٢٦"),
  the digits CLDR gives `ar` and the numbers of the page use (`portal.numbers`);
- fa: the Solar Hijri calendar (jdatetime), Persian month names and digits
  ("۱۵ آذر ۱۴۰۵"); the year turns at Nowruz (1 Farvardin, 20 or 21 March).

Languages without an entry use English's patterns. The time is always a 24-hour clock.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from contextlib import contextmanager
from dataclasses import dataclass

import jdatetime
from django.utils import timezone, translation
from django.utils.dates import MONTHS, MONTHS_3
from django.utils.timesince import timesince
from django.utils.translation import gettext

from portal.numbers import digits

# {d} day, {m} month number, {y} year, {mon} short month name, {month} month name,
# {time} hours:minutes.
PATTERNS = {
    "en": {
        "when": "{d} {mon} {y}, {time}",
        "when_short": "{d} {mon}, {time}",
        "day": "{d} {mon} {y}",
        "day_short": "{d} {mon}",
        "month": "{month} {y}",
    },
    "ro": {
        "when": "{d} {month} {y}, {time}",
        "when_short": "{d} {month}, {time}",
        "day": "{d} {month} {y}",
        "day_short": "{d} {month}",
        "month": "{month} {y}",
    },
    "ja": {
        "when": "{y}年{m}月{d}日 {time}",
        "when_short": "{m}月{d}日 {time}",
        "day": "{y}年{m}月{d}日",
        "day_short": "{m}月{d}日",
        "month": "{y}年{m}月",
    },
    "ar": {
        "when": "{d} {month} {y}، {time}",
        "when_short": "{d} {month}، {time}",
        "day": "{d} {month} {y}",
        "day_short": "{d} {month}",
        "month": "{month} {y}",
    },
    "fa": {
        "when": "{d} {month} {y}، {time}",
        "when_short": "{d} {month}، {time}",
        "day": "{d} {month} {y}",
        "day_short": "{d} {month}",
        "month": "{month} {y}",
    },
}

# The months of the Solar Hijri year, Farvardin to Esfand.
PERSIAN_MONTHS = (
    "فروردین",
    "اردیبهشت",
    "خرداد",
    "تیر",
    "مرداد",
    "شهریور",
    "مهر",
    "آبان",
    "آذر",
    "دی",
    "بهمن",
    "اسفند",
)


def _language() -> str:
    language = (translation.get_language() or "en").split("-")[0]
    return language if language in PATTERNS else "en"


def _written(
    value: dt.date, kind: str, time: dt.time | None = None, *, seconds: bool = False
) -> str:
    """`value` (and `time`) in the active language's pattern of `kind`, calendar and digits."""
    language = _language()
    pattern = PATTERNS[language][kind]
    if language == "fa" and kind != "month":
        solar = jdatetime.date.fromgregorian(date=value)
        year, number, date = solar.year, solar.month, solar.day
        month_name = short_name = PERSIAN_MONTHS[number - 1]
    else:
        # only the names the pattern writes: each is a catalog lookup, and pages write
        # many instants (a queue's rows, a lead's timeline)
        year, number, date = value.year, value.month, value.day
        month_name = str(MONTHS[number]) if "{month}" in pattern else ""
        short_name = str(MONTHS_3[number]).title() if "{mon}" in pattern else ""
        if language == "ro":
            month_name = month_name.lower()
    text = pattern.format(
        d=date,
        m=number,
        y=year,
        mon=short_name,
        month=month_name,
        time=(f"{time:%H:%M:%S}" if seconds else f"{time:%H:%M}") if time is not None else "",
    )
    return digits(text, language)


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
    text = _written(value.date(), kind, value.time())
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
    return _written(value, kind)


def when(value, zone=None) -> str:
    """An instant with its year, in the reader's zone (named if `zone` is another)."""
    return _instant(value, "when", zone)


def exact(value) -> str:
    """An instant to the second, its zone always named: what a certificate or an audit
    record says happened when ("19 May 2026, 21:00:07 (Europe/Bucharest)"), in the
    reader's language and zone."""
    if value in (None, ""):
        return ""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    text = _written(value.date(), "when", value.time(), seconds=True)
    return gettext("%(when)s (%(zone)s)") % {
        "when": text,
        "zone": _zone_key(timezone.get_current_timezone()),
    }


def when_short(value, zone=None) -> str:
    """An instant without its year, in the reader's zone (named if `zone` is another)."""
    return _instant(value, "when_short", zone)


def day(value) -> str:
    """A calendar date with its year, as it is (never shifted by a zone)."""
    return _day(value, "day")


def day_short(value) -> str:
    """A calendar date without its year."""
    return _day(value, "day_short")


def month(value) -> str:
    """A (Gregorian) month and its year ("noiembrie 2026"), from any day in it."""
    return _day(value, "month")


def period(label: str) -> str:
    """A reporting period's label as the reader writes it: a month ("2026-11") by its
    name ("noiembrie 2026", "نوامبر ۲۰۲۶"); other labels ("2026-Q1") in the language's
    digits. The label itself stays the period's id in URLs and forms."""
    if not label:
        return ""
    try:
        first = dt.date.fromisoformat(f"{label}-01")
    except ValueError:
        return digits(str(label), _language())
    return month(first)


def clock(value) -> str:
    """The time of day of an instant in the reader's zone, or of a wall-clock time
    (a working day's start), as "14:05" ("۱۴:۰۵" in Persian)."""
    if value in (None, ""):
        return ""
    if isinstance(value, dt.datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    return digits(f"{value:%H:%M}", _language())


def since(value) -> str:
    """How long ago an instant was ("2 days, 3 hours"), in the language's words and digits."""
    if value in (None, ""):
        return ""
    return digits(timesince(value), _language())


@dataclass(frozen=True)
class Month:
    """A month to write when read (`month`): a stored message names "the November 2026
    report" in each reader's language (portal.text stores it as {"month": "2026-11"})."""

    year: int
    number: int

    @classmethod
    def of(cls, value: dt.date) -> Month:
        return cls(value.year, value.month)

    @classmethod
    def fromisoformat(cls, text: str) -> Month:
        year, number = text.split("-")
        return cls(int(year), int(number))

    def isoformat(self) -> str:
        return f"{self.year:04d}-{self.number:02d}"

    def __str__(self) -> str:
        return month(dt.date(self.year, self.number, 1))


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
