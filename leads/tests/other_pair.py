"""Another team pair, APAC Marketing ⇄ APAC Sales, with its own people and leads: the
objects the cast's managers must not be able to write through ingest (docs/security.md).

Hana manages APAC Marketing, Priya manages APAC Sales, Kenji and Ravi are her reps. Nobody of
the cast belongs to either team, so for all of them but Erin (exec) these leads answer
404.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth import get_user_model

from leads.derive import IngestContext
from leads.ingest.formats import ParsedEvent
from leads.ingest.store import lead_events_ingest
from leads.models import Lead
from portal.demo import DEMO_PASSWORD
from portal.models import Membership, Role, Team, TeamFunction

T0 = dt.datetime(2026, 1, 5, 9, tzinfo=dt.UTC)


@dataclass
class OtherPair:
    marketing: Team
    sales: Team
    hana: object  # APAC Marketing manager
    priya: object  # APAC Sales manager
    kenji: object  # APAC Sales rep
    ravi: object  # APAC Sales rep
    lead: Lead  # crm / A-1: handed off to Kenji

    def context(self) -> IngestContext:
        return IngestContext(
            marketing_team=self.marketing, sales_team=self.sales, handoff_on_score=False
        )


def _person(username: str, team: Team, role: str):
    user, created = get_user_model().objects.get_or_create(
        username=username,
        defaults={"email": f"{username}@example.com", "first_name": username.title()},
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save()
    Membership.objects.get_or_create(user=user, team=team, defaults={"role": role})
    return user


def other_pair_lead(pair: OtherPair, source: str, external_id: str) -> Lead:
    """A lead of the APAC pair, created, handed off and given to Kenji (event ids
    `<external id>:created`, `:mql`, `:owner`)."""
    events = [
        ParsedEvent(
            row=1,
            source=source,
            event_id=f"{external_id}:created",
            lead_external_id=external_id,
            kind="created",
            occurred_at=T0,
            lead={"email": "buyer@apac.example", "company": "APAC Buyer", "first_name": "Mei"},
        ),
        ParsedEvent(
            row=2,
            source=source,
            event_id=f"{external_id}:mql",
            lead_external_id=external_id,
            kind="stage_changed",
            to_stage="mql",
            occurred_at=T0 + dt.timedelta(hours=1),
        ),
        ParsedEvent(
            row=3,
            source=source,
            event_id=f"{external_id}:owner",
            lead_external_id=external_id,
            kind="owner_changed",
            outcome=pair.kenji.email,
            occurred_at=T0 + dt.timedelta(hours=2),
        ),
    ]
    result = lead_events_ingest(items=events, context=pair.context())
    assert result.failures == [], result.failures
    return Lead.objects.get(
        source=source,
        external_id=external_id,
        marketing_team=pair.marketing,
        sales_team=pair.sales,
    )


def other_pair(cast, lead_external_id: str = "A-1") -> OtherPair:
    """The APAC pair (made once, found after) and a new lead of it, `crm` / the id."""
    marketing, _ = Team.objects.get_or_create(
        name="APAC Marketing", defaults={"function": TeamFunction.MARKETING}
    )
    sales, _ = Team.objects.get_or_create(
        name="APAC Sales", defaults={"function": TeamFunction.SALES}
    )
    pair = OtherPair(
        marketing=marketing,
        sales=sales,
        hana=_person("hana", marketing, Role.MANAGER),
        priya=_person("priya", sales, Role.MANAGER),
        kenji=_person("kenji", sales, Role.REP),
        ravi=_person("ravi", sales, Role.REP),
        lead=None,  # type: ignore[arg-type]
    )
    pair.lead = other_pair_lead(pair, "crm", lead_external_id)
    return pair


def lead_state(lead: Lead) -> tuple:
    """Everything a write could change on a lead: its columns and its events."""
    lead = Lead.objects.get(pk=lead.pk)
    columns = tuple(
        getattr(lead, f.attname) for f in Lead._meta.concrete_fields if f.name != "updated_at"
    )
    events = tuple(
        lead.events.order_by("pk").values_list(
            "pk", "kind", "to_stage", "outcome", "source_event_id", "data"
        )
    )
    return columns, events, tuple(lead.cycles.order_by("pk").values_list("pk", "owner_id"))
