"""Celery autodiscovers `<app>.tasks`; the leads tasks live in their area's package."""

from leads.ingest import tasks as ingest_tasks  # noqa: F401  (registers the ingest task)
