"""The demo's signing records: v1 and v2 really signed, v3 pending with Alice's signature."""

import pytest

from slas import demo
from slas.audit.chain import audit_verify
from slas.audit.models import AuditEntry
from slas.models import Agreement, VersionStatus
from slas.signing.models import Signature
from slas.signing.seal import signing_round_seal, version_content_hash
from slas.signing.selectors import certificate_for

pytestmark = pytest.mark.django_db


def test_the_demo_has_signed_v1_and_v2_and_a_pending_v3_and_is_idempotent(cast):
    # given / when
    demo.seed()
    demo.seed()
    # then
    agreement = Agreement.objects.get(title=demo.MARKETING_SALES)
    v1, v2, v3 = (agreement.versions.get(number=n) for n in (1, 2, 3))
    for version in (v1, v2):
        certificate = certificate_for(version)
        assert certificate is not None
        assert {s.user.username for s in certificate.signatures} == {"alice", "carol"}
        assert all(
            certificate.round.sent_at < s.signed_at < version.in_force_from
            for s in certificate.signatures
        )
        assert version.content_hash == version_content_hash(version)
        assert signing_round_seal(certificate.round).intact
    assert v1.in_force_until == v2.in_force_from
    assert v3.status == VersionStatus.PENDING_SIGNATURE
    assert list(Signature.objects.filter(version=v3).values_list("user__username", flat=True)) == [
        "alice"
    ]
    assert audit_verify(agreement=agreement).intact
    assert AuditEntry.objects.filter(agreement=agreement, action="activated").count() == 2
    assert AuditEntry.objects.filter(agreement=agreement, action="superseded").count() == 1
    assert AuditEntry.objects.filter(agreement=agreement, action="sent").count() == 3
