"""The audit chain: one hash-linked list of entries per agreement, appended under the agreement's `AuditHead` lock, and its verification."""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from slas.audit.models import AuditEntry, AuditHead
from slas.canonical import canonical_json, content_hash
from slas.history import history_dated
from slas.models import Agreement, Version
from slas.signals import audit_appended

GENESIS_HASH = "0" * 64


# Audit chain -------------------------------------------------------------------------


def _audit_hash(
    *,
    agreement_id: int,
    seq: int,
    action: str,
    actor_id: int | None,
    actor_name: str,
    version_id: int | None,
    version_number: int | None,
    at: datetime.datetime,
    data: dict,
    prev_hash: str,
) -> str:
    return content_hash(
        {
            "agreement": agreement_id,
            "seq": seq,
            "action": action,
            "actor": actor_id,
            "actor_name": actor_name,
            "version": version_id,
            "version_number": version_number,
            "at": at,
            "data": data,
            "prev_hash": prev_hash,
        }
    )


def _entry_hash(entry: AuditEntry) -> str:
    return _audit_hash(
        agreement_id=entry.agreement_id,
        seq=entry.seq,
        action=entry.action,
        actor_id=entry.actor_id,
        actor_name=entry.actor_name,
        version_id=entry.version_id,
        version_number=entry.version_number,
        at=entry.at,
        data=entry.data,
        prev_hash=entry.prev_hash,
    )


_AUDIT_CLOCK: ContextVar[datetime.datetime | None] = ContextVar("audit_clock", default=None)


@contextmanager
def audit_dated(at: datetime.datetime) -> Iterator[None]:
    """Date the audit entries appended inside at `at` unless they name their own `at`,
    and the history rows stamped inside too (`slas.history.history_dated`): the history
    page and the audit log tell one story.

    For writing history after the fact (the demo seeds months of it through the same
    services): entries stay in the order they are appended, so callers go forward in time.
    """
    token = _AUDIT_CLOCK.set(at)
    try:
        with history_dated(at):
            yield
    finally:
        _AUDIT_CLOCK.reset(token)


def _display_name(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


def audit_append(
    *,
    agreement: Agreement | int,
    action: str,
    actor=None,
    version: Version | None = None,
    data: dict | None = None,
    at: datetime.datetime | None = None,
) -> AuditEntry:
    """Append one entry to the agreement's hash chain (created, edited, sent, signed...).

    Safe under concurrency: the head row is locked, so appends are serialised per
    agreement and each entry links to the one before it.
    """
    agreement_id = agreement if isinstance(agreement, int) else agreement.pk
    at = at or _AUDIT_CLOCK.get() or timezone.now()
    # Store exactly what is hashed: JSON-native values only.
    clean_data = json.loads(canonical_json(data or {}))
    with transaction.atomic():
        AuditHead.objects.get_or_create(agreement_id=agreement_id)
        head = AuditHead.objects.select_for_update().get(agreement_id=agreement_id)
        seq = head.seq + 1
        prev_hash = head.entry_hash or GENESIS_HASH
        fields = {
            "agreement_id": agreement_id,
            "seq": seq,
            "action": action,
            "actor_id": actor.pk if actor else None,
            "actor_name": _display_name(actor),
            "version_id": version.pk if version else None,
            "version_number": version.number if version else None,
            "at": at,
            "data": clean_data,
            "prev_hash": prev_hash,
        }
        entry_hash = _audit_hash(**fields)
        entry = AuditEntry.objects.create(**fields, entry_hash=entry_hash)
        AuditHead.objects.filter(pk=head.pk).update(seq=seq, entry_hash=entry_hash)
        audit_appended.send(sender=AuditEntry, agreement_id=agreement_id)
    return entry


@dataclass(frozen=True)
class ChainVerification:
    intact: bool
    checked: int
    broken_seq: int | None = None
    reason: str = ""


def audit_verify(*, agreement: Agreement | int) -> ChainVerification:
    """Walk the chain: contiguous sequence, each link to the previous hash, each hash right."""
    agreement_id = agreement if isinstance(agreement, int) else agreement.pk
    prev_hash = GENESIS_HASH
    expected_seq = 1
    checked = 0
    entries = AuditEntry.objects.filter(agreement_id=agreement_id).order_by("seq", "pk")
    for entry in entries.iterator():
        if entry.seq != expected_seq:
            return ChainVerification(
                False,
                checked,
                expected_seq,
                _("Entry %(seq)s is missing or out of order.") % {"seq": expected_seq},
            )
        if entry.prev_hash != prev_hash:
            return ChainVerification(
                False,
                checked,
                entry.seq,
                _("Entry %(seq)s does not link to the entry before it.") % {"seq": entry.seq},
            )
        if _entry_hash(entry) != entry.entry_hash:
            return ChainVerification(
                False,
                checked,
                entry.seq,
                _("Entry %(seq)s was altered after it was written.") % {"seq": entry.seq},
            )
        prev_hash = entry.entry_hash
        expected_seq += 1
        checked += 1
    head = AuditHead.objects.filter(agreement_id=agreement_id).first()
    head_seq, head_hash = (head.seq, head.entry_hash) if head else (0, "")
    if head_seq != checked or (head_hash or GENESIS_HASH) != prev_hash:
        return ChainVerification(
            False,
            checked,
            checked + 1,
            _("The newest entries are missing: the chain ends at %(seq)s, its head says %(head)s.")
            % {"seq": checked, "head": head_seq},
        )
    return ChainVerification(True, checked)
