"""Stored compliance results: a cache of the pure engine's output.

One row per (commitment, period). Rows are adjusted in place when the facts behind
them change (reports.results: cycles and feedback; a writer that does not know the
old cycles drops rows through reports.facts), are ignored when the commitment, its version's calendar or in-force
interval changed since they were computed (``spec_hash``), and expire at
``valid_until``, the instant the result could change by the passing of time
(see reports.engine); an expired row is brought forward by reading only the cycles
whose ``due`` instant passed. So a page reads precomputed rows and recomputes only
what is missing, which keeps its query count constant and its cost
independent of the number of events.

``FactsRevision`` counts, per version, the changes of the facts behind its
results: every invalidation bumps it (before dropping rows, in the writer's
transaction), and a reader stores what it computed only if the revision it
read before reading the cycles is still the current one, checked under the
revision row's lock. So a result computed from cycles that changed meanwhile
is never stored, and one stored just before a change is dropped by it.
``ComplianceResult.facts_revision`` records the revision a row was computed at.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ComplianceResult(models.Model):
    version = models.ForeignKey("slas.Version", on_delete=models.CASCADE, related_name="+")
    commitment = models.ForeignKey(
        "slas.Commitment", on_delete=models.CASCADE, related_name="compliance_results"
    )
    kind = models.CharField(max_length=32)
    period_start = models.DateTimeField()
    period_end = models.DateTimeField()
    label = models.CharField(max_length=16)
    actual = models.FloatField(null=True)
    numerator = models.PositiveIntegerField(default=0)
    denominator = models.PositiveIntegerField(default=0)
    target = models.DecimalField(max_digits=12, decimal_places=2)
    status = models.CharField(max_length=16)
    projected = models.FloatField(null=True)
    # Sizes of the engine's cycle lists: {"breached": 3, "open": 5, ...}
    counts = models.JSONField(default=dict)
    spec_hash = models.CharField(max_length=64)
    computed_at = models.DateTimeField()
    valid_until = models.DateTimeField(null=True)
    # Per cycle (its key) whose part can still change by time alone, the next instant it
    # can: {"8812": "2026-04-02T09:00:00+00:00"}. When the row expires, only the cycles
    # come due are read again (reports.results). None: not known (a row from before).
    due = models.JSONField(null=True, default=None)
    # The version's FactsRevision when the cycles behind this row were read.
    facts_revision = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["commitment", "period_start"], name="compliance_result_unique"
            )
        ]
        indexes = [models.Index(fields=["version", "period_end"])]
        verbose_name = _("compliance result")
        verbose_name_plural = _("compliance results")

    def __str__(self) -> str:
        return f"{self.commitment_id} {self.label}: {self.status}"


class FactsRevision(models.Model):
    """How many times the facts behind a version's stored results changed (no row: 0)."""

    version = models.OneToOneField(
        "slas.Version", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    value = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = _("facts revision")
        verbose_name_plural = _("facts revisions")

    def __str__(self) -> str:
        return f"{self.version_id}: {self.value}"
