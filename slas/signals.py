"""Signals the slas app sends, for the apps above it (leads) to follow agreements without
slas importing them (docs/architecture.md)."""

from django.dispatch import Signal

#: A version's in-force interval changed (activation, supersession, expiry), in the
#: transaction that changed it. Keywords `agreement_id` and `since`: handoffs at or after
#: `since` may now be governed by another version (leads re-governs their cycles).
version_in_force_changed = Signal()

#: An entry was appended to an agreement's audit chain, in the appending transaction.
#: Keyword `agreement_id`. slas.signing signs a checkpoint of the new head once it commits.
audit_appended = Signal()
