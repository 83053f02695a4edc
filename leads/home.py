"""Home-page to-do items for leads: my clocks at risk or overdue; unassigned team leads."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from leads import selectors
from leads.reviews import home as reviews_home
from portal import numbers, permissions
from portal.home import HomeItem, HomeSection
from portal.models import TeamFunction
from slas.governing import VersionIndex

SHOWN = 5
#: What a to-do reads of a cycle: its clock (`selectors.cycle_clock`) and its lead's name
#: (`Lead.__str__`) and company.
CYCLE_SHOWN = (
    "agreement_id",
    "version_id",
    "handoff_at",
    "clock_stop_at",
    "lead__first_name",
    "lead__last_name",
    "lead__email",
    "lead__external_id",
    "lead__company",
)


def _own_sections(user) -> list[HomeSection]:
    out = []
    now = timezone.now()
    waiting = (
        selectors.my_queue(user, now=now)
        .filter(selectors.clock_running(now))
        .select_related(None)
        .select_related("lead")
        .only(*CYCLE_SHOWN)
    )
    # Only the clocks: the queue's scores and stage definitions are not shown here, and
    # only the versions of these leads' agreements are read.
    cycles = list(waiting[:SHOWN])
    index = VersionIndex(agreement_ids={cycle.agreement_id for cycle in cycles})
    rows = [(cycle, selectors.cycle_clock(cycle, index, now)) for cycle in cycles]
    if rows or permissions.in_team_of_function(user, TeamFunction.SALES):
        out.append(
            HomeSection(
                title=_("Leads waiting for first contact"),
                items=[
                    HomeItem(
                        title=str(cycle.lead),
                        url=cycle.lead.get_absolute_url(),
                        detail=cycle.lead.company,
                        badge=clock.label,
                        tone=clock.tone,
                    )
                    for cycle, clock in rows
                ],
                empty_text=_("No lead is waiting on you."),
                more_url=reverse("leads:queue"),
                more_label=_("My leads"),
                order=10,
            )
        )
    if permissions.can_see_team_queue(user) and not permissions.is_exec(user):
        unassigned = selectors.team_queue(user).filter(lead__owner__isnull=True).count()
        if unassigned:
            out.append(
                HomeSection(
                    title=_("Unassigned handoffs in your team"),
                    items=[
                        HomeItem(
                            title=numbers.fill(
                                ngettext(
                                    "%(n)d handed-off lead has no owner",
                                    "%(n)d handed-off leads have no owner",
                                    unassigned,
                                ),
                                {"n": unassigned},
                            ),
                            url=reverse("leads:team_queue") + "?unassigned=1",
                            tone="warning",
                        )
                    ],
                    order=11,
                )
            )
    return out


def sections(user) -> list[HomeSection]:
    """This app's home-page sections: the rep's and the team's lead clocks, then reviews (sessions, action items)."""
    return _own_sections(user) + reviews_home.sections(user)
