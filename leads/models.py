"""Leads, their events, and the per-cycle facts derived from those events.

Events are the truth: a lead's stage, scores and owner, and its cycles, are derived
from them and kept consistent in the same transaction as the events are written.
"""

import datetime as dt
from typing import NamedTuple

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from portal import dates
from portal.models import Team
from portal.text import Text
from slas.stages import Stage


class EventKind(models.TextChoices):
    CREATED = "created", _("Created")
    STAGE_CHANGED = "stage_changed", _("Stage changed")
    CONTACT_ATTEMPT = "contact_attempt", _("Contact attempt")
    SCORE_CHANGED = "score_changed", _("Score changed")
    OWNER_CHANGED = "owner_changed", _("Owner changed")
    NOTE = "note", _("Note")


class Channel(models.TextChoices):
    PHONE = "phone", _("Phone")
    EMAIL = "email", _("Email")
    VIDEO = "video", _("Video")
    MEETING = "meeting", pgettext_lazy("contact channel", "Meeting")
    OTHER = "other", _("Other")


class Flag(NamedTuple):
    """One rule break on a lead, as read: when (None: a note from before flags were
    data gave none), a stable code, and the reason (`str()` translates it)."""

    at: dt.datetime | None
    code: str
    reason: Text


class Lead(models.Model):
    source = models.CharField(_("source system"), max_length=64, default="portal")
    external_id = models.CharField(_("external id"), max_length=255)
    first_name = models.CharField(_("first name"), max_length=255, blank=True)
    last_name = models.CharField(_("last name"), max_length=255, blank=True)
    email = models.EmailField(_("email"), max_length=255, blank=True)
    company = models.CharField(_("company"), max_length=255, blank=True)
    job_title = models.CharField(_("job title"), max_length=255, blank=True)
    industry = models.CharField(_("industry"), max_length=255, blank=True)
    company_size = models.CharField(_("company size"), max_length=64, blank=True)
    lead_source = models.CharField(_("lead source"), max_length=255, blank=True)
    # Engagement and other attributes scoring rules may read (e.g. {"visits": 7}).
    attributes = models.JSONField(_("attributes"), default=dict, blank=True)

    agreement = models.ForeignKey(
        "slas.Agreement", null=True, blank=True, on_delete=models.PROTECT, related_name="leads"
    )
    # db_index=False on the teams and the owner: the unique (teams, source, external id)
    # and the (team, stage) and (owner, stage) indexes below start with them, a second
    # index would only slow imports down.
    marketing_team = models.ForeignKey(
        Team, on_delete=models.PROTECT, related_name="marketing_leads", db_index=False
    )
    sales_team = models.ForeignKey(
        Team, on_delete=models.PROTECT, related_name="sales_leads", db_index=False
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_leads",
        db_index=False,
    )

    # Derived from events (see leads.services).
    stage = models.CharField(_("stage"), max_length=16, choices=Stage.choices, default=Stage.LEAD)
    fit_score = models.IntegerField(_("fit score"), default=0)
    interest_score = models.IntegerField(_("interest score"), default=0)
    nurture_track = models.CharField(_("nurture track"), max_length=120, blank=True)
    flagged = models.BooleanField(_("flagged"), default=False)
    # Each flag as data, in no language (leads.lifecycle.flag_data): {"at": ISO 8601 UTC,
    # "code", "msgid", "params"}; written in the reader's language when read (flag_list).
    flags = models.JSONField(_("why flagged"), default=list, blank=True)

    created_at = models.DateTimeField(_("created"), db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # A lead is its team pair plus (source, external id): the same id sent for
            # another pair is another lead, so ingest for one pair can never reach a
            # lead of another, nor tell whether the id exists there (docs/security.md).
            models.UniqueConstraint(
                fields=["marketing_team", "sales_team", "source", "external_id"],
                name="lead_unique_per_team_pair_and_source",
            ),
        ]
        indexes = [
            models.Index(fields=["owner", "stage"]),
            models.Index(fields=["sales_team", "stage"]),
        ]
        verbose_name = _("lead")
        verbose_name_plural = _("leads")

    def __str__(self) -> str:
        name = f"{self.first_name} {self.last_name}".strip()
        return name or self.email or self.external_id

    def get_absolute_url(self) -> str:
        return reverse("leads:lead_detail", args=[self.pk])

    def flag_list(self) -> list[Flag]:
        """The lead's flags, oldest first, their reasons translated when read."""
        return [
            Flag(
                dt.datetime.fromisoformat(flag["at"]) if flag.get("at") else None,
                flag.get("code", ""),
                Text.from_spec(flag),
            )
            for flag in self.flags or ()
        ]

    @property
    def flag_note(self) -> str:
        """The flags as lines of text in the active language and time zone: "when: why"."""
        return "\n".join(
            f"{dates.when(flag.at)}: {flag.reason}" if flag.at else str(flag.reason)
            for flag in self.flag_list()
        )


class LeadEvent(models.Model):
    # db_index=False: the (lead, occurred_at) index below serves lookups by lead.
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="events", db_index=False)
    kind = models.CharField(_("kind"), max_length=32, choices=EventKind.choices)
    occurred_at = models.DateTimeField(_("occurred at"))
    recorded_at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    from_stage = models.CharField(max_length=16, choices=Stage.choices, blank=True)
    to_stage = models.CharField(max_length=16, choices=Stage.choices, blank=True)
    channel = models.CharField(max_length=16, choices=Channel.choices, blank=True)
    outcome = models.CharField(_("outcome"), max_length=255, blank=True)
    reason_code = models.CharField(_("reason code"), max_length=64, blank=True)
    note = models.TextField(_("note"), blank=True)
    data = models.JSONField(default=dict, blank=True)
    source = models.CharField(max_length=64, default="portal")
    source_event_id = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["occurred_at", "id"]
        constraints = [
            # Idempotency per lead: a re-sent event of this lead is a duplicate, while an
            # event id another lead (of another team pair) holds is not, and so says
            # nothing about that lead (docs/formats.md#leads-and-event-identity).
            models.UniqueConstraint(
                fields=["lead", "source", "source_event_id"],
                condition=~Q(source_event_id=""),
                name="lead_event_unique_per_lead_and_source",
            ),
        ]
        indexes = [models.Index(fields=["lead", "occurred_at"])]
        verbose_name = _("lead event")
        verbose_name_plural = _("lead events")

    def __str__(self) -> str:
        return f"{self.kind} {self.to_stage} @ {self.occurred_at:%Y-%m-%d %H:%M}"


class Cycle(models.Model):
    """Facts of one handoff cycle (from a handoff into `mql` until the lead's next one).

    Maintained from the lead's events whenever they change; compliance reads only this
    table. Meanings: docs/compliance.md#what-a-cycle-records.
    """

    # db_index=False on lead, agreement, version and owner: the unique (lead, number)
    # and the (version|agreement|owner, ...) indexes below start with them.
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="cycles", db_index=False)
    number = models.PositiveIntegerField()
    handoff_event = models.OneToOneField(LeadEvent, on_delete=models.CASCADE, related_name="+")
    handoff_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    agreement = models.ForeignKey(
        "slas.Agreement",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    version = models.ForeignKey(
        "slas.Version",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cycles",
        db_index=False,
        help_text="Governing version: in force at the handoff instant (null: ungoverned).",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    deadline_at = models.DateTimeField(null=True, blank=True)
    first_contact_at = models.DateTimeField(null=True, blank=True)
    clock_stop_at = models.DateTimeField(null=True, blank=True)
    clock_stop_kind = models.CharField(max_length=16, blank=True)
    clock_business_seconds = models.FloatField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    rejected_at = models.DateTimeField(null=True, blank=True)
    rejected_to = models.CharField(max_length=16, blank=True)
    rejected_reason_code = models.CharField(max_length=64, blank=True)
    sal_at = models.DateTimeField(null=True, blank=True)
    sql_at = models.DateTimeField(null=True, blank=True)
    opportunity_at = models.DateTimeField(null=True, blank=True)
    won_at = models.DateTimeField(null=True, blank=True)
    lost_at = models.DateTimeField(null=True, blank=True)
    sales_recycle_at = models.DateTimeField(null=True, blank=True)
    sales_recycle_from = models.CharField(max_length=16, blank=True)
    attempts_before_sales_recycle = models.PositiveIntegerField(null=True, blank=True)
    # A manager's override of the attempts rule on that recycle: {"by", "by_name", "reason"}.
    sales_recycle_override = models.JSONField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    # Every move to recycled/disqualified in the cycle: [[iso time, to_stage, reason_code], ...]
    exits = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["handoff_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["lead", "number"], name="cycle_number_unique_per_lead"),
        ]
        indexes = [
            models.Index(fields=["version", "handoff_at"]),
            models.Index(fields=["agreement", "handoff_at"]),
            models.Index(fields=["owner", "deadline_at"]),
            # The queues (leads.selectors.queue_page): open cycles (a lead's latest) in
            # queue order, of one owner (My leads) and of everyone (the team queue), so
            # a page reads its rows in index order and stops.
            models.Index(
                fields=["owner", "deadline_at", "handoff_at", "id"],
                condition=Q(ended_at__isnull=True),
                name="cycle_open_owner_queue",
            ),
            models.Index(
                fields=["deadline_at", "handoff_at", "id"],
                condition=Q(ended_at__isnull=True),
                name="cycle_open_queue",
            ),
            # The monthly report (reports.monthly): deals won and rejections made in a
            # month, of the few cycles that have them.
            models.Index(
                fields=["agreement", "won_at"],
                condition=Q(won_at__isnull=False),
                name="cycle_won_by_agreement",
            ),
            models.Index(
                fields=["agreement", "rejected_at", "rejected_reason_code"],
                condition=Q(rejected_at__isnull=False),
                name="cycle_rejected_by_agreement",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.lead_id} · cycle {self.number}"


class AssignmentCursor(models.Model):
    """Round-robin position per sales team: the last rep a handed-off lead went to."""

    team = models.OneToOneField(Team, on_delete=models.CASCADE, related_name="+")
    last_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"{self.team} → {self.last_user_id}"
