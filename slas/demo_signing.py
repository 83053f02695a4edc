"""Demo signing records: v2 of Marketing ⇄ Sales carries a real signing round (Alice and
Carol, dated at its in-force instant) with its audit entries and certificate; v3 is sent
for signature with Alice's signature in. Idempotent: what exists is left as it is.
"""

from __future__ import annotations

import datetime

from django.contrib.auth import get_user_model
from django.db import transaction

from portal.demo import DEMO_PASSWORD
from slas.models import Agreement, VersionStatus
from slas.signing import (
    CONSENT_STATEMENT,
    audit_append,
    signature_add,
    version_content_hash,
    version_send_for_signature,
)
from slas.signing_models import (
    AuditAction,
    RequestStatus,
    RoundStatus,
    Signature,
    SignatureRequest,
    SigningOrder,
    SigningRound,
)

DEMO_IP = "192.0.2.10"  # documentation range (RFC 5737)
DEMO_AGENT = "Mozilla/5.0 (demo seed)"


def _say(stdout, text: str) -> None:
    if stdout is not None:
        stdout.write(text)


def _v2_signed_round(agreement, v2, *, alice, carol, stdout) -> None:
    if SigningRound.objects.filter(version=v2).exists() or v2.in_force_from is None:
        return
    at = v2.in_force_from
    sent_at = at - datetime.timedelta(days=3)
    content_hash = version_content_hash(v2)
    v2.content_hash = content_hash
    from slas.signing import _lifecycle_save

    _lifecycle_save(v2, ["content_hash"], actor=alice, what="sealed (demo)")
    rnd = SigningRound.objects.create(
        version=v2,
        number=1,
        order=SigningOrder.PARALLEL,
        status=RoundStatus.COMPLETED,
        content_hash=content_hash,
        sent_by=alice,
        sent_at=sent_at,
        activates_at=at,
        closed_at=at,
    )
    parties = {team.name: team for team in agreement.parties.all()}
    audit_append(
        agreement=agreement,
        action=AuditAction.SENT,
        actor=alice,
        version=v2,
        at=sent_at,
        data={
            "round": 1,
            "order": "parallel",
            "content_hash": content_hash,
            "signatories": sorted(parties),
        },
    )
    for position, (user, team_name) in enumerate([(alice, "Marketing"), (carol, "Sales")]):
        team = parties[team_name]
        request = SignatureRequest.objects.create(
            round=rnd, position=position, team=team, status=RequestStatus.SIGNED, opened_at=sent_at
        )
        Signature.objects.create(
            request=request,
            version=v2,
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
            version=v2,
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
    v1 = agreement.versions.filter(number=1, status=VersionStatus.SUPERSEDED).first()
    if v1 is not None:
        audit_append(
            agreement=agreement,
            action=AuditAction.SUPERSEDED,
            version=v1,
            at=at,
            data={"by_version": v2.number, "in_force_until": at},
        )
    audit_append(
        agreement=agreement,
        action=AuditAction.ACTIVATED,
        version=v2,
        at=at,
        data={"in_force_from": at, "content_hash": content_hash, "supersedes": 1 if v1 else None},
    )
    _say(stdout, f"Signing: {v2} signed by Alice and Carol, with its certificate.")


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
def seed(stdout=None) -> None:
    from slas.demo import MARKETING_SALES

    users = {
        u.username: u for u in get_user_model().objects.filter(username__in=["alice", "carol"])
    }
    agreement = Agreement.objects.filter(title=MARKETING_SALES).first()
    if agreement is None or len(users) < 2:
        return
    versions = {v.number: v for v in agreement.versions.all()}
    if 2 in versions:
        _v2_signed_round(
            agreement, versions[2], alice=users["alice"], carol=users["carol"], stdout=stdout
        )
    if 3 in versions:
        _v3_sent_with_alice(versions[3], alice=users["alice"], stdout=stdout)
