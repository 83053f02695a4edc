"""Demo signing records: v1 and v2 of Marketing ⇄ Sales carry real signing rounds (Alice
and Carol, sent and signed in the days before each takes effect), with their sealed
copies, audit entries and certificates; v3 is sent for signature with Alice's signature in.

The past rounds are written the way the signing services write them, dated in the past
(audit entries and history rows alike) and without notifying anybody (nobody needs
telling today about a signature of months ago). `slas.demo` calls
`version_signed_in_past` between building one version and amending the next, so the
audit chain and the history read in time order. Idempotent: what exists is left as it is.
"""

from __future__ import annotations

import datetime

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext_noop

from portal.demo import DEMO_PASSWORD
from portal.models import Team
from slas.audit.chain import audit_append
from slas.audit.models import AuditAction
from slas.history import history_dated
from slas.models import Agreement, Version, VersionStatus
from slas.signing.models import (
    RequestStatus,
    RoundStatus,
    Signature,
    SignatureRequest,
    SigningOrder,
    SigningRound,
)
from slas.signing.rounds import _lifecycle_save
from slas.signing.seal import bytes_hash, version_live_bytes
from slas.signing.services import CONSENT_STATEMENT, signature_add, version_send_for_signature

DEMO_IP = "192.0.2.10"  # documentation range (RFC 5737)
DEMO_AGENT = "Mozilla/5.0 (demo seed)"


def _say(stdout, text: str) -> None:
    if stdout is not None:
        stdout.write(text)


def version_signed_in_past(
    version: Version,
    *,
    sent_by,
    sent_at: datetime.datetime,
    signers: list[tuple[object, Team, datetime.datetime]],
    in_force_from: datetime.datetime,
    stdout=None,
) -> None:
    """Send `version` at `sent_at`, sign it by each (user, team, at), put it in force.

    What sending, signing and activation do, in that order and at those times: the
    sealed copy and its hash, one request per party team, the signatures, the previous
    active version superseded, the audit entries. Times must go forward.
    """
    if SigningRound.objects.filter(version=version).exists() or not version.is_draft:
        return
    agreement = version.agreement
    snapshot = version_live_bytes(version)
    content_hash = bytes_hash(snapshot)
    version.status, version.content_hash = VersionStatus.PENDING_SIGNATURE, content_hash
    with history_dated(sent_at):
        what = gettext_noop("sent for signature")
        _lifecycle_save(version, ["status", "content_hash"], actor=sent_by, what=what)
    rnd = SigningRound.objects.create(
        version=version,
        number=1,
        order=SigningOrder.PARALLEL,
        status=RoundStatus.OPEN,
        content_hash=content_hash,
        content_snapshot=snapshot,
        sent_by=sent_by,
        sent_at=sent_at,
    )
    audit_append(
        agreement=agreement,
        action=AuditAction.SENT,
        actor=sent_by,
        version=version,
        at=sent_at,
        data={
            "round": 1,
            "order": SigningOrder.PARALLEL,
            "content_hash": content_hash,
            "signatories": [team.name for _user, team, _at in signers],
        },
    )
    for position, (user, team, at) in enumerate(signers):
        request = SignatureRequest.objects.create(
            round=rnd, position=position, team=team, status=RequestStatus.SIGNED, opened_at=sent_at
        )
        Signature.objects.create(
            request=request,
            version=version,
            user=user,
            team=team,
            role="manager",
            full_name=user.get_full_name(),
            consent_text=str(CONSENT_STATEMENT),
            signed_at=at,
            ip_address=DEMO_IP,
            user_agent=DEMO_AGENT,
            content_hash=content_hash,
        )
        audit_append(
            agreement=agreement,
            action=AuditAction.SIGNED,
            actor=user,
            version=version,
            at=at,
            data={
                "round": 1,
                "for": team.name,
                "team": team.name,
                "role": "manager",
                "full_name": user.get_full_name(),
                "ip_address": DEMO_IP,
                "user_agent": DEMO_AGENT,
                "content_hash": content_hash,
            },
        )
    rnd.status = RoundStatus.COMPLETED
    rnd.closed_at = signers[-1][2]
    rnd.activates_at = in_force_from
    rnd.save(update_fields=["status", "closed_at", "activates_at"])

    last = signers[-1][0]  # as in the services: the last signature puts it in force
    previous = agreement.versions.filter(status=VersionStatus.ACTIVE).first()
    if previous is not None:
        previous.status, previous.in_force_until = VersionStatus.SUPERSEDED, in_force_from
        with history_dated(in_force_from):
            _lifecycle_save(
                previous, ["status", "in_force_until"], actor=last, what=gettext_noop("superseded")
            )
        audit_append(
            agreement=agreement,
            action=AuditAction.SUPERSEDED,
            version=previous,
            at=in_force_from,
            data={"by_version": version.number, "in_force_until": in_force_from},
        )
    version.status, version.in_force_from = VersionStatus.ACTIVE, in_force_from
    with history_dated(in_force_from):
        _lifecycle_save(
            version, ["status", "in_force_from"], actor=last, what=gettext_noop("activated")
        )
    audit_append(
        agreement=agreement,
        action=AuditAction.ACTIVATED,
        version=version,
        at=in_force_from,
        data={
            "in_force_from": in_force_from,
            "content_hash": content_hash,
            "supersedes": previous.number if previous is not None else None,
        },
    )
    names = " and ".join(user.get_full_name() for user, _team, _at in signers)
    _say(stdout, f"Signing: {version} signed by {names}, with its certificate.")


def _v3_sent_with_alice(v3, *, alice, stdout) -> None:
    if SigningRound.objects.filter(version=v3).exists() or not v3.is_draft:
        return
    rnd = version_send_for_signature(version=v3, actor=alice)
    signature_add(
        version=v3,
        user=alice,
        password=DEMO_PASSWORD,
        full_name=alice.get_full_name(),
        consent=True,
        content_hash_seen=rnd.content_hash,
        ip_address=DEMO_IP,
        user_agent=DEMO_AGENT,
    )
    _say(stdout, f"Signing: {v3} sent for signature; Alice has signed, Carol is awaited.")


@transaction.atomic
def seed(stdout=None, *, agreement_title: str) -> None:
    """Signing's part of the demo, on the agreement slas.demo built (it calls this)."""
    users = {
        u.username: u for u in get_user_model().objects.filter(username__in=["alice", "carol"])
    }
    agreement = Agreement.objects.filter(title=agreement_title).first()
    if agreement is None or len(users) < 2:
        return
    v3 = agreement.versions.filter(number=3).first()
    if v3 is not None:
        _v3_sent_with_alice(v3, alice=users["alice"], stdout=stdout)
