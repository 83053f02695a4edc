"""Signals the leads app sends, for the apps above it (reports) to follow the facts
without leads importing them (docs/architecture.md)."""

from django.dispatch import Signal

#: Cycle rows were written or removed, in the writer's transaction. Keyword `touched`:
#: the (version_id, handoff_at) pairs of the old and the new rows (version_id may be
#: None). Receivers must work inside that transaction (reports drops stored results).
cycles_changed = Signal()
