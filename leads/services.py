"""Writers for leads. Every lead event goes through `lead_events_ingest` (batches from
imports, the bulk API and the HubSpot webhook) or `lead_event_record` (one move made in
the portal); both end in `_leads_derive`, which, in the same transaction as the event
inserts, recomputes each touched lead's state from its ordered events (so events that
arrive out of order still give the right stage), scores the lead, records a handoff or
an assignment when one is due, and refreshes the lead's cycles (reports.facts).

Idempotency is the database's: (source, source_event_id) is unique, events are inserted
with ON CONFLICT DO NOTHING (PostgreSQL) and only the rows actually inserted count as
created, so two imports of one file running at once store every event once.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple

from django.contrib.auth import get_user_model
from django.db import OperationalError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from leads.bulk import copy_insert
from leads.formats import ParsedEvent
from leads.lifecycle import (
    EXITS,
    EventIn,
    MoveRefused,
    check_move,
    derive_state,
    move_problem,
    reason_problem,
    stage_label,
)
from leads.models import AssignmentCursor, Lead, LeadEvent
from leads.scoring import LEAD_FIELDS, Rule, Score, score
from portal.models import Membership, Role, Team
from reports.cycles import EventIn as CycleEventIn
from reports.facts import VersionIndex, lead_cycles_refresh
from slas.models import Agreement, NurtureTrack, ReasonCode, ScoringRule, Version

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
    "flag_note",
)


# --------------------------------------------------------------------------- version rules


@dataclass(frozen=True)
class VersionRules:
    """What a version says about leads: qualification rules, reason codes, nurture tracks."""

    version_id: int
    number: int
    threshold: int | None
    rules: tuple[Rule, ...]
    reasons: tuple[tuple[str, str, str], ...]  # (code, label, applies_to)
    tracks: tuple[str, ...]

    def codes_for_move(self, from_stage: str, to_stage: str) -> list[str]:
        """Reason codes that fit a move: `any`, plus `reject` from mql, plus the exit's own."""
        kinds = {"any", "recycle" if to_stage == "recycled" else "disqualify"}
        if from_stage == "mql":
            kinds.add("reject")
        return [code for code, _label, applies in self.reasons if applies in kinds]

    def reason_choices(self, from_stage: str, to_stage: str) -> list[tuple[str, str]]:
        codes = set(self.codes_for_move(from_stage, to_stage))
        return [(code, label) for code, label, _a in self.reasons if code in codes]


def version_rules_load(version_ids: Iterable[int]) -> dict[int, VersionRules]:
    ids = sorted(set(version_ids))
    if not ids:
        return {}
    rules: dict[int, list[Rule]] = defaultdict(list)
    for row in ScoringRule.objects.filter(version_id__in=ids).order_by("position", "id"):
        rules[row.version_id].append(
            Rule(row.attribute, row.operator, row.value, row.points, row.dimension)
        )
    reasons: dict[int, list[tuple[str, str, str]]] = defaultdict(list)
    for row in ReasonCode.objects.filter(version_id__in=ids).order_by("position", "id"):
        reasons[row.version_id].append((row.code, row.label, row.applies_to))
    tracks: dict[int, list[str]] = defaultdict(list)
    for row in NurtureTrack.objects.filter(version_id__in=ids).order_by("position", "id"):
        tracks[row.version_id].append(row.name)
    return {
        v.pk: VersionRules(
            v.pk,
            v.number,
            v.mql_threshold,
            tuple(rules[v.pk]),
            tuple(reasons[v.pk]),
            tuple(tracks[v.pk]),
        )
        for v in Version.objects.filter(pk__in=ids).only("id", "number", "mql_threshold")
    }


def lead_agreement_for(*, marketing_team_id: int, sales_team_id: int) -> int | None:
    """The agreement whose parties include both teams (the oldest, if several)."""
    return (
        Agreement.objects.filter(parties=marketing_team_id)
        .filter(parties=sales_team_id)
        .order_by("pk")
        .values_list("pk", flat=True)
        .first()
    )


class IngestContext:
    """Settings and caches shared by the chunks of one import (or one request).

    - `mode="history"` (CSV imports, the bulk API): what happened in the source system is
      stored as it is; unusual moves are flagged on the lead, not refused.
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
        self.agreement_id = lead_agreement_for(
            marketing_team_id=marketing_team.pk, sales_team_id=sales_team.pk
        )
        self._users: dict[str, int | None] = {}
        self._rules: dict[int, VersionRules] = {}

    @property
    def now(self) -> dt.datetime:
        return self._now or timezone.now()

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

    def rules(self, version_id: int | None) -> VersionRules | None:
        if version_id is None:
            return None
        if version_id not in self._rules:
            self._rules.update(version_rules_load([version_id]))
        return self._rules.get(version_id)

    def rules_at(self, agreement_id: int | None, at: dt.datetime) -> VersionRules | None:
        version = self.index.governing(agreement_id, at)
        return self.rules(version.id if version else None)


# --------------------------------------------------------------------------- results


@dataclass
class Failure:
    index: int
    column: str
    message: str


@dataclass
class IngestResult:
    created: int = 0
    duplicates: int = 0
    failed: int = 0
    failures: list[Failure] = field(default_factory=list)
    lead_ids: set[int] = field(default_factory=set)
    created_lead_ids: set[int] = field(default_factory=set)  # leads this batch created
    # Live moves the lifecycle rules refused: stored as flagged notes instead (index, why).
    not_applied: list[Failure] = field(default_factory=list)

    def fail(self, index: int, column: str, message: str) -> None:
        self.failed += 1
        self.failures.append(Failure(index, column, message))


# --------------------------------------------------------------------------- ingest


def _owner_change_data(item: ParsedEvent, owner_id: int | None) -> dict[str, Any]:
    data: dict[str, Any] = {}
    if owner_id is not None:
        data["owner_id"] = owner_id
    if item.outcome:
        data["owner_ref"] = item.outcome
    return data


def lead_events_ingest(*, items: Sequence[ParsedEvent], context: IngestContext) -> IngestResult:
    """Store a batch of events (one transaction) and bring their leads up to date.

    Items refer to leads by (source, lead_external_id); the first event of an unknown
    lead creates it (in the context's teams, under their agreement). An item's `row` is
    its index in failures. Owner changes name the new owner by email in `outcome`
    (falling back to the actor); `lead` may carry lead columns and an `attributes` dict.
    """
    result = IngestResult()
    users = context.users_by_email(
        [i.actor_email for i in items]
        + [i.outcome for i in items if i.kind == "owner_changed" and "@" in i.outcome]
        + [i.lead.get("owner_email", "") for i in items if i.lead]
    )
    valid: list[tuple[ParsedEvent, int | None, dict]] = []
    seen: set[tuple[str, str]] = set()
    for item in items:
        actor_id = None
        if item.actor_email:
            actor_id = users.get(item.actor_email.lower())
            if actor_id is None:
                result.fail(
                    item.row,
                    "actor_email",
                    _("actor_email “%(email)s” is not a portal user") % {"email": item.actor_email},
                )
                continue
        key = (item.source, item.event_id)
        if key in seen:
            result.duplicates += 1
            continue
        seen.add(key)
        data = {}
        if item.kind == "owner_changed":
            owner_id = users.get(item.outcome.lower()) if "@" in item.outcome else actor_id
            data = _owner_change_data(item, owner_id)
        valid.append((item, actor_id, data))
    if not valid:
        return result

    # In its own transaction, a batch that PostgreSQL picks as a deadlock victim (writers
    # lock a lead another one inserted while it waits for one of theirs) is run again.
    def attempt() -> IngestResult:
        outcome = replace(result, failures=list(result.failures))
        with transaction.atomic():
            _batch_store(valid, context, users, outcome)
        return outcome

    retries = 0 if connection.in_atomic_block else DEADLOCK_RETRIES
    for retry in range(1, retries + 1):
        try:
            return attempt()
        except OperationalError as exc:
            if not _is_deadlock(exc):
                raise
            time.sleep(random.uniform(0.01, 0.05) * retry)  # noqa: S311 - jitter
    return attempt()


DEADLOCK_RETRIES = 5


def _is_deadlock(exc: OperationalError) -> bool:
    return getattr(exc.__cause__, "sqlstate", None) in ("40P01", "40001")


def _batch_store(
    valid: list[tuple[ParsedEvent, int | None, dict]],
    context: IngestContext,
    users: dict[str, int | None],
    result: IngestResult,
) -> None:
    """The writes of `lead_events_ingest`, in the caller's transaction."""
    leads, changed_attrs, fresh, result.created_lead_ids = _leads_resolve(valid, context, users)
    if context.mode == "live":
        valid = _live_moves_check(valid, leads, context, result)
    # The leads created by this batch: their events are the ones stored now.
    stored: dict[int, list[StoredEvent]] = {pk: [] for pk in fresh}
    created_by_lead = _events_insert(valid, leads, stored)
    created = sum(len(ids) for ids in created_by_lead.values())
    result.created += created
    result.duplicates += len(valid) - created
    touched = set(created_by_lead) | changed_attrs
    if touched:
        by_pk = {lead.pk: lead for lead in leads.values()}
        known = {pk: events for pk, events in stored.items() if pk in touched}
        _leads_derive(sorted(touched), context, rescore=changed_attrs, loaded=by_pk, known=known)
        lead_cycles_refresh(
            touched,
            context.index,
            leads=by_pk,
            events={pk: _cycle_events(events) for pk, events in known.items()},
            without_cycles=set(known),
        )
    result.lead_ids = touched


class StoredEvent(NamedTuple):
    """A stored event as derivation and cycles read it (see `_leads_derive`)."""

    id: int
    occurred_at: dt.datetime
    kind: str
    to_stage: str
    reason_code: str
    channel: str
    data: dict


def _cycle_events(events: list[StoredEvent]) -> list[CycleEventIn]:
    return [
        CycleEventIn(e.id, e.occurred_at, e.kind, e.to_stage, e.reason_code, e.channel)
        for e in events
        if e.kind in ("stage_changed", "contact_attempt")
    ]


def _leads_resolve(
    valid: list[tuple[ParsedEvent, int | None, dict]],
    context: IngestContext,
    users: dict[str, int | None],
) -> tuple[dict[tuple[str, str], Lead], set[int], set[int], set[int]]:
    """Find or create the batch's leads (locked, in pk order) and apply lead columns.

    Returns the leads by (source, external id), the ids of leads whose attributes
    changed (or that are new): those are scored again, the ids of the leads this
    call created as PostgreSQL reported them (`fresh`): their events are exactly the
    ones this batch inserts, so they need not be read back, and the ids of the leads
    this call created on any database.
    """
    first_at: dict[tuple[str, str], dt.datetime] = {}
    # The lead columns each lead's events carry, in event order. A repeat of the
    # columns just applied is dropped: applying them again would change nothing.
    columns: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for item, _a, _d in valid:
        key = (item.source, item.lead_external_id)
        at = first_at.get(key)
        if at is None or item.occurred_at < at:
            first_at[key] = item.occurred_at
        if item.lead:
            carried = columns[key]
            if not carried or carried[-1] != item.lead:
                carried.append(item.lead)
    by_source: dict[str, set[str]] = defaultdict(set)
    for source, external_id in first_at:
        by_source[source].add(external_id)

    def load() -> dict[tuple[str, str], Lead]:
        cond = Q()
        for source, ids in by_source.items():
            cond |= Q(source=source, external_id__in=ids)
        return {
            (lead.source, lead.external_id): lead
            for lead in Lead.objects.select_for_update().filter(cond).order_by("pk")
        }

    leads = load()
    missing = sorted(set(first_at) - set(leads))
    new_leads = {
        key: Lead(
            source=key[0],
            external_id=key[1],
            marketing_team_id=context.marketing_team.pk,
            sales_team_id=context.sales_team.pk,
            agreement_id=context.agreement_id,
            created_at=first_at[key],
        )
        for key in missing
    }
    changed: dict[tuple[str, str], Lead] = {}
    changed_attrs: set[tuple[str, str]] = set(missing)

    def apply(keys: Iterable[tuple[str, str]], found: dict[tuple[str, str], Lead]) -> None:
        """The batch's earliest time and lead columns, onto each lead."""
        for key in keys:
            lead = found[key]
            if first_at[key] < lead.created_at:
                lead.created_at = first_at[key]
                changed[key] = lead
            for values in columns.get(key, ()):
                if _lead_columns_apply(lead, values, users):
                    changed[key] = lead
                    changed_attrs.add(key)

    apply(first_at, {**leads, **new_leads})
    fresh: set[int] = set()
    created: set[int] = set()
    if new_leads:
        # Sorted keys: concurrent importers insert in one order and cannot deadlock.
        inserted = copy_insert(
            Lead,
            _LEAD_INSERT_COLUMNS,
            [tuple(getattr(new_leads[key], c) for c in _LEAD_INSERT_COLUMNS) for key in missing],
            ignore_conflicts=True,
            order_by=("source", "external_id"),
            returning=("id", "source", "external_id") if connection.vendor == "postgresql" else (),
        )
        if inserted is None:  # SQLite: writers are serialised, the missing ones are ours
            leads = load()
            created = {leads[key].pk for key in missing if key in leads}
        else:
            # Inserted here, by this transaction: nobody else has events of these yet.
            for pk, source, external_id in inserted:
                lead = new_leads[(source, external_id)]
                lead.pk = pk
                lead._state.adding = False
                leads[(source, external_id)] = lead
                fresh.add(pk)
            if len(inserted) < len(new_leads):  # a concurrent import created the others
                leads = {**load(), **{k: v for k, v in leads.items() if v.pk in fresh}}
                # Their rows are the other writer's: this batch's earlier time and
                # columns go onto those rows, as onto any existing lead.
                taken = [key for key in missing if key in leads and leads[key].pk not in fresh]
                for key in taken:
                    changed.pop(key, None)
                    del new_leads[key]
                apply(taken, leads)
    updates = [lead for key, lead in changed.items() if key not in new_leads]
    if updates:
        rows_update(updates, ["created_at", "owner_id", "attributes", *LEAD_ATTRIBUTE_FIELDS])
    changed_ids = {leads[key].pk for key in changed_attrs if key in leads}
    return leads, changed_ids, fresh, created or fresh


# What a new lead has that is not a default (the rest: Lead's defaults, as new_leads).
_LEAD_INSERT_COLUMNS = (
    "source",
    "external_id",
    "marketing_team_id",
    "sales_team_id",
    "agreement_id",
    "created_at",
    "owner_id",
    "attributes",
    *LEAD_ATTRIBUTE_FIELDS,
)


def _lead_columns_apply(lead: Lead, values: dict, users: dict[str, int | None]) -> bool:
    """Set the lead columns an event carries; True when something changed."""
    changed = False
    for name, value in values.items():
        if name in LEAD_ATTRIBUTE_FIELDS:
            if value and getattr(lead, name) != value:
                setattr(lead, name, value)
                changed = True
        elif name == "attributes" and isinstance(value, dict):
            merged = {**lead.attributes, **value}
            if merged != lead.attributes:
                lead.attributes = merged
                changed = True
        elif name == "owner_email" and value:
            owner_id = users.get(value.lower())
            if owner_id and lead.owner_id != owner_id:
                lead.owner_id = owner_id
                changed = True
    return changed


_PG_TYPES = {
    "created_at": "timestamptz",
    "owner_id": "integer",
    "attributes": "jsonb",
    "fit_score": "integer",
    "interest_score": "integer",
    "flagged": "boolean",
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


SOURCE_LABELS = {"hubspot": "HubSpot"}


def _live_moves_check(
    valid: list[tuple[ParsedEvent, int | None, dict]],
    leads: dict[tuple[str, str], Lead],
    context: IngestContext,
    result: IngestResult,
) -> list[tuple[ParsedEvent, int | None, dict]]:
    """Bind live moves (the webhook) by the lifecycle rules, in event order per lead.

    A move the rules refuse (a forbidden move, or an exit without a reason code of the
    version governing the lead's cycle) is not applied as a stage change: it is stored
    as a `note` event under the same source event id (a retry stays a duplicate) saying
    what the source asked for and why it was not applied, and its `data["flag"]` flags
    the lead (derive_state) so the owner sees it. An exit sent without a reason takes
    the first of its `reason_candidates` the governing version lists. Retries pass as
    duplicates without being checked again.
    """
    existing = _existing_keys([(i.source, i.event_id) for i, _a, _d in valid])
    stages = {key: lead.stage for key, lead in leads.items()}
    handoffs = _handoff_instants([lead.pk for lead in leads.values()])
    kept = []
    for entry in sorted(valid, key=lambda v: (v[0].occurred_at, v[0].row)):
        item = entry[0]
        if (item.source, item.event_id) in existing or item.kind != "stage_changed":
            kept.append(entry)
            continue
        key = (item.source, item.lead_external_id)
        lead = leads[key]
        from_stage = stages[key]
        problem = move_problem(from_stage, item.to_stage)
        if problem is None and item.to_stage in EXITS:
            earlier = [at for at in handoffs[lead.pk] if at <= item.occurred_at]
            rules = context.rules_at(lead.agreement_id, max(earlier, default=item.occurred_at))
            codes = rules.codes_for_move(from_stage, item.to_stage) if rules else None
            if not item.reason_code and item.reason_candidates:
                item.reason_code = next(
                    (c for c in item.reason_candidates if codes is None or c in codes), ""
                )
            problem = reason_problem(item.to_stage, item.reason_code, codes)
        if problem:
            kept.append(_move_not_applied(entry, from_stage, problem, result))
            continue
        stages[key] = item.to_stage
        if item.to_stage == "mql":
            handoffs[lead.pk].append(item.occurred_at)
        kept.append(entry)
    kept.sort(key=lambda v: v[0].row)
    return kept


def _handoff_instants(lead_ids: list[int]) -> dict[int, list[dt.datetime]]:
    found: dict[int, list[dt.datetime]] = defaultdict(list)
    for lead_id, at in LeadEvent.objects.filter(
        lead_id__in=lead_ids, kind="stage_changed", to_stage="mql"
    ).values_list("lead_id", "occurred_at"):
        found[lead_id].append(at)
    return found


def _move_not_applied(
    entry: tuple[ParsedEvent, int | None, dict],
    from_stage: str,
    problem: str,
    result: IngestResult,
) -> tuple[ParsedEvent, int | None, dict]:
    """The note event that stands for a refused live move (same source event id)."""
    item, actor_id, data = entry
    values = {
        "source": SOURCE_LABELS.get(item.source, item.source),
        "from": stage_label(from_stage),
        "to": stage_label(item.to_stage),
        "request": item.requested,
        "problem": problem,
    }
    if item.requested:
        text = _(
            "%(source)s asked to move this lead from %(from)s to %(to)s (%(request)s), "
            "but the portal did not apply it: %(problem)s If the move should happen, "
            "make it on the lead page."
        )
    else:
        text = _(
            "%(source)s asked to move this lead from %(from)s to %(to)s, but the portal "
            "did not apply it: %(problem)s If the move should happen, make it on the lead page."
        )
    text %= values
    result.not_applied.append(Failure(item.row, "to_stage", text))
    note = replace(item, kind="note", to_stage="", reason_code="", note=text[:5000])
    refused = {"to_stage": item.to_stage, "reason_code": item.reason_code}
    if item.requested:
        refused["requested"] = item.requested
    return note, actor_id, {**data, "flag": text, "not_applied": refused}


def _existing_keys(keys: list[tuple[str, str]]) -> set[tuple[str, str]]:
    by_source: dict[str, list[str]] = defaultdict(list)
    for source, event_id in keys:
        by_source[source].append(event_id)
    found: set[tuple[str, str]] = set()
    for source, ids in by_source.items():
        for start in range(0, len(ids), 900):
            found.update(
                LeadEvent.objects.filter(
                    source=source, source_event_id__in=ids[start : start + 900]
                ).values_list("source", "source_event_id")
            )
    return found


_STAGE_TABLE = "leads_event_stage"
_COLUMNS = (
    "lead_id",
    "kind",
    "occurred_at",
    "actor_id",
    "to_stage",
    "channel",
    "outcome",
    "reason_code",
    "note",
    "data",
    "source",
    "source_event_id",
)


# The staging table's column types. Binary COPY (half the client time of text): `data`
# arrives as JSON text and is cast when inserted.
_STAGE_TYPES = ("int8", "text", "timestamptz", "int4", *["text"] * 8)

# Constant identifiers only: nothing here comes from input.
_STAGE_SQL = (
    f"CREATE TEMP TABLE IF NOT EXISTS {_STAGE_TABLE} ("
    + ", ".join(f"{c} {t}" for c, t in zip(_COLUMNS, _STAGE_TYPES, strict=True))
    + ") ON COMMIT DELETE ROWS"
)
_INSERT_SQL = (
    f"INSERT INTO leads_leadevent ({', '.join(_COLUMNS)}, from_stage, recorded_at) "  # noqa: S608
    f"SELECT {', '.join('data::jsonb' if c == 'data' else c for c in _COLUMNS)}, '', now() "
    f"FROM {_STAGE_TABLE} ORDER BY source, source_event_id ON CONFLICT DO NOTHING "
    "RETURNING id, lead_id, source, source_event_id"
)


def _events_insert(
    valid: list[tuple[ParsedEvent, int | None, dict]],
    leads: dict[tuple[str, str], Lead],
    stored: dict[int, list[StoredEvent]] | None = None,
) -> dict[int, list[int]]:
    """Insert the events that are new; {lead id: [created event ids]}. On PostgreSQL,
    each created event of a lead in `stored` (when given) is appended to its list."""
    lead_ids = {key: lead.pk for key, lead in leads.items()}
    rows = [
        (
            lead_ids[(item.source, item.lead_external_id)],
            item.kind,
            item.occurred_at,
            actor_id,
            item.to_stage,
            item.channel,
            item.outcome,
            item.reason_code,
            item.note,
            data,
            item.source,
            item.event_id,
        )
        for item, actor_id, data in valid
    ]
    created: dict[int, list[int]] = defaultdict(list)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_STAGE_SQL)
            cursor.execute(f"DELETE FROM {_STAGE_TABLE}")  # noqa: S608 - empty unless nested
            # Any row order: the INSERT takes them in (source, source_event_id) order.
            with cursor.cursor.copy(
                f"COPY {_STAGE_TABLE} ({', '.join(_COLUMNS)}) FROM STDIN (FORMAT BINARY)"
            ) as copy:
                copy.set_types(_STAGE_TYPES)
                for row in rows:
                    copy.write_row((*row[:9], json.dumps(row[9]) if row[9] else "{}", *row[10:]))
            cursor.execute(_INSERT_SQL)
            returned = cursor.fetchall()
        stored = stored if stored is not None else {}
        by_key = {(entry[0].source, entry[0].event_id): entry for entry in valid} if stored else {}
        for event_id, lead_id, source, source_event_id in returned:
            created[lead_id].append(event_id)
            events = stored.get(lead_id)
            if events is not None:
                item, _actor_id, data = by_key[(source, source_event_id)]
                events.append(
                    StoredEvent(
                        event_id,
                        item.occurred_at.astimezone(dt.UTC),  # as the database gives it back
                        item.kind,
                        item.to_stage,
                        item.reason_code,
                        item.channel,
                        data,
                    )
                )
        return created
    rows.sort(key=lambda r: (r[10], r[11]))
    existing = _existing_keys([(r[10], r[11]) for r in rows])
    objs = [
        LeadEvent(**dict(zip(_COLUMNS, row, strict=True)))
        for row in rows
        if (row[10], row[11]) not in existing
    ]
    LeadEvent.objects.bulk_create(objs, batch_size=1000)
    for obj in objs:
        created[obj.lead_id].append(obj.pk)
    return created


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
        track, flag = data.get("nurture_track"), str(data.get("flag") or "")
        return EventIn(
            event_id, occurred_at, kind, to_stage, reason_code, nurture_track=track, flag=flag
        )
    return EventIn(event_id, occurred_at, kind, to_stage, reason_code)


def lead_score(lead: Lead, rules: VersionRules | None) -> Score:
    """The lead's score under a version's rules (with the rules that gave points)."""
    if rules is None:
        return Score()
    values = {name: getattr(lead, name) for name in LEAD_FIELDS}
    return score(values, lead.attributes or {}, rules.rules)


def _leads_derive(
    lead_ids: list[int],
    context: IngestContext,
    *,
    rescore: set[int],
    loaded: dict[int, Lead] | None = None,
    known: dict[int, list[StoredEvent]] | None = None,
) -> None:
    """Recompute stage, owner, scores, track and flags of these leads from their events,
    score the leads in `rescore`, record due handoffs and assignments.

    `known` holds all the stored events of some of the leads (leads created by the
    calling batch): those are not read back; the handoffs recorded here are added."""
    loaded = loaded or {}
    known = known if known is not None else {}
    missing = [pk for pk in lead_ids if pk not in loaded]
    leads = {pk: loaded[pk] for pk in lead_ids if pk in loaded}
    if missing:
        leads.update({lead.pk: lead for lead in Lead.objects.filter(pk__in=missing)})
    events: dict[int, list[EventIn]] = defaultdict(list)
    last_handoff: dict[int, tuple[dt.datetime, int]] = {}

    def add(event_id, lead_id, occurred_at, kind, to_stage, reason_code, data) -> None:
        events[lead_id].append(_event_in(event_id, occurred_at, kind, to_stage, reason_code, data))
        if kind == "stage_changed" and to_stage == "mql":
            if lead_id not in last_handoff or (occurred_at, event_id) > last_handoff[lead_id]:
                last_handoff[lead_id] = (occurred_at, event_id)

    for lead_id, stored in known.items():
        for e in stored:
            add(e.id, lead_id, e.occurred_at, e.kind, e.to_stage, e.reason_code, e.data)
    unknown = [pk for pk in lead_ids if pk not in known]
    if unknown:
        rows = LeadEvent.objects.filter(lead_id__in=unknown).values_list(
            "id", "lead_id", "occurred_at", "kind", "to_stage", "reason_code", "data"
        )
        for row in rows.iterator(chunk_size=5000):
            add(*row)

    now = context.now
    score_changes: list[tuple] = []  # rows of lead_id, kind, occurred_at, data
    handoffs: list[LeadEvent] = []
    states = {}
    for lead_id, lead in leads.items():
        # `at` is the handoff of the move's cycle (derive_state): its version governs.
        def codes_at(at, from_stage, to_stage, agreement_id=lead.agreement_id):
            rules = context.rules_at(agreement_id, at)
            return None if rules is None else rules.codes_for_move(from_stage, to_stage)

        state = derive_state(events.get(lead_id, []), codes_at)
        if lead_id in rescore:
            rules = context.rules_at(lead.agreement_id, now)
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
                    handoff = LeadEvent(
                        lead_id=lead_id,
                        kind="stage_changed",
                        occurred_at=now,
                        from_stage="lead",
                        to_stage="mql",
                        data={"trigger": "score", "score": result.total, "threshold": threshold},
                    )
                    handoffs.append(handoff)
        states[lead_id] = state

    copy_insert(LeadEvent, ("lead_id", "kind", "occurred_at", "data"), score_changes)
    if handoffs:
        LeadEvent.objects.bulk_create(handoffs, batch_size=1000)  # their ids name notifications
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

    # Assignment: a lead waiting in mql with nobody to work it gets a rep.
    assignments: list[tuple[Lead, int]] = []
    waiting = [
        leads[i]
        for i, s in states.items()
        if context.assign_owner
        and s.stage == "mql"
        and (s.owner_id if s.owner_known else leads[i].owner_id) is None
    ]
    if waiting:
        for lead, rep_id in _round_robin(waiting):
            states[lead.pk].owner_id = rep_id
            states[lead.pk].owner_known = True
            assignments.append((lead, rep_id))
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

    to_update = []
    for lead_id, lead in leads.items():
        state = states[lead_id]
        new = {
            "stage": state.stage,
            "owner_id": state.owner_id if state.owner_known else lead.owner_id,
            "fit_score": state.fit,
            "interest_score": state.interest,
            "nurture_track": state.nurture_track,
            "flagged": state.flagged,
            "flag_note": "\n".join(state.flags),
        }
        if any(getattr(lead, name) != value for name, value in new.items()):
            for name, value in new.items():
                setattr(lead, name, value)
            to_update.append(lead)
    if to_update:
        rows_update(to_update, list(DERIVED_FIELDS))
    for lead, rep_id in assignments:
        handoff = last_handoff.get(lead.pk)
        _notify_assigned(lead, rep_id, handoff[1] if handoff else 0)


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
    from portal.notifications import notification_create
    from portal.text import Text

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


# --------------------------------------------------------------------------- portal actions


def lead_cycle_instant(*, lead: Lead, at: dt.datetime) -> dt.datetime:
    """The instant whose version governs a move made at `at`: the lead's latest handoff
    up to then (its cycle keeps that version for life, COMPLIANCE.md), or `at` itself
    when the lead was never handed off."""
    handoff = (
        LeadEvent.objects.filter(
            lead_id=lead.pk, kind="stage_changed", to_stage="mql", occurred_at__lte=at
        )
        .order_by("-occurred_at", "-id")
        .values_list("occurred_at", flat=True)
        .first()
    )
    return handoff or at


def lead_cycle_rules(
    *, lead: Lead, at: dt.datetime, index: VersionIndex | None = None
) -> VersionRules | None:
    """The rules of the version governing the lead's cycle at `at` (None: ungoverned)."""
    index = index or VersionIndex()
    version = index.governing(lead.agreement_id, lead_cycle_instant(lead=lead, at=at))
    return version_rules_load([version.id]).get(version.id) if version else None


def lead_event_record(
    *,
    lead: Lead,
    kind: str,
    actor,
    occurred_at: dt.datetime | None = None,
    to_stage: str = "",
    channel: str = "",
    outcome: str = "",
    reason_code: str = "",
    note: str = "",
    data: dict | None = None,
    source: str = "portal",
    source_event_id: str = "",
    index: VersionIndex | None = None,
) -> LeadEvent:
    """Record one event made in the portal; lifecycle rules bind it (MoveRefused)."""
    index = index or VersionIndex()
    with transaction.atomic():
        lead = Lead.objects.select_for_update().get(pk=lead.pk)
        at = occurred_at or timezone.now()
        from_stage = ""
        if kind == "stage_changed":
            from_stage = lead.stage
            rules = lead_cycle_rules(lead=lead, at=at, index=index)
            codes = rules.codes_for_move(from_stage, to_stage) if rules else None
            check_move(from_stage, to_stage, reason_code, codes)
        event = LeadEvent.objects.create(
            lead=lead,
            kind=kind,
            occurred_at=at,
            actor=actor,
            from_stage=from_stage,
            to_stage=to_stage,
            channel=channel,
            outcome=outcome,
            reason_code=reason_code,
            note=note,
            data=data or {},
            source=source,
            source_event_id=source_event_id,
        )
        context = IngestContext(
            marketing_team=lead.marketing_team,
            sales_team=lead.sales_team,
            handoff_on_score=False,
            assign_owner=True,
            index=index,
            now=at,
        )
        _leads_derive([lead.pk], context, rescore=set())
        lead_cycles_refresh([lead.pk], index)
    return event


def lead_stage_change(
    *, lead: Lead, actor, to_stage: str, reason_code: str = "", note: str = ""
) -> LeadEvent:
    return lead_event_record(
        lead=lead,
        kind="stage_changed",
        actor=actor,
        to_stage=to_stage,
        reason_code=reason_code,
        note=note,
    )


def lead_contact_attempt_log(
    *, lead: Lead, actor, channel: str, outcome: str = "", note: str = ""
) -> LeadEvent:
    if lead.stage in ("won", "lost", "disqualified"):
        raise MoveRefused(_("This lead is closed; contact attempts are no longer logged on it."))
    return lead_event_record(
        lead=lead, kind="contact_attempt", actor=actor, channel=channel, outcome=outcome, note=note
    )


def lead_nurture(*, lead: Lead, actor, track: str, note: str = "") -> LeadEvent:
    """Put the lead into a nurture track (a note event the derived state reads).

    Refused on closed leads: nurturing is for leads that may still buy."""
    if lead.stage in ("won", "lost", "disqualified"):
        raise MoveRefused(
            _(
                "This lead is closed (%(stage)s); only open or recycled leads can be put "
                "into a nurture track."
            )
            % {"stage": stage_label(lead.stage)}
        )
    return lead_event_record(
        lead=lead,
        kind="note",
        actor=actor,
        note=note or _("Put into nurture track “%(track)s”.") % {"track": track},
        data={"nurture_track": track},
    )


def lead_reassign(*, lead: Lead, actor, owner) -> LeadEvent:
    """Give the lead to another rep of its sales team and tell them."""
    if not Membership.objects.filter(user=owner, team_id=lead.sales_team_id).exists():
        raise MoveRefused(_("%(user)s is not in the lead's sales team.") % {"user": owner})
    if lead.owner_id == owner.pk:
        raise MoveRefused(_("%(user)s already owns this lead.") % {"user": owner})
    with transaction.atomic():
        event = lead_event_record(
            lead=lead,
            kind="owner_changed",
            actor=actor,
            outcome=owner.email,
            data={"owner_id": owner.pk, "rule": "manual"},
        )
        handoff = (
            LeadEvent.objects.filter(lead=lead, kind="stage_changed", to_stage="mql")
            .order_by("-occurred_at", "-id")
            .values_list("pk", flat=True)
            .first()
        )
        lead.refresh_from_db()
        _notify_assigned(lead, owner.pk, handoff or 0)
    return event


class LeadExists(ValueError):
    """`lead_create` found the lead already there."""


def lead_create(
    *,
    marketing_team: Team,
    sales_team: Team,
    external_id: str,
    actor=None,
    source: str = "portal",
    attributes: dict | None = None,
    occurred_at: dt.datetime | None = None,
    **fields: str,
) -> Lead:
    """Create a lead (a `created` event), score it and hand it off when it qualifies.

    LeadExists when a lead with this source and external id exists (also when another
    request created it between the caller's check and this write): nothing is stored."""
    item = ParsedEvent(
        row=0,
        source=source,
        event_id=f"{external_id}:created",
        lead_external_id=external_id,
        kind="created",
        occurred_at=occurred_at or timezone.now(),
        actor_email=getattr(actor, "email", "") or "",
        lead={
            **{k: v for k, v in fields.items() if k in LEAD_ATTRIBUTE_FIELDS},
            "attributes": attributes or {},
        },
    )
    context = IngestContext(marketing_team=marketing_team, sales_team=sales_team, mode="live")
    with transaction.atomic():
        result = lead_events_ingest(items=[item], context=context)
        if result.failures:
            raise MoveRefused(result.failures[0].message)
        if not result.created_lead_ids:
            # It existed, or a concurrent request created it first: store nothing.
            raise LeadExists(external_id)
    return Lead.objects.get(pk=next(iter(result.created_lead_ids)))


__all__ = [
    "EXITS",
    "Failure",
    "IngestContext",
    "IngestResult",
    "LeadExists",
    "MoveRefused",
    "lead_contact_attempt_log",
    "lead_create",
    "lead_event_record",
    "lead_events_ingest",
    "lead_nurture",
    "lead_reassign",
    "lead_stage_change",
]
