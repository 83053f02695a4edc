"""The agreement and its versions: the SLA document with its seven components.

A version's content is the version row (goals, qualification threshold, handoff,
lead management, calendar frame) plus its child rows (terms, scoring rules, reason
codes, nurture tracks, commitments, holidays, free sections). Every row keeps its
history with django-simple-history.

Why one module of about 800 lines: the version and its parts are one record. The rules
that freeze a signed version (its lifecycle-only saves, the part querysets that refuse
bulk writes, the signals that refuse deletes and party changes at the end of this file)
guard all of them together, and splitting them would spread one lock over several files.
"""

import datetime
import zoneinfo
from functools import cache
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.signals import m2m_changed, pre_delete
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from portal import limits
from portal.limits import limited_text
from portal.models import Team
from slas.exceptions import EditConflict, VersionLocked

if TYPE_CHECKING:
    from slas.signing.models import SigningRound

__all__ = ["EditConflict", "VersionLocked"]  # re-exported: `from slas.models import VersionLocked`

#: The only fields of a non-draft version that may still be written, and only by the
#: signing services, with `version.save(update_fields=[...])` naming a subset of them.
LIFECYCLE_FIELDS = frozenset({"status", "in_force_from", "in_force_until", "content_hash"})

#: Bookkeeping of a version row: which row, which edit, who, when, and which version it
#: was started from. Never content.
VERSION_BOOKKEEPING_FIELDS = frozenset(
    {"id", "edit_revision", "created_by", "created_at", "updated_at", "based_on"}
)
#: The one list of what is not a version's content: identity, bookkeeping and lifecycle.
#: Content is every other field: copied by "new version", edited in drafts (forms and
#: API), sealed when signed (slas.signing.seal adds the number, which names what was
#: signed).
VERSION_NON_CONTENT_FIELDS = (
    VERSION_BOOKKEEPING_FIELDS | LIFECYCLE_FIELDS | frozenset({"agreement", "number"})
)

#: Fields of an agreement sealed with every version (with its parties): once any version
#: has left draft they are the record of what was agreed, and no longer change.
AGREEMENT_SEALED_FIELDS = ("title", "purpose")

#: Working-day numbers as Python's `date.weekday()`: Monday is 0.
WEEKDAYS = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]
CHANNELS = [
    ("phone", _("Phone")),
    ("email", _("Email")),
    ("video", _("Video")),
    ("meeting", pgettext_lazy("contact channel", "Meeting")),
    ("other", _("Other")),
]


def default_working_days() -> list[int]:
    return [0, 1, 2, 3, 4]


def default_channels() -> list[str]:
    return ["phone", "email"]


class Agreement(models.Model):
    title = models.CharField(_("title"), max_length=200)
    purpose = limited_text(_("purpose"), limits.LONG, blank=True)
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

    def save(self, *args, **kwargs):
        """Refuse changing the title or purpose once a version has left draft.

        They are sealed with every version (see `slas.signing`), so a change would alter
        what was signed. The stored row decides; other fields (reminders, expiry) still
        change.
        """
        if not self._state.adding and self.pk is not None:
            update_fields = kwargs.get("update_fields")
            sealed = [
                name
                for name in AGREEMENT_SEALED_FIELDS
                if update_fields is None or name in update_fields
            ]
            stored = (
                Agreement.objects.filter(pk=self.pk).values(*sealed).first() if sealed else None
            )
            if stored is not None and any(getattr(self, name) != stored[name] for name in sealed):
                agreement_refuse_if_sealed(self.pk)
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("slas:agreement_detail", args=[self.pk])

    def delete(self, *args, **kwargs):
        # Checked before Django's delete transaction starts, so the caller's stays usable.
        locked = self.versions.exclude(status=VersionStatus.DRAFT).order_by("number").first()
        if locked is not None:
            raise VersionLocked(locked)
        return super().delete(*args, **kwargs)


def agreement_refuse_if_sealed(agreement_id: int) -> None:
    """Raise VersionLocked if a version of the agreement has left draft (to be signed: a
    discarded draft never did)."""
    locked = (
        Version.objects.filter(agreement_id=agreement_id)
        .exclude(status__in=[VersionStatus.DRAFT, VersionStatus.DISCARDED])
        .order_by("number")
        .first()
    )
    if locked is not None:
        raise VersionLocked(
            locked,
            gettext(
                "The title, purpose and parties of this agreement are part of what was signed "
                "(version %(number)s is %(status)s): they can no longer be changed. Start a "
                "new agreement to change them."
            )
            % {"number": locked.number, "status": locked.state_label.lower()},
        )


class VersionStatus(models.TextChoices):
    """The stored lifecycle value (kept as it was for API clients and old rows). What a
    person reads is `Version.state`: the same labels, one vocabulary, each explained."""

    DRAFT = "draft", _("Draft")
    PENDING_SIGNATURE = "pending_signature", _("Awaiting signatures")
    SCHEDULED = "scheduled", _("Scheduled")
    ACTIVE = "active", _("In force")
    SUPERSEDED = "superseded", _("Superseded")
    EXPIRED = "expired", _("Expired")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    VOIDED = "voided", _("Voided")
    DISCARDED = "discarded", _("Discarded")


class VersionState(models.TextChoices):
    """What a version is, as every page, PDF, e-mail, API answer and CSV says it.

    Computed in one place (`version_state`), from the stored status; the lifecycle and
    its rules are in docs/compliance.md#versions-in-force.
    """

    DRAFT = "draft", _("Draft")
    AWAITING_SIGNATURES = "awaiting_signatures", _("Awaiting signatures")
    SCHEDULED = "scheduled", _("Scheduled")
    IN_FORCE = "in_force", _("In force")
    SUPERSEDED = "superseded", _("Superseded")
    EXPIRED = "expired", _("Expired")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    VOIDED = "voided", _("Voided")
    DISCARDED = "discarded", _("Discarded")


_STATE_OF_STATUS = {
    VersionStatus.DRAFT: VersionState.DRAFT,
    VersionStatus.PENDING_SIGNATURE: VersionState.AWAITING_SIGNATURES,
    VersionStatus.SCHEDULED: VersionState.SCHEDULED,
    VersionStatus.ACTIVE: VersionState.IN_FORCE,
    VersionStatus.SUPERSEDED: VersionState.SUPERSEDED,
    VersionStatus.EXPIRED: VersionState.EXPIRED,
    VersionStatus.WITHDRAWN: VersionState.WITHDRAWN,
    VersionStatus.VOIDED: VersionState.VOIDED,
    VersionStatus.DISCARDED: VersionState.DISCARDED,
}

#: One line per state, shown on hover or tap of every badge and given by the API.
STATE_EXPLANATIONS = {
    VersionState.DRAFT: _(
        "Being written: its party managers can still change it, and nobody has signed it."
    ),
    VersionState.AWAITING_SIGNATURES: _(
        "Sent for signature: its content is frozen while every party team signs or declines."
    ),
    VersionState.SCHEDULED: _(
        "Signed by every party; it takes force on its effective date, unless it is withdrawn "
        "or a newer version takes force first."
    ),
    VersionState.IN_FORCE: _(
        "The version that governs now: leads handed off today are judged by it."
    ),
    VersionState.SUPERSEDED: _(
        "Was in force until a newer version took force; it still judges the leads handed "
        "off while it governed."
    ),
    VersionState.EXPIRED: _(
        "Was in force until its end date; it still judges the leads handed off while it governed."
    ),
    VersionState.WITHDRAWN: _(
        "Signed, then withdrawn by a signing team's manager before it took force: it never "
        "governed."
    ),
    VersionState.VOIDED: _(
        "A newer version took force first, so this one never will: its signatures are void."
    ),
    VersionState.DISCARDED: _(
        "A draft its managers abandoned: never signed, never in force, kept for the record."
    ),
}

#: Tone of each state's badge: in force is green, what awaits someone is amber, what
#: never governed is red, the past is grey.
STATE_TONES = {
    VersionState.DRAFT: "neutral",
    VersionState.AWAITING_SIGNATURES: "warning",
    VersionState.SCHEDULED: "info",
    VersionState.IN_FORCE: "success",
    VersionState.SUPERSEDED: "neutral",
    VersionState.EXPIRED: "neutral",
    VersionState.WITHDRAWN: "danger",
    VersionState.VOIDED: "danger",
    VersionState.DISCARDED: "danger",
}

#: Statuses of a version that has not taken force and still may (the versions "in
#: progress" of an agreement).
UPCOMING_STATUSES = (
    VersionStatus.DRAFT,
    VersionStatus.PENDING_SIGNATURE,
    VersionStatus.SCHEDULED,
)


def version_state(status: str) -> VersionState:
    """The state a stored status shows as: the one mapping, used by every page and the API."""
    return _STATE_OF_STATUS[VersionStatus(status)]


class Cadence(models.TextChoices):
    MONTHLY = "month", _("Monthly")
    QUARTERLY = "quarter", _("Quarterly")


class VersionQuerySet(models.QuerySet):
    def update(self, **kwargs):
        # Bulk updates skip save(): guard them too (lifecycle-only updates stay allowed).
        if set(kwargs) - LIFECYCLE_FIELDS and self.exclude(status=VersionStatus.DRAFT).exists():
            raise VersionLocked()
        return super().update(**kwargs)

    def delete(self):
        if self.exclude(status=VersionStatus.DRAFT).exists():
            raise VersionLocked()
        return super().delete()

    def drafts(self):
        return self.filter(status=VersionStatus.DRAFT)

    def upcoming(self):
        """Not in force yet and still may be (drafts, awaiting signatures, scheduled)."""
        return self.filter(status__in=UPCOMING_STATUSES)


class Version(models.Model):
    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("number"))
    status = models.CharField(
        _("status"), max_length=32, choices=VersionStatus.choices, default=VersionStatus.DRAFT
    )
    effective_date = models.DateField(_("effective date"))
    end_date = models.DateField(_("end date"))
    review_date = models.DateField(_("review date"))
    change_summary = limited_text(_("change summary"), limits.LONG, blank=True)

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
    goal_statements = limited_text(_("goal statements"), limits.LONG, blank=True)

    # 3. Lead qualification (rules are ScoringRule rows)
    mql_threshold = models.PositiveIntegerField(_("MQL threshold"), null=True, blank=True)

    # 4. Handoff
    handoff_trigger = limited_text(_("handoff trigger"), limits.LONG, blank=True)
    handoff_information = limited_text(
        _("information passed with the lead"), limits.LONG, blank=True
    )
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
    # The version this one was copied from ("New version"), or rebased onto since: a draft
    # based on a version older than the one in force is rebased before it is sent.
    based_on = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("based on"),
    )

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    objects = VersionQuerySet.as_manager()

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
            models.CheckConstraint(condition=Q(number__gte=1), name="version_number_positive"),
            models.CheckConstraint(
                condition=Q(review_date__gte=models.F("effective_date"))
                & Q(review_date__lte=models.F("end_date")),
                name="version_review_within_term",
            ),
            models.CheckConstraint(
                condition=Q(work_start__lt=models.F("work_end")),
                name="version_working_hours_ordered",
            ),
            models.CheckConstraint(
                condition=Q(revenue_goal_amount__isnull=True) | Q(revenue_goal_amount__gte=0),
                name="version_revenue_goal_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(avg_deal_size__isnull=True) | Q(avg_deal_size__gt=0),
                name="version_deal_size_positive",
            ),
            models.CheckConstraint(
                condition=Q(first_contact_hours__gt=0), name="version_first_contact_positive"
            ),
        ]
        indexes = [models.Index(fields=["agreement", "in_force_from"])]
        verbose_name = _("version")
        verbose_name_plural = _("versions")

    def __str__(self) -> str:
        return f"{self.agreement} · v{self.number}"

    def save(self, *args, **kwargs):
        """Refuse every write to a stored non-draft version except a lifecycle-only one.

        The stored row decides (not this instance, which may be stale). On a draft, the
        lifecycle fields may only change through a lifecycle-only save too, so a form or
        an API payload can never move a status or an in-force date.
        """
        if not self._state.adding and self.pk is not None:
            update_fields = kwargs.get("update_fields")
            lifecycle_only = update_fields is not None and set(update_fields) <= LIFECYCLE_FIELDS
            stored = Version.objects.filter(pk=self.pk).values(*sorted(LIFECYCLE_FIELDS)).first()
            if stored is not None and not lifecycle_only:
                if stored["status"] != VersionStatus.DRAFT:
                    raise VersionLocked(Version(number=self.number, status=stored["status"]))
                if any(getattr(self, field) != stored[field] for field in LIFECYCLE_FIELDS):
                    raise VersionLocked(
                        self,
                        gettext(
                            "A version's status, in-force dates and content hash change only "
                            "by sending it for signature and signing it."
                        ),
                    )
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("slas:version_detail", args=[self.pk])

    def delete(self, *args, **kwargs):
        _refuse_deleting_locked_content(Version, self)  # before Django's delete transaction
        return super().delete(*args, **kwargs)

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}

        def add(field: str, message: str) -> None:
            errors.setdefault(field, []).append(message)

        if self.effective_date and self.end_date and self.end_date <= self.effective_date:
            add("end_date", gettext("The end date must be after the effective date."))
        if self.review_date and self.effective_date and self.end_date:
            if not (self.effective_date <= self.review_date <= self.end_date):
                add(
                    "review_date",
                    gettext("The review date must fall between the effective and end dates."),
                )
        if self.revenue_goal_amount is not None and self.revenue_goal_amount < 0:
            add("revenue_goal_amount", gettext("The revenue goal cannot be negative."))
        if self.avg_deal_size is not None and self.avg_deal_size <= 0:
            add("avg_deal_size", gettext("The average deal size must be greater than zero."))
        currency = self.revenue_goal_currency or ""
        if not (len(currency) == 3 and currency.isalpha() and currency.isupper()):
            add(
                "revenue_goal_currency",
                gettext("Use a three-letter ISO currency code in capitals, e.g. USD or EUR."),
            )
        if self.revenue_goal_period_months is not None and self.revenue_goal_period_months < 1:
            add("revenue_goal_period_months", gettext("The goal period is at least one month."))
        if self.first_contact_hours is not None and self.first_contact_hours <= 0:
            add(
                "first_contact_hours",
                gettext("The first-contact window must be more than zero hours."),
            )
        if self.return_attempts is not None and self.return_attempts < 1:
            add("return_attempts", gettext("At least one attempt before returning a lead."))
        if self.attempts_required is not None and self.attempts_required < 1:
            add("attempts_required", gettext("At least one contact attempt."))
        channels = self.channels
        known = {code for code, _label in CHANNELS}
        if not isinstance(channels, list) or not channels:
            add("channels", gettext("Choose at least one contact channel."))
        elif not set(channels) <= known:
            add(
                "channels",
                gettext("Unknown channel(s): %(names)s.")
                % {"names": ", ".join(sorted(str(c) for c in set(channels) - known))},
            )
        # Frame: the business calendar the SLA clocks run on.
        try:
            if not self.calendar_timezone:
                raise zoneinfo.ZoneInfoNotFoundError
            zoneinfo.ZoneInfo(self.calendar_timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            add(
                "calendar_timezone",
                gettext("Unknown time zone %(tz)s: use an IANA name such as Europe/Bucharest.")
                % {"tz": repr(self.calendar_timezone)},
            )
        days = self.working_days
        if not isinstance(days, list) or not days:
            add("working_days", gettext("Choose at least one working day."))
        elif not all(isinstance(d, int) and 0 <= d <= 6 for d in days) or len(set(days)) != len(
            days
        ):
            add("working_days", gettext("Working days are distinct weekdays 0 (Mon) to 6 (Sun)."))
        if self.work_start and self.work_end and self.work_start >= self.work_end:
            add("work_end", gettext("The working day must end after it starts."))
        if errors:
            raise ValidationError(errors)

    @property
    def is_draft(self) -> bool:
        return self.status == VersionStatus.DRAFT

    @property
    def state(self) -> VersionState:
        return version_state(self.status)

    @property
    def state_label(self) -> str:
        return str(self.state.label)

    @property
    def state_explanation(self) -> str:
        return str(STATE_EXPLANATIONS[self.state])

    @property
    def state_tone(self) -> str:
        return STATE_TONES[self.state]

    @property
    def is_upcoming(self) -> bool:
        """Not in force yet and still may be: a draft, awaiting signatures or scheduled."""
        return self.status in UPCOMING_STATUSES

    @property
    def is_scheduled(self) -> bool:
        return self.status == VersionStatus.SCHEDULED

    @property
    def is_awaiting_signatures(self) -> bool:
        return self.status == VersionStatus.PENDING_SIGNATURE

    def open_signing_round(self) -> "SigningRound | None":
        """The round collecting signatures now, if any."""
        return self.signing_rounds.open().first()

    def was_sent_before(self) -> bool:
        """A draft that went out for signature and came back (withdrawn, declined or
        expired): its signers saw other content, so every edit of it says why."""
        return self.is_draft and self.signing_rounds.exists()


class PartQuerySet(models.QuerySet):
    """Bulk writes skip save(): refuse them when any row belongs to a non-draft version."""

    def update(self, **kwargs):
        if self.exclude(version__status=VersionStatus.DRAFT).exists():
            raise VersionLocked()
        return super().update(**kwargs)

    def delete(self):
        if self.exclude(version__status=VersionStatus.DRAFT).exists():
            raise VersionLocked()
        return super().delete()

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        version_ids = {obj.version_id for obj in objs}
        if Version.objects.filter(pk__in=version_ids).exclude(status=VersionStatus.DRAFT).exists():
            raise VersionLocked()
        return super().bulk_create(objs, *args, **kwargs)

    def bulk_update(self, objs, *args, **kwargs):
        objs = list(objs)
        version_ids = {obj.version_id for obj in objs}
        if Version.objects.filter(pk__in=version_ids).exclude(status=VersionStatus.DRAFT).exists():
            raise VersionLocked()
        return super().bulk_update(objs, *args, **kwargs)


def _refuse_unless_draft(version_id) -> None:
    status = Version.objects.filter(pk=version_id).values_list("status", flat=True).first()
    if status is not None and status != VersionStatus.DRAFT:
        number = Version.objects.filter(pk=version_id).values_list("number", flat=True).first()
        raise VersionLocked(Version(number=number, status=status))


class VersionPart(models.Model):
    """Base for every child row of a version's content. Only a draft's parts change."""

    position = models.PositiveIntegerField(_("position"), default=0)

    objects = PartQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["position", "id"]

    def save(self, *args, **kwargs):
        _refuse_unless_draft(self.version_id)
        if not self._state.adding and self.pk is not None:
            # Moving a part out of a locked version is a change to that version.
            previous = type(self).objects.filter(pk=self.pk).values_list("version_id", flat=True)
            for version_id in previous:
                if version_id != self.version_id:
                    _refuse_unless_draft(version_id)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        _refuse_unless_draft(self.version_id)  # before Django's delete transaction starts
        return super().delete(*args, **kwargs)

    def _owner_outside_parties(self) -> bool:
        """A part naming a team (`owner_team`) names one that is not a party to its
        version's agreement (commitments, incentive rules and process steps check it)."""
        if not (getattr(self, "owner_team_id", None) and self.version_id):
            return False
        parties = Agreement.parties.through.objects.filter(
            agreement__versions=self.version_id
        ).values_list("team_id", flat=True)
        return self.owner_team_id not in set(parties)


class Term(VersionPart):
    version = models.ForeignKey(Version, on_delete=models.CASCADE, related_name="terms")
    term = models.CharField(_("term"), max_length=120)
    definition = limited_text(_("definition"), limits.LONG)
    history = HistoricalRecords()

    class Meta(VersionPart.Meta):
        verbose_name = _("term")
        verbose_name_plural = _("terms")
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

    class Meta(VersionPart.Meta):
        verbose_name = _("scoring rule")
        verbose_name_plural = _("scoring rules")

    def __str__(self) -> str:
        return f"{self.attribute} {self.operator} {self.value}: {self.points}"

    def clean(self) -> None:
        if self.operator in (Operator.GTE, Operator.LTE):
            try:
                float(self.value)
            except (TypeError, ValueError):
                raise ValidationError(
                    {"value": gettext("'is at least' and 'is at most' compare with a number.")}
                ) from None


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
        verbose_name = _("reason code")
        verbose_name_plural = _("reason codes")
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
    description = limited_text(_("description"), limits.LONG, blank=True)
    duration_days = models.PositiveSmallIntegerField(_("duration (days)"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta(VersionPart.Meta):
        verbose_name = _("nurture track")
        verbose_name_plural = _("nurture tracks")

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
    VISITOR_TO_LEAD = "visitor_to_lead", _("Visitor to lead conversion")


@cache
def commitment_placeholders() -> frozenset[str]:
    """What a description that says nothing of its own looks like: a kind's name (the
    editor's "First contact within H business hours"), in any of the portal's languages,
    compared without case, spacing or a final full stop."""
    found = set()
    for code, _name in [*settings.LANGUAGES, (None, None)]:
        with translation.override(code):
            found.update(_placeholder_key(label) for label in CommitmentKind.labels)
    return frozenset(found)  # the catalogs do not change while the process runs


def _placeholder_key(text) -> str:
    return " ".join(str(text or "").split()).rstrip(".").casefold()


def commitment_description_clean(description: str | None) -> str:
    """A description as stored: the person's own words, or "" for a placeholder, so the
    commitment reads from its parameters (slas.sentences) in each reader's language."""
    text = (description or "").strip()
    return "" if _placeholder_key(text) in commitment_placeholders() else text


#: Parameters each commitment kind needs (docs/compliance.md#commitment-kinds).
COMMITMENT_PARAMS: dict[str, tuple[str, ...]] = {
    "mql_volume": (),
    "first_contact_within": ("hours",),
    "acceptance_rate": (),
    "attempts_before_recycle": ("attempts",),
    "reason_documented": (),
    "feedback_coverage": (),
    "conversion_rate": ("from_stage", "to_stage"),
    "visitor_to_lead": (),
}
FUNNEL_STAGES = ["lead", "mql", "sal", "sql", "opportunity", "won"]


def _commitment_param_errors(kind: str, params: dict) -> dict[str, list[str]]:
    if kind == "first_contact_within":
        hours = params["hours"]
        if isinstance(hours, bool) or not isinstance(hours, (int, float)) or hours <= 0:
            return {"params": [gettext("Hours must be a number greater than zero.")]}
    if kind == "attempts_before_recycle":
        attempts = params["attempts"]
        if isinstance(attempts, bool) or not isinstance(attempts, int) or attempts < 1:
            return {"params": [gettext("Attempts must be a whole number of at least 1.")]}
    if kind == "conversion_rate":
        start, end = params["from_stage"], params["to_stage"]
        if start not in FUNNEL_STAGES or end not in FUNNEL_STAGES:
            return {
                "params": [
                    gettext("Stages are among: %(stages)s.") % {"stages": ", ".join(FUNNEL_STAGES)}
                ]
            }
        if FUNNEL_STAGES.index(start) >= FUNNEL_STAGES.index(end):
            return {"params": [gettext("The 'to' stage must come after the 'from' stage.")]}
    return {}


class Commitment(VersionPart):
    """A measurable promise. `params`: {"hours": H} / {"attempts": K} / {"from_stage", "to_stage"}.

    Targets of rates are percentages (0-100); `mql_volume` targets are counts.
    """

    version = models.ForeignKey(Version, on_delete=models.CASCADE, related_name="commitments")
    owner_team = models.ForeignKey(
        Team, on_delete=models.PROTECT, related_name="commitments", verbose_name=_("owner team")
    )
    kind = models.CharField(_("kind"), max_length=32, choices=CommitmentKind.choices)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    target = models.DecimalField(_("target"), max_digits=12, decimal_places=2)
    period = models.CharField(
        _("period"), max_length=16, choices=Cadence.choices, default=Cadence.MONTHLY
    )
    description = models.CharField(_("description"), max_length=255, blank=True)
    history = HistoricalRecords()

    class Meta(VersionPart.Meta):
        verbose_name = _("commitment")
        verbose_name_plural = _("commitments")
        constraints = [
            models.CheckConstraint(
                condition=Q(target__gte=0), name="commitment_target_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(kind="mql_volume") | Q(target__lte=100),
                name="commitment_rate_target_at_most_100",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ≥ {self.target}"

    def save(self, *args, **kwargs):
        # Never a placeholder: a description that only names the kind is left empty.
        self.description = commitment_description_clean(self.description)
        super().save(*args, **kwargs)

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}
        params = self.params if self.params is not None else {}
        if not isinstance(params, dict):
            raise ValidationError({"params": gettext("Parameters must be an object.")})
        expected = COMMITMENT_PARAMS.get(self.kind)
        if expected is None:
            errors["kind"] = [
                gettext("Unknown commitment kind %(kind)s.") % {"kind": repr(self.kind)}
            ]
        else:
            unknown = sorted(set(params) - set(expected))
            missing = [name for name in expected if params.get(name) in (None, "")]
            if unknown:
                errors.setdefault("params", []).append(
                    gettext("Unexpected parameter(s) for this kind: %(names)s.")
                    % {"names": ", ".join(unknown)}
                )
            if missing:
                errors.setdefault("params", []).append(
                    gettext("Missing parameter(s) for this kind: %(names)s.")
                    % {"names": ", ".join(missing)}
                )
            if not unknown and not missing:
                errors.update(_commitment_param_errors(self.kind, params))
        if self.target is not None:
            if self.target < 0:
                errors.setdefault("target", []).append(gettext("A target cannot be negative."))
            elif self.kind != CommitmentKind.MQL_VOLUME and self.target > 100:
                errors.setdefault("target", []).append(
                    gettext("This kind is a rate: its target is a percentage from 0 to 100.")
                )
        if self._owner_outside_parties():
            errors.setdefault("owner_team", []).append(
                gettext("The owner team must be a party to the agreement.")
            )
        if errors:
            raise ValidationError(errors)


class Holiday(VersionPart):
    version = models.ForeignKey(Version, on_delete=models.CASCADE, related_name="holidays")
    date = models.DateField(_("date"))
    name = models.CharField(_("name"), max_length=120, blank=True)
    history = HistoricalRecords()

    class Meta(VersionPart.Meta):
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")
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
    body = limited_text(_("body (Markdown)"), limits.DOCUMENT, blank=True)
    history = HistoricalRecords()

    class Meta(VersionPart.Meta):
        verbose_name = _("section")
        verbose_name_plural = _("sections")

    def __str__(self) -> str:
        return self.title


class EscalationAction(models.TextChoices):
    REMIND_OWNER = "remind_owner", _("Remind the owner")
    NOTIFY_MANAGER = "notify_manager", _("Tell the sales manager")
    ALLOW_REASSIGN = "allow_reassign", _("Allow reassignment")


class EscalationStep(VersionPart):
    """A step of the escalation ladder: at `at_percent` of the first-contact window, act."""

    version = models.ForeignKey(Version, on_delete=models.CASCADE, related_name="escalation_steps")
    # xgettext:no-python-format
    at_percent = models.PositiveSmallIntegerField(_("at % of the first-contact window"))
    action = models.CharField(_("action"), max_length=32, choices=EscalationAction.choices)
    history = HistoricalRecords()

    class Meta(VersionPart.Meta):
        verbose_name = _("escalation step")
        verbose_name_plural = _("escalation steps")
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


class IncentiveMeasure(models.TextChoices):
    """The shared outcome a rule pays for (docs/incentives.md#measures)."""

    WON_DEALS = "won_deals", _("Won deals")
    REVENUE = "revenue", _("Revenue of won deals")
    SQLS = "sqls", _("SQLs")
    COMMITMENTS_MET = "commitments_met", _("Commitments met by both sides")


class IncentiveCondition(models.TextChoices):
    """When a rule pays at all (docs/incentives.md#conditions)."""

    NONE = "none", _("Always")
    SPEED_MET = "speed_met", _("Only if every speed commitment is met")
    ALL_MET = "all_met", _("Only if both scorecards meet every commitment")


class Incentive(VersionPart):
    """A rule paying a party team for a shared outcome the portal measures, per period.

    Won deals, SQLs and commitments met pay `amount` each; revenue pays `rate_percent`
    of it. `cap` is the most a rule pays in one period; `condition` may void the period's
    payment. Amounts are in the version's currency (`revenue_goal_currency`).
    """

    version = models.ForeignKey(Version, on_delete=models.CASCADE, related_name="incentives")
    owner_team = models.ForeignKey(
        Team, on_delete=models.PROTECT, related_name="incentives", verbose_name=_("paid to")
    )
    name = models.CharField(_("name"), max_length=120)
    measure = models.CharField(_("pays for"), max_length=32, choices=IncentiveMeasure.choices)
    amount = models.DecimalField(
        _("amount each"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    rate_percent = models.DecimalField(
        # xgettext:no-python-format
        _("rate (% of revenue)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
    )
    cap = models.DecimalField(
        _("cap per period"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    condition = models.CharField(
        _("condition"),
        max_length=16,
        choices=IncentiveCondition.choices,
        default=IncentiveCondition.NONE,
    )
    period = models.CharField(
        _("period"), max_length=16, choices=Cadence.choices, default=Cadence.MONTHLY
    )
    history = HistoricalRecords()

    class Meta(VersionPart.Meta):
        verbose_name = _("incentive")
        verbose_name_plural = _("incentives")
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__isnull=True) | Q(amount__gt=0),
                name="incentive_amount_positive",
            ),
            models.CheckConstraint(
                condition=Q(rate_percent__isnull=True)
                | Q(rate_percent__gt=0, rate_percent__lte=100),
                name="incentive_rate_a_percentage",
            ),
            models.CheckConstraint(
                condition=Q(cap__isnull=True) | Q(cap__gt=0), name="incentive_cap_positive"
            ),
            models.UniqueConstraint(
                fields=["version", "owner_team", "name"], name="incentive_name_unique_per_team"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}
        if self.measure == IncentiveMeasure.REVENUE:
            if self.rate_percent is None:
                errors.setdefault("rate_percent", []).append(
                    gettext("A revenue rule pays a rate: give it a percentage.")
                )
            if self.amount is not None:
                errors.setdefault("amount", []).append(
                    gettext("A revenue rule pays a rate, not an amount each.")
                )
        elif self.measure:
            if self.amount is None:
                errors.setdefault("amount", []).append(
                    gettext("This rule pays an amount for each outcome: give the amount.")
                )
            if self.rate_percent is not None:
                errors.setdefault("rate_percent", []).append(
                    gettext("Only a revenue rule pays a rate.")
                )
        if self.amount is not None and self.amount <= 0:
            errors.setdefault("amount", []).append(gettext("The amount must be above zero."))
        if self.rate_percent is not None and not (0 < self.rate_percent <= 100):
            errors.setdefault("rate_percent", []).append(
                gettext("The rate is a percentage above 0 and at most 100.")
            )
        if self.cap is not None and self.cap <= 0:
            errors.setdefault("cap", []).append(gettext("A cap must be above zero."))
        if self._owner_outside_parties():
            errors.setdefault("owner_team", []).append(
                gettext("The team paid must be a party to the agreement.")
            )
        if errors:
            raise ValidationError(errors)


#: The parts of a version's content, by the name used in URLs, the API and the editor.
PART_MODELS: dict[str, type[VersionPart]] = {
    "terms": Term,
    "scoring_rules": ScoringRule,
    "reason_codes": ReasonCode,
    "nurture_tracks": NurtureTrack,
    "commitments": Commitment,
    "holidays": Holiday,
    "sections": Section,
    "escalation_steps": EscalationStep,
    "incentives": Incentive,
}


def _refuse_deleting_locked_content(sender, instance, **kwargs):
    """Deletes of locked versions or their parts. The model and queryset `delete()` check
    first; this signal is the last line for cascades from elsewhere."""
    if sender is Version:
        status = Version.objects.filter(pk=instance.pk).values_list("status", flat=True).first()
        if status is not None and status != VersionStatus.DRAFT:
            raise VersionLocked(Version(number=instance.number, status=status))
    else:
        _refuse_unless_draft(instance.version_id)


def _refuse_changing_sealed_parties(sender, instance, action, reverse, pk_set, **kwargs):
    """Parties are sealed content: no add, remove or clear once a version left draft.

    Both directions: `agreement.parties.add(team)` and `team.agreements.add(agreement)`.
    The last line behind the admin's read-only fields: Django sends this signal inside
    the caller's transaction (no savepoint of its own), so a refusal leaves that
    transaction to be rolled back.
    """
    if action not in ("pre_add", "pre_remove", "pre_clear"):
        return
    if action != "pre_clear" and not pk_set:
        return  # nothing would change (e.g. `set()` with the same parties)
    if not reverse:
        agreement_refuse_if_sealed(instance.pk)
        return
    agreement_ids = (
        pk_set if pk_set is not None else instance.agreements.values_list("pk", flat=True)
    )
    for agreement_id in agreement_ids:
        agreement_refuse_if_sealed(agreement_id)


m2m_changed.connect(
    _refuse_changing_sealed_parties,
    sender=Agreement.parties.through,
    dispatch_uid="slas_lock_agreement_parties",
)

# Per model, so other apps' deletes keep Django's fast path.
for _model in (Version, *PART_MODELS.values()):
    pre_delete.connect(
        _refuse_deleting_locked_content, sender=_model, dispatch_uid=f"slas_lock_{_model.__name__}"
    )
