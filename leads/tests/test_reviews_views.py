"""Feedback pages: the prompt after a return, forms that keep input, 404/403, home items."""

import datetime as dt
from urllib.parse import quote

import pytest
import time_machine
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation

from leads.reviews import home as feedback_home
from leads.reviews.models import Feedback
from leads.reviews.services import action_item_create, feedback_create, review_session_schedule
from leads.tests.review_factories import agreement_in_force, handed_off_lead, rejected_lead
from portal.home import home_sections
from slas.periods import period_containing

UTC = dt.UTC
T0 = dt.datetime(2025, 3, 10, 10, tzinfo=UTC)


@pytest.fixture
def version(cast):
    return agreement_in_force(cast)


@pytest.fixture
def lead(cast, version):
    return rejected_lead(cast, version, T0, reason="no_budget", to="recycled")


def url(lead, after=""):
    base = reverse("reviews:feedback_create", args=[lead.pk])
    return f"{base}?after={after}" if after else base


@pytest.mark.django_db
class TestFeedbackForm:
    def test_after_a_recycle_the_rep_is_prompted_with_the_reason_preselected(
        self, client, cast, lead
    ):
        # given Dan just recycled the lead with reason no_budget
        client.force_login(cast.dan)
        # when the leads flow sends him to the feedback page, right after the move
        with time_machine.travel(T0 + dt.timedelta(hours=2, minutes=1), tick=False):
            response = client.get(url(lead, "recycle"))
        # then he sees the prompt and the reason is already ticked
        html = response.content.decode()
        assert response.status_code == 200
        assert "You just returned this lead — tell marketing why" in html
        assert response.context["form"]["reason_codes"].value() == ["no_budget"]
        checkbox = html.split('value="no_budget"')[1].split(">")[0]
        assert "checked" in checkbox

    def test_a_rep_sends_feedback_and_returns_where_he_came_from(self, client, cast, lead):
        client.force_login(cast.dan)
        response = client.post(
            url(lead, "recycle"),
            {
                "rating": "2",
                "reason_codes": ["no_budget"],
                "went_wrong": "No budget until Q3",
                "next": "/leads/",
            },
        )
        assert response.status_code == 302 and response["Location"] == "/leads/"
        feedback = Feedback.objects.get()
        assert (feedback.author, feedback.rating, feedback.reason_codes) == (
            cast.dan,
            2,
            ["no_budget"],
        )

    def test_a_missing_rating_re_renders_the_form_with_what_was_typed(self, client, cast, lead):
        client.force_login(cast.dan)
        response = client.post(url(lead), {"went_wrong": "Wrong phone number"})
        assert response.status_code == 200
        assert "Wrong phone number" in response.content.decode()
        assert response.context["form"].errors["rating"]
        assert not Feedback.objects.exists()

    def test_an_open_redirect_is_refused(self, client, cast, lead):
        client.force_login(cast.dan)
        response = client.post(url(lead), {"rating": "4", "next": "https://evil.example/"})
        assert response["Location"] == lead.get_absolute_url()

    def test_marketing_gets_a_comment_form_without_rating(self, client, cast, lead):
        client.force_login(cast.bob)
        response = client.get(url(lead))
        assert "rating" not in response.context["form"].fields
        response = client.post(url(lead), {"note": "This came from the partner webinar"})
        assert response.status_code == 302
        assert Feedback.objects.get().rating is None

    def test_mallory_gets_404_and_the_exec_403(self, client, cast, lead):
        client.force_login(cast.mallory)
        assert client.get(url(lead)).status_code == 404
        client.force_login(cast.erin)
        assert client.get(url(lead)).status_code == 403

    def test_editing_is_offered_for_24_hours_then_refused(self, client, cast, lead):
        with time_machine.travel(T0, tick=False):
            entry = feedback_create(lead=lead, author=cast.dan, rating=2)
        edit = reverse("reviews:feedback_edit", args=[entry.pk])
        client.force_login(cast.dan)
        with time_machine.travel(T0 + dt.timedelta(hours=5), tick=False):
            response = client.post(edit, {"rating": "3", "note": "better than I said"})
            assert response.status_code == 302
        with time_machine.travel(T0 + dt.timedelta(hours=25), tick=False):
            assert client.get(edit).status_code == 403
        entry.refresh_from_db()
        assert entry.rating == 3

    def test_the_lead_panel_include_lists_entries_and_offers_feedback(self, cast, lead):
        feedback_create(lead=lead, author=cast.dan, rating=2, reason_codes=["no_budget"])
        request = RequestFactory().get("/leads/1/")
        request.user = cast.dan
        html = Template('{% include "leads/reviews/_lead_panel.html" %}').render(
            Context({"lead": lead, "user": cast.dan, "request": request})
        )
        assert "No budget this year" in html and "★★☆☆☆" in html
        assert "Give feedback" in html and url(lead) in html
        queue = Template('{% include "leads/reviews/_queue_action.html" %}').render(
            Context({"lead": lead})
        )
        assert url(lead) in queue


@pytest.fixture
def session(cast, version):
    return review_session_schedule(
        organizer=cast.carol,
        agreement=version.agreement,
        marketing_team_id=cast.marketing.pk,
        sales_team_id=cast.sales.pk,
        period=period_containing("UTC", "month", T0),
        cadence="month",
        scheduled_for=T0 + dt.timedelta(days=30),
        attendee_ids=[cast.alice.pk, cast.dan.pk],
    )


@pytest.mark.django_db
class TestSessionPages:
    def test_a_manager_schedules_a_session_with_rejected_leads_on_the_agenda(
        self, client, cast, version, lead
    ):
        client.force_login(cast.carol)
        page = client.get(reverse("reviews:session_create"))
        assert page.status_code == 200
        label = "2025-03"
        response = client.post(
            reverse("reviews:session_create"),
            {
                "agreement": version.agreement.pk,
                "period": label,
                "scheduled_for": "2025-04-02T10:00",
                "attendees": [cast.alice.pk, cast.dan.pk],
                "pick": "rejected",
            },
        )
        # The period choices are the last periods before now: March 2025 is long gone,
        # so it is not offered and the form says so instead of guessing.
        assert response.status_code == 200
        assert response.context["form"].errors["period"]
        current = page.context["form"].fields["period"].choices[1][0]
        response = client.post(
            reverse("reviews:session_create"),
            {
                "agreement": version.agreement.pk,
                "period": current,
                "scheduled_for": "2030-04-02T10:00",
                "attendees": [cast.alice.pk, cast.dan.pk],
                "pick": "rejected",
            },
        )
        assert response.status_code == 302

    def test_scheduling_from_the_page_is_all_or_nothing(
        self, client, cast, version, lead, monkeypatch
    ):
        # given picking the agenda fails after the session was written
        from django.core.exceptions import ValidationError

        from leads.reviews import services
        from leads.reviews.models import ReviewSession

        def failing_pick(**kwargs):
            raise ValidationError({"pick": ["No leads can be picked right now."]})

        monkeypatch.setattr(services, "review_session_pick_leads", failing_pick)
        client.force_login(cast.carol)
        page = client.get(reverse("reviews:session_create"))
        current = page.context["form"].fields["period"].choices[1][0]
        # when Carol schedules a session with an agenda
        response = client.post(
            reverse("reviews:session_create"),
            {
                "agreement": version.agreement.pk,
                "period": current,
                "scheduled_for": "2030-04-02T10:00",
                "attendees": [cast.alice.pk, cast.dan.pk],
                "pick": "rejected",
            },
        )
        # then the form says why, and no half-made session (nor its invitations) remains
        assert response.status_code == 200
        assert response.context["form"].errors["pick"]
        assert not ReviewSession.objects.exists()
        assert not cast.alice.notifications.filter(kind="review_session_scheduled").exists()

    def test_a_rep_cannot_open_the_scheduling_page(self, client, cast, version):
        client.force_login(cast.dan)
        assert client.get(reverse("reviews:session_create")).status_code == 403

    def test_the_minutes_page_is_404_for_mallory_and_read_only_for_dan(self, client, cast, session):
        client.force_login(cast.mallory)
        assert client.get(session.get_absolute_url()).status_code == 404
        client.force_login(cast.dan)
        response = client.get(session.get_absolute_url())
        assert response.status_code == 200 and not response.context["may_manage"]
        pick = reverse("reviews:session_pick_leads", args=[session.pk])
        assert client.post(pick, {"kind": "rejected"}).status_code == 403

    def test_the_manager_picks_records_an_outcome_and_assigns_an_action(
        self, client, cast, session, lead
    ):
        client.force_login(cast.carol)
        client.post(reverse("reviews:session_pick_leads", args=[session.pk]), {"kind": "rejected"})
        reviewed = session.leads.get()
        client.post(
            reverse("reviews:reviewed_lead_outcome", args=[session.pk, reviewed.pk]),
            {"outcome": "bad_timing", "note": "Budget in Q3"},
        )
        response = client.post(
            reverse("reviews:action_item_create", args=[session.pk]),
            {
                "title": "Add a budget question to the form",
                "owner": cast.alice.pk,
                "due_date": "2025-04-20",
                "reviewed_lead": reviewed.pk,
            },
        )
        assert response.status_code == 302
        reviewed.refresh_from_db()
        assert reviewed.outcome == "bad_timing"
        page = client.get(session.get_absolute_url()).content.decode()
        assert "Add a budget question to the form" in page and "Bad timing" in page

    def test_an_action_form_error_keeps_the_input(self, client, cast, session):
        client.force_login(cast.carol)
        response = client.post(
            reverse("reviews:action_item_create", args=[session.pk]),
            {"title": "Call the webinar vendor", "owner": cast.alice.pk, "due_date": "not a date"},
        )
        assert response.status_code == 400
        assert "Call the webinar vendor" in response.content.decode()

    def test_the_owner_marks_an_item_done_from_the_page(self, client, cast, session):
        item = action_item_create(
            session=session,
            user=cast.carol,
            title="x",
            owner=cast.alice,
            due_date=dt.date(2025, 4, 1),
        )
        client.force_login(cast.alice)
        client.post(reverse("reviews:action_item_status", args=[item.pk]), {"status": "done"})
        item.refresh_from_db()
        assert item.status == "done"


@pytest.mark.django_db
class TestHome:
    def test_action_items_show_on_their_owner_home_until_done_overdue_flagged(
        self, client, cast, session
    ):
        # given two open items for Alice, one past due
        with time_machine.travel(dt.datetime(2025, 4, 10, 12, tzinfo=UTC), tick=False):
            late = action_item_create(
                session=session,
                user=cast.carol,
                title="Late item",
                owner=cast.alice,
                due_date=dt.date(2025, 4, 1),
            )
            action_item_create(
                session=session,
                user=cast.carol,
                title="Fresh item",
                owner=cast.alice,
                due_date=dt.date(2025, 4, 30),
            )
            # when Alice opens her home page
            client.force_login(cast.alice)
            html = client.get("/").content.decode()
            # then both show, the late one flagged; Dan sees neither
            assert "Late item" in html and "Fresh item" in html
            section = next(s for s in home_sections(cast.alice) if "action items" in str(s.title))
            tones = {item.title: item.tone for item in section.items}
            assert tones == {"Late item": "danger", "Fresh item": ""}
            assert not any("action items" in str(s.title) for s in home_sections(cast.dan))
            # and once done, the item leaves her home page
            from leads.reviews.services import action_item_update

            action_item_update(item=late, user=cast.alice, status="done")
            assert "Late item" not in client.get("/").content.decode()

    def test_a_returned_lead_without_feedback_asks_the_rep_on_home(self, cast, version):
        now = dt.datetime.now(UTC)
        lead = rejected_lead(cast, version, now - dt.timedelta(days=2))
        section = next(
            s for s in home_sections(cast.dan) if "waiting for your feedback" in str(s.title)
        )
        assert [item.title for item in section.items] == [str(lead)]
        feedback_create(lead=lead, author=cast.dan, rating=3)
        assert not any("waiting for your feedback" in str(s.title) for s in home_sections(cast.dan))

    def test_home_dates_follow_the_active_language(self, cast, session):
        # given an open action item due on 1 April
        action_item_create(
            session=session,
            user=cast.carol,
            title="Late item",
            owner=cast.alice,
            due_date=dt.date(2025, 4, 1),
        )
        # when the home page is read in Japanese, then the date is written as Japanese
        # writes it (portal.dates, as on every page)
        with translation.override("ja"):
            (actions,) = feedback_home.sections(cast.alice)
        assert "4月1日" in actions.items[0].detail


@pytest.mark.django_db
class TestReturnPaths:
    def test_the_queue_feedback_link_comes_back_to_the_queue(self, client, cast, version):
        # given a lead in Dan's queue
        lead = handed_off_lead(cast, version, dt.datetime.now(UTC) - dt.timedelta(hours=1))
        client.force_login(cast.dan)
        # when he opens the queue, then the feedback link carries the queue as `next`
        queue = reverse("leads:queue")
        html = client.get(queue).content.decode()
        assert f'href="{url(lead)}?next={quote(queue)}"' in html
        # and after sending feedback from there he is back on the queue
        response = client.post(
            f"{url(lead)}?next={quote(queue)}", {"rating": "3", "note": "Fine", "next": queue}
        )
        assert response.status_code == 302 and response["Location"] == queue

    def test_the_queue_link_keeps_the_query_of_the_page(self, cast, lead):
        request = RequestFactory().get("/leads/?sort=deadline&page=2")
        html = Template('{% include "leads/reviews/_queue_action.html" %}').render(
            Context({"lead": lead, "request": request})
        )
        assert f"{url(lead)}?next=/leads/%3Fsort%3Ddeadline%26page%3D2" in html

    def test_moving_a_lead_to_recycled_sends_the_rep_to_the_feedback_prompt(
        self, client, cast, version
    ):
        # given an MQL of Dan's
        lead = handed_off_lead(cast, version, dt.datetime.now(UTC) - dt.timedelta(hours=1))
        client.force_login(cast.dan)
        # when he recycles it with a reason from the lead page
        response = client.post(
            reverse("leads:lead_move", args=[lead.pk]),
            {"to_stage": "recycled", "reason_code": "no_budget", "note": ""},
        )
        # then he lands on the feedback prompt, which returns to the lead
        assert response.status_code == 302, response.content.decode()[:500]
        location = response["Location"]
        assert location.startswith(f"{url(lead)}?")
        assert (
            "after=reject" in location
            and f"next={quote(lead.get_absolute_url(), safe='')}" in location
        )
        prompt = client.get(location)
        assert "You just returned this lead — tell marketing why" in prompt.content.decode()
        assert prompt.context["form"]["reason_codes"].value() == ["no_budget"]


@pytest.mark.django_db
class TestReviewsIndex:
    def test_schedule_a_review_shows_only_with_an_agreement_to_schedule_for(self, client, cast):
        # given Carol manages Sales but no agreement names her teams yet
        client.force_login(cast.carol)
        assert "Schedule a review" not in client.get(reverse("reviews:index")).content.decode()
        # when a Marketing-Sales agreement exists, then she is offered to schedule
        agreement_in_force(cast)
        assert "Schedule a review" in client.get(reverse("reviews:index")).content.decode()
        # and Dan (a rep) never is
        client.force_login(cast.dan)
        assert "Schedule a review" not in client.get(reverse("reviews:index")).content.decode()
