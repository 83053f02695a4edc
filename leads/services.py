"""Writers for one lead, the rep's and manager's one-click actions: record a move, change the stage, log a contact attempt, nurture, reassign, create a lead. Each ends in `leads.derive` in the same transaction as the event insert; bulk events go through `leads.ingest.store`."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from leads.cycle_rows import lead_cycles_refresh
from leads.derive import (
    LEAD_ATTRIBUTE_FIELDS,
    IngestContext,
    VersionRules,
    _leads_derive,
    _notify_assigned,
    cycle_events,
    lead_events_stored,
    version_rules_load,
)
from leads.ingest.formats import ParsedEvent
from leads.ingest.store import lead_events_ingest
from leads.lifecycle import MoveRefused, RecycleRule, check_move, is_sales_recycle
from leads.models import Lead, LeadEvent
from leads.selectors import lead_cycle_attempts
from portal import permissions
from portal.models import Membership, Team
from slas.governing import VersionIndex
from slas.stages import stage_label

# --------------------------------------------------------------------------- portal actions


def lead_cycle_instant(*, lead: Lead, at: dt.datetime) -> dt.datetime:
    """The instant whose version governs a move made at `at`: the lead's latest handoff
    up to then (its cycle keeps that version for life, docs/compliance.md#governing-version), or `at` itself
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
    return version_rules_load([version.id], index=index).get(version.id) if version else None


OVERRIDE_REASON_MAX = 1000


def _recycle_attempts_check(
    *,
    lead: Lead,
    actor,
    at: dt.datetime,
    from_stage: str,
    to_stage: str,
    rule: RecycleRule | None,
    override_reason: str,
) -> dict | None:
    """The governing version's attempts rule on a sales recycle made at `at`: None when
    it holds (or does not apply); the override to record when a manager of the lead's
    sales team lets a short recycle through with a reason; MoveRefused otherwise, with
    the count against K in the version's words."""
    if rule is None or not is_sales_recycle(from_stage, to_stage):
        return None
    attempts = lead_cycle_attempts(lead=lead, at=at)
    if attempts is None or attempts >= rule.attempts:
        return None  # no cycle (never handed off): compliance counts nothing
    values = {
        "n": attempts,
        "k": rule.attempts,
        "from": stage_label(from_stage),
        "rule": rule.text(),
    }
    reason = (override_reason or "").strip()
    if not reason:
        raise MoveRefused(
            _(
                "This lead has %(n)s of the %(k)s contact attempts the agreement asks for in "
                "a cycle before a recycle from %(from)s (%(rule)s). Log the attempts first, "
                "or ask a manager of the lead's sales team to recycle it with a reason for "
                "the override."
            )
            % values
        )
    if not permissions.can_override_lead_rules(actor, lead):
        raise MoveRefused(
            _(
                "Only a manager of the lead's sales team can override the agreed rules. This "
                "lead has %(n)s of the %(k)s contact attempts the agreement asks for before a "
                "recycle from %(from)s (%(rule)s)."
            )
            % values
        )
    return {
        "rule": "attempts_before_recycle",
        "by": actor.pk,
        "by_name": actor.get_full_name() or actor.get_username(),
        "reason": reason[:OVERRIDE_REASON_MAX],
        "attempts": attempts,
        "required": rule.attempts,
        "version": rule.version_number,
    }


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
    override_reason: str = "",
    locked: bool = False,
) -> LeadEvent:
    """Record one event made in the portal; the lifecycle and the rules of the version
    governing the lead's cycle bind it (MoveRefused): the move, its reason code, and a
    sales recycle's contact attempts, which a manager of the lead's sales team may
    override with `override_reason` (recorded as `data["override"]`).

    `locked`: the caller read `lead` with its teams, locked (`lead_locked`), in the
    transaction it holds open; it is not read again, and the write is part of that
    transaction (no savepoint of its own: a failure here fails the caller's). Otherwise
    it is read and locked here. Either way the one instance is passed on to the
    derivation and the cycles."""
    index = index or VersionIndex()
    with transaction.atomic(savepoint=not locked):
        if not locked:
            lead = lead_locked(Lead.objects.all(), pk=lead.pk)
        at = occurred_at or timezone.now()
        from_stage = ""
        if kind == "stage_changed":
            from_stage = lead.stage
            rules = lead_cycle_rules(lead=lead, at=at, index=index)
            codes = rules.codes_for_move(from_stage, to_stage) if rules else None
            check_move(from_stage, to_stage, reason_code, codes)
            override = _recycle_attempts_check(
                lead=lead,
                actor=actor,
                at=at,
                from_stage=from_stage,
                to_stage=to_stage,
                rule=rules.recycle_rule if rules else None,
                override_reason=override_reason,
            )
            if override:
                data = {**(data or {}), "override": override}
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
        # The lead's events read once, for the derivation and the cycles (it adds no
        # stage change or contact attempt: no score is rescored, no handoff made).
        stored = lead_events_stored([lead.pk])
        _leads_derive([lead.pk], context, rescore=set(), loaded={lead.pk: lead}, known=stored)
        events = {pk: cycle_events(events) for pk, events in stored.items()}
        lead_cycles_refresh([lead.pk], index, leads={lead.pk: lead}, events=events)
    return event


def lead_locked(leads: QuerySet[Lead], **lookup) -> Lead:
    """The lead, locked until the end of the caller's transaction, with the teams
    `lead_event_record` writes with (Lead.DoesNotExist when `leads` does not hold it)."""
    return (
        leads.select_related("marketing_team", "sales_team")
        .select_for_update(of=("self",))
        .get(**lookup)
    )


def lead_stage_change(
    *,
    lead: Lead,
    actor,
    to_stage: str,
    reason_code: str = "",
    note: str = "",
    override_reason: str = "",
) -> LeadEvent:
    """Move the lead (pages and API). `override_reason`: a manager of the lead's sales
    team letting a recycle through below the agreed contact attempts, and why; ignored
    when no rule is short."""
    return lead_event_record(
        lead=lead,
        kind="stage_changed",
        actor=actor,
        to_stage=to_stage,
        reason_code=reason_code,
        note=note,
        override_reason=override_reason,
    )


def lead_contact_attempt_log(
    *, lead: Lead, actor, channel: str, outcome: str = "", note: str = "", locked: bool = False
) -> LeadEvent:
    """`locked`: as for lead_event_record."""
    if lead.stage in ("won", "lost", "disqualified"):
        raise MoveRefused(_("This lead is closed; contact attempts are no longer logged on it."))
    return lead_event_record(
        lead=lead,
        kind="contact_attempt",
        actor=actor,
        channel=channel,
        outcome=outcome,
        note=note,
        locked=locked,
    )


def lead_nurture(*, lead: Lead, actor, track: str, note: str = "") -> LeadEvent:
    """Put the lead into a nurture track (a note event the derived state reads).

    Refused on closed leads (nurturing is for leads that may still buy), and for a track
    the version in force now does not list (the tracks the lead page offers)."""
    if lead.stage in ("won", "lost", "disqualified"):
        raise MoveRefused(
            _(
                "This lead is closed (%(stage)s); only open or recycled leads can be put "
                "into a nurture track."
            )
            % {"stage": stage_label(lead.stage)}
        )
    index = VersionIndex()
    version = index.governing(lead.agreement_id, timezone.now())
    rules = version_rules_load([version.id], index=index).get(version.id) if version else None
    if rules is None:
        raise MoveRefused(
            _("No version of the lead's agreement is in force: no nurture track is agreed.")
        )
    if track not in rules.tracks:
        raise MoveRefused(
            _(
                "“%(track)s” is not a nurture track of version %(n)s of the agreement (its "
                "tracks: %(tracks)s)."
            )
            % {
                "track": track,
                "n": rules.number,
                "tracks": ", ".join(f"“{t}”" for t in rules.tracks) or "-",
            }
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

    LeadExists when these two teams already have a lead with this source and external id
    (also when another request created it at the same time): nothing is stored. A lead
    of another team pair with the same ids is another lead (docs/security.md)."""
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
    "LeadExists",
    "lead_contact_attempt_log",
    "lead_create",
    "lead_event_record",
    "lead_nurture",
    "lead_reassign",
    "lead_stage_change",
]
