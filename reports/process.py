"""The lead-process map measured on a version's stored cycles: the flowchart's figures for
one period and the step SLA lines of the scorecards (docs/compliance.md#process-steps).

Computed from the stored cycles (not stored as results): a page reads the version's
cycles handed off before the period's end once, and the pure rules of reports.steps do
the rest; the figures are kept in the shared cache while they hold (`steps_measured`)."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Max

from leads.cycles import CycleFacts
from leads.models import Cycle
from reports.specs import CYCLE_FIELDS, facts_from_row, version_periods
from reports.steps import (
    StepDef,
    StepFigures,
    step_clock,
    step_figures_until,
)
from slas.calendars import version_calendar
from slas.clock import BusinessCalendar
from slas.models import Version
from slas.periods import Period
from slas.process.models import ProcessStep

#: The lists behind a step's figures, by the name its links carry (`?list=`).
__all__ = ["step_clock", "version_calendar"]  # re-exported for the pages

STEP_LISTS = ("entered", "converted", "not_converted", "left", "breached", "at_risk", "met")


def step_def(step: ProcessStep) -> StepDef:
    return StepDef(
        key=step.pk,
        name=step.name,
        stages=tuple(step.stages or ()),
        sla_hours=step.sla_hours,
        owner_team_id=step.owner_team_id,
    )


def version_steps(version: Version) -> list[ProcessStep]:
    return list(version.process_steps.select_related("owner_team").order_by("position", "id"))


def version_cycles(version: Version, *, before: dt.datetime, now: dt.datetime) -> list[CycleFacts]:
    """The version's cycles handed off before ``before`` (and by ``now``)."""
    qs = Cycle.objects.filter(version=version, handoff_at__lt=min(before, now), handoff_at__lte=now)
    return [facts_from_row(row) for row in qs.values(*CYCLE_FIELDS).iterator(chunk_size=5000)]


@dataclass
class ProcessFigures:
    period: Period
    calendar: BusinessCalendar
    steps: list[ProcessStep]
    figures: list[StepFigures]

    def of(self, step_pk: int) -> StepFigures | None:
        return next((f for f in self.figures if f.step.key == step_pk), None)


#: The longest a version's step figures are kept in the shared cache (they are not used
#: past the first change of their cycles or of a clock in them, whichever comes first).
STEPS_CACHE_SECONDS = 600


def cycles_marker(version: Version) -> tuple[int, int]:
    """A value that changes whenever the version's cycle rows change in what the step
    figures read: such rows are replaced, never updated in place (leads.cycle_rows deletes
    a lead's rows and inserts new ones), so the write removes rows or adds ids above every
    earlier one. Rows are updated in place only in `leads.cycle_rows.IN_PLACE_COLUMNS`
    (the attempts count, the owner, the queue's deadline and stopped clock), which no
    step figure reads. One indexed query."""
    found = Cycle.objects.filter(version=version).aggregate(n=Count("id"), top=Max("id"))
    return found["n"], found["top"] or 0


def _steps_cache_key(
    version: Version, defs: list[StepDef], periods: list[Period], calendar: BusinessCalendar
) -> str:
    """Everything the figures depend on but ``now``: the version, its cycles' marker (read
    before the cycles), the steps, the periods and the calendar."""
    parts = (
        connection.settings_dict["NAME"],  # one cache may serve several databases
        version.pk,
        cycles_marker(version),
        [(d.key, d.name, d.stages, str(d.sla_hours), d.owner_team_id) for d in defs],
        [(p.label, p.start.isoformat(), p.end.isoformat()) for p in periods],
        (calendar.tz, sorted(calendar.working_days), str(calendar.start), str(calendar.end)),
        sorted(calendar.holidays),
    )
    return "reports:steps:1:" + hashlib.sha256(repr(parts).encode()).hexdigest()


def steps_measured(
    version: Version, steps: list[ProcessStep], periods: list[Period], *, now: dt.datetime
) -> dict[Period, list[StepFigures]]:
    """Every step's figures in each of ``periods`` as of ``now``: the version's cycles read
    once, each clock computed once, for all of a page's figures.

    Kept in the shared cache under everything they depend on (`_steps_cache_key`), with
    the instants they were computed at and are good until (the first clock in them to
    turn at risk or breach, or fact to come to pass: `reports.steps.step_figures_until`);
    read back only for a ``now`` in between, so a page never shows figures a write or the
    clock has changed."""
    if not steps or not periods:
        return {p: [] for p in periods}
    defs = [step_def(s) for s in steps]
    calendar = version_calendar(version)
    key = _steps_cache_key(version, defs, periods, calendar)
    found = cache.get(key)
    if found is not None:
        computed_at, valid_until, measured = found
        if computed_at <= now and (valid_until is None or now < valid_until):
            return measured
    cycles = version_cycles(version, before=max(p.end for p in periods), now=now)
    measured, valid_until = step_figures_until(defs, cycles, periods, calendar, now=now)
    cache.set(key, (now, valid_until, measured), STEPS_CACHE_SECONDS)
    return measured


def process_figures(
    version: Version,
    period: Period,
    *,
    now: dt.datetime,
    steps: list[ProcessStep] | None = None,
    measured: dict[Period, list[StepFigures]] | None = None,
) -> ProcessFigures:
    """Every step's figures in ``period`` as of ``now`` (``measured``: ``steps_measured``
    of these steps for periods including this one, when the page already has it)."""
    steps = version_steps(version) if steps is None else steps
    if measured is None:
        measured = steps_measured(version, steps, [period], now=now)
    return ProcessFigures(period, version_calendar(version), steps, measured[period])


def version_period_map(version: Version, *, now: dt.datetime) -> dict[str, Period]:
    """The version's months and quarters by label (those it was in force in)."""
    tz = version.calendar_timezone
    return {
        p.label: p for kind in ("month", "quarter") for p in version_periods(version, tz, kind, now)
    }


@dataclass
class StepSlaLine:
    """A step SLA on its owner's scorecard: per period label, the step's figures."""

    step: ProcessStep
    cells: dict[str, StepFigures] = field(default_factory=dict)


def step_sla_lines(
    version: Version,
    labels: list[str],
    *,
    now: dt.datetime,
    steps: list[ProcessStep] | None = None,
    measured: dict[Period, list[StepFigures]] | None = None,
) -> dict[int, list[StepSlaLine]]:
    """Owner team id -> its steps with an SLA, each with its figures in every period of
    ``labels`` (the scorecard's columns). ``steps`` and ``measured`` as for
    ``process_figures`` (``measured`` covering these periods)."""
    steps = [
        s for s in (version_steps(version) if steps is None else steps) if s.sla_hours is not None
    ]
    if not steps:
        return {}
    periods = version_period_map(version, now=now)
    wanted = [periods[label] for label in labels if label in periods]
    if not wanted:
        return {}
    if measured is None:
        measured = steps_measured(version, steps, wanted, now=now)
    lines = {s.pk: StepSlaLine(s) for s in steps}
    for period in wanted:
        for figures in measured[period]:
            if figures.step.key in lines:
                lines[figures.step.key].cells[period.label] = figures
    out: dict[int, list[StepSlaLine]] = {}
    for step in steps:
        out.setdefault(step.owner_team_id, []).append(lines[step.pk])
    return out
