"""Handoff cycles of one lead, computed from its events (pure Python, no Django).

Contract (docs/compliance.md#handoff-cycles): every
``stage_changed`` event into ``mql`` is a handoff and opens a cycle that lasts
until the lead's next handoff. The cycle is governed by the version in force
at the handoff instant for its whole life. The lead's stage is tracked by
replaying ``stage_changed`` events in order, including those before the first
handoff, so "moved from mql" means the replayed stage was ``mql`` right then.

Choices
-------
- Events are ordered by ``(occurred_at, seq, id)``; ``seq`` defaults to 0 so
  the event id breaks ties. An event at the same instant as a handoff but
  ordered before it belongs to the previous cycle (or to no cycle).
- Every ``stage_changed`` into ``mql`` is a handoff, even if the replayed
  stage was already ``mql`` (the page's literal definition).
- Events before the first handoff belong to no cycle; they only feed the
  stage replay.
- A cycle is *rejected* at its first move from ``mql`` to ``recycled`` or
  ``disqualified``, and *accepted* at its first entry into ``sal`` or a later
  sales stage (``sql``, ``opportunity``, ``won``, ``lost``) before any
  rejection. Within one cycle the stage is ``mql`` until its first change, so
  at most one of the two happens.
- The first-contact clock stops at whichever of first contact attempt and
  rejection comes first in event order (same instant: event order decides).
- Cycles are identified by ``handoff_event_id`` (event ids are unique across
  leads, so the key is global).
- A sales recycle a manager let through below the attempts rule carries the override
  (who, their name then, why) as ``sales_recycle_override``: compliance still counts it
  short, and lists it as overridden.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from operator import attrgetter
from typing import NamedTuple, Protocol

from slas.clock import BusinessCalendar, business_us

STAGES = ("lead", "mql", "sal", "sql", "opportunity", "won", "lost")
EXITS = frozenset({"recycled", "disqualified"})
SALES_STAGES = frozenset({"sal", "sql", "opportunity", "won", "lost"})
SALES_RECYCLE_FROM = frozenset({"sal", "sql", "opportunity"})

# Progression rank: reaching a stage also "reaches" every lower-ranked stage
# (won and lost share a rank and do not imply each other).
STAGE_RANK = {
    "lead": 0,
    "mql": 1,
    "sal": 2,
    "sql": 3,
    "opportunity": 4,
    "won": 5,
    "lost": 5,
}


class EventIn(NamedTuple):
    """One lead event as the engine needs it (already in UTC or any aware zone; a tuple:
    writers build one per event)."""

    id: int
    occurred_at: dt.datetime
    kind: str
    to_stage: str = ""
    reason_code: str = ""
    channel: str = ""
    seq: int = 0
    # stage_changed: a manager's override of the attempts rule ({"by", "by_name",
    # "reason", ...}, the event's data["override"]); None: none
    override: dict | None = None


@dataclass
class CycleFacts:
    """Everything the commitments need to know about one handoff cycle."""

    number: int
    handoff_event_id: int
    handoff_at: dt.datetime
    ended_at: dt.datetime | None = None
    version_id: int | None = None
    lead_id: int | None = None
    first_contact_at: dt.datetime | None = None
    clock_stop_at: dt.datetime | None = None
    clock_stop_kind: str = ""  # "contact" | "rejected" | ""
    rejected_at: dt.datetime | None = None
    rejected_to: str = ""
    rejected_reason_code: str = ""
    accepted_at: dt.datetime | None = None
    stage_entered: dict[str, dt.datetime] = field(default_factory=dict)
    sales_recycle_at: dt.datetime | None = None
    sales_recycle_from: str = ""
    attempts_before_sales_recycle: int = 0
    # the override recorded on that recycle (who, their name then, why), or None
    sales_recycle_override: dict | None = None
    contact_attempts: int = 0
    exits: list[tuple[dt.datetime, str, str]] = field(default_factory=list)

    def latest_fact_at(self) -> dt.datetime:
        """The latest instant stamped on this cycle (memoised: facts do not change
        once built; callers that mutate a cycle build a new one)."""
        cached = self.__dict__.get("_latest")
        if cached is None:
            times = [
                t
                for t in (
                    self.handoff_at,
                    self.first_contact_at,
                    self.clock_stop_at,
                    self.accepted_at,
                    self.rejected_at,
                    self.sales_recycle_at,
                    *self.stage_entered.values(),
                    *(at for at, _to, _reason in self.exits),
                )
                if t is not None
            ]
            cached = self.__dict__["_latest"] = max(times)
        return cached

    @property
    def key(self) -> int:
        """Stable id of the cycle in reports: its handoff event id."""
        return self.handoff_event_id

    @property
    def governed(self) -> bool:
        return self.version_id is not None

    def reached_at(self, stage: str) -> dt.datetime | None:
        """First time in this cycle the lead was in ``stage`` or a later one.

        For ``lead``..``lost`` a later stage counts (a lead moved mql -> sql
        has reached sal); exits count only literally.
        """
        rank = STAGE_RANK.get(stage)
        if rank is None:
            return self.stage_entered.get(stage)
        times = [
            at for s, at in self.stage_entered.items() if s == stage or STAGE_RANK.get(s, -1) > rank
        ]
        return min(times, default=None)


_sort_key = attrgetter("occurred_at", "seq", "id")


def cycles_from_events(
    events: Iterable[EventIn],
    governing: Callable[[dt.datetime], int | None],
    *,
    lead_id: int | None = None,
) -> list[CycleFacts]:
    """Split one lead's events (any order) into handoff cycles.

    ``governing(instant)`` returns the id of the version in force at that
    instant, or None (ungoverned). It is called once per handoff.
    """
    cycles: list[CycleFacts] = []
    stage = ""
    current: CycleFacts | None = None
    for e in sorted(events, key=_sort_key):
        if e.kind == "stage_changed":
            previous, stage = stage, e.to_stage
            if e.to_stage == "mql":
                if current is not None:
                    current.ended_at = e.occurred_at
                current = CycleFacts(
                    number=len(cycles) + 1,
                    handoff_event_id=e.id,
                    handoff_at=e.occurred_at,
                    version_id=governing(e.occurred_at),
                    lead_id=lead_id,
                    stage_entered={"mql": e.occurred_at},
                )
                cycles.append(current)
                continue
            if current is None:
                continue
            _apply_stage_change(current, e, previous)
        elif e.kind == "contact_attempt" and current is not None:
            current.contact_attempts += 1
            if current.first_contact_at is None:
                current.first_contact_at = e.occurred_at
                if current.clock_stop_at is None:
                    current.clock_stop_at = e.occurred_at
                    current.clock_stop_kind = "contact"
    return cycles


def _apply_stage_change(cycle: CycleFacts, e: EventIn, previous: str) -> None:
    to = e.to_stage
    cycle.stage_entered.setdefault(to, e.occurred_at)
    if to in EXITS:
        cycle.exits.append((e.occurred_at, to, e.reason_code))
        if previous == "mql" and cycle.rejected_at is None and cycle.accepted_at is None:
            cycle.rejected_at = e.occurred_at
            cycle.rejected_to = to
            cycle.rejected_reason_code = e.reason_code
            if cycle.clock_stop_at is None:
                cycle.clock_stop_at = e.occurred_at
                cycle.clock_stop_kind = "rejected"
        if to == "recycled" and previous in SALES_RECYCLE_FROM and cycle.sales_recycle_at is None:
            cycle.sales_recycle_at = e.occurred_at
            cycle.sales_recycle_from = previous
            cycle.attempts_before_sales_recycle = cycle.contact_attempts
            if e.override:
                cycle.sales_recycle_override = {
                    key: e.override.get(key) for key in ("by", "by_name", "reason")
                }
    elif to in SALES_STAGES and cycle.accepted_at is None and cycle.rejected_at is None:
        cycle.accepted_at = e.occurred_at


class ClockFacts(Protocol):
    """What a first-contact clock reads: a ``CycleFacts`` or a stored ``leads.Cycle``."""

    handoff_at: dt.datetime
    clock_stop_at: dt.datetime | None


def clock_business_us(cycle: ClockFacts, cal: BusinessCalendar, now: dt.datetime) -> int:
    """Business time, in whole microseconds, on the cycle's first-contact clock: from
    handoff to the clock stop, or to ``now`` while it is still running (a stop after
    ``now`` has not happened yet as of ``now``)."""
    end = cycle.clock_stop_at if clock_stopped(cycle, now) else now
    return business_us(cal, cycle.handoff_at, end)


def clock_stopped(cycle: ClockFacts, now: dt.datetime) -> bool:
    """Whether the first-contact clock had stopped by ``now``."""
    return cycle.clock_stop_at is not None and cycle.clock_stop_at <= now
