"""Signing services: send, view, sign, decline, withdraw; the record of the PDFs handed out.

Contract with the drafting side: a version's `status`, `in_force_from`,
`in_force_until` and `content_hash` are written only by the signing package (these
services, `activation` and `jobs`), always with
`save(update_fields=[...])`; the one exception is a draft's authors discarding it
(`slas.services.version_discard`). The rules of their order are in
`slas.signing.activation` and docs/compliance.md#versions-in-force.

Concurrency: every transition locks all versions of the agreement with
SELECT ... FOR UPDATE in pk order, then re-reads the state it decides on. So the
last two signers arriving together are serialised and exactly one of them
activates the version; a double-submitted signature finds its request signed.
Audit appends lock the agreement's `AuditHead` row (always after the versions), so
the chain stays linear.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Max
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from portal import login_throttle, permissions
from portal.models import Membership, Role
from portal.notifications import notification_create
from portal.text import Text
from slas.audit.chain import _display_name, audit_append
from slas.audit.models import AuditAction, AuditEntry
from slas.history import Source, change_reason, stamp, unstamp
from slas.models import Agreement, Version, VersionStatus
from slas.signing.activation import _round_complete
from slas.signing.keys import seal_key_id
from slas.signing.models import (
    REMINDER_AFTER_DAYS,
    REMINDER_EVERY_DAYS,
    REQUEST_EXPIRY_DAYS,
    IssuedCopy,
    RequestStatus,
    RoundStatus,
    Signature,
    SignatureRequest,
    SigningOrder,
    SigningRound,
)
from slas.signing.rounds import (
    SigningError,
    _current_requests,
    _lifecycle_save,
    _lock_versions,
    _notify_open_requests,
    _open_round,
    _require_open_round,
    _round_signatures_void,
    _round_void,
    _tell_everyone,
    _version_url,
)
from slas.signing.seal import SealState, bytes_hash, signing_round_seal_write, version_live_bytes
from slas.signing.selectors import version_send_blockers

CONSENT_STATEMENT = gettext_lazy(
    "I have read this version of the agreement. I sign it for the team or role shown, and "
    "I agree that this electronic signature binds me as a handwritten one would. It applies "
    "only to the exact content identified by the content hash shown above; any change needs "
    "a new version and new signatures."
)


@transaction.atomic
def version_send_for_signature(
    *,
    version: Version,
    actor,
    signers: Iterable = (),
    order: str = SigningOrder.PARALLEL,
    reminder_after_days: int | None = None,
    reminder_every_days: int | None = None,
    request_expiry_days: int | None = None,
    now: datetime.datetime | None = None,
) -> SigningRound:
    """Freeze a draft, hash it and ask every party team (and the named people) to sign.

    The reminder and expiry days (None: the agreement's, as they are) are chosen when
    sending and kept on the agreement: the scheduler reads them there, one round is open
    per agreement at a time, and the next send offers them again.
    """
    now = now or timezone.now()
    versions = _lock_versions(version.agreement_id)
    version = versions[version.pk]
    agreement = version.agreement
    if not permissions.can_manage_agreement(actor, agreement) or not (
        permissions.party_team_ids(agreement) & permissions.manager_team_ids(actor)
    ):
        raise PermissionDenied
    settings = _request_settings(
        agreement,
        reminder_after_days=reminder_after_days,
        reminder_every_days=reminder_every_days,
        request_expiry_days=request_expiry_days,
    )
    if not version.is_draft:
        raise SigningError(
            _("Only a draft can be sent for signature; this version is %(status)s.")
            % {"status": version.get_status_display().lower()},
            code="not_draft",
        )
    for blocker in version_send_blockers(version, versions.values()):
        raise SigningError(blocker.message, code=blocker.code)
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

    changed = [name for name, value in settings.items() if getattr(agreement, name) != value]
    if changed:
        for name in changed:
            setattr(agreement, name, settings[name])
        stamp(
            agreement,
            user=actor,
            reason=change_reason(Source.WEB, gettext_noop("signature request settings")),
        )
        try:
            agreement.save(update_fields=changed)
        finally:
            unstamp(agreement)

    # The exact bytes hashed are stored with the round: the record of what is signed.
    snapshot = version_live_bytes(version)
    hash_ = bytes_hash(snapshot)
    version.status = VersionStatus.PENDING_SIGNATURE
    version.content_hash = hash_
    _lifecycle_save(
        version, ["status", "content_hash"], actor=actor, what=gettext_noop("sent for signature")
    )

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
            **settings,
            # A signed seal follows: its removal later is told from a round sealed before
            # seals were signed (slas.signing.seal.signing_round_seal).
            "seal_key": seal_key_id(),
        },
    )
    signing_round_seal_write(rnd=rnd, state=SealState.SENT)
    _notify_open_requests(version, rnd, _current_requests(rnd, requests), exclude=actor)
    return rnd


def _request_settings(agreement: Agreement, **chosen: int | None) -> dict[str, int]:
    """The reminder and expiry days of a send, each within its range and the first
    reminder before the expiry; raises SigningError (code `invalid`: input typed wrong,
    with a message per field)."""
    values = {
        name: getattr(agreement, name) if value is None else value for name, value in chosen.items()
    }
    errors = {}
    low, high = REQUEST_EXPIRY_DAYS
    if not low <= values["request_expiry_days"] <= high:
        errors["request_expiry_days"] = _(
            "A request stays open between %(low)s and %(high)s days."
        ) % {"low": low, "high": high}
    low, high = REMINDER_AFTER_DAYS
    if not low <= values["reminder_after_days"] <= high:
        errors["reminder_after_days"] = _(
            "The first reminder comes after %(low)s to %(high)s days."
        ) % {
            "low": low,
            "high": high,
        }
    elif (
        "request_expiry_days" not in errors
        and values["reminder_after_days"] >= values["request_expiry_days"]
    ):
        errors["reminder_after_days"] = _(
            "The first reminder must come before the request expires (day %(days)s)."
        ) % {"days": values["request_expiry_days"]}
    low, high = REMINDER_EVERY_DAYS
    if not low <= values["reminder_every_days"] <= high:
        errors["reminder_every_days"] = _(
            "Remind every %(low)s to %(high)s days (0: one reminder only)."
        ) % {"low": low, "high": high}
    if errors:
        raise SigningError(
            " ".join(str(message) for message in errors.values()),
            code="invalid",
            field_errors=errors,
        )
    return values


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
    return _round_closed_by(
        user,
        version,
        rnd,
        status=RoundStatus.DECLINED,
        action=AuditAction.DECLINED,
        comment=comment,
        now=now,
        title=Text(
            gettext_noop("%(name)s declined %(version)s"), name=_display_name(user), version=version
        ),
    )


@transaction.atomic
def signing_withdraw(
    *, version: Version, user, comment: str = "", now: datetime.datetime | None = None
) -> SigningRound:
    """Take a version back before it takes force.

    Awaiting signatures: its sender withdraws it, and it is a draft again (the round's
    signatures voided). Signed by every party and scheduled: a manager of a team that
    signed it withdraws it, saying why; it never takes force (`withdrawn`, for good: its
    signatures voided; to sign it again, start a new version from it). Audited, and
    everyone involved is told. A version in force or past is never withdrawn.
    """
    now = now or timezone.now()
    versions = _lock_versions(version.agreement_id)
    version = versions[version.pk]
    if version.status == VersionStatus.SCHEDULED:
        return _scheduled_withdraw(version, user=user, comment=comment, now=now)
    if version.status != VersionStatus.PENDING_SIGNATURE:
        raise SigningError(
            _(
                "Version %(number)s is %(state)s: only a version awaiting signatures, or "
                "signed and not yet in force, can be withdrawn."
            )
            % {"number": version.number, "state": version.state_label.lower()},
            code="not_withdrawable",
        )
    rnd = _require_open_round(version)
    if rnd.sent_by_id != user.pk:
        raise PermissionDenied
    comment = (comment or "").strip()
    return _round_closed_by(
        user,
        version,
        rnd,
        status=RoundStatus.WITHDRAWN,
        action=AuditAction.WITHDRAWN,
        comment=comment,
        now=now,
        title=Text(
            gettext_noop("%(name)s withdrew %(version)s from signature"),
            name=_display_name(user),
            version=version,
        ),
    )


def _round_closed_by(
    user, version: Version, rnd: SigningRound, *, status, action, comment: str, now, title
) -> SigningRound:
    """A person closes the open round without a result (declined, withdrawn): the version
    is a draft again, its signatures voided; audited, and everyone involved is told."""
    requests = _round_void(
        rnd, version=version, status=status, actor=user, comment=comment, now=now
    )
    audit_append(
        agreement=version.agreement_id,
        action=action,
        actor=user,
        version=version,
        at=now,
        data={"round": rnd.number, "comment": comment},
    )
    _tell_everyone(
        version,
        rnd,
        requests,
        kind=f"signing.{status}",
        title=title,
        body=comment,
        exclude=user,
        key=f"signing:round:{rnd.pk}:{status}",
    )
    return rnd


def _scheduled_withdraw(version: Version, *, user, comment: str, now) -> SigningRound:
    rnd = SigningRound.objects.get(version=version, status=RoundStatus.COMPLETED)
    if not permissions.can_withdraw_signed(user, rnd):
        raise PermissionDenied
    comment = (comment or "").strip()
    if not comment:
        raise SigningError(
            _("Say why you withdraw it: everyone who signed it is told."),
            code="invalid",
            field_errors={"comment": _("A comment is required to withdraw a signed version.")},
        )
    requests = list(rnd.requests.select_related("team", "user").order_by("position"))
    _round_signatures_void(rnd, now=now)
    version.status = VersionStatus.WITHDRAWN
    _lifecycle_save(
        version, ["status"], actor=user, what=gettext_noop("withdrawn before it took force")
    )
    audit_append(
        agreement=version.agreement_id,
        action=AuditAction.WITHDRAWN,
        actor=user,
        version=version,
        at=now,
        data={
            "round": rnd.number,
            "comment": comment,
            "was": VersionStatus.SCHEDULED.value,
            "takes_force_at": rnd.activates_at,
        },
    )
    _tell_everyone(
        version,
        rnd,
        requests,
        kind="signing.withdrawn",
        title=Text(
            gettext_noop("%(name)s withdrew %(version)s before it took force"),
            name=_display_name(user),
            version=version,
        ),
        body=comment,
        exclude=user,
        key=f"signing:version:{version.pk}:withdrawn",
    )
    return rnd


# Copies handed out ------------------------------------------------------------------------


def issued_copy_record(*, rnd: SigningRound, kind: str, data: bytes) -> IssuedCopy:
    """Remember a PDF of a signed version by its SHA-256 as the portal hands it out, so the
    verify page recognises it later (and nothing else: one changed byte, another hash).

    Idempotent and safe under concurrency: the hash is unique, and a second download of
    the same file (the PDFs are deterministic) finds the first row.
    """
    copy, _created = IssuedCopy.objects.get_or_create(
        sha256=bytes_hash(data),
        defaults={
            "round": rnd,
            "kind": kind,
            "language": translation.get_language() or "",
            "first_issued_at": timezone.now(),
        },
    )
    return copy
