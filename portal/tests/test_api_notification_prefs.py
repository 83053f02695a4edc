"""GET/PUT/PATCH /api/v1/notifications/preferences/: your email choice per kind."""

import pytest
from rest_framework.test import APIClient

from portal.models import NotificationPreference, TokenScope
from portal.notifications import PREFERENCE_KINDS, email_delivery_for
from portal.tokens import api_token_create

pytestmark = pytest.mark.django_db
URL = "/api/v1/notifications/preferences/"


def token_client(user, scope=TokenScope.WRITE):
    _token, raw = api_token_create(user=user, name="t", scope=scope)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def codes(response, field):
    assert response.status_code == 400, response.content
    return [error["code"] for error in response.json()["errors"][field]]


def test_every_kind_that_may_email_is_listed_with_its_default(cast):
    data = token_client(cast.dan, TokenScope.READ).get(URL).json()
    assert data == {kind.code: kind.email_default for kind in PREFERENCE_KINDS}
    assert "signing.signed" not in data  # shown in the portal only


def test_patch_changes_the_kinds_it_names_and_nothing_else(cast):
    client = token_client(cast.dan)
    response = client.patch(
        URL, {"lead_assigned": "digest", "signing.reminder": "off"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["lead_assigned"] == "digest"
    assert email_delivery_for(cast.dan, "lead_assigned") == "digest"
    assert email_delivery_for(cast.dan, "signing.reminder") == "off"
    assert NotificationPreference.objects.filter(user=cast.dan).count() == 2
    # somebody else's are untouched
    assert not NotificationPreference.objects.filter(user=cast.carol).exists()


def test_put_needs_every_kind(cast):
    client = token_client(cast.dan)
    assert codes(client.put(URL, {"lead_assigned": "off"}, format="json"), "lead_at_risk") == [
        "required"
    ]
    everything = {kind.code: "off" for kind in PREFERENCE_KINDS}
    response = client.put(URL, everything, format="json")
    assert response.status_code == 200 and set(response.json().values()) == {"off"}


def test_unknown_kinds_and_choices_are_refused_with_codes(cast):
    client = token_client(cast.dan)
    assert codes(
        client.patch(URL, {"lead_teleported": "off"}, format="json"), "lead_teleported"
    ) == ["unknown_kind"]
    assert codes(client.patch(URL, {"signing.signed": "off"}, format="json"), "signing.signed") == [
        "unknown_kind"
    ]
    assert codes(
        client.patch(URL, {"lead_assigned": "weekly"}, format="json"), "lead_assigned"
    ) == ["invalid_choice"]
    assert codes(client.patch(URL, ["lead_assigned"], format="json"), "non_field_errors") == [
        "invalid"
    ]
    assert not NotificationPreference.objects.exists()


def test_a_read_token_cannot_change_preferences_and_anonymous_cannot_read(cast):
    response = token_client(cast.dan, TokenScope.READ).patch(
        URL, {"lead_assigned": "off"}, format="json"
    )
    assert response.status_code == 403
    assert APIClient().get(URL).status_code == 401
    assert not NotificationPreference.objects.exists()
