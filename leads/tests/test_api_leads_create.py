"""POST /api/v1/leads/: one lead through leads.services.lead_create, by a manager of
one of its teams with a write token; the portal sets owner, stage and scores."""

import pytest
from rest_framework.test import APIClient

from leads.models import Lead, LeadEvent
from portal.models import Team, TokenScope
from portal.tokens import api_token_create

pytestmark = pytest.mark.django_db
URL = "/api/v1/leads/"


def token_client(user, scope=TokenScope.WRITE):
    _token, raw = api_token_create(user=user, name="t", scope=scope)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def body(cast, **over):
    data = {
        "source": "crm",
        "external_id": "C-1",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": "ada@example.org",
        "company": "Analytical Engines",
        "job_title": "VP Sales",
        "industry": "Software",
        "company_size": "200-500",
        "lead_source": "Webinar",
        "marketing_team": cast.marketing.pk,
        "sales_team": cast.sales.pk,
    }
    data.update(over)
    return data


def codes(response, field):
    assert response.status_code == 400, response.content
    return [error["code"] for error in response.json()["errors"][field]]


def test_a_manager_creates_a_lead_and_gets_it_back_with_its_location(cast, sla):
    response = token_client(cast.alice).post(URL, body(cast), format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    lead = Lead.objects.get(source="crm", external_id="C-1")
    assert data["id"] == lead.pk and data["company"] == "Analytical Engines"
    assert data["marketing_team"] == "Marketing" and data["sales_team"] == "Sales"
    assert response["Location"].endswith(f"/api/v1/leads/{lead.pk}/")
    # a created event by Alice, as the service writes it
    created = LeadEvent.objects.get(lead=lead, kind="created")
    assert created.actor == cast.alice
    assert token_client(cast.bob).get(response["Location"]).json()["id"] == lead.pk


def test_a_qualifying_lead_is_handed_off_and_assigned_by_the_portal(cast, sla):
    response = token_client(cast.carol).post(
        URL, body(cast, attributes={"demo_requested": "yes"}), format="json"
    )
    assert response.status_code == 201, response.content
    lead = Lead.objects.get(external_id="C-1")
    assert lead.stage == "mql" and lead.owner is not None
    assert response.json()["stage"] == "mql"


def test_the_same_source_and_external_id_twice_is_a_400_with_a_code(cast, sla):
    client = token_client(cast.alice)
    assert client.post(URL, body(cast), format="json").status_code == 201
    again = client.post(URL, body(cast, first_name="Other"), format="json")
    assert codes(again, "external_id") == ["duplicate"]
    assert Lead.objects.filter(external_id="C-1").count() == 1
    # another source may use the same id
    assert client.post(URL, body(cast, source="hubspot"), format="json").status_code == 201


def test_owner_stage_and_scores_are_not_assignable(cast, sla):
    client = token_client(cast.alice)
    response = client.post(
        URL, body(cast, owner=cast.dan.pk, stage="won", fit_score=100), format="json"
    )
    assert codes(response, "owner") == ["read_only"]
    assert codes(response, "stage") == ["read_only"]
    assert codes(response, "fit_score") == ["read_only"]
    assert codes(client.post(URL, body(cast, colour="red"), format="json"), "colour") == [
        "unknown_field"
    ]
    assert not Lead.objects.exists()


def test_a_read_token_a_rep_and_an_outsider_cannot_create(cast, sla):
    assert (
        token_client(cast.alice, TokenScope.READ).post(URL, body(cast), format="json").status_code
        == 403
    )
    # who comes before what: a rep is refused even with an empty body
    assert token_client(cast.bob).post(URL, {}, format="json").status_code == 403
    assert token_client(cast.mallory).post(URL, body(cast), format="json").status_code == 403
    assert APIClient().post(URL, body(cast), format="json").status_code == 401
    assert not Lead.objects.exists()


def test_a_manager_cannot_create_for_teams_they_do_not_manage(cast, sla):
    emea = Team.objects.create(name="Sales EMEA", function="sales")
    marketing_emea = Team.objects.create(name="Marketing EMEA", function="marketing")
    # Carol manages Sales (and Customer Success), neither of these two
    response = token_client(cast.carol).post(
        URL, body(cast, marketing_team=marketing_emea.pk, sales_team=emea.pk), format="json"
    )
    assert response.status_code == 403
    assert not Lead.objects.exists()


def test_teams_must_be_a_marketing_and_a_sales_team(cast, sla):
    client = token_client(cast.carol)
    response = client.post(
        URL,
        body(cast, marketing_team=cast.customer_success.pk, sales_team=cast.marketing.pk),
        format="json",
    )
    assert codes(response, "marketing_team") == ["does_not_exist"]
    assert codes(response, "sales_team") == ["does_not_exist"]
    assert codes(client.post(URL, body(cast, sales_team=987654), format="json"), "sales_team") == [
        "does_not_exist"
    ]


def test_bad_values_are_field_errors(cast, sla):
    client = token_client(cast.alice)
    assert codes(client.post(URL, body(cast, external_id=""), format="json"), "external_id") == [
        "blank"
    ]
    assert codes(client.post(URL, body(cast, email="nope"), format="json"), "email") == ["invalid"]
    assert codes(client.post(URL, body(cast, company="x" * 256), format="json"), "company") == [
        "max_length"
    ]
    assert codes(client.post(URL, body(cast, company=7), format="json"), "company") == ["invalid"]
    nested = client.post(URL, body(cast, attributes={"visits": {"a": 1}}), format="json")
    assert codes(nested, "attributes.visits") == ["invalid"]
    huge = client.post(URL, body(cast, attributes={"visits": 10**400}), format="json")
    assert codes(huge, "attributes.visits") == ["invalid"]
    assert not Lead.objects.exists()


def test_a_formula_is_kept_inert_as_the_import_keeps_it(cast, sla):
    response = token_client(cast.alice).post(
        URL, body(cast, company='=HYPERLINK("http://x")'), format="json"
    )
    assert response.status_code == 201
    assert Lead.objects.get(external_id="C-1").company == '\'=HYPERLINK("http://x")'


def test_a_name_starting_with_a_signed_number_and_a_formula_is_kept_inert(cast, sla):
    # given a lead whose name adds a formula to a number
    name = '-1+HYPERLINK("http://x","click")'

    # when it is created through the API
    response = token_client(cast.alice).post(URL, body(cast, last_name=name), format="json")

    # then it is stored with the leading quote the imports give formulas
    assert response.status_code == 201
    assert Lead.objects.get(external_id="C-1").last_name == "'" + name
