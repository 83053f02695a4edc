"""GET /api/v1/compliance/versions/: pages, filters and ordering like every list."""

import pytest
from rest_framework.test import APIClient

from slas.tests.signing_factories import AgreementFactory, VersionFactory, marketing_sales

pytestmark = pytest.mark.django_db
URL = "/api/v1/compliance/versions/"


@pytest.fixture
def world(cast):
    ms, v2, _v3 = marketing_sales(cast)
    sc = AgreementFactory(title="Sales ⇄ CS SLA", parties=[cast.sales, cast.customer_success])
    sc_v1 = VersionFactory(agreement=sc, number=1)
    sc_v1.status, sc_v1.in_force_from = "active", v2.in_force_from
    sc_v1.save(update_fields=["status", "in_force_from"])
    return ms, v2, sc, sc_v1


def versions(client, query=""):
    response = client.get(f"{URL}{query}")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert {"count", "next", "previous", "results"} <= set(body)
    return [row["version"]["id"] for row in body["results"]]


def test_the_compliance_list_filters_by_agreement_among_what_you_see(cast, world):
    ms, v2, sc, sc_v1 = world
    carol, alice = APIClient(), APIClient()
    carol.force_authenticate(cast.carol)
    alice.force_authenticate(cast.alice)
    assert versions(carol) == [v2.pk, sc_v1.pk]
    assert versions(carol, f"?agreement={sc.pk}") == [sc_v1.pk]
    assert versions(carol, "?ordering=-id") == [sc_v1.pk, v2.pk]
    assert versions(carol, "?status=draft") == []
    assert versions(alice, f"?agreement={sc.pk}") == []  # not hers: nothing, no 403


def test_bad_compliance_list_parameters_are_400(cast, world):
    client = APIClient()
    client.force_authenticate(cast.carol)
    for query, field in (("?agreement=x", "agreement"), ("?ordering=title", "ordering")):
        response = client.get(f"{URL}{query}")
        assert response.status_code == 400
        assert field in response.json()["errors"]
