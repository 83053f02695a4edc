"""Errors of the agreement area that every write path (forms, API, admin, services) shares."""

from __future__ import annotations

from django.utils.translation import gettext as _


class VersionLocked(Exception):
    """A write to a version that is no longer a draft (or to one of its parts).

    Only drafts change. Signed, pending, active and past versions are the record of
    what was agreed; the one exception is the signing services writing the lifecycle
    fields (status, in-force interval, content hash) with `save(update_fields=[...])`.
    """

    def __init__(self, version=None, message: str | None = None):
        self.version = version
        if message is None:
            if version is not None:
                message = _(
                    "Version %(number)s is %(status)s: it can no longer be changed. "
                    "Start a new version to amend it."
                ) % {"number": version.number, "status": version.state_label.lower()}
            else:
                message = _(
                    "This version is no longer a draft: it can no longer be changed. "
                    "Start a new version to amend it."
                )
        self.message = message
        super().__init__(message)

    def __str__(self) -> str:
        return self.message


class EditConflict(Exception):
    """Somebody else saved the draft since this editor loaded it (optimistic locking)."""

    def __init__(self, *, version, expected_revision: int, changes: list | None = None):
        self.version = version
        self.expected_revision = expected_revision
        self.current_revision = version.edit_revision
        self.changes = changes or []
        self.message = _(
            "Somebody else changed this draft while you were editing it. Your changes were "
            "not saved: review what changed, then save again."
        )
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message
