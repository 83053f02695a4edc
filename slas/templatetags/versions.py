"""`{% version_state version %}`: a version's state as every page shows it (label, tone,
and its one-line explanation on hover, on tap or keyboard focus, and for screen readers)."""

from django import template

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
