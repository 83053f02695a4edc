"""Free text has limits (issue 17, section 4): a 5 MB note once made a lead page 8 MB for
everyone. The model, the form and the API hold the same limit."""

import datetime as dt

import pytest
from django.urls import reverse

from leads.tests.review_factories import agreement_in_force, rejected_lead
from slas.tests.test_signing_api import client_for

T0 = dt.datetime(2025, 3, 10, 10, tzinfo=dt.UTC)


@pytest.fixture
def lead(cast):
    """A lead Dan's team received and rejected: his to rate."""
    return rejected_lead(cast, agreement_in_force(cast), T0, reason="no_budget", to="recycled")


@pytest.mark.django_db
class TestFreeText:
    def test_a_5_mb_feedback_note_is_refused_by_the_api(self, cast, lead):
        # given a lead Dan received
        client = client_for(cast.dan)
        # when he sends a 5 MB note
        response = client.post(
            "/api/v1/feedback/",
            {"lead": lead.pk, "rating": 2, "note": "x" * (5 * 1024 * 1024)},
            format="json",
        )
        # then it is refused, field by field, and nothing is stored
        assert response.status_code == 400
        assert response.json()["errors"]["note"][0]["code"] == "max_length"
        assert not lead.feedback.exists()

    def test_a_5_mb_feedback_note_is_refused_by_the_form(self, client, cast, lead):
        client.force_login(cast.dan)
        response = client.post(
            reverse("reviews:feedback_create", args=[lead.pk]),
            {"rating": 2, "note": "x" * (5 * 1024 * 1024)},
        )
        assert response.status_code == 200  # the form again, with the error
        assert "note" in response.context["form"].errors
        assert not lead.feedback.exists()

    def test_the_models_hold_the_limit_too(self, cast, lead):
        # given feedback written past the forms and the API
        from django.core.exceptions import ValidationError

        from leads.reviews.models import Feedback

        feedback = Feedback(
            lead=lead, author=cast.dan, note="x" * 20_000, created_at=lead.created_at
        )
        # then the model says so
        with pytest.raises(ValidationError) as error:
            feedback.full_clean()
        assert "note" in error.value.message_dict
