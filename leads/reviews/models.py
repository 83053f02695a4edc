"""Lead reviews: lead-quality feedback, and sessions where managers of both parties review leads, and action items.

Lead-quality feedback (`Feedback`) is a rep's or manager's verdict on a lead they received;
the author may edit it for `FEEDBACK_EDIT_WINDOW`, and simple-history keeps every version.
These models belong to the `leads` app (its `models` module names them).
"""

from __future__ import annotations

import datetime

import simple_history
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from portal import limits
from portal.limits import limited_text
from portal.models import Team

__all__ = [
    "FEEDBACK_EDIT_WINDOW",
    "Feedback",
    "ActionItem",
    "ActionStatus",
    "PickReason",
    "ReviewOutcome",
    "ReviewSession",
    "ReviewedLead",
    "SessionAttendee",
    "SessionStatus",
]

FEEDBACK_EDIT_WINDOW = datetime.timedelta(hours=24)


class Feedback(models.Model):
    """Lead-quality feedback: a rep's (or manager's) verdict on a lead they received."""

    lead = models.ForeignKey("leads.Lead", on_delete=models.CASCADE, related_name="feedback")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="lead_feedback"
    )
    rating = models.PositiveSmallIntegerField(_("rating"), null=True, blank=True)
    reason_codes = models.JSONField(_("reasons"), default=list, blank=True)
    helped = limited_text(_("what helped"), limits.NOTE, blank=True)
    went_wrong = limited_text(_("what went wrong"), limits.NOTE, blank=True)
    note = limited_text(_("note"), limits.NOTE, blank=True)
    created_at = models.DateTimeField(_("created"), db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Marketing's one answer to the entry (leads.reviews.services.feedback_reply): the loop
    # closes where it opened, and the review session's agenda shows it with the entry.
    reply = limited_text(_("reply"), limits.NOTE, blank=True)
    replied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    replied_at = models.DateTimeField(_("replied"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5),
                name="feedback_rating_1_to_5",
            ),
            # A reply is all there (text, who, when) or not at all.
            models.CheckConstraint(
                condition=Q(reply="", replied_by__isnull=True, replied_at__isnull=True)
                | (~Q(reply="") & Q(replied_by__isnull=False, replied_at__isnull=False)),
                name="feedback_reply_complete",
            ),
        ]
        indexes = [models.Index(fields=["lead", "created_at"])]
        verbose_name = _("lead feedback")
        verbose_name_plural = _("lead feedback")

    def __str__(self) -> str:
        return f"{self.lead_id} · {self.rating or '-'}"

    def editable_until(self) -> datetime.datetime:
        """The author may edit it until then (FEEDBACK_EDIT_WINDOW after writing it)."""
        return self.created_at + FEEDBACK_EDIT_WINDOW

    @property
    def has_reply(self) -> bool:
        return self.replied_at is not None


# The author may edit for FEEDBACK_EDIT_WINDOW: simple-history keeps every version.
simple_history.register(Feedback, app="leads", excluded_fields=["updated_at"])


class SessionStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    HELD = "held", _("Held")


class ReviewSession(models.Model):
    """A lead review meeting for one reporting period of one agreement; its page is the minutes."""

    title = models.CharField(_("title"), max_length=200)
    agreement = models.ForeignKey(
        "slas.Agreement", on_delete=models.PROTECT, related_name="review_sessions"
    )
    marketing_team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="+")
    sales_team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="+")
    cadence = models.CharField(_("cadence"), max_length=16, default="month")
    period_label = models.CharField(_("period"), max_length=16)
    period_start = models.DateTimeField(_("period starts"))
    period_end = models.DateTimeField(_("period ends"))
    scheduled_for = models.DateTimeField(_("meeting time"))
    organizer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="organized_reviews"
    )
    status = models.CharField(
        _("status"), max_length=16, choices=SessionStatus.choices, default=SessionStatus.SCHEDULED
    )
    summary = limited_text(_("summary"), limits.LONG, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-scheduled_for", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gt=models.F("period_start")),
                name="review_session_period_ordered",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["scheduled", "held"]), name="review_session_status_valid"
            ),
        ]
        indexes = [models.Index(fields=["agreement", "period_start"])]
        verbose_name = _("review session")
        verbose_name_plural = _("review sessions")

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("reviews:session_detail", args=[self.pk])


class SessionAttendee(models.Model):
    session = models.ForeignKey(ReviewSession, on_delete=models.CASCADE, related_name="attendees")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="review_invitations"
    )
    attended = models.BooleanField(_("attended"), default=False)

    class Meta:
        ordering = ["user__first_name", "user__username"]
        constraints = [
            models.UniqueConstraint(fields=["session", "user"], name="attendee_once_per_session")
        ]

    def __str__(self) -> str:
        return f"{self.session_id} · {self.user}"


class PickReason(models.TextChoices):
    REJECTED = "rejected", _("Rejected")
    RECYCLED = "recycled", _("Recycled")
    WON = "won", _("Won")
    LOST = "lost", _("Lost")
    HANDED_OFF = "handed_off", _("Handed off")


class ReviewOutcome(models.TextChoices):
    GOOD_LEAD = "good_lead", _("Good lead")
    BAD_FIT = "bad_fit", _("Bad fit")
    BAD_TIMING = "bad_timing", _("Bad timing")
    SALES_FOLLOW_UP = "sales_follow_up", _("Sales follow-up issue")
    DATA_ISSUE = "data_issue", _("Data issue")


class ReviewedLead(models.Model):
    """A lead on a session's agenda; `outcome` is blank until the session decides."""

    session = models.ForeignKey(ReviewSession, on_delete=models.CASCADE, related_name="leads")
    lead = models.ForeignKey("leads.Lead", on_delete=models.CASCADE, related_name="reviews")
    cycle = models.ForeignKey(
        "leads.Cycle", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    picked_because = models.CharField(
        _("picked because"), max_length=16, choices=PickReason.choices
    )
    outcome = models.CharField(
        _("outcome"), max_length=32, choices=ReviewOutcome.choices, blank=True
    )
    note = limited_text(_("note"), limits.NOTE, blank=True)
    position = models.PositiveIntegerField(default=0)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["session", "lead"], name="reviewed_lead_once"),
            models.CheckConstraint(
                condition=Q(outcome="") | Q(outcome__in=[c for c, _label in ReviewOutcome.choices]),
                name="reviewed_lead_outcome_valid",
            ),
        ]
        verbose_name = _("reviewed lead")
        verbose_name_plural = _("reviewed leads")

    def __str__(self) -> str:
        return f"{self.session_id} · {self.lead_id}"


class ActionStatus(models.TextChoices):
    OPEN = "open", _("Open")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")


class ActionItem(models.Model):
    """Something a session agreed to do, owned by one person, due on a date."""

    session = models.ForeignKey(ReviewSession, on_delete=models.CASCADE, related_name="actions")
    reviewed_lead = models.ForeignKey(
        ReviewedLead, null=True, blank=True, on_delete=models.SET_NULL, related_name="actions"
    )
    title = models.CharField(_("action"), max_length=255)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="review_actions"
    )
    due_date = models.DateField(_("due date"))
    status = models.CharField(
        _("status"), max_length=16, choices=ActionStatus.choices, default=ActionStatus.OPEN
    )
    done_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["due_date", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["open", "in_progress", "done"]),
                name="action_item_status_valid",
            ),
            models.CheckConstraint(
                condition=(Q(status="done") & Q(done_at__isnull=False))
                | (~Q(status="done") & Q(done_at__isnull=True)),
                name="action_item_done_iff_done_at",
            ),
        ]
        indexes = [models.Index(fields=["owner", "status", "due_date"])]
        verbose_name = _("action item")
        verbose_name_plural = _("action items")

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return f"{self.session.get_absolute_url()}#action-{self.pk}"

    def is_overdue(self, today: datetime.date) -> bool:
        return self.status != ActionStatus.DONE and self.due_date < today
