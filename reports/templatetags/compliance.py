"""`{% load compliance %}`: compliance figures for pages of the apps below reports.

`{% session_headline session as headline %}` gives a review session's compliance
headline (reports.sessions), so the session page (leads.reviews) shows the figures the
compliance pages show without the reviews area importing reports.
"""

from django import template

from reports.sessions import session_headline_worded

register = template.Library()


@register.simple_tag
def session_headline(session) -> dict:
    return session_headline_worded(session)
