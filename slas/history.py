"""Change reasons on every simple-history row: where an edit came from, what it changed
and why.

Every write in the agreement area stamps its rows with `stamp()` before saving, so a
history row always says who (`history_user`), when, and "<source>: <what>", followed on
a second line by the reason the person gave, if any: e.g. "web form: definitions" or
"API: terms\nSales asked for it.". Sources are few and fixed so the timeline can show
them as labels. `what` is never stored translated: it is a component or part key, or an
English message marked with `gettext_noop`, so the timeline translates it for whoever
reads it (`slas.timeline.what_label`). The reason is the person's own words, one short line.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import NamedTuple

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
WHY_SEPARATOR = "\n"
#: The longest reason a person may give for an edit ("a short reason").
WHY_MAX_LENGTH = 200


class ChangeReason(NamedTuple):
    source: str  # a Source value, or "" (not one of ours)
    what: str  # a component or part key, or an English message id
    why: str  # the reason the person gave, or ""


def why_clean(why: str | None) -> str:
    """A reason as one line: surrounding and repeated whitespace (newlines too) collapsed."""
    return " ".join(str(why or "").split())


def change_reason(source: str, what: str = "", why: str = "") -> str:
    head = f"{source}{SEPARATOR}{what}" if what else str(source)
    why = why_clean(why)
    return f"{head}{WHY_SEPARATOR}{why}" if why else head


def split_reason(reason: str | None) -> ChangeReason:
    """("web form", "definitions", "") from "web form: definitions"; unknown prefixes stay
    text (in `what`)."""
    head, _sep, why = (reason or "").partition(WHY_SEPARATOR)
    source, sep, what = head.partition(SEPARATOR)
    if sep and source in Source.values:
        return ChangeReason(source, what, why)
    if head in Source.values:
        return ChangeReason(head, "", why)
    return ChangeReason("", head, why)


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
