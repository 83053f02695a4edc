"""Dates as each language writes them: `{% load dates %}` then `{{ at|when }}`.

The filters are `portal.dates` (read its docstring): `when` and `when_short` for
instants, in the reader's zone; given the zone the instant belongs to
(`{{ cycle.handoff_at|when:version.calendar_timezone }}`) they name the reader's zone
when the two differ. `day` and `day_short` for calendar dates (effective, end, review),
never shifted. `month` a month and its year; `clock` a time of day; `since` how long
ago. `iso` for machine-readable attributes (`<time datetime=...>`).
"""

from django import template

from portal import dates

register = template.Library()


@register.filter
def when(value, zone=None):
    return dates.when(value, zone)


@register.filter
def when_short(value, zone=None):
    return dates.when_short(value, zone)


@register.filter
def day(value):
    return dates.day(value)


@register.filter
def day_short(value):
    return dates.day_short(value)


@register.filter
def iso(value):
    return dates.iso(value)


@register.filter
def month(value):
    return dates.month(value)


@register.filter
def clock(value):
    return dates.clock(value)


@register.filter
def since(value):
    return dates.since(value)


@register.filter
def period(label):
    return dates.period(label)
