"""The feedback loop from the marketing rep's side: the feedback sales left on the leads
he sourced or owns, the notification when it arrives, and his one reply to each entry."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from leads.models import LeadEvent
from leads.reviews import selectors
from leads.reviews.models import Feedback
from leads.reviews.services import (
    feedback_create,
    feedback_reply,
    review_session_schedule,
)
from leads.tests.other_pair import other_pair
from leads.tests.review_factories import agreement_in_force, rejected_lead
from portal.models import EmailDelivery, Notification, NotificationPreference
from slas.periods import period_containing

UTC = dt.UTC
T0 = dt.datetime(2025, 3, 10, 10, tzinfo=UTC)


def sourced_by(lead, user, at=T0 - dt.timedelta(days=2)):
    """The lead's `created` event names `user`: he brought the lead in."""
    LeadEvent.objects.create(lead=lead, kind="created", occurred_at=at, actor=user)
    return lead


@pytest.fixture
def version(cast):
    return agreement_in_force(cast)


@pytest.fixture
def bobs_lead(cast, version):
    return sourced_by(rejected_lead(cast, version, T0, reason="no_budget"), cast.bob)


@pytest.fixture
def someone_elses_lead(cast, version):
    return rejected_lead(cast, version, T0, reason="no_need")


def dan_says(lead, *, rating=2, reasons=("no_budget",), at=T0 + dt.timedelta(hours=3), **kw):
    return feedback_create(
        lead=lead,
        author=lead.owner,
        rating=rating,
        reason_codes=list(reasons),
        went_wrong=kw.pop("went_wrong", "No budget until next year."),
        now=at,
        **kw,
    )


@pytest.mark.django_db
class TestFeedbackOnMyLeads:
    def test_a_marketing_rep_sees_feedback_on_the_leads_he_sourced_newest_first(
        self, cast, bobs_lead, someone_elses_lead
    ):
        # given Dan's feedback on a lead Bob sourced, twice, and on a lead Bob did not source
        first = dan_says(bobs_lead, at=T0 + dt.timedelta(hours=3))
        second = dan_says(bobs_lead, rating=1, at=T0 + dt.timedelta(days=1))
        dan_says(someone_elses_lead)
        # when Bob lists feedback on his leads
        found = list(selectors.feedback_on_my_leads(cast.bob))
        # then he sees both entries on his lead, newest first, and nothing else
        assert found == [second, first]

    def test_the_owner_of_a_lead_sees_feedback_others_left_on_it(self, cast, someone_elses_lead):
        # given Carol (sales manager) leaves feedback on the lead Dan owns
        entry = feedback_create(
            lead=someone_elses_lead, author=cast.carol, rating=4, note="Fine lead.", now=T0
        )
        # then it is on Dan's list, but his own entries are not
        dan_says(someone_elses_lead)
        assert list(selectors.feedback_on_my_leads(cast.dan)) == [entry]

    def test_leads_of_another_team_pair_never_show(self, cast, bobs_lead):
        # given Bob is the actor of a lead's creation in a pair he is not a member of
        pair = other_pair(cast)
        LeadEvent.objects.create(lead=pair.lead, kind="created", occurred_at=T0, actor=cast.bob)
        feedback_create(lead=pair.lead, author=pair.ravi, rating=2, note="Meh.", now=T0)
        # then it does not show on his list
        assert list(selectors.feedback_on_my_leads(cast.bob)) == []

    def test_filters_by_verdict_reason_and_date(self, cast, bobs_lead, version):
        poor = dan_says(bobs_lead, rating=1, reasons=["no_budget"], at=T0)
        good = dan_says(bobs_lead, rating=5, reasons=["no_need"], at=T0 + dt.timedelta(days=5))
        mine = selectors.feedback_on_my_leads
        assert list(mine(cast.bob, verdict="poor")) == [poor]
        assert list(mine(cast.bob, verdict="good")) == [good]
        assert list(mine(cast.bob, reason="no_need")) == [good]
        assert list(mine(cast.bob, since=(T0 + dt.timedelta(days=1)).date())) == [good]
        assert list(mine(cast.bob, until=T0.date())) == [poor]
        assert list(mine(cast.bob, replied="no")) == [good, poor]


@pytest.mark.django_db
class TestNotification:
    def test_the_rep_who_sourced_the_lead_is_told_when_feedback_arrives(self, cast, bobs_lead):
        # when Dan leaves feedback on Bob's lead
        entry = dan_says(bobs_lead)
        # then Bob has one notification, linking to the entry; Dan, its author, has none
        note = Notification.objects.get(kind="feedback_received")
        assert note.recipient == cast.bob
        assert note.url.endswith(f"#feedback-{entry.pk}")
        assert str(bobs_lead) in note.title
        assert not Notification.objects.filter(kind="feedback_received", recipient=cast.dan)

    def test_the_email_follows_his_preference(self, cast, bobs_lead):
        NotificationPreference.objects.create(
            user=cast.bob, kind="feedback_received", email=EmailDelivery.OFF
        )
        dan_says(bobs_lead)
        note = Notification.objects.get(kind="feedback_received")
        assert note.email_delivery == EmailDelivery.OFF

    def test_by_default_he_gets_an_email(self, cast, bobs_lead):
        dan_says(bobs_lead)
        assert Notification.objects.get(kind="feedback_received").email_delivery == (
            EmailDelivery.IMMEDIATE
        )


@pytest.mark.django_db
class TestReplyOnce:
    def test_the_rep_replies_once_and_the_author_is_told(self, cast, bobs_lead):
        entry = dan_says(bobs_lead)
        # when Bob replies
        feedback_reply(
            feedback=entry, user=cast.bob, text="Fixed the form: budget is now asked.", now=T0
        )
        entry.refresh_from_db()
        # then the reply is kept with who and when, and Dan is told
        assert (entry.reply, entry.replied_by, entry.replied_at) == (
            "Fixed the form: budget is now asked.",
            cast.bob,
            T0,
        )
        assert Notification.objects.get(kind="feedback_replied").recipient == cast.dan

    def test_a_second_reply_is_refused_with_a_clear_message(self, cast, bobs_lead):
        entry = dan_says(bobs_lead)
        feedback_reply(feedback=entry, user=cast.bob, text="First.", now=T0)
        with pytest.raises(ValidationError) as refused:
            feedback_reply(feedback=entry, user=cast.alice, text="Second.", now=T0)
        assert "already has a reply" in refused.value.message_dict["reply"][0]
        entry.refresh_from_db()
        assert entry.reply == "First."

    def test_a_stale_copy_cannot_overwrite_the_reply(self, cast, bobs_lead):
        entry = dan_says(bobs_lead)
        stale = Feedback.objects.get(pk=entry.pk)
        feedback_reply(feedback=entry, user=cast.bob, text="First.", now=T0)
        with pytest.raises(ValidationError):
            feedback_reply(feedback=stale, user=cast.alice, text="Second.", now=T0)
        assert Feedback.objects.get(pk=entry.pk).reply == "First."

    def test_sales_and_the_exec_may_not_reply(self, cast, bobs_lead):
        entry = dan_says(bobs_lead)
        for user in (cast.dan, cast.carol, cast.erin, cast.mallory):
            with pytest.raises(PermissionDenied):
                feedback_reply(feedback=entry, user=user, text="Hm.", now=T0)

    def test_an_empty_reply_is_refused(self, cast, bobs_lead):
        entry = dan_says(bobs_lead)
        with pytest.raises(ValidationError) as refused:
            feedback_reply(feedback=entry, user=cast.bob, text="  ", now=T0)
        assert "reply" in refused.value.message_dict

    def test_the_database_refuses_a_reply_without_who_and_when(self, cast, bobs_lead):
        from django.db import IntegrityError, transaction

        entry = dan_says(bobs_lead)
        with pytest.raises(IntegrityError), transaction.atomic():
            Feedback.objects.filter(pk=entry.pk).update(reply="orphan")


@pytest.mark.django_db
class TestPages:
    def test_the_feedback_page_lists_and_filters_the_entries(self, client, cast, bobs_lead):
        dan_says(bobs_lead, rating=1)
        dan_says(bobs_lead, rating=5, reasons=["no_need"], went_wrong="", at=T0 + dt.timedelta(1))
        client.force_login(cast.bob)
        page = client.get(reverse("reviews:my_feedback"))
        assert page.status_code == 200
        assert page.content.decode().count('data-testid="my-feedback-entry"') == 2
        filtered = client.get(reverse("reviews:my_feedback"), {"verdict": "poor"})
        assert filtered.content.decode().count('data-testid="my-feedback-entry"') == 1
        bad = client.get(reverse("reviews:my_feedback"), {"since": "not a date"})
        assert bad.status_code == 200 and "Enter a valid date" in bad.content.decode()

    def test_replying_from_the_page_and_a_second_time(self, client, cast, bobs_lead):
        entry = dan_says(bobs_lead)
        client.force_login(cast.bob)
        target = reverse("reviews:feedback_reply", args=[entry.pk])
        first = client.post(target, {"reply": "Thanks, fixed.", "next": "/reviews/mine/"})
        assert first.status_code == 302
        second = client.post(target, {"reply": "Again."}, follow=True)
        html = second.content.decode()
        assert "already has a reply" in html
        assert Feedback.objects.get(pk=entry.pk).reply == "Thanks, fixed."

    def test_the_reply_shows_on_the_lead_and_on_the_sessions_agenda(
        self, client, cast, bobs_lead, version
    ):
        entry = dan_says(bobs_lead)
        feedback_reply(feedback=entry, user=cast.bob, text="Form tightened.", now=T0)
        period = period_containing("UTC", "month", T0)
        session = review_session_schedule(
            organizer=cast.carol,
            agreement=version.agreement,
            marketing_team_id=cast.marketing.pk,
            sales_team_id=cast.sales.pk,
            period=period,
            cadence="month",
            scheduled_for=T0 + dt.timedelta(days=30),
        )
        session.leads.create(lead=bobs_lead, picked_because="recycled")
        client.force_login(cast.alice)
        agenda = client.get(session.get_absolute_url()).content.decode()
        lead_page = client.get(bobs_lead.get_absolute_url()).content.decode()
        for html in (agenda, lead_page):
            assert "Form tightened." in html
            assert 'data-testid="feedback-reply"' in html

    def test_my_leads_points_a_marketing_rep_to_his_feedback(self, client, cast):
        client.force_login(cast.bob)
        html = client.get(reverse("leads:queue")).content.decode()
        assert "No leads are waiting on you." not in html
        assert reverse("reviews:my_feedback") in html

    def test_the_home_page_has_a_feedback_card_for_the_rep(self, client, cast, bobs_lead):
        dan_says(bobs_lead)
        client.force_login(cast.bob)
        html = client.get("/").content.decode()
        assert "Feedback on your leads" in html and str(bobs_lead) in html


@pytest.mark.django_db
class TestWordingAndArea:
    def test_right_after_returning_it_says_just(self, client, cast, version):
        lead = rejected_lead(cast, version, T0)
        returned = T0 + dt.timedelta(hours=2)
        client.force_login(cast.dan)
        with time_machine.travel(returned + dt.timedelta(minutes=1), tick=False):
            html = client.get(
                reverse("reviews:feedback_create", args=[lead.pk]) + "?after=recycle"
            ).content.decode()
        assert "You just returned this lead" in html

    def test_a_week_later_it_gives_the_date(self, client, cast, version):
        lead = rejected_lead(cast, version, T0)
        client.force_login(cast.dan)
        with time_machine.travel(T0 + dt.timedelta(days=7), tick=False):
            html = client.get(
                reverse("reviews:feedback_create", args=[lead.pk]) + "?after=recycle"
            ).content.decode()
        assert "You just returned" not in html
        assert "You returned this lead on 10 Mar" in html

    def test_the_top_bar_highlights_leads_on_the_feedback_pages(self, client, cast, bobs_lead):
        client.force_login(cast.dan)
        response = client.get(reverse("reviews:feedback_create", args=[bobs_lead.pk]))
        current = [a["key"] for a in response.context["nav_areas"] if a["current"]]
        assert current == ["leads"]
        client.force_login(cast.bob)
        response = client.get(reverse("reviews:my_feedback"))
        assert [a["key"] for a in response.context["nav_areas"] if a["current"]] == ["leads"]


@pytest.mark.django_db
def test_the_feedback_trend_draws_the_running_month_as_partial(client, cast, bobs_lead):
    dan_says(bobs_lead)
    client.force_login(cast.carol)
    with time_machine.travel(T0 + dt.timedelta(days=10), tick=False):
        html = client.get(reverse("reviews:analysis")).content.decode()
    assert "is-partial" in html and "March 2025 to date" in html


@pytest.mark.django_db
def test_the_author_editing_a_copy_read_before_the_reply_keeps_the_reply(cast, bobs_lead):
    from leads.reviews.services import feedback_update

    entry = dan_says(bobs_lead)
    before_reply = Feedback.objects.get(pk=entry.pk)
    feedback_reply(feedback=entry, user=cast.bob, text="Noted.", now=T0 + dt.timedelta(hours=4))
    feedback_update(
        feedback=before_reply,
        user=cast.dan,
        rating=1,
        reason_codes=["no_budget"],
        went_wrong="Worse than I said.",
        now=T0 + dt.timedelta(hours=5),
    )
    entry.refresh_from_db()
    assert (entry.rating, entry.reply) == (1, "Noted.")


@pytest.mark.django_db
def test_the_api_reads_the_reply_and_does_not_write_it(client, cast, bobs_lead):
    entry = dan_says(bobs_lead)
    feedback_reply(feedback=entry, user=cast.bob, text="Noted.", now=T0)
    client.force_login(cast.dan)
    url = reverse("feedback-detail", args=[entry.pk])
    body = client.get(url).json()
    assert (body["reply"], body["replied_by"]) == ("Noted.", "bob")
    assert body["replied_at"].startswith("2025-03-10")
    client.patch(url, {"reply": "Overwritten"}, content_type="application/json")
    assert Feedback.objects.get(pk=entry.pk).reply == "Noted."
