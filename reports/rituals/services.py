"""Writes on meetings: the one path the pages (and the demo) go through. Managers of a party
team (or staff) schedule meetings, set cadences, write minutes and attendance, assign
action items and propose changes; an action item's owner may also mark it done."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from leads.reviews.models import ReviewSession
from portal import permissions
from portal.notifications import notification_create
from portal.text import Text
from reports.rituals.agenda import agenda_build
from reports.rituals.models import (
    Frequency,
    Meeting,
    MeetingAction,
    MeetingAttendee,
    MeetingKind,
    RitualCadence,
)
from slas import services as slas_services
from slas.history import Source
from slas.models import Agreement


def _require_manager(actor, agreement: Agreement) -> None:
    if actor is None or not permissions.can_manage_agreement(actor, agreement):
        raise PermissionDenied(_("Only managers of a party team organise its meetings."))


def party_people(agreement: Agreement):
    """Everybody on the agreement's party teams, by name (a queryset)."""
    return (
        get_user_model()
        .objects.filter(memberships__team__in=agreement.parties.all())
        .distinct()
        .order_by("first_name", "username")
    )


# Cadence ------------------------------------------------------------------------------


def next_occurrence(cadence: RitualCadence, tz: str, after: dt.datetime) -> dt.datetime:
    """The first meeting time of the cadence after `after` (local time in `tz`; daily
    skips Saturdays and Sundays; a weekly cadence without a weekday meets on Mondays, a
    monthly one without a day on the 1st)."""
    zone = ZoneInfo(tz)
    local = after.astimezone(zone)
    day = local.date()
    for _step in range(400):
        candidate = dt.datetime.combine(day, cadence.time, tzinfo=zone)
        if candidate > after and _matches(cadence, day):
            return candidate
        day += dt.timedelta(days=1)
    raise ValueError("no occurrence within 400 days")  # pragma: no cover - every cadence meets


def _matches(cadence: RitualCadence, day: dt.date) -> bool:
    if cadence.frequency == Frequency.DAILY:
        return day.weekday() < 5
    if cadence.frequency in (Frequency.WEEKLY, Frequency.BIWEEKLY):
        if day.weekday() != (cadence.weekday if cadence.weekday is not None else 0):
            return False
        return cadence.frequency == Frequency.WEEKLY or day.isocalendar().week % 2 == 0
    return day.day == (cadence.day_of_month or 1)


@transaction.atomic
def ritual_cadence_set(
    *,
    actor,
    agreement: Agreement,
    kind: str,
    frequency: str,
    time: dt.time,
    duration_minutes: int = 30,
    weekday: int | None = None,
    day_of_month: int | None = None,
) -> RitualCadence:
    _require_manager(actor, agreement)
    cadence, _created = RitualCadence.objects.get_or_create(
        agreement=agreement, kind=kind, defaults={"frequency": frequency}
    )
    cadence.frequency = frequency
    cadence.time = time
    cadence.duration_minutes = duration_minutes
    cadence.weekday = weekday
    cadence.day_of_month = day_of_month
    cadence.full_clean()
    cadence.save()
    return cadence


# Meetings ---------------------------------------------------------------------------


def _default_title(kind: str, at: dt.datetime, tz: str) -> str:
    label = str(MeetingKind(kind).label)
    return f"{label} · {at.astimezone(ZoneInfo(tz)).date().isoformat()}"


@transaction.atomic
def meeting_create(
    *,
    actor,
    agreement: Agreement,
    kind: str,
    scheduled_for: dt.datetime,
    duration_minutes: int = 30,
    title: str = "",
    attendee_ids: Iterable[int] = (),
    review_session: ReviewSession | None = None,
    now: dt.datetime | None = None,
) -> Meeting:
    """Schedule a meeting, build its agenda from the data as of now, invite the attendees
    (everybody on the parties when none is named) and tell them, with the .ics."""
    _require_manager(actor, agreement)
    now = now or timezone.now()
    if kind not in MeetingKind.values:
        raise ValidationError({"kind": _("Unknown kind of meeting.")})
    if kind == MeetingKind.LEAD_REVIEW:
        if review_session is None:
            raise ValidationError(
                {"review_session": _("A lead review meeting is held on a review session.")}
            )
        if review_session.agreement_id != agreement.pk:
            raise ValidationError(
                {"review_session": _("Choose a review session of this agreement.")}
            )
    elif review_session is not None:
        raise ValidationError(
            {"review_session": _("Only a lead review meeting is held on a review session.")}
        )
    if duration_minutes < 1:
        raise ValidationError({"duration_minutes": _("A meeting lasts at least a minute.")})
    agenda, version = agenda_build(
        agreement_id=agreement.pk,
        kind=kind,
        at=scheduled_for,
        now=now,
        review_session=review_session,
    )
    tz = version.calendar_timezone if version else "UTC"
    meeting = Meeting.objects.create(
        agreement=agreement,
        kind=kind,
        title=(title or "").strip() or _default_title(kind, scheduled_for, tz),
        scheduled_for=scheduled_for,
        duration_minutes=duration_minutes,
        organizer=actor,
        version=version,
        agenda=agenda,
        review_session=review_session,
    )
    people = {user.pk: user for user in party_people(agreement)}
    invited = [people[pk] for pk in attendee_ids if pk in people] or list(people.values())
    if actor.pk in people and actor not in invited:
        invited.append(actor)
    MeetingAttendee.objects.bulk_create(
        [MeetingAttendee(meeting=meeting, user=user) for user in invited]
    )
    for user in invited:
        notification_create(
            recipient=user,
            kind="meeting_scheduled",
            title=Text(
                gettext_noop("%(meeting)s on %(when)s"), meeting=meeting.title, when=scheduled_for
            ),
            body=Text(gettext_noop("%(agreement)s: the agenda is ready."), agreement=agreement),
            dedupe_key=f"meeting_scheduled:meeting{meeting.pk}",
            url=meeting.get_absolute_url(),
            event={
                "uid": f"meeting-{meeting.pk}@sla-portal",
                "start": meeting.scheduled_for,
                "end": meeting.ends_at,
                "summary": meeting.title,
                "description": agreement.title,
            },
        )
    return meeting


def _require_meeting_manager(actor, meeting: Meeting) -> None:
    _require_manager(actor, meeting.agreement)


@transaction.atomic
def meeting_minutes_save(
    *, actor, meeting: Meeting, minutes: str, held: bool, attended_ids: Iterable[int]
) -> Meeting:
    """The minutes, whether it was held, and who attended (of the invited)."""
    _require_meeting_manager(actor, meeting)
    meeting.minutes = minutes
    meeting.held = held
    meeting.full_clean(exclude=["agreement", "organizer", "version"])
    meeting.save(update_fields=["minutes", "held", "updated_at"])
    attended = set(attended_ids)
    for attendee in meeting.attendees.all():
        value = attendee.user_id in attended
        if attendee.attended != value:
            attendee.attended = value
            attendee.save(update_fields=["attended"])
    return meeting


@transaction.atomic
def meeting_action_add(
    *, actor, meeting: Meeting, title: str, owner, due_date: dt.date
) -> MeetingAction:
    _require_meeting_manager(actor, meeting)
    if owner.pk not in {user.pk for user in party_people(meeting.agreement)}:
        raise ValidationError({"owner": _("The owner is someone of a party team.")})
    title = (title or "").strip()
    if not title:
        raise ValidationError({"title": _("Say what is to be done.")})
    action = MeetingAction.objects.create(
        meeting=meeting, title=title, owner=owner, due_date=due_date, created_by=actor
    )
    notification_create(
        recipient=owner,
        kind="action_item_assigned",
        title=Text(gettext_noop("Action item: %(title)s"), title=title),
        body=Text(
            gettext_noop("From %(meeting)s, due %(date)s."), meeting=meeting.title, date=due_date
        ),
        dedupe_key=f"action_item_assigned:meetingaction{action.pk}",
        url=meeting.get_absolute_url(),
    )
    return action


def can_close_action(user, action: MeetingAction) -> bool:
    return action.owner_id == user.pk or permissions.can_manage_agreement(
        user, action.meeting.agreement
    )


@transaction.atomic
def meeting_action_done(*, actor, action: MeetingAction, done: bool = True) -> MeetingAction:
    if not can_close_action(actor, action):
        raise PermissionDenied(_("The owner or a manager of a party team closes it."))
    action.done_at = timezone.now() if done else None
    action.save(update_fields=["done_at"])
    return action


@transaction.atomic
def meeting_propose_change(*, actor, meeting: Meeting, change: str):
    """Start the draft of the next version from the meeting (a retrospective or a monthly
    review), with the change as its summary and a link back to the meeting."""
    _require_meeting_manager(actor, meeting)
    if not meeting.may_propose:
        raise ValidationError(
            _("Only a retrospective or a monthly review proposes a change to the agreement.")
        )
    if meeting.proposed_version_id is not None:
        raise ValidationError(_("This meeting already proposed a change: edit that draft."))
    change = (change or "").strip()
    if not change:
        raise ValidationError({"change": _("Say what should change.")})
    draft = slas_services.version_amend(actor=actor, agreement=meeting.agreement)
    summary = _("Proposed at %(meeting)s (%(url)s): %(change)s") % {
        "meeting": meeting.title,
        "url": meeting.get_absolute_url(),
        "change": change,
    }
    draft = slas_services.version_update(
        actor=actor,
        version=draft,
        data={"change_summary": summary},
        source=Source.WEB,
        what=gettext_noop("change proposed at a meeting"),
    )
    meeting.proposed_version = draft
    meeting.save(update_fields=["proposed_version", "updated_at"])
    return draft
