"""Per-cycle facts (leads.Cycle), maintained from lead events.

`lead_cycles_refresh(lead_ids)` recomputes the cycles of the given leads from their
events and replaces their Cycle rows (or updates them in place when only
`IN_PLACE_COLUMNS` changed: a repeated contact attempt, an owner change). Writers of lead events call it in the same
transaction as the events, so the facts are never behind the events; compliance reads
only Cycle rows. `cycles_computed(lead_ids)` returns the rows a full recomputation
would store (unsaved), for `compliance_rebuild --verify`. `cycles_regovern(agreement_id=,
since=)` re-derives the governing version of an agreement's cycles after a version's
in-force interval changed (activation, supersession, expiry: slas sends
`version_in_force_changed` in that transaction and leads.apps connects this), refreshing
only the leads whose stored version is no longer the one in force at the handoff.

Every change of cycles' facts sends `leads.signals.cycles_changed` with the changed
cycles before and after, in the writer's transaction: reports adjusts the stored results
they fed. A write that changes no fact (a note, an owner change) sends nothing.

Choices: a cycle's `owner` is the lead's current owner; `deadline_at` is the governing
version's first-contact window (`Version.first_contact_hours`) on its calendar."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from django.db import transaction
from django.db.models import F, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce

from leads.bulk import copy_insert
from leads.cycles import CycleFacts, EventIn, cycles_from_events
from leads.models import Cycle, Lead, LeadEvent
from leads.signals import cycles_changed
from slas.clock import business_deadline, business_seconds
from slas.governing import GoverningVersion, VersionIndex
from slas.models import Version

STAGE_COLUMNS = {
    "sal": "sal_at",
    "sql": "sql_at",
    "opportunity": "opportunity_at",
    "won": "won_at",
    "lost": "lost_at",
}


# The columns of a Cycle row as `_cycle_values` gives them (all but the id).
CYCLE_COLUMNS = (
    "lead_id",
    "number",
    "handoff_event_id",
    "handoff_at",
    "ended_at",
    "agreement_id",
    "version_id",
    "owner_id",
    "first_contact_at",
    "clock_stop_at",
    "clock_stop_kind",
    "accepted_at",
    "rejected_at",
    "rejected_to",
    "rejected_reason_code",
    "sales_recycle_at",
    "sales_recycle_from",
    "attempts_before_sales_recycle",
    "sales_recycle_override",
    "attempts",
    "exits",
    *STAGE_COLUMNS.values(),
    "deadline_at",
    "clock_business_seconds",
)
_VERSION, _HANDOFF_AT = CYCLE_COLUMNS.index("version_id"), CYCLE_COLUMNS.index("handoff_at")


def _cycle_values(lead: Lead, facts: CycleFacts, version: GoverningVersion | None) -> tuple:
    """A Cycle row's values, in CYCLE_COLUMNS order."""
    deadline_at = clock = None
    if version is not None:
        deadline_at = business_deadline(
            version.calendar, facts.handoff_at, version.first_contact_hours
        )
        if facts.clock_stop_at is not None:
            clock = business_seconds(version.calendar, facts.handoff_at, facts.clock_stop_at)
    entered = facts.stage_entered
    return (
        lead.pk,
        facts.number,
        facts.handoff_event_id,
        facts.handoff_at,
        facts.ended_at,
        lead.agreement_id,
        version.id if version else None,
        lead.owner_id,
        facts.first_contact_at,
        facts.clock_stop_at,
        facts.clock_stop_kind,
        facts.accepted_at,
        facts.rejected_at,
        facts.rejected_to,
        facts.rejected_reason_code,
        facts.sales_recycle_at,
        facts.sales_recycle_from,
        facts.attempts_before_sales_recycle if facts.sales_recycle_at else None,
        facts.sales_recycle_override,
        facts.contact_attempts,
        [[at.isoformat(), to, reason] for at, to, reason in facts.exits],
        *(entered.get(stage) for stage in STAGE_COLUMNS),
        deadline_at,
        clock,
    )


def _cycles_values(
    lead_ids: Iterable[int],
    index: VersionIndex | None,
    leads: dict[int, Lead] | None,
    events: dict[int, list[EventIn]] | None,
) -> list[tuple]:
    index = index or VersionIndex()
    ids = list(lead_ids)
    given = leads or {}
    leads = {pk: given[pk] for pk in ids if pk in given}
    missing = [pk for pk in ids if pk not in leads]
    if missing:
        leads.update(
            (lead.pk, lead)
            for lead in Lead.objects.filter(pk__in=missing).only("id", "agreement_id", "owner_id")
        )
    known = events or {}
    events = defaultdict(list, {pk: known[pk] for pk in ids if pk in known})
    unknown = [pk for pk in ids if pk not in known]
    if unknown:
        rows = LeadEvent.objects.filter(
            lead_id__in=unknown, kind__in=["stage_changed", "contact_attempt"]
        ).values_list(
            "id",
            "lead_id",
            "occurred_at",
            "kind",
            "to_stage",
            "reason_code",
            "channel",
            "data__override",
        )
        for row in rows.iterator(chunk_size=5000):
            event_id, lead_id, occurred_at, kind, to_stage, reason_code, channel, override = row
            events[lead_id].append(
                EventIn(
                    event_id,
                    occurred_at,
                    kind,
                    to_stage,
                    reason_code,
                    channel,
                    override=override if isinstance(override, dict) else None,
                )
            )
    result: list[tuple] = []
    for lead_id, lead in leads.items():
        agreement_id = lead.agreement_id
        found: dict[int, GoverningVersion | None] = {}

        def governing(at: dt.datetime, agreement_id=agreement_id, found=found) -> int | None:
            version = index.governing(agreement_id, at)
            if version is not None:
                found[version.id] = version
            return version.id if version else None

        for facts in cycles_from_events(events.get(lead_id, []), governing, lead_id=lead_id):
            result.append(
                _cycle_values(
                    lead, facts, found.get(facts.version_id) if facts.version_id else None
                )
            )
    return result


def cycles_computed(
    lead_ids: Iterable[int],
    index: VersionIndex | None = None,
    *,
    leads: dict[int, Lead] | None = None,
    events: dict[int, list[EventIn]] | None = None,
) -> list[Cycle]:
    """The Cycle rows the events of these leads imply (unsaved).

    A writer that holds some of the leads as they now are (`leads`: agreement and
    owner are read) or all the stage changes and contact attempts of some of them
    (`events`) passes them, and only the rest is read."""
    return [
        Cycle(**dict(zip(CYCLE_COLUMNS, values, strict=True)))
        for values in _cycles_values(lead_ids, index, leads, events)
    ]


# Columns no figure reads: who owns the cycle now (an owner change) and what the queue
# shows, derived from the facts (the deadline and the stopped clock's business time).
BOOKKEEPING_COLUMNS = frozenset({"owner_id", "deadline_at", "clock_business_seconds"})
_FACT_INDEXES = [i for i, name in enumerate(CYCLE_COLUMNS) if name not in BOOKKEEPING_COLUMNS]
_LEAD, _EVENT = CYCLE_COLUMNS.index("lead_id"), CYCLE_COLUMNS.index("handoff_event_id")
_NUMBER = CYCLE_COLUMNS.index("number")


def _facts_of(row: tuple) -> tuple:
    return tuple(row[i] for i in _FACT_INDEXES)


# Columns a refresh updates in place, keeping the row's id, when nothing else of a lead's
# cycles changed (a repeated contact attempt, an owner change); any other change replaces
# the lead's rows (new ids). Readers that key a cache on the version's cycle rows
# (reports.process.cycles_marker: their count and highest id) do not read these.
IN_PLACE_COLUMNS = ("owner_id", "attempts", "deadline_at", "clock_business_seconds")
_IN_PLACE_INDEXES = [CYCLE_COLUMNS.index(name) for name in IN_PLACE_COLUMNS]
_KEPT_INDEXES = [i for i in range(len(CYCLE_COLUMNS)) if i not in _IN_PLACE_INDEXES]


def _in_place(old: list[tuple], new: list[tuple]) -> list[tuple[int, tuple]] | None:
    """(id, new values of IN_PLACE_COLUMNS) for each old row (``(id, *CYCLE_COLUMNS)``)
    that differs from its new row only in those columns, or None when the rows differ in
    anything else (cycles added, removed or otherwise changed)."""
    after = {row[_EVENT]: row for row in new}
    if len(after) != len(new) or len(old) != len(new):
        return None
    updates = []
    for pk, *row in old:
        match = after.get(row[_EVENT])
        if match is None or any(row[i] != match[i] for i in _KEPT_INDEXES):
            return None
        if any(row[i] != match[i] for i in _IN_PLACE_INDEXES):
            updates.append((pk, tuple(match[i] for i in _IN_PLACE_INDEXES)))
    return updates


def cycle_changes(
    old: Iterable[tuple], new: Iterable[tuple]
) -> list[tuple[dict | None, dict | None]]:
    """The cycles whose facts differ between two sets of rows (CYCLE_COLUMNS tuples), as
    (old, new) pairs of column dicts matched by handoff event (None: no such cycle on that
    side). Bookkeeping columns (BOOKKEEPING_COLUMNS) are not facts: an owner change is no
    change here."""
    before = {row[_EVENT]: row for row in old}
    after = {row[_EVENT]: row for row in new}
    changes = []
    for event_id in sorted(set(before) | set(after)):
        a, b = before.get(event_id), after.get(event_id)
        if a is not None and b is not None and _facts_of(a) == _facts_of(b):
            continue
        changes.append(
            (
                dict(zip(CYCLE_COLUMNS, a, strict=True)) if a is not None else None,
                dict(zip(CYCLE_COLUMNS, b, strict=True)) if b is not None else None,
            )
        )
    return changes


def lead_cycles_refresh(
    lead_ids: Iterable[int],
    index: VersionIndex | None = None,
    *,
    leads: dict[int, Lead] | None = None,
    events: dict[int, list[EventIn]] | None = None,
    without_cycles: Iterable[int] = (),
) -> int:
    """Bring the Cycle rows of these leads in line with a recomputation from their
    events, and tell the apps above what changed.

    Only leads whose rows differ are rewritten (a note changes nothing); and only the
    cycles whose facts differ are sent with `cycles_changed` (`changes`: (old, new)
    pairs of column dicts), so an owner change or a repeated contact attempt on a
    cycle already contacted reaches no stored result (reports adjusts the results the
    changed cycles fed, leaving the rest as they are).

    `leads` and `events` as for `cycles_computed`; `without_cycles`: leads known to
    have no Cycle rows yet (created by the caller's transaction). Returns the number of
    cycles the leads have."""
    ids = sorted(set(lead_ids))
    if not ids:
        return 0
    rows = _cycles_values(ids, index, leads, events)
    none_yet = set(without_cycles)
    stored = [pk for pk in ids if pk not in none_yet]
    with transaction.atomic():
        new_by_lead: dict[int, list[tuple]] = defaultdict(list)
        for row in rows:
            new_by_lead[row[_LEAD]].append(row)
        old_by_lead: dict[int, list[tuple]] = defaultdict(list)
        old_ids: dict[int, list[tuple]] = defaultdict(list)  # (id, *row)
        if stored:
            for pk, *row in Cycle.objects.filter(lead_id__in=stored).values_list(
                "id", *CYCLE_COLUMNS
            ):
                old_by_lead[row[_LEAD]].append(tuple(row))
                old_ids[row[_LEAD]].append((pk, *row))
        changed = [
            pk
            for pk in ids
            if sorted(old_by_lead[pk], key=lambda r: r[_NUMBER])
            != sorted(new_by_lead[pk], key=lambda r: r[_NUMBER])
        ]
        if not changed:
            return len(rows)
        updates, replaced = [], []
        for pk in changed:
            found = _in_place(old_ids[pk], new_by_lead[pk]) if old_ids[pk] else None
            if found is None:
                replaced.append(pk)
            else:
                updates += found
        if updates:
            Cycle.objects.bulk_update(
                [
                    Cycle(pk=pk, **dict(zip(IN_PLACE_COLUMNS, values, strict=True)))
                    for pk, values in updates
                ],
                IN_PLACE_COLUMNS,
            )
        rewrite = [pk for pk in replaced if old_by_lead[pk]]
        if rewrite:
            Cycle.objects.filter(lead_id__in=rewrite).delete()
        # COPY on PostgreSQL, bulk_create elsewhere
        copy_insert(Cycle, CYCLE_COLUMNS, [row for pk in replaced for row in new_by_lead[pk]])
        changes = []
        for pk in changed:
            changes += cycle_changes(old_by_lead[pk], new_by_lead[pk])
        if changes:
            cycles_changed.send(sender=Cycle, changes=changes)
    return len(rows)


REGOVERN_CHUNK = 2000


def cycles_regovern(*, agreement_id: int, since: dt.datetime, chunk: int = REGOVERN_CHUNK) -> int:
    """Re-govern the agreement's cycles handed off at or after ``since`` after an in-force
    interval changed: find, in one query, the cycles whose stored version is not the one
    in force at their handoff (the first by ``in_force_from`` whose interval holds it, as
    ``VersionIndex.governing``), and refresh only their leads (version, deadline, business
    clock), dropping the stored results of both the old and the new version. Returns the
    number of leads refreshed. Call it in the transaction that changed the interval."""
    in_force = (
        Version.objects.filter(
            agreement_id=agreement_id,
            in_force_from__isnull=False,
            in_force_from__lte=OuterRef("handoff_at"),
        )
        .filter(Q(in_force_until__isnull=True) | Q(in_force_until__gt=OuterRef("handoff_at")))
        .order_by("in_force_from")
        .values("pk")[:1]
    )
    stale = (
        Cycle.objects.filter(agreement_id=agreement_id, handoff_at__gte=since)
        .annotate(
            governing=Coalesce(Subquery(in_force), Value(0)),
            stored=Coalesce("version_id", Value(0)),
        )
        .exclude(governing=F("stored"))
        .order_by()
        .values_list("lead_id", flat=True)
        .distinct()
    )
    lead_ids = sorted(set(stale))
    index = VersionIndex()
    for i in range(0, len(lead_ids), chunk):
        lead_cycles_refresh(lead_ids[i : i + chunk], index)
    return len(lead_ids)
