"""The feedback API: same services, same rules, tokens honoured."""

import datetime as dt

import pytest
import time_machine
from rest_framework.test import APIClient

from leads.feedback import feedback_create, review_session_schedule
from leads.models import Feedback
from leads.tests.feedback_factories import agreement_in_force, rejected_lead
from portal.tokens import api_token_create
from reports.engine import period_containing

UTC = dt.UTC
T0 = dt.datetime(2025, 3, 10, 10, tzinfo=UTC)


@pytest.fixture
def version(cast):
    return agreement_in_force(cast)


@pytest.fixture
def lead(cast, version):
    return rejected_lead(cast, version, T0)


def api(user, scope="write"):
    client = APIClient()
    _token, raw = api_token_create(user=user, name="test", scope=scope)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


@pytest.mark.django_db
class TestFeedbackApi:
    def test_a_rep_creates_feedback_and_lists_it(self, cast, lead):
        client = api(cast.dan)
        response = client.post(
            "/api/v1/feedback/",
            {
                "lead": lead.pk,
                "rating": 2,
                "reason_codes": ["no_budget"],
                "went_wrong": "No budget",
            },
            format="json",
        )
        assert response.status_code == 201, response.json()
        assert response.json()["author"] == "dan"
        listed = client.get(f"/api/v1/feedback/?lead={lead.pk}").json()
        assert [row["rating"] for row in listed["results"]] == [2]

    def test_the_same_rules_apply(self, cast, lead):
        # marketing may not rate, unknown reason codes are refused, Mallory cannot see the lead
        assert (
            api(cast.bob)
            .post("/api/v1/feedback/", {"lead": lead.pk, "rating": 3}, format="json")
            .status_code
            == 400
        )
        bad = api(cast.dan).post(
            "/api/v1/feedback/",
            {"lead": lead.pk, "rating": 3, "reason_codes": ["nope"]},
            format="json",
        )
        assert bad.status_code == 400 and "reason_codes" in bad.json()
        assert (
            api(cast.mallory)
            .post("/api/v1/feedback/", {"lead": lead.pk, "rating": 3}, format="json")
            .status_code
            == 400
        )
        assert api(cast.mallory).get("/api/v1/feedback/").json()["count"] == 0
        assert (
            api(cast.dan, scope="read")
            .post("/api/v1/feedback/", {"lead": lead.pk, "rating": 3}, format="json")
            .status_code
            == 403
        )
        assert not Feedback.objects.exists()

    def test_the_author_updates_within_24_hours_only(self, cast, lead):
        with time_machine.travel(T0, tick=False):
            entry = feedback_create(lead=lead, author=cast.dan, rating=2)
        client = api(cast.dan)
        with time_machine.travel(T0 + dt.timedelta(hours=2), tick=False):
            assert (
                client.patch(
                    f"/api/v1/feedback/{entry.pk}/", {"rating": 4}, format="json"
                ).status_code
                == 200
            )
        with time_machine.travel(T0 + dt.timedelta(hours=30), tick=False):
            assert (
                client.patch(
                    f"/api/v1/feedback/{entry.pk}/", {"rating": 5}, format="json"
                ).status_code
                == 400
            )
            assert (
                api(cast.carol)
                .patch(f"/api/v1/feedback/{entry.pk}/", {"rating": 5}, format="json")
                .status_code
                == 403
            )
        entry.refresh_from_db()
        assert entry.rating == 4


@pytest.mark.django_db
class TestSessionsAndActionsApi:
    def test_a_manager_schedules_through_the_api_and_a_rep_may_not(self, cast, version, lead):
        payload = {
            "agreement": version.agreement.pk,
            "period": "2025-03",
            "scheduled_for": "2025-04-02T09:00:00Z",
            "attendee_ids": [cast.alice.pk, cast.dan.pk],
            "pick": "rejected",
        }
        response = api(cast.carol).post("/api/v1/review-sessions/", payload, format="json")
        assert response.status_code == 201, response.json()
        body = response.json()
        assert body["period"] == "2025-03" and [row["lead"] for row in body["leads"]] == [lead.pk]
        assert (
            api(cast.dan).post("/api/v1/review-sessions/", payload, format="json").status_code
            == 403
        )
        bad = api(cast.carol).post(
            "/api/v1/review-sessions/", {**payload, "period": "March"}, format="json"
        )
        assert bad.status_code == 400 and "period" in bad.json()
        minutes = api(cast.carol).patch(
            f"/api/v1/review-sessions/{body['id']}/",
            {
                "summary": "Tighten the budget question",
                "status": "held",
                "attended_ids": [cast.alice.pk],
            },
            format="json",
        )
        assert minutes.status_code == 200 and minutes.json()["status"] == "held"
        assert minutes.json()["attended"] == [cast.alice.pk]
        assert (
            api(cast.dan)
            .patch(f"/api/v1/review-sessions/{body['id']}/", {"summary": "x"}, format="json")
            .status_code
            == 403
        )
        assert api(cast.mallory).get(f"/api/v1/review-sessions/{body['id']}/").status_code == 404

    def test_action_items_create_update_and_mine(self, cast, version):
        session = review_session_schedule(
            organizer=cast.carol,
            agreement=version.agreement,
            marketing_team_id=cast.marketing.pk,
            sales_team_id=cast.sales.pk,
            period=period_containing("UTC", "month", T0),
            cadence="month",
            scheduled_for=T0,
        )
        created = api(cast.carol).post(
            "/api/v1/action-items/",
            {
                "session": session.pk,
                "title": "Add budget field",
                "owner": cast.bob.pk,
                "due_date": "2025-04-01",
            },
            format="json",
        )
        assert created.status_code == 201, created.json()
        item_id = created.json()["id"]
        mine = api(cast.bob).get("/api/v1/action-items/?mine=1").json()
        assert [row["id"] for row in mine["results"]] == [item_id]
        assert (
            api(cast.bob)
            .patch(f"/api/v1/action-items/{item_id}/", {"status": "done"}, format="json")
            .status_code
            == 200
        )
        assert api(cast.bob).get("/api/v1/action-items/?mine=1").json()["count"] == 0
        assert (
            api(cast.bob)
            .patch(f"/api/v1/action-items/{item_id}/", {"due_date": "2025-09-01"}, format="json")
            .status_code
            == 403
        )
        assert (
            api(cast.dan)
            .patch(f"/api/v1/action-items/{item_id}/", {"status": "open"}, format="json")
            .status_code
            == 403
        )
        outsider = api(cast.carol).post(
            "/api/v1/action-items/",
            {
                "session": session.pk,
                "title": "x",
                "owner": cast.mallory.pk,
                "due_date": "2025-04-01",
            },
            format="json",
        )
        assert outsider.status_code == 400 and "owner" in outsider.json()
