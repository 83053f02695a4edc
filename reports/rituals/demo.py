"""Demo meetings of the Marketing ⇄ Sales agreement: its cadences, the last monthly SLA
review (held, with minutes, attendance and an action item still open), a retrospective that
proposed nothing yet, and the next stand-up, each at its cadence's time in the agreement's
calendar, each agenda built from the demo's data."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.utils import timezone

from leads.reviews.models import ReviewSession
from reports.rituals import services
from reports.rituals.agenda import version_now
from reports.rituals.models import Meeting
from slas.models import Agreement

AGREEMENT_TITLE = "Marketing ⇄ Sales SLA"


def _say(stdout, text: str) -> None:
    if stdout is not None:
        stdout.write(text)


def _last_occurrence(cadence, tz: str, now: dt.datetime) -> dt.datetime:
    """The cadence's latest meeting time before `now` (a monthly one: within 40 days)."""
    at = services.next_occurrence(cadence, tz, now - dt.timedelta(days=40))
    while (following := services.next_occurrence(cadence, tz, at)) < now:
        at = following
    return at


def seed(stdout=None) -> None:
    agreement = Agreement.objects.filter(title=AGREEMENT_TITLE).first()
    if agreement is None or Meeting.objects.filter(agreement=agreement).exists():
        return
    users = {u.username: u for u in get_user_model().objects.all()}
    alice, carol = users["alice"], users["carol"]
    cadences = {}
    for kind, frequency, time, minutes, extra in (
        ("standup", "daily", dt.time(9, 15), 15, {}),
        ("retrospective", "biweekly", dt.time(15, 0), 60, {"weekday": 4}),
        ("monthly_review", "monthly", dt.time(10, 0), 60, {"day_of_month": 5}),
        ("lead_review", "monthly", dt.time(14, 0), 45, {"day_of_month": 7}),
    ):
        cadences[kind] = services.ritual_cadence_set(
            actor=alice,
            agreement=agreement,
            kind=kind,
            frequency=frequency,
            time=time,
            duration_minutes=minutes,
            **extra,
        )
    now = timezone.now()
    # Each meeting at its cadence's time in the agreement's calendar: the monthly review
    # at its last occurrence (held), the retrospective and the stand-up at their next.
    version = version_now(agreement.pk)
    tz = version.calendar_timezone if version else "UTC"
    review = services.meeting_create(
        actor=carol,
        agreement=agreement,
        kind="monthly_review",
        scheduled_for=_last_occurrence(cadences["monthly_review"], tz, now),
        duration_minutes=60,
        now=now,
    )
    people = list(review.attendees.select_related("user"))
    services.meeting_minutes_save(
        actor=carol,
        meeting=review,
        minutes=(
            "First contact slipped on Mondays: leads handed off over the weekend wait for "
            "the Monday queue. Marketing will flag weekend demo requests; sales will check "
            "the queue at 09:00."
        ),
        held=True,
        attended_ids=[a.user_id for a in people if a.user.username in ("alice", "carol", "dan")],
    )
    services.meeting_action_add(
        actor=carol,
        meeting=review,
        title="Flag weekend demo requests for the Monday queue",
        owner=users["bob"],
        due_date=(now + dt.timedelta(days=4)).date(),
    )
    services.meeting_create(
        actor=alice,
        agreement=agreement,
        kind="retrospective",
        scheduled_for=services.next_occurrence(cadences["retrospective"], tz, now),
        duration_minutes=60,
        now=now,
    )
    services.meeting_create(
        actor=alice,
        agreement=agreement,
        kind="standup",
        scheduled_for=services.next_occurrence(cadences["standup"], tz, now),
        duration_minutes=15,
        now=now,
    )
    session = ReviewSession.objects.filter(agreement=agreement).order_by("-scheduled_for").first()
    if session is not None:
        services.meeting_create(
            actor=carol,
            agreement=agreement,
            kind="lead_review",
            scheduled_for=session.scheduled_for,
            duration_minutes=45,
            review_session=session,
            now=now,
        )
    _say(stdout, "  meetings: cadences, a held monthly review, a retrospective, a stand-up\n")
