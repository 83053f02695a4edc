"""Numbers as each language writes them: `{% load numbers %}` then `{{ n|number }}`,
`{{ rate|number:1 }}` (one decimal), `{{ amount|number:0 }}` (whole), `{{ rate|percent:0 }}`. The filter is
`portal.numbers.number` (read its docstring); CSV and the API write plain numbers."""

from django import template

from portal import numbers

register = template.Library()


@register.filter
def number(value, places=None):
    return numbers.number(value, places)


@register.filter
def percent(value, places=None):
    return numbers.percent(value, places)
