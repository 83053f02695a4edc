"""Import jobs: one uploaded file, its progress and its issues report. These models belong to the `leads` app (its `models` module names them)."""

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.models import Team


class ImportFormat(models.TextChoices):
    EVENTS = "events", _("Portal events CSV")
    HUBSPOT = "hubspot", _("HubSpot contacts export")


class ImportStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class ImportJob(models.Model):
    """One CSV upload and what became of it (processed by a Celery task, in chunks)."""

    file = models.FileField(_("file"), upload_to="lead-imports/%Y/%m/")
    original_name = models.CharField(_("file name"), max_length=255)
    format = models.CharField(_("format"), max_length=16, choices=ImportFormat.choices)
    tz = models.CharField(_("time zone"), max_length=64, default="UTC")
    # The uploader's language: the issues report is written in it (by the worker).
    language = models.CharField(
        _("language"), max_length=16, blank=True, choices=settings.LANGUAGES
    )
    marketing_team = models.ForeignKey(
        Team, on_delete=models.PROTECT, related_name="+", verbose_name=_("marketing team")
    )
    sales_team = models.ForeignKey(
        Team, on_delete=models.PROTECT, related_name="+", verbose_name=_("sales team")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=16, choices=ImportStatus.choices, default=ImportStatus.QUEUED
    )
    total_bytes = models.BigIntegerField(default=0)
    processed_bytes = models.BigIntegerField(default=0)
    rows = models.PositiveIntegerField(_("rows read"), default=0)
    created = models.PositiveIntegerField(_("events stored"), default=0)
    duplicates = models.PositiveIntegerField(_("duplicates"), default=0)
    failed = models.PositiveIntegerField(_("rows refused"), default=0)
    warnings = models.PositiveIntegerField(_("warnings"), default=0)
    issues_report = models.FileField(upload_to="lead-imports/reports/%Y/%m/", blank=True)
    error = models.TextField(_("why the file was refused"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # When its task was last sent to the broker: None while the broker was down at upload
    # (the imports sweep sends it when the broker is back; leads.ingest.uploads).
    enqueued_at = models.DateTimeField(null=True, blank=True)
    # The lease of the worker running it (leads.ingest.jobs): claimed with a conditional
    # update, renewed while the worker lives; once expired, the sweep resumes the job.
    lease_token = models.CharField(max_length=32, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(processed_bytes__lte=models.F("total_bytes")) | Q(total_bytes=0),
                name="import_progress_within_file",
            ),
        ]
        verbose_name = _("lead import")
        verbose_name_plural = _("lead imports")

    def __str__(self) -> str:
        return f"{self.original_name} ({self.get_status_display()})"

    def get_absolute_url(self) -> str:
        return reverse("leads:import_detail", args=[self.pk])

    @property
    def percent(self) -> int:
        if self.status == ImportStatus.DONE:
            return 100
        if not self.total_bytes:
            return 0
        return min(99, int(100 * self.processed_bytes / self.total_bytes))

    @property
    def finished(self) -> bool:
        return self.status in (ImportStatus.DONE, ImportStatus.FAILED)

    #: Queued longer than this since the upload, a job is said to wait for a worker.
    QUEUED_LONG = dt.timedelta(minutes=2)

    @property
    def queued_long(self) -> bool:
        """Sent to the broker, and still queued minutes after the upload: no worker has
        started it (all busy, or none running); the page says so instead of showing 0%
        without a word. A job never sent is `waiting_for_worker` instead."""
        return (
            self.status == ImportStatus.QUEUED
            and self.enqueued_at is not None
            and self.created_at is not None
            and timezone.now() - self.created_at > self.QUEUED_LONG
        )

    @property
    def waiting_for_worker(self) -> bool:
        """Queued, but its task could not be sent yet (the broker was down at upload)."""
        return self.status == ImportStatus.QUEUED and self.enqueued_at is None


class ImportChunk(models.Model):
    """One chunk of an import's events, stored: written in the same transaction as the
    events themselves, so a resumed job knows exactly which chunks are done (it writes
    them not again) and what they counted (its totals stay exact)."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="chunks")
    seq = models.PositiveIntegerField()  # 1, 2, ... in the order of the file
    last_row = models.PositiveIntegerField()  # the spreadsheet row of its last event
    created = models.PositiveIntegerField(default=0)
    duplicates = models.PositiveIntegerField(default=0)
    # Events the store refused: [[row, column, message], ...], for the issues report.
    failures = models.JSONField(default=list, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["job", "seq"], name="import_chunk_once"),
        ]

    def __str__(self) -> str:
        return f"{self.job_id}/{self.seq}"
