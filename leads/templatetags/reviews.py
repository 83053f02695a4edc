"""`{% load reviews %}`: data for the feedback include templates, so the lead page and
the queue show feedback without their views knowing about it."""

from __future__ import annotations

from django import template

from leads.reviews.selectors import lead_feedback_panel

register = template.Library()


@register.simple_tag
def lead_feedback(lead, user) -> dict:
    """`{% lead_feedback lead user as fb %}`: see leads.reviews.selectors.lead_feedback_panel."""
    return lead_feedback_panel(lead, user)


@register.filter
def stars(rating) -> str:
    """ "★★★☆☆" for a 1-5 rating (empty for a comment without rating)."""
    if not rating:
        return ""
    return "★" * int(rating) + "☆" * (5 - int(rating))
