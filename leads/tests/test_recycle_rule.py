"""Rules checked when they matter: a sales recycle needs the contact attempts the
governing version asks for (its attempts_before_recycle commitment), unless a manager of
the lead's sales team overrides with a reason, which is recorded on the event, shown on
the timeline and counted as overridden in compliance."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from leads.derive import IngestContext
from leads.ingest.store import lead_events_ingest
from leads.lifecycle import MoveRefused
from leads.models import Cycle, Lead, LeadEvent
from leads.services import lead_contact_attempt_log, lead_nurture, lead_stage_change
from leads.tests.factories import parsed

UTC = dt.UTC
NOW = dt.datetime(2026, 11, 24, 11, tzinfo=UTC)  # Tuesday 13:00 in Bucharest, v2 in force
WORDING = "Six attempts before recycling a lead."  # v2's attempts_before_recycle (K = 6)


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def context(cast):
    return IngestContext(
        marketing_team=cast.marketing, sales_team=cast.sales, handoff_on_score=False
    )


def accepted_lead(cast, external_id="R1", attempts=0, stage="sal") -> Lead:
    """A lead handed off to dan this morning (under v2), contacted `attempts` times and
    accepted (sal; or moved on to `stage`)."""
    at = NOW - dt.timedelta(hours=3)
    items = [
        parsed(external_id, "created", at - dt.timedelta(hours=1)),
        parsed(external_id, "stage_changed", at, to_stage="mql"),
        parsed(external_id, "owner_changed", at, outcome="dan@example.com"),
    ]
    items += [
        parsed(
            external_id,
            "contact_attempt",
            at + dt.timedelta(minutes=10 + i),
            channel="phone",
            event_id=f"{external_id}-a{i}",
        )
        for i in range(attempts)
    ]
    path = {"sal": ["sal"], "sql": ["sal", "sql"], "mql": []}[stage]
    items += [
        parsed(external_id, "stage_changed", at + dt.timedelta(hours=1, minutes=i), to_stage=s)
        for i, s in enumerate(path)
    ]
    lead_events_ingest(items=items, context=context(cast))
    return Lead.objects.get(external_id=external_id)


# --------------------------------------------------------------------------- the service


@pytest.mark.django_db
def test_a_rep_cannot_recycle_below_the_agreed_attempts_and_is_told_the_versions_words(
    cast, sla, frozen
):
    # given an accepted lead dan contacted twice, under v2 (six attempts before a recycle)
    lead = accepted_lead(cast, attempts=2)
    events = LeadEvent.objects.count()
    # when dan recycles it as not reachable
    with pytest.raises(MoveRefused) as refused:
        lead_stage_change(
            lead=lead, actor=cast.dan, to_stage="recycled", reason_code="not_reachable"
        )
    # then it is refused, saying the count against K in the version's own words
    message = str(refused.value)
    assert "2 of the 6" in message and WORDING in message and "version 2" in message
    assert "manager" in message
    # and nothing was recorded
    lead.refresh_from_db()
    assert lead.stage == "sal" and LeadEvent.objects.count() == events


@pytest.mark.django_db
def test_after_the_agreed_attempts_the_rep_recycles_without_an_override(cast, sla, frozen):
    # given an accepted lead dan contacted six times
    lead = accepted_lead(cast, attempts=6)
    # when he recycles it
    event = lead_stage_change(
        lead=lead, actor=cast.dan, to_stage="recycled", reason_code="not_reachable"
    )
    # then it is recycled, nothing overridden, and compliance sees six attempts
    assert "override" not in event.data
    cycle = Cycle.objects.get(lead=lead)
    assert cycle.attempts_before_sales_recycle == 6 and cycle.sales_recycle_override is None


@pytest.mark.django_db
def test_attempts_logged_in_the_portal_count_towards_the_rule(cast, sla, frozen):
    # given an accepted lead with five attempts, and a sixth logged on the page's service
    lead = accepted_lead(cast, attempts=5)
    with pytest.raises(MoveRefused, match="5 of the 6"):
        lead_stage_change(lead=lead, actor=cast.dan, to_stage="recycled", reason_code="no_need")
    lead_contact_attempt_log(lead=lead, actor=cast.dan, channel="email", outcome="no answer")
    # when dan recycles it, then it goes through
    lead_stage_change(lead=lead, actor=cast.dan, to_stage="recycled", reason_code="no_need")
    assert Lead.objects.get(pk=lead.pk).stage == "recycled"


@pytest.mark.django_db
def test_a_manager_overrides_with_a_reason_that_is_recorded_on_the_event_and_the_cycle(
    cast, sla, frozen
):
    # given an accepted lead with one attempt
    lead = accepted_lead(cast, attempts=1)
    # when carol, a manager of its sales team, recycles it with a reason
    event = lead_stage_change(
        lead=lead,
        actor=cast.carol,
        to_stage="recycled",
        reason_code="no_need",
        override_reason="The company closed its office; nobody left to call.",
    )
    # then the override is recorded: who, why, the rule, the count and K
    override = event.data["override"]
    assert override["by"] == cast.carol.pk
    assert override["reason"] == "The company closed its office; nobody left to call."
    assert (override["rule"], override["attempts"], override["required"]) == (
        "attempts_before_recycle",
        1,
        6,
    )
    # and the cycle carries it for compliance, and the lead is not flagged
    cycle = Cycle.objects.get(lead=lead)
    assert cycle.sales_recycle_override["by_name"] == cast.carol.get_full_name()
    assert "closed its office" in cycle.sales_recycle_override["reason"]
    lead.refresh_from_db()
    assert lead.stage == "recycled" and not lead.flagged, lead.flag_note


@pytest.mark.django_db
def test_only_a_manager_of_the_sales_team_overrides_and_only_with_a_reason(cast, sla, frozen):
    lead = accepted_lead(cast, attempts=0)
    # when dan (a rep) tries to override, then he is told only a manager can
    with pytest.raises(MoveRefused, match="Only a manager of the lead's sales team"):
        lead_stage_change(
            lead=lead,
            actor=cast.dan,
            to_stage="recycled",
            reason_code="no_need",
            override_reason="I tried, honest",
        )
    # when alice (a marketing manager) tries, then neither can she
    with pytest.raises(MoveRefused, match="Only a manager of the lead's sales team"):
        lead_stage_change(
            lead=lead,
            actor=cast.alice,
            to_stage="recycled",
            reason_code="no_need",
            override_reason="Marketing wants it back",
        )
    # when carol gives no reason (blank), then the rule stands
    with pytest.raises(MoveRefused, match="0 of the 6"):
        lead_stage_change(
            lead=lead,
            actor=cast.carol,
            to_stage="recycled",
            reason_code="no_need",
            override_reason="   ",
        )
    assert Lead.objects.get(pk=lead.pk).stage == "sal"


@pytest.mark.django_db
def test_a_rejection_from_mql_and_a_disqualification_need_no_attempts(cast, sla, frozen):
    # given a lead just handed off, and an accepted one, neither contacted
    fresh = accepted_lead(cast, "R1", stage="mql")
    accepted = accepted_lead(cast, "R2")
    # when dan rejects the first and disqualifies the second, then both go through
    lead_stage_change(lead=fresh, actor=cast.dan, to_stage="recycled", reason_code="wrong_data")
    lead_stage_change(
        lead=accepted, actor=cast.dan, to_stage="disqualified", reason_code="competitor"
    )
    assert set(Lead.objects.values_list("stage", flat=True)) == {"recycled", "disqualified"}


@pytest.mark.django_db
def test_an_imported_short_recycle_flags_the_lead_an_overridden_or_full_one_does_not(
    cast, sla, frozen
):
    # given three accepted leads with 2, 6 and 2 attempts
    short, full, overridden = (
        accepted_lead(cast, "S1", attempts=2),
        accepted_lead(cast, "S2", attempts=6),
        accepted_lead(cast, "S3", attempts=2),
    )
    at = NOW - dt.timedelta(minutes=30)
    # when history recycles the first two, and carol overrides on the third
    lead_events_ingest(
        items=[
            parsed("S1", "stage_changed", at, to_stage="recycled", reason_code="no_need"),
            parsed("S2", "stage_changed", at, to_stage="recycled", reason_code="no_need"),
        ],
        context=context(cast),
    )
    lead_stage_change(
        lead=overridden,
        actor=cast.carol,
        to_stage="recycled",
        reason_code="no_need",
        override_reason="Asked us to stop calling.",
    )
    # then only the short one without an override is flagged, with the count and the words
    short.refresh_from_db(), full.refresh_from_db(), overridden.refresh_from_db()
    assert short.flagged and "2 of the 6" in short.flag_note and WORDING in short.flag_note
    assert not full.flagged, full.flag_note
    assert not overridden.flagged, overridden.flag_note


# --------------------------------------------------------------------------- the lead page


@pytest.mark.django_db
def test_the_recycle_action_shows_the_attempts_so_far_against_k(client, cast, sla, frozen):
    lead = accepted_lead(cast, attempts=2)
    # when dan opens the lead page
    client.force_login(cast.dan)
    page = client.get(lead.get_absolute_url()).content.decode()
    # then the recycle action shows 2 of 6 in the version's words, and no override field
    assert 'data-testid="recycle-attempts"' in page
    assert "2 / 6" in page and WORDING in page
    assert 'name="override_reason"' not in page
    # when carol opens it, then she also gets the override field
    client.force_login(cast.carol)
    page = client.get(lead.get_absolute_url()).content.decode()
    assert "2 / 6" in page and 'name="override_reason"' in page


@pytest.mark.django_db
def test_a_short_recycle_on_the_page_is_refused_and_keeps_what_was_typed(client, cast, sla, frozen):
    lead = accepted_lead(cast, attempts=0)
    client.force_login(cast.dan)
    # when dan posts the recycle
    response = client.post(
        reverse("leads:lead_move", args=[lead.pk]),
        {"to_stage": "recycled", "reason_code": "not_reachable", "note": "tried twice by mail"},
    )
    # then the page says why, keeps his note and reason, and nothing moved
    assert response.status_code == 400
    page = response.content.decode()
    assert "0 of the 6" in page and WORDING in page
    assert "tried twice by mail" in page
    assert '<option value="not_reachable" selected>' in page
    assert Lead.objects.get(pk=lead.pk).stage == "sal"


@pytest.mark.django_db
def test_a_manager_overrides_on_the_page_and_the_timeline_says_so(client, cast, sla, frozen):
    lead = accepted_lead(cast, attempts=1)
    client.force_login(cast.carol)
    # when carol recycles with an override reason
    response = client.post(
        reverse("leads:lead_move", args=[lead.pk]),
        {
            "to_stage": "recycled",
            "reason_code": "no_need",
            "override_reason": "Asked us to stop calling.",
        },
    )
    # then the lead is recycled, and its timeline shows the override, who and why
    assert response.status_code == 302
    page = client.get(lead.get_absolute_url()).content.decode()
    assert 'data-testid="override"' in page
    assert "Asked us to stop calling." in page and "1 / 6" in page


# --------------------------------------------------------------------------- the API


@pytest.mark.django_db
def test_the_api_action_applies_the_same_rule_and_override(client, cast, sla, frozen):
    lead = accepted_lead(cast, attempts=3)
    url = reverse("api-lead-actions", args=[lead.pk])
    move = {"action": "move", "to_stage": "recycled", "reason_code": "no_need"}
    # when dan recycles through the API, then it is a 400 in the version's words
    client.force_login(cast.dan)
    response = client.post(url, move, content_type="application/json")
    assert response.status_code == 400
    assert "3 of the 6" in response.json()["detail"] and WORDING in response.json()["detail"]
    # when carol overrides through the API, then it is recorded and the events list shows it
    client.force_login(cast.carol)
    response = client.post(
        url,
        {**move, "override_reason": "Duplicate of a customer."},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["override"]["reason"] == "Duplicate of a customer."
    events = client.get(reverse("api-lead-events", args=[lead.pk])).json()["results"]
    assert events[-1]["override"]["required"] == 6


# --------------------------------------------------------------------------- nurture tracks


@pytest.mark.django_db
def test_a_nurture_track_the_version_does_not_list_is_refused(client, cast, sla, frozen):
    lead = accepted_lead(cast, stage="mql")
    lead_stage_change(lead=lead, actor=cast.dan, to_stage="recycled", reason_code="wrong_data")
    # when the service is asked for a track the version in force does not list
    with pytest.raises(MoveRefused, match="not a nurture track"):
        lead_nurture(lead=lead, actor=cast.dan, track="Made-up track")
    # and through the API, then it is a 400 naming the version's tracks
    client.force_login(cast.dan)
    response = client.post(
        reverse("api-lead-actions", args=[lead.pk]),
        {"action": "nurture", "track": "Made-up track"},
        content_type="application/json",
    )
    assert response.status_code == 400 and "Education track" in response.json()["detail"]
    # and a listed track is taken
    lead_nurture(lead=lead, actor=cast.dan, track="Education track")
    assert Lead.objects.get(pk=lead.pk).nurture_track == "Education track"


# --------------------------------------------------------------------------- compliance


@pytest.mark.django_db
def test_the_compliance_drill_down_lists_an_overridden_recycle_as_short_with_who_and_why(
    client, cast, sla, frozen
):
    from slas.models import Commitment

    # given a short recycle carol overrode, and one that met the rule, under v2
    overridden = accepted_lead(cast, "O1", attempts=1)
    full = accepted_lead(cast, "O2", attempts=6)
    lead_stage_change(
        lead=overridden,
        actor=cast.carol,
        to_stage="recycled",
        reason_code="no_need",
        override_reason="Asked us to stop calling.",
    )
    lead_stage_change(lead=full, actor=cast.dan, to_stage="recycled", reason_code="no_need")
    version = Cycle.objects.get(lead=overridden).version
    commitment = Commitment.objects.get(version=version, kind="attempts_before_recycle")
    url = reverse("reports:breakdown", args=[version.pk, commitment.pk, "2026-11"])
    client.force_login(cast.erin)
    # when an exec opens the drill-down's short list
    response = client.get(url)
    # then the overridden recycle is there, saying who overrode it and why
    page = response.content.decode()
    row = next(r for r in response.context["rows"] if r["cycle"].lead_id == overridden.pk)
    assert "short, overridden by" in row["detail"] and cast.carol.get_full_name() in row["detail"]
    assert "Asked us to stop calling." in row["detail"]
    assert full.pk not in {r["cycle"].lead_id for r in response.context["rows"]}
    # and an "overridden" list counts it
    tabs = {tab["name"]: tab["count"] for tab in response.context["tabs"]}
    assert tabs["overridden"] == 1 and tabs["short"] >= 1
    assert "Asked us to stop calling." in page
