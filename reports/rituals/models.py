"""Meetings of an agreement's teams (models of the `reports` app, imported with its models).

A lead review meeting points to the review session that holds its leads, outcomes and
minutes (`leads.ReviewSession`): it is not a second copy of it.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from portal import limits
from portal.limits import limited_text


class MeetingKind(models.TextChoices):
    STANDUP = "standup", _("Stand-up")
    RETROSPECTIVE = "retrospective", _("Retrospective")
    MONTHLY_REVIEW = "monthly_review", _("Monthly SLA review")
    LEAD_REVIEW = "lead_review", _("Lead review")


#: Kinds whose meeting may propose a change to the agreement (a draft of the next version).
PROPOSING_KINDS = (MeetingKind.RETROSPECTIVE, MeetingKind.MONTHLY_REVIEW)


class Frequency(models.TextChoices):
    DAILY = "daily", _("Every working day")
    WEEKLY = "weekly", _("Weekly")
    BIWEEKLY = "biweekly", _("Every two weeks")
    MONTHLY = "monthly", _("Monthly")


class RitualCadence(models.Model):
    """How often a kind of meeting is held for an agreement, at what local time."""

    agreement = models.ForeignKey(
        "slas.Agreement", on_delete=models.CASCADE, related_name="ritual_cadences"
    )
    kind = models.CharField(_("meeting"), max_length=16, choices=MeetingKind.choices)
    frequency = models.CharField(_("how often"), max_length=16, choices=Frequency.choices)
    weekday = models.PositiveSmallIntegerField(_("weekday (0 = Monday)"), null=True, blank=True)
    day_of_month = models.PositiveSmallIntegerField(_("day of the month"), null=True, blank=True)
    time = models.TimeField(_("local time"), default=dt.time(9, 30))
    duration_minutes = models.PositiveSmallIntegerField(_("minutes"), default=30)

    class Meta:
        app_label = "reports"
        ordering = ["agreement", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["agreement", "kind"], name="ritual_cadence_once"),
            models.CheckConstraint(
                condition=Q(weekday__isnull=True) | Q(weekday__lte=6),
                name="ritual_cadence_weekday_valid",
            ),
            models.CheckConstraint(
                condition=Q(day_of_month__isnull=True)
                | Q(day_of_month__gte=1, day_of_month__lte=28),
                name="ritual_cadence_day_valid",
            ),
            models.CheckConstraint(
                condition=Q(duration_minutes__gt=0), name="ritual_cadence_duration_positive"
            ),
        ]
        verbose_name = _("meeting cadence")
        verbose_name_plural = _("meeting cadences")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.get_frequency_display()}"


class Meeting(models.Model):
    agreement = models.ForeignKey(
        "slas.Agreement", on_delete=models.CASCADE, related_name="meetings"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=MeetingKind.choices)
    title = models.CharField(_("title"), max_length=200)
    scheduled_for = models.DateTimeField(_("meeting time"))
    duration_minutes = models.PositiveSmallIntegerField(_("minutes"), default=30)
    organizer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="organized_meetings"
    )
    # The version in force when the meeting was created (the agenda's figures are its).
    version = models.ForeignKey(
        "slas.Version", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The agenda as built from the data at creation: [{"key", "items": [{...}]}].
    agenda = models.JSONField(default=list, blank=True)
    minutes = limited_text(_("minutes"), limits.LONG, blank=True)
    held = models.BooleanField(_("held"), default=False)
    # A lead review meeting: the session with its leads, outcomes and minutes.
    review_session = models.ForeignKey(
        "leads.ReviewSession",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("review session"),
    )
    # "Propose a change": the draft of the next version this meeting started.
    proposed_version = models.ForeignKey(
        "slas.Version",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("proposed change"),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        app_label = "reports"
        ordering = ["-scheduled_for", "-id"]
        indexes = [models.Index(fields=["agreement", "scheduled_for"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(duration_minutes__gt=0), name="meeting_duration_positive"
            ),
        ]
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("reports:meeting", args=[self.pk])

    @property
    def ends_at(self) -> dt.datetime:
        return self.scheduled_for + dt.timedelta(minutes=self.duration_minutes)

    @property
    def may_propose(self) -> bool:
        return self.kind in PROPOSING_KINDS


class MeetingAttendee(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendees")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="meeting_invitations"
    )
    attended = models.BooleanField(_("attended"), default=False)

    class Meta:
        app_label = "reports"
        ordering = ["user__first_name", "user__username"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "user"], name="attendee_once_per_meeting")
        ]

    def __str__(self) -> str:
        return f"{self.meeting_id} · {self.user}"


class MeetingAction(models.Model):
    """Something a meeting agreed to do: on every later meeting of the agreement's agenda
    and page until it is done."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="actions")
    title = models.CharField(_("action"), max_length=255)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="meeting_actions"
    )
    due_date = models.DateField(_("due date"))
    done_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        app_label = "reports"
        ordering = ["due_date", "id"]
        verbose_name = _("meeting action item")
        verbose_name_plural = _("meeting action items")

    def __str__(self) -> str:
        return self.title

    @property
    def is_done(self) -> bool:
        return self.done_at is not None
