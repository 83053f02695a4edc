"""The list conventions of portal/api/lists.py, on the notifications list."""

import datetime as dt

import pytest
from rest_framework.test import APIClient

from portal.models import Notification
from portal.notifications import notification_create
from portal.tests.api_lists_helpers import ids

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(cast):
    client = APIClient()
    client.force_authenticate(cast.dan)
    return client


@pytest.fixture
def notes(cast):
    made = [
        notification_create(recipient=cast.dan, kind=kind, title=kind, dedupe_key=kind, email=False)
        for kind in ("lead_assigned", "lead_at_risk", "lead_breached")
    ]
    long_ago = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    Notification.objects.filter(pk=made[0].pk).update(created_at=long_ago)
    return made


def test_notifications_filter_by_creation_time(client, notes):
    assert ids(client.get("/api/v1/notifications/?created_before=2025-06-01T00:00:00Z")) == [
        notes[0].pk
    ]
    # an offset PostgreSQL would refuse is still a valid instant
    assert (
        len(
            ids(
                client.get("/api/v1/notifications/", {"created_after": "2025-06-01T00:00:00+18:14"})
            )
        )
        == 2
    )


def test_ordering_by_a_named_field_and_ties_broken_by_id(client, notes):
    assert ids(client.get("/api/v1/notifications/?ordering=-kind")) == [
        notes[2].pk,
        notes[1].pk,
        notes[0].pk,
    ]
    assert ids(client.get("/api/v1/notifications/?ordering=-created_at"))[-1] == notes[0].pk


@pytest.mark.parametrize("value", ["title", "-body", "kind,read_at", "created_at,", ""])
def test_ordering_by_an_undeclared_field_or_nothing_is_a_400(client, notes, value):
    response = client.get("/api/v1/notifications/", {"ordering": value})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert [e["code"] for e in body["errors"]["ordering"]] in (["invalid_choice"], ["blank"])


def test_an_instant_out_of_range_once_in_utc_is_a_400(client, notes):
    response = client.get("/api/v1/notifications/", {"created_after": "0001-01-01T00:00:00+05:00"})
    assert response.status_code == 400
    assert response.json()["errors"]["created_after"][0]["code"] == "invalid"


def test_a_page_size_can_be_asked_up_to_the_largest(client, notes):
    """Seen: ?page_size=20 was ignored (every list answered 50 a page)."""
    body = client.get("/api/v1/notifications/?page_size=2").json()
    assert len(body["results"]) == 2 and body["count"] == 3
    assert "page_size=2" in body["next"]
    assert len(client.get("/api/v1/notifications/?page_size=1000").json()["results"]) == 3


@pytest.mark.parametrize("value", ["", "0", "-1", "two"])
def test_a_page_size_that_is_not_a_whole_number_above_zero_is_a_400(client, notes, value):
    response = client.get(f"/api/v1/notifications/?page_size={value}")
    assert response.status_code == 400
    assert "page_size" in response.json()["errors"] or "page_size" in str(response.json())
