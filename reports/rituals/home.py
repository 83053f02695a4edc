"""Home-page items of the team rituals: the meetings of the next two weeks the person is
invited to, and their open meeting action items (overdue flagged)."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from portal import dates
from portal.home import HomeItem, HomeSection
from reports.rituals.models import Meeting, MeetingAction

AHEAD = dt.timedelta(days=14)


def sections(user) -> list[HomeSection]:
    if not getattr(user, "is_authenticated", False):
        return []
    now = timezone.now()
    today = timezone.localdate(now)
    result = []
    meetings = (
        Meeting.objects.filter(
            attendees__user=user,
            scheduled_for__gte=now - dt.timedelta(hours=1),
            scheduled_for__lt=now + AHEAD,
        )
        .select_related("agreement")
        .only("title", "kind", "scheduled_for", "agreement__title")
        .order_by("scheduled_for", "id")[:8]
    )
    items = [
        HomeItem(
            title=meeting.title,
            url=meeting.get_absolute_url(),
            detail=_("%(agreement)s · %(when)s")
            % {
                "agreement": meeting.agreement.title,
                "when": dates.when_short(meeting.scheduled_for),
            },
            badge=str(meeting.get_kind_display()),
            tone="info",
        )
        for meeting in meetings
    ]
    for action in (
        MeetingAction.objects.filter(owner=user, done_at__isnull=True)
        .select_related("meeting")
        .only("title", "due_date", "meeting__title")
        .order_by("due_date", "id")[:10]
    ):
        overdue = action.due_date < today
        items.append(
            HomeItem(
                title=action.title,
                url=action.meeting.get_absolute_url(),
                detail=_("%(meeting)s · due %(date)s")
                % {"meeting": action.meeting.title, "date": dates.day_short(action.due_date)},
                badge=_("Overdue") if overdue else _("Open"),
                tone="danger" if overdue else "",
            )
        )
    if items:
        result.append(
            HomeSection(
                title=_("Your meetings and their action items"),
                items=items,
                more_url=reverse("reports:index"),
                more_label=_("Reports"),
                order=35,
            )
        )
    return result
