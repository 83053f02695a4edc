"""Signed checkpoints of each agreement's audit chain head, kept outside the database.

The chain's hashes show an entry altered or removed in the middle, and `AuditHead` shows
the newest entries removed, but someone who can write the database can delete the newest
entries *and* move the head back: every hash still links. So each time an append commits,
the new head (seq and entry hash) is signed with the seal key (slas.signing.keys) and
written to a file under `SEAL_CHECKPOINT_DIR`, one per agreement, only ever forward. A
chain whose head is behind its checkpoint, or holds another entry at the checkpoint's seq,
was rolled back (docs/security.md).

The files are kept per database (a hash of its engine, host and name in the folder name),
so a development database reset does not read as a rollback of another database's chains.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from slas.audit.models import AuditEntry, AuditHead
from slas.canonical import canonical_json
from slas.signing.keys import seal_sign, seal_signature_valid

logger = logging.getLogger(__name__)

CHECKPOINT_SCHEMA = "sla-portal/checkpoint/1"


def _database_id() -> str:
    db = settings.DATABASES["default"]
    name = f"{db['ENGINE']}|{db.get('HOST') or ''}|{db.get('PORT') or ''}|{connection.settings_dict['NAME']}"
    return hashlib.sha256(name.encode()).hexdigest()[:12]


def _path(agreement_id: int) -> Path:
    return Path(settings.SEAL_CHECKPOINT_DIR) / _database_id() / f"agreement-{agreement_id}.json"


def checkpoint_statement(agreement_id: int) -> dict:
    """A signed statement of the agreement's current chain head (also printed on certificates)."""
    head = AuditHead.objects.filter(agreement_id=agreement_id).first()
    statement = canonical_json(
        {
            "schema": CHECKPOINT_SCHEMA,
            "agreement": agreement_id,
            "seq": head.seq if head else 0,
            "entry_hash": head.entry_hash if head else "",
            "at": timezone.now(),
        }
    )
    key, signature = seal_sign(statement)
    return {"statement": statement.decode(), "key_id": key, "signature": signature}


def _read(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        return None
    except ValueError:
        return {}


def checkpoint_write(agreement_id: int) -> None:
    """Sign the current head and keep it, unless the file already holds a later one.

    Runs after the append commits (an append rolled back must not leave a checkpoint the
    chain never reaches). Two processes writing at once are serialised by a lock file;
    the file is replaced whole (rename), so a reader never sees half of one.
    """
    path = _path(agreement_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        signed = checkpoint_statement(agreement_id)
        new_seq = json.loads(signed["statement"])["seq"]
        current = _read(path)
        if current:
            try:
                if json.loads(current["statement"])["seq"] >= new_seq:
                    return
            except (KeyError, TypeError, ValueError):
                pass  # an unreadable checkpoint is replaced by a good one (verify says so first)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(signed, indent=1))
        os.replace(tmp, path)


def checkpoint_on_append(sender, *, agreement_id: int, **kwargs) -> None:
    """Receiver of `slas.signals.audit_appended` (connected in slas.apps)."""

    def write():
        try:
            checkpoint_write(agreement_id)
        except Exception:  # the append is committed; a missed checkpoint is logged, not fatal
            logger.exception("Could not write the audit checkpoint of agreement %s", agreement_id)

    transaction.on_commit(write)


@dataclass(frozen=True)
class CheckpointCheck:
    intact: bool
    #: The seq the checkpoint names (0: no checkpoint yet for this agreement).
    seq: int = 0
    reason: str = ""


def checkpoint_verify(agreement_id: int) -> CheckpointCheck:
    """Does the chain in the database still reach the signed checkpoint outside it?"""
    stored = _read(_path(agreement_id))
    if stored is None:
        return CheckpointCheck(True)
    try:
        statement = stored["statement"].encode()
        valid = seal_signature_valid(statement, key=stored["key_id"], signature=stored["signature"])
        facts = json.loads(statement)
        seq, entry_hash = int(facts["seq"]), facts["entry_hash"]
        names_this = facts["agreement"] == agreement_id
    except (KeyError, TypeError, ValueError, AttributeError):
        valid, names_this, seq, entry_hash = False, False, 0, ""
    if not valid or not names_this:
        return CheckpointCheck(
            False, 0, _("The signed checkpoint of this chain was altered or is not the portal's.")
        )
    head = AuditHead.objects.filter(agreement_id=agreement_id).first()
    head_seq = head.seq if head else 0
    held = AuditEntry.objects.filter(
        agreement_id=agreement_id, seq=seq, entry_hash=entry_hash
    ).exists()
    if head_seq < seq or not held:
        return CheckpointCheck(
            False,
            seq,
            _(
                "The chain was rolled back: a signed checkpoint kept outside the database "
                "names entry %(seq)s, and the chain now ends at %(head)s or holds another "
                "entry there."
            )
            % {"seq": seq, "head": head_seq},
        )
    return CheckpointCheck(True, seq)
