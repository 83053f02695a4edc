"""Maintained results under concurrent writers and a reader (PostgreSQL, three connections):
two writers log first contacts on their own leads while a reader keeps dropping and
recomputing rows of the same version; afterwards every result a page reads equals a full
recomputation, and the cycles equal a full recomputation from the events."""

from __future__ import annotations

import random
import threading

import pytest
import time_machine
from django.db import connection, connections, transaction

from leads.cycle_rows import lead_cycles_refresh
from leads.models import LeadEvent
from reports.models import ComplianceResult
from reports.selectors import version_compliance
from reports.services import cycles_verify
from reports.tests.factories import lead, local, story, two_versions
from reports.tests.test_results_maintained import maintained_equals_recomputed

pytestmark = pytest.mark.django_db(transaction=True)

NOW = local(4, 2, 16)


@pytest.fixture(autouse=True)
def postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("connections at once only on PostgreSQL (SQLite serialises writes)")


def test_two_writers_and_a_reader_leave_results_equal_to_a_full_recomputation(cast):
    agreement, _v1, v2 = two_versions(cast)
    # twelve leads handed off on 1 and 2 April (v2), none contacted yet
    leads = [
        story(lead(agreement, cast), ("mql", local(4, 1 + i % 2, 9 + i % 7))) for i in range(12)
    ]
    errors: list[BaseException] = []

    with time_machine.travel(NOW, tick=False):
        version_compliance(v2)  # every row stored

        def writer(mine):
            try:
                for n, target in enumerate(mine):
                    with transaction.atomic():
                        LeadEvent.objects.create(
                            lead=target,
                            kind="contact_attempt",
                            occurred_at=local(4, 2, 15, 30 + n),
                            channel="phone",
                        )
                        lead_cycles_refresh([target.pk])
            except BaseException as exc:  # noqa: BLE001 - reported by the test
                errors.append(exc)
            finally:
                connections.close_all()

        def reader():
            rng = random.Random(5)
            try:
                for _ in range(15):
                    ids = list(ComplianceResult.objects.values_list("pk", flat=True))
                    ComplianceResult.objects.filter(pk__in=rng.sample(ids, len(ids) // 3)).delete()
                    version_compliance(v2)
            except BaseException as exc:  # noqa: BLE001
                errors.append(exc)
            finally:
                connections.close_all()

        threads = [
            threading.Thread(target=writer, args=(leads[:6],)),
            threading.Thread(target=writer, args=(leads[6:],)),
            threading.Thread(target=reader),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert not errors, errors
        v2.refresh_from_db()
        maintained_equals_recomputed([v2], NOW)
        fc = version_compliance(v2).line_of("first_contact_within").result("2026-04")
        assert fc.counts["met"] + fc.counts["breached"] == 12
    assert cycles_verify()[1] == []


def test_writers_and_readers_bringing_expired_rows_forward_agree_with_a_recomputation(cast):
    """Rows stored at 16:00 on 2 April; the next morning every open clock has come due
    (at risk, breached). Two writers log late first contacts while two readers bring the
    expired rows forward at the same instant: a reader that read a row a writer adjusted
    meanwhile stores nothing, so every result equals a full recomputation afterwards."""
    agreement, _v1, v2 = two_versions(cast)
    leads = [
        story(lead(agreement, cast), ("mql", local(4, 1 + i % 2, 9 + i % 7))) for i in range(12)
    ]
    errors: list[BaseException] = []
    with time_machine.travel(NOW, tick=False):
        version_compliance(v2)  # every row stored, open clocks in `due`
    morning = local(4, 3, 11)
    with time_machine.travel(morning, tick=False):
        assert ComplianceResult.objects.filter(version=v2, valid_until__lte=morning).exists()

        def writer(mine):
            try:
                for n, target in enumerate(mine):
                    with transaction.atomic():
                        LeadEvent.objects.create(
                            lead=target,
                            kind="contact_attempt",
                            occurred_at=local(4, 3, 9, 30 + n),
                            channel="phone",
                        )
                        lead_cycles_refresh([target.pk])
            except BaseException as exc:  # noqa: BLE001 - reported by the test
                errors.append(exc)
            finally:
                connections.close_all()

        def reader():
            try:
                for _ in range(10):
                    version_compliance(v2)
            except BaseException as exc:  # noqa: BLE001
                errors.append(exc)
            finally:
                connections.close_all()

        threads = [
            threading.Thread(target=writer, args=(leads[:6],)),
            threading.Thread(target=writer, args=(leads[6:],)),
            threading.Thread(target=reader),
            threading.Thread(target=reader),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert not errors, errors
        v2.refresh_from_db()
        maintained_equals_recomputed([v2], morning)
        fc = version_compliance(v2).line_of("first_contact_within").result("2026-04")
        assert fc.counts["met"] + fc.counts["breached"] == 12
    assert cycles_verify()[1] == []
