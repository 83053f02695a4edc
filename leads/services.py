"""Writers for one lead, the rep's and manager's one-click actions: record a move, change the stage, log a contact attempt, nurture, reassign, create a lead. Each ends in `leads.derive` in the same transaction as the event insert; bulk events go through `leads.ingest.store`."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from leads.cycle_rows import lead_cycles_refresh
from leads.derive import (
    LEAD_ATTRIBUTE_FIELDS,
    IngestContext,
    VersionRules,
    _leads_derive,
    _notify_assigned,
    version_rules_load,
)
from leads.ingest.formats import ParsedEvent
from leads.ingest.store import lead_events_ingest
from leads.lifecycle import MoveRefused, check_move
from leads.models import Lead, LeadEvent
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
