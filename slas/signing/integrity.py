"""Is an agreement's record whole? The audit chain, its signed checkpoint outside the
database, and the signed seal of every live signing round, checked together; a break
tells the agreement's managers (once per break).

The one check behind `verify_audit`, the audit page, the version page, the certificate
and the verify page and API: each shows what it finds, none is silent.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.urls import reverse
from django.utils.translation import gettext_noop

from portal.notifications import PARTY_MANAGER, notification_create, party_members
from portal.text import Text
from slas.audit.chain import ChainVerification, audit_verify
from slas.models import Agreement, Version
from slas.signing.checkpoints import CheckpointCheck, checkpoint_statement, checkpoint_verify
from slas.signing.keys import public_key_pem, seal_public_keys
from slas.signing.models import RoundStatus, SigningRound
from slas.signing.seal import SealCheck, signing_round_seal

SEAL_BROKEN = "signing.seal_broken"


def _managers_notify(agreement: Agreement, *, title: Text, body: str, url: str, key: str) -> None:
    for user in party_members([agreement], managers_only=True).get(agreement.pk, []):
        if user.is_active:
            notification_create(
                recipient=user,
                kind=SEAL_BROKEN,
                title=title,
                body=body,
                url=url,
                reason=PARTY_MANAGER,
                dedupe_key=key,
            )


def signing_round_seal_check(*, rnd: SigningRound, version: Version | None = None) -> SealCheck:
    """The round's seal (`slas.signing.seal.signing_round_seal`, ``version`` as there);
    broken, the managers of the agreement's party teams are told, once per round."""
    check = signing_round_seal(rnd, version=version)
    if not check.intact:
        version = Version.objects.select_related("agreement").get(pk=rnd.version_id)
        _managers_notify(
            version.agreement,
            title=Text(gettext_noop("The seal of %(version)s is broken"), version=version),
            body=check.reason,
            url=reverse("slas:signing_certificate", args=[version.pk])
            if rnd.status == RoundStatus.COMPLETED
            else reverse("slas:version_detail", args=[version.pk]),
            key=f"signing:round:{rnd.pk}:seal_broken",
        )
    return check


@dataclass
class Integrity:
    chain: ChainVerification
    checkpoint: CheckpointCheck
    seals: list[tuple[SigningRound, SealCheck]] = field(default_factory=list)

    @property
    def broken_seals(self) -> list[tuple[SigningRound, SealCheck]]:
        return [(rnd, check) for rnd, check in self.seals if not check.intact]

    @property
    def intact(self) -> bool:
        return self.chain.intact and self.checkpoint.intact and not self.broken_seals


def agreement_integrity_check(*, agreement: Agreement) -> Integrity:
    """Chain, checkpoint and the seals of the rounds that are open or complete (a voided
    round's version is a draft again, edited freely: its seal no longer speaks for it)."""
    chain = audit_verify(agreement=agreement)
    checkpoint = checkpoint_verify(agreement.pk)
    if not checkpoint.intact:
        _managers_notify(
            agreement,
            title=Text(
                gettext_noop("The audit trail of %(agreement)s was rolled back"),
                agreement=agreement.title,
            ),
            body=checkpoint.reason,
            url=reverse("slas:signing_audit", args=[agreement.pk]),
            key=f"audit:agreement:{agreement.pk}:rolled_back:{checkpoint.seq}",
        )
    rounds = (
        SigningRound.objects.filter(
            version__agreement=agreement, status__in=[RoundStatus.OPEN, RoundStatus.COMPLETED]
        )
        .select_related("version")
        .order_by("version__number", "number")
    )
    seals = [(rnd, signing_round_seal_check(rnd=rnd)) for rnd in rounds]
    return Integrity(chain=chain, checkpoint=checkpoint, seals=seals)


# What a third party needs ----------------------------------------------------------------

SEAL_FILE_SCHEMA = "sla-portal/seal-file/1"


def seal_file(rnd: SigningRound) -> dict | None:
    """The signature that travels with an exported copy (`<export>.seal.json`).

    `seal` is the round's signed statement (its `content_hash` is the SHA-256 of the JSON
    export); `chain_head` a checkpoint of the audit chain signed as the file is issued, to
    hold against the portal's chain later (a rollback below it shows). Both verify with
    the portal's public key alone (docs/security.md: tools/verify_seal.py or openssl).
    None for a round sealed before signatures.
    """
    if rnd.seal_statement is None:
        return None
    version = Version.objects.get(pk=rnd.version_id)
    public = seal_public_keys().get(rnd.seal_key_id)
    return {
        "schema": SEAL_FILE_SCHEMA,
        "seal": {
            "statement": bytes(rnd.seal_statement).decode(),
            "key_id": rnd.seal_key_id,
            "signature": rnd.seal_signature,
        },
        "chain_head": checkpoint_statement(version.agreement_id),
        # For convenience only: trust the key the portal publishes, not this copy of it.
        "public_key": public_key_pem(public) if public is not None else None,
    }
