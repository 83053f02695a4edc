"""A version read as its document: what the document template (`slas/_document.html`)
needs, for the version page and the document PDF alike.

Every rule reads as its sentence (slas.sentences), in the reader's language, and the
text names the agreement's real parties ("Sales returns the lead to Marketing", "Customer
Success returns the lead to Sales"), never raw values or fixed team words.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from slas import sentences
from slas.glossary import term_anchor, version_glossary
from slas.markdown_render import render_markdown
from slas.models import Cadence, Commitment, Version, commitment_description_clean
from slas.selectors import COMPONENTS, versions_with_parts


@dataclass(frozen=True)
class CommitmentLine:
    commitment: Commitment
    owner: str
    rule: str  # "First contact within 24 business hours"
    target: str  # "90%", "120 MQLs"
    period: str
    note: str  # the person's own description ("" when left empty)


def commitment_lines(commitments) -> list[CommitmentLine]:
    return [
        CommitmentLine(
            commitment=c,
            owner=c.owner_team.name,
            rule=sentences.commitment_rule(c.kind, c.params),
            target=sentences.commitment_target(c.kind, c.target),
            period=str(c.get_period_display()),
            note=commitment_description_clean(c.description),
        )
        for c in commitments
    ]


def version_document(version: Version) -> dict[str, Any]:
    """The document template's context for one version (a fixed number of queries)."""
    if not getattr(version, "_prefetched_objects_cache", None):
        version = versions_with_parts().get(pk=version.pk)
    agreement = version.agreement
    parties = sorted(agreement.parties.all(), key=lambda t: (t.name, t.pk))
    glossary = version_glossary(version.pk)
    sides = sentences.agreement_sides(parties)
    defines = {d.anchor: d.stage for d in glossary.definitions.values()} if glossary else {}
    return {
        "version": version,
        "agreement": agreement,
        "parties": parties,
        "party_names": sentences.and_list(t.name for t in parties),
        "sides": sides,
        "components": [(key, title) for key, title, _f, _p in COMPONENTS],
        "terms": [
            {"term": t, "anchor": term_anchor(t.pk), "stage": defines.get(term_anchor(t.pk))}
            for t in version.terms.all()
        ],
        "rules": [
            {
                "rule": rule,
                "condition": sentences.scoring_rule_condition(
                    rule.attribute, rule.operator, rule.value
                ),
                "points": sentences.scoring_rule_points(rule.points, rule.dimension),
            }
            for rule in version.scoring_rules.all()
        ],
        "commitments": commitment_lines(version.commitments.all()),
        "reasons": [
            {
                "reason": reason,
                "applies": sentences.reason_applies_label(reason.applies_to, sides.hands_off),
            }
            for reason in version.reason_codes.all()
        ],
        "escalation": [
            sentences.escalation_step_sentence(step.at_percent, step.action, sides.receives)
            for step in version.escalation_steps.all()
        ],
        "holidays": [sentences.holiday_sentence(h.date, h.name) for h in version.holidays.all()],
        "sections": [
            {"section": section, "html": render_markdown(section.body)}
            for section in version.sections.all()
        ],
        "working_days_label": sentences.and_list(
            sentences.working_day_names(version.working_days or [])
        ),
        "channels_label": sentences.and_list(sentences.channel_names(version.channels or [])),
    }


# The sealed copy (the JSON that was signed), read the same way -----------------------------


def sealed_part_table(
    accessor: str, rows: list[dict[str, Any]], team_names: dict[int, str]
) -> tuple[list[str], list[list[str]]] | None:
    """A part of the sealed copy as the document reads it: (header, rows) of sentences for
    the parts that are rules (scoring rules, commitments, escalation steps, holidays), or
    None for the others (shown field by field). Rows keep the sealed order."""
    if accessor == "scoring_rules":
        return (
            [_("Rule"), _("Points")],
            [
                [
                    sentences.scoring_rule_condition(
                        row.get("attribute", ""), row.get("operator", ""), row.get("value", "")
                    ),
                    sentences.scoring_rule_points(row.get("points"), row.get("dimension", "")),
                ]
                for row in rows
            ],
        )
    if accessor == "commitments":
        return (
            [_("Owner"), _("Commitment"), _("Target"), _("Period")],
            [
                [
                    team_names.get(row.get("owner_team_id"), str(row.get("owner_team_id", ""))),
                    "\n".join(
                        text
                        for text in (
                            sentences.commitment_rule(row.get("kind", ""), row.get("params")),
                            commitment_description_clean(row.get("description")),
                        )
                        if text
                    ),
                    sentences.commitment_target(row.get("kind", ""), row.get("target")),
                    str(dict(Cadence.choices).get(row.get("period"), row.get("period") or "")),
                ]
                for row in rows
            ],
        )
    if accessor == "escalation_steps":
        return (
            [_("Escalation")],
            [
                [sentences.escalation_step_sentence(row.get("at_percent"), row.get("action", ""))]
                for row in rows
            ],
        )
    if accessor == "holidays":
        return (
            [_("Holiday")],
            [[sentences.holiday_sentence(row["date"], row.get("name") or "")] for row in rows],
        )
    return None
