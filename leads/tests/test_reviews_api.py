"""The feedback API: same services, same rules, tokens honoured."""

import datetime as dt

import pytest
import time_machine
from rest_framework.test import APIClient

from leads.reviews.models import Feedback, ReviewedLead
from leads.reviews.services import (
    feedback_create,
    review_session_pick_leads,
    review_session_schedule,
)
from leads.tests.review_factories import agreement_in_force, rejected_lead
from portal.tokens import api_token_create
from slas.periods import period_containing

UTC = dt.UTC
T0 = dt.datetime(2025, 3, 10, 10, tzinfo=UTC)


@pytest.fixture
def version(cast):
    return agreement_in_force(cast)


@pytest.fixture
def lead(cast, version):
    return rejected_lead(cast, version, T0)


def schedule(cast, version):
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


def messages(response, field: str) -> list[str]:
    """The messages of one field in a 400, whichever error body shape the API uses."""
    body = response.json()
    errors = body.get("errors", body)
    return [item["message"] if isinstance(item, dict) else item for item in errors.get(field, [])]


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
        assert bad.status_code == 400 and messages(bad, "reason_codes")
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
        assert bad.status_code == 400 and messages(bad, "period")
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
        assert outsider.status_code == 400 and messages(outsider, "owner")


@pytest.mark.django_db
class TestReviewedLeadsApi:
    @pytest.fixture
    def reviewed(self, cast, version, lead):
        session = schedule(cast, version)
        review_session_pick_leads(session=session, user=cast.carol, kind="rejected")
        return session.leads.get()

    def test_a_manager_records_the_outcome_and_note_of_a_reviewed_lead(self, cast, reviewed):
        # given a lead on Carol's agenda
        # when Alice (a manager of the other party) records what the session decided
        response = api(cast.alice).patch(
            f"/api/v1/reviewed-leads/{reviewed.pk}/",
            {"outcome": "bad_fit", "note": "  A student, not a buyer "},
            format="json",
        )
        # then it is saved as on the page, with who decided
        assert response.status_code == 200, response.json()
        body = response.json()
        assert (body["outcome"], body["note"], body["decided_by"]) == (
            "bad_fit",
            "A student, not a buyer",
            cast.alice.pk,
        )
        # and a later change of the note alone keeps the outcome
        again = api(cast.carol).patch(
            f"/api/v1/reviewed-leads/{reviewed.pk}/", {"note": "Student"}, format="json"
        )
        assert again.status_code == 200 and again.json()["outcome"] == "bad_fit"
        session_view = api(cast.dan).get(f"/api/v1/review-sessions/{reviewed.session_id}/")
        assert [row["outcome"] for row in session_view.json()["leads"]] == ["bad_fit"]

    def test_an_outcome_outside_the_list_or_missing_is_refused(self, cast, reviewed):
        # given the lead has no outcome yet
        client = api(cast.carol)
        url = f"/api/v1/reviewed-leads/{reviewed.pk}/"
        # when the outcome is unknown, blank, or a note comes without one
        unknown = client.patch(url, {"outcome": "meh"}, format="json")
        blank = client.patch(url, {"outcome": ""}, format="json")
        note_only = client.patch(url, {"note": "hm"}, format="json")
        # then each is a 400 on the outcome and nothing is recorded
        for response in (unknown, blank, note_only):
            assert response.status_code == 400 and messages(response, "outcome")
        reviewed.refresh_from_db()
        assert (reviewed.outcome, reviewed.note) == ("", "")

    def test_a_rep_may_read_but_not_decide_and_mallory_sees_nothing(self, cast, reviewed):
        url = f"/api/v1/reviewed-leads/{reviewed.pk}/"
        # given Dan is invited (he sees the session) and Mallory is in neither team
        assert api(cast.dan).get(url).status_code == 200
        # when they try to decide or remove, then Dan is refused and Mallory finds nothing
        assert api(cast.dan).patch(url, {"outcome": "meh"}, format="json").status_code == 403
        assert api(cast.dan).delete(url).status_code == 403
        assert api(cast.mallory).get(url).status_code == 404
        assert api(cast.mallory).delete(url).status_code == 404
        assert api(cast.carol, scope="read").delete(url).status_code == 403
        assert ReviewedLead.objects.filter(pk=reviewed.pk).exists()

    def test_a_manager_takes_a_lead_off_the_agenda(self, cast, reviewed):
        # when Carol removes the lead
        response = api(cast.carol).delete(f"/api/v1/reviewed-leads/{reviewed.pk}/")
        # then it is gone from the agenda
        assert response.status_code == 204
        assert not ReviewedLead.objects.filter(pk=reviewed.pk).exists()

    def test_the_agenda_lists_by_session(self, cast, version, reviewed):
        # given another session without leads
        other = schedule(cast, version)
        client = api(cast.carol)
        # when listing the agenda of each
        mine = client.get(f"/api/v1/reviewed-leads/?session={reviewed.session_id}").json()
        empty = client.get(f"/api/v1/reviewed-leads/?session={other.pk}").json()
        # then only that session's leads come back
        assert [row["id"] for row in mine["results"]] == [reviewed.pk]
        assert empty["count"] == 0
        assert api(cast.mallory).get("/api/v1/reviewed-leads/").json()["count"] == 0


@pytest.mark.django_db
class TestPickFiltersApi:
    @pytest.fixture
    def three_leads(self, cast, version):
        return {
            "dan webinar": rejected_lead(cast, version, T0, lead_source="Webinar"),
            "dan fair": rejected_lead(cast, version, T0, lead_source="Trade show"),
            "sara webinar": rejected_lead(
                cast, version, T0, lead_source="Webinar", owner=cast.sara
            ),
        }

    def picked(self, response):
        assert response.status_code in (200, 201), response.json()
        return {row["lead"] for row in response.json()["leads"]}

    def test_pick_narrows_by_source_and_by_rep_as_on_the_page(self, cast, version, three_leads):
        # given three rejected March leads of two sources and two reps
        session = schedule(cast, version)
        client = api(cast.carol)
        url = f"/api/v1/review-sessions/{session.pk}/"
        # when Carol picks the rejected ones from the trade show, then Sara's
        by_source = client.patch(
            url, {"pick": "rejected", "lead_source": "Trade show"}, format="json"
        )
        assert self.picked(by_source) == {three_leads["dan fair"].pk}
        by_rep = client.patch(url, {"pick": "rejected", "owner": cast.sara.pk}, format="json")
        # then each pick adds only the matching leads
        assert self.picked(by_rep) == {three_leads["dan fair"].pk, three_leads["sara webinar"].pk}

    def test_scheduling_picks_with_the_filters_too(self, cast, version, three_leads):
        response = api(cast.carol).post(
            "/api/v1/review-sessions/",
            {
                "agreement": version.agreement.pk,
                "period": "2025-03",
                "scheduled_for": "2025-04-02T09:00:00Z",
                "pick": "rejected",
                "lead_source": "Webinar",
                "owner": cast.dan.pk,
            },
            format="json",
        )
        assert self.picked(response) == {three_leads["dan webinar"].pk}

    def test_a_rep_outside_the_sales_team_or_a_filter_without_pick_is_a_400(
        self, cast, version, three_leads
    ):
        session = schedule(cast, version)
        client = api(cast.carol)
        url = f"/api/v1/review-sessions/{session.pk}/"
        # when the rep is Bob (marketing), an unknown id, or there is nothing to pick
        for owner in (cast.bob.pk, 987654):
            response = client.patch(url, {"pick": "rejected", "owner": owner}, format="json")
            # then the answer is the same 400 on the rep
            assert response.status_code == 400
            assert messages(response, "owner") == [
                "Pick a rep or manager of the sales team under review."
            ]
        no_pick = client.patch(url, {"lead_source": "Webinar"}, format="json")
        assert no_pick.status_code == 400 and messages(no_pick, "pick")
        assert not session.leads.exists()
        count_before = session.__class__.objects.count()
        refused = client.post(
            "/api/v1/review-sessions/",
            {
                "agreement": version.agreement.pk,
                "period": "2025-03",
                "scheduled_for": "2025-04-02T09:00:00Z",
                "pick": "rejected",
                "owner": cast.bob.pk,
            },
            format="json",
        )
        assert refused.status_code == 400 and messages(refused, "owner")
        assert session.__class__.objects.count() == count_before


@pytest.mark.django_db
class TestActionItemOwnerApi:
    def test_an_owner_outside_the_party_teams_gets_one_answer_whether_or_not_it_exists(
        self, cast, version
    ):
        # given a session of Marketing and Sales
        session = schedule(cast, version)
        client = api(cast.carol)

        def create(owner):
            return client.post(
                "/api/v1/action-items/",
                {"session": session.pk, "title": "x", "owner": owner, "due_date": "2025-04-01"},
                format="json",
            )

        # when the owner is Mallory (exists, other team) or an id nobody has
        mallory, nobody = create(cast.mallory.pk), create(987654)
        # then both get the same 400, so ids outside the teams say nothing
        assert mallory.status_code == nobody.status_code == 400
        assert mallory.json() == nobody.json()
        assert messages(mallory, "owner") == ["The owner must be a member of one of the two teams."]
        # and a member of either team is accepted, read back as an id
        ok = create(cast.sara.pk)
        assert ok.status_code == 201 and ok.json()["owner"] == cast.sara.pk
