"""Commitment evaluation (pure Python, no Django, no database).

``evaluate`` turns one commitment, one period and a list of ``CycleFacts``
into a ``MetricResult``: actual vs target, status, and the cycle ids behind
the number, following docs/compliance.md (#commitment-kinds, #status-of-a-result).

Choices
-------
- **Rates are percentages 0-100**, and so are rate targets (``90`` = 90 %).
  Comparisons are exact (fractions), so 9 of 10 meets a target of 90.
- **Cycle ids** in ``MetricResult.cycles`` are ``CycleFacts.handoff_event_id``.
- **Which cycles**: those governed by ``spec.version_id``; if that is None,
  every governed cycle passed in whose handoff is inside ``in_force`` (the
  caller pre-filters). Ungoverned cycles are never scored.
- **Which period a fact counts in**: a cycle counts in the period containing
  its handoff, and so do its moves, recycles and rejections (the page's
  general rule), even when the move itself happens later. The exception is
  ``conversion_rate``, which the page defines by the period in which the cycle
  entered stage A.
- **As of ``now``**: facts stamped after ``now`` are treated as not having
  happened yet, so a result can be recomputed for any past instant.
- **Reaching a stage** (``acceptance_rate``, ``conversion_rate``) includes
  reaching a later stage of lead < mql < sal < sql < opportunity < won|lost
  (a lead moved mql -> sql has reached sal; won and lost do not imply each
  other). Exits (recycled, disqualified) count only literally.
- ``first_contact_within``: ``cycles["open"]`` lists every running clock within
  H, ``cycles["at_risk"]`` the subset with at most 25 % of H left;
  ``time_left`` maps open cycles to business seconds left. Clocks are judged by
  ``slas.clock.Allowance``: business time in whole microseconds against H read as
  the decimal it is written as, compared exactly (4.1 hours is 14,760 seconds).
- ``attempts_before_recycle``: a short recycle a manager overrode (with a reason) stays
  in ``short`` and is also listed in ``overridden``; the ratio does not change.
- ``reason_documented`` counts moves, not cycles: a cycle with two exits
  contributes two entries (its id may appear twice in the lists). The
  version's reason codes come from ``params["reason_codes"]``.
- ``feedback_coverage`` counts cycles that were rejected or moved to
  ``recycled`` from any stage; a feedback entry counts if created strictly
  after the handoff (no upper bound, as the page says). ``feedback_at`` is a
  mapping ``lead_id -> [created_at, ...]`` or a callable ``cycle -> [...]``.
- **Proration** (``mql_volume`` only): target x (local calendar days of the
  period touched by the in-force interval) / (days in the period), rounded up.
  A day on which the version starts or ends counts as covered.
- **Status**: a count is ``met`` as soon as it reaches the target (counts only
  grow); otherwise ``missed`` once ``now >= period.end``, else ``at_risk`` if
  the straight-line projection over the in-force part of the period misses
  the target (compared exactly, in microseconds), else ``on_track``. A rate is
  ``on_track``/``at_risk`` while the period runs and becomes ``met``/``missed``
  only when the period is over, so a rate never flips from met back to missed.
  A rate with nothing to divide is ``no_data`` (actual None). Any kind is
  ``no_data`` before the period (or the version's part of it) starts, and when
  the period lies outside ``in_force``.
- ``visitor_to_lead`` divides leads created by visitors counted in the period, given
  per period start by the caller (``visitors``); it has no cycles, and its result is
  valid only at ``now`` (``valid_until = now``: recomputed on every read).
- For counts ``numerator`` is the count and ``denominator`` is 0.
- **valid_until**: the earliest instant after ``now`` at which the result could
  change by the mere passing of time, with the same facts: a fact stamped in
  the future, the version's part of the period starting, the period ending, an
  open clock reaching its at-risk share or its breach (one microsecond of
  business time past H), or a count's projection dropping below target.
  ``None`` means the result only changes when the facts do. Results caches
  (reports.results) use it to know when a stored result expires. ``due`` gives the
  cycles' part of it per cycle (the next instant each cycle's part could change), so an
  expired stored result is brought forward by re-reading only the cycles come due
  (``evaluate_adjusted``). A count's ``projected`` moves with every instant: it is not
  one of these instants, and a stored result's is read anew (``projection``).
- **feedback instants** count only for cycles that leave (rejected, or an exit): the
  feedback on a cycle that never leaves never counts.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, Decimal
from fractions import Fraction
from typing import NamedTuple
from zoneinfo import ZoneInfo

from leads.cycles import CycleFacts, clock_business_us, clock_stopped
from slas.clock import US_PER_SECOND, Allowance, BusinessCalendar
from slas.periods import Period, PeriodKind

UTC = dt.UTC
_ONE_US = dt.timedelta(microseconds=1)

COUNT_KINDS = frozenset({"mql_volume"})
RATE_KINDS = frozenset(
    {
        "first_contact_within",
        "acceptance_rate",
        "attempts_before_recycle",
        "reason_documented",
        "feedback_coverage",
        "conversion_rate",
        "visitor_to_lead",
    }
)
KINDS = COUNT_KINDS | RATE_KINDS
# Kinds whose facts are not cycles (given per period by the caller): no cycle changes them.
CYCLELESS_KINDS = frozenset({"visitor_to_lead"})


class VisitorFacts(NamedTuple):
    """What ``visitor_to_lead`` divides in one period: leads created, visitors counted."""

    leads: int
    visitors: int


FeedbackSource = Mapping[int, Iterable[dt.datetime]] | Callable[[CycleFacts], Iterable[dt.datetime]]


@dataclass(frozen=True)
class CommitmentSpec:
    """One commitment of one version. ``params``: ``hours`` (first_contact_within),
    ``attempts`` (attempts_before_recycle), ``reason_codes`` (reason_documented),
    ``from_stage`` / ``to_stage`` (conversion_rate)."""

    id: int
    kind: str
    target: Decimal | float | int
    period: PeriodKind = "month"
    params: Mapping[str, object] = field(default_factory=dict)
    version_id: int | None = None


@dataclass
class MetricResult:
    """Actual vs target of one commitment in one period, with the cycles behind it."""

    commitment_id: int
    kind: str
    period: Period
    actual: float | None
    numerator: int
    denominator: int
    target: Decimal
    status: str  # "met" | "missed" | "on_track" | "at_risk" | "no_data"
    cycles: dict[str, list[int]] = field(default_factory=dict)
    time_left: dict[int, float] = field(default_factory=dict)
    projected: float | None = None
    valid_until: dt.datetime | None = None
    #: Per cycle key, the next instant at which that cycle's part could change by time
    #: alone (``valid_until`` is the earliest of these and the period's own instants).
    due: dict[int, dt.datetime] = field(default_factory=dict)


def _as_decimal(value: Decimal | float | int) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _effective_window(
    period: Period, in_force: tuple[dt.datetime, dt.datetime | None]
) -> tuple[dt.datetime, dt.datetime]:
    start = max(period.start, in_force[0])
    end = period.end if in_force[1] is None else min(period.end, in_force[1])
    return start, end


def prorated_target(
    spec: CommitmentSpec,
    period: Period,
    in_force: tuple[dt.datetime, dt.datetime | None],
    tz: str,
) -> Decimal:
    """Target for ``period``: count targets shrink to the days the version
    covers (rounded up); rate targets are kept."""
    target = _as_decimal(spec.target)
    if spec.kind not in COUNT_KINDS:
        return target
    start, end = _effective_window(period, in_force)
    if end <= start:
        return Decimal(0)
    zone = ZoneInfo(tz)

    def day(t: dt.datetime) -> dt.date:
        return t.astimezone(zone).date()

    eps = dt.timedelta(microseconds=1)
    period_days = (day(period.end - eps) - day(period.start)).days + 1
    covered = (day(end - eps) - day(start)).days + 1
    if covered >= period_days:
        return target
    return (target * covered / period_days).to_integral_value(rounding=ROUND_CEILING)


def _happened(t: dt.datetime | None, now: dt.datetime) -> bool:
    return t is not None and t <= now


def _feedback_times(source: FeedbackSource | None, cycle: CycleFacts) -> Iterable[dt.datetime]:
    if source is None:
        return ()
    if callable(source):
        return source(cycle)
    return source.get(cycle.lead_id, ()) if cycle.lead_id is not None else ()


@dataclass
class _Scope:
    """What one evaluation reads: the commitment, the period, the cycles it governs (all,
    and those handed off in the period by `now`), and the lists it fills."""

    spec: CommitmentSpec
    period: Period
    calendar: BusinessCalendar
    now: dt.datetime
    feedback_at: FeedbackSource | None
    mine: list[CycleFacts]
    in_period: list[CycleFacts]
    visitors: Mapping[dt.datetime, tuple[int, int]] | None = None
    lists: dict[str, list[int]] = field(default_factory=dict)
    time_left: dict[int, float] = field(default_factory=dict)


def _mql_volume(s: _Scope) -> tuple[int, int]:
    s.lists["counted"] = [c.key for c in s.in_period]
    return len(s.in_period), 0


def _first_contact_within(s: _Scope) -> tuple[int, int]:
    return _first_contact(s.spec, s.in_period, s.calendar, s.now, s.lists, s.time_left)


def _acceptance_rate(s: _Scope) -> tuple[int, int]:
    s.lists["accepted"] = [c.key for c in s.in_period if _happened(c.accepted_at, s.now)]
    s.lists["rejected"] = [c.key for c in s.in_period if _happened(c.rejected_at, s.now)]
    done = set(s.lists["accepted"]) | set(s.lists["rejected"])
    s.lists["undecided"] = [c.key for c in s.in_period if c.key not in done]
    return len(s.lists["accepted"]), len(done)


def _attempts_before_recycle(s: _Scope) -> tuple[int, int]:
    k = int(_param(s.spec, "attempts"))
    recycled = [c for c in s.in_period if _happened(c.sales_recycle_at, s.now)]
    s.lists["met"] = [c.key for c in recycled if c.attempts_before_sales_recycle >= k]
    short = [c for c in recycled if c.attempts_before_sales_recycle < k]
    s.lists["short"] = [c.key for c in short]
    # A manager let it through with a reason: still short, and counted as overridden.
    s.lists["overridden"] = [c.key for c in short if c.sales_recycle_override]
    return len(s.lists["met"]), len(recycled)


def _reason_documented(s: _Scope) -> tuple[int, int]:
    codes = set(_param(s.spec, "reason_codes"))
    s.lists["documented"], s.lists["undocumented"] = [], []
    for c in s.in_period:
        for at, _to, reason in c.exits:
            if at <= s.now:
                s.lists["documented" if reason in codes else "undocumented"].append(c.key)
    num = len(s.lists["documented"])
    return num, num + len(s.lists["undocumented"])


def _feedback_coverage(s: _Scope) -> tuple[int, int]:
    s.lists["covered"], s.lists["uncovered"] = [], []
    for c in s.in_period:
        rejected = _happened(c.rejected_at, s.now)
        recycled = any(to == "recycled" and at <= s.now for at, to, _r in c.exits)
        if not (rejected or recycled):
            continue
        times = _feedback_times(s.feedback_at, c)
        covered = any(c.handoff_at < t <= s.now for t in times)
        s.lists["covered" if covered else "uncovered"].append(c.key)
    num = len(s.lists["covered"])
    return num, num + len(s.lists["uncovered"])


def _conversion_rate(s: _Scope) -> tuple[int, int]:
    a, b = str(_param(s.spec, "from_stage")), str(_param(s.spec, "to_stage"))
    entered = []
    for c in s.mine:  # counted in the period it entered stage A, not of its handoff
        t = c.reached_at(a)
        if t is not None and t <= s.now and s.period.contains(t):
            entered.append(c)
    converted = [c for c in entered if _happened(c.reached_at(b), s.now)]
    s.lists["converted"] = [c.key for c in converted]
    done = {c.key for c in converted}
    s.lists["not_converted"] = [c.key for c in entered if c.key not in done]
    return len(s.lists["converted"]), len(entered)


#: One function per commitment kind: it fills the scope's lists and returns the
#: numerator and the denominator (0 for counts). docs/compliance.md#commitment-kinds.
def _visitor_to_lead(s: _Scope) -> tuple[int, int]:
    """Leads created / visitors counted in the period (no cycles: facts come per period)."""
    leads, visitors = (s.visitors or {}).get(s.period.start, (0, 0))
    return leads, visitors


_COUNTERS: dict[str, Callable[[_Scope], tuple[int, int]]] = {
    "mql_volume": _mql_volume,
    "first_contact_within": _first_contact_within,
    "acceptance_rate": _acceptance_rate,
    "attempts_before_recycle": _attempts_before_recycle,
    "reason_documented": _reason_documented,
    "feedback_coverage": _feedback_coverage,
    "conversion_rate": _conversion_rate,
    "visitor_to_lead": _visitor_to_lead,
}
assert set(_COUNTERS) == KINDS


def _governed(spec: CommitmentSpec, in_force, cycles: Iterable[CycleFacts]) -> list[CycleFacts]:
    """The cycles this commitment scores: its version's, or (no version) every governed
    cycle handed off while `in_force`."""
    if spec.version_id is not None:
        return [c for c in cycles if c.version_id == spec.version_id]
    start, end = in_force
    return [
        c
        for c in cycles
        if c.version_id is not None
        and c.handoff_at >= start
        and (end is None or c.handoff_at < end)
    ]


def _cycles_due(s: _Scope) -> dict[int, dt.datetime]:
    """Per cycle (key), the earliest instant after now at which its part of the result
    could change by the passing of time alone: a fact of it stamped later, a later
    feedback entry (feedback_coverage, on a cycle that leaves), its open clock turning at
    risk or breaching (first_contact_within). Cycles whose part cannot change are left out."""
    due: dict[int, dt.datetime] = {}

    def add(key: int, at: dt.datetime | None) -> None:
        if at is not None and at > s.now and (key not in due or at < due[key]):
            due[key] = at

    for c in s.mine:
        if c.latest_fact_at() > s.now:  # rare: facts stamped in the future
            for at in _fact_instants(c):
                add(c.key, at)
    if s.spec.kind == "feedback_coverage":
        for c in s.in_period:
            if c.exits or c.rejected_at:  # feedback on a cycle that never leaves never counts
                for at in _feedback_times(s.feedback_at, c):
                    add(c.key, at)
    if s.spec.kind == "first_contact_within":
        allowance = _allowance(s.spec)
        by_key = {c.key: c for c in s.mine}
        at_risk = set(s.lists["at_risk"])
        for key in s.lists["open"]:
            c = by_key[key]
            if key not in at_risk:
                add(key, allowance.at_risk_instant(s.calendar, c.handoff_at))
            add(key, allowance.breach_instant(s.calendar, c.handoff_at))
    return due


def _count_status(result: MetricResult, soon: _Soonest, window, *, now, over: bool) -> None:
    """A count is met once it reaches the target; else missed when the period is over,
    at risk when the straight-line projection over the in-force part misses it."""
    eff_start, eff_end = window
    num, target = result.numerator, Fraction(result.target)
    elapsed = (min(now, eff_end) - eff_start) // _ONE_US
    total = (eff_end - eff_start) // _ONE_US
    result.projected = _projection(num, window, now)
    if num >= target:
        result.status = "met"
    elif over:
        result.status = "missed"
    elif elapsed > 0 and num * total < target * elapsed:  # the projection misses, exactly
        result.status = "at_risk"
    else:
        result.status = "on_track"
        if num and target:
            # the projection num * total / elapsed falls below target once more than
            # num * total / target microseconds have elapsed
            flip = math.floor(num * total / target) + 1
            soon.add(eff_start + dt.timedelta(microseconds=flip))


def _projection(num: int, window, now: dt.datetime) -> float | None:
    eff_start, eff_end = window
    elapsed = (min(now, eff_end) - eff_start) // _ONE_US
    return num * ((eff_end - eff_start) // _ONE_US) / elapsed if elapsed > 0 else None


def projection(
    spec: CommitmentSpec,
    period: Period,
    numerator: int,
    *,
    in_force: tuple[dt.datetime, dt.datetime | None],
    now: dt.datetime,
) -> float | None:
    """A count's straight-line projection over the in-force part of the period at ``now``
    (as ``evaluate`` gives it): it moves with every instant, so a stored result's is read
    anew rather than expired."""
    if spec.kind not in COUNT_KINDS:
        return None
    eff_start, eff_end = _effective_window(period, in_force)
    if eff_end <= eff_start or now < eff_start:
        return None
    return _projection(numerator, (eff_start, eff_end), now)


def _rate_status(result: MetricResult, *, over: bool) -> None:
    """A rate is on track or at risk while the period runs, met or missed once it is over
    (compared exactly: 9 of 10 meets 90); with nothing to divide it stays no_data."""
    if not result.denominator:
        return
    reached = Fraction(100 * result.numerator, result.denominator) >= Fraction(result.target)
    if over:
        result.status = "met" if reached else "missed"
    else:
        result.status = "on_track" if reached else "at_risk"


def _scope(
    spec: CommitmentSpec,
    period: Period,
    cycles: Iterable[CycleFacts],
    *,
    calendar: BusinessCalendar,
    in_force: tuple[dt.datetime, dt.datetime | None],
    now: dt.datetime,
    feedback_at: FeedbackSource | None,
    visitors: Mapping[dt.datetime, tuple[int, int]] | None = None,
) -> tuple[_Scope, int, int]:
    """The cycles' part of a result: the scope with its lists filled, and the numerator
    and denominator they add up to (sums over the cycles: each cycle contributes on its
    own, which is what lets stored results be adjusted cycle by cycle). ``visitors``: per
    period start, (leads created, visitors), for ``visitor_to_lead`` (no cycles)."""
    if spec.kind not in KINDS:
        raise ValueError(f"unknown commitment kind {spec.kind!r}")
    mine = _governed(spec, in_force, cycles)
    in_period = [c for c in mine if period.contains(c.handoff_at) and c.handoff_at <= now]
    scope = _Scope(spec, period, calendar, now, feedback_at, mine, in_period, visitors)
    num, den = _COUNTERS[spec.kind](scope)
    return scope, num, den


def _finish(
    spec: CommitmentSpec,
    period: Period,
    num: int,
    den: int,
    soon: _Soonest,
    *,
    calendar: BusinessCalendar,
    in_force: tuple[dt.datetime, dt.datetime | None],
    now: dt.datetime,
    lists: dict[str, list[int]] | None = None,
    time_left: dict[int, float] | None = None,
) -> MetricResult:
    """A result from its numerator and denominator: actual, status, projection, and
    ``valid_until`` (``soon`` already holds the cycles' instants)."""
    target = prorated_target(spec, period, in_force, calendar.tz)
    eff_start, eff_end = _effective_window(period, in_force)
    result = MetricResult(
        commitment_id=spec.id,
        kind=spec.kind,
        period=period,
        actual=None,
        numerator=num,
        denominator=den,
        target=target,
        status="no_data",
        cycles=lists if lists is not None else {},
        time_left=time_left if time_left is not None else {},
    )
    if spec.kind in COUNT_KINDS:
        result.actual = float(num)
    elif den:
        result.actual = 100.0 * num / den
    if eff_end > eff_start:
        soon.add(eff_start)
    soon.add(period.end)
    if eff_end <= eff_start or now < eff_start:
        result.valid_until = soon.value
        return result  # no_data: outside the version's in-force part, or not started
    over = now >= period.end
    if spec.kind == "visitor_to_lead":
        # Its facts are not cycles (leads created, counts entered later): never stored
        # as fresh, so every read recomputes it.
        soon.value = now
    if spec.kind in COUNT_KINDS:
        _count_status(result, soon, (eff_start, eff_end), now=now, over=over)
    else:
        _rate_status(result, over=over)
    result.valid_until = soon.value
    return result


def evaluate(
    spec: CommitmentSpec,
    period: Period,
    cycles: Iterable[CycleFacts],
    *,
    calendar: BusinessCalendar,
    in_force: tuple[dt.datetime, dt.datetime | None],
    now: dt.datetime,
    feedback_at: FeedbackSource | None = None,
    visitors: Mapping[dt.datetime, tuple[int, int]] | None = None,
) -> MetricResult:
    """Evaluate ``spec`` over ``period`` as of ``now`` (see module Choices).
    ``visitors``: per period start, (leads created, visitors), for ``visitor_to_lead``."""
    scope, num, den = _scope(
        spec,
        period,
        cycles,
        calendar=calendar,
        in_force=in_force,
        now=now,
        feedback_at=feedback_at,
        visitors=visitors,
    )
    due = _cycles_due(scope)
    soon = _Soonest(now)
    for at in due.values():
        soon.add(at)
    result = _finish(
        spec,
        period,
        num,
        den,
        soon,
        calendar=calendar,
        in_force=in_force,
        now=now,
        lists=scope.lists,
        time_left=scope.time_left,
    )
    result.due = due
    return result


@dataclass(frozen=True)
class Contribution:
    """What some cycles add to one commitment's result in one period as of ``now``:
    numerator, denominator, the sizes of the engine's lists, and per cycle the next
    instant after ``now`` at which its part could change by the passing of time alone
    (``due``, sorted); ``keys``: the cycles it covers."""

    numerator: int
    denominator: int
    counts: tuple[tuple[str, int], ...]
    due: tuple[tuple[int, dt.datetime], ...]
    keys: frozenset[int] = field(default=frozenset(), compare=False)

    @property
    def changes_at(self) -> dt.datetime | None:
        return min((at for _key, at in self.due), default=None)


def contribution(
    spec: CommitmentSpec,
    period: Period,
    cycles: Iterable[CycleFacts],
    *,
    calendar: BusinessCalendar,
    in_force: tuple[dt.datetime, dt.datetime | None],
    now: dt.datetime,
    feedback_at: FeedbackSource | None = None,
) -> Contribution:
    """The cycles' part of ``evaluate``'s result. Every kind's numerator, denominator
    and list sizes are sums over cycles, and its ``valid_until`` the earliest of the
    cycles' instants and the period's own (start, end, a count's projection falling
    below target), so a result over cycles C is that over C - {c} plus c's part."""
    scope, num, den = _scope(
        spec,
        period,
        cycles,
        calendar=calendar,
        in_force=in_force,
        now=now,
        feedback_at=feedback_at,
    )
    counts = tuple(sorted((name, len(keys)) for name, keys in scope.lists.items()))
    due = tuple(sorted(_cycles_due(scope).items()))
    return Contribution(num, den, counts, due, frozenset(c.key for c in scope.mine))


def evaluate_adjusted(
    spec: CommitmentSpec,
    period: Period,
    *,
    numerator: int,
    denominator: int,
    counts: Mapping[str, int],
    valid_until: dt.datetime | None,
    due: Mapping[int, dt.datetime] | None,
    removed: Contribution,
    added: Contribution,
    calendar: BusinessCalendar,
    in_force: tuple[dt.datetime, dt.datetime | None],
    now: dt.datetime,
) -> tuple[MetricResult, dict[str, int]]:
    """A stored result (its numerator, denominator, list sizes, ``valid_until`` and
    ``due``) with the ``removed`` cycles' part taken out and the ``added`` cycles' part
    put in: the result ``evaluate`` gives over the new cycles at ``now``, and the new list
    sizes. The removed part is the one the stored totals hold: taken as of any instant
    from the stored result's computation to before its ``valid_until`` (a writer: now; a
    reader whose stored result expired: just before it, with the cycles that came due
    removed and added again as of now). Its ``due`` drops the removed cycles' entries
    and takes the added ones'; without a stored ``due`` (None: an older row) its
    ``valid_until`` keeps the stored one when earlier."""
    sizes = dict(counts)
    for name, n in removed.counts:
        sizes[name] = sizes.get(name, 0) - n
    for name, n in added.counts:
        sizes[name] = sizes.get(name, 0) + n
    soon = _Soonest(now)
    new_due = None
    if due is None:
        soon.add(valid_until)
    else:
        new_due = {key: at for key, at in due.items() if key not in removed.keys}
        for key, _at in removed.due:
            new_due.pop(key, None)
        new_due.update(added.due)
        for at in new_due.values():
            soon.add(at)
    for _key, at in added.due:
        soon.add(at)
    result = _finish(
        spec,
        period,
        numerator - removed.numerator + added.numerator,
        denominator - removed.denominator + added.denominator,
        soon,
        calendar=calendar,
        in_force=in_force,
        now=now,
    )
    result.due = new_due if new_due is not None else {}  # {}: the caller keeps None
    return result, sizes


class _Soonest:
    """The earliest instant strictly after ``now`` among those offered."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now
        self.value: dt.datetime | None = None

    def add(self, at: dt.datetime | None) -> None:
        if at is not None and at > self.now and (self.value is None or at < self.value):
            self.value = at


def _fact_instants(c: CycleFacts) -> Iterable[dt.datetime | None]:
    yield from (
        c.handoff_at,
        c.first_contact_at,
        c.clock_stop_at,
        c.accepted_at,
        c.rejected_at,
        c.sales_recycle_at,
        *c.stage_entered.values(),
    )
    for at, _to, _reason in c.exits:
        yield at


def _allowance(spec: CommitmentSpec) -> Allowance:
    return Allowance.of(_param(spec, "hours"))  # type: ignore[arg-type]


def _param(spec: CommitmentSpec, name: str) -> object:
    try:
        return spec.params[name]
    except KeyError:
        raise ValueError(f"commitment {spec.id} ({spec.kind}) needs parameter {name!r}") from None


def _first_contact(
    spec: CommitmentSpec,
    cycles: list[CycleFacts],
    cal: BusinessCalendar,
    now: dt.datetime,
    lists: dict[str, list[int]],
    time_left: dict[int, float],
) -> tuple[int, int]:
    allowance = _allowance(spec)
    for key in ("met", "breached", "open", "at_risk"):
        lists[key] = []
    for c in cycles:
        used = clock_business_us(c, cal, now)
        state = allowance.state(used, stopped=clock_stopped(c, now))
        if state in ("met", "breached"):
            lists[state].append(c.key)
            continue
        lists["open"].append(c.key)  # at_risk lists the open clocks at risk again
        time_left[c.key] = allowance.left_us(used) / US_PER_SECOND
        if state == "at_risk":
            lists["at_risk"].append(c.key)
    met, breached = len(lists["met"]), len(lists["breached"])
    return met, met + breached


__all__ = [
    "COUNT_KINDS",
    "KINDS",
    "RATE_KINDS",
    "CommitmentSpec",
    "Contribution",
    "FeedbackSource",
    "MetricResult",
    "VisitorFacts",
    "contribution",
    "evaluate",
    "evaluate_adjusted",
    "projection",
    "prorated_target",
]
