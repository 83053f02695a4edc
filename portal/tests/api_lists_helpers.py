"""Shared by the API list tests: a client for a user, the ids of a page, field error codes."""

from rest_framework.test import APIClient


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def ids(response):
    assert response.status_code == 200, response.json()
    return [row["id"] for row in response.json()["results"]]


def field_codes(response, field):
    """The codes of a 400's errors on one field (the portal's error body)."""
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "invalid" and body["detail"]
    return [error["code"] for error in body["errors"][field]]
