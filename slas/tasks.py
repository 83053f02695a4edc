"""Celery autodiscovers `<app>.tasks`; the slas tasks live in area modules imported here."""

from slas.signing_tasks import (  # noqa: F401
    signing_reminders_send,
    signing_requests_expire,
    versions_lifecycle_run,
)
