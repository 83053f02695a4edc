"""`{% stage_badge stage glossary %}`: a stage's name with the definition its governing
version agreed (slas.glossary), shown on hover (title), on tap or keyboard focus, and
always to screen readers, with a link to the term in that version's document.

The page loads the glossary (slas.glossary.glossaries_load, once for all its rows) and
passes the one of the version that governs; None (no version governs, or the version
defines no term for the stage) shows the plain name."""

from django import template
from django.utils import translation

from slas.glossary import Glossary
from slas.stages import stage_label

register = template.Library()

BADGE_TEMPLATE = "slas/_stage_badge.html"


def stage_badge_context(
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


@register.simple_tag(takes_context=True)
def stage_badge(
    context, stage: str, glossary: Glossary | None = None, testid: str = "", label: str = ""
) -> str:
    """The badge, rendered once per page for each stage, glossary, test id, label and
    language: a queue of 50 leads or a timeline of 100 events shows a handful of distinct
    badges, and each was a template render with its translations and a reverse()."""
    memo = context.render_context.setdefault("stage_badge", {})
    # The glossary by identity: the page holds its glossaries for the whole render.
    key = (stage, id(glossary), testid, label, translation.get_language())
    if key not in memo:
        badge = context.template.engine.get_template(BADGE_TEMPLATE)
        memo[key] = badge.render(context.new(stage_badge_context(stage, glossary, testid, label)))
    return memo[key]


@register.filter
def stage_name(stage: str) -> str:
    """A stage's translated name (`{{ key|stage_name }}`)."""
    return stage_label(stage)
