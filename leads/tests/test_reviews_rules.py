"""Who may give feedback, the 24-hour edit window, and reason codes of the governing version."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from leads.reviews.services import feedback_create, feedback_update, lead_governing_version
from leads.tests.review_factories import agreement_in_force, handed_off_lead, lead_for, move
from portal import permissions

UTC = dt.UTC
T0 = dt.datetime(2025, 3, 10, 10, tzinfo=UTC)


@pytest.fixture
def version(cast):
    return agreement_in_force(cast)


@pytest.fixture
def lead(cast, version):
    return handed_off_lead(cast, version, T0)


@pytest.mark.django_db
class TestWhoMayGiveFeedback:
    def test_reps_and_managers_of_the_sales_team_may_rate_the_lead(self, cast, lead):
        # given a lead handed to the sales team
        # then Dan (rep) and Carol (manager) may rate it, and Sara, Dan's teammate, too
        for user in (cast.dan, cast.carol, cast.sara):
            assert permissions.can_rate_lead(user, lead)
            assert permissions.can_comment_on_lead(user, lead)

    def test_marketing_may_comment_but_not_rate(self, cast, lead):
        for user in (cast.alice, cast.bob):
            assert permissions.can_comment_on_lead(user, lead)
            assert not permissions.can_rate_lead(user, lead)

    def test_mallory_and_the_exec_may_neither_rate_nor_comment(self, cast, lead):
        for user in (cast.mallory, cast.erin):
            assert not permissions.can_rate_lead(user, lead)
            assert not permissions.can_comment_on_lead(user, lead)

    def test_a_rating_from_marketing_is_refused_with_a_clear_message(self, cast, lead):
        # when Alice tries to rate the lead
        with pytest.raises(ValidationError) as caught:
            feedback_create(lead=lead, author=cast.alice, rating=2, note="meh", now=T0)
        # then she is told marketing comments without rating
        assert "rating" in caught.value.message_dict
        assert lead.feedback.count() == 0

    def test_a_comment_from_marketing_is_kept_without_rating(self, cast, lead):
        feedback = feedback_create(
            lead=lead, author=cast.bob, note="They came from the webinar", now=T0
        )
        assert feedback.rating is None
        assert feedback.author == cast.bob

    def test_mallory_cannot_write_feedback(self, cast, lead):
        with pytest.raises(PermissionDenied):
            feedback_create(lead=lead, author=cast.mallory, rating=3, now=T0)

    def test_a_rater_must_give_a_rating_from_1_to_5(self, cast, lead):
        with pytest.raises(ValidationError) as missing:
            feedback_create(lead=lead, author=cast.dan, note="no rating", now=T0)
        with pytest.raises(ValidationError) as too_high:
            feedback_create(lead=lead, author=cast.dan, rating=6, now=T0)
        assert "rating" in missing.value.message_dict
        assert "rating" in too_high.value.message_dict

    def test_the_database_refuses_a_rating_outside_1_to_5(self, cast, lead):
        from django.db import IntegrityError, transaction

        from leads.reviews.models import Feedback

        with pytest.raises(IntegrityError), transaction.atomic():
            Feedback.objects.create(lead=lead, author=cast.dan, rating=9, created_at=T0)

    def test_several_entries_per_lead_are_allowed(self, cast, lead):
        feedback_create(lead=lead, author=cast.dan, rating=2, now=T0)
        feedback_create(lead=lead, author=cast.dan, rating=3, now=T0 + dt.timedelta(days=3))
        feedback_create(lead=lead, author=cast.carol, rating=4, now=T0 + dt.timedelta(days=4))
        assert lead.feedback.count() == 3


@pytest.mark.django_db
class TestEditWindow:
    def test_the_author_may_edit_within_24_hours_and_history_keeps_every_version(self, cast, lead):
        # given Dan's feedback written at T0
        with time_machine.travel(T0, tick=False):
            feedback = feedback_create(lead=lead, author=cast.dan, rating=2, note="first")
        # when he edits it 23 hours later
        with time_machine.travel(T0 + dt.timedelta(hours=23), tick=False):
            feedback_update(feedback=feedback, user=cast.dan, rating=4, note="second thoughts")
        # then the entry changed and its history has both versions, by Dan
        feedback.refresh_from_db()
        assert (feedback.rating, feedback.note) == (4, "second thoughts")
        history = list(feedback.history.order_by("history_date"))
        assert [h.rating for h in history] == [2, 4]
        assert {h.history_user for h in history} == {cast.dan}
        assert history[-1].history_change_reason == "feedback_update"

    def test_after_24_hours_the_entry_is_frozen(self, cast, lead):
        with time_machine.travel(T0, tick=False):
            feedback = feedback_create(lead=lead, author=cast.dan, rating=2)
        with time_machine.travel(T0 + dt.timedelta(hours=24), tick=False):
            assert not permissions.can_edit_feedback(
                cast.dan, feedback, T0 + dt.timedelta(hours=24)
            )
            with pytest.raises(ValidationError):
                feedback_update(feedback=feedback, user=cast.dan, rating=5)
        feedback.refresh_from_db()
        assert feedback.rating == 2

    def test_only_the_author_may_edit(self, cast, lead):
        with time_machine.travel(T0, tick=False):
            feedback = feedback_create(lead=lead, author=cast.dan, rating=2)
            with pytest.raises(PermissionDenied):
                feedback_update(feedback=feedback, user=cast.carol, rating=5)


@pytest.mark.django_db
class TestReasonCodes:
    def test_reason_codes_must_belong_to_the_governing_version(self, cast, version, lead):
        # given a newer version with a code the governing one does not have
        agreement = version.agreement
        version.in_force_until = T0 + dt.timedelta(days=5)
        version.status = "superseded"
        version.save(update_fields=["status", "in_force_until"])
        agreement_in_force(
            cast,
            agreement=agreement,
            number=2,
            since=T0 + dt.timedelta(days=5),
            reasons=[("competitor", "Works for a competitor", "any")],
        )
        later = T0 + dt.timedelta(days=10)
        # when Dan cites the newer version's code on a lead handed off under v1
        with pytest.raises(ValidationError) as caught:
            feedback_create(
                lead=lead, author=cast.dan, rating=1, reason_codes=["competitor"], now=later
            )
        # then it is refused, while v1's code is accepted
        assert "reason_codes" in caught.value.message_dict
        feedback = feedback_create(
            lead=lead, author=cast.dan, rating=1, reason_codes=["no_budget", "no_budget"], now=later
        )
        assert feedback.reason_codes == ["no_budget"]

    def test_a_new_handoff_under_the_new_version_switches_the_codes(self, cast, version, lead):
        agreement = version.agreement
        version.in_force_until = T0 + dt.timedelta(days=5)
        version.status = "superseded"
        version.save(update_fields=["status", "in_force_until"])
        v2 = agreement_in_force(
            cast,
            agreement=agreement,
            number=2,
            since=T0 + dt.timedelta(days=5),
            reasons=[("competitor", "Works for a competitor", "any")],
        )
        move(lead, "recycled", T0 + dt.timedelta(days=1), reason="no_budget")
        move(lead, "mql", T0 + dt.timedelta(days=20))
        assert lead_governing_version(lead) == v2
        feedback = feedback_create(
            lead=lead,
            author=cast.dan,
            rating=1,
            reason_codes=["competitor"],
            now=T0 + dt.timedelta(days=21),
        )
        assert feedback.reason_codes == ["competitor"]

    def test_a_lead_never_handed_off_uses_the_version_in_force_now(self, cast, version):
        lead = lead_for(cast, version)
        assert lead_governing_version(lead, now=T0) == version
