"""Reads for signing: the version panel, to-do lists, certificates, audit log, verification."""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from portal import permissions
from portal.models import Membership, Role
from slas.audit.models import AuditEntry
from slas.models import Agreement, Version, VersionStatus
from slas.selectors import version_base_notice
from slas.signing.activation import version_effective_instant
from slas.signing.integrity import Integrity, agreement_integrity_check, signing_round_seal_check
from slas.signing.models import (
    IssuedCopy,
    RequestStatus,
    RoundStatus,
    Signature,
    SignatureRequest,
    SigningRound,
)
from slas.signing.seal import SealCheck

HASH_RE = re.compile(r"^[0-9a-f]{64}$")


@dataclass
class RequestRow:
    request: SignatureRequest
    signature: Signature | None
    signers: list[str]
    is_current: bool
    is_mine: bool


@dataclass
class SigningPanel:
    version: Version
    round: SigningRound | None
    rows: list[RequestRow] = field(default_factory=list)
    can_send: bool = False
    can_sign: bool = False
    not_my_turn: bool = False
    already_signed: bool = False
    can_decline: bool = False
    can_withdraw: bool = False
    is_signatory: bool = False
    scheduled_for: object = None
    #: The calendar day (the version's zone) it takes effect on: what people agreed to.
    scheduled_on: object = None
    has_certificate: bool = False
    #: The seal of the open or completed round (None: no live round).
    seal: SealCheck | None = None
    #: When the request this user may sign now expires unsigned (None: none open).
    expires_at: object = None

    @property
    def waiting_for(self) -> list[RequestRow]:
        return [row for row in self.rows if row.request.status == RequestStatus.PENDING]


def _rows(rnd: SigningRound, user) -> list[RequestRow]:
    requests = list(
        rnd.requests.select_related("team", "user", "signature__user").order_by("position")
    )
    team_ids = [r.team_id for r in requests if r.team_id]
    managers: dict[int, list[str]] = {}
    for membership in (
        Membership.objects.filter(team_id__in=team_ids, role=Role.MANAGER)
        .select_related("user")
        .order_by("user__first_name", "user__username")
    ):
        managers.setdefault(membership.team_id, []).append(
            membership.user.get_full_name() or membership.user.get_username()
        )
    pending = [r for r in requests if r.status == RequestStatus.PENDING]
    current = set(pending[:1] if rnd.is_sequential else pending)
    rows = []
    for request in requests:
        signature = getattr(request, "signature", None) if request.status != "pending" else None
        if request.user_id:
            signers = [request.user.get_full_name() or request.user.get_username()]
        else:
            signers = managers.get(request.team_id, [])
        rows.append(
            RequestRow(
                request=request,
                signature=signature,
                signers=signers,
                is_current=rnd.is_open and request in current,
                is_mine=permissions.can_sign_request(user, request),
            )
        )
    return rows


def signing_round_latest(version: Version) -> SigningRound | None:
    return (
        SigningRound.objects.filter(version=version)
        .select_related("sent_by", "closed_by")
        .order_by("-number")
        .first()
    )


def signing_round_completed(version: Version) -> SigningRound | None:
    return (
        SigningRound.objects.filter(version=version, status=RoundStatus.COMPLETED)
        .select_related("sent_by")
        .first()
    )


def version_signing_panel(version: Version, user) -> SigningPanel:
    """Everything the version page shows about signing, for this user.

    The live round's seal is checked as the page is shown, on the version's rows as the
    page read them (a broken one tells the agreement's managers:
    `slas.signing.integrity.signing_round_seal_check`).
    """
    rnd = signing_round_latest(version)
    panel = SigningPanel(version=version, round=rnd)
    panel.can_send = permissions.can_send_for_signature(user, version)
    if rnd is None:
        return panel
    if rnd.status in (RoundStatus.OPEN, RoundStatus.COMPLETED):
        panel.seal = signing_round_seal_check(rnd=rnd, version=version)
    panel.rows = _rows(rnd, user)
    mine = [row for row in panel.rows if row.is_mine]
    panel.is_signatory = bool(mine)
    if rnd.is_open:
        pending_mine = [row for row in mine if row.request.status == RequestStatus.PENDING]
        panel.can_sign = any(row.is_current for row in pending_mine)
        deadlines = [row.request.expires_at for row in pending_mine if row.is_current]
        panel.expires_at = min((d for d in deadlines if d is not None), default=None)
        panel.not_my_turn = bool(pending_mine) and not panel.can_sign
        panel.already_signed = bool(mine) and not pending_mine
        panel.can_decline = bool(pending_mine)
        panel.can_withdraw = rnd.sent_by_id == user.pk
    if rnd.status == RoundStatus.COMPLETED:
        panel.has_certificate = True
        if version.status == VersionStatus.SCHEDULED:
            panel.scheduled_for = rnd.activates_at or version_effective_instant(version)
            panel.scheduled_on = timezone.localtime(
                panel.scheduled_for, zoneinfo.ZoneInfo(version.calendar_timezone)
            ).date()
            panel.can_withdraw = permissions.can_withdraw_signed(user, rnd)
    return panel


# Sending ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SendBlocker:
    """Why a draft cannot be sent now, whoever asks: `code` for the API, `message` for people."""

    code: str
    message: str


def version_send_blockers(version: Version, versions: Iterable[Version] = ()) -> list[SendBlocker]:
    """What in the agreement's other versions stops `version` from being sent now.

    `versions`: every version of the agreement (the signing service passes the rows it
    holds locked); read here when not given (the send page, to say so before the form).
    One version awaits signatures at a time, so nobody is asked to sign two at once; a
    draft based on a version older than the one in force is rebased first.
    """
    others = list(versions) or list(Version.objects.filter(agreement_id=version.agreement_id))
    blockers = []
    notice = version_base_notice(version, others)
    if notice is not None:
        blockers.append(
            SendBlocker(
                "stale_base",
                _(
                    "This draft is based on v%(base)s, and v%(in_force)s is now in force: "
                    "sent as it is, it would undo what v%(in_force)s changed. Rebase it onto "
                    "v%(in_force)s first (your changes are kept), then send it."
                )
                % {"base": notice.base.number, "in_force": notice.in_force.number},
            )
        )
    awaiting = [
        v for v in others if v.status == VersionStatus.PENDING_SIGNATURE and v.pk != version.pk
    ]
    if awaiting:
        blockers.append(
            SendBlocker(
                "another_awaiting",
                _(
                    "v%(number)s is still awaiting signatures, and nobody is asked to sign "
                    "two versions at once. Send this one when v%(number)s is signed or "
                    "declined, or ask its sender to withdraw it."
                )
                % {"number": awaiting[0].number},
            )
        )
    return blockers


# Home page and lists -------------------------------------------------------------------

# What a round sealed (its content and the seal's statement, kilobytes each) is never read
# here: the home page shows a round's status and people.


def awaiting_signature_of(user) -> list[SignatureRequest]:
    """Open requests this user may sign now (their turn), oldest first: with what the home
    page shows of each (the version and its agreement's title, who it is for, who sent it)."""
    if not getattr(user, "is_authenticated", False):
        return []
    return list(
        SignatureRequest.objects.filter(
            status=RequestStatus.PENDING, round__status=RoundStatus.OPEN, opened_at__isnull=False
        )
        .filter(Q(user=user) | Q(team_id__in=permissions.manager_team_ids(user)))
        .select_related("round__version__agreement", "round__sent_by", "team", "user")
        .only(
            "opened_at",
            "round__version__number",
            "round__version__agreement__title",
            "round__sent_by__first_name",
            "round__sent_by__last_name",
            "team__name",
            "user__first_name",
            "user__last_name",
            "user__username",
        )
        .order_by("opened_at", "pk")
    )


@dataclass
class InFlight:
    """A version awaiting signatures or signed and waiting for its date, with its live round
    (the latest one open or completed): its status and how many of its requests are signed."""

    version: Version
    round_status: str
    signed: int
    requests: int


IN_FLIGHT = (VersionStatus.PENDING_SIGNATURE, VersionStatus.SCHEDULED)


def versions_in_flight(user, *, among: list[Agreement] | None = None) -> list[InFlight]:
    """Versions awaiting signatures or signed and waiting for their date, visible to the
    user, that have a live round; by agreement title, then number. Two queries; one when
    `among` gives every agreement the user sees, by title, with its versions
    (`slas.selectors.agreement_summaries_for`, read for the same page)."""
    if among is None:
        versions = list(
            permissions.visible_versions(user)
            .filter(status__in=IN_FLIGHT)
            .select_related("agreement")
            .only("number", "status", "effective_date", "agreement__title")
            .order_by("agreement__title", "number")
        )
    else:
        # in the database's order of titles; versions of agreements of one title by number
        rank: dict[str, int] = {}
        for agreement in among:
            rank.setdefault(agreement.title, len(rank))
        versions = []
        for agreement in among:
            for version in agreement.version_list:
                if version.status in IN_FLIGHT:
                    version.agreement = agreement
                    versions.append(version)
        versions.sort(key=lambda version: (rank[version.agreement.title], version.number))
    if not versions:
        return []
    live: dict[int, tuple[str, int, int]] = {}
    for version_id, status, signed, requests in (
        SigningRound.objects.filter(
            version__in=[version.pk for version in versions],
            status__in=[RoundStatus.OPEN, RoundStatus.COMPLETED],
        )
        .annotate(
            signed=Count("requests", filter=Q(requests__status=RequestStatus.SIGNED)),
            total=Count("requests"),
        )
        .order_by("version_id", "-number")
        .values_list("version_id", "status", "signed", "total")
    ):
        live.setdefault(version_id, (status, signed, requests))
    return [InFlight(version, *live[version.pk]) for version in versions if version.pk in live]


# Certificate and audit ---------------------------------------------------------------


@dataclass
class Certificate:
    version: Version
    round: SigningRound
    signatures: list[Signature]
    audit: list[AuditEntry]
    activated_at: object


def certificate_for(version: Version) -> Certificate | None:
    rnd = signing_round_completed(version)
    if rnd is None:
        return None
    signatures = list(
        Signature.objects.filter(request__round=rnd)
        .select_related("user", "team", "request")
        .order_by("signed_at", "request__position")
    )
    audit = list(AuditEntry.objects.filter(version=version).select_related("actor").order_by("seq"))
    return Certificate(
        version=version,
        round=rnd,
        signatures=signatures,
        audit=audit,
        activated_at=version.in_force_from,
    )


def audit_log(agreement: Agreement) -> list[AuditEntry]:
    return list(
        AuditEntry.objects.filter(agreement=agreement).select_related("version").order_by("seq")
    )


def audit_summary(agreement: Agreement) -> Integrity:
    """The chain, its signed checkpoint and the seals of the live rounds (a break tells
    the managers)."""
    return agreement_integrity_check(agreement=agreement)


# Verification --------------------------------------------------------------------------


@dataclass
class VerifyResult:
    matched: bool
    content_hash: str
    version: Version | None = None
    signed: bool = False
    signatures: list[Signature] = field(default_factory=list)
    # Set when the hash is that of a PDF the portal handed out (not of the signed JSON).
    copy: IssuedCopy | None = None
    #: The seal of the signed round the hash names (None: not a signed version's hash).
    seal: SealCheck | None = None


def version_verify(user, content_hash: str) -> VerifyResult:
    """Which version (visible to the user) this hash names, and who signed it.

    The one check behind the verify page and API. A hash matches when it is a version's
    content hash (the canonical JSON export, or the hash printed on the certificate) or
    the SHA-256 of a PDF the portal handed out for a signed version (`IssuedCopy`). Any
    other hash, one changed byte included, is no match; so is a version the user cannot
    see (it is not revealed).
    """
    content_hash = content_hash.strip().lower()
    if not HASH_RE.match(content_hash):
        return VerifyResult(matched=False, content_hash=content_hash)
    versions = permissions.visible_versions(user).select_related("agreement")
    version = versions.filter(content_hash=content_hash).order_by("-pk").first()
    copy = None
    if version is None:
        copy = (
            IssuedCopy.objects.filter(sha256=content_hash, round__version__in=versions)
            .select_related("round__version__agreement")
            .first()
        )
        if copy is None:
            return VerifyResult(matched=False, content_hash=content_hash)
        version = copy.round.version
    rnd = signing_round_completed(version)
    signatures = []
    seal = None
    signed_hash = copy.round.content_hash if copy is not None else content_hash
    if rnd is not None and rnd.content_hash == signed_hash:
        # A match on stored hashes proves nothing if the store was rewritten: the seal says.
        seal = signing_round_seal_check(rnd=rnd)
        signatures = list(
            Signature.objects.filter(request__round=rnd)
            .select_related("user", "team")
            .order_by("signed_at", "pk")
        )
    return VerifyResult(
        matched=True,
        content_hash=content_hash,
        version=version,
        signed=rnd is not None,
        signatures=signatures,
        copy=copy,
        seal=seal,
    )
