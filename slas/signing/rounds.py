"""Locks and helpers shared by the signing workflow and the scheduled jobs: lock an agreement's versions, find the open round, tell its people, void a round."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from portal import permissions
from portal.notifications import SIGNATORY, notification_create, version_parties_notify
from portal.text import Text
from slas.history import Source, change_reason, stamp, unstamp
from slas.models import Version, VersionStatus
from slas.signing.models import (
    RequestStatus,
    RoundStatus,
    Signature,
    SignatureRequest,
    SigningRound,
)


class SigningError(Exception):
    """A refusal a person can fix or understand. `field_errors`: {field name: message}."""

    def __init__(self, message: str, *, code: str, field_errors: dict[str, str] | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.field_errors = field_errors or {}


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
                    gettext_noop(
                        "Round %(round)s. For: %(for)s. The request expires on %(deadline)s."
                    ),
                    **{"round": rnd.number, "for": request.label, "deadline": request.expires_at},
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
    stamp(version, user=actor, reason=change_reason(Source.SIGNING, what))
    try:
        version.save(update_fields=fields)
    finally:
        unstamp(version)


# Decline, withdraw, request expiry -----------------------------------------------------


#: What a voided round's history row says (untranslated: the timeline translates it).
_VOIDED = {
    RoundStatus.DECLINED: gettext_noop("round declined"),
    RoundStatus.WITHDRAWN: gettext_noop("round withdrawn"),
    RoundStatus.EXPIRED: gettext_noop("round expired"),
    RoundStatus.VOIDED: gettext_noop("round voided: a newer version took force"),
}


def _round_signatures_void(rnd: SigningRound, *, now) -> None:
    """Void every signature of the round and every request, signed or not: a voided
    round leaves no request reading "signed" (the signature stays, with `voided_at`)."""
    Signature.objects.filter(request__round=rnd, voided_at__isnull=True).update(voided_at=now)
    SignatureRequest.objects.filter(round=rnd).exclude(status=RequestStatus.VOIDED).update(
        status=RequestStatus.VOIDED
    )


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
    _round_signatures_void(rnd, now=now)
    version.status = VersionStatus.DRAFT
    version.content_hash = ""
    _lifecycle_save(version, ["status", "content_hash"], actor=actor, what=_VOIDED[status])
    return requests
