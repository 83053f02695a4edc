"""Change reasons on every simple-history row: where an edit came from and what it did.

Every write in the agreement area stamps its rows with `stamp()` before saving, so a
history row always says who (`history_user`), when, and why: "<source>: <what>", e.g.
"web form: definitions" or "API: term created". Sources are few and fixed so the
timeline can show them as labels.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import models
from django.utils.translation import gettext_lazy as _


class Source(models.TextChoices):
    WEB = "web form", _("web form")
    API = "API", _("API")
    ADMIN = "admin", _("admin")
    IMPORT = "import", _("import")
    DEMO = "demo", _("demo")
    SIGNING = "signing", _("signing")


SEPARATOR = ": "


def change_reason(source: str, what: str = "") -> str:
    return f"{source}{SEPARATOR}{what}" if what else str(source)


def split_reason(reason: str | None) -> tuple[str, str]:
    """("web form", "definitions") from "web form: definitions"; unknown prefixes stay text."""
    if not reason:
        return "", ""
    head, sep, tail = reason.partition(SEPARATOR)
    if sep and head in Source.values:
        return head, tail
    if reason in Source.values:
        return reason, ""
    return "", reason


_HISTORY_CLOCK: ContextVar[datetime.datetime | None] = ContextVar("history_clock", default=None)


@contextmanager
def history_dated(at: datetime.datetime) -> Iterator[None]:
    """Date the history rows stamped inside at `at` instead of now.

    For writing history after the fact: the demo seeds months of drafting and signing
    through the same services, and each row must carry the time the audit log shows for
    that step (`slas.audit.chain.audit_dated` enters this too).
    """
    token = _HISTORY_CLOCK.set(at)
    try:
        yield
    finally:
        _HISTORY_CLOCK.reset(token)


def stamp(instance, *, user, reason: str) -> None:
    """Make the next history row of `instance` carry this user and change reason (and the
    date of an enclosing `history_dated`)."""
    instance._history_user = user
    instance._change_reason = reason
    at = _HISTORY_CLOCK.get()
    if at is not None:
        instance._history_date = at  # read by simple-history instead of now


def unstamp(instance) -> None:
    for attribute in ("_history_user", "_change_reason", "_history_date"):
        if hasattr(instance, attribute):
            delattr(instance, attribute)
