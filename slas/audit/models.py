"""The audit log is append-only and hash-chained: each entry stores the hash of the previous entry of the same agreement and its own hash; `AuditHead` holds the last link (so deleting the newest entry is detected too) and is the row appends lock. These models belong to the `slas` app (registered by slas.apps)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    CREATED = "created", _("Created")
    EDITED = "edited", _("Edited")
    REBASED = "rebased", _("Rebased onto the version in force")
    DISCARDED = "discarded", _("Draft discarded")
    SENT = "sent", _("Sent for signature")
    VIEWED = "viewed", _("Viewed by signer")
    SIGNED = "signed", _("Signed")
    DECLINED = "declined", _("Declined")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    REQUEST_EXPIRED = "request_expired", _("Signature request expired")
    ACTIVATED = "activated", _("Activated")
    SUPERSEDED = "superseded", _("Superseded")
    EXPIRED = "expired", _("Expired")
    VOIDED = "voided", _("Voided: a newer version took force first")


class AuditEntry(models.Model):
    """One link of an agreement's audit chain. Written only by `slas.signing.audit_append`."""

    agreement = models.ForeignKey(
        "slas.Agreement", on_delete=models.PROTECT, related_name="audit_entries"
    )
    seq = models.PositiveIntegerField()
    action = models.CharField(_("action"), max_length=32, choices=AuditAction.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Snapshots: the chain must verify even if the user or version row changes later.
    actor_name = models.CharField(max_length=200, blank=True)
    version = models.ForeignKey(
        "slas.Version",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="audit_entries",
    )
    version_number = models.PositiveIntegerField(null=True, blank=True)
    at = models.DateTimeField(_("when"))
    data = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["agreement", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["agreement", "seq"], name="audit_entry_seq_unique"),
            models.UniqueConstraint(
                fields=["agreement", "prev_hash"], name="audit_entry_one_successor"
            ),
        ]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")

    def __str__(self) -> str:
        return f"{self.agreement_id}#{self.seq} {self.action}"

    def save(self, *args, **kwargs):
        # Append-only: an entry is written once. (Raw SQL can still alter it; the chain
        # then fails verification, which is the point of the hashes.)
        if self.pk is not None:
            raise ValueError("Audit entries are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Audit entries are append-only.")


class AuditHead(models.Model):
    """The newest link of an agreement's chain; appends lock this row."""

    agreement = models.OneToOneField(
        "slas.Agreement", on_delete=models.PROTECT, related_name="audit_head", primary_key=True
    )
    seq = models.PositiveIntegerField(default=0)
    entry_hash = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("audit chain head")
        verbose_name_plural = _("audit chain heads")

    def __str__(self) -> str:
        return f"{self.agreement_id}: {self.seq}"
