"""Services for lead-quality feedback, review sessions and their action items.

Every writer checks `portal.permissions` itself, so the pages, the API and the demo go
through the same rules. Rule violations a person can cause raise `ValidationError`
(keyed by field, so forms and serializers show them next to the input); acting on
something the user may see but not change raises `PermissionDenied`.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterable, Sequence

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from leads.models import Cycle, Lead, LeadEvent
from leads.reviews.models import (
    ActionItem,
    ActionStatus,
    Feedback,
    ReviewedLead,
    ReviewOutcome,
    ReviewSession,
    SessionAttendee,
    SessionStatus,
)
from leads.reviews.selectors import lead_sourcer_id, review_candidates
from portal import permissions
from portal.models import Membership, Role, TeamFunction
from portal.notifications import notification_create
from portal.text import Text
from slas.models import Agreement, ReasonCode, Version
from slas.periods import Period, period_containing
from slas.selectors import version_in_force

EXIT_STAGES = ("recycled", "disqualified")
AFTER_KINDS = ("reject", "recycle", "disqualify")


# Governing version and reason codes --------------------------------------------------


def lead_governing_version(lead: Lead, *, now: dt.datetime | None = None) -> Version | None:
    """The version in force at the lead's latest handoff (docs/compliance.md#governing-version).

    A lead never handed off (or handed off while no version was in force) falls back to
    the version of its agreement in force now, so marketing can still comment with the
    agreed vocabulary.
    """
    version_id = (
        Cycle.objects.filter(lead=lead, version__isnull=False)
        .order_by("-handoff_at", "-number")
        .values_list("version_id", flat=True)
        .first()
    )
    if version_id is not None:
        return Version.objects.get(pk=version_id)
    if lead.agreement_id is None:
        return None
    return version_in_force(lead.agreement_id, now or timezone.now())


def reason_codes_for(version: Version | None) -> list[ReasonCode]:
    if version is None:
        return []
    return list(ReasonCode.objects.filter(version=version).order_by("position", "id"))


def lead_last_exit(lead: Lead) -> LeadEvent | None:
    """The lead's latest move back to marketing (recycled or disqualified), if any."""
    return (
        LeadEvent.objects.filter(lead=lead, kind="stage_changed", to_stage__in=EXIT_STAGES)
        .order_by("-occurred_at", "-id")
        .first()
    )


# Feedback ------------------------------------------------------------------------------


def _clean_feedback(
    *,
    lead: Lead,
    author,
    rating: int | None,
    reason_codes: Sequence[str],
    helped: str,
    went_wrong: str,
    note: str,
    now: dt.datetime,
) -> list[str]:
    """Validate one feedback entry; returns the reason codes de-duplicated in given order."""
    if not permissions.can_comment_on_lead(author, lead):
        raise PermissionDenied(_("You may not give feedback on this lead."))
    codes = list(dict.fromkeys(code for code in reason_codes if code))
    may_rate = permissions.can_rate_lead(author, lead)
    errors: dict[str, list[str]] = {}
    if not may_rate:
        if rating is not None:
            errors["rating"] = [
                _("Marketing may comment on a lead but not rate it: leave the rating empty.")
            ]
        if codes:
            errors["reason_codes"] = [
                _(
                    "Reason codes are the sales team's verdict: leave them to the team that got the lead."
                )
            ]
    else:
        if rating is None:
            errors["rating"] = [_("Give the lead a rating from 1 (poor) to 5 (excellent).")]
        elif not 1 <= rating <= 5:
            errors["rating"] = [_("The rating goes from 1 (poor) to 5 (excellent).")]
        if codes:
            version = lead_governing_version(lead, now=now)
            allowed = {reason.code for reason in reason_codes_for(version)}
            unknown = [code for code in codes if code not in allowed]
            if unknown:
                errors["reason_codes"] = [
                    _(
                        "These reasons are not in the agreement version that governs this lead: %(codes)s."
                    )
                    % {"codes": ", ".join(unknown)}
                ]
    if rating is None and not (helped.strip() or went_wrong.strip() or note.strip()):
        errors.setdefault("note", []).append(
            _("Write a comment so marketing knows what you think.")
        )
    if errors:
        raise ValidationError(errors)
    return codes


@transaction.atomic
def feedback_create(
    *,
    lead: Lead,
    author,
    rating: int | None = None,
    reason_codes: Sequence[str] = (),
    helped: str = "",
    went_wrong: str = "",
    note: str = "",
    now: dt.datetime | None = None,
    notify: bool = True,
) -> Feedback:
    """Write an entry; who brought the lead in and who owns it are told (`notify`)."""
    now = now or timezone.now()
    codes = _clean_feedback(
        lead=lead,
        author=author,
        rating=rating,
        reason_codes=reason_codes,
        helped=helped,
        went_wrong=went_wrong,
        note=note,
        now=now,
    )
    feedback = Feedback(
        lead=lead,
        author=author,
        rating=rating,
        reason_codes=codes,
        helped=helped.strip(),
        went_wrong=went_wrong.strip(),
        note=note.strip(),
        created_at=now,
    )
    feedback._history_user = author
    feedback._change_reason = "feedback_create"
    feedback.save()
    if notify:
        _feedback_received_notify(feedback)
    return feedback


def _person(user) -> str:
    return user.get_full_name() or user.username


def _gist(feedback: Feedback) -> str:
    """The entry's own words, first of what went wrong, the note, what helped."""
    text = feedback.went_wrong or feedback.note or feedback.helped
    return text if len(text) <= 200 else text[:199] + "…"


def feedback_entry_url(feedback: Feedback) -> str:
    """Where an entry is read: on its lead's page, at the entry."""
    return f"{feedback.lead.get_absolute_url()}#feedback-{feedback.pk}"


def _feedback_received_notify(feedback: Feedback) -> None:
    """Tell whoever brought the lead in (its `created` event's actor) and its owner, when
    they may still see the lead; never the author."""
    lead = feedback.lead
    ids = {lead_sourcer_id(lead), lead.owner_id} - {None, feedback.author_id}
    for user in get_user_model().objects.filter(pk__in=ids, is_active=True).order_by("pk"):
        if not permissions.can_view_lead(user, lead):
            continue
        notification_create(
            recipient=user,
            kind="feedback_received",
            title=Text(
                gettext_noop("Feedback on %(lead)s from %(author)s"),
                lead=str(lead),
                author=_person(feedback.author),
            ),
            dedupe_key=f"feedback_received:{feedback.pk}",
            url=feedback_entry_url(feedback),
            body=_gist(feedback),
            reason=Text(
                gettext_noop("You brought this lead in.")
                if user.pk != lead.owner_id
                else gettext_noop("You own this lead.")
            ),
        )


@transaction.atomic
def feedback_update(
    *,
    feedback: Feedback,
    user,
    rating: int | None,
    reason_codes: Sequence[str] = (),
    helped: str = "",
    went_wrong: str = "",
    note: str = "",
    now: dt.datetime | None = None,
) -> Feedback:
    """The author may change an entry for 24 hours; every change is kept in its history."""
    now = now or timezone.now()
    if feedback.author_id != user.pk:
        raise PermissionDenied(_("Only the author may change this feedback."))
    if not permissions.can_edit_feedback(user, feedback, now):
        raise ValidationError(
            _("Feedback can be changed for 24 hours after it is written; add a new entry instead.")
        )
    codes = _clean_feedback(
        lead=feedback.lead,
        author=user,
        rating=rating,
        reason_codes=reason_codes,
        helped=helped,
        went_wrong=went_wrong,
        note=note,
        now=now,
    )
    feedback.rating = rating
    feedback.reason_codes = codes
    feedback.helped = helped.strip()
    feedback.went_wrong = went_wrong.strip()
    feedback.note = note.strip()
    feedback._history_user = user
    feedback._change_reason = "feedback_update"
    # Only what the author edits: a reply written since this copy was read stays.
    feedback.save(
        update_fields=["rating", "reason_codes", "helped", "went_wrong", "note", "updated_at"]
    )
    return feedback


@transaction.atomic
def feedback_reply(
    *, feedback: Feedback, user, text: str, now: dt.datetime | None = None
) -> Feedback:
    """Marketing's one reply to an entry (its author is told). A second reply is refused,
    also when two people reply at the same moment: the row is locked while it is checked."""
    if not permissions.can_reply_to_feedback(user, feedback):
        raise PermissionDenied(_("Only the lead's marketing team may reply to its feedback."))
    text = text.strip()
    if not text:
        raise ValidationError({"reply": [_("Write your reply first.")]})
    locked = (
        Feedback.objects.select_for_update().select_related("lead", "author").get(pk=feedback.pk)
    )
    if locked.replied_at is not None:
        raise ValidationError(
            {
                "reply": [
                    _(
                        "This feedback already has a reply (from %(who)s): each entry takes one "
                        "reply. Say more at the next lead review."
                    )
                    % {"who": _person(locked.replied_by)}
                ]
            }
        )
    locked.reply = text
    locked.replied_by = user
    locked.replied_at = now or timezone.now()
    locked._history_user = user
    locked._change_reason = "feedback_reply"
    # Only the reply: no figure reads it (reports adjusts nothing).
    locked.save(update_fields=["reply", "replied_by", "replied_at", "updated_at"])
    if locked.author.is_active:
        notification_create(
            recipient=locked.author,
            kind="feedback_replied",
            title=Text(
                gettext_noop("%(who)s replied to your feedback on %(lead)s"),
                who=_person(user),
                lead=str(locked.lead),
            ),
            dedupe_key=f"feedback_replied:{locked.pk}",
            url=feedback_entry_url(locked),
            body=text if len(text) <= 200 else text[:199] + "…",
        )
    for name in ("reply", "replied_by", "replied_at"):
        setattr(feedback, name, getattr(locked, name))
    return locked


# Periods -------------------------------------------------------------------------------


def agreement_reporting_frame(
    agreement: Agreement, *, now: dt.datetime | None = None
) -> tuple[str, str]:
    """(time zone, cadence) of the agreement's version in force now, else its latest version."""
    now = now or timezone.now()
    version = version_in_force(agreement.pk, now) or agreement.versions.order_by("-number").first()
    if version is None:
        return "UTC", "month"
    return version.calendar_timezone, version.reporting_cadence


def recent_periods(tz: str, cadence: str, *, now: dt.datetime, count: int = 6) -> list[Period]:
    """The current period and the `count - 1` before it, newest first."""
    periods = [period_containing(tz, cadence, now)]
    while len(periods) < count:
        periods.append(period_containing(tz, cadence, periods[-1].start - dt.timedelta(seconds=1)))
    return periods


def default_review_period(agreement: Agreement, *, now: dt.datetime | None = None) -> Period:
    """Sessions review the last complete period of the agreement's reporting cadence."""
    now = now or timezone.now()
    tz, cadence = agreement_reporting_frame(agreement, now=now)
    return recent_periods(tz, cadence, now=now, count=2)[1]


def period_from_label(tz: str, cadence: str, label: str) -> Period:
    """Parse "2026-03" (month) or "2026-Q1" (quarter) in the calendar's time zone."""
    try:
        if cadence == "quarter":
            year, quarter = label.split("-Q")
            month = (int(quarter) - 1) * 3 + 1
            if not 1 <= int(quarter) <= 4:
                raise ValueError(label)
        else:
            year, month_text = label.split("-")
            month = int(month_text)
        from zoneinfo import ZoneInfo

        start = dt.datetime(int(year), month, 1, 12, tzinfo=ZoneInfo(tz))
    except (ValueError, TypeError):
        raise ValidationError(
            {"period": [_("Pick a period such as 2026-03 (monthly) or 2026-Q1 (quarterly).")]}
        ) from None
    return period_containing(tz, cadence, start)


# Review sessions -----------------------------------------------------------------------


def _party_member_ids(session_or_teams: Iterable[int]) -> set[int]:
    return set(
        Membership.objects.filter(
            team_id__in=list(session_or_teams), role__in=[Role.REP, Role.MANAGER]
        ).values_list("user_id", flat=True)
    )


@transaction.atomic
def review_session_schedule(
    *,
    organizer,
    agreement: Agreement,
    marketing_team_id: int,
    sales_team_id: int,
    period: Period,
    cadence: str,
    scheduled_for: dt.datetime,
    attendee_ids: Iterable[int] = (),
    title: str = "",
) -> ReviewSession:
    """Schedule a session and tell every invited person (the organizer attends too)."""
    if not permissions.can_schedule_review_session(organizer, marketing_team_id, sales_team_id):
        raise PermissionDenied(_("Only a manager of either team may schedule a lead review."))
    parties = permissions.party_team_ids(agreement)
    if {marketing_team_id, sales_team_id} - parties:
        raise ValidationError(
            {"agreement": [_("Both teams must be parties to the agreement under review.")]}
        )
    invited = set(attendee_ids) | {organizer.pk}
    outsiders = invited - _party_member_ids([marketing_team_id, sales_team_id]) - {organizer.pk}
    if outsiders:
        raise ValidationError(
            {"attendees": [_("Invite members of the two teams only.")]},
        )
    session = ReviewSession.objects.create(
        title=title.strip() or _("Lead review %(period)s") % {"period": period.label},
        agreement=agreement,
        marketing_team_id=marketing_team_id,
        sales_team_id=sales_team_id,
        cadence=cadence,
        period_label=period.label,
        period_start=period.start,
        period_end=period.end,
        scheduled_for=scheduled_for,
        organizer=organizer,
    )
    SessionAttendee.objects.bulk_create(
        [SessionAttendee(session=session, user_id=user_id) for user_id in sorted(invited)]
    )
    from django.contrib.auth import get_user_model

    when = scheduled_for  # written when read, in each reader's zone (portal.text)
    for user in get_user_model().objects.filter(pk__in=invited - {organizer.pk}):
        notification_create(
            recipient=user,
            kind="review_session_scheduled",
            title=Text(gettext_noop("Lead review scheduled: %(title)s"), title=session.title),
            # The date is in the key: a session moved to another date notifies again.
            dedupe_key=f"review_session_scheduled:{session.pk}:"
            f"{scheduled_for.astimezone(dt.UTC):%Y-%m-%dT%H:%MZ}",
            url=session.get_absolute_url(),
            body=Text(
                gettext_noop(
                    "%(organizer)s invited you to review the leads of %(period)s on %(when)s."
                ),
                organizer=organizer.get_full_name() or organizer.username,
                period=period.label,
                when=when,
            ),
            reason=Text(gettext_noop("You were invited to this lead review.")),
        )
    return session


def _require_manage(user, session: ReviewSession) -> None:
    if not permissions.can_manage_review_session(user, session):
        raise PermissionDenied(_("Only the organizer or a manager of either team may do this."))


def review_parties(agreement: Agreement) -> tuple:
    """The marketing and the sales party of an agreement under review (both must exist)."""
    parties = list(agreement.parties.all())
    marketing = next((t for t in parties if t.function == TeamFunction.MARKETING), None)
    sales = next((t for t in parties if t.function == TeamFunction.SALES), None)
    if marketing is None or sales is None:
        raise ValidationError(
            {"agreement": [_("Review sessions need a marketing and a sales party.")]}
        )
    return marketing, sales


@transaction.atomic
def review_session_create(
    *,
    organizer,
    agreement: Agreement,
    scheduled_for: dt.datetime,
    period: Period | None = None,
    attendee_ids: Iterable[int] = (),
    title: str = "",
    pick: str = "",
    sample_size: int | None = None,
    lead_source: str = "",
    owner_id: int | None = None,
) -> tuple[ReviewSession, int]:
    """Schedule a lead review of an agreement's marketing and sales parties and put the
    leads it reviews on its agenda (`pick`, see review_session_pick_leads), all or
    nothing. The page and the API both create sessions through this. `period`: the
    reporting period under review (default: default_review_period). Returns the session
    and how many leads were put on its agenda."""
    marketing, sales = review_parties(agreement)
    _tz, cadence = agreement_reporting_frame(agreement)
    session = review_session_schedule(
        organizer=organizer,
        agreement=agreement,
        marketing_team_id=marketing.pk,
        sales_team_id=sales.pk,
        period=period or default_review_period(agreement),
        cadence=cadence,
        scheduled_for=scheduled_for,
        attendee_ids=attendee_ids,
        title=title,
    )
    added = 0
    if pick:
        added = review_session_pick_leads(
            session=session,
            user=organizer,
            kind=pick,
            sample_size=sample_size,
            lead_source=lead_source,
            owner_id=owner_id,
        )
    return session, added


@transaction.atomic
def review_session_pick_leads(
    *,
    session: ReviewSession,
    user,
    kind: str,
    sample_size: int | None = None,
    lead_source: str = "",
    owner_id: int | None = None,
    seed: int | None = None,
) -> int:
    """Add the leads matching the filters (a random sample of N if given); returns how many were new."""
    _require_manage(user, session)
    candidates = review_candidates(
        session=session, kind=kind, lead_source=lead_source, owner_id=owner_id
    )
    already = set(session.leads.values_list("lead_id", flat=True))
    candidates = [c for c in candidates if c.lead_id not in already]
    if sample_size is not None and sample_size < len(candidates):
        rng = random.Random(seed)  # noqa: S311 - a meeting agenda, not a secret
        candidates = sorted(rng.sample(candidates, sample_size), key=lambda c: c.at)
    start = session.leads.count()
    ReviewedLead.objects.bulk_create(
        [
            ReviewedLead(
                session=session,
                lead_id=c.lead_id,
                cycle_id=c.cycle_id,
                picked_because=c.because,
                position=start + i,
            )
            for i, c in enumerate(candidates)
        ]
    )
    return len(candidates)


@transaction.atomic
def reviewed_lead_remove(*, reviewed_lead: ReviewedLead, user) -> None:
    _require_manage(user, reviewed_lead.session)
    reviewed_lead.delete()


@transaction.atomic
def reviewed_lead_record(
    *, reviewed_lead: ReviewedLead, user, outcome: str, note: str = "", now=None
) -> ReviewedLead:
    _require_manage(user, reviewed_lead.session)
    if outcome not in ReviewOutcome.values:
        raise ValidationError({"outcome": [_("Pick one of the outcomes.")]})
    reviewed_lead.outcome = outcome
    reviewed_lead.note = note.strip()
    reviewed_lead.decided_by = user
    reviewed_lead.decided_at = now or timezone.now()
    reviewed_lead._history_user = user
    reviewed_lead.save()
    return reviewed_lead


@transaction.atomic
def review_session_record_minutes(
    *,
    session: ReviewSession,
    user,
    attended_ids: Iterable[int],
    summary: str,
    held: bool,
) -> ReviewSession:
    """Who came, the summary, and whether the meeting took place."""
    _require_manage(user, session)
    attended = set(attended_ids)
    invited = set(session.attendees.values_list("user_id", flat=True))
    if attended - invited:
        raise ValidationError({"attended": [_("Only invited people can be marked as present.")]})
    session.attendees.filter(user_id__in=attended).update(attended=True)
    session.attendees.exclude(user_id__in=attended).update(attended=False)
    session.summary = summary.strip()
    session.status = SessionStatus.HELD if held else SessionStatus.SCHEDULED
    session._history_user = user
    session.save()
    return session


# Action items ------------------------------------------------------------------------


@transaction.atomic
def action_item_create(
    *,
    session: ReviewSession,
    user,
    title: str,
    owner,
    due_date: dt.date,
    reviewed_lead: ReviewedLead | None = None,
) -> ActionItem:
    """Assign an action to a member of either party; the owner is told."""
    _require_manage(user, session)
    errors: dict[str, list[str]] = {}
    if not title.strip():
        errors["title"] = [_("Say what needs doing.")]
    if owner.pk not in _party_member_ids([session.marketing_team_id, session.sales_team_id]):
        errors["owner"] = [_("The owner must be a member of one of the two teams.")]
    if reviewed_lead is not None and reviewed_lead.session_id != session.pk:
        errors["reviewed_lead"] = [_("That lead is not on this session's agenda.")]
    if errors:
        raise ValidationError(errors)
    item = ActionItem(
        session=session,
        reviewed_lead=reviewed_lead,
        title=title.strip(),
        owner=owner,
        due_date=due_date,
        created_by=user,
    )
    item._history_user = user
    item.save()
    if owner.pk != user.pk:
        notification_create(
            recipient=owner,
            kind="action_item_assigned",
            title=Text(gettext_noop("Action for you: %(title)s"), title=item.title),
            dedupe_key=f"action_item_assigned:{item.pk}",
            url=item.get_absolute_url(),
            body=Text(
                gettext_noop("From the lead review “%(session)s”, due %(due)s."),
                session=session.title,
                due=due_date,
            ),
            reason=Text(gettext_noop("You own this action item.")),
        )
    return item


@transaction.atomic
def action_item_update(
    *,
    item: ActionItem,
    user,
    status: str | None = None,
    due_date: dt.date | None = None,
    title: str | None = None,
    now: dt.datetime | None = None,
) -> ActionItem:
    """Move an item along (its owner or the session's managers); done items record when."""
    if not permissions.can_update_action_item(user, item):
        raise PermissionDenied(_("Only the owner or the session's managers may change this item."))
    if status is not None:
        if status not in ActionStatus.values:
            raise ValidationError({"status": [_("Pick open, in progress or done.")]})
        if status == ActionStatus.DONE and item.status != ActionStatus.DONE:
            item.done_at = now or timezone.now()
        elif status != ActionStatus.DONE:
            item.done_at = None
        item.status = status
    if due_date is not None or title is not None:
        if not permissions.can_manage_review_session(user, item.session):
            raise PermissionDenied(
                _("Only the session's managers may change the action or its date.")
            )
        if due_date is not None:
            item.due_date = due_date
        if title is not None:
            if not title.strip():
                raise ValidationError({"title": [_("Say what needs doing.")]})
            item.title = title.strip()
    item._history_user = user
    item.save()
    return item
