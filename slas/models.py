"""The agreement and its versions: the SLA document with its seven components.

A version's content is the version row (goals, qualification threshold, handoff,
lead management, calendar frame) plus its child rows (terms, scoring rules, reason
codes, nurture tracks, commitments, holidays, free sections). Every row keeps its
history with django-simple-history.
"""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from portal.models import Team


def default_working_days() -> list[int]:
    return [0, 1, 2, 3, 4]


def default_channels() -> list[str]:
    return ["phone", "email"]


class Agreement(models.Model):
    title = models.CharField(_("title"), max_length=200)
    purpose = models.TextField(_("purpose"), blank=True)
    parties = models.ManyToManyField(Team, related_name="agreements", verbose_name=_("parties"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Signature request reminders and expiry (days).
    reminder_after_days = models.PositiveSmallIntegerField(
        _("first reminder after (days)"), default=3
    )
    reminder_every_days = models.PositiveSmallIntegerField(_("then remind every (days)"), default=2)
    request_expiry_days = models.PositiveSmallIntegerField(
        _("requests expire after (days)"), default=30
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["title"]
        verbose_name = _("agreement")
        verbose_name_plural = _("agreements")

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("slas:agreement_detail", args=[self.pk])


class VersionStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PENDING_SIGNATURE = "pending_signature", _("Pending signature")
    ACTIVE = "active", _("Active")
    SUPERSEDED = "superseded", _("Superseded")
    EXPIRED = "expired", _("Expired")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class Cadence(models.TextChoices):
    MONTHLY = "month", _("Monthly")
    QUARTERLY = "quarter", _("Quarterly")


class Version(models.Model):
    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("number"))
    status = models.CharField(
        _("status"), max_length=32, choices=VersionStatus.choices, default=VersionStatus.DRAFT
    )
    effective_date = models.DateField(_("effective date"))
    end_date = models.DateField(_("end date"))
    review_date = models.DateField(_("review date"))
    change_summary = models.TextField(_("change summary"), blank=True)

    # 1. Shared goals
    revenue_goal_amount = models.DecimalField(
        _("revenue goal"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    revenue_goal_currency = models.CharField(_("currency"), max_length=3, default="USD")
    revenue_goal_period_months = models.PositiveSmallIntegerField(
        _("goal period (months)"), default=12
    )
    avg_deal_size = models.DecimalField(
        _("average deal size"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    goal_statements = models.TextField(_("goal statements"), blank=True)

    # 3. Lead qualification (rules are ScoringRule rows)
    mql_threshold = models.PositiveIntegerField(_("MQL threshold"), null=True, blank=True)

    # 4. Handoff
    handoff_trigger = models.TextField(_("handoff trigger"), blank=True)
    handoff_information = models.TextField(_("information passed with the lead"), blank=True)
    first_contact_hours = models.DecimalField(
        _("first contact within (business hours)"), max_digits=6, decimal_places=2, default=24
    )
    return_attempts = models.PositiveSmallIntegerField(
        _("attempts before returning a lead"), default=6
    )
    return_days = models.PositiveSmallIntegerField(_("over how many days"), default=14)

    # 6. Lead management
    attempts_required = models.PositiveSmallIntegerField(_("contact attempts"), default=6)
    channels = models.JSONField(_("channels"), default=default_channels)
    attempt_interval_hours = models.PositiveSmallIntegerField(
        _("hours between attempts"), default=24
    )

    # Frame: business calendar and reporting cadence
    calendar_timezone = models.CharField(_("time zone"), max_length=64, default="UTC")
    working_days = models.JSONField(_("working days"), default=default_working_days)
    work_start = models.TimeField(_("working day starts"), default=datetime.time(9, 0))
    work_end = models.TimeField(_("working day ends"), default=datetime.time(17, 0))
    reporting_cadence = models.CharField(
        _("reporting cadence"), max_length=16, choices=Cadence.choices, default=Cadence.MONTHLY
    )

    # Lifecycle: the in-force interval [in_force_from, in_force_until).
    in_force_from = models.DateTimeField(_("in force from"), null=True, blank=True)
    in_force_until = models.DateTimeField(_("in force until"), null=True, blank=True)
    content_hash = models.CharField(_("content hash"), max_length=64, blank=True)
    # Bumped by every saved edit of the draft; a form posted with an older value is refused.
    edit_revision = models.PositiveIntegerField(default=1)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["agreement", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["agreement", "number"], name="version_number_unique"),
            models.UniqueConstraint(
                fields=["agreement"],
                condition=Q(status="active"),
                name="version_one_active_per_agreement",
            ),
            models.CheckConstraint(
                condition=Q(end_date__gt=models.F("effective_date")),
                name="version_ends_after_it_starts",
            ),
            models.CheckConstraint(
                condition=Q(in_force_until__isnull=True)
                | Q(in_force_from__isnull=False, in_force_until__gte=models.F("in_force_from")),
                name="version_in_force_interval_ordered",
            ),
        ]
        indexes = [models.Index(fields=["agreement", "in_force_from"])]
        verbose_name = _("version")
        verbose_name_plural = _("versions")

    def __str__(self) -> str:
        return f"{self.agreement} · v{self.number}"

    def get_absolute_url(self) -> str:
        return reverse("slas:version_detail", args=[self.pk])

    @property
    def is_draft(self) -> bool:
        return self.status == VersionStatus.DRAFT


class VersionPart(models.Model):
    """Base for every child row of a version's content."""

    position = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True
        ordering = ["position", "id"]


class Term(VersionPart):
    version = models.ForeignKey(Version, on_delete=models.CASCADE, related_name="terms")
    term = models.CharField(_("term"), max_length=120)
    definition = models.TextField(_("definition"))
    history = HistoricalRecords()

    class Meta(VersionPart.Meta):
        constraints = [
            models.UniqueConstraint(fields=["version", "term"], name="term_unique_per_version")
        ]

    def __str__(self) -> str:
        return self.term


class Dimension(models.TextChoices):
    FIT = "fit", _("Fit")
    INTEREST = "interest", _("Interest")


class Operator(models.TextChoices):
    EQUALS = "equals", _("equals")
    NOT_EQUALS = "not_equals", _("does not equal")
    CONTAINS = "contains", _("contains")
    IN = "in", _("is one of")
    GTE = "gte", _("is at least")
    LTE = "lte", _("is at most")


class ScoringRule(VersionPart):
    """Points for a lead attribute: a Lead field or a key of Lead.attributes."""

    version = models.ForeignKey(Version, on_delete=models.CASCADE, related_name="scoring_rules")
    attribute = models.CharField(_("attribute"), max_length=64)
    operator = models.CharField(_("operator"), max_length=16, choices=Operator.choices)
    value = models.CharField(_("value"), max_length=255)
    points = models.IntegerField(_("points"))
    dimension = models.CharField(_("fit or interest"), max_length=16, choices=Dimension.choices)
    history = HistoricalRecords()

    def __str__(self) -> str:
        return f"{self.attribute} {self.operator} {self.value}: {self.points}"


class ReasonApplies(models.TextChoices):
    ANY = "any", _("Reject, recycle or disqualify")
    REJECT = "reject", _("Reject (return to marketing)")
    RECYCLE = "recycle", _("Recycle")
    DISQUALIFY = "disqualify", _("Disqualify")


class ReasonCode(VersionPart):
    version = models.ForeignKey(Version, on_delete=models.CASCADE, related_name="reason_codes")
    code = models.SlugField(_("code"), max_length=64)
    label = models.CharField(_("label"), max_length=200)
    applies_to = models.CharField(
        _("applies to"), max_length=16, choices=ReasonApplies.choices, default=ReasonApplies.ANY
    )
    history = HistoricalRecords()

    class Meta(VersionPart.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["version", "code"], name="reason_code_unique_per_version"
            )
        ]

    def __str__(self) -> str:
        return self.label


class NurtureTrack(VersionPart):
    version = models.ForeignKey(Version, on_delete=models.CASCADE, related_name="nurture_tracks")
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    duration_days = models.PositiveSmallIntegerField(_("duration (days)"), null=True, blank=True)
    history = HistoricalRecords()

    def __str__(self) -> str:
        return self.name


class CommitmentKind(models.TextChoices):
    MQL_VOLUME = "mql_volume", _("MQL volume")
    FIRST_CONTACT_WITHIN = "first_contact_within", _("First contact within H business hours")
    ACCEPTANCE_RATE = "acceptance_rate", _("Acceptance rate")
    ATTEMPTS_BEFORE_RECYCLE = "attempts_before_recycle", _("Attempts before recycle")
    REASON_DOCUMENTED = "reason_documented", _("Reason documented")
    FEEDBACK_COVERAGE = "feedback_coverage", _("Feedback coverage")
    CONVERSION_RATE = "conversion_rate", _("Conversion rate")


class Commitment(VersionPart):
    """A measurable promise. `params`: {"hours": H} / {"attempts": K} / {"from_stage", "to_stage"}.

    Targets of rates are percentages (0-100); `mql_volume` targets are counts.
    """

    version = models.ForeignKey(Version, on_delete=models.CASCADE, related_name="commitments")
    owner_team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="commitments")
    kind = models.CharField(_("kind"), max_length=32, choices=CommitmentKind.choices)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    target = models.DecimalField(_("target"), max_digits=12, decimal_places=2)
    period = models.CharField(
        _("period"), max_length=16, choices=Cadence.choices, default=Cadence.MONTHLY
    )
    description = models.CharField(_("description"), max_length=255, blank=True)
    history = HistoricalRecords()

    class Meta(VersionPart.Meta):
        constraints = [
            models.CheckConstraint(
                condition=Q(target__gte=0), name="commitment_target_not_negative"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ≥ {self.target}"


class Holiday(VersionPart):
    version = models.ForeignKey(Version, on_delete=models.CASCADE, related_name="holidays")
    date = models.DateField(_("date"))
    name = models.CharField(_("name"), max_length=120, blank=True)
    history = HistoricalRecords()

    class Meta(VersionPart.Meta):
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["version", "date"], name="holiday_unique_per_version")
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


class Section(VersionPart):
    """Free text in Markdown for anything the components do not cover (rendered sanitised)."""

    version = models.ForeignKey(Version, on_delete=models.CASCADE, related_name="sections")
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body (Markdown)"), blank=True)
    history = HistoricalRecords()

    def __str__(self) -> str:
        return self.title


class EscalationAction(models.TextChoices):
    REMIND_OWNER = "remind_owner", _("Remind the owner")
    NOTIFY_MANAGER = "notify_manager", _("Tell the sales manager")
    ALLOW_REASSIGN = "allow_reassign", _("Allow reassignment")


class EscalationStep(VersionPart):
    """A step of the escalation ladder: at `at_percent` of the first-contact window, act."""

    version = models.ForeignKey(Version, on_delete=models.CASCADE, related_name="escalation_steps")
    at_percent = models.PositiveSmallIntegerField(_("at % of the first-contact window"))
    action = models.CharField(_("action"), max_length=32, choices=EscalationAction.choices)
    history = HistoricalRecords()

    class Meta(VersionPart.Meta):
        ordering = ["at_percent", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["version", "at_percent", "action"], name="escalation_step_unique"
            ),
            models.CheckConstraint(
                condition=Q(at_percent__gt=0), name="escalation_step_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.at_percent}% {self.get_action_display()}"


from slas.signing_models import *  # noqa: E402,F401,F403
