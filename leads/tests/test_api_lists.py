"""Filters and ordering on the leads and reviews lists, and a lead's events."""

import datetime as dt

import pytest

from leads.models import Lead
from leads.reviews.models import ActionItem, ReviewedLead, ReviewSession
from leads.reviews.services import feedback_create
from leads.tests.review_factories import agreement_in_force, attempt, lead_for, move
from portal.models import Team
from portal.tests.api_lists_helpers import api, field_codes, ids

pytestmark = pytest.mark.django_db
UTC = dt.UTC
T0 = dt.datetime(2025, 3, 10, 10, tzinfo=UTC)


@pytest.fixture
def version(cast):
    return agreement_in_force(cast)


@pytest.fixture
def leads(cast, version):
    """Three Marketing-Sales leads (Dan owns two) and one of another sales team."""
    first = lead_for(cast, version, created_at=T0, fit_score=10, interest_score=5)
    second = lead_for(
        cast, version, created_at=T0 + dt.timedelta(days=1), fit_score=30, source="crm"
    )
    third = lead_for(
        cast, version, owner=cast.carol, created_at=T0 + dt.timedelta(days=2), fit_score=20
    )
    move(second, "mql", T0 + dt.timedelta(days=1, hours=1))
    other_sales = Team.objects.create(name="Sales EMEA", function="sales")
    hidden = lead_for(cast, version, owner=None, sales_team=other_sales, marketing_team=other_sales)
    return first, second, third, hidden


class TestLeadList:
    def test_filters_narrow_the_visible_leads(self, cast, leads):
        first, second, third, hidden = leads
        client = api(cast.carol)
        assert ids(client.get("/api/v1/leads/")) == [third.pk, second.pk, first.pk]
        assert ids(client.get("/api/v1/leads/?stage=mql")) == [second.pk]
        assert ids(client.get(f"/api/v1/leads/?owner={cast.dan.pk}")) == [second.pk, first.pk]
        assert ids(client.get("/api/v1/leads/?source=crm")) == [second.pk]
        assert ids(client.get(f"/api/v1/leads/?sales_team={cast.sales.pk}")) == [
            third.pk,
            second.pk,
            first.pk,
        ]
        after = (T0 + dt.timedelta(hours=12)).isoformat()
        before = (T0 + dt.timedelta(days=1, hours=12)).isoformat()
        query = {"created_after": after, "created_before": before}
        assert ids(client.get("/api/v1/leads/", query)) == [second.pk]
        assert ids(api(cast.dan).get("/api/v1/leads/?mine=true")) == [second.pk, first.pk]

    def test_a_team_you_are_not_in_filters_to_nothing(self, cast, leads):
        *_, hidden = leads
        client = api(cast.carol)
        assert ids(client.get(f"/api/v1/leads/?sales_team={hidden.sales_team_id}")) == []
        assert ids(client.get("/api/v1/leads/?sales_team=987654")) == []

    def test_leads_order_by_scores_and_creation(self, cast, leads):
        first, second, third, _ = leads
        client = api(cast.carol)
        assert ids(client.get("/api/v1/leads/?ordering=-fit_score")) == [
            second.pk,
            third.pk,
            first.pk,
        ]
        assert ids(client.get("/api/v1/leads/?ordering=created_at")) == [
            first.pk,
            second.pk,
            third.pk,
        ]

    @pytest.mark.parametrize(
        "query,field,code",
        [
            ("stage=heaven", "stage", "invalid_choice"),
            ("owner=dan", "owner", "invalid"),
            ("owner=", "owner", "blank"),
            ("mine=yes", "mine", "invalid_choice"),
            ("created_after=last+week", "created_after", "invalid"),
            ("ordering=email", "ordering", "invalid_choice"),
            ("ordering=-deadline", "ordering", "invalid_choice"),
        ],
    )
    def test_bad_values_are_refused(self, cast, leads, query, field, code):
        assert field_codes(api(cast.carol).get(f"/api/v1/leads/?{query}"), field) == [code]


class TestLeadEvents:
    def test_the_events_come_oldest_first_and_filter_by_kind(self, cast, leads):
        _first, second, *_ = leads
        attempt(second, T0 + dt.timedelta(days=1, hours=3), actor=cast.dan)
        move(second, "sal", T0 + dt.timedelta(days=1, hours=2), actor=cast.dan)
        url = f"/api/v1/leads/{second.pk}/events/"
        body = api(cast.bob).get(url).json()
        assert [e["kind"] for e in body["results"]] == [
            "stage_changed",
            "stage_changed",
            "contact_attempt",
        ]
        assert [e["to_stage"] for e in body["results"][:2]] == ["mql", "sal"]
        assert body["results"][2]["actor"] == "dan"
        assert [
            e["kind"] for e in api(cast.bob).get(f"{url}?kind=contact_attempt").json()["results"]
        ] == ["contact_attempt"]
        newest = api(cast.bob).get(f"{url}?ordering=-occurred_at").json()["results"]
        assert newest[0]["kind"] == "contact_attempt"
        after = (T0 + dt.timedelta(days=1, hours=1, minutes=30)).isoformat()
        assert len(ids(api(cast.bob).get(url, {"occurred_after": after}))) == 2

    def test_events_of_a_lead_you_cannot_see_are_404(self, cast, leads):
        *_, hidden = leads
        assert api(cast.carol).get(f"/api/v1/leads/{hidden.pk}/events/").status_code == 404
        assert api(cast.mallory).get(f"/api/v1/leads/{leads[0].pk}/events/").status_code == 404
        assert api(cast.carol).get("/api/v1/leads/987654/events/").status_code == 404

    def test_bad_event_filters_are_refused(self, cast, leads):
        url = f"/api/v1/leads/{leads[1].pk}/events/"
        assert field_codes(api(cast.carol).get(f"{url}?kind=teleport"), "kind") == [
            "invalid_choice"
        ]
        assert field_codes(api(cast.carol).get(f"{url}?ordering=note"), "ordering") == [
            "invalid_choice"
        ]


@pytest.fixture
def reviews(cast, version, leads):
    first, second, third, _ = leads
    fb_dan = feedback_create(lead=first, author=cast.dan, rating=2, note="weak")
    fb_carol = feedback_create(lead=second, author=cast.carol, rating=4, note="good")
    session = ReviewSession.objects.create(
        title="March review",
        agreement=version.agreement,
        marketing_team=cast.marketing,
        sales_team=cast.sales,
        period_label="2025-03",
        period_start=T0 - dt.timedelta(days=9),
        period_end=T0 + dt.timedelta(days=21),
        scheduled_for=T0 + dt.timedelta(days=22),
        organizer=cast.alice,
    )
    held = ReviewSession.objects.create(
        title="February review",
        agreement=version.agreement,
        marketing_team=cast.marketing,
        sales_team=cast.sales,
        period_label="2025-02",
        period_start=T0 - dt.timedelta(days=37),
        period_end=T0 - dt.timedelta(days=9),
        scheduled_for=T0 - dt.timedelta(days=8),
        organizer=cast.carol,
        status="held",
    )
    on_first = ReviewedLead.objects.create(session=session, lead=first, outcome="bad_fit")
    on_second = ReviewedLead.objects.create(session=session, lead=second, position=1)
    item_dan = ActionItem.objects.create(
        session=session,
        title="Call back",
        owner=cast.dan,
        due_date=dt.date(2025, 4, 1),
        created_by=cast.alice,
    )
    item_bob = ActionItem.objects.create(
        session=held,
        title="Fix the form",
        owner=cast.bob,
        due_date=dt.date(2025, 3, 1),
        status="done",
        done_at=T0,
        created_by=cast.alice,
    )
    return {
        "fb_dan": fb_dan,
        "fb_carol": fb_carol,
        "session": session,
        "held": held,
        "on_first": on_first,
        "on_second": on_second,
        "item_dan": item_dan,
        "item_bob": item_bob,
    }


class TestReviewLists:
    def test_feedback_filters_by_lead_author_and_rating(self, cast, leads, reviews):
        client = api(cast.carol)
        assert ids(client.get(f"/api/v1/feedback/?lead={leads[0].pk}")) == [reviews["fb_dan"].pk]
        assert ids(client.get(f"/api/v1/feedback/?author={cast.carol.pk}")) == [
            reviews["fb_carol"].pk
        ]
        assert ids(client.get("/api/v1/feedback/?rating=2")) == [reviews["fb_dan"].pk]
        assert ids(client.get("/api/v1/feedback/?ordering=rating")) == [
            reviews["fb_dan"].pk,
            reviews["fb_carol"].pk,
        ]
        assert field_codes(client.get("/api/v1/feedback/?rating=9"), "rating") == ["invalid_choice"]
        assert field_codes(client.get("/api/v1/feedback/?lead=abc"), "lead") == ["invalid"]
        # Mallory sees no feedback, whichever lead she names
        assert ids(api(cast.mallory).get(f"/api/v1/feedback/?lead={leads[0].pk}")) == []

    def test_review_sessions_filter_by_status_and_time(self, cast, version, reviews):
        client = api(cast.bob)
        assert ids(client.get("/api/v1/review-sessions/?status=held")) == [reviews["held"].pk]
        assert ids(client.get(f"/api/v1/review-sessions/?organizer={cast.alice.pk}")) == [
            reviews["session"].pk
        ]
        assert ids(client.get("/api/v1/review-sessions/", {"scheduled_after": T0.isoformat()})) == [
            reviews["session"].pk
        ]
        assert ids(client.get("/api/v1/review-sessions/?ordering=scheduled_for")) == [
            reviews["held"].pk,
            reviews["session"].pk,
        ]
        assert (
            ids(api(cast.mallory).get(f"/api/v1/review-sessions/?agreement={version.agreement_id}"))
            == []
        )
        assert field_codes(client.get("/api/v1/review-sessions/?status=cancelled"), "status") == [
            "invalid_choice"
        ]

    def test_reviewed_leads_filter_by_session_lead_and_outcome(self, cast, leads, reviews):
        client = api(cast.carol)
        session = reviews["session"]
        assert ids(client.get(f"/api/v1/reviewed-leads/?session={session.pk}")) == [
            reviews["on_first"].pk,
            reviews["on_second"].pk,
        ]
        assert ids(client.get("/api/v1/reviewed-leads/?outcome=bad_fit")) == [
            reviews["on_first"].pk
        ]
        assert ids(client.get(f"/api/v1/reviewed-leads/?lead={leads[1].pk}")) == [
            reviews["on_second"].pk
        ]
        assert ids(client.get("/api/v1/reviewed-leads/?ordering=-position")) == [
            reviews["on_second"].pk,
            reviews["on_first"].pk,
        ]
        assert field_codes(client.get("/api/v1/reviewed-leads/?session=x"), "session") == [
            "invalid"
        ]

    def test_action_items_filter_by_status_owner_and_due_date(self, cast, reviews):
        client = api(cast.alice)
        dan, bob = reviews["item_dan"].pk, reviews["item_bob"].pk
        assert ids(client.get("/api/v1/action-items/")) == [bob, dan]  # by due date
        assert ids(client.get("/api/v1/action-items/?status=open")) == [dan]
        assert ids(client.get(f"/api/v1/action-items/?owner={cast.bob.pk}")) == [bob]
        assert ids(client.get("/api/v1/action-items/?due_before=2025-03-15")) == [bob]
        assert ids(client.get("/api/v1/action-items/?due_after=2025-03-15")) == [dan]
        assert ids(client.get("/api/v1/action-items/?ordering=-due_date")) == [dan, bob]
        assert ids(api(cast.dan).get("/api/v1/action-items/?mine=1")) == [dan]
        assert ids(api(cast.bob).get("/api/v1/action-items/?mine=1")) == []  # his is done
        assert field_codes(client.get("/api/v1/action-items/?due_after=soon"), "due_after") == [
            "invalid"
        ]
        assert field_codes(client.get("/api/v1/action-items/?ordering=title"), "ordering") == [
            "invalid_choice"
        ]
        assert ids(api(cast.mallory).get(f"/api/v1/action-items/?owner={cast.dan.pk}")) == []


def test_a_lead_list_page_is_not_padded_by_the_filters(cast, version):
    for _ in range(3):
        lead_for(cast, version, created_at=T0)
    response = api(cast.carol).get("/api/v1/leads/?ordering=created_at")
    # equal created_at: the id breaks the tie, ascending like the ordering asked
    rows = ids(response)
    assert rows == sorted(rows)
    assert Lead.objects.count() == 3
