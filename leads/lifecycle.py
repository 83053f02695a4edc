"""Lead lifecycle rules and the replay that derives a lead's state from its events (pure).

Contract (docs/compliance.md#stages-and-events): stages move
``lead -> mql -> sal -> sql -> opportunity -> won | lost``; sales may reject a handed-off
lead (``mql -> recycled | disqualified``) or recycle one that does not advance; recycled
leads may come back as ``mql``. ``won`` and ``disqualified`` are final.

Two uses, one table:
- moves made in the portal (pages, API actions, webhook) are *checked* with
  ``check_move`` before they are recorded, and refused with a message;
- imported history is *replayed* with ``derive_state``: a recorded move that breaks a
  rule (``history_problem``: a reopened deal, a step back, a sales stage reached without
  a handoff, an exit without an agreed reason) is kept, and the lead is flagged with why.
  A flag means a real rule break: a source recording the path it knows is not one. The
  lead's entry into ``lead`` (HubSpot's "Became a Lead Date") and a handed-off lead
  advancing more than one step at once (``mql -> sql``: HubSpot has no SAL; ``sql ->
  won`` with no opportunity recorded) are not flagged; compliance reads such a path as
  reaching the stages between (docs/compliance.md#stages-and-events).

Choices:
- Moving into the stage the lead is already in is refused (nothing would change).
- A move to ``recycled`` or ``disqualified`` needs a reason code from the governing
  version's list; with no version in force any non-empty code is accepted. The
  governing version is the one in force at the handoff that opened the move's cycle
  (docs/compliance.md#governing-version: a cycle keeps its version for its whole life, so a v1 cycle recycled
  after v2 took effect is checked against v1's codes, as ``reason_documented`` counts
  it); a move before any handoff is checked against the version in force at the move.
- A sales recycle (``sal``/``sql``/``opportunity -> recycled``) needs the contact
  attempts the governing version asks for (its ``attempts_before_recycle`` commitment,
  ``RecycleRule``), counted in the cycle before the recycle as compliance counts them.
  The portal refuses a short recycle unless a manager of the lead's sales team overrides
  with a reason (recorded in the event's ``data["override"]``); the replay flags a short
  recycle that was not overridden.
- A move the portal refused to apply on behalf of an integration (the webhook) is kept
  as a ``note`` event whose ``data["flag"]`` says why; the replay flags the lead with it.
- A rule break is a ``Problem``: a stable code and its reason as a ``portal.text.Text``
  (untranslated, with its values). A refused portal move says it at once, in the
  person's language; a flag stores it as data (``Flag``: the instant, the code, the
  reason) and the lead's reader reads it in their language and time zone.
- The replay orders events by ``(occurred_at, id)`` like ``reports.cycles``, so the
  result does not depend on the order the events arrived in.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from operator import attrgetter
from typing import NamedTuple

from django.utils.translation import gettext_noop

from leads.cycles import SALES_RECYCLE_FROM, SALES_STAGES, STAGE_RANK
from portal.text import Text
from slas.stages import stage_text

EXITS = frozenset({"recycled", "disqualified"})
ACTIVE_STAGES = ("mql", "sal", "sql", "opportunity")

ALLOWED_MOVES: dict[str, frozenset[str]] = {
    "lead": frozenset({"mql", "disqualified"}),
    "mql": frozenset({"sal", "recycled", "disqualified"}),
    "sal": frozenset({"sql", "lost", "recycled", "disqualified"}),
    "sql": frozenset({"opportunity", "lost", "recycled", "disqualified"}),
    "opportunity": frozenset({"won", "lost", "recycled", "disqualified"}),
    "won": frozenset(),
    "lost": frozenset({"recycled"}),
    "recycled": frozenset({"mql", "disqualified"}),
    "disqualified": frozenset(),
}


class MoveRefused(ValueError):
    """A portal move the lifecycle does not allow; ``str()`` is meant for the person."""


class Problem(NamedTuple):
    """Why a move breaks a rule: a stable ``code`` (what the API gives) and the ``reason``,
    translated when read; ``str()`` reads it in the active language."""

    code: str
    reason: Text

    def __str__(self) -> str:
        return str(self.reason)


def move_problem(from_stage: str, to_stage: str) -> Problem | None:
    """Why ``from_stage -> to_stage`` is not an allowed move, or None when it is."""
    from_stage = from_stage or "lead"
    if to_stage not in ALLOWED_MOVES:
        return Problem(
            "not_a_stage", Text(gettext_noop("“%(stage)s” is not a stage."), stage=to_stage)
        )
    if from_stage == to_stage:
        return Problem(
            "same_stage",
            Text(
                gettext_noop("The lead is already in stage %(stage)s."),
                stage=stage_text(to_stage),
            ),
        )
    if to_stage not in ALLOWED_MOVES.get(from_stage, frozenset()):
        allowed = sorted(ALLOWED_MOVES.get(from_stage, frozenset()))
        if not allowed:
            return Problem(
                "final_stage",
                Text(
                    gettext_noop("A lead in stage %(from)s cannot move any more (it is final)."),
                    **{"from": stage_text(from_stage)},
                ),
            )
        return Problem(
            "move_not_allowed",
            Text(
                gettext_noop(
                    "A lead cannot move from %(from)s to %(to)s; from %(from)s it can go to: "
                    "%(allowed)s."
                ),
                **{
                    "from": stage_text(from_stage),
                    "to": stage_text(to_stage),
                    "allowed": [stage_text(s) for s in allowed],
                },
            ),
        )
    return None


def lead_entry(from_stage: str, to_stage: str) -> bool:
    """A move into ``lead`` of a lead that is in ``lead``: a source saying the contact
    became a lead (HubSpot's "Became a Lead Date", ``lifecyclestage = lead``). A lead
    starts there, so nothing changes and no rule is broken; the portal offers no such
    move, but a source's is stored as it came, unflagged."""
    return to_stage == "lead" and (from_stage or "lead") == "lead"


def history_problem(from_stage: str, to_stage: str) -> Problem | None:
    """Why a recorded move (imported history, the replay) breaks the lifecycle, or None.

    Looser than the portal's own moves (``move_problem``), because a source records the
    path it knows: entering ``lead`` while in ``lead`` (how a lead starts) and a
    handed-off lead advancing to any later sales stage (``mql -> sql``, ``sal -> won``)
    are not breaks. Everything else the table does not allow is: leaving a final stage,
    a step back, the stage the lead is already in (``mql`` twice is two cycles), and a
    sales stage reached from ``lead`` or ``recycled`` without a handoff (no SLA clock ran).
    """
    if lead_entry(from_stage, to_stage):
        return None
    from_stage = from_stage or "lead"
    problem = move_problem(from_stage, to_stage)
    if problem is None:
        return None
    if to_stage in SALES_STAGES:
        if from_stage in ACTIVE_STAGES and STAGE_RANK[to_stage] > STAGE_RANK[from_stage]:
            return None
        if from_stage in ("lead", "recycled"):
            return Problem(
                "no_handoff",
                Text(
                    gettext_noop(
                        "The lead went from %(from)s to %(to)s without a handoff (MQL): no SLA "
                        "clock ran for it, and compliance does not count it."
                    ),
                    **{"from": stage_text(from_stage), "to": stage_text(to_stage)},
                ),
            )
    return problem


def reason_problem(
    to_stage: str, reason_code: str, allowed_codes: Iterable[str] | None
) -> Problem | None:
    """Why the reason code does not fit a move to ``to_stage``, or None."""
    if to_stage not in EXITS:
        return None
    if not reason_code:
        return Problem(
            "reason_missing",
            Text(
                gettext_noop("A move to %(stage)s needs a reason code."),
                stage=stage_text(to_stage),
            ),
        )
    if allowed_codes is not None:
        codes = sorted(allowed_codes)
        if reason_code not in codes:
            return Problem(
                "reason_not_allowed",
                Text(
                    gettext_noop(
                        "“%(code)s” is not a reason code of the governing agreement version "
                        "(use one of: %(codes)s)."
                    ),
                    code=reason_code,
                    codes=", ".join(codes) or "-",
                ),
            )
    return None


@dataclass(frozen=True)
class RecycleRule:
    """What a version asks before a sales recycle: at least ``attempts`` contact attempts
    in the cycle (its ``attempts_before_recycle`` commitment with the largest K), in its
    own words (the commitment's description)."""

    attempts: int
    wording: str
    version_number: int

    def text(self) -> Text:
        """The rule as the version states it, for messages (translated when read)."""
        words = self.wording or Text(
            gettext_noop("at least %(k)s contact attempts before a recycle"), k=self.attempts
        )
        return Text(
            gettext_noop("version %(n)s of the agreement asks: “%(words)s”"),
            n=self.version_number,
            words=words,
        )


def is_sales_recycle(from_stage: str, to_stage: str) -> bool:
    """A recycle that compliance holds to the attempts rule (not a rejection from mql,
    not ``lost -> recycled``: docs/compliance.md#attempts_before_recycle)."""
    return to_stage == "recycled" and from_stage in SALES_RECYCLE_FROM


def recycle_attempts_problem(
    from_stage: str, to_stage: str, attempts: int, rule: RecycleRule | None
) -> Problem | None:
    """Why a sales recycle after ``attempts`` contact attempts in its cycle falls short of
    the governing version's rule, or None (not a sales recycle, no rule, enough)."""
    if rule is None or not is_sales_recycle(from_stage, to_stage) or attempts >= rule.attempts:
        return None
    return Problem(
        "recycle_attempts_short",
        Text(
            gettext_noop(
                "Recycled from %(from)s after %(n)s of the %(k)s contact attempts the agreement "
                "asks for in a cycle (%(rule)s)."
            ),
            **{"from": stage_text(from_stage), "n": attempts, "k": rule.attempts},
            rule=rule.text(),
        ),
    )


def check_move(
    from_stage: str,
    to_stage: str,
    reason_code: str = "",
    allowed_codes: Iterable[str] | None = None,
) -> None:
    """Raise ``MoveRefused`` when a portal move breaks the lifecycle rules."""
    problem = move_problem(from_stage, to_stage) or reason_problem(
        to_stage, reason_code, allowed_codes
    )
    if problem:
        raise MoveRefused(str(problem))


# --------------------------------------------------------------------------- replay


class EventIn(NamedTuple):
    """One lead event as the replay reads it (a tuple: imports build one per event)."""

    id: int
    occurred_at: dt.datetime
    kind: str
    to_stage: str = ""
    reason_code: str = ""
    owner_id: int | None = None  # owner_changed: the new owner (None: unknown / unassigned)
    fit: int | None = None  # score_changed
    interest: int | None = None
    nurture_track: str | None = None  # note events that put the lead into a track
    flag: Problem | None = None  # note events recording a move that was not applied, and why
    overridden: bool = False  # stage_changed: a manager overrode the attempts rule


@dataclass
class DerivedState:
    stage: str = "lead"
    owner_id: int | None = None
    owner_known: bool = False  # some owner_changed event named an owner
    fit: int = 0
    interest: int = 0
    nurture_track: str = ""
    flags: list[dict] = field(default_factory=list)  # as Lead.flags stores them: flag_data()
    last_event_at: dt.datetime | None = None

    @property
    def flagged(self) -> bool:
        return bool(self.flags)


_replay_order = attrgetter("occurred_at", "id")


def flag_data(at: dt.datetime, problem: Problem) -> dict:
    """A flag as the lead stores it (``Lead.flags``, JSON in no language): the instant in
    UTC (ISO 8601), the problem's code, and its reason untranslated with its values
    (``Text.spec()``); ``Lead.flag_list`` reads it back."""
    return {"at": at.astimezone(dt.UTC).isoformat(), "code": problem.code, **problem.reason.spec()}


def derive_state(
    events: Iterable[EventIn],
    reason_codes_at: Callable[[dt.datetime, str, str], Iterable[str] | None] | None = None,
    recycle_rule_at: Callable[[dt.datetime], RecycleRule | None] | None = None,
) -> DerivedState:
    """Replay a lead's events (any order) into its current state and flags.

    ``reason_codes_at(instant, from_stage, to_stage)`` returns the codes the version in
    force at ``instant`` allows for that move (None: no version in force, any code will
    do). ``instant`` is the handoff that opened the move's cycle (the move's own instant
    when no handoff came before it): the cycle's governing version decides.
    ``recycle_rule_at(handoff)`` returns the attempts rule of the version governing the
    cycle opened at ``handoff`` (None: no rule); a short sales recycle not overridden
    is flagged.
    """
    state = DerivedState()
    handoff_at: dt.datetime | None = None
    attempts = 0  # contact attempts in the current cycle, so far

    def flag(e: EventIn, why: Problem) -> None:
        state.flags.append(flag_data(e.occurred_at, why))

    for e in sorted(events, key=_replay_order):
        state.last_event_at = e.occurred_at
        if e.kind == "stage_changed" and e.to_stage:
            problem = history_problem(state.stage, e.to_stage)
            if problem is None and e.to_stage in EXITS:
                codes = (
                    reason_codes_at(handoff_at or e.occurred_at, state.stage, e.to_stage)
                    if reason_codes_at
                    else None
                )
                problem = reason_problem(e.to_stage, e.reason_code, codes)
            sales_recycle = is_sales_recycle(state.stage, e.to_stage) and handoff_at is not None
            if problem is None and sales_recycle and recycle_rule_at and not e.overridden:
                rule = recycle_rule_at(handoff_at)
                problem = recycle_attempts_problem(state.stage, e.to_stage, attempts, rule)
            if problem:
                flag(e, problem)
            state.stage = e.to_stage
            if e.to_stage == "mql":
                state.nurture_track = ""
                handoff_at = e.occurred_at
                attempts = 0
        elif e.kind == "contact_attempt":
            if handoff_at is not None:
                attempts += 1
        elif e.kind == "owner_changed" and e.owner_id is not None:
            state.owner_id = e.owner_id
            state.owner_known = True
        elif e.kind == "score_changed" and e.fit is not None:
            state.fit = e.fit
            state.interest = e.interest or 0
        elif e.kind == "note":
            if e.nurture_track is not None:
                state.nurture_track = e.nurture_track
            if e.flag:
                flag(e, e.flag)
    return state
