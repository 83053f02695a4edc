"""People as pages name them: `{% load people %}` then `{{ lead.owner|person }}`.

A lead's owner, an action item's owner and the like may be nobody: imports never assign
owners. `person` reads a user as their full name, else their username, and nobody as an
empty string, so a template writes `{{ lead.owner|person|default:"—" }}` and never
looks up an attribute of None (`default:lead.owner.username` raised, a 500).
"""

from django import template

register = template.Library()


@register.filter
def person(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()
