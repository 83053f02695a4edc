"""The write path of ingest: a batch of parsed events is stored in one transaction. Leads are found (locked) or made in the batch's team pair only; a lead the batch makes is written once, with the state its events give (derived before its row is inserted, leads.derive.leads_state_derive), and its events are COPYed straight into the table; events of leads that exist are COPYed to a staging table and inserted (duplicates skipped by the unique (lead, source, source_event_id) index), and those leads' state is derived again (leads.derive).

A lead is its team pair plus (source, external id) and an event is unique per lead
(docs/formats.md#leads-and-event-identity, docs/security.md): a batch for one pair never
reads, changes or counts as a duplicate anything of another pair's leads, so what it
answers is the same whether or not another pair uses an id.

Idempotency is the database's: events of existing leads are inserted with ON CONFLICT DO NOTHING (PostgreSQL) and only the rows actually inserted count as created; a lead is made with ON CONFLICT DO NOTHING too, and when another writer made it first the batch is written again, finding it. Nobody else can hold events of a lead that is not committed yet, so two imports of one file running at once store every event once."""

from __future__ import annotations

import datetime as dt
import json
import random
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from operator import attrgetter
from typing import Any

from django.db import OperationalError, connection, transaction
from django.db.models import Q
from django.db.models.base import ModelState
from django.db.models.signals import post_init, pre_init
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from psycopg.abc import Buffer
from psycopg.types.json import JsonbBinaryDumper

from leads.bulk import copy_insert
from leads.cycle_rows import lead_cycles_refresh
from leads.cycles import EventIn as CycleEventIn
from leads.derive import (
    DERIVED_FIELDS,
    LEAD_ATTRIBUTE_FIELDS,
    Derived,
    IngestContext,
    StoredEvent,
    _event_in,
    _leads_derive,
    cycle_events,
    leads_state_derive,
    rows_update,
)
from leads.ingest.formats import ParsedEvent
from leads.lifecycle import EXITS, Problem, lead_entry, move_problem, reason_problem
from leads.lifecycle import EventIn as ReplayEventIn
from leads.models import Lead, LeadEvent
from portal.text import Text
from slas.stages import stage_text

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
    # Rows stored without one of their values, and why (an owner outside the sales team).
    warnings: list[Failure] = field(default_factory=list)
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

    Items refer to leads of the context's team pair by (source, lead_external_id); the
    first event of an unknown lead creates it (in those teams, under their agreement).
    An item's `row` is its index in failures. Owner changes name the new owner by email
    in `outcome` (falling back to the actor), who must be a member of the sales team;
    `lead` may carry lead columns and an `attributes` dict.
    """
    result = IngestResult()
    users = context.users_by_email(
        [i.actor_email for i in items]
        + [i.outcome for i in items if i.kind == "owner_changed" and "@" in i.outcome]
        + [i.lead.get("owner_email", "") for i in items if i.lead]
    )
    valid: list[tuple[ParsedEvent, int | None, dict]] = []
    seen: set[tuple[str, str, str]] = set()
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
        data = {}
        if item.kind == "owner_changed":
            # The new owner is named by email in outcome, or else is the actor.
            if "@" in item.outcome:
                named, column = item.outcome, "outcome"
            else:
                named, column = item.actor_email, "actor_email"
            owner_id = users.get(named.lower()) if named else None
            if named and owner_id not in context.possible_owner_ids():
                result.fail(item.row, column, _not_an_owner(named, context))
                continue
            data = _owner_change_data(item, owner_id)
        if (
            item.lead.get("owner_email")
            and users.get(item.lead["owner_email"].lower()) not in context.possible_owner_ids()
        ):
            item = _owner_column_dropped(item, context, result)
        key = (item.source, item.lead_external_id, item.event_id)
        if key in seen:
            result.duplicates += 1
            continue
        seen.add(key)
        valid.append((item, actor_id, data))
    if not valid:
        return result

    # In its own transaction, a batch that PostgreSQL picks as a deadlock victim (writers
    # lock a lead another one inserted while it waits for one of theirs) is run again.
    def attempt() -> IngestResult:
        while True:
            outcome = replace(
                result,
                failures=list(result.failures),
                warnings=list(result.warnings),
                not_applied=list(result.not_applied),
            )
            try:
                with transaction.atomic():
                    _batch_store(valid, context, users, outcome)
            except _LeadsTaken:
                continue  # written again: the leads another writer made are found now
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


def _not_an_owner(email: str, context: IngestContext) -> str:
    # The same words for an unknown address and for someone of another team: the
    # answer tells nobody who else uses the portal.
    return _(
        "“%(email)s” is not a member of the lead's sales team (%(team)s); "
        "only its members can own the lead."
    ) % {"email": email, "team": context.sales_team.name}


def _owner_column_dropped(
    item: ParsedEvent, context: IngestContext, result: IngestResult
) -> ParsedEvent:
    """The item without an owner column naming someone outside the sales team; the
    row's other values are kept, and a warning (once a row) says why."""
    message = _(
        "“%(email)s” is not a member of the lead's sales team (%(team)s); "
        "the lead was stored without this owner."
    ) % {"email": item.lead["owner_email"], "team": context.sales_team.name}
    warning = Failure(item.row, "owner_email", message)
    if not result.warnings or result.warnings[-1] != warning:
        result.warnings.append(warning)
    return replace(item, lead={k: v for k, v in item.lead.items() if k != "owner_email"})


DEADLOCK_RETRIES = 5


def _is_deadlock(exc: OperationalError) -> bool:
    return getattr(exc.__cause__, "sqlstate", None) in ("40P01", "40001")


class _LeadsTaken(Exception):
    """Another writer created some of the batch's new leads while it was written."""


def _batch_store(
    valid: list[tuple[ParsedEvent, int | None, dict]],
    context: IngestContext,
    users: dict[str, int | None],
    result: IngestResult,
) -> None:
    """The writes of `lead_events_ingest`, in the caller's transaction.

    A new lead is written once, with the state its events give
    (`leads_state_derive`), and its events are copied straight into the table: its id
    and theirs are reserved first, and nobody else can hold events of a lead that is
    not committed yet. A lead another writer created meanwhile ends the write
    (`_LeadsTaken`), which the caller runs again, finding that lead."""
    leads, new, rescore = _leads_resolve(valid, context, users)
    result.created_lead_ids = {lead.pk for lead in new.values()}
    if context.mode == "live":
        valid = _live_moves_check(valid, leads, context, result)
    stored: dict[int, list[StoredEvent]] = {}
    cycle_in: dict[int, list[CycleEventIn]] = {}
    derived = None
    if new:
        valid, stored, cycle_in, derived = _new_leads_write(valid, new, context)
    created_by_lead = _events_insert(valid, leads)
    for pk, events in stored.items():
        created_by_lead[pk] = [e.id for e in events]
    created = sum(len(ids) for ids in created_by_lead.values())
    result.created += created
    result.duplicates += len(valid) + sum(map(len, stored.values())) - created
    touched = set(created_by_lead) | rescore
    if touched:
        by_pk = {lead.pk: lead for lead in leads.values()}
        counts = {pk: len(events) for pk, events in stored.items()}
        _leads_derive(
            sorted(touched),
            context,
            rescore=rescore,
            loaded=by_pk,
            known=stored,
            derived=derived,
        )
        lead_cycles_refresh(
            touched,
            context.index,
            leads=by_pk,
            # With the handoffs derivation added to `stored` (a score reaching the
            # threshold), after the events `_new_lead_events` read already.
            events={
                pk: [*cycle_in[pk], *cycle_events(events[counts[pk] :])]
                if len(events) > counts[pk]
                else cycle_in[pk]
                for pk, events in stored.items()
            },
            without_cycles=set(stored),
        )
    result.lead_ids = touched


def _new_leads_write(
    valid: list[tuple[ParsedEvent, int | None, dict]],
    new: dict[tuple[str, str], Lead],
    context: IngestContext,
) -> tuple[
    list[tuple[ParsedEvent, int | None, dict]],
    dict[int, list[StoredEvent]],
    dict[int, list[CycleEventIn]],
    Derived,
]:
    """Write the leads this batch makes (ids reserved) with their derived state, and
    their events; return the batch's other events, the events written by lead (as
    derivation and as the cycles read them), and the derivation's states for
    `_leads_derive`."""
    fresh = {lead.pk: lead for lead in new.values()}
    new_ids = {key: lead.pk for key, lead in new.items()}  # read once a lead, not an event
    own, rest = [], []
    for entry in valid:
        item = entry[0]
        (own if (item.source, item.lead_external_id) in new_ids else rest).append(entry)
    rows, stored, replay, cycle_in = _new_lead_events(own, new_ids)
    derived = leads_state_derive(fresh, replay, context)
    inserted = copy_insert(
        Lead,
        _LEAD_NEW_COLUMNS,
        [_lead_new_values(new[key]) for key in sorted(new)],
        ignore_conflicts=True,
        order_by=("source", "external_id"),
        returning=("id",),
    )
    if inserted is None:  # SQLite: which rows went in is not reported
        inserted = Lead.objects.filter(pk__in=fresh).values_list("pk")
    if len(inserted) < len(new):
        raise _LeadsTaken
    _events_copy(rows)
    return rest, stored, cycle_in, derived


def _leads_resolve(
    valid: list[tuple[ParsedEvent, int | None, dict]],
    context: IngestContext,
    users: dict[str, int | None],
) -> tuple[dict[tuple[str, str], Lead], dict[tuple[str, str], Lead], set[int]]:
    """Find the batch's leads (locked, in pk order), make the missing ones, and apply
    lead columns.

    Returns the leads of the context's team pair by (source, external id), the ones this
    call makes (not written yet: their ids are reserved, and the caller writes them with
    their state), and the ids of the leads whose attributes changed (or that are new):
    those are scored again.
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
        # Only the context's team pair: a lead of another pair with the same ids is
        # another lead, never found, changed or reported here.
        pair = Lead.objects.filter(
            marketing_team_id=context.marketing_team.pk, sales_team_id=context.sales_team.pk
        )
        return {
            (lead.source, lead.external_id): lead
            for lead in pair.select_for_update().filter(cond).order_by("pk")
        }

    leads = load()
    missing = sorted(set(first_at) - set(leads))
    make = _lead_maker(context)
    new = {key: make(key, first_at[key]) for key in missing}
    changed: dict[tuple[str, str], Lead] = {}
    changed_attrs: set[tuple[str, str]] = set(missing)
    for key, lead in leads.items():
        if first_at[key] < lead.created_at:
            lead.created_at = first_at[key]
            changed[key] = lead
    for key, carried in columns.items():
        lead = leads.get(key) or new[key]
        for values in carried:
            if _lead_columns_apply(lead, values, users):
                changed[key] = lead
                changed_attrs.add(key)
    updates = [lead for key, lead in changed.items() if key not in new]
    if updates:
        rows_update(updates, ["created_at", "owner_id", "attributes", *LEAD_ATTRIBUTE_FIELDS])
    # In key order, as concurrent importers insert them.
    for lead, pk in zip(new.values(), _ids_reserve(Lead, len(new)), strict=True):
        lead.pk = pk
    leads.update(new)
    return leads, new, {leads[key].pk for key in changed_attrs}


# What a new lead is written with: its reserved id, what is not a default (the rest:
# Lead's defaults) and the columns derived from its events.
_LEAD_NEW_COLUMNS = (
    "id",
    "source",
    "external_id",
    "marketing_team_id",
    "sales_team_id",
    "agreement_id",
    "created_at",
    "attributes",
    *LEAD_ATTRIBUTE_FIELDS,
    *DERIVED_FIELDS,
)
_lead_new_values = attrgetter(*_LEAD_NEW_COLUMNS)


def _lead_maker(context: IngestContext):
    """A maker of unsaved leads of the context's pair, (source, external id) and
    creation instant given, the other columns at their defaults. An import makes one
    for every lead it has not seen: each is built as `Lead(*values)` builds it (the
    columns by attname, a fresh `_state`) but without the per-field loop of
    `Model.__init__`, 14 us a lead, while nothing listens to Lead's init signals (any
    receiver gets the ordinary constructor)."""
    fields = Lead._meta.concrete_fields
    template = {f.attname: None if f.primary_key else f.get_default() for f in fields}
    template.update(
        marketing_team_id=context.marketing_team.pk,
        sales_team_id=context.sales_team.pk,
        agreement_id=context.agreement_id,
    )
    # A callable default (a list, a dict) is called for each lead, as Lead() does: one
    # value shared by every lead of an import would change them all when changed.
    fresh = [(f.attname, f.default) for f in fields if f.has_default() and callable(f.default)]
    if pre_init.has_listeners(Lead) or post_init.has_listeners(Lead):

        def make_ordinary(key: tuple[str, str], at: dt.datetime) -> Lead:
            source, external_id = key
            values = {**template, **{name: default() for name, default in fresh}}
            values.update(source=source, external_id=external_id, created_at=at)
            return Lead(*values.values())

        return make_ordinary

    blank = Lead.__new__

    def make(key: tuple[str, str], at: dt.datetime) -> Lead:
        lead = blank(Lead)
        values = lead.__dict__
        values["_state"] = ModelState()
        values.update(template)
        for name, default in fresh:
            values[name] = default()
        values["source"], values["external_id"] = key
        values["created_at"] = at
        return lead

    return make


# The sequence of each table's ids, by database: looked up once, since a lookup in
# nextval's argument (pg_get_serial_sequence) ran once an id, five times nextval's cost.
_SEQUENCES: dict[tuple[str, str], str] = {}


def _sequence(cursor, table: str) -> str:
    key = (connection.settings_dict["NAME"], table)
    name = _SEQUENCES.get(key)
    if name is None:
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
        name = _SEQUENCES[key] = cursor.fetchone()[0]
    return name


def _ids_reserve(model, count: int) -> list[int]:
    """`count` ids for new rows of the model's table, ascending, taken from its sequence:
    nobody else is given them, whether or not this transaction commits."""
    table = model._meta.db_table
    if not count:
        return []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # One array, not a row an id: rows cost the client a tenth of an import.
            cursor.execute(
                "SELECT array_agg(nextval(%s::regclass)) FROM generate_series(1, %s)",
                [_sequence(cursor, table), count],
            )
            return sorted(cursor.fetchone()[0])
        # SQLite (AUTOINCREMENT keys): the table's row of sqlite_sequence. The update
        # takes the database's write lock, so writers reserve one after another.
        cursor.execute(
            "INSERT INTO sqlite_sequence (name, seq) SELECT %s, 0 "
            "WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = %s)",
            [table, table],
        )
        cursor.execute("UPDATE sqlite_sequence SET seq = seq + %s WHERE name = %s", [count, table])
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        last = cursor.fetchone()[0]
        return list(range(last - count + 1, last + 1))


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


SOURCE_LABELS = {"hubspot": "HubSpot"}


def _live_moves_check(
    valid: list[tuple[ParsedEvent, int | None, dict]],
    leads: dict[tuple[str, str], Lead],
    context: IngestContext,
    result: IngestResult,
) -> list[tuple[ParsedEvent, int | None, dict]]:
    """Bind live moves (the webhook) by the lifecycle rules, in event order per lead.

    A move the rules refuse (a forbidden move, or an exit without a reason code of the
    version governing the lead's cycle) is not applied (a contact "becoming a lead" while
    it is one is stored as it came: `lifecycle.lead_entry`) as a stage change: it is stored
    as a `note` event under the same source event id (a retry stays a duplicate) saying
    what the source asked for and why it was not applied, and its `data["flag"]` flags
    the lead (derive_state) so the owner sees it. An exit sent without a reason takes
    the first of its `reason_candidates` the governing version lists. Retries pass as
    duplicates without being checked again.
    """
    existing = _existing_keys(
        [(leads[(i.source, i.lead_external_id)].pk, i.source, i.event_id) for i, _a, _d in valid]
    )
    stages = {key: lead.stage for key, lead in leads.items()}
    handoffs = _handoff_instants([lead.pk for lead in leads.values()])
    kept = []
    for entry in sorted(valid, key=lambda v: (v[0].occurred_at, v[0].row)):
        item = entry[0]
        key = (item.source, item.lead_external_id)
        lead = leads[key]
        if (lead.pk, item.source, item.event_id) in existing or item.kind != "stage_changed":
            kept.append(entry)
            continue
        from_stage = stages[key]
        problem = (
            None
            if lead_entry(from_stage, item.to_stage)
            else move_problem(from_stage, item.to_stage)
        )
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
    problem: Problem,
    result: IngestResult,
) -> tuple[ParsedEvent, int | None, dict]:
    """The note event that stands for a refused live move (same source event id). Its
    `data["flag"]` keeps why as data (a code and the untranslated reason: the lead's
    readers read it in their language); the note and the answer to the source say it
    in the request's language."""
    item, actor_id, data = entry
    values = {
        "source": SOURCE_LABELS.get(item.source, item.source),
        "from": stage_text(from_stage),
        "to": stage_text(item.to_stage),
        "problem": problem.reason,
    }
    if item.requested:
        why = Text(
            gettext_noop(
                "%(source)s asked to move this lead from %(from)s to %(to)s (%(request)s), "
                "but the portal did not apply it: %(problem)s If the move should happen, "
                "make it on the lead page."
            ),
            request=item.requested,
            **values,
        )
    else:
        why = Text(
            gettext_noop(
                "%(source)s asked to move this lead from %(from)s to %(to)s, but the portal "
                "did not apply it: %(problem)s If the move should happen, make it on the lead page."
            ),
            **values,
        )
    text = str(why)
    result.not_applied.append(Failure(item.row, "to_stage", text))
    note = replace(item, kind="note", to_stage="", reason_code="", note=text[:5000])
    refused = {"to_stage": item.to_stage, "reason_code": item.reason_code}
    if item.requested:
        refused["requested"] = item.requested
    flag = {"code": "move_not_applied", **why.spec()}
    return note, actor_id, {**data, "flag": flag, "not_applied": refused}


def _existing_keys(keys: list[tuple[int, str, str]]) -> set[tuple[int, str, str]]:
    """Which of these (lead id, source, event id) are stored."""
    wanted = set(keys)
    by_source: dict[str, list[str]] = defaultdict(list)
    for _lead_id, source, event_id in wanted:
        by_source[source].append(event_id)
    lead_ids = sorted({lead_id for lead_id, _s, _e in wanted})
    found: set[tuple[int, str, str]] = set()
    for source, ids in by_source.items():
        for start in range(0, len(ids), 900):
            found.update(
                LeadEvent.objects.filter(
                    lead_id__in=lead_ids,
                    source=source,
                    source_event_id__in=ids[start : start + 900],
                ).values_list("lead_id", "source", "source_event_id")
            )
    return found & wanted


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
    f"FROM {_STAGE_TABLE} ORDER BY lead_id, source, source_event_id ON CONFLICT DO NOTHING "
    "RETURNING id, lead_id"
)


def _event_row(lead_id: int, item: ParsedEvent, at, actor_id, data) -> tuple:
    """An event's values in `_COLUMNS`' order (the staged insert and, after its reserved
    id, the copy of a new lead's events)."""
    return (
        lead_id,
        item.kind,
        at,
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


def _events_insert(
    valid: list[tuple[ParsedEvent, int | None, dict]],
    leads: dict[tuple[str, str], Lead],
) -> dict[int, list[int]]:
    """Insert the events that are new; {lead id: [created event ids]}."""
    lead_ids = {key: lead.pk for key, lead in leads.items()}
    rows = [
        _event_row(
            lead_ids[(item.source, item.lead_external_id)], item, item.occurred_at, actor_id, data
        )
        for item, actor_id, data in valid
    ]
    created: dict[int, list[int]] = defaultdict(list)
    if not rows:
        return created
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_STAGE_SQL)
            cursor.execute(f"DELETE FROM {_STAGE_TABLE}")  # noqa: S608 - empty unless nested
            # Any row order: the INSERT takes them in the unique index's order.
            with cursor.cursor.copy(
                f"COPY {_STAGE_TABLE} ({', '.join(_COLUMNS)}) FROM STDIN (FORMAT BINARY)"
            ) as copy:
                copy.set_types(_STAGE_TYPES)
                for row in rows:
                    copy.write_row((*row[:9], json.dumps(row[9]) if row[9] else "{}", *row[10:]))
            cursor.execute(_INSERT_SQL)
            for event_id, lead_id in cursor.fetchall():
                created[lead_id].append(event_id)
        return created
    rows.sort(key=lambda r: (r[0], r[10], r[11]))
    existing = _existing_keys([(r[0], r[10], r[11]) for r in rows])
    objs = [
        LeadEvent(**dict(zip(_COLUMNS, row, strict=True)))
        for row in rows
        if (row[0], row[10], row[11]) not in existing
    ]
    LeadEvent.objects.bulk_create(objs, batch_size=1000)
    for obj in objs:
        created[obj.lead_id].append(obj.pk)
    return created


def _new_lead_events(
    own: list[tuple[ParsedEvent, int | None, dict]], lead_ids: dict[tuple[str, str], int]
) -> tuple[
    list[tuple],
    dict[int, list[StoredEvent]],
    dict[int, list[ReplayEventIn]],
    dict[int, list[CycleEventIn]],
]:
    """The events of the leads this batch makes, with ids reserved for them, in one
    pass: their rows for `_events_copy` and, by lead, the events as `_leads_derive`
    knows them, as derivation replays them (`_event_in`) and as the cycles read them
    (`cycle_events`). The ids ascend in (lead, source, event id) order, as the staged
    INSERT gives them, so events at one instant replay in one order whichever way they
    were stored."""
    # (lead, source, event id) is unique in a batch: the entries are never compared.
    keyed = [
        (lead_ids[item.source, item.lead_external_id], item.source, item.event_id, entry)
        for entry in own
        for item in (entry[0],)
    ]
    keyed.sort()
    rows = []
    stored: dict[int, list[StoredEvent]] = defaultdict(list)
    replay: dict[int, list[ReplayEventIn]] = defaultdict(list)
    cycle_in: dict[int, list[CycleEventIn]] = defaultdict(list)
    ids = _ids_reserve(LeadEvent, len(keyed))
    tail = ("", timezone.now())  # from_stage, recorded_at
    utc = dt.UTC
    for event_id, (lead_id, _s, _e, (item, actor_id, data)) in zip(ids, keyed, strict=True):
        at = item.occurred_at
        kind, to_stage, reason_code, channel = (
            item.kind,
            item.to_stage,
            item.reason_code,
            item.channel,
        )
        rows.append((event_id, *_event_row(lead_id, item, at, actor_id, data), *tail))
        if at.tzinfo is not utc:
            at = at.astimezone(utc)  # as the database gives it back
        stored[lead_id].append(
            StoredEvent(event_id, at, kind, to_stage, reason_code, channel, data)
        )
        replay[lead_id].append(_event_in(event_id, at, kind, to_stage, reason_code, data))
        if kind == "contact_attempt" or kind == "stage_changed":
            override = data.get("override") if data and kind == "stage_changed" else None
            cycle_in[lead_id].append(
                CycleEventIn(
                    event_id,
                    at,
                    kind,
                    to_stage,
                    reason_code,
                    channel,
                    override=override if isinstance(override, dict) else None,
                )
            )
    return rows, dict(stored), dict(replay), {pk: cycle_in.get(pk, []) for pk in stored}


_COPY_COLUMNS = ("id", *_COLUMNS, "from_stage", "recorded_at")
_COPY_TYPES = (
    "int8",
    *(("jsonb" if c == "data" else t) for c, t in zip(_COLUMNS, _STAGE_TYPES, strict=True)),
    "text",
    "timestamptz",
)


def _events_copy(rows: list[tuple]) -> None:
    """Copy `_new_lead_events` rows (`_COPY_COLUMNS`) into the events table: no staging
    and no conflict to look for, since nobody else can hold events of a lead not
    committed yet."""
    if connection.vendor != "postgresql":
        copy_insert(LeadEvent, _COPY_COLUMNS, rows)
        return
    with connection.cursor() as cursor:
        # This cursor's own adapters (copied on write from the connection's).
        cursor.cursor.adapters.register_dumper(dict, _EventDataDumper)
        with cursor.cursor.copy(
            f"COPY leads_leadevent ({', '.join(_COPY_COLUMNS)}) FROM STDIN (FORMAT BINARY)"
        ) as copy:
            copy.set_types(_COPY_TYPES)
            for row in rows:
                copy.write_row(row)


class _EventDataDumper(JsonbBinaryDumper):
    """An event's data as binary jsonb, without encoding the empty data most carry."""

    def dump(self, obj: Any) -> Buffer | None:
        return b"\x01{}" if type(obj) is dict and not obj else super().dump(obj)
