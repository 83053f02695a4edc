"""Home-page to-dos of the feedback loop: open action items (overdue flagged), upcoming
review sessions, and returned leads still waiting for the rep's feedback."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from leads.reviews.selectors import (
    action_items_open_for,
    feedback_on_my_leads,
    leads_awaiting_feedback,
    upcoming_review_sessions_of,
)
from portal import dates, permissions
from portal.home import HomeItem, HomeSection

FEEDBACK_LOOKBACK = dt.timedelta(days=30)
#: What the cards show of a lead: its name (`Lead.__str__`) and company.
LEAD_SHOWN = ("first_name", "last_name", "email", "external_id", "company")


def _when(moment: dt.datetime) -> str:
    """Day and time, as every page writes them (portal.dates), in the reader's zone."""
    return dates.when_short(moment)


def sections(user) -> list[HomeSection]:
    now = timezone.now()
    today = timezone.localdate(now)
    result: list[HomeSection] = []

    items = []
    for item in action_items_open_for(user).only("title", "due_date", "status", "session__title")[
        :10
    ]:
        overdue = item.is_overdue(today)
        items.append(
            HomeItem(
                title=item.title,
                url=item.get_absolute_url(),
                detail=_("%(session)s · due %(date)s")
                % {
                    "session": item.session.title,
                    "date": dates.day_short(item.due_date),
                },
                badge=_("Overdue") if overdue else _("Open"),
                tone="danger" if overdue else "",
            )
        )
    if items:
        result.append(
            HomeSection(
                title=_("Your action items from lead reviews"),
                items=items,
                more_url=reverse("reviews:index"),
                more_label=_("All lead reviews"),
                order=30,
            )
        )

    upcoming = [
        HomeItem(
            title=session.title,
            url=session.get_absolute_url(),
            detail=_("Reviews %(period)s") % {"period": session.period_label},
            badge=_when(session.scheduled_for),
        )
        for session in upcoming_review_sessions_of(user, now=now, limit=5)
    ]
    if upcoming:
        result.append(HomeSection(title=_("Upcoming lead reviews"), items=upcoming, order=40))

    waiting = [
        HomeItem(
            title=str(cycle.lead),
            url=f"{reverse('reviews:feedback_create', args=[cycle.lead_id])}?after="
            + ("reject" if cycle.rejected_at else "recycle"),
            detail=cycle.lead.company,
            badge=_("Feedback needed"),
            tone="warning",
        )
        for cycle in leads_awaiting_feedback(user, since=now - FEEDBACK_LOOKBACK).only(
            "rejected_at", *(f"lead__{name}" for name in LEAD_SHOWN)
        )[:8]
    ]
    if waiting:
        result.append(
            HomeSection(
                title=_("Returned leads waiting for your feedback"), items=waiting, order=35
            )
        )
    result += _feedback_on_my_leads(user)
    return result


def _feedback_on_my_leads(user) -> list[HomeSection]:
    """The latest feedback on the leads this person brought in or owns (a card only when
    there is some), each waiting for a reply said so."""
    latest = list(
        feedback_on_my_leads(user)
        .select_related(None)
        .select_related("lead", "author")
        .only(
            "rating",
            "created_at",
            "replied_at",
            "author__first_name",
            "author__last_name",
            "author__username",
            "lead__marketing_team_id",
            *(f"lead__{name}" for name in LEAD_SHOWN),
        )[:5]
    )
    if not latest:
        return []
    items = []
    for entry in latest:
        waiting = not entry.has_reply and permissions.can_reply_to_feedback(user, entry)
        items.append(
            HomeItem(
                title=str(entry.lead),
                url=f"{reverse('reviews:my_feedback')}#feedback-{entry.pk}",
                detail=_("%(author)s · %(when)s")
                % {
                    "author": entry.author.get_full_name() or entry.author.username,
                    "when": _when(entry.created_at),
                },
                badge=_("Rated %(rating)s of 5") % {"rating": entry.rating}
                if entry.rating
                else _("Comment"),
                tone="warning" if waiting else "",
                badge_title=_("Waiting for your reply") if waiting else "",
            )
        )
    return [
        HomeSection(
            title=_("Feedback on your leads"),
            items=items,
            more_url=reverse("reviews:my_feedback"),
            more_label=_("All feedback on your leads"),
            order=36,
        )
    ]
