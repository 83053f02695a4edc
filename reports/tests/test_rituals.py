"""Team rituals: the agenda built from a fixture, action items carried over until done,
"propose a change", the cadence, the invitation with its .ics (docs/rituals.md).

Calendar Europe/Bucharest, Mon-Fri 09:00-17:00; first contact within 4 business hours.
April 2026, by hand:
- Brenda: MQL Mon 6 April 10:00, never contacted: deadline 14:00, breached.
- Larry: MQL Tue 7 April 10:00, first attempt Wed 8 April 10:00: breached.
- Quinn: MQL Wed 8 April 10:00, attempt 10:30: on time.
- Rita: MQL Thu 9 April 10:00, attempt 10:15, rejected 11:00 (no_budget): to review.
- Ron: rejected like Rita on Fri 10 April, but already on a review session: not listed.
- Wendy: MQL 1 April, won 20 April (the incentive rule counts her).
Six MQLs against a target of 10: the volume is missed; 4 of 6 contacted in time (Quinn,
Rita, Ron, Wendy): first contact (90%) is missed. The rule "Won deals" pays only if every commitment is met: failed.
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from leads.models import Cycle
from leads.reviews.models import ActionItem, ReviewedLead, ReviewSession
from portal.emails import email_calendar
from portal.models import Notification
from reports.rituals import services
from reports.rituals.models import Meeting, MeetingAction, RitualCadence
from reports.tests.factories import (
    AgreementFactory,
    VersionFactory,
    commitments,
    lead,
    local,
    story,
)
from slas.models import Incentive
from slas.testing import version_take_effect

pytestmark = pytest.mark.django_db
NOW = local(5, 4, 9)  # Monday 4 May 2026, 09:00


@pytest.fixture
def world(cast):
    agreement = AgreementFactory(title="Marketing ⇄ Sales SLA")
    agreement.parties.set([cast.marketing, cast.sales])
    version = VersionFactory(agreement=agreement, number=1, avg_deal_size=Decimal("25000"))
    commitments(version, marketing=cast.marketing, sales=cast.sales, volume=10, hours=4)
    Incentive.objects.create(
        version=version,
        owner_team=cast.marketing,
        name="Won deals",
        measure="won_deals",
        amount=Decimal("100"),
        condition="all_met",
    )
    version_take_effect(version, in_force_from=local(1, 1, 0))

    def person(first, last):
        return lead(agreement, cast, first_name=first, last_name=last)

    story(person("Brenda", "Breached"), ("mql", local(4, 6, 10)))
    story(person("Larry", "Late"), ("mql", local(4, 7, 10)), ("attempt", local(4, 8, 10)))
    story(person("Quinn", "Quick"), ("mql", local(4, 8, 10)), ("attempt", local(4, 8, 10, 30)))
    story(
        person("Rita", "Rejected"),
        ("mql", local(4, 9, 10)),
        ("attempt", local(4, 9, 10, 15)),
        ("recycled", local(4, 9, 11), "no_budget"),
    )
    ron = story(
        person("Ron", "Reviewed"),
        ("mql", local(4, 10, 10)),
        ("attempt", local(4, 10, 10, 15)),
        ("recycled", local(4, 10, 11), "no_budget"),
    )
    story(
        person("Wendy", "Won"),
        ("mql", local(4, 1, 10)),
        ("attempt", local(4, 1, 10, 30)),
        ("sal", local(4, 1, 11)),
        ("sql", local(4, 2, 10)),
        ("opportunity", local(4, 3, 10)),
        ("won", local(4, 20, 10)),
    )
    session = ReviewSession.objects.create(
        title="April lead review",
        agreement=agreement,
        marketing_team=cast.marketing,
        sales_team=cast.sales,
        period_label="2026-04",
        period_start=local(4, 1, 0),
        period_end=local(5, 1, 0),
        scheduled_for=local(4, 28, 10),
        organizer=cast.alice,
    )
    ReviewedLead.objects.create(
        session=session, lead=ron, cycle=Cycle.objects.get(lead=ron), picked_because="rejected"
    )
    ActionItem.objects.create(
        session=session, title="Call Acme back", owner=cast.dan, due_date=dt.date(2026, 4, 30)
    )
    earlier = Meeting.objects.create(
        agreement=agreement,
        kind="retrospective",
        title="March retrospective",
        scheduled_for=local(4, 2, 10),
        organizer=cast.alice,
    )
    MeetingAction.objects.create(
        meeting=earlier, title="Fix lead routing", owner=cast.carol, due_date=dt.date(2026, 4, 10)
    )
    MeetingAction.objects.create(
        meeting=earlier,
        title="Already done",
        owner=cast.carol,
        due_date=dt.date(2026, 4, 10),
        done_at=local(4, 9, 12),
    )
    return agreement, version, session, earlier


def _sections(meeting):
    return {section["key"]: section for section in meeting.agenda}


def _labels(section):
    return [item["label"] for item in section["items"]]


def test_the_monthly_review_agenda_is_built_from_the_data(cast, world):
    agreement, version, session, _earlier = world
    meeting = services.meeting_create(
        actor=cast.alice,
        agreement=agreement,
        kind="monthly_review",
        scheduled_for=local(5, 5, 10),
        now=NOW,
    )
    sections = _sections(meeting)
    assert list(sections) == ["commitments", "breaches", "rejected", "actions", "incentives"]
    missed = [
        (item["label"], item["tone"])
        for item in sections["commitments"]["items"]
        if "2026-04" in item["detail"]
    ]
    assert ("MQLs handed off", "missed") in missed
    assert ("First contact within 4 business hours", "missed") in missed
    assert _labels(sections["breaches"]) == ["Brenda Breached", "Larry Late"]
    assert sections["breaches"]["count"] == 2
    assert _labels(sections["rejected"]) == ["Rita Rejected"]  # Ron is on a review already
    actions = sections["actions"]["items"]
    assert [a["label"] for a in actions] == ["Fix lead routing", "Call Acme back"]
    assert all(a["tone"] == "missed" for a in actions)  # both overdue on 4 May
    incentives = _labels(sections["incentives"])
    assert incentives == ["Marketing", "Won deals"]  # the team's total, the failed rule
    assert "0.00 USD earned in 2026-04" in sections["incentives"]["items"][0]["detail"]
    assert meeting.version == version
    # everyone on the parties is invited and told, with the meeting as a calendar event
    invited = set(meeting.attendees.values_list("user__username", flat=True))
    assert {"alice", "bob", "carol", "dan"} <= invited and "mallory" not in invited


def test_a_standup_looks_back_to_the_previous_standup(cast, world):
    agreement, *_rest = world
    Meeting.objects.create(
        agreement=agreement,
        kind="standup",
        title="Stand-up",
        scheduled_for=local(4, 8, 9),
        organizer=cast.alice,
    )
    meeting = services.meeting_create(
        actor=cast.carol,
        agreement=agreement,
        kind="standup",
        scheduled_for=local(4, 9, 12),
        now=local(4, 9, 12),
    )
    sections = _sections(meeting)
    # since 8 April 09:00: Larry's deadline (7 April) is before the window, Brenda's too
    assert sections["breaches"]["count"] == 0
    assert _labels(sections["rejected"]) == ["Rita Rejected"]
    assert "incentives" not in sections


def test_an_action_item_is_carried_over_until_done(cast, world):
    agreement, *_rest = world
    first = services.meeting_create(
        actor=cast.alice, agreement=agreement, kind="retrospective", scheduled_for=NOW, now=NOW
    )
    action = services.meeting_action_add(
        actor=cast.alice,
        meeting=first,
        title="Share the rejection reasons",
        owner=cast.bob,
        due_date=dt.date(2026, 5, 20),
    )
    second = services.meeting_create(
        actor=cast.alice,
        agreement=agreement,
        kind="standup",
        scheduled_for=NOW + dt.timedelta(days=1),
        now=NOW,
    )
    assert "Share the rejection reasons" in _labels(_sections(second)["actions"])
    services.meeting_action_done(actor=cast.bob, action=action)
    third = services.meeting_create(
        actor=cast.alice,
        agreement=agreement,
        kind="standup",
        scheduled_for=NOW + dt.timedelta(days=2),
        now=NOW,
    )
    assert "Share the rejection reasons" not in _labels(_sections(third)["actions"])


def test_a_rep_neither_schedules_nor_closes_someone_elses_action(cast, world):
    from django.core.exceptions import PermissionDenied

    agreement, _v, _s, earlier = world
    with pytest.raises(PermissionDenied):
        services.meeting_create(
            actor=cast.bob, agreement=agreement, kind="standup", scheduled_for=NOW
        )
    with pytest.raises(PermissionDenied):
        services.meeting_action_done(actor=cast.bob, action=earlier.actions.first())


def test_a_lead_review_is_held_on_an_existing_review_session(cast, world):
    agreement, _v, session, _e = world
    with pytest.raises(ValidationError):
        services.meeting_create(
            actor=cast.alice, agreement=agreement, kind="lead_review", scheduled_for=NOW, now=NOW
        )
    meeting = services.meeting_create(
        actor=cast.alice,
        agreement=agreement,
        kind="lead_review",
        scheduled_for=NOW,
        review_session=session,
        now=NOW,
    )
    link = _sections(meeting)["review_session"]["items"][0]
    assert link["url"] == session.get_absolute_url()


def test_propose_a_change_starts_the_next_draft_linked_to_the_meeting(cast, world):
    agreement, version, *_rest = world
    meeting = services.meeting_create(
        actor=cast.alice, agreement=agreement, kind="retrospective", scheduled_for=NOW, now=NOW
    )
    draft = services.meeting_propose_change(
        actor=cast.carol, meeting=meeting, change="First contact within 8 business hours."
    )
    meeting.refresh_from_db()
    assert meeting.proposed_version == draft
    assert draft.is_draft and draft.based_on == version and draft.number == 2
    assert meeting.get_absolute_url() in draft.change_summary
    assert "First contact within 8 business hours." in draft.change_summary
    standup = services.meeting_create(
        actor=cast.alice, agreement=agreement, kind="standup", scheduled_for=NOW, now=NOW
    )
    with pytest.raises(ValidationError):
        services.meeting_propose_change(actor=cast.alice, meeting=standup, change="x")


def test_the_invitation_email_carries_the_meeting_as_ics(
    cast, world, django_capture_on_commit_callbacks
):
    agreement, *_rest = world
    cast.dan.email = "dan@example.com"
    cast.dan.save()
    with django_capture_on_commit_callbacks(execute=True):
        meeting = services.meeting_create(
            actor=cast.alice,
            agreement=agreement,
            kind="standup",
            scheduled_for=local(5, 5, 9, 30),
            duration_minutes=15,
            attendee_ids=[cast.dan.pk],
            now=NOW,
        )
    notification = Notification.objects.get(recipient=cast.dan, kind="meeting_scheduled")
    ics = email_calendar(notification)
    assert f"UID:meeting-{meeting.pk}@sla-portal" in ics
    assert "DTSTART:20260505T063000Z" in ics and "DTEND:20260505T064500Z" in ics
    sent = [m for m in mail.outbox if m.to == ["dan@example.com"]]
    assert sent and sent[0].attachments[0][0] == "meeting.ics"
    assert sent[0].attachments[0][2].startswith("text/calendar")


def test_a_cadence_proposes_the_next_meeting_time(cast, world):
    agreement, *_rest = world
    cadence = services.ritual_cadence_set(
        actor=cast.alice,
        agreement=agreement,
        kind="standup",
        frequency="daily",
        time=dt.time(9, 15),
    )
    # Friday 8 May 10:00 -> Monday 11 May 09:15 local
    assert services.next_occurrence(cadence, "Europe/Bucharest", local(5, 8, 10)) == local(
        5, 11, 9, 15
    )
    monthly = services.ritual_cadence_set(
        actor=cast.alice,
        agreement=agreement,
        kind="monthly_review",
        frequency="monthly",
        day_of_month=5,
        time=dt.time(10, 0),
    )
    assert services.next_occurrence(monthly, "Europe/Bucharest", NOW) == local(5, 5, 10)
    assert RitualCadence.objects.filter(agreement=agreement).count() == 2


class TestPages:
    def test_a_manager_schedules_a_meeting_and_reads_its_agenda(self, client, cast, world):
        agreement, *_rest = world
        client.force_login(cast.carol)
        page = client.get(f"/reports/agreements/{agreement.pk}/meetings/")
        assert page.status_code == 200 and 'action="/reports/agreements/' in page.content.decode()
        response = client.post(
            f"/reports/agreements/{agreement.pk}/meetings/new/",
            {"kind": "retrospective", "scheduled_for": "2030-04-02T15:00", "duration_minutes": 60},
        )
        meeting = Meeting.objects.get(kind="retrospective", title__startswith="Retrospective ·")
        assert response.status_code == 302 and response["Location"] == meeting.get_absolute_url()
        body = client.get(meeting.get_absolute_url()).content.decode()
        assert 'data-testid="agenda"' in body and "Open action items" in body
        assert "Fix lead routing" in body  # carried over from the earlier meeting
        assert 'id="propose"' in body

    def test_a_rep_reads_the_meeting_but_may_not_write_its_minutes(self, client, cast, world):
        _agreement, _v, _s, earlier = world
        client.force_login(cast.bob)
        assert client.get(earlier.get_absolute_url()).status_code == 200
        response = client.post(f"/reports/meetings/{earlier.pk}/minutes/", {"minutes": "x"})
        assert response.status_code == 403
        earlier.refresh_from_db()
        assert earlier.minutes == ""

    def test_propose_a_change_from_the_page_opens_the_new_draft(self, client, cast, world):
        agreement, _v, _s, earlier = world
        client.force_login(cast.alice)
        response = client.post(
            f"/reports/meetings/{earlier.pk}/propose/", {"change": "Raise the MQL target."}
        )
        earlier.refresh_from_db()
        assert earlier.proposed_version is not None
        assert response["Location"] == f"/agreements/versions/{earlier.proposed_version.pk}/edit/"

    def test_the_meeting_ics_downloads(self, client, cast, world):
        _agreement, _v, _s, earlier = world
        client.force_login(cast.dan)
        response = client.get(f"/reports/meetings/{earlier.pk}.ics")
        assert response["Content-Type"].startswith("text/calendar")
        assert b"SUMMARY:March retrospective" in response.content

    def test_the_home_page_lists_my_next_meetings(self, client, cast, world):
        import time_machine

        agreement, *_rest = world
        with time_machine.travel(NOW, tick=False):
            services.meeting_create(
                actor=cast.alice,
                agreement=agreement,
                kind="standup",
                scheduled_for=NOW + dt.timedelta(days=1),
                title="Tuesday stand-up",
                now=NOW,
            )
            client.force_login(cast.dan)
            home = client.get("/").content.decode()
            client.force_login(cast.mallory)
            other = client.get("/").content.decode()
        assert "Tuesday stand-up" in home
        assert "Tuesday stand-up" not in other


def test_the_api_lists_the_meetings_of_the_agreements_one_sees(client, cast, world):
    _agreement, _v, _s, earlier = world
    client.force_login(cast.dan)
    listed = client.get("/api/v1/meetings/").json()
    assert [m["title"] for m in listed["results"]] == ["March retrospective"]
    detail = client.get(f"/api/v1/meetings/{earlier.pk}/").json()
    assert [a["title"] for a in detail["actions"]] == ["Fix lead routing", "Already done"]
    client.force_login(cast.mallory)
    assert client.get("/api/v1/meetings/").json()["count"] == 0
    assert client.get(f"/api/v1/meetings/{earlier.pk}/").status_code == 404
