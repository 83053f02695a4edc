"""A version's process steps as the flowchart and its table show them (in the reader's
language): the steps' own words, with figures added by the caller (the compliance page)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _

from portal import numbers
from slas.process.flowchart import Chart, ChartFigure, ChartStep, flowchart
from slas.process.models import ProcessStep
from slas.stages import stage_label


def hours_label(hours: Decimal | None) -> str:
    if hours is None:
        return "—"
    return _("%(hours)s business hours") % {"hours": _hours(hours)}


def _hours(hours: Decimal) -> str:
    """Hours in the reader's digits and decimal sign (portal.numbers: ٤٠ in Arabic)."""
    return numbers.number(format(hours.normalize(), "f"), grouping=False)


def stages_label(stages: list[str] | tuple[str, ...]) -> str:
    return ", ".join(stage_label(s) for s in stages) or _("before the lead exists")


@dataclass
class FlowRow:
    step: ProcessStep
    name: str
    stages: str
    owner: str
    sla: str
    figures: list[ChartFigure] = field(default_factory=list)
    term_anchor: str = ""  # the glossary term's anchor in the document, if it is there


def flow_rows(steps: list[ProcessStep]) -> list[FlowRow]:
    return [
        FlowRow(
            step=step,
            name=step.name,
            stages=stages_label(step.stages or []),
            owner=step.owner_team.name,
            sla=hours_label(step.sla_hours),
        )
        for step in steps
    ]


def sealed_chart(rows: list[dict], team_names: dict[int, str]) -> Chart:
    """The chart of a version's steps as sealed (the signed PDF): rows of the sealed copy."""
    chart_steps = []
    for row in sorted(rows, key=lambda r: (r.get("position") or 0, r.get("name") or "")):
        stages = tuple(row.get("stages") or ())
        detail = f"{stages_label(stages)} · {team_names.get(row.get('owner_team_id'), '')}"
        if row.get("sla_hours") not in (None, ""):
            hours = Decimal(str(row["sla_hours"])).normalize()
            detail += " · " + _("SLA %(hours)s h") % {"hours": format(hours, "f")}
        chart_steps.append(
            ChartStep(key=0, name=str(row.get("name") or ""), detail=detail, stages=stages)
        )
    return flowchart(chart_steps)


def flow_chart(rows: list[FlowRow], *, rtl: bool, chart_figures: bool = True) -> Chart:
    """The chart of these rows; their figures (if any) are drawn in the boxes."""
    chart_steps = []
    for row in rows:
        detail = f"{row.stages} · {row.owner}"
        if row.step.sla_hours is not None:
            detail += " · " + _("SLA %(hours)s h") % {"hours": _hours(row.step.sla_hours)}
        chart_steps.append(
            ChartStep(
                key=row.step.pk,
                name=row.name,
                detail=detail,
                figures=row.figures if chart_figures else [],
                stages=tuple(row.step.stages or ()),
            )
        )
    return flowchart(chart_steps, rtl=rtl)
