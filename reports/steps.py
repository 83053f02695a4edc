"""The lead-process map measured (pure Python, no Django): when a cycle is in a step, its
step SLA clock, and each step's figures in a period (docs/compliance.md#process-steps).

Choices
-------
- **A step's span in a cycle** runs from the cycle's first entry into any of the step's
  stages to its first move, after that, into a stage the step does not cover; a cycle
  whose lead is still in the step when it ends (the lead's next handoff) leaves it then.
  The stages of a cycle come from its facts: ``mql`` at the handoff, the first entry into
  each later stage, and every exit (``recycled``, ``disqualified``) in order; within one
  cycle these only move forward (leads.lifecycle), so this is the path the lead took.
  A step whose stages the cycle never entered has no span in it (``lead`` is before any
  handoff, so a cycle never enters it). Facts stamped after ``now`` have not happened.
- **The step SLA clock** runs over the span on the version's calendar and is judged by
  ``slas.clock.Allowance`` exactly as the first-contact clock: left within H is met,
  past H breached; still in the step past H is breached, else open, at risk with at most
  a quarter of H left.
- **Figures of a step in a period** count the spans *entered* in the period (the
  conversion_rate rule: a cycle counts in the period it entered the step):
  ``entered``; ``converted``: of those, the cycles that reached the next step (the next
  step, in the map's order, that covers a stage ranked above every stage of this one;
  reaching a later stage counts, as in conversion_rate) by ``now``; ``median_us``: the
  median business time of the spans that were left by ``now`` (the lower of the two
  middle values when their number is even; None when none was left); ``breached``: the
  spans whose step SLA clock is breached as of ``now``. Lists hold cycle keys (handoff
  event ids), so every figure opens the cycles, and leads, behind it.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property

from leads.cycles import STAGE_RANK, CycleFacts
from slas.clock import Allowance, BusinessCalendar, ClockState, business_us
from slas.periods import Period

#: The stages a handoff cycle can enter: a step covering none of them (a visitor or lead
#: step, before any handoff) has no figures.
CYCLE_STAGES = frozenset(
    {"mql", "sal", "sql", "opportunity", "won", "lost", "recycled", "disqualified"}
)

#: Order of stages entered at one instant (a lead moved twice in one second).
_PATH_ORDER = {
    "mql": 0,
    "sal": 1,
    "sql": 2,
    "opportunity": 3,
    "won": 4,
    "lost": 4,
    "recycled": 5,
    "disqualified": 6,
}


@dataclass(frozen=True)
class StepDef:
    """One step of a version's map as the figures need it. ``key``: the step's id."""

    key: int
    name: str
    stages: tuple[str, ...]
    sla_hours: Decimal | int | float | None = None
    owner_team_id: int | None = None

    @cached_property
    def allowance(self) -> Allowance | None:
        """The step SLA's allowance, read once per step (not per cycle)."""
        return None if self.sla_hours is None else Allowance.of(self.sla_hours)

    @property
    def top_rank(self) -> int | None:
        ranks = [STAGE_RANK[s] for s in self.stages if s in STAGE_RANK]
        return max(ranks, default=None)

    @property
    def bottom_stage(self) -> str | None:
        ranked = [s for s in self.stages if s in STAGE_RANK]
        return min(ranked, key=STAGE_RANK.__getitem__, default=None)


@dataclass(frozen=True)
class StepSpan:
    entered_at: dt.datetime
    left_at: dt.datetime | None  # None: still in the step as of now


@dataclass(frozen=True)
class StepClock:
    span: StepSpan | None
    used_us: int
    state: ClockState | None  # None: no span, or the step has no SLA
    breach_at: dt.datetime | None = None  # a running clock: when it breaches


def stage_path(cycle: CycleFacts) -> list[tuple[dt.datetime, str]]:
    """The stages the cycle's lead entered, in order: (instant, stage)."""
    path = [
        (at, stage)
        for stage, at in cycle.stage_entered.items()
        if stage not in ("recycled", "disqualified")
    ]
    path += [(at, to) for at, to, _reason in cycle.exits]
    return sorted(path, key=lambda item: (item[0], _PATH_ORDER.get(item[1], 9)))


def step_span(
    cycle: CycleFacts,
    stages: Iterable[str],
    *,
    now: dt.datetime,
    path: list[tuple[dt.datetime, str]] | None = None,
) -> StepSpan | None:
    """The cycle's span in the step covering ``stages`` (see the module's Choices).
    ``path``: the cycle's ``stage_path``, when the caller already has it."""
    covered = set(stages)
    entered = None
    for at, stage in stage_path(cycle) if path is None else path:
        if at > now:
            break
        if entered is None:
            if stage in covered:
                entered = at
        elif stage not in covered:
            return StepSpan(entered, at)
    if entered is None:
        return None
    if cycle.ended_at is not None and cycle.ended_at <= now:
        return StepSpan(entered, cycle.ended_at)
    return StepSpan(entered, None)


def step_clock(
    cycle: CycleFacts, step: StepDef, calendar: BusinessCalendar, *, now: dt.datetime
) -> StepClock:
    """The cycle's step SLA clock as of ``now``: business time in the step, and its state."""
    return span_clock(step_span(cycle, step.stages, now=now), step, calendar, now=now)


def span_clock(
    span: StepSpan | None, step: StepDef, calendar: BusinessCalendar, *, now: dt.datetime
) -> StepClock:
    """``step_clock`` of a span already found."""
    if span is None:
        return StepClock(None, 0, None)
    stopped = span.left_at is not None
    used = business_us(calendar, span.entered_at, span.left_at if stopped else now)
    if step.sla_hours is None:
        return StepClock(span, used, None)
    allowance = step.allowance
    breach_at = None if stopped else allowance.breach_instant(calendar, span.entered_at)
    return StepClock(span, used, allowance.state(used, stopped=stopped), breach_at)


def next_step(steps: Sequence[StepDef], step: StepDef) -> StepDef | None:
    """The step a lead converts to from ``step``: the next in the map's order covering a
    stage ranked above every stage of ``step`` (None for exits and final steps)."""
    top = step.top_rank
    if top is None or not any(s in ("mql", "sal", "sql", "opportunity") for s in step.stages):
        return None
    after = list(steps)[list(steps).index(step) + 1 :]
    for candidate in after:
        if candidate.bottom_stage is not None and STAGE_RANK[candidate.bottom_stage] > top:
            return candidate
    return None


@dataclass
class StepFigures:
    step: StepDef
    next_step: StepDef | None
    entered: list[int] = field(default_factory=list)
    converted: list[int] = field(default_factory=list)
    left: list[int] = field(default_factory=list)
    median_us: int | None = None
    met: list[int] = field(default_factory=list)
    breached: list[int] = field(default_factory=list)
    open: list[int] = field(default_factory=list)
    at_risk: list[int] = field(default_factory=list)

    @property
    def not_converted(self) -> list[int]:
        done = set(self.converted)
        return [key for key in self.entered if key not in done]

    @property
    def conversion_percent(self) -> Decimal | None:
        if self.next_step is None or not self.entered:
            return None
        return Decimal(100 * len(self.converted)) / Decimal(len(self.entered))

    @property
    def sla_percent(self) -> Decimal | None:
        """Met / (met + breached), the step SLA as a rate (open clocks left out)."""
        decided = len(self.met) + len(self.breached)
        return Decimal(100 * len(self.met)) / Decimal(decided) if decided else None


def step_figures(
    steps: Sequence[StepDef],
    cycles: Iterable[CycleFacts],
    period: Period,
    calendar: BusinessCalendar,
    *,
    now: dt.datetime,
) -> list[StepFigures]:
    """Every step's figures for the cycles (already one version's) in ``period``."""
    return step_figures_by_period(steps, cycles, [period], calendar, now=now)[period]


def _count(
    figures: StepFigures,
    times: list[int],
    cycle: CycleFacts,
    clock: StepClock,
    nxt: StepDef | None,
    now: dt.datetime,
) -> None:
    """Add one cycle's span (entered in the figures' period) to the figures."""
    span = clock.span
    assert span is not None
    figures.entered.append(cycle.key)
    if nxt is not None:
        reached = cycle.reached_at(nxt.bottom_stage)
        if reached is not None and reached <= now:
            figures.converted.append(cycle.key)
    if span.left_at is not None:
        figures.left.append(cycle.key)
        times.append(clock.used_us)
    if clock.state == "breached":
        figures.breached.append(cycle.key)
    elif clock.state == "met":
        figures.met.append(cycle.key)
    elif clock.state in ("open", "at_risk"):
        figures.open.append(cycle.key)
        if clock.state == "at_risk":
            figures.at_risk.append(cycle.key)


def step_figures_by_period(
    steps: Sequence[StepDef],
    cycles: Iterable[CycleFacts],
    periods: Sequence[Period],
    calendar: BusinessCalendar,
    *,
    now: dt.datetime,
) -> dict[Period, list[StepFigures]]:
    """``step_figures`` of several periods (by period: a quarter and its first month start
    at the same instant), each clock computed once."""
    return step_figures_until(steps, cycles, periods, calendar, now=now)[0]


def _next_fact_at(cycle: CycleFacts, now: dt.datetime) -> dt.datetime | None:
    """The earliest instant stamped on the cycle after ``now`` (None: all have happened)."""
    if cycle.latest_fact_at() <= now and (cycle.ended_at is None or cycle.ended_at <= now):
        return None
    later = [
        t
        for t in (
            cycle.handoff_at,
            cycle.ended_at,
            *cycle.stage_entered.values(),
            *(at for at, _to, _reason in cycle.exits),
        )
        if t is not None and t > now
    ]
    return min(later, default=None)


def step_figures_until(
    steps: Sequence[StepDef],
    cycles: Iterable[CycleFacts],
    periods: Sequence[Period],
    calendar: BusinessCalendar,
    *,
    now: dt.datetime,
) -> tuple[dict[Period, list[StepFigures]], dt.datetime | None]:
    """``step_figures_by_period``, and the earliest instant after ``now`` at which they
    could read otherwise with the same cycles: a fact stamped after ``now`` comes to pass,
    or a counted running clock turns at risk or breaches (None: never)."""
    steps = list(steps)
    cycles = sorted(cycles, key=lambda c: (c.handoff_at, c.key))
    changes: list[dt.datetime] = [
        t for t in (_next_fact_at(cycle, now) for cycle in cycles) if t is not None
    ]
    # Each cycle's path once for all steps; a span's clock (business time, the costly
    # part) only when the span entered one of the periods.
    paths = [(cycle, stage_path(cycle)) for cycle in cycles]
    out: dict[Period, list[StepFigures]] = {p: [] for p in periods}
    for step in steps:
        nxt = next_step(steps, step)
        by_period = {p: StepFigures(step=step, next_step=nxt) for p in periods}
        times: dict[Period, list[int]] = {p: [] for p in periods}
        for cycle, path in paths:
            span = step_span(cycle, step.stages, now=now, path=path)
            if span is None:
                continue
            # a month and its quarter may both be asked for
            entered_in = [p for p in periods if p.contains(span.entered_at)]
            if not entered_in:
                continue
            clock = span_clock(span, step, calendar, now=now)
            for period in entered_in:
                _count(by_period[period], times[period], cycle, clock, nxt, now)
            if clock.breach_at is not None:  # running, with an SLA
                changes.append(clock.breach_at)
                if clock.state == "open":
                    changes.append(step.allowance.at_risk_instant(calendar, span.entered_at))
        for period, figures in by_period.items():
            found = times[period]
            figures.median_us = statistics.median_low(found) if found else None
            out[period].append(figures)
    return out, min((t for t in changes if t > now), default=None)
