"""Test support shared by every area: put a version in force the way signing does.

Parts of a version can only be written while it is a draft (slas.models guards every
write), so tests build a draft with its parts first, then call `version_take_effect`,
which makes the lifecycle-only save the signing services make.
"""

from __future__ import annotations

import datetime as dt

from slas.models import Version


def version_take_effect(
    version: Version,
    *,
    in_force_from: dt.datetime,
    in_force_until: dt.datetime | None = None,
    status: str | None = None,
) -> Version:
    version.status = status or ("active" if in_force_until is None else "superseded")
    version.in_force_from, version.in_force_until = in_force_from, in_force_until
    version.save(update_fields=["status", "in_force_from", "in_force_until"])
    return version
