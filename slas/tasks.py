"""Celery autodiscovers `<app>.tasks`; the slas tasks live in their area's package."""

from slas.signing import tasks as signing_tasks  # noqa: F401  (registers the signing tasks)
