import pytest
from rest_framework.test import APIClient

from portal.notifications import notification_create
from portal.tokens import api_token_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    return APIClient()


def test_a_user_lists_only_their_own_notifications_and_marks_them_read(api, cast):
    # given one notification for Dan and one for Sara
    mine = notification_create(
        recipient=cast.dan, kind="lead_at_risk", title="Lead at risk", dedupe_key="a", email=False
    )
    notification_create(
        recipient=cast.sara, kind="lead_at_risk", title="Not Dan's", dedupe_key="b", email=False
    )
    api.force_authenticate(cast.dan)
    # when Dan lists his unread notifications
    listed = api.get("/api/v1/notifications/?unread=1").json()["results"]
    # then he sees his own only
    assert [n["title"] for n in listed] == ["Lead at risk"]
    assert api.get(f"/api/v1/notifications/{mine.pk + 1}/").status_code == 404
    # and marking it read empties the unread list
    assert api.post(f"/api/v1/notifications/{mine.pk}/read/").json()["unread"] is False
    assert api.get("/api/v1/notifications/?unread=1").json()["results"] == []


def test_mark_all_read_needs_a_write_token(api, cast):
    notification_create(
        recipient=cast.dan, kind="lead_at_risk", title="T", dedupe_key="c", email=False
    )
    _, read_only = api_token_create(user=cast.dan, name="ro", scope="read")
    assert (
        api.post(
            "/api/v1/notifications/read-all/", HTTP_AUTHORIZATION=f"Bearer {read_only}"
        ).status_code
        == 403
    )
    _, writer = api_token_create(user=cast.dan, name="rw", scope="write")
    response = api.post("/api/v1/notifications/read-all/", HTTP_AUTHORIZATION=f"Bearer {writer}")
    assert response.json() == {"marked_read": 1}


def test_anonymous_requests_are_refused(api):
    assert api.get("/api/v1/notifications/").status_code in (401, 403)
