"""Dates as each language writes them: `{% load dates %}` then `{{ at|when }}`.

Django's named formats (DATETIME_FORMAT, ...) cover a date with a time but not a day and
month with a time, and vary in style from language to language (a 12-hour clock in
English, none in Arabic). These four give the portal's short forms in every shipped
language, in the active time zone, with month names from Django's catalogs:

- `when`: day, month, year and time ("25 Nov 2026, 14:05", "2026年11月25日 14:05");
- `when_short`: day, month and time, for recent instants ("25 Nov, 14:05");
- `day`: day, month and year; `day_short`: day and month.

Languages without an entry use English's patterns.
"""

from django import template
from django.template.defaultfilters import date as date_filter
from django.utils import translation

register = template.Library()

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


@register.filter
def when(value):
    return date_filter(value, _pattern("when"))


@register.filter
def when_short(value):
    return date_filter(value, _pattern("when_short"))


@register.filter
def day(value):
    return date_filter(value, _pattern("day"))


@register.filter
def day_short(value):
    return date_filter(value, _pattern("day_short"))
