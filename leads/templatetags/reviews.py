"""`{% load reviews %}`: data for the feedback include templates, so the lead page and
the queue show feedback without their views knowing about it."""

from __future__ import annotations

from django import template
from django.urls import reverse
from django.utils import timezone

from leads.reviews.selectors import feedback_for_lead, reason_labels
from portal import permissions

register = template.Library()


@register.simple_tag
def lead_feedback(lead, user) -> dict:
    """Entries of `lead` (newest first) with what `user` may do with them.

    Usage: `{% lead_feedback lead user as fb %}` then `fb.entries`, `fb.may_comment`,
    `fb.may_rate`, `fb.create_url`. Each entry carries `.may_edit` and `.reason_labels`.
    """
    entries = list(feedback_for_lead(lead))
    labels = reason_labels(lead.agreement) if lead.agreement_id and entries else {}
    now = timezone.now()
    for entry in entries:
        entry.may_edit = permissions.can_edit_feedback(user, entry, now)
        entry.reason_labels = [labels.get(code, code) for code in entry.reason_codes]
    return {
        "entries": entries,
        "may_comment": permissions.can_comment_on_lead(user, lead),
        "may_rate": permissions.can_rate_lead(user, lead),
        "create_url": reverse("reviews:feedback_create", args=[lead.pk]),
    }


@register.filter
def stars(rating) -> str:
    """ "★★★☆☆" for a 1-5 rating (empty for a comment without rating)."""
    if not rating:
        return ""
    return "★" * int(rating) + "☆" * (5 - int(rating))
