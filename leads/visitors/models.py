"""Monthly visitor counts per source of an agreement. This model belongs to the `leads`
app (registered by leads.apps)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class VisitorCount(models.Model):
    """Visitors of one month (`month` is its first day) from one source."""

    agreement = models.ForeignKey(
        "slas.Agreement", on_delete=models.CASCADE, related_name="visitor_counts"
    )
    month = models.DateField(_("month"))
    source = models.CharField(_("source"), max_length=64)
    visitors = models.PositiveIntegerField(_("visitors"))
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-month", "source"]
        verbose_name = _("visitor count")
        verbose_name_plural = _("visitor counts")
        constraints = [
            models.UniqueConstraint(
                fields=["agreement", "month", "source"], name="visitor_count_unique"
            ),
            models.CheckConstraint(condition=~Q(source=""), name="visitor_count_has_source"),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.source}: {self.visitors}"
