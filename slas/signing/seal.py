"""What is signed: a version's canonical content and its hash, the sealed copy a signing round keeps, the signed seal of each round, and the seal check."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.translation import gettext as _

from slas.audit.models import AuditAction, AuditEntry, AuditHead
from slas.canonical import canonical_json, content_hash
from slas.models import VERSION_NON_CONTENT_FIELDS, Version, VersionPart
from slas.signing.keys import seal_sign, seal_signature_valid
from slas.signing.models import RoundStatus, Signature, SigningRound

#: The form of the sealed content. /2 adds the agreement's purpose; rounds sealed as /1
#: keep their stored /1 bytes (and are reconstructed as /1 if they predate storing them).
CONTENT_SCHEMA = "sla-portal/version/2"
CONTENT_SCHEMAS = ("sla-portal/version/2", "sla-portal/version/1")


# Content and hash ------------------------------------------------------------------

# Lifecycle and bookkeeping: not part of what is signed (status and in-force dates are
# written by signing itself; the hash cannot contain itself).
VERSION_EXCLUDED = VERSION_NON_CONTENT_FIELDS - {"number"}  # the number names what was signed
PART_EXCLUDED = {"id", "version"}


def _row(obj, excluded: set[str]) -> dict:
    values = {}
    for field in obj._meta.concrete_fields:
        if field.name in excluded:
            continue
        if field.is_relation:
            values[field.attname] = getattr(obj, field.attname)
        else:
            # to_python: an unsaved 24 and a stored Decimal("24.00") are the same content.
            values[field.name] = field.to_python(field.value_from_object(obj))
    return values


def version_part_relations() -> list[tuple[str, type]]:
    """(accessor, model) of every child model of a version's content, sorted by accessor."""
    relations = [
        (rel.get_accessor_name(), rel.related_model)
        for rel in Version._meta.related_objects
        if isinstance(rel.related_model, type) and issubclass(rel.related_model, VersionPart)
    ]
    return sorted(relations, key=lambda item: item[0])


def _version_content(
    version: Version, *, schema: str = CONTENT_SCHEMA, as_read: bool = False
) -> dict:
    """Everything in a version, deterministic: same content, same dict, whatever the pks.

    Every concrete field of Version (but lifecycle bookkeeping) and of every part model
    is included by introspection, so a field added later is covered without a change
    here. Parts are sorted by their canonical form (their `position` is content too).
    This is the sealed form; `slas.selectors.version_content` is the component-structured
    view used to compare and display versions. Both read the same models, but the seal
    must never miss a field, hence introspection here. The agreement's title and purpose
    and its party teams (with their names at the time) are sealed with it.

    Computed from the live rows: sending stores these bytes with the round, and what was
    signed is read from that copy from then on (`signing_round_snapshot`).

    ``as_read``: ``version`` was read from the database in this request and not changed
    (a page's, with its parties and parts prefetched by `slas.selectors.versions_with_parts`):
    its rows are taken as they were read, and only what was not prefetched is queried.
    """
    if not as_read:
        # Always what is stored, never an instance's unsaved state.
        version = Version.objects.select_related("agreement").get(pk=version.pk)
    agreement = version.agreement
    prefetched = getattr(version, "_prefetched_objects_cache", {}) if as_read else {}
    content = {
        "schema": schema,
        "agreement": {"id": agreement.pk, "title": agreement.title},
        "parties": sorted(
            ({"id": team.pk, "name": team.name} for team in agreement.parties.all()),
            key=lambda party: party["id"],
        ),
        "version": _row(version, VERSION_EXCLUDED),
    }
    if schema != "sla-portal/version/1":
        content["agreement"]["purpose"] = agreement.purpose
    for accessor, model in version_part_relations():
        parts = (
            prefetched[accessor]
            if accessor in prefetched
            else model.objects.filter(version=version)
        )
        rows = [_row(part, PART_EXCLUDED) for part in parts]
        content[accessor] = sorted(rows, key=canonical_json)
    return content


def version_content(version: Version) -> dict:
    """The version's current content, computed from the live rows (see `_version_content`)."""
    return _version_content(version)


def version_content_hash(version: Version) -> str:
    """SHA-256 of the canonical JSON of the version's current content."""
    return content_hash(_version_content(version))


def version_live_bytes(version: Version) -> bytes:
    """The canonical JSON of the version's current content (what sending would seal now)."""
    return canonical_json(_version_content(version))


def version_export_bytes(version: Version) -> bytes:
    """The canonical JSON export of a version; its SHA-256 is the content hash.

    A version awaiting signatures or signed exports the bytes sealed by its open or
    completed round: exactly what was signed, whatever changed around it since (a party
    team renamed, a field added to the models). A draft (never sent, or sent and taken back)
    exports its current content.
    """
    rnd = SigningRound.objects.filter(
        version_id=version.pk, status__in=[RoundStatus.OPEN, RoundStatus.COMPLETED]
    ).first()
    if rnd is not None:
        data = signing_round_snapshot(rnd)
        if data is not None:
            return data
    return version_live_bytes(version)


def bytes_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def chunks_hash(chunks: Iterable[bytes]) -> str:
    """SHA-256 of a file read in chunks (an upload is never read into memory whole)."""
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(chunk)
    return digest.hexdigest()


# The sealed copy and the seal check ------------------------------------------------------


def signing_round_snapshot(rnd: SigningRound) -> bytes | None:
    """The exact canonical JSON bytes that were hashed when the round was sent.

    Rounds sent before the bytes were stored get them lazily, once: the version's current
    content is taken only if it still hashes to the round's `content_hash` (then it is,
    byte for byte, what was sealed) and is stored for every later read. If it no longer
    does (a party renamed before the copy was stored), the signed bytes cannot be
    reconstructed: None.
    """
    if rnd.content_snapshot is not None:
        return bytes(rnd.content_snapshot)
    for schema in CONTENT_SCHEMAS:
        data = canonical_json(_version_content(rnd.version, schema=schema))
        if bytes_hash(data) == rnd.content_hash:
            break
    else:
        return None
    SigningRound.objects.filter(pk=rnd.pk, content_snapshot__isnull=True).update(
        content_snapshot=data
    )
    rnd.content_snapshot = data
    return data


# The signed seal -----------------------------------------------------------------------

#: The form of a seal statement (the bytes the portal's key signs).
SEAL_SCHEMA = "sla-portal/seal/1"


class SealState:
    SENT = "sent"  # sealed at sending: the content hash
    COMPLETED = "completed"  # sealed again when the last party signed: and who signed


def _signature_facts(rnd: SigningRound) -> list[dict]:
    rows = (
        Signature.objects.filter(request__round=rnd)
        .select_related("request")
        .order_by("request__position", "pk")
    )
    return [
        {
            "request": signature.request.position,
            "user": signature.user_id,
            "team": signature.team_id,
            "role": signature.role,
            "full_name": signature.full_name,
            "signed_at": signature.signed_at,
            "content_hash": signature.content_hash,
        }
        for signature in rows
    ]


def seal_statement(rnd: SigningRound, *, state: str) -> bytes:
    """The canonical JSON the key signs: which round of which version, the content hash it
    sealed, (completed) every signature, and the agreement's audit chain head at sealing
    (its seq and entry hash), so a chain cut back below it is detected."""
    version = Version.objects.get(pk=rnd.version_id)
    head = AuditHead.objects.filter(agreement_id=version.agreement_id).first()
    statement = {
        "schema": SEAL_SCHEMA,
        "state": state,
        "agreement": version.agreement_id,
        "version": version.pk,
        "version_number": version.number,
        "round": rnd.number,
        "content_hash": rnd.content_hash,
        "signatures": _signature_facts(rnd) if state == SealState.COMPLETED else [],
        "chain": {
            "seq": head.seq if head else 0,
            "entry_hash": head.entry_hash if head else "",
        },
    }
    return canonical_json(statement)


def signing_round_seal_write(*, rnd: SigningRound, state: str) -> None:
    """Sign the round's seal statement with the current key and store both.

    Called inside the transaction that sends (state "sent") or completes ("completed") the
    round: a round the portal sealed always carries a signature it alone could make.
    """
    statement = seal_statement(rnd, state=state)
    key, signature = seal_sign(statement)
    SigningRound.objects.filter(pk=rnd.pk).update(
        seal_statement=statement, seal_key_id=key, seal_signature=signature
    )
    rnd.seal_statement, rnd.seal_key_id, rnd.seal_signature = statement, key, signature


@dataclass(frozen=True)
class SealCheck:
    intact: bool
    reason: str = ""
    #: True: the seal carries the portal's signature and it verified. False with `intact`:
    #: a round sealed before signatures existed, checked by its hashes only.
    signed: bool = False
    key_id: str = ""


def _signed_seal_check(
    rnd: SigningRound, *, seal_promised: bool, version: Version
) -> SealCheck | None:
    """The signature part of the check: None when it holds (or the round predates it)."""
    if rnd.seal_statement is None:
        if seal_promised:
            # The "sent" entry of the chain says a signed seal was made: it was removed.
            return SealCheck(False, _("The signed seal of this round was removed."))
        return None
    statement = bytes(rnd.seal_statement)
    valid = seal_signature_valid(statement, key=rnd.seal_key_id, signature=rnd.seal_signature)
    if valid is None:
        return SealCheck(
            False,
            _("The seal is signed with a key this portal does not know (%(key)s).")
            % {"key": rnd.seal_key_id or "?"},
        )
    if not valid:
        return SealCheck(False, _("The seal's signature does not match it: the seal was altered."))
    sealed = json.loads(statement)
    names = (
        sealed.get("agreement") == version.agreement_id
        and sealed.get("version") == version.pk
        and sealed.get("version_number") == version.number
        and sealed.get("round") == rnd.number
    )
    if not names:
        return SealCheck(False, _("The seal belongs to another round or version."))
    if sealed.get("content_hash") != rnd.content_hash:
        return SealCheck(
            False,
            _(
                "The signed seal names another content hash than the round: the content or "
                "its hashes were rewritten."
            ),
        )
    if rnd.status == RoundStatus.COMPLETED:
        if sealed.get("state") != SealState.COMPLETED:
            return SealCheck(False, _("The round is complete but its seal was never completed."))
        live = json.loads(canonical_json(_signature_facts(rnd)))
        if live != sealed.get("signatures"):
            return SealCheck(False, _("The signatures differ from those the seal records."))
    chain = sealed.get("chain") or {}
    if chain.get("seq"):
        held = AuditEntry.objects.filter(
            agreement_id=version.agreement_id, seq=chain["seq"], entry_hash=chain.get("entry_hash")
        ).exists()
        if not held:
            return SealCheck(
                False,
                _("The audit trail no longer holds entry %(seq)s that the seal names.")
                % {"seq": chain["seq"]},
            )
    return None


# Sections of the sealed content that are context, not the version's own rows.
_SEALED_CONTEXT = {"schema", "agreement", "parties"}


def _project(row: dict, keys) -> dict:
    return {key: row[key] for key in keys if key in row}


def _sealed_rows_match(sealed: dict, live: dict) -> bool:
    """Do the live rows still say what the sealed copy says, on the sealed copy's keys?

    Both sides are compared as plain JSON values. Only the keys present in the sealed
    copy count: a field (or part model) added to the code later is not part of what was
    signed. A sealed key missing from the live rows (a field removed) is a mismatch.
    """
    live = json.loads(canonical_json(live))
    sealed_agreement = sealed.get("agreement") or {}
    if _project(live.get("agreement") or {}, sealed_agreement) != sealed_agreement:
        return False
    # Which teams are parties is content; their names are kept as they were when signed
    # (a team renamed later has not changed what was signed).
    sealed_party_ids = sorted(party.get("id") for party in sealed.get("parties") or [])
    live_party_ids = sorted(party["id"] for party in live.get("parties") or [])
    if sealed_party_ids != live_party_ids:
        return False
    for section, value in sealed.items():
        if section in _SEALED_CONTEXT:
            continue
        if section not in live:
            return False
        if isinstance(value, dict):
            if _project(live[section], value) != value:
                return False
            continue
        keys = {key for row in value for key in row}
        if not keys and live[section]:
            return False
        projected = sorted((_project(row, keys) for row in live[section]), key=canonical_json)
        if projected != sorted(value, key=canonical_json):
            return False
    return True


def signing_round_seal(rnd: SigningRound, *, version: Version | None = None) -> SealCheck:
    """Is the seal of this round intact? Intact exactly when all of these hold:

    1. the round's stored copy exists and SHA-256(stored bytes) == `rnd.content_hash`
       (the copy served as the export is byte for byte what was hashed and signed);
    2. every signature of the round, the "sent" entry of the audit chain (when there is
       one) and, for a completed round, the version itself carry that same hash;
    3. the version's current rows (versions are immutable once sent) still say what the
       stored copy says, on the copy's keys: same agreement id and title, same party
       team ids, same version fields and parts;
    4. the round's seal statement carries a valid signature of a key the portal trusts
       (slas.signing.keys), names this round and its content hash, and, once complete,
       the round's signatures as they are; the audit entry it names is still in the chain.
       Someone who rewrites content, snapshot, hashes and chain cannot re-sign the seal.
       A round sealed before signatures existed has no statement: it is checked by 1-3
       only and says so ("sealed before signatures"), unless its "sent" audit entry
       names a seal key (then the signed seal was removed: broken).

    ``version``: the round's version as a page read it in this request, with its parties
    and parts prefetched (`slas.selectors.versions_with_parts`): its rows are checked as
    read, not read again (see `_version_content`'s ``as_read``). Without it, they are read.

    Not part of the check, on purpose: a party team's current *name* (the copy keeps the
    name as signed; renaming a team does not change what was signed) and fields or part
    models added to the code after signing (they were not signed). So a rename or a new
    field leaves the seal intact; a changed stored byte, a changed hash or a row altered
    behind the portal's back breaks it.
    """
    snapshot = signing_round_snapshot(rnd)
    if snapshot is None:
        return SealCheck(
            False,
            _("The signed content was not stored, and the current content no longer matches it."),
        )
    if bytes_hash(snapshot) != rnd.content_hash:
        return SealCheck(False, _("The stored copy of the signed content was altered."))
    hashes = set(
        Signature.objects.filter(request__round=rnd).values_list("content_hash", flat=True)
    )
    sent = list(
        AuditEntry.objects.filter(
            version_id=rnd.version_id, action=AuditAction.SENT, data__round=rnd.number
        ).values_list("data", flat=True)
    )
    hashes |= {data.get("content_hash") for data in sent}
    as_read = version is not None and version.pk == rnd.version_id
    if not as_read:
        version = Version.objects.select_related("agreement").get(pk=rnd.version_id)
    if rnd.status == RoundStatus.COMPLETED:
        hashes.add(version.content_hash)
    if hashes - {rnd.content_hash}:
        return SealCheck(
            False, _("The signatures or the audit trail name another hash than the round.")
        )
    try:
        sealed = json.loads(snapshot)
    except ValueError:
        return SealCheck(False, _("The stored copy of the signed content is not valid JSON."))
    if not isinstance(sealed, dict) or not _sealed_rows_match(
        sealed, _version_content(version, as_read=as_read)
    ):
        return SealCheck(False, _("The version's content was changed after it was signed."))
    broken = _signed_seal_check(
        rnd, seal_promised=any(data.get("seal_key") for data in sent), version=version
    )
    if broken is not None:
        return broken
    if rnd.seal_statement is None:
        return SealCheck(True, _("Sealed before signatures: checked by its hashes only."))
    return SealCheck(True, signed=True, key_id=rnd.seal_key_id)
