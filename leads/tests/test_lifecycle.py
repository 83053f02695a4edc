"""Lifecycle rules and the replay of a lead's events (pure)."""

import datetime as dt

import pytest

from leads.lifecycle import EventIn, MoveRefused, check_move, derive_state, history_problem

T0 = dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC)


def at(hours: int) -> dt.datetime:
    return T0 + dt.timedelta(hours=hours)


@pytest.mark.parametrize(
    ("from_stage", "to_stage"),
    [
        ("lead", "mql"),
        ("mql", "sal"),
        ("sal", "sql"),
        ("sql", "opportunity"),
        ("opportunity", "won"),
        ("recycled", "mql"),
        ("opportunity", "lost"),
    ],
)
def test_the_forward_moves_of_the_funnel_are_allowed(from_stage, to_stage):
    check_move(from_stage, to_stage)


@pytest.mark.parametrize(
    ("from_stage", "to_stage", "words"),
    [
        ("won", "mql", "final"),
        ("mql", "won", "cannot move from MQL to Won"),
        ("disqualified", "sal", "final"),
        ("sal", "sal", "already"),
    ],
)
def test_a_forbidden_move_is_refused_with_a_clear_message(from_stage, to_stage, words):
    with pytest.raises(MoveRefused) as refused:
        check_move(from_stage, to_stage)
    assert words in str(refused.value)


def test_a_recycle_needs_a_reason_code_from_the_governing_list():
    # given the version's codes
    codes = ["no_budget", "bad_timing"]
    # then no reason, or a reason not in the list, is refused; a listed one passes
    with pytest.raises(MoveRefused, match="needs a reason code"):
        check_move("mql", "recycled", "", codes)
    with pytest.raises(MoveRefused, match="not a reason code"):
        check_move("mql", "recycled", "made_up", codes)
    check_move("mql", "recycled", "bad_timing", codes)


def test_with_no_version_in_force_any_reason_is_accepted_but_one_is_required():
    check_move("sal", "disqualified", "anything", None)
    with pytest.raises(MoveRefused):
        check_move("sal", "disqualified", "", None)


def test_the_replay_gives_the_same_state_whatever_order_events_arrive_in():
    # given a history: created, mql, owner, contact, sal, score
    events = [
        EventIn(1, at(0), "created"),
        EventIn(2, at(1), "stage_changed", to_stage="mql"),
        EventIn(3, at(2), "owner_changed", owner_id=7),
        EventIn(4, at(3), "contact_attempt"),
        EventIn(5, at(4), "stage_changed", to_stage="sal"),
        EventIn(6, at(5), "score_changed", fit=40, interest=20),
    ]
    # when it is replayed in order and reversed
    forward = derive_state(events)
    backward = derive_state(list(reversed(events)))
    # then both give stage sal, owner 7, the last score and no flag
    assert forward == backward
    assert (forward.stage, forward.owner_id, forward.fit, forward.interest) == ("sal", 7, 40, 20)
    assert not forward.flagged


def test_an_imported_skip_after_the_handoff_is_not_a_break_but_a_reopened_deal_is():
    # given a source that jumped from mql straight to won, then handed the lead off again
    events = [
        EventIn(1, at(0), "stage_changed", to_stage="mql"),
        EventIn(2, at(1), "stage_changed", to_stage="won"),
        EventIn(3, at(2), "stage_changed", to_stage="mql"),
    ]
    state = derive_state(events)
    # then the lead ends where the source says, and only the move out of won is flagged
    assert state.stage == "mql"
    assert len(state.flags) == 1
    assert state.flags[0]["code"] == "final_stage"


@pytest.mark.parametrize(
    ("from_stage", "to_stage"),
    [
        ("", "lead"),  # HubSpot's "Became a Lead Date" on a new contact
        ("lead", "lead"),
        ("mql", "sql"),  # HubSpot has no SAL
        ("mql", "won"),
        ("sal", "won"),  # a deal closed with no opportunity recorded
        ("sql", "won"),
        ("mql", "lost"),
        ("lead", "mql"),
        ("lost", "recycled"),
    ],
)
def test_a_recorded_path_that_breaks_no_rule_is_not_a_history_problem(from_stage, to_stage):
    assert history_problem(from_stage, to_stage) is None


@pytest.mark.parametrize(
    ("from_stage", "to_stage", "words"),
    [
        ("won", "opportunity", "final"),
        ("disqualified", "mql", "final"),
        ("sql", "sal", "cannot move from SQL to SAL"),  # a step back
        ("lost", "won", "cannot move from Lost to Won"),  # a lost deal reopened
        ("mql", "mql", "already"),  # handed off again: a second cycle
        ("lead", "sql", "without a handoff"),
        ("recycled", "sal", "without a handoff"),
        ("lead", "heaven", "not a stage"),
    ],
)
def test_a_recorded_move_that_breaks_a_rule_is_a_history_problem(from_stage, to_stage, words):
    assert words in str(history_problem(from_stage, to_stage))


def test_a_replayed_exit_without_a_listed_reason_is_flagged():
    events = [
        EventIn(1, at(0), "stage_changed", to_stage="mql"),
        EventIn(2, at(1), "stage_changed", to_stage="recycled", reason_code="whatever"),
    ]
    state = derive_state(events, lambda when, f, t: ["no_budget"])
    assert state.stage == "recycled"
    assert state.flags[0]["code"] == "reason_not_allowed"
    assert "not a reason code" in state.flags[0]["msgid"]


def test_a_return_to_mql_leaves_the_nurture_track():
    events = [
        EventIn(1, at(0), "stage_changed", to_stage="mql"),
        EventIn(2, at(1), "stage_changed", to_stage="recycled", reason_code="x"),
        EventIn(3, at(2), "note", nurture_track="Education track"),
    ]
    assert derive_state(events).nurture_track == "Education track"
    again = [*events, EventIn(4, at(3), "stage_changed", to_stage="mql")]
    assert derive_state(again).nurture_track == ""
