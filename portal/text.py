"""Messages kept untranslated until they are read, so a stored message (a notification)
shows in each reader's language, not in the language of whoever, or whatever task,
wrote it.

    Text(gettext_noop("Lead handed to you: %(lead)s"), lead=str(lead))

The msgid is marked with `gettext_noop` so makemessages extracts it; `str()` translates
it in the active language and fills in the parameters (which may be `Text` too). `spec()`
gives a JSON-able form to store and `Text.from_spec` reads it back. A date, a month
(`portal.dates.Month`) or an instant is stored as ISO 8601 and written when read (`portal.dates`: a calendar date as
its day, an instant in the reader's zone and language), never when stored. Other values
are stored as they are (numbers, written when read in the reader's digits) or as their text (names), which is what they read as in
every language. A list or tuple of such values reads as its items joined by commas.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.translation import gettext

from portal import dates, numbers


class Text:
    __slots__ = ("msgid", "params")

    def __init__(self, msgid: str, /, **params: Any) -> None:
        self.msgid = str(msgid)
        self.params = {key: _kept(value) for key, value in params.items()}

    def __str__(self) -> str:
        translated = gettext(self.msgid)
        if not self.params:
            return translated
        # numbers in the language's digits (portal.numbers.fill)
        return numbers.fill(translated, {key: _shown(value) for key, value in self.params.items()})

    def __repr__(self) -> str:
        return f"Text({self.msgid!r}, **{self.params!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Text) and (self.msgid, self.params) == (
            other.msgid,
            other.params,
        )

    def __hash__(self) -> int:
        return hash(self.msgid)

    def spec(self) -> dict:
        return {
            "msgid": self.msgid,
            "params": {key: _stored(value) for key, value in self.params.items()},
        }

    @classmethod
    def from_spec(cls, spec: dict) -> Text:
        params = {
            key: _read(value) if isinstance(value, dict) else value
            for key, value in (spec.get("params") or {}).items()
        }
        return cls(spec["msgid"], **params)


def _kept(value):
    if isinstance(value, list | tuple):
        return tuple(_kept(item) for item in value)
    if isinstance(value, Text | int | float | dt.date | dates.Month):
        return value
    return str(value)


def _shown(value):
    if isinstance(value, tuple):
        return ", ".join(str(_shown(item)) for item in value)
    if isinstance(value, Text | dates.Month):
        return str(value)
    if isinstance(value, dt.datetime):
        return dates.when(value)
    if isinstance(value, dt.date):
        return dates.day(value)
    return value


def _stored(value):
    if isinstance(value, tuple):
        return {"list": [_stored(item) for item in value]}
    if isinstance(value, Text):
        return value.spec()
    if isinstance(value, dt.datetime):
        return {"instant": value.isoformat()}
    if isinstance(value, dt.date):
        return {"day": value.isoformat()}
    if isinstance(value, dates.Month):
        return {"month": value.isoformat()}
    return value


def _read(value: dict):
    if "list" in value:
        return tuple(_read(item) if isinstance(item, dict) else item for item in value["list"])
    if "instant" in value:
        return dt.datetime.fromisoformat(value["instant"])
    if "day" in value:
        return dt.date.fromisoformat(value["day"])
    if "month" in value:
        return dates.Month.fromisoformat(value["month"])
    return Text.from_spec(value)
