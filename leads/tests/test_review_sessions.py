"""Review sessions: scheduling, lead selection by each filter, outcomes, action items."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from leads.reviews.models import ActionItem, ReviewSession
from leads.reviews.selectors import action_items_overdue
from leads.reviews.services import (
    action_item_create,
    action_item_update,
    default_review_period,
    review_session_pick_leads,
    review_session_record_minutes,
    review_session_schedule,
    reviewed_lead_record,
)
from leads.tests.review_factories import (
    agreement_in_force,
    attempt,
    handed_off_lead,
    move,
    rejected_lead,
)
from portal.models import Notification
from reports.selectors import version_compliance
from reports.sessions import session_headline
from slas.periods import period_containing

UTC = dt.UTC
MARCH = period_containing("UTC", "month", dt.datetime(2025, 3, 15, tzinfo=UTC))
IN_MARCH = dt.datetime(2025, 3, 10, 10, tzinfo=UTC)
IN_FEB = dt.datetime(2025, 2, 10, 10, tzinfo=UTC)


@pytest.fixture
def version(cast):
    return agreement_in_force(cast)


def schedule(cast, version, **kwargs) -> ReviewSession:
    defaults = dict(
        organizer=cast.carol,
        agreement=version.agreement,
        marketing_team_id=cast.marketing.pk,
        sales_team_id=cast.sales.pk,
        period=MARCH,
        cadence="month",
        scheduled_for=dt.datetime(2025, 4, 2, 9, tzinfo=UTC),
        attendee_ids=[cast.alice.pk, cast.dan.pk],
    )
    defaults.update(kwargs)
    return review_session_schedule(**defaults)


@pytest.fixture
def leads(cast, version):
    """One lead per kind of event in March, plus decoys outside March or in another team."""
    rejected = rejected_lead(cast, version, IN_MARCH, lead_source="Webinar", to="disqualified")
    recycled = handed_off_lead(cast, version, IN_FEB, lead_source="Trade show", owner=cast.sara)
    move(recycled, "sal", IN_FEB + dt.timedelta(days=1))
    move(recycled, "recycled", IN_MARCH, reason="bad_timing")
    won = handed_off_lead(cast, version, IN_FEB, lead_source="Webinar")
    move(won, "sal", IN_FEB + dt.timedelta(days=1))
    move(won, "won", IN_MARCH)
    lost = handed_off_lead(cast, version, IN_MARCH, lead_source="Referral")
    move(lost, "sal", IN_MARCH + dt.timedelta(hours=1))
    move(lost, "lost", IN_MARCH + dt.timedelta(days=2))
    old_rejection = rejected_lead(cast, version, IN_FEB)
    other_team = rejected_lead(cast, version, IN_MARCH, sales_team=cast.customer_success)
    return {
        "rejected": rejected,
        "recycled": recycled,
        "won": won,
        "lost": lost,
        "old": old_rejection,
        "other": other_team,
    }


def picked(session):
    return {r.lead for r in session.leads.all()}


@pytest.mark.django_db
class TestScheduling:
    def test_a_manager_schedules_a_session_and_the_invited_are_told(self, cast, version):
        # when Carol schedules a review of March, inviting Alice and Dan
        session = schedule(cast, version)
        # then both are attendees (with Carol) and were notified, Carol was not
        assert {a.user for a in session.attendees.all()} == {cast.carol, cast.alice, cast.dan}
        notified = set(
            Notification.objects.filter(kind="review_session_scheduled").values_list(
                "recipient__username", flat=True
            )
        )
        assert notified == {"alice", "dan"}
        assert session.period_label == "2025-03"

    def test_the_reviews_list_names_a_sessions_period_as_the_reader_names_months(
        self, client, cast, version
    ):
        schedule(cast, version)
        client.force_login(cast.carol)
        html = client.get(reverse("reviews:index")).content.decode()
        assert "<td>March 2025</td>" in html and "<td>2025-03</td>" not in html

    def test_a_rep_may_not_schedule_a_session(self, cast, version):
        with pytest.raises(PermissionDenied):
            schedule(cast, version, organizer=cast.dan)

    def test_people_outside_both_teams_cannot_be_invited(self, cast, version):
        with pytest.raises(ValidationError) as caught:
            schedule(cast, version, attendee_ids=[cast.mallory.pk])
        assert "attendees" in caught.value.message_dict

    def test_the_default_period_is_the_last_complete_one_of_the_version_cadence(self, cast):
        quarterly = agreement_in_force(cast, cadence="quarter")
        now = dt.datetime(2025, 5, 20, tzinfo=UTC)
        assert default_review_period(quarterly.agreement, now=now).label == "2025-Q1"
        monthly = agreement_in_force(cast)
        assert default_review_period(monthly.agreement, now=now).label == "2025-04"


@pytest.mark.django_db
class TestLeadSelection:
    @pytest.mark.parametrize("kind", ["rejected", "recycled", "won", "lost"])
    def test_each_filter_picks_the_leads_with_that_event_in_the_period(
        self, cast, version, leads, kind
    ):
        session = schedule(cast, version)
        added = review_session_pick_leads(session=session, user=cast.carol, kind=kind)
        assert added == 1
        assert picked(session) == {leads[kind]}
        assert session.leads.get().picked_because == kind

    def test_handed_off_in_the_period_with_a_random_sample_of_n(self, cast, version, leads):
        session = schedule(cast, version)
        review_session_pick_leads(
            session=session, user=cast.carol, kind="handed_off", sample_size=1, seed=3
        )
        assert len(picked(session)) == 1
        assert picked(session) <= {leads["rejected"], leads["lost"]}

    def test_by_source_and_by_rep(self, cast, version, leads):
        session = schedule(cast, version)
        review_session_pick_leads(
            session=session, user=cast.carol, kind="won", lead_source="Referral"
        )
        assert picked(session) == set()
        review_session_pick_leads(
            session=session, user=cast.carol, kind="recycled", owner_id=cast.dan.pk
        )
        assert picked(session) == set()
        review_session_pick_leads(
            session=session, user=cast.carol, kind="recycled", owner_id=cast.sara.pk
        )
        assert picked(session) == {leads["recycled"]}

    def test_a_rejection_back_to_marketing_also_counts_as_recycled(self, cast, version, leads):
        # given a lead rejected from mql straight into recycled in March
        returned = rejected_lead(cast, version, IN_MARCH, to="recycled")
        session = schedule(cast, version)
        # when the manager picks recycled leads
        review_session_pick_leads(session=session, user=cast.carol, kind="recycled")
        # then both the sales recycle and the rejection into recycled are on the agenda
        assert picked(session) == {leads["recycled"], returned}

    def test_picking_twice_does_not_duplicate_a_lead(self, cast, version, leads):
        session = schedule(cast, version)
        review_session_pick_leads(session=session, user=cast.carol, kind="rejected")
        assert review_session_pick_leads(session=session, user=cast.carol, kind="rejected") == 0
        assert session.leads.count() == 1

    def test_a_rep_may_not_change_the_agenda(self, cast, version, leads):
        session = schedule(cast, version)
        with pytest.raises(PermissionDenied):
            review_session_pick_leads(session=session, user=cast.dan, kind="rejected")


@pytest.mark.django_db
class TestMinutes:
    def test_outcomes_attendance_and_summary_make_the_minutes(self, cast, version, leads):
        session = schedule(cast, version)
        review_session_pick_leads(session=session, user=cast.carol, kind="rejected")
        reviewed = session.leads.get()
        reviewed_lead_record(
            reviewed_lead=reviewed, user=cast.alice, outcome="bad_fit", note="Student"
        )
        review_session_record_minutes(
            session=session,
            user=cast.carol,
            attended_ids=[cast.carol.pk, cast.alice.pk],
            summary="Tighten",
            held=True,
        )
        reviewed.refresh_from_db()
        session.refresh_from_db()
        assert (reviewed.outcome, reviewed.decided_by) == ("bad_fit", cast.alice)
        assert session.status == "held"
        assert set(
            session.attendees.filter(attended=True).values_list("user__username", flat=True)
        ) == {
            "carol",
            "alice",
        }

    def test_an_unknown_outcome_is_refused(self, cast, version, leads):
        session = schedule(cast, version)
        review_session_pick_leads(session=session, user=cast.carol, kind="rejected")
        with pytest.raises(ValidationError):
            reviewed_lead_record(reviewed_lead=session.leads.get(), user=cast.carol, outcome="meh")

    def test_the_headline_is_every_commitment_of_the_period_from_the_compliance_area(
        self, cast, version
    ):
        # given three March handoffs: one contacted within 8 business hours and accepted,
        # one rejected before contact (stops the clock in time), one never contacted
        on_time = handed_off_lead(cast, version, IN_MARCH)
        attempt(on_time, IN_MARCH + dt.timedelta(hours=1))
        move(on_time, "sal", IN_MARCH + dt.timedelta(hours=2))
        rejected_lead(cast, version, IN_MARCH)
        handed_off_lead(cast, version, IN_MARCH)
        session = schedule(cast, version)
        end_of_april = dt.datetime(2025, 4, 30, tzinfo=UTC)
        # when the headline is read at the end of April
        headline = session_headline(session, now=end_of_april)
        # then it lists each commitment of the version under its owner team
        assert headline.versions == [version]
        assert [team.team for team in headline.teams] == [cast.marketing, cast.sales]
        (acceptance,), (first,) = (team.lines for team in headline.teams)
        assert (acceptance.spec.kind, first.spec.kind) == (
            "acceptance_rate",
            "first_contact_within",
        )
        # with March's numbers: 1 of 2 decided leads accepted, 2 of 3 clocks met
        assert (acceptance.result.numerator, acceptance.result.denominator) == (1, 2)
        assert (acceptance.result.actual, acceptance.result.status) == (50.0, "missed")
        assert (first.result.numerator, first.result.denominator) == (2, 3)
        assert first.result.label == "2025-03" and first.result.target == 90
        # and they are the compliance page's own numbers for that period
        comp = version_compliance(version, now=end_of_april)
        for line in (acceptance, first):
            same = comp.line_of(line.spec.kind).result("2025-03")
            assert (line.result.actual, line.result.status) == (same.actual, same.status)

    def test_the_minutes_page_shows_the_headline_and_links_to_the_compliance_page(
        self, client, cast, version
    ):
        # given a March session with one rejected lead
        rejected_lead(cast, version, IN_MARCH)
        session = schedule(cast, version)
        # when Dan opens the minutes
        client.force_login(cast.dan)
        html = client.get(session.get_absolute_url()).content.decode()
        # then both teams' commitments show March's result, linked to the compliance pages
        assert "Handed-off MQLs accepted" in html
        assert "First contact within 8 business hours" in html
        assert f"{reverse('reports:version', args=[version.pk])}?period=2025-03" in html
        assert "0%" in html and "Missed" in html
        acceptance = version.commitments.get(kind="acceptance_rate")
        breakdown = reverse("reports:breakdown", args=[version.pk, acceptance.pk, "2025-03"])
        assert f'href="{breakdown}?list=rejected"' in html

    def test_the_minutes_page_lists_a_lead_without_an_owner(self, client, cast, version):
        # given a March session whose rejected lead has no owner (as imports leave them)
        lead = rejected_lead(cast, version, IN_MARCH)
        lead.owner = None
        lead.save(update_fields=["owner"])
        session = schedule(cast, version)
        assert review_session_pick_leads(session=session, user=cast.carol, kind="rejected") == 1
        # when Dan opens the minutes
        client.force_login(cast.dan)
        response = client.get(session.get_absolute_url())
        # then the page answers and lists the lead
        assert response.status_code == 200
        assert str(lead) in response.content.decode()


@pytest.mark.django_db
class TestActionItems:
    def test_assigning_an_action_tells_its_owner(self, cast, version):
        session = schedule(cast, version)
        item = action_item_create(
            session=session,
            user=cast.carol,
            title="Fix the webinar form",
            owner=cast.bob,
            due_date=dt.date(2025, 4, 15),
        )
        note = Notification.objects.get(kind="action_item_assigned")
        assert note.recipient == cast.bob and str(item.pk) in note.url

    def test_the_owner_must_belong_to_one_of_the_teams(self, cast, version):
        session = schedule(cast, version)
        with pytest.raises(ValidationError) as caught:
            action_item_create(
                session=session,
                user=cast.carol,
                title="x",
                owner=cast.mallory,
                due_date=dt.date(2025, 4, 1),
            )
        assert "owner" in caught.value.message_dict

    def test_the_owner_completes_an_item_and_done_is_timestamped(self, cast, version):
        session = schedule(cast, version)
        item = action_item_create(
            session=session,
            user=cast.carol,
            title="x",
            owner=cast.bob,
            due_date=dt.date(2025, 4, 1),
        )
        now = dt.datetime(2025, 4, 2, tzinfo=UTC)
        action_item_update(item=item, user=cast.bob, status="done", now=now)
        assert (item.status, item.done_at) == ("done", now)
        action_item_update(item=item, user=cast.bob, status="open")
        assert item.done_at is None

    def test_someone_else_cannot_touch_the_item_and_the_owner_cannot_move_its_date(
        self, cast, version
    ):
        session = schedule(cast, version)
        item = action_item_create(
            session=session,
            user=cast.carol,
            title="x",
            owner=cast.bob,
            due_date=dt.date(2025, 4, 1),
        )
        with pytest.raises(PermissionDenied):
            action_item_update(item=item, user=cast.dan, status="done")
        with pytest.raises(PermissionDenied):
            action_item_update(item=item, user=cast.bob, due_date=dt.date(2025, 6, 1))

    def test_the_database_refuses_done_without_a_date(self, cast, version):
        from django.db import IntegrityError, transaction

        session = schedule(cast, version)
        with pytest.raises(IntegrityError), transaction.atomic():
            ActionItem.objects.create(
                session=session,
                title="x",
                owner=cast.bob,
                due_date=dt.date(2025, 4, 1),
                status="done",
            )

    def test_overdue_items_are_the_open_ones_past_their_due_date(self, cast, version):
        session = schedule(cast, version)
        due = dt.date(2025, 4, 10)
        late = action_item_create(
            session=session, user=cast.carol, title="late", owner=cast.bob, due_date=due
        )
        done = action_item_create(
            session=session, user=cast.carol, title="done", owner=cast.bob, due_date=due
        )
        action_item_update(item=done, user=cast.bob, status="done")
        action_item_create(
            session=session,
            user=cast.carol,
            title="later",
            owner=cast.bob,
            due_date=dt.date(2025, 5, 1),
        )
        assert list(action_items_overdue(dt.datetime(2025, 4, 10, 12, tzinfo=UTC))) == []
        assert list(action_items_overdue(dt.datetime(2025, 4, 11, 12, tzinfo=UTC))) == [late]


@pytest.mark.django_db
class TestUpcomingOnHome:
    def test_the_home_page_lists_the_five_soonest_sessions_soonest_first(self, cast, version):
        # given seven sessions ahead, a week apart, with Dan invited (Carol organises)
        start = dt.datetime.now(UTC) + dt.timedelta(days=1)
        for week in range(7):
            schedule(
                cast,
                version,
                title=f"Week {week}",
                scheduled_for=start + dt.timedelta(weeks=week),
            )
        # and one in the past
        schedule(cast, version, title="Last year", scheduled_for=start - dt.timedelta(days=400))
        from leads.reviews.home import sections

        (upcoming,) = [s for s in sections(cast.dan) if s.title == "Upcoming lead reviews"]
        # then Dan's home lists the five next ones, the nearest first
        assert [item.title for item in upcoming.items] == [f"Week {n}" for n in range(5)]
