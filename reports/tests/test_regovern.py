"""Cycles are governed anew when a version's in-force interval changes after handoffs
(activation in the past, supersession, expiry), through the real signing services, and
stored results are never written from facts that changed while they were computed.

Calendar: Europe/Bucharest, Mon-Fri 09:00-17:00. 16 March 2026 is a Monday.
"""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from leads.cycle_rows import cycles_regovern
from leads.models import Cycle
from reports import results as results_module
from reports import specs
from reports.models import ComplianceResult, FactsRevision
from reports.results import facts_revisions
from reports.selectors import version_compliance
from reports.services import cycles_rebuild, cycles_verify
from reports.tests.factories import (
    AgreementFactory,
    VersionFactory,
    commitments,
    feedback,
    lead,
    local,
    story,
    two_versions,
)
from slas.signing.jobs import versions_activate_due, versions_expire_due
from slas.signing.services import version_send_for_signature
from slas.testing import version_take_effect
from slas.tests.test_signing_services import sign

AFTER_MARCH = local(4, 2, 12)
AFTER_APRIL = local(5, 4, 12)

pytestmark = pytest.mark.django_db


def results(comp, label):
    return {line.spec.kind: line.result(label) for line in comp.lines}


def summary(result):
    return (result.numerator, result.denominator, result.actual, result.status)


def version(agreement, cast, number, **fields):
    """A draft with one commitment of every kind (first contact within its own window)."""
    fields.setdefault("change_summary", "New terms.")
    draft = VersionFactory(agreement=agreement, number=number, **fields)
    commitments(
        draft,
        marketing=cast.marketing,
        sales=cast.sales,
        hours=int(draft.first_contact_hours),
    )
    return draft


def signed(draft, cast, *, at):
    """Send the draft for signature and have both parties sign it at ``at``."""
    with time_machine.travel(at, tick=False):
        version_send_for_signature(version=draft, actor=cast.alice)
        sign(draft, cast.alice)
        sign(draft, cast.carol)
    draft.refresh_from_db()
    return draft


def versions_of(*leads):
    return [
        [c.version_id for c in Cycle.objects.filter(lead=one).order_by("number")] for one in leads
    ]


@pytest.fixture
def agreement(cast):
    agreement = AgreementFactory()
    agreement.parties.set([cast.marketing, cast.sales])
    return agreement


def test_a_version_activated_late_governs_the_handoffs_since_its_effective_date(cast, agreement):
    # given v1 (4 business hours) in force since 1 January, and v2 (8 business hours)
    # signed on 10 March to take effect on Monday 16 March
    v1 = version(agreement, cast, 1, first_contact_hours=Decimal(4))
    version_take_effect(v1, in_force_from=local(1, 1, 0))
    v2 = version(
        agreement, cast, 2, first_contact_hours=Decimal(8), effective_date=dt.date(2026, 3, 16)
    )
    signed(v2, cast, at=local(3, 10, 12))
    assert v2.status == "scheduled"
    # and handoffs on 16 March written before the activation job ran (the worker was down)
    a = story(lead(agreement, cast), ("mql", local(3, 12, 10)))
    b = story(lead(agreement, cast), ("mql", local(3, 16, 10)), ("attempt", local(3, 16, 15)))
    c = story(lead(agreement, cast), ("mql", local(3, 16, 11)))
    assert versions_of(a, b, c) == [[v1.pk], [v1.pk], [v1.pk]]
    version_compliance(v1, now=local(3, 16, 11, 30))  # results stored meanwhile

    # when the job runs at noon
    assert versions_activate_due(now=local(3, 16, 12)) == 1

    # then v2 is in force from its effective date and governs the two handoffs since,
    # with its own deadline; the facts match a full recomputation
    v1.refresh_from_db()
    v2.refresh_from_db()
    assert v1.status == "superseded" and v1.in_force_until == local(3, 16, 0)
    assert v2.in_force_from == local(3, 16, 0)
    assert versions_of(a, b, c) == [[v1.pk], [v2.pk], [v2.pk]]
    assert Cycle.objects.get(lead=b).deadline_at == local(3, 17, 10)  # 7 h Monday, 1 h Tuesday
    assert cycles_verify() == (3, [])
    # and each version scores its own handoffs of March
    old = results(version_compliance(v1, now=AFTER_MARCH), "2026-03")
    new = results(version_compliance(v2, now=AFTER_MARCH), "2026-03")
    assert old["mql_volume"].numerator == 1
    assert summary(old["first_contact_within"]) == (0, 1, 0.0, "missed")
    assert new["mql_volume"].numerator == 2
    assert summary(new["first_contact_within"]) == (1, 2, 50.0, "missed")  # b met 8 h


def test_an_expired_version_no_longer_governs_handoffs_after_its_end(cast, agreement):
    # given v1 ends on 31 March, with a handoff in March and one just after midnight,
    # written before the lifecycle job ran
    v1 = version(agreement, cast, 1, end_date=dt.date(2026, 3, 31), review_date=dt.date(2026, 2, 1))
    version_take_effect(v1, in_force_from=local(1, 1, 0))
    march = story(lead(agreement, cast), ("mql", local(3, 20, 10)))
    april = story(lead(agreement, cast), ("mql", local(4, 1, 0, 2)))
    assert versions_of(march, april) == [[v1.pk], [v1.pk]]
    assert (
        results(version_compliance(v1, now=local(4, 1, 0, 3)), "2026-04")["mql_volume"].numerator
        == 1
    )

    # when the job runs a few minutes later
    assert versions_expire_due(now=local(4, 1, 0, 5)) == 1

    # then the April handoff is ungoverned, as a full recomputation says
    v1.refresh_from_db()
    assert v1.in_force_until == local(4, 1, 0)
    assert versions_of(march, april) == [[v1.pk], [None]]
    assert Cycle.objects.get(lead=april).deadline_at is None
    assert cycles_verify() == (2, [])
    # and v1 scores March only, the April handoff is counted as ungoverned
    comp = version_compliance(v1, now=AFTER_APRIL)
    assert comp.labels[-1] == "2026-03"
    assert results(comp, "2026-03")["mql_volume"].numerator == 1
    assert comp.ungoverned == 1


def test_one_late_job_run_expires_the_old_version_then_activates_the_new_one(cast, agreement):
    # given v1 ends on 31 March and v2, signed on 20 March, takes effect on 2 April
    v1 = version(agreement, cast, 1, end_date=dt.date(2026, 3, 31), review_date=dt.date(2026, 2, 1))
    version_take_effect(v1, in_force_from=local(1, 1, 0))
    v2 = version(agreement, cast, 2, effective_date=dt.date(2026, 4, 2))
    signed(v2, cast, at=local(3, 20, 12))
    # and handoffs on 31 March, 1 April and 2 April, all written before any job ran
    leads = [
        story(lead(agreement, cast), ("mql", at))
        for at in (local(3, 31, 10), local(4, 1, 10), local(4, 2, 9))
    ]
    assert versions_of(*leads) == [[v1.pk]] * 3

    # when the activation job first runs on 2 April
    assert versions_activate_due(now=local(4, 2, 10)) == 1

    # then v1 expired at its end, v2 is in force from its effective date, and each
    # handoff is governed by what was in force at that instant
    v1.refresh_from_db()
    v2.refresh_from_db()
    assert v1.status == "expired" and v1.in_force_until == local(4, 1, 0)
    assert v2.status == "active" and v2.in_force_from == local(4, 2, 0)
    assert versions_of(*leads) == [[v1.pk], [None], [v2.pk]]
    assert cycles_verify() == (3, [])
    new = results(version_compliance(v2, now=AFTER_APRIL), "2026-04")
    assert new["mql_volume"].numerator == 1


def test_regoverning_refreshes_only_the_leads_whose_governing_version_changed(cast, agreement):
    # given a lead handed off under v1 and one handed off twice later, then v1's
    # interval shortened behind the facts' back
    v1 = version(agreement, cast, 1)
    version_take_effect(v1, in_force_from=local(1, 1, 0))
    early = story(lead(agreement, cast), ("mql", local(3, 10, 10)))
    late = story(
        lead(agreement, cast),
        ("mql", local(3, 20, 10)),
        ("recycled", local(3, 20, 12), "no_need"),
        ("mql", local(3, 25, 10)),
    )
    version_take_effect(v1, in_force_from=local(1, 1, 0), in_force_until=local(3, 15, 0))

    # when the agreement's cycles are governed anew from 1 January
    refreshed = cycles_regovern(agreement_id=agreement.pk, since=local(1, 1, 0))

    # then only the late lead was refreshed, and a second pass has nothing to do
    assert refreshed == 1
    assert versions_of(early, late) == [[v1.pk], [None, None]]
    assert cycles_regovern(agreement_id=agreement.pk, since=local(1, 1, 0)) == 0
    assert cycles_verify() == (3, [])


def test_a_cycle_handed_off_outside_the_versions_interval_is_never_scored(cast, agreement):
    # given a cycle still stamped with v1 though handed off after v1's interval ended
    v1 = version(agreement, cast, 1)
    version_take_effect(v1, in_force_from=local(1, 1, 0))
    story(lead(agreement, cast), ("mql", local(3, 10, 10)))
    story(lead(agreement, cast), ("mql", local(3, 20, 10)))
    version_take_effect(v1, in_force_from=local(1, 1, 0), in_force_until=local(3, 15, 0))

    # when v1's compliance is read
    march = results(version_compliance(v1, now=AFTER_MARCH), "2026-03")

    # then only the handoff inside the interval counts
    assert march["mql_volume"].numerator == 1


# Facts revision -------------------------------------------------------------------------


def test_an_event_committed_while_results_are_computed_leaves_no_stale_result(cast, monkeypatch):
    # given two versions and a handoff under v2 in March, read after March (results of
    # a finished period never expire)
    agreement, _v1, v2 = two_versions(cast)
    story(lead(agreement, cast), ("mql", local(3, 20, 10)))
    original = specs.load_facts
    arrived = []

    def load_facts_then_an_event_arrives(qs, **kwargs):
        loaded = original(qs, **kwargs)
        if not arrived:  # another request writes a March handoff in between
            arrived.append(story(lead(agreement, cast), ("mql", local(3, 25, 10))))
        return loaded

    monkeypatch.setattr(results_module, "load_facts", load_facts_then_an_event_arrives)

    # when v2's compliance is computed from the facts read before the event
    racing = results(version_compliance(v2, now=AFTER_MARCH), "2026-03")

    # then that render shows what it read, but nothing of it was stored
    assert racing["mql_volume"].numerator == 1
    assert not ComplianceResult.objects.filter(version=v2).exists()
    # and the next read counts the new handoff and stores it at the current revision
    monkeypatch.setattr(results_module, "load_facts", original)
    assert results(version_compliance(v2, now=AFTER_MARCH), "2026-03")["mql_volume"].numerator == 2
    revision = facts_revisions([v2.pk])[v2.pk]
    rows = ComplianceResult.objects.filter(version=v2)
    assert rows.exists() and {row.facts_revision for row in rows} == {revision}
    assert results(version_compliance(v2, now=AFTER_MARCH), "2026-03")["mql_volume"].numerator == 2


def test_every_invalidation_bumps_the_facts_revision(cast):
    # given two versions, no change yet
    agreement, v1, v2 = two_versions(cast)
    assert facts_revisions([v1.pk, v2.pk]) == {v1.pk: 0, v2.pk: 0}

    # when a handoff under v2 is written, then feedback on it, then the facts are rebuilt
    one = story(lead(agreement, cast), ("mql", local(3, 20, 10)), ("recycled", local(3, 20, 12)))
    after_event = facts_revisions([v1.pk, v2.pk])
    feedback(one, cast.dan, local(3, 21, 10))
    after_feedback = facts_revisions([v1.pk, v2.pk])
    cycles_rebuild()
    after_rebuild = facts_revisions([v1.pk, v2.pk])

    # then each change bumped the versions it touched, and a rebuild bumps them all
    assert after_event == {v1.pk: 0, v2.pk: 1}
    assert after_feedback == {v1.pk: 0, v2.pk: 2}
    assert after_rebuild == {v1.pk: 1, v2.pk: 3}
    assert FactsRevision.objects.count() == 2
