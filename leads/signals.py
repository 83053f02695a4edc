"""Signals the leads app sends, for the apps above it (reports) to follow the facts
without leads importing them (docs/architecture.md)."""

from django.dispatch import Signal

#: Cycle rows were written or removed, in the writer's transaction. Keyword `changes`:
#: the cycles whose facts changed, as (old, new) pairs of column dicts
#: (leads.cycle_rows.CYCLE_COLUMNS; None: no such cycle before, or after), the cycles
#: whose facts did not change left out (leads.cycle_rows.lead_cycles_refresh). Or, from a
#: writer that does not know the old rows, keyword `touched`: the (version_id,
#: handoff_at) pairs it touched (version_id may be None). Receivers must work inside
#: that transaction (reports adjusts or drops the stored results the cycles fed).
cycles_changed = Signal()
