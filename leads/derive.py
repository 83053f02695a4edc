"""A lead's state derived from its ordered events, in the writer's transaction: stage, flags, score, the handoff and the assignment when due, and the lead's cycles (leads.cycles).

Events that arrive out of order still give the right stage: the whole history is replayed."""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from operator import attrgetter, itemgetter
from typing import NamedTuple

from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext_noop

from leads.bulk import copy_insert
from leads.cycles import EventIn as CycleEventIn
from leads.lifecycle import DerivedState, EventIn, Problem, RecycleRule, derive_state
from leads.models import AssignmentCursor, Lead, LeadEvent
from leads.scoring import LEAD_FIELDS, Rule, Score, score
from portal import permissions
from portal.models import Membership, Role, Team
from portal.notifications import notification_create
from portal.text import Text
from slas.frozen import frozen_parts
from slas.governing import VersionIndex
from slas.models import (
    Agreement,
    Commitment,
    CommitmentKind,
    NurtureTrack,
    ReasonCode,
    ScoringRule,
    Version,
)

LEAD_ATTRIBUTE_FIELDS = (
    "email",
    "first_name",
    "last_name",
    "company",
    "job_title",
    "industry",
    "company_size",
    "lead_source",
)
DERIVED_FIELDS = (
    "stage",
    "owner_id",
    "fit_score",
    "interest_score",
    "nurture_track",
    "flagged",
    "flags",
)


# --------------------------------------------------------------------------- version rules


@dataclass(frozen=True)
class VersionRules:
    """What a version says about leads: qualification rules, reason codes, nurture tracks,
    and the contact attempts a sales recycle needs (None: the version sets none)."""

    version_id: int
    number: int
    threshold: int | None
    rules: tuple[Rule, ...]
    reasons: tuple[tuple[str, str, str], ...]  # (code, label, applies_to)
    tracks: tuple[str, ...]
    recycle_rule: RecycleRule | None = None

    def codes_for_move(self, from_stage: str, to_stage: str) -> list[str]:
        """Reason codes that fit a move: `any`, plus `reject` from mql, plus the exit's own."""
        kinds = {"any", "recycle" if to_stage == "recycled" else "disqualify"}
        if from_stage == "mql":
            kinds.add("reject")
        return [code for code, _label, applies in self.reasons if applies in kinds]

    def reason_choices(self, from_stage: str, to_stage: str) -> list[tuple[str, str]]:
        codes = set(self.codes_for_move(from_stage, to_stage))
        return [(code, label) for code, label, _a in self.reasons if code in codes]


class _VersionParts(NamedTuple):
    """What a version says about leads, as plain values (kept in the shared cache)."""

    rules: tuple[tuple, ...]  # Rule's fields
    reasons: tuple[tuple[str, str, str], ...]
    tracks: tuple[str, ...]
    recycle: tuple[int, str] | None  # the largest K of its recycle commitments, their words


_NO_PARTS = _VersionParts((), (), (), None)


def version_rules_load(
    version_ids: Iterable[int], *, scoring_only: bool = False, index: VersionIndex | None = None
) -> dict[int, VersionRules]:
    """`scoring_only`: the qualification rules and thresholds alone, for pages that show
    scores and nothing else the versions say (reasons, tracks and recycle rules empty).
    `index`: the caller's VersionIndex, whose activated versions give their numbers and
    thresholds (not read again) and whose parts come from the shared cache (they never
    change: slas.frozen)."""
    ids = sorted(set(version_ids))
    if not ids:
        return {}
    keys = index.frozen_keys(ids) if index is not None else {}
    kept = [pk for pk in ids if keys.get(pk)]
    # plain tuples in the cache (no class to unpickle); the kind names their shape
    parts = frozen_parts("lead-rules-1", kept, keys, _version_parts_load, empty=tuple(_NO_PARTS))
    unkept = [pk for pk in ids if not keys.get(pk)]
    if unkept:
        parts.update(_version_parts_load(unkept, scoring_only=scoring_only))
    heads = {}  # id: (number, threshold)
    if index is not None:
        for pk in ids:
            version = index.version(pk)
            if version is not None:
                heads[pk] = (version.number, version.mql_threshold)
    unread = [pk for pk in ids if pk not in heads]
    if unread:
        for pk, number, threshold in Version.objects.filter(pk__in=unread).values_list(
            "id", "number", "mql_threshold"
        ):
            heads[pk] = (number, threshold)
    loaded = {}
    for pk, (number, threshold) in heads.items():
        part = _VersionParts(*parts.get(pk, _NO_PARTS))
        if scoring_only:
            part = _VersionParts(part.rules, (), (), None)
        loaded[pk] = VersionRules(
            pk,
            number,
            threshold,
            tuple(Rule(*row) for row in part.rules),
            part.reasons,
            part.tracks,
            RecycleRule(part.recycle[0], part.recycle[1], number) if part.recycle else None,
        )
    return loaded


def _version_parts_load(ids: list[int], *, scoring_only: bool = False) -> dict[int, tuple]:
    """The versions' scoring rules, and unless `scoring_only` their reason codes, nurture
    tracks and recycle rules (the largest K)."""
    rules: dict[int, list[tuple]] = defaultdict(list)
    scoring = ScoringRule.objects.filter(version_id__in=ids).order_by("position", "id")
    for row in scoring.values_list(
        "version_id", "attribute", "operator", "value", "points", "dimension"
    ):
        rules[row[0]].append(tuple(row[1:]))
    reasons: dict[int, list[tuple[str, str, str]]] = defaultdict(list)
    tracks: dict[int, list[str]] = defaultdict(list)
    recycle: dict[int, tuple[int, str]] = {}
    if not scoring_only:
        _version_words_load(ids, reasons, tracks, recycle)
    return {
        pk: (tuple(rules[pk]), tuple(reasons[pk]), tuple(tracks[pk]), recycle.get(pk)) for pk in ids
    }


def _version_words_load(ids: list[int], reasons: dict, tracks: dict, recycle: dict) -> None:
    """The versions' reason codes, nurture tracks and recycle rules (the largest K)."""
    for row in ReasonCode.objects.filter(version_id__in=ids).order_by("position", "id"):
        reasons[row.version_id].append((row.code, row.label, row.applies_to))
    for row in NurtureTrack.objects.filter(version_id__in=ids).order_by("position", "id"):
        tracks[row.version_id].append(row.name)
    commitments = Commitment.objects.filter(
        version_id__in=ids, kind=CommitmentKind.ATTEMPTS_BEFORE_RECYCLE
    ).order_by("position", "id")
    for row in commitments.values_list("version_id", "params", "description"):
        version_id, params, description = row
        k = (params or {}).get("attempts")
        if isinstance(k, int) and not isinstance(k, bool) and k > recycle.get(version_id, (0,))[0]:
            recycle[version_id] = (k, description)


def lead_agreement_for(*, marketing_team_id: int, sales_team_id: int) -> int | None:
    """The agreement whose parties include both teams (the oldest, if several)."""
    return (
        Agreement.objects.filter(parties=marketing_team_id)
        .filter(parties=sales_team_id)
        .order_by("pk")
        .values_list("pk", flat=True)
        .first()
    )


# --------------------------------------------------------------------------- derived state


def _event_in(event_id, occurred_at, kind, to_stage, reason_code, data) -> EventIn:
    """The event as derive_state reads it: only the data of its own kind counts."""
    if kind == "owner_changed":
        owner_id = (data or {}).get("owner_id")
        return EventIn(event_id, occurred_at, kind, to_stage, reason_code, owner_id=owner_id)
    if kind == "score_changed":
        data = data or {}
        fit, interest = data.get("fit"), data.get("interest")
        return EventIn(
            event_id, occurred_at, kind, to_stage, reason_code, fit=fit, interest=interest
        )
    if kind == "note":
        data = data or {}
        track, flag = data.get("nurture_track"), _stored_flag(data.get("flag"))
        return EventIn(
            event_id, occurred_at, kind, to_stage, reason_code, nurture_track=track, flag=flag
        )
    if kind == "stage_changed" and data and data.get("override"):
        return EventIn(event_id, occurred_at, kind, to_stage, reason_code, overridden=True)
    return EventIn(event_id, occurred_at, kind, to_stage, reason_code)


def _stored_flag(flag) -> Problem | None:
    """A refused move's `data["flag"]`: a code and a `Text` spec; before flags were data,
    the text it was written in (kept as it is)."""
    if not flag:
        return None
    if isinstance(flag, dict):
        return Problem(flag.get("code", "move_not_applied"), Text.from_spec(flag))
    return Problem("move_not_applied", Text(str(flag)))


def lead_score(lead: Lead, rules: VersionRules | None) -> Score:
    """The lead's score under a version's rules (with the rules that gave points)."""
    if rules is None:
        return Score()
    values = {name: getattr(lead, name) for name in LEAD_FIELDS}
    return score(values, lead.attributes or {}, rules.rules)


@dataclass
class Derived:
    """States derived for leads before their rows were written (`leads_state_derive`),
    with the events derivation adds to them, for `_leads_derive` to write."""

    states: dict[int, DerivedState]
    score_changes: list[tuple]
    handoffs: list[LeadEvent]


def leads_state_derive(
    leads: dict[int, Lead], events: dict[int, list[EventIn]], context: IngestContext
) -> Derived:
    """Derive the state of leads not yet written (an import's new leads, pks reserved)
    from all their events, scored, and set it on them, so their rows are written once,
    with it; `_leads_derive(derived=...)` then writes what derivation adds (score
    changes, handoffs, a round-robin owner) as it does for any lead."""
    states, score_changes, handoffs = _states_derive(leads, events, context, set(leads))
    for lead_id, lead in leads.items():
        for name, value in _state_columns(lead, states[lead_id]).items():
            setattr(lead, name, value)
    return Derived(states, score_changes, handoffs)


def _leads_derive(
    lead_ids: list[int],
    context: IngestContext,
    *,
    rescore: set[int],
    loaded: dict[int, Lead] | None = None,
    known: dict[int, list[StoredEvent]] | None = None,
    derived: Derived | None = None,
) -> None:
    """Recompute stage, owner, scores, track and flags of these leads from their events,
    score the leads in `rescore`, record due handoffs and assignments.

    `known` holds all the stored events of some of the leads (leads created by the
    calling batch): those are not read back; the handoffs recorded here are added.
    `derived`: the states of some of the leads, derived before their rows were written
    (`leads_state_derive`): they are not derived again, and their rows are written again
    only if an assignment gives them an owner."""
    known = known if known is not None else {}
    pre = derived.states if derived is not None else {}
    leads = _leads_load(lead_ids, loaded or {})
    events, last_handoff = _events_gather(lead_ids, known, skip=pre.keys())
    todo = {pk: lead for pk, lead in leads.items() if pk not in pre}
    states, score_changes, handoffs = _states_derive(todo, events, context, rescore)
    if derived is not None:
        # In lead order, as if derived here: the events' ids and the round robin follow it.
        states = {pk: pre[pk] if pk in pre else states[pk] for pk in leads}
        score_changes = sorted([*score_changes, *derived.score_changes], key=itemgetter(0))
        handoffs = sorted([*handoffs, *derived.handoffs], key=attrgetter("lead_id"))
    _derived_events_store(score_changes, handoffs, last_handoff, known)
    assignments = _owners_assign(leads, states, context, last_handoff)
    _lead_columns_store(leads, states)
    for lead, rep_id in assignments:
        handoff = last_handoff.get(lead.pk)
        _notify_assigned(lead, rep_id, handoff[1] if handoff else 0)


def _leads_load(lead_ids: list[int], loaded: dict[int, Lead]) -> dict[int, Lead]:
    """The leads, those the caller holds as they are and the rest read."""
    missing = [pk for pk in lead_ids if pk not in loaded]
    leads = {pk: loaded[pk] for pk in lead_ids if pk in loaded}
    if missing:
        leads.update({lead.pk: lead for lead in Lead.objects.filter(pk__in=missing)})
    return leads


def _events_gather(
    lead_ids: list[int], known: dict[int, list[StoredEvent]], skip: Iterable[int] = ()
) -> tuple[dict[int, list[EventIn]], dict[int, tuple[dt.datetime, int]]]:
    """Every event of the leads as derive_state reads it, and each lead's latest handoff
    (time, event id); the events in `known` are not read back. Of the leads in `skip`
    (all their events known, their state derived already) only the handoff is found."""
    events: dict[int, list[EventIn]] = defaultdict(list)
    last_handoff: dict[int, tuple[dt.datetime, int]] = {}

    def handoff(event_id, lead_id, occurred_at) -> None:
        if lead_id not in last_handoff or (occurred_at, event_id) > last_handoff[lead_id]:
            last_handoff[lead_id] = (occurred_at, event_id)

    def add(event_id, lead_id, occurred_at, kind, to_stage, reason_code, data) -> None:
        events[lead_id].append(_event_in(event_id, occurred_at, kind, to_stage, reason_code, data))
        if kind == "stage_changed" and to_stage == "mql":
            handoff(event_id, lead_id, occurred_at)

    skip = set(skip)
    for lead_id, stored in known.items():
        if lead_id in skip:
            for e in stored:
                if e.kind == "stage_changed" and e.to_stage == "mql":
                    handoff(e.id, lead_id, e.occurred_at)
            continue
        for e in stored:
            add(e.id, lead_id, e.occurred_at, e.kind, e.to_stage, e.reason_code, e.data)
    unknown = [pk for pk in lead_ids if pk not in known]
    if unknown:
        rows = LeadEvent.objects.filter(lead_id__in=unknown).values_list(
            "id", "lead_id", "occurred_at", "kind", "to_stage", "reason_code", "data"
        )
        for row in rows.iterator(chunk_size=5000):
            add(*row)
    return events, last_handoff


def lead_events_stored(lead_ids: Iterable[int]) -> dict[int, list[StoredEvent]]:
    """All the stored events of these leads, by lead, read once for a writer to pass to
    `_leads_derive(known=...)` and (as `cycle_events`) to the cycles."""
    ids = list(lead_ids)
    stored: dict[int, list[StoredEvent]] = {pk: [] for pk in ids}
    rows = LeadEvent.objects.filter(lead_id__in=ids).values_list(
        "id", "lead_id", "occurred_at", "kind", "to_stage", "reason_code", "channel", "data"
    )
    for event_id, lead_id, *rest in rows.iterator(chunk_size=5000):
        stored[lead_id].append(StoredEvent(event_id, *rest))
    return stored


def cycle_events(events: list[StoredEvent]) -> list[CycleEventIn]:
    """A lead's stored events as the cycles read them: the stage changes (with their
    override) and the contact attempts."""
    result = []
    for e in events:
        if e.kind not in ("stage_changed", "contact_attempt"):
            continue
        override = (e.data or {}).get("override") if e.kind == "stage_changed" else None
        result.append(
            CycleEventIn(
                e.id,
                e.occurred_at,
                e.kind,
                e.to_stage,
                e.reason_code,
                e.channel,
                override=override if isinstance(override, dict) else None,
            )
        )
    return result


def _states_derive(leads: dict[int, Lead], events, context: IngestContext, rescore: set[int]):
    """Each lead's state replayed from its events; the leads in `rescore` scored by the
    version in force now, with a `score_changed` row when the score moved and a handoff
    when the score reaches the threshold (where the context hands off on score)."""
    now = context.now
    score_changes: list[tuple] = []  # rows of lead_id, kind, occurred_at, data
    handoffs: list[LeadEvent] = []
    states = {}
    for lead_id, lead in leads.items():
        # `at` is the handoff of the move's cycle (derive_state): its version governs.
        def codes_at(at, from_stage, to_stage, agreement_id=lead.agreement_id):
            rules = context.rules_at(agreement_id, at)
            return None if rules is None else rules.codes_for_move(from_stage, to_stage)

        def recycle_rule_at(at, agreement_id=lead.agreement_id):
            rules = context.rules_at(agreement_id, at)
            return None if rules is None else rules.recycle_rule

        state = derive_state(events.get(lead_id, []), codes_at, recycle_rule_at)
        rules = context.rules_at(lead.agreement_id, now) if lead_id in rescore else None
        if rules is not None:
            result = lead_score(lead, rules)
            if (result.fit, result.interest) != (state.fit, state.interest):
                state.fit, state.interest = result.fit, result.interest
                data = {"fit": result.fit, "interest": result.interest, "version": rules.number}
                score_changes.append((lead_id, "score_changed", now, data))
            threshold = rules.threshold
            if (
                context.handoff_on_score
                and state.stage == "lead"
                and threshold is not None
                and result.total >= threshold
            ):
                state.stage = "mql"
                handoffs.append(
                    LeadEvent(
                        lead_id=lead_id,
                        kind="stage_changed",
                        occurred_at=now,
                        from_stage="lead",
                        to_stage="mql",
                        data={"trigger": "score", "score": result.total, "threshold": threshold},
                    )
                )
        states[lead_id] = state
    return states, score_changes, handoffs


def _derived_events_store(score_changes, handoffs, last_handoff, known) -> None:
    """Write the score changes (COPY) and the score handoffs (their ids name
    notifications), which become the leads' latest handoffs."""
    copy_insert(LeadEvent, ("lead_id", "kind", "occurred_at", "data"), score_changes)
    if not handoffs:
        return
    LeadEvent.objects.bulk_create(handoffs, batch_size=1000)
    for event in handoffs:
        last_handoff[event.lead_id] = (event.occurred_at, event.pk)
        if event.lead_id in known:
            known[event.lead_id].append(
                StoredEvent(
                    event.pk,
                    event.occurred_at.astimezone(dt.UTC),
                    event.kind,
                    "mql",
                    "",
                    "",
                    event.data,
                )
            )


def _owners_assign(leads, states, context: IngestContext, last_handoff) -> list[tuple[Lead, int]]:
    """A lead waiting in mql with nobody to work it gets a rep (round robin in its sales
    team), recorded as an `owner_changed` event at its handoff."""
    waiting = [
        leads[i]
        for i, s in states.items()
        if context.assign_owner
        and s.stage == "mql"
        and (s.owner_id if s.owner_known else leads[i].owner_id) is None
    ]
    if not waiting:
        return []
    assignments: list[tuple[Lead, int]] = []
    for lead, rep_id in _round_robin(waiting):
        states[lead.pk].owner_id = rep_id
        states[lead.pk].owner_known = True
        assignments.append((lead, rep_id))
    now = context.now
    assigned = [
        LeadEvent(
            lead_id=lead.pk,
            kind="owner_changed",
            occurred_at=last_handoff[lead.pk][0] if lead.pk in last_handoff else now,
            data={"owner_id": rep_id, "rule": "round_robin"},
        )
        for lead, rep_id in assignments
    ]
    LeadEvent.objects.bulk_create(assigned, batch_size=1000)
    return assignments


def _state_columns(lead: Lead, state: DerivedState) -> dict:
    """The lead's derived columns (DERIVED_FIELDS) as its state gives them."""
    return {
        "stage": state.stage,
        "owner_id": state.owner_id if state.owner_known else lead.owner_id,
        "fit_score": state.fit,
        "interest_score": state.interest,
        "nurture_track": state.nurture_track,
        "flagged": state.flagged,
        "flags": state.flags,
    }


def _lead_columns_store(leads: dict[int, Lead], states) -> None:
    """Write the derived columns of the leads whose values changed (one UPDATE)."""
    to_update = []
    for lead_id, lead in leads.items():
        new = _state_columns(lead, states[lead_id])
        if any(getattr(lead, name) != value for name, value in new.items()):
            for name, value in new.items():
                setattr(lead, name, value)
            to_update.append(lead)
    if to_update:
        rows_update(to_update, list(DERIVED_FIELDS))


def _round_robin(leads: list[Lead]) -> list[tuple[Lead, int]]:
    """Next reps of each lead's sales team, in turn after the team's last assignee."""
    by_team: dict[int, list[Lead]] = defaultdict(list)
    for lead in leads:
        by_team[lead.sales_team_id].append(lead)
    out: list[tuple[Lead, int]] = []
    for team_id, team_leads in sorted(by_team.items()):
        reps = list(
            Membership.objects.filter(team_id=team_id, role=Role.REP, user__is_active=True)
            .order_by("user_id")
            .values_list("user_id", flat=True)
        )
        if not reps:
            continue
        AssignmentCursor.objects.get_or_create(team_id=team_id)
        cursor = AssignmentCursor.objects.select_for_update().get(team_id=team_id)
        last = cursor.last_user_id
        position = next((i for i, rep in enumerate(reps) if last is not None and rep > last), 0)
        for lead in team_leads:
            rep = reps[position % len(reps)]
            out.append((lead, rep))
            position += 1
            last = rep
        cursor.last_user_id = last
        cursor.save(update_fields=["last_user"])
    return out


def _notify_assigned(lead: Lead, user_id: int, handoff_event_id: int) -> None:

    user = get_user_model().objects.filter(pk=user_id).first()
    if user is None:
        return
    notification_create(
        recipient=user,
        kind="lead_assigned",
        title=Text(gettext_noop("Lead handed to you: %(lead)s"), lead=lead),
        dedupe_key=f"lead-assigned:{handoff_event_id}:{user_id}",
        url=lead.get_absolute_url(),
        body=Text(
            gettext_noop("%(lead)s (%(company)s) is yours to contact within the agreed time."),
            lead=lead,
            company=lead.company or "-",
        ),
    )


class IngestContext:
    """Settings and caches shared by the chunks of one import (or one request).

    - `mode="history"` (CSV imports, the bulk API): what happened in the source system is
      stored as it is; moves that break a rule are flagged on the lead, not refused.
    - `mode="live"` (the webhook): moves the lifecycle rules refuse are not applied;
      each is stored as a flagged note instead (`_live_moves_check`).
    - `handoff_on_score`: a lead still in stage `lead` whose score reaches the threshold
      is handed off (a `stage_changed` to mql) in this write. Off for CSV history
      imports, where the source's own stage changes are the truth.
    - `assign_owner` (default: as `handoff_on_score`): a lead waiting in mql without an
      owner gets the sales team's next rep (round robin), by an `owner_changed` event
      at the handoff instant, so an owner change the source sends later still wins.
      History imports leave such leads unassigned for a manager to assign (a chunk
      may end between a handoff and the source's own owner change).
    """

    def __init__(
        self,
        *,
        marketing_team: Team,
        sales_team: Team,
        mode: str = "history",
        handoff_on_score: bool = True,
        assign_owner: bool | None = None,
        index: VersionIndex | None = None,
        now: dt.datetime | None = None,
    ) -> None:
        self.marketing_team = marketing_team
        self.sales_team = sales_team
        self.mode = mode
        self.handoff_on_score = handoff_on_score
        self.assign_owner = handoff_on_score if assign_owner is None else assign_owner
        self.index = index or VersionIndex()
        self._now = now
        self._users: dict[str, int | None] = {}
        self._rules: dict[int, VersionRules] = {}
        self._owners: frozenset[int] | None = None

    @property
    def now(self) -> dt.datetime:
        return self._now or timezone.now()

    @cached_property
    def agreement_id(self) -> int | None:
        """The teams' agreement, which the leads an import creates are given: looked up
        when first asked (a portal write's lead names its own)."""
        return lead_agreement_for(
            marketing_team_id=self.marketing_team.pk, sales_team_id=self.sales_team.pk
        )

    def users_by_email(self, emails: Iterable[str]) -> dict[str, int | None]:
        wanted = {e.lower() for e in set(emails) if e} - self._users.keys()
        if wanted:
            found = {}
            for pk, email in (
                get_user_model()
                .objects.filter(email__in=wanted, is_active=True)
                .values_list("pk", "email")
            ):
                found[email.lower()] = pk
            for email in wanted:
                self._users[email] = found.get(email)
        return self._users

    def possible_owner_ids(self) -> frozenset[int]:
        """Who may own the leads written in this context (portal.permissions)."""
        if self._owners is None:
            self._owners = frozenset(permissions.lead_owner_ids(self.sales_team.pk))
        return self._owners

    def rules(self, version_id: int | None) -> VersionRules | None:
        if version_id is None:
            return None
        if version_id not in self._rules:
            self._rules.update(version_rules_load([version_id], index=self.index))
        return self._rules.get(version_id)

    def rules_at(self, agreement_id: int | None, at: dt.datetime) -> VersionRules | None:
        version = self.index.governing(agreement_id, at)
        return self.rules(version.id if version else None)


class StoredEvent(NamedTuple):
    """A stored event as derivation and cycles read it (see `_leads_derive`)."""

    id: int
    occurred_at: dt.datetime
    kind: str
    to_stage: str
    reason_code: str
    channel: str
    data: dict


_PG_TYPES = {
    "created_at": "timestamptz",
    "owner_id": "integer",
    "attributes": "jsonb",
    "fit_score": "integer",
    "interest_score": "integer",
    "flagged": "boolean",
    "flags": "jsonb",
}


def rows_update(leads: list[Lead], columns: list[str]) -> None:
    """Write these columns of many leads in one statement (Django's bulk_update builds a
    CASE per row and column, which costs more than the rest of an import chunk)."""
    if connection.vendor != "postgresql":
        fields = [c[:-3] if c.endswith("_id") else c for c in columns]
        Lead.objects.bulk_update(leads, fields, batch_size=500)
        return
    arrays = [[lead.pk for lead in leads]]
    casts = ["%s::bigint[]"]
    for column in columns:
        pg_type = _PG_TYPES.get(column, "text")
        values = [getattr(lead, column) for lead in leads]
        if pg_type == "jsonb":
            values = [json.dumps(v) for v in values]
            casts.append("%s::text[]")
        else:
            casts.append(f"%s::{pg_type}[]")
        arrays.append(values)
    sets = ", ".join(
        f"{c} = v.{c}::jsonb" if _PG_TYPES.get(c) == "jsonb" else f"{c} = v.{c}" for c in columns
    )
    sql = (
        f"UPDATE leads_lead SET {sets}, updated_at = now() "  # noqa: S608 - names are constants
        f"FROM unnest({', '.join(casts)}) AS v(id, {', '.join(columns)}) "
        "WHERE leads_lead.id = v.id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, arrays)
