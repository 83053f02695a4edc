"""`{% stage_badge stage glossary %}`: a stage's name with the definition its governing
version agreed (slas.glossary), shown on hover (title), on tap or keyboard focus, and
always to screen readers, with a link to the term in that version's document.

The page loads the glossary (slas.glossary.glossaries_load, once for all its rows) and
passes the one of the version that governs; None (no version governs, or the version
defines no term for the stage) shows the plain name."""

from django import template

from slas.glossary import Glossary
from slas.stages import stage_label

register = template.Library()


@register.inclusion_tag("slas/_stage_badge.html")
def stage_badge(
    stage: str, glossary: Glossary | None = None, testid: str = "", label: str = ""
) -> dict:
    """`label`: the name to show when the page counts the stage in its own words
    ("MQLs" in the planner), else the stage's name."""
    return {
        "stage": stage,
        "label": label or stage_label(stage),
        "glossary": glossary,
        "definition": glossary.of(stage) if glossary is not None else None,
        "testid": testid,
    }


@register.filter
def stage_name(stage: str) -> str:
    """A stage's translated name (`{{ key|stage_name }}`)."""
    return stage_label(stage)
