"""Who an agreement may be started with: one rule (`permissions.agreement_party_teams`),
asked by the page and the API alike (issue 17: the API answered 201 to
`{"parties": [3, 1]}`, a team Alice cannot see, which the page never offers her)."""

import pytest

from portal import permissions
from portal.models import Membership, Role, Team, TeamFunction
from slas.models import Agreement

pytestmark = pytest.mark.django_db

JSON = "application/json"


@pytest.fixture
def operations(cast):
    """A team of function "other" that Carol manages: the page does not offer it."""
    team = Team.objects.create(name="Operations", function=TeamFunction.OTHER)
    Membership.objects.create(user=cast.carol, team=team, role=Role.MANAGER)
    return team


def test_the_api_refuses_a_party_the_manager_cannot_see(client, cast):
    # given Alice, who manages Marketing and cannot see Customer Success
    client.force_login(cast.alice)
    # when she starts an agreement between Customer Success and Marketing
    response = client.post(
        "/api/v1/agreements/",
        {"title": "Forged", "parties": [cast.customer_success.pk, cast.marketing.pk]},
        content_type=JSON,
    )
    # then it is refused as an id that does not exist would be, and nothing is stored
    assert response.status_code == 400, response.content
    (error,) = response.json()["errors"]["parties"]
    assert error["code"] == "does_not_exist"
    assert not Agreement.objects.filter(title="Forged").exists()


def test_the_api_refuses_a_party_whose_function_the_page_does_not_offer(client, cast, operations):
    # given Carol, who manages Sales and Operations (function "other")
    client.force_login(cast.carol)
    # when she starts an agreement between Sales and Operations
    response = client.post(
        "/api/v1/agreements/",
        {"title": "Ops", "parties": [cast.sales.pk, operations.pk]},
        content_type=JSON,
    )
    # then it is refused, as the page would
    assert response.status_code == 400, response.content
    assert response.json()["errors"]["parties"][0]["code"] == "does_not_exist"
    assert not Agreement.objects.filter(title="Ops").exists()


def test_the_api_accepts_what_the_page_offers(client, cast):
    client.force_login(cast.carol)
    response = client.post(
        "/api/v1/agreements/",
        {"title": "Handover", "parties": [cast.sales.pk, cast.customer_success.pk]},
        content_type=JSON,
    )
    assert response.status_code == 201, response.content
    assert {p["name"] for p in response.json()["parties"]} == {"Sales", "Customer Success"}


@pytest.mark.parametrize("who", ["alice", "carol", "admin"])
def test_the_page_offers_exactly_the_teams_of_the_rule(client, cast, operations, who):
    # given a manager (or staff) on the page that starts an agreement
    user = getattr(cast, who)
    client.force_login(user)
    # when the form is shown
    form = client.get("/agreements/new/").context["form"]
    # then its choices are the rule's, which leaves out teams of function "other"
    offered = set(form.fields["parties"].queryset)
    assert offered == set(permissions.agreement_party_teams(user))
    assert operations not in offered
