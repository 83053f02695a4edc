"""Real concurrency on PostgreSQL: two threads, each with its own database connection."""

import threading

import pytest
from django.db import connection, connections

from slas.audit.chain import audit_verify
from slas.audit.models import AuditEntry
from slas.models import Version, VersionStatus
from slas.signing.models import Signature
from slas.signing.rounds import SigningError
from slas.signing.services import version_send_for_signature
from slas.tests.signing_factories import marketing_sales
from slas.tests.test_signing_services import sign

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks need PostgreSQL (DATABASE_URL)"
    ),
]


def run_together(*calls):
    """Start every call at the same moment in its own thread; collect results or errors."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def worker(index, call):
        try:
            barrier.wait()
            results[index] = call()
        except Exception as exc:  # noqa: BLE001 - reported to the test
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


@pytest.mark.parametrize("attempt", range(3))
def test_the_last_two_signers_at_once_activate_and_supersede_exactly_once(cast, attempt):
    # given v3 sent, nobody signed yet: both signatures arrive together, either may be last
    agreement, v2, v3 = marketing_sales(cast)
    version_send_for_signature(version=v3, actor=cast.alice)
    # when
    results = run_together(lambda: sign(v3, cast.alice), lambda: sign(v3, cast.carol))
    # then
    assert not [r for r in results if isinstance(r, Exception)], results
    v2.refresh_from_db()
    v3.refresh_from_db()
    assert v3.status == VersionStatus.ACTIVE
    assert v2.status == VersionStatus.SUPERSEDED
    assert v2.in_force_until == v3.in_force_from
    assert Version.objects.filter(agreement=agreement, status="active").count() == 1
    assert AuditEntry.objects.filter(agreement=agreement, action="activated").count() == 1
    assert AuditEntry.objects.filter(agreement=agreement, action="superseded").count() == 1
    assert Signature.objects.filter(version=v3).count() == 2
    assert audit_verify(agreement=agreement).intact


def test_a_double_submitted_signature_is_stored_once(cast):
    # given
    agreement, _v2, v3 = marketing_sales(cast)
    version_send_for_signature(version=v3, actor=cast.alice)
    # when carol's browser posts twice at the same moment
    results = run_together(lambda: sign(v3, cast.carol), lambda: sign(v3, cast.carol))
    # then
    errors = [r for r in results if isinstance(r, Exception)]
    assert len(errors) == 1 and isinstance(errors[0], SigningError)
    assert errors[0].code == "already_signed"
    assert Signature.objects.filter(version=v3, user=cast.carol).count() == 1
    assert AuditEntry.objects.filter(agreement=agreement, action="signed").count() == 1
    assert audit_verify(agreement=agreement).intact


def test_concurrent_audit_appends_keep_the_chain_linear(cast):
    from slas.audit.chain import audit_append
    from slas.tests.signing_factories import AgreementFactory

    agreement = AgreementFactory(parties=[cast.marketing])
    calls = [
        (lambda i=i: audit_append(agreement=agreement.pk, action="edited", data={"n": i}))
        for i in range(6)
    ]
    results = run_together(*calls)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sorted(AuditEntry.objects.filter(agreement=agreement).values_list("seq", flat=True)) == [
        1,
        2,
        3,
        4,
        5,
        6,
    ]
    assert audit_verify(agreement=agreement).intact


def test_two_sweeps_at_once_take_two_due_versions_in_order_exactly_once(cast):
    # given v4 (newer) due on day 4 and v3 on day 8, both signed; the sweep runs on day 9
    # in two workers at once
    import datetime

    from django.utils import timezone

    from slas import services
    from slas.signing.jobs import versions_activate_due
    from slas.tests.signing_factories import local_midnight

    today = timezone.localdate()
    agreement, _v2, v3 = marketing_sales(cast, v3_effective=today + datetime.timedelta(days=8))
    version_send_for_signature(version=v3, actor=cast.alice)
    sign(v3, cast.carol)
    sign(v3, cast.alice)
    v4 = services.version_amend(actor=cast.alice, agreement=agreement)
    v4_on = today + datetime.timedelta(days=4)
    services.version_update(
        actor=cast.alice,
        version=v4,
        data={
            "effective_date": v4_on,
            "end_date": v4_on + datetime.timedelta(days=365),
            "review_date": v4_on + datetime.timedelta(days=10),
            "change_summary": "Version 4.",
        },
    )
    version_send_for_signature(version=v4, actor=cast.alice)
    sign(v4, cast.carol)
    sign(v4, cast.alice)
    day9 = local_midnight(today + datetime.timedelta(days=9))
    # when
    results = run_together(
        lambda: versions_activate_due(now=day9), lambda: versions_activate_due(now=day9)
    )
    # then v4 took force once, from its own date, and v3 was voided once
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sorted(results) == [0, 1]
    statuses = dict(agreement.versions.values_list("number", "status"))
    assert statuses == {2: "superseded", 3: "voided", 4: "active"}
    v4.refresh_from_db()
    assert v4.in_force_from == local_midnight(v4_on)
    assert AuditEntry.objects.filter(agreement=agreement, action="activated").count() == 1
    assert AuditEntry.objects.filter(agreement=agreement, action="voided").count() == 1
    assert audit_verify(agreement=agreement).intact
