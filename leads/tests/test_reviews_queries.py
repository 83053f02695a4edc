"""Feedback pages keep a constant number of queries as feedback rows grow (two sizes)."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from leads.reviews.services import (
    action_item_create,
    feedback_create,
    review_session_pick_leads,
    review_session_schedule,
    reviewed_lead_record,
)
from leads.tests.review_factories import agreement_in_force, rejected_lead
from slas.periods import period_containing

UTC = dt.UTC


def grow(cast, version, session, n, start):
    """n more rejected leads this month, each with two feedback entries and an action."""
    now = dt.datetime.now(UTC)
    for i in range(n):
        lead = rejected_lead(
            cast,
            version,
            start + dt.timedelta(minutes=i),
            lead_source=f"Source {i % 3}",
            industry=f"Industry {i}",
            owner=cast.dan if i % 2 else cast.sara,
            attributes={"campaign": f"c{i}"},
        )
        feedback_create(
            lead=lead, author=cast.dan, rating=1 + i % 5, reason_codes=["no_budget"], now=now
        )
        feedback_create(lead=lead, author=cast.bob, note="comment", now=now)
    review_session_pick_leads(session=session, user=cast.carol, kind="rejected")
    for reviewed in session.leads.filter(outcome=""):
        reviewed_lead_record(reviewed_lead=reviewed, user=cast.carol, outcome="bad_fit")
        action_item_create(
            session=session,
            user=cast.carol,
            title="Follow up",
            owner=cast.alice,
            due_date=dt.date(2020, 1, 1),
            reviewed_lead=reviewed,
        )


def count(client, url):
    # Warm first: the home page's compliance section recomputes stored results once after
    # data changes; the steady state is what must not grow.
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


@pytest.mark.django_db
def test_feedback_pages_query_counts_do_not_grow_with_rows(client, cast):
    # given an agreement, a session on this month and a few leads with feedback
    version = agreement_in_force(cast, since=dt.datetime.now(UTC) - dt.timedelta(days=400))
    now = dt.datetime.now(UTC)
    start = period_containing("UTC", "month", now).start + dt.timedelta(hours=1)
    session = review_session_schedule(
        organizer=cast.carol,
        agreement=version.agreement,
        marketing_team_id=cast.marketing.pk,
        sales_team_id=cast.sales.pk,
        period=period_containing("UTC", "month", now),
        cadence="month",
        scheduled_for=now + dt.timedelta(days=3),
        attendee_ids=[cast.alice.pk, cast.dan.pk],
    )
    grow(cast, version, session, 2, start)
    lead = session.leads.first().lead
    agreement = version.agreement.pk
    pages = {
        "index": reverse("reviews:index"),
        "session": session.get_absolute_url(),
        "feedback form": reverse("reviews:feedback_create", args=[lead.pk]),
        "analysis": f"{reverse('reviews:analysis')}?agreement={agreement}",
        "analysis by rep": f"{reverse('reviews:analysis')}?agreement={agreement}&by=rep",
        "analysis leads": f"{reverse('reviews:analysis_leads')}?agreement={agreement}&reason=no_budget",
        "export": f"{reverse('reviews:analysis_export')}?agreement={agreement}",
        "home": "/",
    }
    for user in (cast.alice, cast.carol):
        client.force_login(user)
        small = {name: count(client, url) for name, url in pages.items()}
        # when the data grows fivefold
        grow(cast, version, session, 8, start + dt.timedelta(hours=1))
        feedback_create(lead=lead, author=cast.dan, rating=3, now=now)
        feedback_create(lead=lead, author=cast.carol, rating=4, now=now)
        large = {name: count(client, url) for name, url in pages.items()}
        # then every page runs the same number of queries
        assert large == small
