"""Commitment evaluation: hand-computed fixtures for every kind.

Calendar: Europe/Bucharest, Mon-Fri 09:00-17:00. March 2026 is UTC+2 until
Sunday 29 March, so local 10:00 is 08:00 UTC in the weeks used here.
"""

import datetime as dt
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leads.cycles import CycleFacts, EventIn, cycles_from_events
from reports.engine import CommitmentSpec, evaluate, prorated_target
from slas.clock import BusinessCalendar, business_deadline
from slas.periods import Period, period_containing, periods_between

TZ = "Europe/Bucharest"
BUC = ZoneInfo(TZ)
UTC = dt.UTC
CAL = BusinessCalendar(tz=TZ)
MARCH = period_containing(TZ, "month", dt.datetime(2026, 3, 10, tzinfo=UTC))
ALWAYS = (dt.datetime(2020, 1, 1, tzinfo=UTC), None)
AFTER_MARCH = dt.datetime(2026, 4, 2, tzinfo=BUC)


def t(day, hour=10, minute=0, month=3):
    """Local Bucharest time in 2026."""
    return dt.datetime(2026, month, day, hour, minute, tzinfo=BUC)


def cycle(key, handoff, version=1, lead=None, **facts):
    return CycleFacts(
        number=1,
        handoff_event_id=key,
        handoff_at=handoff,
        version_id=version,
        lead_id=lead,
        stage_entered={"mql": handoff, **facts.pop("stage_entered", {})},
        **facts,
    )


def run(kind, cycles, *, now=AFTER_MARCH, target=90, params=None, period=MARCH, **kw):
    spec = CommitmentSpec(
        id=1, kind=kind, target=target, period="month", params=params or {}, version_id=1
    )
    kw.setdefault("in_force", ALWAYS)
    return evaluate(spec, period, cycles, calendar=CAL, now=now, **kw)


# --- periods ------------------------------------------------------------------


def test_it_cuts_months_at_local_midnight_and_stores_them_in_utc():
    assert MARCH == Period(
        start=dt.datetime(2026, 2, 28, 22, tzinfo=UTC),
        end=dt.datetime(2026, 3, 31, 21, tzinfo=UTC),  # 1 April 00:00 EEST
        label="2026-03",
    )


def test_it_lists_every_period_overlapping_the_range():
    # 1 April 00:00 UTC is already 03:00 on 1 April in Bucharest
    months = periods_between(
        TZ, "month", dt.datetime(2026, 1, 15, tzinfo=UTC), dt.datetime(2026, 4, 1, tzinfo=UTC)
    )
    assert [p.label for p in months] == ["2026-01", "2026-02", "2026-03", "2026-04"]
    assert all(a.end == b.start for a, b in zip(months, months[1:], strict=False))
    quarters = periods_between(
        TZ, "quarter", t(1, 0, month=11), t(1, 0, month=3) + dt.timedelta(days=365)
    )
    assert [p.label for p in quarters] == ["2026-Q4", "2027-Q1"]
    assert quarters[0].end == dt.datetime(2027, 1, 1, tzinfo=BUC)
    assert periods_between(TZ, "month", t(5), t(5)) == []


def test_it_rejects_unknown_period_kinds():
    with pytest.raises(ValueError, match="month"):
        period_containing(TZ, "week", t(5))


# --- proration ----------------------------------------------------------------


def spec(kind="mql_volume", target=30):
    return CommitmentSpec(id=1, kind=kind, target=target, period="month")


def test_it_prorates_a_volume_target_by_days_covered_rounded_up():
    # given a version active from 21 March 10:00: days 21..31 = 11 of 31
    assert prorated_target(spec(), MARCH, (t(21), None), TZ) == 11  # 30 * 11 / 31 = 10.6
    # superseded on 11 March at noon: days 1..11
    assert prorated_target(spec(), MARCH, (t(1, 0, month=1), t(11, 12)), TZ) == 11
    # a whole quarter with a version active from 1 Feb: 59 of 90 days
    q1 = period_containing(TZ, "quarter", t(10))
    assert prorated_target(spec(target=100), q1, (t(1, 0, month=2), None), TZ) == 66


def test_it_keeps_full_targets_for_full_periods_and_rate_targets_always():
    assert prorated_target(spec(), MARCH, ALWAYS, TZ) == 30
    assert prorated_target(spec("acceptance_rate", 80), MARCH, (t(21), None), TZ) == 80
    assert isinstance(prorated_target(spec(target=12.5), MARCH, ALWAYS, TZ), Decimal)


# --- mql_volume -----------------------------------------------------------------


def test_it_counts_only_the_versions_governed_handoffs_in_the_period():
    cycles = [
        cycle(1, t(2)),
        cycle(2, t(31, 23)),  # last hour of March, local
        cycle(3, t(5), version=None),  # ungoverned: shown elsewhere, never scored
        cycle(4, t(5), version=2),
        cycle(5, t(28, 10, month=2)),  # February
    ]
    result = run("mql_volume", cycles, target=10)
    assert (result.actual, result.numerator, result.cycles["counted"]) == (2.0, 2, [1, 2])
    assert result.status == "missed"


def test_it_projects_a_count_in_a_straight_line_while_the_period_runs():
    # given three handoffs in the first days of March and a target of 10
    cycles = [cycle(1, t(2)), cycle(2, t(3)), cycle(3, t(6))]
    # after 9 of 31 days: 3 * 31 / 9 = 10.3 -> on track
    early = run("mql_volume", cycles, target=10, now=t(10, 0))
    assert (early.status, round(early.projected, 1)) == ("on_track", 10.3)
    # after 15 days with nothing new: 3 * 31 / 15 = 6.2 -> at risk
    later = run("mql_volume", cycles, target=10, now=t(16, 0))
    assert (later.status, round(later.projected, 1)) == ("at_risk", 6.2)
    # after the month: missed
    assert run("mql_volume", cycles, target=10).status == "missed"


def test_it_calls_a_count_met_as_soon_as_it_reaches_the_target():
    cycles = [cycle(i, t(2, 9 + i)) for i in range(1, 4)]
    assert run("mql_volume", cycles, target=3, now=t(3)).status == "met"


def test_it_scores_a_partial_period_against_the_prorated_target():
    # given a version in force from 21 March (target 30 -> 11) with 11 handoffs
    cycles = [cycle(i, t(21 + i % 5, 11)) for i in range(11)]
    result = run("mql_volume", cycles, target=30, in_force=(t(21, 0), None))
    assert (result.target, result.actual, result.status) == (11, 11.0, "met")


# --- first_contact_within -------------------------------------------------------


def first_contact_fixture():
    """Four handoffs on Monday 2 March 10:00 local, H = 4 business hours."""
    return [
        cycle(
            1, t(2), first_contact_at=t(2, 12), clock_stop_at=t(2, 12), clock_stop_kind="contact"
        ),
        # contacted Tuesday 11:00: Mon 10-17 (7 h) + Tue 9-11 (2 h) = 9 h
        cycle(
            2, t(2), first_contact_at=t(3, 11), clock_stop_at=t(3, 11), clock_stop_kind="contact"
        ),
        cycle(3, t(2)),  # never contacted
        cycle(4, t(2), rejected_at=t(2, 11), clock_stop_at=t(2, 11), clock_stop_kind="rejected"),
    ]


def fc(now):
    return run("first_contact_within", first_contact_fixture(), now=now, params={"hours": 4})


def test_it_keeps_running_clocks_within_h_open_and_out_of_the_ratio():
    # at 12:30 clocks 2 and 3 have used 2.5 h of 4
    result = fc(t(2, 12, 30))
    assert result.cycles == {"met": [1, 4], "breached": [], "open": [2, 3], "at_risk": []}
    assert (result.numerator, result.denominator, result.actual) == (2, 2, 100.0)
    assert result.time_left == {2: 1.5 * 3600, 3: 1.5 * 3600}
    assert result.status == "on_track"


def test_it_flags_open_clocks_at_risk_with_a_quarter_of_h_left():
    # at 13:15, 3.25 h used, 0.75 h left <= 25 % of 4 h
    result = fc(t(2, 13, 15))
    assert result.cycles["at_risk"] == [2, 3]
    assert result.time_left[3] == 0.75 * 3600


def test_it_breaches_running_clocks_past_h_and_judges_the_rate():
    # at 14:30, 4.5 h used: both running clocks are breached -> 2 / 4 = 50 %
    result = fc(t(2, 14, 30))
    assert result.cycles == {"met": [1, 4], "breached": [2, 3], "open": [], "at_risk": []}
    assert (result.actual, result.status) == (50.0, "at_risk")
    # after the month the rate is final
    assert fc(AFTER_MARCH).status == "missed"


def test_it_does_not_run_the_clock_over_a_weekend():
    # given a Friday 18:00 handoff, by Monday 10:00 only one business hour has passed
    friday = cycle(9, t(6, 18))
    result = run("first_contact_within", [friday], now=t(9, 10), params={"hours": 4})
    assert result.cycles["open"] == [9]
    assert result.time_left == {9: 3 * 3600}
    assert (result.actual, result.status) == (None, "no_data")


def test_it_meets_a_rate_target_exactly_at_the_boundary():
    met = [cycle(i, t(2), clock_stop_at=t(2, 11), clock_stop_kind="contact") for i in range(9)]
    late = cycle(99, t(2), clock_stop_at=t(4, 11), clock_stop_kind="contact")
    result = run("first_contact_within", [*met, late], params={"hours": 4}, target=90)
    assert (result.numerator, result.denominator, result.status) == (9, 10, "met")


# --- governing version pinned across a supersession ----------------------------


def test_it_scores_each_cycle_under_the_version_in_force_at_its_handoff():
    # given v1 (H = 4, 31 handoffs/month) superseded by v2 (H = 8) on 16 March 00:00
    switch = t(16, 0)
    v1_in_force, v2_in_force = (t(1, 0, month=1), switch), (switch, None)

    def governing(at):
        return 1 if at < switch else 2

    def lead(handoff, contact):
        events = [
            EventIn(id=handoff.day * 10, occurred_at=handoff, kind="stage_changed", to_stage="mql"),
            EventIn(id=handoff.day * 10 + 1, occurred_at=contact, kind="contact_attempt"),
        ]
        return cycles_from_events(events, governing)

    # Fri 13 March 12:00 handoff, contacted Mon 16 March 11:00 (after the switch):
    # Fri 12-17 (5 h) + Mon 9-11 (2 h) = 7 h -> breaches v1's 4 h, would meet v2's 8 h
    cycles = lead(t(13, 12), t(16, 11)) + lead(t(17, 10), t(17, 16))  # v2: 6 h, met
    v1 = CommitmentSpec(1, "first_contact_within", 90, "month", {"hours": 4}, version_id=1)
    v2 = CommitmentSpec(2, "first_contact_within", 90, "month", {"hours": 8}, version_id=2)

    r1 = evaluate(v1, MARCH, cycles, calendar=CAL, in_force=v1_in_force, now=AFTER_MARCH)
    r2 = evaluate(v2, MARCH, cycles, calendar=CAL, in_force=v2_in_force, now=AFTER_MARCH)

    assert (r1.cycles["breached"], r1.cycles["met"]) == ([130], [])
    assert (r2.cycles["breached"], r2.cycles["met"]) == ([], [170])
    # and each version's volume target covers its own days: 1..15 and 16..31
    vol = CommitmentSpec(3, "mql_volume", 31, "month", version_id=1)
    assert prorated_target(vol, MARCH, v1_in_force, TZ) == 15
    assert prorated_target(vol, MARCH, v2_in_force, TZ) == 16


# --- acceptance_rate ------------------------------------------------------------


def test_it_rates_acceptance_over_decided_cycles_only():
    cycles = [
        cycle(1, t(2), accepted_at=t(3)),
        cycle(2, t(2), rejected_at=t(2, 15)),
        cycle(3, t(2)),  # undecided
        cycle(4, t(2), accepted_at=t(20)),  # decided only later
    ]
    early = run("acceptance_rate", cycles, now=t(10), target=60)
    assert early.cycles == {"accepted": [1], "rejected": [2], "undecided": [3, 4]}
    assert (early.actual, early.status) == (50.0, "at_risk")
    final = run("acceptance_rate", cycles, target=60)
    assert (final.numerator, final.denominator, round(final.actual, 2)) == (2, 3, 66.67)
    assert final.status == "met"


# --- attempts_before_recycle ---------------------------------------------------


def test_it_counts_sales_recycles_with_at_least_k_attempts():
    cycles = [
        cycle(1, t(2), sales_recycle_at=t(9), attempts_before_sales_recycle=0),
        cycle(2, t(2), sales_recycle_at=t(9), attempts_before_sales_recycle=2),
        cycle(3, t(2), sales_recycle_at=t(9), attempts_before_sales_recycle=3),
        cycle(4, t(2), accepted_at=t(3)),  # not recycled
    ]
    result = run("attempts_before_recycle", cycles, params={"attempts": 2}, target=60)
    assert result.cycles == {"met": [2, 3], "short": [1], "overridden": []}
    assert (round(result.actual, 2), result.status) == (66.67, "met")


def test_a_short_recycle_a_manager_overrode_stays_short_and_is_listed_as_overridden():
    # given two short recycles, one let through by a manager with a reason
    override = {"by": 7, "by_name": "Carol", "reason": "Office closed."}
    cycles = [
        cycle(1, t(2), sales_recycle_at=t(9), attempts_before_sales_recycle=1),
        cycle(
            2,
            t(2),
            sales_recycle_at=t(9),
            attempts_before_sales_recycle=0,
            sales_recycle_override=override,
        ),
        cycle(3, t(2), sales_recycle_at=t(9), attempts_before_sales_recycle=6),
    ]
    # when the commitment (K = 6) is evaluated
    result = run("attempts_before_recycle", cycles, params={"attempts": 6}, target=60)
    # then the override does not make it met: it is short, and counted as overridden
    assert result.cycles == {"met": [3], "short": [1, 2], "overridden": [2]}
    assert (result.numerator, result.denominator) == (1, 3)


# --- reason_documented ----------------------------------------------------------


def test_it_counts_moves_whose_reason_is_one_of_the_versions_codes():
    cycles = [
        cycle(1, t(2), exits=[(t(3), "recycled", "no_budget")]),
        cycle(2, t(2), exits=[(t(3), "disqualified", "spam"), (t(5), "recycled", "")]),
        cycle(3, t(2), exits=[(t(4), "recycled", "other")]),
        cycle(4, t(2)),
    ]
    codes = {"reason_codes": ["no_budget", "spam"]}
    result = run("reason_documented", cycles, params=codes, target=75)
    assert result.cycles == {"documented": [1, 2], "undocumented": [2, 3]}
    assert (result.actual, result.status) == (50.0, "missed")


# --- feedback_coverage ----------------------------------------------------------


def feedback_cycles():
    return [
        cycle(1, t(2), lead=101, rejected_at=t(2, 12), exits=[(t(2, 12), "disqualified", "spam")]),
        cycle(2, t(2), lead=102, sales_recycle_at=t(6), exits=[(t(6), "recycled", "timing")]),
        cycle(3, t(2), lead=103, accepted_at=t(3)),  # neither rejected nor recycled
    ]


def test_it_covers_rejected_or_recycled_cycles_with_feedback_after_the_handoff():
    feedback = {101: [t(3)], 102: [t(1)], 103: [t(4)]}  # lead 102's entry predates the handoff
    result = run("feedback_coverage", feedback_cycles(), feedback_at=feedback, target=50)
    assert result.cycles == {"covered": [1], "uncovered": [2]}
    assert (result.actual, result.status) == (50.0, "met")


def test_it_takes_feedback_from_a_callable_too():
    def feedback(c):
        return [c.handoff_at + dt.timedelta(hours=1)]

    result = run("feedback_coverage", feedback_cycles(), feedback_at=feedback)
    assert result.cycles == {"covered": [1, 2], "uncovered": []}


# --- conversion_rate ------------------------------------------------------------


def test_it_converts_cycles_that_entered_a_in_the_period_whatever_their_handoff():
    cycles = [
        cycle(1, t(20, month=2), stage_entered={"sal": t(2), "sql": t(20)}),  # Feb handoff
        cycle(2, t(2), stage_entered={"sal": t(3)}),  # not (yet) converted
        cycle(3, t(2), stage_entered={"sql": t(4)}),  # skipped sal: entered sal and sql
        cycle(4, t(25), stage_entered={"sal": t(2, month=4), "sql": t(3, month=4)}),  # April
    ]
    params = {"from_stage": "sal", "to_stage": "sql"}
    result = run("conversion_rate", cycles, params=params, target=50, now=t(10, month=4))
    assert result.cycles == {"converted": [1, 3], "not_converted": [2]}
    assert (round(result.actual, 2), result.status) == (66.67, "met")
    # as of 10 March cycle 1 had not reached sql yet
    early = run("conversion_rate", cycles, params=params, target=50, now=t(10))
    assert early.cycles == {"converted": [3], "not_converted": [1, 2]}
    assert early.status == "at_risk"


# --- no data and guards ---------------------------------------------------------


def test_it_reports_no_data_for_a_rate_with_nothing_to_divide():
    result = run("acceptance_rate", [cycle(1, t(2))])
    assert (result.actual, result.status) == (None, "no_data")


def test_it_reports_no_data_before_the_period_or_outside_the_version():
    assert run("mql_volume", [], now=t(20, month=2)).status == "no_data"
    outside = run("mql_volume", [], in_force=(t(1, 0, month=5), None))
    assert (outside.target, outside.status) == (0, "no_data")


def test_it_rejects_unknown_kinds_and_missing_parameters():
    with pytest.raises(ValueError, match="unknown commitment kind"):
        run("vibes", [])
    with pytest.raises(ValueError, match="hours"):
        run("first_contact_within", [cycle(1, t(2))])


# --- valid_until: when a stored result expires ---------------------------------


def test_an_open_clock_result_expires_when_it_turns_at_risk_then_when_it_breaches():
    # clocks 2 and 3 (handed off 10:00, H=4) are open; clock 1 stops at 12:00
    assert fc(t(2, 11)).valid_until == t(2, 12)  # a fact stamped later
    assert fc(t(2, 12, 30)).valid_until == t(2, 13)  # 3 h used: at risk
    breach = fc(t(2, 13, 30)).valid_until
    assert t(2, 14) < breach <= t(2, 14) + dt.timedelta(microseconds=2)


def test_a_finished_period_without_open_clocks_never_expires_by_itself():
    done = [cycle(1, t(2), clock_stop_at=t(2, 11), clock_stop_kind="contact")]
    result = run("first_contact_within", done, params={"hours": 4})
    assert result.valid_until is None


def test_a_running_period_expires_at_its_end_or_at_a_fact_stamped_later():
    later = cycle(1, t(2), accepted_at=t(20))
    result = run("acceptance_rate", [later], now=t(10), target=50)
    assert result.valid_until == t(20)
    assert run("acceptance_rate", [later], now=t(25), target=50).valid_until == MARCH.end


def test_a_count_on_track_expires_when_its_projection_drops_below_target():
    # 10 handoffs by 11 March 00:00 (10 of 31 days) project to 31; target 20
    handoffs = [cycle(i, t(2)) for i in range(10)]
    result = run("mql_volume", handoffs, now=t(11, 0), target=20)
    assert result.status == "on_track"
    # the projection 10 * month / elapsed falls below 20 after half the month
    flip = result.valid_until
    half = MARCH.start + (MARCH.end - MARCH.start) / 2
    assert half < flip <= half + dt.timedelta(microseconds=2)
    assert run("mql_volume", handoffs, now=flip, target=20).status == "at_risk"


# --- clocks compared exactly (issue 16, section 8) ------------------------------------
# Business time is compared in whole microseconds against H read as the decimal it is
# written as: 4.1 hours is 14,760 seconds, not 4.1 x 3600 = 14759.999999999998.


def first_contact(cycles, now, hours):
    return run("first_contact_within", cycles, now=now, params={"hours": hours})


def test_a_first_contact_exactly_h_fractional_hours_after_the_handoff_is_met():
    # given a handoff on Monday 09:00:00 and a first contact at 13:06:00 (4.1 business hours)
    contacted = cycle(
        1,
        t(2, 9),
        first_contact_at=t(2, 13, 6),
        clock_stop_at=t(2, 13, 6),
        clock_stop_kind="contact",
    )
    # when first contact within 4.1 business hours is evaluated
    result = first_contact([contacted], t(2, 14), 4.1)
    # then the clock is met, not breached
    assert result.cycles["met"] == [1] and result.cycles["breached"] == []


def test_an_open_clock_at_exactly_h_fractional_hours_is_not_breached():
    # given a handoff on Monday 09:00:00, not contacted
    waiting = cycle(1, t(2, 9))
    # when it is read at 13:06:00, exactly 4.1 business hours later
    result = first_contact([waiting], t(2, 13, 6), 4.1)
    # then it is still open (and at risk, with nothing left), not breached
    assert result.cycles == {"met": [], "breached": [], "open": [1], "at_risk": [1]}
    assert result.time_left == {1: 0}


@pytest.mark.parametrize(
    ("hours", "now", "left"),
    [
        (1.1, t(2, 9, 49) + dt.timedelta(seconds=30), 990),  # 49.5 min used, 16.5 min left
        (4.4, t(2, 12, 18), 3960),  # 198 min used, 66 min left
    ],
)
def test_an_open_clock_with_exactly_a_quarter_of_h_left_is_at_risk(hours, now, left):
    # given a handoff on Monday 09:00:00, not contacted
    waiting = cycle(1, t(2, 9))
    # when it is read with exactly 25 % of H left
    result = first_contact([waiting], now, hours)
    # then it is at risk, with that much left
    assert result.cycles["at_risk"] == [1]
    assert result.time_left[1] == left


def test_the_time_left_on_an_open_clock_with_fractional_hours_is_exact():
    # given a handoff on Monday 09:00:00 and a window of 4.1 business hours
    waiting = cycle(1, t(2, 9))
    # when it is read at 09:06:00
    result = first_contact([waiting], t(2, 9, 6), 4.1)
    # then exactly four hours are left (not a hair less, which reads a minute less)
    assert result.time_left == {1: 4 * 3600}


def test_an_open_clock_with_fractional_hours_expires_exactly_when_it_turns():
    # given a handoff on Monday 09:00:00 and a window of 1.1 business hours (66 min)
    waiting = [cycle(1, t(2, 9))]
    # then the result holds until exactly 49.5 minutes are used (25 % left) ...
    at_risk = t(2, 9, 49) + dt.timedelta(seconds=30)
    assert first_contact(waiting, t(2, 9, 1), 1.1).valid_until == at_risk
    # ... then until one microsecond of business time past 66 minutes
    breach = t(2, 10, 6) + dt.timedelta(microseconds=1)
    assert first_contact(waiting, at_risk, 1.1).valid_until == breach
    assert first_contact(waiting, breach, 1.1).cycles["breached"] == [1]


def test_a_count_projection_exactly_on_target_is_on_track():
    # given 10 handoffs and a target of 20, read exactly half-way through March
    handoffs = [cycle(i, t(2)) for i in range(10)]
    half = MARCH.start + (MARCH.end - MARCH.start) / 2
    # then the projection is exactly 20: on track, and at risk one microsecond later
    assert run("mql_volume", handoffs, now=half, target=20).status == "on_track"
    result = run("mql_volume", handoffs, now=half - dt.timedelta(days=1), target=20)
    assert result.valid_until == half + dt.timedelta(microseconds=1)


# Fractional windows as commitments store them (JSON numbers: floats), 0.01 h to 40 h.
fractional_hours = st.integers(min_value=1, max_value=4000).map(lambda n: n / 100)
handoffs = st.datetimes(min_value=dt.datetime(2026, 1, 5), max_value=dt.datetime(2026, 12, 20)).map(
    lambda d: d.replace(tzinfo=UTC)
)
calendars = st.sampled_from(
    [
        CAL,
        BusinessCalendar(tz="America/New_York", holidays=frozenset({dt.date(2026, 11, 26)})),
        BusinessCalendar(
            tz="Asia/Jerusalem",
            working_days=frozenset({6, 0, 1, 2, 3}),
            start=dt.time(8),
            end=dt.time(16, 30),
        ),
        BusinessCalendar(tz="Australia/Sydney", start=dt.time(8, 30), end=dt.time(17, 15)),
    ]
)


def _after_business(cal, start, microseconds):
    """The instant `microseconds` of business time after `start` (slas.clock's deadline)."""
    return business_deadline(cal, start, Fraction(microseconds, 3_600_000_000))


def _clock(cal, handoff, hours, now, stop=None):
    c = cycle(1, handoff, clock_stop_at=stop, clock_stop_kind="contact" if stop else "")
    spec = CommitmentSpec(
        id=1, kind="first_contact_within", target=90, params={"hours": hours}, version_id=1
    )
    period = period_containing(cal.tz, "month", handoff)
    result = evaluate(spec, period, [c], calendar=cal, in_force=ALWAYS, now=now)
    return {name for name, keys in result.cycles.items() if keys}, result


@settings(max_examples=200, deadline=None)
@given(calendars, handoffs, fractional_hours)
def test_a_clock_compared_at_exactly_h_is_met_or_open_and_breached_just_after(cal, handoff, hours):
    # given the instant exactly H business hours after the handoff
    h_us = round(Decimal(str(hours)) * 3_600_000_000)
    at_h = _after_business(cal, handoff, h_us)
    just_after = _after_business(cal, handoff, h_us + 1)
    # then a contact at that instant is met, and one a microsecond of business time later breached
    assert _clock(cal, handoff, hours, just_after, stop=at_h)[0] == {"met"}
    assert _clock(cal, handoff, hours, just_after, stop=just_after)[0] == {"breached"}
    # and a clock still running then is open and at risk, with no time left; a microsecond
    # of business time later it is breached
    buckets, result = _clock(cal, handoff, hours, at_h)
    assert buckets == {"open", "at_risk"} and result.time_left == {1: 0}
    assert _clock(cal, handoff, hours, just_after)[0] == {"breached"}


@settings(max_examples=200, deadline=None)
@given(calendars, handoffs, fractional_hours)
def test_a_clock_with_exactly_a_quarter_of_h_left_is_at_risk_and_not_a_microsecond_before(
    cal, handoff, hours
):
    # given the instant at which exactly 25 % of H is left
    h_us = round(Decimal(str(hours)) * 3_600_000_000)
    turn = _after_business(cal, handoff, h_us * 3 // 4)
    before = _after_business(cal, handoff, h_us * 3 // 4 - 1)
    # then the running clock is at risk then, and only open a microsecond of business time before
    buckets, result = _clock(cal, handoff, hours, turn)
    assert buckets == {"open", "at_risk"}
    assert result.time_left == {1: h_us / 4 / 1_000_000}
    assert _clock(cal, handoff, hours, before)[0] == {"open"}
    # and the result computed before says it expires exactly at the turn
    assert _clock(cal, handoff, hours, before)[1].valid_until == turn
