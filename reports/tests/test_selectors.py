"""Compliance wired to the database: hand-computed scenarios across a supersession.

v1 is in force from 1 January 2026 until 15 March 00:00 (Bucharest), then v2.
H = 4 business hours, Mon-Fri 09:00-17:00 Bucharest.
"""

import datetime as dt

import pytest
import time_machine

from leads.models import Cycle
from reports.models import ComplianceResult
from reports.selectors import commitment_breakdown, version_compliance
from reports.tests.factories import feedback, lead, local, story, two_versions

AFTER_MARCH = local(4, 2, 12)


@pytest.fixture
def march(cast):
    agreement, v1, v2 = two_versions(cast)
    a = story(
        lead(agreement, cast),
        ("mql", local(3, 10, 10)),
        ("attempt", local(3, 10, 12)),
        ("sal", local(3, 18, 10)),  # accepted after v2 took effect: still v1's
        ("sql", local(3, 20, 10)),
    )
    b = story(
        lead(agreement, cast),
        ("mql", local(3, 12, 10)),
        ("recycled", local(3, 13, 10), "no_need"),  # 8 business hours, no contact
    )
    feedback(b, cast.dan, local(3, 14, 9))
    c = story(
        lead(agreement, cast),
        ("mql", local(3, 16, 10)),
        ("attempt", local(3, 16, 11)),
        ("sal", local(3, 16, 12)),
        ("attempt", local(3, 17, 10)),
        ("attempt", local(3, 18, 10)),
        ("recycled", local(3, 19, 10), "bogus"),
    )
    d = story(
        lead(agreement, cast),
        ("mql", local(3, 20, 18)),  # Friday evening
        ("attempt", local(3, 23, 10)),  # Monday morning: one business hour
    )
    return agreement, v1, v2, (a, b, c, d)


def results(comp, label):
    return {line.spec.kind: line.result(label) for line in comp.lines}


def summary(result):
    return (result.numerator, result.denominator, result.actual, result.status)


@pytest.mark.django_db
def test_each_cycle_counts_for_the_version_in_force_at_its_handoff(march):
    # given handoffs on both sides of a supersession in the middle of March
    agreement, v1, v2, _ = march

    # when both versions' compliance is read after March
    with time_machine.travel(AFTER_MARCH, tick=False):
        old = results(version_compliance(v1), "2026-03")
        new = results(version_compliance(v2), "2026-03")

    # then v1 keeps its two cycles, including an acceptance made under v2
    assert summary(old["mql_volume"]) == (2, 0, 2.0, "missed")
    assert summary(old["acceptance_rate"]) == (1, 2, 50.0, "missed")
    assert summary(old["first_contact_within"]) == (1, 2, 50.0, "missed")
    assert summary(old["conversion_rate"]) == (1, 2, 50.0, "met")
    assert summary(old["reason_documented"]) == (1, 1, 100.0, "met")
    assert summary(old["feedback_coverage"]) == (1, 1, 100.0, "met")
    assert summary(old["attempts_before_recycle"]) == (0, 0, None, "no_data")
    # and v2 scores only what was handed off under it
    assert summary(new["mql_volume"]) == (2, 0, 2.0, "missed")
    assert summary(new["first_contact_within"]) == (2, 2, 100.0, "met")  # Friday evening met
    assert summary(new["acceptance_rate"]) == (1, 1, 100.0, "met")  # the Friday lead undecided
    assert summary(new["attempts_before_recycle"]) == (1, 1, 100.0, "met")
    assert summary(new["reason_documented"]) == (0, 1, 0.0, "missed")  # "bogus" is no code
    assert summary(new["feedback_coverage"]) == (0, 1, 0.0, "missed")


@pytest.mark.django_db
def test_volume_targets_are_prorated_to_the_days_each_version_was_in_force(march):
    # given a target of 31 MQLs a month and a switch at 15 March 00:00
    _, v1, v2, _ = march
    with time_machine.travel(AFTER_MARCH, tick=False):
        old = results(version_compliance(v1), "2026-03")["mql_volume"]
        new = results(version_compliance(v2), "2026-03")["mql_volume"]
        february = results(version_compliance(v1), "2026-02")["mql_volume"]
    # then v1 covered 1-14 March (14 of 31 days), v2 15-31 March (17 days)
    assert (old.target, new.target) == (14, 17)
    # and a full month keeps the full target
    assert february.target == 31


@pytest.mark.django_db
def test_a_version_lists_only_the_periods_it_was_in_force(march):
    _, v1, v2, _ = march
    with time_machine.travel(AFTER_MARCH, tick=False):
        assert version_compliance(v1).labels == ["2026-01", "2026-02", "2026-03"]
        assert version_compliance(v2).labels == ["2026-03", "2026-04"]


@pytest.mark.django_db
def test_ungoverned_handoffs_are_counted_not_scored(cast, march):
    agreement, v1, _, _ = march
    story(lead(agreement, cast), ("mql", local(12, 20, 10, year=2025)))  # before v1
    with time_machine.travel(AFTER_MARCH, tick=False):
        comp = version_compliance(v1)
    assert comp.ungoverned == 1
    assert Cycle.objects.filter(version__isnull=True).count() == 1
    assert sum(r.numerator for r in comp.line_of("mql_volume").results) == 2


@pytest.mark.django_db
def test_stored_results_are_reused_and_adjusted_when_the_cycles_change(
    cast, march, django_assert_num_queries
):
    agreement, v1, v2, _ = march
    with time_machine.travel(AFTER_MARCH, tick=False):
        version_compliance(v2)
        stored = ComplianceResult.objects.filter(version=v2).count()
        april = {
            row.pk: (row.numerator, row.denominator, row.status)
            for row in ComplianceResult.objects.filter(version=v2, label="2026-04")
        }
        # when read again nothing is recomputed: five reads, no writes
        with django_assert_num_queries(5):
            version_compliance(v2)
        # when a new handoff arrives in March
        story(lead(agreement, cast), ("mql", local(3, 25, 10)))
        # then v2's March results were adjusted in place (no row dropped, none
        # recomputed on the next read), and the count moves
        assert ComplianceResult.objects.filter(version=v2).count() == stored
        with django_assert_num_queries(5):
            comp = version_compliance(v2)
        assert results(comp, "2026-03")["mql_volume"].numerator == 3
        # April's rows were not touched
        assert april == {
            row.pk: (row.numerator, row.denominator, row.status)
            for row in ComplianceResult.objects.filter(version=v2, label="2026-04")
        }
        # and v1's results were not touched
        assert results(version_compliance(v1), "2026-03")["mql_volume"].numerator == 2


@pytest.mark.django_db
def test_new_feedback_refreshes_feedback_coverage(cast, march):
    _, _, v2, (_, _, c, _) = march
    with time_machine.travel(AFTER_MARCH, tick=False):
        assert results(version_compliance(v2), "2026-03")["feedback_coverage"].actual == 0.0
        feedback(c, cast.dan, local(3, 30, 10))
        assert results(version_compliance(v2), "2026-03")["feedback_coverage"].actual == 100.0


@pytest.mark.django_db
def test_open_clocks_turn_at_risk_then_breached_as_time_passes(cast, march):
    # given a handoff on Monday 6 April at 10:00 with a 4-hour window (v2)
    agreement, _, v2, _ = march
    story(lead(agreement, cast), ("mql", local(4, 6, 10)))

    def clock(at):
        with time_machine.travel(at, tick=False):
            result = results(version_compliance(v2), "2026-04")["first_contact_within"]
            return {k: result.counts[k] for k in ("open", "at_risk", "breached")}

    # then, reading through the stored results each time, the clock moves on
    assert clock(local(4, 6, 11)) == {"open": 1, "at_risk": 0, "breached": 0}
    assert clock(local(4, 6, 13, 15)) == {"open": 1, "at_risk": 1, "breached": 0}
    assert clock(local(4, 6, 14, 0)) == {"open": 1, "at_risk": 1, "breached": 0}
    assert clock(local(4, 6, 14, 1)) == {"open": 0, "at_risk": 0, "breached": 1}


@pytest.mark.django_db
def test_the_breakdown_gives_time_left_on_open_clocks(cast, march):
    agreement, _, v2, _ = march
    story(lead(agreement, cast), ("mql", local(4, 6, 10)))
    fc = v2.commitments.get(kind="first_contact_within")
    with time_machine.travel(local(4, 6, 13, 30), tick=False):
        data = commitment_breakdown(v2, fc, "2026-04")
    (key,) = data.result.cycles["at_risk"]
    assert data.result.time_left[key] == 30 * 60
    assert commitment_breakdown(v2, fc, "1999-01") is None


@pytest.mark.django_db
def test_a_stop_after_now_does_not_count_yet(cast, march):
    # given a lead contacted at 12:00, read as of 11:00 (results stored later are ignored)
    agreement, _, v2, _ = march
    story(lead(agreement, cast), ("mql", local(4, 7, 10)), ("attempt", local(4, 7, 12)))
    with time_machine.travel(local(4, 7, 13), tick=False):
        later = results(version_compliance(v2), "2026-04")["first_contact_within"]
    with time_machine.travel(local(4, 7, 11), tick=False):
        earlier = results(version_compliance(v2), "2026-04")["first_contact_within"]
    assert (later.counts["met"], earlier.counts["open"]) == (1, 1)
    assert earlier.computed_at == dt.datetime(2026, 4, 7, 8, tzinfo=dt.UTC)
