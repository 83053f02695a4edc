"""The sweeps the scheduler runs, by part name.

Each app owns its sweeps and registers them here in its `AppConfig.ready`
(`sweep_register`): lead clocks (leads.sweep), action items (leads.reviews.sweep),
agreement dates and version expiry (slas.sweep), the monthly report (reports.sweep), the
portal's email requeue (portal.sweep), and lead imports no worker is running
(leads.ingest.uploads: never sent, or their worker died). The periodic tasks
(portal.tasks) run parts by name, so the schedule does not change when a sweep moves.

Each sweep looks at the facts as of `now` and writes every notification that is due and
not yet written. Because "due" is recomputed every time from the database and every
notification has a dedupe key, a sweep that did not run (broker or worker down) is
caught up by the next one, and running it twice writes nothing twice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable

#: Every part the scheduler runs, in the order a whole sweep runs them.
ALL_PARTS = (
    "leads",
    "steps",
    "emails",
    "imports",
    "reminders",
    "expiry",
    "monthly",
    "actions",
)

Sweep = Callable[..., int]
_SWEEPS: dict[str, Sweep] = {}


def sweep_register(part: str, sweep: Sweep) -> None:
    """Register an app's sweep under one of ALL_PARTS (from its AppConfig.ready)."""
    if part not in ALL_PARTS:
        raise ValueError(f"unknown sweep part {part!r}")
    _SWEEPS[part] = sweep


def sweep_all(*, now: dt.datetime, parts: Iterable[str] = ALL_PARTS) -> dict[str, int]:
    return {part: _SWEEPS[part](now=now) for part in parts}
