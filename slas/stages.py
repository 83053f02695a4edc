"""The lead stages the agreement speaks of (visitor stages aside): the vocabulary its
definitions, conversion commitments and planner use, and the leads app stores.

The allowed moves between them are the leads app's (leads.lifecycle)."""

from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from portal.text import Text


class Stage(models.TextChoices):
    LEAD = "lead", _("Lead")
    MQL = "mql", _("MQL")
    SAL = "sal", _("SAL")
    SQL = "sql", _("SQL")
    OPPORTUNITY = "opportunity", _("Opportunity")
    WON = "won", _("Won")
    LOST = "lost", _("Lost")
    RECYCLED = "recycled", _("Recycled")
    DISQUALIFIED = "disqualified", _("Disqualified")


def stage_label(stage: str) -> str:
    try:
        return str(Stage(stage).label)
    except ValueError:
        return stage


def stage_text(stage: str) -> Text:
    """The stage's name kept untranslated, for a message that is stored and translated
    when read (`portal.text.Text`); an unknown stage reads as its code."""
    with translation.override(None):  # no language: the label's msgid
        return Text(stage_label(stage))
