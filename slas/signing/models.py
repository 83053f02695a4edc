"""Signing: rounds of signature requests and signatures (the audit chain: slas.audit).

A *round* is one attempt to get a version signed: it is opened by "send for
signature", and closed when every request is signed (completed), or when someone
declines, the sender withdraws, or a request expires. Closed rounds and their
signatures are never deleted: a voided signature stays in history with `voided_at`.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from portal import limits
from portal.limits import limited_text
from portal.models import Role, Team

__all__ = [
    "REMINDER_AFTER_DAYS",
    "REMINDER_EVERY_DAYS",
    "REQUEST_EXPIRY_DAYS",
    "CopyKind",
    "IssuedCopy",
    "RequestStatus",
    "RoundStatus",
    "Signature",
    "SignatureRequest",
    "SigningOrder",
    "SigningRound",
]


#: What the send page accepts for a round's requests (days), checked by the signing service.
REQUEST_EXPIRY_DAYS = (1, 90)
REMINDER_AFTER_DAYS = (1, 60)
REMINDER_EVERY_DAYS = (0, 30)


class SigningOrder(models.TextChoices):
    PARALLEL = "parallel", _("Parallel: everyone may sign at once")
    SEQUENTIAL = "sequential", _("Sequential: one after another, in order")


class RoundStatus(models.TextChoices):
    OPEN = "open", _("Awaiting signatures")
    COMPLETED = "completed", _("Signed by everyone")
    DECLINED = "declined", _("Declined")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    EXPIRED = "expired", _("Expired")
    VOIDED = "voided", _("Voided: a newer version took force first")


class SigningRoundQuerySet(models.QuerySet):
    def open(self):
        """Rounds collecting signatures now (at most one per version)."""
        return self.filter(status=RoundStatus.OPEN)


class SigningRound(models.Model):
    version = models.ForeignKey(
        "slas.Version", on_delete=models.PROTECT, related_name="signing_rounds"
    )
    number = models.PositiveIntegerField(_("round"))
    order = models.CharField(
        _("signing order"), max_length=16, choices=SigningOrder.choices, default="parallel"
    )
    status = models.CharField(
        _("status"), max_length=16, choices=RoundStatus.choices, default=RoundStatus.OPEN
    )
    content_hash = models.CharField(_("content hash"), max_length=64)
    # The exact canonical JSON bytes that were hashed at sending: the record of what was
    # signed. `content_hash` is their SHA-256; exports are served from them, never rebuilt.
    # Empty only on rounds sent before it was stored (see `slas.signing.signing_round_snapshot`).
    content_snapshot = models.BinaryField(_("signed content (canonical JSON)"), null=True)
    # The seal (slas.signing.seal): a canonical JSON statement of what the round is (its
    # content hash, its signatures once complete, the audit chain head when sealed), signed
    # with the portal's Ed25519 key (slas.signing.keys), which is not in the database.
    # Empty on rounds sealed before signatures existed: they are checked by hash only.
    seal_statement = models.BinaryField(_("seal statement (canonical JSON)"), null=True)
    seal_key_id = models.CharField(_("seal key id"), max_length=16, blank=True)
    seal_signature = models.CharField(
        _("seal signature (Ed25519, base64)"), max_length=100, blank=True
    )
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    sent_at = models.DateTimeField(_("sent at"))
    # When a completed round's version takes (or took) effect.
    activates_at = models.DateTimeField(_("takes effect at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    close_comment = limited_text(_("comment"), limits.NOTE, blank=True)

    objects = SigningRoundQuerySet.as_manager()

    class Meta:
        ordering = ["version", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["version", "number"], name="signing_round_number_unique"
            ),
            models.UniqueConstraint(
                fields=["version"],
                condition=Q(status="open"),
                name="signing_round_one_open_per_version",
            ),
            models.UniqueConstraint(
                fields=["version"],
                condition=Q(status="completed"),
                name="signing_round_one_completed_per_version",
            ),
            models.CheckConstraint(
                condition=Q(status="open", closed_at__isnull=True)
                | (~Q(status="open") & Q(closed_at__isnull=False)),
                name="signing_round_closed_when_not_open",
            ),
        ]
        verbose_name = _("signing round")
        verbose_name_plural = _("signing rounds")

    def __str__(self) -> str:
        return f"{self.version} · round {self.number}"

    @property
    def is_open(self) -> bool:
        return self.status == RoundStatus.OPEN

    @property
    def is_sequential(self) -> bool:
        return self.order == SigningOrder.SEQUENTIAL


class RequestStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting signature")
    SIGNED = "signed", _("Signed")
    VOIDED = "voided", _("Voided")


class SignatureRequest(models.Model):
    """One required signature: for a party team (any manager of it may sign) or a named person."""

    round = models.ForeignKey(SigningRound, on_delete=models.PROTECT, related_name="requests")
    position = models.PositiveSmallIntegerField(_("position"))
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="signature_requests",
    )
    status = models.CharField(
        _("status"), max_length=16, choices=RequestStatus.choices, default=RequestStatus.PENDING
    )
    # When the signer could first act (sent, or the previous signature in sequential order).
    opened_at = models.DateTimeField(_("open since"), null=True, blank=True)
    reminders_sent = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["round", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["round", "position"], name="signature_request_position_unique"
            ),
            models.UniqueConstraint(
                fields=["round", "team"],
                condition=Q(team__isnull=False),
                name="signature_request_one_per_team",
            ),
            models.UniqueConstraint(
                fields=["round", "user"],
                condition=Q(user__isnull=False),
                name="signature_request_one_per_person",
            ),
            models.CheckConstraint(
                condition=Q(team__isnull=True, user__isnull=False)
                | Q(team__isnull=False, user__isnull=True),
                name="signature_request_team_xor_person",
            ),
        ]
        verbose_name = _("signature request")
        verbose_name_plural = _("signature requests")

    def __str__(self) -> str:
        return f"{self.round} · {self.team or self.user}"

    @property
    def expires_at(self):
        """When this request expires unsigned: `request_expiry_days` after it opened (a
        request of a sequential round opens when the previous one is signed); None while
        it has not opened."""
        if self.opened_at is None:
            return None
        days = self.round.version.agreement.request_expiry_days
        return self.opened_at + datetime.timedelta(days=days)

    @property
    def label(self) -> str:
        if self.team_id:
            return str(self.team)
        return self.user.get_full_name() or self.user.get_username()


class Signature(models.Model):
    """Proof of one signature: who, for which team and role, when, from where, on which hash."""

    request = models.OneToOneField(
        SignatureRequest, on_delete=models.PROTECT, related_name="signature"
    )
    version = models.ForeignKey("slas.Version", on_delete=models.PROTECT, related_name="signatures")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="signatures"
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    role = models.CharField(_("role"), max_length=32)
    full_name = models.CharField(_("typed full name"), max_length=200)
    consent_text = models.TextField(_("consent statement"))
    signed_at = models.DateTimeField(_("signed at"))
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=500, blank=True)
    content_hash = models.CharField(_("content hash seen"), max_length=64)
    voided_at = models.DateTimeField(_("voided at"), null=True, blank=True)

    class Meta:
        ordering = ["signed_at", "id"]
        verbose_name = _("signature")
        verbose_name_plural = _("signatures")

    def __str__(self) -> str:
        return f"{self.full_name} · {self.version}"

    @property
    def role_label(self) -> str:
        """The stored role code (sealed as it was) in the reader's language."""
        if self.role in Role.values:
            return str(Role(self.role).label)
        return str(_("signatory")) if self.role == "signatory" else self.role


class CopyKind(models.TextChoices):
    DOCUMENT_PDF = "document_pdf", _("document PDF")
    CERTIFICATE_PDF = "certificate_pdf", _("certificate PDF")


class IssuedCopy(models.Model):
    """A PDF the portal handed out for a signed version, known by its own SHA-256.

    The canonical JSON export needs no row: its SHA-256 is the round's content hash. A PDF
    is made for people (labels, the reader's language and time zone, the certificate's
    current status), so its bytes are not the signed bytes; the verify page recognises it
    by the hash recorded here when the portal first produced it. Same content, same bytes
    (the PDFs are deterministic), so one row per distinct file.
    """

    round = models.ForeignKey(SigningRound, on_delete=models.PROTECT, related_name="copies")
    kind = models.CharField(_("file"), max_length=32, choices=CopyKind.choices)
    sha256 = models.CharField(_("SHA-256 of the file"), max_length=64, unique=True)
    language = models.CharField(_("language"), max_length=16, blank=True)
    first_issued_at = models.DateTimeField(_("first handed out at"))

    class Meta:
        ordering = ["round", "first_issued_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(sha256__regex=r"^[0-9a-f]{64}$"), name="issued_copy_sha256_hex"
            ),
        ]
        verbose_name = _("issued copy")
        verbose_name_plural = _("issued copies")

    def __str__(self) -> str:
        return f"{self.round} · {self.get_kind_display()} · {self.sha256[:12]}"
