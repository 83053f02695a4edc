"""Ingest writes only the leads of the team pair it names (docs/security.md#who-can-write-what).

Issue 17, section 1: as Alice (Marketing manager), a bulk request or a CSV upload naming
her own teams disqualified, renamed and took over a lead of APAC Marketing ⇄ APAC Sales
that she cannot even read; and whether a lead or an event id existed elsewhere showed in
what the answer did. A lead is its team pair plus (source, external id): the same id
sent for another pair is another lead, and nothing says whether it exists elsewhere.
"""

from __future__ import annotations

import csv
import io
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from leads.derive import IngestContext
from leads.ingest.importers import IssueReport, events_import
from leads.ingest.models import ImportJob
from leads.ingest.store import lead_events_ingest
from leads.models import Lead, LeadEvent
from leads.tests.factories import parsed
from leads.tests.other_pair import lead_state, other_pair, other_pair_lead
from leads.tests.test_webhook import SECRET, events, send
from portal import permissions
from portal.models import TokenScope
from portal.tokens import api_token_create

pytestmark = pytest.mark.django_db

BULK = "/api/v1/leads/events/bulk/"


@pytest.fixture
def apac(cast, sla):
    return other_pair(cast)


def token_client(user) -> APIClient:
    _token, raw = api_token_create(user=user, name="crm", scope=TokenScope.WRITE)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def attack_items(external_id: str, prefix: str = "x") -> list[dict]:
    """What Alice sent: disqualify the lead, put her e-mail on it, make herself owner."""
    common = {"source": "crm", "lead_external_id": external_id}
    return [
        {
            **common,
            "event_id": f"{prefix}:dq",
            "kind": "stage_changed",
            "to_stage": "disqualified",
            "reason_code": "no_fit",
            "occurred_at": "2026-01-06T10:00:00Z",
            "email": "alice@example.com",
            "first_name": "Alice",
        },
        {
            **common,
            "event_id": f"{prefix}:owner",
            "kind": "owner_changed",
            "outcome": "alice@example.com",
            "occurred_at": "2026-01-06T11:00:00Z",
        },
    ]


def own_pair(lead: Lead, cast) -> bool:
    return (lead.marketing_team_id, lead.sales_team_id) == (cast.marketing.pk, cast.sales.pk)


# --------------------------------------------------------------------------- bulk API


def test_a_bulk_request_naming_her_teams_leaves_a_lead_of_another_pair_untouched(cast, apac):
    # given the APAC lead A-1, which Alice cannot read
    before = lead_state(apac.lead)
    assert token_client(cast.alice).get(f"/api/v1/leads/{apac.lead.pk}/").status_code == 404
    # when she sends events for crm / A-1 naming her own teams
    response = token_client(cast.alice).post(
        BULK,
        {"events": attack_items("A-1"), "marketing_team": "Marketing", "sales_team": "Sales"},
        format="json",
    )
    # then the APAC lead is exactly as it was
    assert response.status_code == 200, response.content
    assert lead_state(apac.lead) == before
    # and the events went to a lead of her own pair, which she sees
    (mine,) = permissions.visible_leads(cast.alice).filter(source="crm", external_id="A-1")
    assert own_pair(mine, cast) and mine.stage == "disqualified"


def test_an_id_another_pair_uses_answers_as_an_id_nobody_uses(cast, apac):
    # given A-1 and its events exist in the APAC pair, Z-9 nowhere
    client = token_client(cast.alice)

    def send(external_id):
        items = [
            {
                "source": "crm",
                "event_id": f"{external_id}:created",  # created is an APAC event id
                "lead_external_id": external_id,
                "kind": "created",
                "occurred_at": "2026-01-06T09:00:00Z",
            }
        ]
        return client.post(BULK, items, format="json").json()

    # when Alice sends the same shape of request for each
    known, unknown = send("A-1"), send("Z-9")
    # then the answers are the same, and each created a lead of her pair
    assert known == unknown == {"created": 1, "duplicates": 0, "failed": 0, "failures": []}
    assert permissions.visible_leads(cast.alice).filter(external_id__in=["A-1", "Z-9"]).count() == 2


def test_the_bulk_api_takes_a_marketing_and_a_sales_team_as_the_upload_form_does(cast, sla):
    # given Carol, who manages Sales and Customer Success
    client = token_client(cast.carol)
    items = attack_items("T-1")
    # when she names Customer Success as the leads' marketing team
    response = client.post(
        BULK,
        {"events": items, "marketing_team": "Customer Success", "sales_team": "Sales"},
        format="json",
    )
    # then it is refused, as the form and the lead API refuse it, and nothing is stored
    assert response.status_code == 400, response.content
    assert response.json()["detail"] == "“Customer Success” is not a marketing team."
    assert not Lead.objects.exists()


# --------------------------------------------------------------------------- CSV upload

HEADER = "source,event_id,lead_external_id,kind,occurred_at,actor_email,to_stage,outcome,reason_code,email,first_name\n"


def test_a_csv_upload_naming_her_teams_leaves_a_lead_of_another_pair_untouched(
    client, cast, apac, django_capture_on_commit_callbacks
):
    # given the APAC lead A-1
    before = lead_state(apac.lead)
    rows = (
        "crm,x:dq,A-1,stage_changed,2026-01-06T10:00:00Z,,disqualified,,no_fit,alice@example.com,Alice\n"
        "crm,x:owner,A-1,owner_changed,2026-01-06T11:00:00Z,,,carol@example.com,,,\n"
    )
    # when Alice uploads a file naming it, for Marketing and Sales
    client.force_login(cast.alice)
    upload = SimpleUploadedFile("events.csv", (HEADER + rows).encode(), "text/csv")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("leads:imports"),
            {
                "file": upload,
                "format": "events",
                "tz": "UTC",
                "marketing_team": cast.marketing.pk,
                "sales_team": cast.sales.pk,
            },
        )
    # then the APAC lead is exactly as it was, and her pair has its own A-1
    job = ImportJob.objects.get()
    assert (job.status, job.created) == ("done", 2)
    assert lead_state(apac.lead) == before
    (mine,) = permissions.visible_leads(cast.alice).filter(external_id="A-1")
    assert own_pair(mine, cast) and mine.owner == cast.carol


def test_the_store_finds_leads_only_in_the_pair_it_writes_for(cast, apac):
    # given the APAC lead A-1 and its event A-1:created
    before = lead_state(apac.lead)
    context = IngestContext(marketing_team=cast.marketing, sales_team=cast.sales)
    # when the same lead and event ids arrive for Marketing ⇄ Sales
    result = lead_events_ingest(
        items=[parsed("A-1", "created", event_id="A-1:created", source="crm")], context=context
    )
    # then they are a new lead with a new event of that pair
    assert (result.created, result.duplicates) == (1, 0)
    assert lead_state(apac.lead) == before
    assert Lead.objects.filter(source="crm", external_id="A-1").count() == 2
    (mine,) = result.created_lead_ids
    assert own_pair(Lead.objects.get(pk=mine), cast)


# --------------------------------------------------------------------------- lead_create


def test_creating_a_lead_with_an_id_another_pair_uses_creates_her_own(cast, apac):
    # given the APAC lead crm / A-1
    before = lead_state(apac.lead)
    # when Alice creates crm / A-1 for Marketing and Sales
    response = token_client(cast.alice).post(
        "/api/v1/leads/",
        {
            "source": "crm",
            "external_id": "A-1",
            "email": "new@example.org",
            "marketing_team": cast.marketing.pk,
            "sales_team": cast.sales.pk,
        },
        format="json",
    )
    # then she gets a new lead of her pair, as for any unused id
    assert response.status_code == 201, response.content
    assert own_pair(Lead.objects.get(pk=response.json()["id"]), cast)
    assert lead_state(apac.lead) == before


@pytest.mark.parametrize("external_id", ["A-1", "Z-9"])
def test_creating_a_lead_for_a_pair_she_cannot_write_is_refused_whether_or_not_it_exists(
    cast, apac, external_id
):
    # given A-1 exists in the APAC pair and Z-9 nowhere
    # when Alice tries to create either for the APAC pair
    response = token_client(cast.alice).post(
        "/api/v1/leads/",
        {
            "source": "crm",
            "external_id": external_id,
            "marketing_team": apac.marketing.pk,
            "sales_team": apac.sales.pk,
        },
        format="json",
    )
    # then both answers are the same refusal: who may write comes before what exists
    assert response.status_code == 403, response.content
    assert Lead.objects.filter(source="crm").count() == 1


# --------------------------------------------------------------------------- webhook


def test_the_hubspot_webhook_writes_only_leads_of_its_configured_teams(
    client, cast, apac, settings
):
    # given an APAC lead with HubSpot's id 501
    settings.HUBSPOT_CLIENT_SECRET = SECRET
    hubspot = other_pair_lead(apac, "hubspot", "501")
    before = lead_state(hubspot)
    # when HubSpot (configured for Marketing and Sales) reports a change of contact 501
    body = events(
        int(time.time() * 1000),
        {
            "eventId": 501001,
            "subscriptionType": "contact.propertyChange",
            "objectId": 501,
            "propertyName": "hs_lead_status",
            "propertyValue": "UNQUALIFIED",
        },
    )
    response = send(client, body)
    # then the APAC lead is untouched; the change belongs to Marketing ⇄ Sales's 501
    assert response.status_code == 200, response.content
    assert lead_state(hubspot) == before
    (mine,) = Lead.objects.filter(source="hubspot", external_id="501", sales_team=cast.sales)
    assert own_pair(mine, cast)


# --------------------------------------------------------------------------- owner changes


@pytest.mark.parametrize(
    "owner",
    [
        "alice@example.com",  # Marketing, not Sales
        "kenji@example.com",  # another pair's sales rep
        "nobody@example.com",  # no such user: the same answer (no user oracle)
    ],
)
def test_an_owner_change_to_someone_outside_the_leads_sales_team_is_refused(cast, apac, owner):
    # given a lead of Marketing ⇄ Sales handed to Dan
    client = token_client(cast.alice)
    items = [
        {
            "source": "crm",
            "event_id": "o:1",
            "lead_external_id": "O-1",
            "kind": "owner_changed",
            "outcome": "dan@example.com",
            "occurred_at": "2026-01-06T09:00:00Z",
        },
        {
            "source": "crm",
            "event_id": "o:2",
            "lead_external_id": "O-1",
            "kind": "owner_changed",
            "outcome": owner,
            "occurred_at": "2026-01-06T10:00:00Z",
        },
    ]
    # when Alice names someone outside the Sales team as its next owner
    response = client.post(BULK, items, format="json").json()
    # then that row is refused with a message saying why, and Dan keeps the lead
    assert (response["created"], response["failed"]) == (1, 1)
    (failure,) = response["failures"]
    assert (failure["index"], failure["column"]) == (1, "outcome")
    assert failure["message"] == (
        f"“{owner}” is not a member of the lead's sales team (Sales); "
        "only its members can own the lead."
    )
    lead = Lead.objects.get(external_id="O-1")
    assert lead.owner == cast.dan
    assert not LeadEvent.objects.filter(source_event_id="o:2").exists()


def test_an_owner_change_without_an_email_falls_back_to_an_actor_who_must_be_in_sales(cast, apac):
    # given an owner change by Bob (Marketing rep) that names no new owner
    context = IngestContext(marketing_team=cast.marketing, sales_team=cast.sales)
    item = parsed("O-2", "owner_changed", actor_email="bob@example.com", outcome="")
    # when it is stored
    result = lead_events_ingest(items=[item], context=context)
    # then it is refused: the actor would become the owner, and Bob is not in Sales
    assert result.created == 0
    (failure,) = result.failures
    assert failure.column == "actor_email" and "(Sales)" in failure.message


def test_a_hubspot_export_owner_outside_the_sales_team_is_not_set_and_reported(cast, apac):
    # given a contact whose owner is Kenji, a rep of APAC Sales
    header = "Record ID,Email,Contact owner,Create Date\n"
    row = "301,buyer@x.org,kenji@example.com,2026-03-01 09:00\n"
    out = io.StringIO()
    context = IngestContext(marketing_team=cast.marketing, sales_team=cast.sales)
    # when it is imported for Marketing and Sales
    summary = events_import(
        stream=io.BytesIO((header + row).encode()),
        format="hubspot",
        tz="UTC",
        context=context,
        on_issue=IssueReport(out),
    )
    # then the contact is stored without that owner, and a warning says why
    assert summary.created == 1 and summary.warnings == 1
    lead = Lead.objects.get(source="hubspot", external_id="301")
    assert lead.owner is None
    (issue,) = csv.DictReader(io.StringIO(out.getvalue()))
    assert (issue["row"], issue["column"], issue["severity"]) == ("2", "Contact owner", "warning")
    assert "is not a member of the lead's sales team (Sales)" in issue["message"]
