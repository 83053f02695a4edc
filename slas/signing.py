"""Signing services: send, sign, decline, withdraw, activate, expire; the audit chain.

Contract with the drafting side: a version's `status`, `in_force_from`,
`in_force_until` and `content_hash` are written only here, always with
`save(update_fields=[...])`.

Concurrency: every transition locks all versions of the agreement with
SELECT ... FOR UPDATE in pk order, then re-reads the state it decides on. So the
last two signers arriving together are serialised and exactly one of them
activates the version; a double-submitted signature finds its request signed.
Audit appends lock the agreement's `AuditHead` row (always after the versions), so
the chain stays linear.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from portal import login_throttle, permissions
from portal.models import Membership, Role
from portal.notifications import SIGNATORY, notification_create, version_parties_notify
from portal.text import Text
from slas.canonical import canonical_json, content_hash
from slas.models import Agreement, Version, VersionPart, VersionStatus
from slas.signing_models import (
    AuditAction,
    AuditEntry,
    AuditHead,
    RequestStatus,
    RoundStatus,
    Signature,
    SignatureRequest,
    SigningOrder,
    SigningRound,
)

CONSENT_STATEMENT = gettext_lazy(
    "I have read this version of the agreement. I sign it for the team or role shown, and "
    "I agree that this electronic signature binds me as a handwritten one would. It applies "
    "only to the exact content identified by the content hash shown above; any change needs "
    "a new version and new signatures."
)
GENESIS_HASH = "0" * 64
#: The form of the sealed content. /2 adds the agreement's purpose; rounds sealed as /1
#: keep their stored /1 bytes (and are reconstructed as /1 if they predate storing them).
CONTENT_SCHEMA = "sla-portal/version/2"
CONTENT_SCHEMAS = ("sla-portal/version/2", "sla-portal/version/1")


class SigningError(Exception):
    """A refusal a person can fix or understand. `field_errors`: {field name: message}."""

    def __init__(self, message: str, *, code: str, field_errors: dict[str, str] | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.field_errors = field_errors or {}


# Content and hash ------------------------------------------------------------------

# Lifecycle and bookkeeping: not part of what is signed (status and in-force dates are
# written by signing itself; the hash cannot contain itself).
VERSION_EXCLUDED = {
    "id",
    "agreement",
    "status",
    "in_force_from",
    "in_force_until",
    "content_hash",
    "edit_revision",
    "created_by",
    "created_at",
    "updated_at",
}
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


def _version_content(version: Version, *, schema: str = CONTENT_SCHEMA) -> dict:
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
    """
    # Always what is stored, never an instance's unsaved state.
    version = Version.objects.select_related("agreement").get(pk=version.pk)
    agreement = version.agreement
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
        rows = [_row(part, PART_EXCLUDED) for part in model.objects.filter(version=version)]
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


@dataclass(frozen=True)
class SealCheck:
    intact: bool
    reason: str = ""


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


def signing_round_seal(rnd: SigningRound) -> SealCheck:
    """Is the seal of this round intact? Intact exactly when all of these hold:

    1. the round's stored copy exists and SHA-256(stored bytes) == `rnd.content_hash`
       (the copy served as the export is byte for byte what was hashed and signed);
    2. every signature of the round, the "sent" entry of the audit chain (when there is
       one) and, for a completed round, the version itself carry that same hash;
    3. the version's current rows (versions are immutable once sent) still say what the
       stored copy says, on the copy's keys: same agreement id and title, same party
       team ids, same version fields and parts.

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
    sent = AuditEntry.objects.filter(
        version_id=rnd.version_id, action=AuditAction.SENT, data__round=rnd.number
    ).values_list("data", flat=True)
    hashes |= {data.get("content_hash") for data in sent}
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
    if not isinstance(sealed, dict) or not _sealed_rows_match(sealed, _version_content(version)):
        return SealCheck(False, _("The version's content was changed after it was signed."))
    return SealCheck(True)


# Time --------------------------------------------------------------------------------


def _local_midnight(day: datetime.date, tz_name: str) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(0, 0), tzinfo=ZoneInfo(tz_name))


def version_effective_instant(version: Version) -> datetime.datetime:
    """Start of the effective date in the calendar time zone."""
    return _local_midnight(version.effective_date, version.calendar_timezone)


def version_end_instant(version: Version) -> datetime.datetime:
    """End of the end date in the calendar time zone (the next local midnight)."""
    return _local_midnight(version.end_date + datetime.timedelta(days=1), version.calendar_timezone)


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
    """Date the audit entries appended inside at `at` unless they name their own `at`.

    For writing history after the fact (the demo seeds months of it through the same
    services): entries stay in the order they are appended, so callers go forward in time.
    """
    token = _AUDIT_CLOCK.set(at)
    try:
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


# Locks and helpers -------------------------------------------------------------------


def _lock_versions(agreement_id: int) -> dict[int, Version]:
    """Lock every version of the agreement, in pk order (one order everywhere: no deadlock)."""
    versions = (
        Version.objects.select_for_update()
        .filter(agreement_id=agreement_id)
        .select_related("agreement")
        .order_by("pk")
    )
    return {version.pk: version for version in versions}


def _open_round(version: Version) -> SigningRound | None:
    return SigningRound.objects.filter(version=version, status=RoundStatus.OPEN).first()


def _current_requests(rnd: SigningRound, requests: list[SignatureRequest]):
    """The pending requests that may be signed now (sequential: only the first)."""
    pending = [r for r in requests if r.status == RequestStatus.PENDING]
    if rnd.is_sequential:
        return pending[:1]
    return pending


def _version_url(version: Version) -> str:
    return reverse("slas:version_detail", args=[version.pk])


def _sign_url(version: Version) -> str:
    return reverse("slas:signing_sign", args=[version.pk])


def _round_people(rnd: SigningRound, requests: list[SignatureRequest]) -> list:
    """Everyone concerned by a round: the sender, every possible signer, everyone who signed."""
    people = {rnd.sent_by_id: rnd.sent_by}
    for request in requests:
        for user in permissions.request_signers(request):
            people[user.pk] = user
    for signature in Signature.objects.filter(request__round=rnd).select_related("user"):
        people[signature.user_id] = signature.user
    return [people[pk] for pk in sorted(people)]


def _notify_open_requests(version: Version, rnd: SigningRound, requests, *, exclude=None):
    for request in requests:
        for user in permissions.request_signers(request):
            if exclude is not None and user.pk == exclude.pk:
                continue
            notification_create(
                recipient=user,
                kind="signing.requested",
                title=Text(gettext_noop("Your signature is needed: %(version)s"), version=version),
                body=Text(
                    gettext_noop("Round %(round)s. For: %(for)s."),
                    **{"round": rnd.number, "for": request.label},
                ),
                url=_sign_url(version),
                reason=SIGNATORY,
                dedupe_key=f"signing:request:{request.pk}:open",
            )


def _tell_everyone(version, rnd, requests, *, kind, title, body, exclude=None, key):
    """All members of the party teams, and the people of the round (`rnd` may be None)."""
    version_parties_notify(
        version=version,
        kind=kind,
        title=title,
        body=body,
        url=_version_url(version),
        people=_round_people(rnd, requests) if rnd is not None else (),
        people_reason=Text(gettext_noop("You sent, signed or were asked to sign this version.")),
        dedupe_key=key,
        exclude=exclude,
    )


def _require_open_round(version: Version) -> SigningRound:
    rnd = _open_round(version)
    if rnd is None or version.status != VersionStatus.PENDING_SIGNATURE:
        raise SigningError(
            _("This version is not awaiting signatures (it is %(status)s).")
            % {"status": version.get_status_display().lower()},
            code="not_pending",
        )
    rnd.version = version
    return rnd


# Send ----------------------------------------------------------------------------------


def _lifecycle_save(version: Version, fields: list[str], *, actor, what: str) -> None:
    """A lifecycle-only save whose history row says who (None: the scheduler) and why."""
    from slas.history import Source, change_reason, stamp, unstamp

    stamp(version, user=actor, reason=change_reason(Source.SIGNING, what))
    try:
        version.save(update_fields=fields)
    finally:
        unstamp(version)


@transaction.atomic
def version_send_for_signature(
    *,
    version: Version,
    actor,
    signers: Iterable = (),
    order: str = SigningOrder.PARALLEL,
    now: datetime.datetime | None = None,
) -> SigningRound:
    """Freeze a draft, hash it and ask every party team (and the named people) to sign."""
    now = now or timezone.now()
    version = _lock_versions(version.agreement_id)[version.pk]
    agreement = version.agreement
    if not permissions.can_manage_agreement(actor, agreement) or not (
        permissions.party_team_ids(agreement) & permissions.manager_team_ids(actor)
    ):
        raise PermissionDenied
    if not version.is_draft:
        raise SigningError(
            _("Only a draft can be sent for signature; this version is %(status)s.")
            % {"status": version.get_status_display().lower()},
            code="not_draft",
        )
    if not version.change_summary.strip():
        raise SigningError(
            _("Write a change summary before sending: signers need to know what changed."),
            code="no_summary",
            field_errors={"change_summary": _("A change summary is required.")},
        )
    if order not in SigningOrder.values:
        raise SigningError(_("Choose a signing order."), code="bad_order")
    parties = list(agreement.parties.all())
    managed = permissions.manager_team_ids(actor)
    # The sender's own team signs first in sequential order, then the others by name.
    parties.sort(key=lambda team: (team.pk not in managed, team.name))
    teams_with_managers = set(
        Membership.objects.filter(team__in=parties, role=Role.MANAGER).values_list(
            "team_id", flat=True
        )
    )
    missing = [team.name for team in parties if team.pk not in teams_with_managers]
    if missing:
        raise SigningError(
            _("These party teams have no manager who could sign: %(teams)s.")
            % {"teams": ", ".join(missing)},
            code="no_manager",
        )
    named = []
    for user in signers:
        if user.pk in {u.pk for u in named}:
            continue
        if not user.is_active or not permissions.can_view_agreement(user, agreement):
            raise SigningError(
                _("%(name)s cannot see this agreement, so cannot sign it.")
                % {"name": _display_name(user)},
                code="bad_signer",
                field_errors={"signers": _("Pick people who can see this agreement.")},
            )
        named.append(user)

    # The exact bytes hashed are stored with the round: the record of what is signed.
    snapshot = version_live_bytes(version)
    hash_ = bytes_hash(snapshot)
    version.status = VersionStatus.PENDING_SIGNATURE
    version.content_hash = hash_
    _lifecycle_save(version, ["status", "content_hash"], actor=actor, what="sent for signature")

    number = (
        SigningRound.objects.filter(version=version).aggregate(top=Max("number"))["top"] or 0
    ) + 1
    rnd = SigningRound.objects.create(
        version=version,
        number=number,
        order=order,
        content_hash=hash_,
        content_snapshot=snapshot,
        sent_by=actor,
        sent_at=now,
    )
    requests = []
    for position, team in enumerate(parties):
        requests.append(SignatureRequest(round=rnd, position=position, team=team))
    for position, user in enumerate(named, start=len(parties)):
        requests.append(SignatureRequest(round=rnd, position=position, user=user))
    for index, request in enumerate(requests):
        if order == SigningOrder.PARALLEL or index == 0:
            request.opened_at = now
    SignatureRequest.objects.bulk_create(requests)
    requests = list(rnd.requests.select_related("team", "user").order_by("position"))

    audit_append(
        agreement=agreement,
        action=AuditAction.SENT,
        actor=actor,
        version=version,
        at=now,
        data={
            "round": number,
            "order": order,
            "content_hash": hash_,
            "signatories": [request.label for request in requests],
        },
    )
    _notify_open_requests(version, rnd, _current_requests(rnd, requests), exclude=actor)
    return rnd


# View (audit) -----------------------------------------------------------------------------


def signing_page_viewed(*, version: Version, user, now: datetime.datetime | None = None) -> bool:
    """Record once per round that a required signatory opened the signing page."""
    rnd = _open_round(version)
    if rnd is None:
        return False
    requests = list(rnd.requests.all())
    if not any(permissions.can_sign_request(user, request) for request in requests):
        return False
    already = AuditEntry.objects.filter(
        agreement_id=version.agreement_id,
        version=version,
        action=AuditAction.VIEWED,
        actor=user,
        data__round=rnd.number,
    ).exists()
    if already:
        return False
    audit_append(
        agreement=version.agreement_id,
        action=AuditAction.VIEWED,
        actor=user,
        version=version,
        at=now,
        data={"round": rnd.number, "content_hash": rnd.content_hash},
    )
    return True


# Sign ------------------------------------------------------------------------------------


def names_match(typed: str, user) -> bool:
    expected = " ".join((user.get_full_name() or "").split()).casefold()
    return bool(expected) and " ".join(typed.split()).casefold() == expected


@transaction.atomic
def signature_add(
    *,
    version: Version,
    user,
    password: str,
    full_name: str,
    consent: bool,
    content_hash_seen: str,
    ip_address: str | None = None,
    user_agent: str = "",
    now: datetime.datetime | None = None,
) -> list[Signature]:
    """Sign every request the user may sign now. Activates the version on the last one."""
    now = now or timezone.now()
    versions = _lock_versions(version.agreement_id)
    version = versions[version.pk]
    rnd = _require_open_round(version)
    requests = list(rnd.requests.select_related("team", "user").order_by("position"))
    mine = [request for request in requests if permissions.can_sign_request(user, request)]
    if not mine:
        raise PermissionDenied
    pending_mine = [request for request in mine if request.status == RequestStatus.PENDING]
    if not pending_mine:
        raise SigningError(_("You have already signed this version."), code="already_signed")
    current = _current_requests(rnd, requests)
    to_sign = [request for request in pending_mine if request in current]
    if not to_sign:
        raise SigningError(
            _("It is not your turn yet: this version is signed in order, and %(who)s signs next.")
            % {"who": current[0].label},
            code="not_your_turn",
        )
    if content_hash_seen != rnd.content_hash:
        raise SigningError(
            _("The document changed since you opened it. Read it again before signing."),
            code="stale",
        )

    errors = {}
    address = ip_address or ""
    if login_throttle.is_locked(user.get_username(), address):
        errors["password"] = _(
            "Too many wrong passwords. For your security, signing is paused for a while."
        )
    elif not user.check_password(password or ""):
        login_throttle.record_failure(user.get_username(), address)
        errors["password"] = _("That is not your password. Enter the password you sign in with.")
    if not names_match(full_name or "", user):
        errors["full_name"] = _(
            "Type your full name exactly as it appears on your profile: %(name)s."
        ) % {"name": user.get_full_name() or _("(no name on your profile: ask an admin)")}
    if not consent:
        errors["consent"] = _("Tick the box to confirm you agree to sign electronically.")
    if errors:
        raise SigningError(
            _("The signature was not recorded. Correct the fields below."),
            code="invalid",
            field_errors=errors,
        )

    roles = dict(user.memberships.values_list("team_id", "role"))
    typed_name = " ".join(full_name.split())
    signatures = [
        _sign_one(
            request,
            rnd=rnd,
            user=user,
            typed_name=typed_name,
            roles=roles,
            ip_address=ip_address,
            user_agent=user_agent,
            now=now,
        )
        for request in to_sign
    ]
    if rnd.is_sequential:
        # A signer who may also sign the next request(s) in order signs them in the same act.
        while (nxt := _current_requests(rnd, requests)) and permissions.can_sign_request(
            user, nxt[0]
        ):
            signatures.append(
                _sign_one(
                    nxt[0],
                    rnd=rnd,
                    user=user,
                    typed_name=typed_name,
                    roles=roles,
                    ip_address=ip_address,
                    user_agent=user_agent,
                    now=now,
                )
            )
        nxt = _current_requests(rnd, requests)
        if nxt and nxt[0].opened_at is None:
            nxt[0].opened_at = now
            nxt[0].save(update_fields=["opened_at"])
            _notify_open_requests(version, rnd, nxt)
    if rnd.sent_by_id != user.pk:
        notification_create(
            recipient=rnd.sent_by,
            kind="signing.signed",
            title=Text(
                gettext_noop("%(name)s signed %(version)s"),
                name=_display_name(user),
                version=version,
            ),
            url=_version_url(version),
            reason=Text(gettext_noop("You sent this version for signature.")),
            dedupe_key=f"signing:round:{rnd.pk}:signed:{user.pk}",
            email=False,
        )
    if all(request.status == RequestStatus.SIGNED for request in requests):
        _round_complete(rnd, version=version, versions=versions, now=now, actor=user)
    return signatures


def _sign_one(request, *, rnd, user, typed_name, roles, ip_address, user_agent, now) -> Signature:
    version = rnd.version
    if request.team_id:
        role = roles.get(request.team_id, "")
    else:
        role = permissions.primary_role(user) or "signatory"
    signature = Signature.objects.create(
        request=request,
        version=version,
        user=user,
        team=request.team,
        role=role,
        full_name=typed_name,
        consent_text=str(CONSENT_STATEMENT),
        signed_at=now,
        ip_address=ip_address or None,
        user_agent=(user_agent or "")[:500],
        content_hash=rnd.content_hash,
    )
    request.status = RequestStatus.SIGNED
    request.save(update_fields=["status"])
    audit_append(
        agreement=version.agreement_id,
        action=AuditAction.SIGNED,
        actor=user,
        version=version,
        at=now,
        data={
            "round": rnd.number,
            "for": request.label,
            "team": request.team.name if request.team_id else None,
            "role": role,
            "full_name": typed_name,
            "ip_address": ip_address or None,
            "user_agent": signature.user_agent,
            "content_hash": rnd.content_hash,
        },
    )
    return signature


# Activation, supersession, expiry ------------------------------------------------------


def _round_complete(
    rnd: SigningRound, *, version: Version, versions: dict, now, actor=None
) -> None:
    rnd.status = RoundStatus.COMPLETED
    rnd.closed_at = now
    rnd.activates_at = max(now, version_effective_instant(version))
    rnd.save(update_fields=["status", "closed_at", "activates_at"])
    if rnd.activates_at <= now:
        _version_activate(version, versions=versions, at=now, actor=actor)
        return
    requests = list(rnd.requests.select_related("team", "user"))
    _tell_everyone(
        version,
        rnd,
        requests,
        kind="signing.completed",
        title=Text(
            gettext_noop("%(version)s is signed and takes effect on %(date)s"),
            version=version,
            date=version.effective_date.isoformat(),
        ),
        body="",
        key=f"signing:round:{rnd.pk}:completed",
    )


def _version_activate(
    version: Version, *, versions: dict, at: datetime.datetime, actor=None
) -> None:
    """Make `version` the one in force from `at`; the previous active one ends at that instant.

    Callers hold the locks of `versions` (every version of the agreement).
    """
    previous = next(
        (v for v in versions.values() if v.status == VersionStatus.ACTIVE and v.pk != version.pk),
        None,
    )
    if previous is not None:
        previous_end = version_end_instant(previous)
        if previous_end <= at:
            # It ran out before this one starts: it expired, nothing is superseded.
            _version_expire(previous, at=previous_end)
        else:
            at = max(at, previous.in_force_from or at)  # intervals stay ordered
            previous.status = VersionStatus.SUPERSEDED
            previous.in_force_until = at
            _lifecycle_save(previous, ["status", "in_force_until"], actor=actor, what="superseded")
            audit_append(
                agreement=previous.agreement_id,
                action=AuditAction.SUPERSEDED,
                version=previous,
                data={"by_version": version.number, "in_force_until": at},
            )
    version.status = VersionStatus.ACTIVE
    version.in_force_from = at
    _lifecycle_save(version, ["status", "in_force_from"], actor=actor, what="activated")
    from reports.facts import cycles_regovern  # handoffs since `at` are governed anew

    cycles_regovern(agreement_id=version.agreement_id, since=at)
    audit_append(
        agreement=version.agreement_id,
        action=AuditAction.ACTIVATED,
        version=version,
        data={
            "in_force_from": at,
            "content_hash": version.content_hash,
            "supersedes": previous.number
            if previous is not None and previous.status == VersionStatus.SUPERSEDED
            else None,
        },
    )
    rnd = SigningRound.objects.filter(version=version, status=RoundStatus.COMPLETED).first()
    requests = list(rnd.requests.select_related("team", "user")) if rnd is not None else []
    _tell_everyone(
        version,
        rnd,
        requests,
        kind="signing.activated",
        title=Text(gettext_noop("%(version)s is now in force"), version=version),
        body=Text(
            gettext_noop("Signed by every party; in force since %(at)s."),
            at=timezone.localtime(at).strftime("%Y-%m-%d %H:%M %Z"),
        ),
        key=f"signing:version:{version.pk}:activated",
    )
    if previous is not None and previous.status == VersionStatus.SUPERSEDED:
        _tell_everyone(
            previous,
            None,
            [],
            kind="signing.superseded",
            title=Text(
                gettext_noop("%(version)s was superseded by %(new)s"), version=previous, new=version
            ),
            body="",
            key=f"signing:version:{previous.pk}:superseded",
        )


def _version_expire(version: Version, *, at: datetime.datetime) -> None:
    version.status = VersionStatus.EXPIRED
    version.in_force_until = at
    _lifecycle_save(version, ["status", "in_force_until"], actor=None, what="expired")
    from reports.facts import cycles_regovern  # handoffs since `at` are governed anew

    cycles_regovern(agreement_id=version.agreement_id, since=at)
    audit_append(
        agreement=version.agreement_id,
        action=AuditAction.EXPIRED,
        version=version,
        data={"in_force_until": at, "end_date": version.end_date},
    )


def versions_activate_due(*, now: datetime.datetime | None = None) -> int:
    """Activate signed versions whose effective date has come (a periodic job)."""
    now = now or timezone.now()
    due = SigningRound.objects.filter(
        status=RoundStatus.COMPLETED,
        activates_at__lte=now,
        version__status=VersionStatus.PENDING_SIGNATURE,
    ).values_list("version__agreement_id", "version_id")
    count = 0
    for agreement_id, version_id in due:
        with transaction.atomic():
            versions = _lock_versions(agreement_id)
            version = versions.get(version_id)
            rnd = SigningRound.objects.filter(
                version_id=version_id, status=RoundStatus.COMPLETED
            ).first()
            # Re-check under the lock: another worker may have done it.
            if version is None or version.status != VersionStatus.PENDING_SIGNATURE or rnd is None:
                continue
            _version_activate(version, versions=versions, at=rnd.activates_at)
            count += 1
    return count


def versions_expire_due(*, now: datetime.datetime | None = None) -> int:
    """Active versions whose end date has passed (in their time zone) become expired."""
    now = now or timezone.now()
    # Coarse filter in SQL (a day of slack covers every time zone), exact check below.
    candidates = Version.objects.filter(
        status=VersionStatus.ACTIVE, end_date__lte=(now + datetime.timedelta(days=1)).date()
    ).values_list("agreement_id", "pk")
    count = 0
    for agreement_id, version_id in candidates:
        with transaction.atomic():
            versions = _lock_versions(agreement_id)
            version = versions.get(version_id)
            if version is None or version.status != VersionStatus.ACTIVE:
                continue
            end = version_end_instant(version)
            if end > now:
                continue
            _version_expire(version, at=end)
            # "Has expired" is told by portal.sweep.version_expiry_sweep (from the
            # database), once per person; not here too.
            count += 1
    return count


# Decline, withdraw, request expiry -----------------------------------------------------


def _round_void(
    rnd: SigningRound, *, version: Version, status: str, actor, comment: str, now
) -> list[SignatureRequest]:
    """Close the round without a result: the version is a draft again, signatures voided."""
    requests = list(rnd.requests.select_related("team", "user").order_by("position"))
    rnd.status = status
    rnd.closed_at = now
    rnd.closed_by = actor
    rnd.close_comment = comment
    rnd.save(update_fields=["status", "closed_at", "closed_by", "close_comment"])
    Signature.objects.filter(request__round=rnd, voided_at__isnull=True).update(voided_at=now)
    SignatureRequest.objects.filter(round=rnd, status=RequestStatus.PENDING).update(
        status=RequestStatus.VOIDED
    )
    version.status = VersionStatus.DRAFT
    version.content_hash = ""
    _lifecycle_save(version, ["status", "content_hash"], actor=actor, what=f"round {status}")
    return requests


@transaction.atomic
def signing_decline(
    *, version: Version, user, comment: str, now: datetime.datetime | None = None
) -> SigningRound:
    """A required signatory refuses: the version goes back to draft and everyone is told."""
    now = now or timezone.now()
    versions = _lock_versions(version.agreement_id)
    version = versions[version.pk]
    rnd = _require_open_round(version)
    requests = list(rnd.requests.select_related("team", "user"))
    mine = [request for request in requests if permissions.can_sign_request(user, request)]
    if not mine:
        raise PermissionDenied
    if all(request.status == RequestStatus.SIGNED for request in mine):
        raise SigningError(
            _("You have already signed; ask the sender to withdraw the version instead."),
            code="already_signed",
        )
    comment = (comment or "").strip()
    if not comment:
        raise SigningError(
            _("Say why you decline, so the authors know what to change."),
            code="invalid",
            field_errors={"comment": _("A comment is required to decline.")},
        )
    requests = _round_void(
        rnd, version=version, status=RoundStatus.DECLINED, actor=user, comment=comment, now=now
    )
    audit_append(
        agreement=version.agreement_id,
        action=AuditAction.DECLINED,
        actor=user,
        version=version,
        at=now,
        data={"round": rnd.number, "comment": comment},
    )
    _tell_everyone(
        version,
        rnd,
        requests,
        kind="signing.declined",
        title=Text(
            gettext_noop("%(name)s declined %(version)s"), name=_display_name(user), version=version
        ),
        body=comment,
        exclude=user,
        key=f"signing:round:{rnd.pk}:declined",
    )
    return rnd


@transaction.atomic
def signing_withdraw(
    *, version: Version, user, comment: str = "", now: datetime.datetime | None = None
) -> SigningRound:
    """The sender takes the version back: draft again, the round's signatures voided."""
    now = now or timezone.now()
    versions = _lock_versions(version.agreement_id)
    version = versions[version.pk]
    rnd = _require_open_round(version)
    if rnd.sent_by_id != user.pk:
        raise PermissionDenied
    comment = (comment or "").strip()
    requests = _round_void(
        rnd, version=version, status=RoundStatus.WITHDRAWN, actor=user, comment=comment, now=now
    )
    audit_append(
        agreement=version.agreement_id,
        action=AuditAction.WITHDRAWN,
        actor=user,
        version=version,
        at=now,
        data={"round": rnd.number, "comment": comment},
    )
    _tell_everyone(
        version,
        rnd,
        requests,
        kind="signing.withdrawn",
        title=Text(
            gettext_noop("%(name)s withdrew %(version)s from signature"),
            name=_display_name(user),
            version=version,
        ),
        body=comment,
        exclude=user,
        key=f"signing:round:{rnd.pk}:withdrawn",
    )
    return rnd


def _open_pending_requests():
    return (
        SignatureRequest.objects.filter(
            status=RequestStatus.PENDING, round__status=RoundStatus.OPEN, opened_at__isnull=False
        )
        .select_related("round__version__agreement", "team", "user")
        .order_by("pk")
    )


def signature_request_deadline(request: SignatureRequest) -> datetime.datetime:
    days = request.round.version.agreement.request_expiry_days
    return request.opened_at + datetime.timedelta(days=days)


def signing_requests_expire(*, now: datetime.datetime | None = None) -> int:
    """Close rounds with a request unsigned for `request_expiry_days` (a periodic job)."""
    now = now or timezone.now()
    rounds = {
        request.round_id: request.round.version
        for request in _open_pending_requests()
        if signature_request_deadline(request) <= now
    }
    count = 0
    for round_id, version in rounds.items():
        with transaction.atomic():
            versions = _lock_versions(version.agreement_id)
            version = versions[version.pk]
            rnd = SigningRound.objects.filter(pk=round_id, status=RoundStatus.OPEN).first()
            if rnd is None:
                continue
            rnd.version = version
            expired = [
                request
                for request in rnd.requests.filter(
                    status=RequestStatus.PENDING, opened_at__isnull=False
                ).select_related("round__version__agreement", "team", "user")
                if signature_request_deadline(request) <= now
            ]
            if not expired:
                continue
            labels = ", ".join(request.label for request in expired)
            requests = _round_void(
                rnd,
                version=version,
                status=RoundStatus.EXPIRED,
                actor=None,
                comment=_("Not signed in time by: %(who)s.") % {"who": labels},
                now=now,
            )
            audit_append(
                agreement=version.agreement_id,
                action=AuditAction.REQUEST_EXPIRED,
                version=version,
                at=now,
                data={"round": rnd.number, "unsigned": [request.label for request in expired]},
            )
            _tell_everyone(
                version,
                rnd,
                requests,
                kind="signing.expired",
                title=Text(
                    gettext_noop("Signature requests for %(version)s expired"), version=version
                ),
                body=Text(
                    gettext_noop(
                        "Not signed in time by %(who)s. The version is a draft again; send it again when ready."
                    ),
                    who=labels,
                ),
                key=f"signing:round:{rnd.pk}:expired",
            )
            count += 1
    return count


def signing_reminders_send(*, now: datetime.datetime | None = None) -> int:
    """Remind signers after `reminder_after_days`, then every `reminder_every_days`."""
    now = now or timezone.now()
    sent = 0
    for request in _open_pending_requests():
        agreement = request.round.version.agreement
        if signature_request_deadline(request) <= now:
            continue  # expiring, not reminding
        first = request.opened_at + datetime.timedelta(days=agreement.reminder_after_days)
        if now < first:
            continue
        due = 1
        if agreement.reminder_every_days:
            due += (now - first) // datetime.timedelta(days=agreement.reminder_every_days)
        if due <= request.reminders_sent:
            continue
        # Claim the reminder first: two runs at once race here and only one wins.
        claimed = SignatureRequest.objects.filter(
            pk=request.pk, reminders_sent__lt=due, status=RequestStatus.PENDING
        ).update(reminders_sent=due)
        if not claimed:
            continue
        version = request.round.version
        for user in permissions.request_signers(request):
            notification_create(
                recipient=user,
                kind="signing.reminder",
                title=Text(
                    gettext_noop("Reminder: your signature is needed on %(version)s"),
                    version=version,
                ),
                body=Text(
                    gettext_noop("Waiting since %(date)s; the request expires on %(deadline)s."),
                    date=timezone.localtime(request.opened_at).date().isoformat(),
                    deadline=timezone.localtime(signature_request_deadline(request))
                    .date()
                    .isoformat(),
                ),
                url=_sign_url(version),
                reason=SIGNATORY,
                dedupe_key=f"signing:request:{request.pk}:reminder:{due}",
            )
            sent += 1
    return sent
