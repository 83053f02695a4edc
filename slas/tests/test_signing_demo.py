"""The demo's signing records: v2 really signed, v3 pending with Alice's signature."""

import pytest

from slas import demo
from slas.models import Agreement, VersionStatus
from slas.signing import audit_verify, version_content_hash
from slas.signing_models import AuditEntry, Signature
from slas.signing_selectors import certificate_for

pytestmark = pytest.mark.django_db


def test_the_demo_has_a_signed_v2_and_a_pending_v3_and_is_idempotent(cast):
    # given / when
    demo.seed()
    demo.seed()
    # then
    agreement = Agreement.objects.get(title=demo.MARKETING_SALES)
    v2 = agreement.versions.get(number=2)
    v3 = agreement.versions.get(number=3)
    certificate = certificate_for(v2)
    assert certificate is not None
    assert {s.user.username for s in certificate.signatures} == {"alice", "carol"}
    assert all(s.signed_at == v2.in_force_from for s in certificate.signatures)
    assert v2.content_hash == version_content_hash(v2)
    assert v3.status == VersionStatus.PENDING_SIGNATURE
    assert list(Signature.objects.filter(version=v3).values_list("user__username", flat=True)) == [
        "alice"
    ]
    assert audit_verify(agreement=agreement).intact
    assert AuditEntry.objects.filter(agreement=agreement, action="activated").count() == 1
    assert AuditEntry.objects.filter(agreement=agreement, action="sent").count() == 2
