"""The people side: teams, memberships with a role per team, notifications."""

import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from portal.text import Text


class TeamFunction(models.TextChoices):
    MARKETING = "marketing", _("Marketing")
    SALES = "sales", _("Sales")
    CUSTOMER_SUCCESS = "customer_success", _("Customer success")
    OTHER = "other", _("Other")


class Role(models.TextChoices):
    REP = "rep", _("Rep")
    MANAGER = "manager", _("Manager")
    EXEC = "exec", _("Exec")


class Team(models.Model):
    name = models.CharField(_("name"), max_length=120, unique=True)
    function = models.CharField(_("function"), max_length=32, choices=TeamFunction.choices)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Membership", related_name="teams"
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("team_detail", args=[self.pk])


class Membership(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["team__name", "role", "user__username"]
        constraints = [
            models.UniqueConstraint(fields=["user", "team"], name="membership_one_role_per_team"),
            models.CheckConstraint(
                condition=models.Q(role__in=["rep", "manager", "exec"]),
                name="membership_role_valid",
            ),
        ]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")

    def __str__(self) -> str:
        return f"{self.user} · {self.team} · {self.get_role_display()}"


class EmailDelivery(models.TextChoices):
    IMMEDIATE = "immediate", _("Email right away")
    DIGEST = "digest", _("In the daily digest email")
    OFF = "off", _("No email (in the portal only)")


class Notification(models.Model):
    """One message to one person. `dedupe_key` makes every delivery happen once."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(_("kind"), max_length=64)
    title = models.CharField(_("title"), max_length=255)
    body = models.TextField(_("body"), blank=True)
    reason = models.CharField(_("why you get this"), max_length=255, blank=True)
    url = models.CharField(_("link"), max_length=500, blank=True)
    # The untranslated title, body and reason (portal.text.Text specs by part) of a
    # notification written with Text: shown in the reader's language (`title_text`,
    # ...). The columns above hold them in the site language (admin, search).
    message = models.JSONField(default=dict, blank=True)
    dedupe_key = models.CharField(max_length=255)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    # Last time the email task was handed to the broker or started (the sweep re-enqueues
    # emails whose task was never queued or was lost with the broker).
    email_queued_at = models.DateTimeField(null=True, blank=True)
    # How the email copy goes out, decided from the recipient's preference when the
    # notification is written (so a later change of preference cannot send it twice).
    email_delivery = models.CharField(
        _("email delivery"), max_length=16, choices=EmailDelivery.choices, default="off"
    )
    digest = models.ForeignKey(
        "EmailDigest",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="notifications",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "dedupe_key"], name="notification_once_per_recipient"
            )
        ]
        indexes = [
            models.Index(fields=["recipient", "read_at"]),
            models.Index(
                fields=["email_delivery", "created_at"],
                condition=models.Q(emailed_at__isnull=True) & ~models.Q(email_delivery="off"),
                name="notification_email_pending",
            ),
        ]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")

    def __str__(self) -> str:
        return self.title

    def _in_reader_language(self, part: str, stored: str) -> str:
        spec = (self.message or {}).get(part)
        return str(Text.from_spec(spec)) if spec else stored

    @property
    def title_text(self) -> str:
        return self._in_reader_language("title", self.title)

    @property
    def body_text(self) -> str:
        return self._in_reader_language("body", self.body)

    @property
    def reason_text(self) -> str:
        return self._in_reader_language("reason", self.reason)


class NotificationPreference(models.Model):
    """A person's choice of email delivery for one kind. In-app is always on.

    No row means the kind's default (see `portal.notifications.KINDS`).
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    kind = models.CharField(_("kind"), max_length=64)
    email = models.CharField(_("email"), max_length=16, choices=EmailDelivery.choices)

    class Meta:
        ordering = ["user", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="notification_preference_once"),
            models.CheckConstraint(
                condition=models.Q(email__in=["immediate", "digest", "off"]),
                name="notification_preference_email_valid",
            ),
        ]
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")

    def __str__(self) -> str:
        return f"{self.user} · {self.kind} · {self.email}"


class EmailDigest(models.Model):
    """One daily digest email per person and day: the unique row is the dedupe key."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="email_digests"
    )
    day = models.DateField(_("day"))
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-day", "recipient"]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "day"], name="email_digest_once_per_day")
        ]
        verbose_name = _("email digest")
        verbose_name_plural = _("email digests")

    def __str__(self) -> str:
        return f"{self.recipient} · {self.day}"


class TokenScope(models.TextChoices):
    READ = "read", _("Read only")
    WRITE = "write", _("Read and write")


class ApiToken(models.Model):
    """A personal or integration API token. Only a SHA-256 hash of the secret is stored.

    The token a client sends is `<prefix>.<secret>`; the prefix finds the row, the hash
    proves the secret.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=12, unique=True)
    key_hash = models.CharField(max_length=64)
    scope = models.CharField(
        _("scope"), max_length=8, choices=TokenScope.choices, default=TokenScope.READ
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


def time_zone_choices() -> list[tuple[str, str]]:
    return [(name, name) for name in sorted(zoneinfo.available_timezones())]


class Profile(models.Model):
    """A person's reading settings. No row (or a blank zone) means the site's.

    `time_zone` is where instants (a handoff, a signature) are shown to this person;
    agreement dates stay calendar dates of the agreement whatever it is. `language` is
    the one they last chose on screen, which their e-mails are written in (blank: the
    site's).
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True)
    language = models.CharField(
        _("language"), max_length=16, blank=True, choices=settings.LANGUAGES
    )

    class Meta:
        verbose_name = _("profile")
        verbose_name_plural = _("profiles")

    def __str__(self) -> str:
        return f"{self.user} · {self.time_zone or settings.TIME_ZONE}"

    def clean(self) -> None:
        if self.time_zone and self.time_zone not in zoneinfo.available_timezones():
            raise ValidationError({"time_zone": _("This is not a time zone we know.")})


def reader_time_zone(user, *, own: bool = False) -> str:
    """The zone a person reads instants in: theirs, or the site's (`own`: theirs or "")."""
    if user is None or not getattr(user, "is_authenticated", False):
        return "" if own else settings.TIME_ZONE
    profile = Profile.objects.filter(user=user).only("time_zone").first()
    zone = profile.time_zone if profile else ""
    return zone if own else zone or settings.TIME_ZONE


def reader_language(user, default: str = "") -> str:
    """The language a person reads e-mails in: the one they chose, else `default` (the
    language of the request that asks for the e-mail), else the site's."""
    known = {code for code, _name in settings.LANGUAGES}
    profile = Profile.objects.filter(user_id=getattr(user, "pk", None)).only("language").first()
    if profile and profile.language in known:
        return profile.language
    return default if default in known else settings.LANGUAGE_CODE


def profile_language_set(*, user, language: str) -> None:
    """Keep the language a person chose on screen for what is written to them away from
    the screen (e-mails); an unknown one is ignored."""
    if language not in {code for code, _name in settings.LANGUAGES}:
        return
    Profile.objects.update_or_create(user=user, defaults={"language": language})


def profile_time_zone_set(*, user, time_zone: str) -> Profile:
    """Keep a person's reading zone ("" follows the site's)."""
    if time_zone and time_zone not in zoneinfo.available_timezones():
        raise ValidationError({"time_zone": _("This is not a time zone we know.")})
    profile, _created = Profile.objects.update_or_create(
        user=user, defaults={"time_zone": time_zone}
    )
    return profile
