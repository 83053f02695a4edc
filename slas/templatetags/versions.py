"""`{% version_state version %}`: a version's state as every page shows it (label, tone,
and its one-line explanation on hover, on tap or keyboard focus, and for screen readers)."""

from django import template

from portal import permissions
from slas.selectors import version_base_notice

register = template.Library()


@register.inclusion_tag("portal/_explained_pill.html")
def version_state(version, testid: str = "") -> dict:
    return {
        "key": version.state.value,
        "label": version.state_label,
        "tone": version.state_tone,
        "explanation": version.state_explanation,
        "testid": testid,
    }


@register.inclusion_tag("slas/_base_notice.html", takes_context=True)
def base_notice(context, version) -> dict:
    """The warning on a draft based on a version older than the one in force."""
    return {
        "version": version,
        "notice": version_base_notice(version),
        "can_rebase": permissions.can_edit_version(context["request"].user, version),
    }
