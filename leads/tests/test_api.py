"""The bulk events endpoint and lead actions through the API."""

import datetime as dt
import json

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from leads.models import Lead, LeadEvent
from portal.models import TokenScope
from portal.tokens import api_token_create

URL = "/api/v1/leads/events/bulk/"


def row(i, **over):
    base = {
        "source": "crm",
        "event_id": f"e{i}",
        "lead_external_id": f"L{i % 3}",
        "kind": "created",
        "occurred_at": "2026-03-02T16:30:00+01:00",
        "email": f"p{i}@example.org",
        "job_title": "Engineer",
    }
    base.update(over)
    return base


@pytest.fixture
def api(cast, sla):
    _token, raw = api_token_create(user=cast.alice, name="crm", scope=TokenScope.WRITE)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


@pytest.mark.django_db
def test_the_bulk_endpoint_stores_valid_items_and_reports_each_failure(api):
    items = [
        row(0),
        row(1, kind="teleport"),
        row(2, occurred_at="yesterday"),
        row(3, actor_email="ghost@example.com"),
        row(4, kind="note", note='=HYPERLINK("http://x")'),
        "not an object",
        row(6, company="x" * 100_000),
        row(7, kind="stage_changed", to_stage="heaven"),
        {},
    ]
    response = api.post(URL, items, format="json")
    assert response.status_code == 200
    data = response.json()
    assert (data["created"], data["duplicates"], data["failed"]) == (2, 0, 7)
    by_index = {f["index"]: f for f in data["failures"]}
    assert set(by_index) == {1, 2, 3, 5, 6, 7, 8}
    assert by_index[1]["column"] == "kind" and "teleport" in by_index[1]["message"]
    assert by_index[2]["column"] == "occurred_at"
    assert "not a portal user" in by_index[3]["message"]
    assert "limit is 255" in by_index[6]["message"]
    assert "heaven" in by_index[7]["message"]
    # the formula was kept, neutralised
    assert LeadEvent.objects.get(source_event_id="e4").note.startswith("'=HYPERLINK")


@pytest.mark.django_db
def test_bulk_items_with_nul_or_a_lone_surrogate_are_stored_cleaned(api):
    items = [
        row(0, kind="note", note="before\x00after"),
        row(1, kind="note", note="broken \ud800 pair"),
        row(2, kind="note", note=12345),  # a number where text is expected: kept as text
    ]
    body = json.dumps(items)  # escapes the surrogate as \ud800, which JSON allows
    response = api.post(URL, body, content_type="application/json")
    assert response.status_code == 200, response.content
    assert response.json()["created"] == 3
    notes = dict(LeadEvent.objects.values_list("source_event_id", "note"))
    assert notes["e0"] == "beforeafter"
    assert notes["e1"] == "broken ? pair"
    assert notes["e2"] == "12345"


@pytest.mark.django_db
def test_the_same_bulk_request_twice_stores_once(api):
    items = [row(i) for i in range(6)]
    first = api.post(URL, items, format="json").json()
    second = api.post(URL, items, format="json").json()
    assert (first["created"], first["duplicates"]) == (6, 0)
    assert (second["created"], second["duplicates"], second["failed"]) == (0, 6, 0)
    assert Lead.objects.count() == 3


@pytest.mark.django_db
def test_the_bulk_endpoint_refuses_more_than_ten_thousand_and_non_arrays(api):
    assert api.post(URL, [row(0)] * 10_001, format="json").status_code == 400
    assert api.post(URL, {"nope": 1}, format="json").status_code == 400


@pytest.mark.django_db
def test_the_bulk_endpoint_needs_a_write_token_of_a_team_manager(cast, sla):
    client = APIClient()
    assert client.post(URL, [row(0)], format="json").status_code in (401, 403)
    _t, read = api_token_create(user=cast.alice, name="ro", scope=TokenScope.READ)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {read}")
    assert client.post(URL, [row(0)], format="json").status_code == 403
    _t, rep = api_token_create(user=cast.bob, name="rep", scope=TokenScope.WRITE)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {rep}")
    assert client.post(URL, [row(0)], format="json").status_code == 403
    assert not LeadEvent.objects.exists()


@pytest.mark.django_db
def test_a_lead_created_through_the_api_with_a_demo_request_is_handed_off(api, cast):
    item = row(0, job_title="VP Sales", industry="Software", attributes={"demo_requested": "yes"})
    api.post(URL, [item], format="json")
    lead = Lead.objects.get(external_id="L0")
    assert lead.stage == "mql" and lead.owner is not None


@pytest.mark.django_db
def test_api_actions_follow_the_lifecycle_rules(cast, sla):
    api_post = APIClient()
    api_post.credentials(
        HTTP_AUTHORIZATION="Bearer "
        + api_token_create(user=cast.dan, name="d", scope=TokenScope.WRITE)[1]
    )
    admin = APIClient()
    admin.credentials(
        HTTP_AUTHORIZATION="Bearer "
        + api_token_create(user=cast.alice, name="a", scope=TokenScope.WRITE)[1]
    )
    admin.post(
        URL,
        [
            row(
                0,
                kind="stage_changed",
                to_stage="mql",
                occurred_at=dt.datetime.now(dt.UTC).isoformat(),
            ),
            row(
                1,
                lead_external_id="L0",
                kind="owner_changed",
                outcome="dan@example.com",
                occurred_at=dt.datetime.now(dt.UTC).isoformat(),
            ),
        ],
        format="json",
    )
    lead = Lead.objects.get(external_id="L0")
    url = reverse("api-lead-actions", args=[lead.pk])
    refused = api_post.post(url, {"action": "move", "to_stage": "won"}, format="json")
    assert refused.status_code == 400 and "cannot move" in refused.json()["detail"]
    ok = api_post.post(url, {"action": "contact_attempt", "channel": "phone"}, format="json")
    assert ok.status_code == 201
    assert api_post.get(reverse("api-lead-detail", args=[lead.pk])).json()["stage"] == "mql"
