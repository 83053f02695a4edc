"""The visitors page of an agreement: managers of a party enter a month or upload an
export; reps read; people outside the parties get 404."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from leads.visitors.models import VisitorCount
from leads.visitors.services import visitor_count_set
from reports.tests.factories import AgreementFactory, lead, local
from slas.tests.factories import agreement_with_draft, fill_draft

pytestmark = pytest.mark.django_db


@pytest.fixture
def agreement(cast):
    agreement = AgreementFactory()
    agreement.parties.set([cast.marketing, cast.sales])
    return agreement


def test_alice_enters_a_month_and_uploads_an_export(client, cast, agreement):
    client.force_login(cast.alice)
    url = f"/visitors/agreements/{agreement.pk}/"
    response = client.post(
        url, {"action": "set", "month": "2026-03", "source": "Organic", "visitors": "1200"}
    )
    assert response.status_code == 302
    export = SimpleUploadedFile(
        "ga.csv", b"month,source,visitors\n2026-03,organic,1500\n2026-03,paid,300\n"
    )
    assert client.post(url, {"action": "upload", "file": export}).status_code == 302
    counts = dict(
        VisitorCount.objects.filter(agreement=agreement).values_list("source", "visitors")
    )
    assert counts == {"organic": 1500, "paid": 300}
    # written as the reader's language writes numbers
    assert '<td class="num">1,500</td>' in client.get(url).content.decode()
    client.cookies["django_language"] = "ar"
    assert '<td class="num">١٬٥٠٠</td>' in client.get(url).content.decode()


def test_a_bad_export_is_refused_with_its_rows_named(client, cast, agreement):
    client.force_login(cast.alice)
    export = SimpleUploadedFile("ga.csv", b"month,source,visitors\nMarch,organic,12\n")
    response = client.post(
        f"/visitors/agreements/{agreement.pk}/", {"action": "upload", "file": export}
    )
    assert response.status_code == 400 and "Row 2" in response.content.decode()
    assert not VisitorCount.objects.exists()


def test_a_rep_reads_but_cannot_write_and_outsiders_get_404(client, cast, agreement):
    url = f"/visitors/agreements/{agreement.pk}/"
    client.force_login(cast.bob)
    assert client.get(url).status_code == 200
    data = {"action": "set", "month": "2026-03", "source": "organic", "visitors": "1"}
    assert client.post(url, data).status_code == 403
    client.force_login(cast.mallory)
    assert client.get(url).status_code == 404
    assert not VisitorCount.objects.exists()


def test_the_api_sets_a_count_for_managers_and_lists_what_you_can_see(client, cast, agreement):
    client.force_login(cast.carol)
    body = {"agreement": agreement.pk, "month": "2026-04", "source": "paid", "visitors": 250}
    created = client.post("/api/v1/visitor-counts/", body, content_type="application/json")
    assert created.status_code == 201, created.content
    assert created.json()["month"] == "2026-04"
    client.force_login(cast.dan)
    refused = client.post("/api/v1/visitor-counts/", body, content_type="application/json")
    assert refused.status_code == 403
    listed = client.get(f"/api/v1/visitor-counts/?agreement={agreement.pk}").json()
    assert [(row["source"], row["visitors"]) for row in listed["results"]] == [("paid", 250)]
    client.force_login(cast.mallory)
    assert client.get("/api/v1/visitor-counts/").json()["results"] == []


def test_the_planner_starts_from_visitors_once_a_visitor_rate_is_measured(client, cast):
    # given a draft with a revenue goal, 2,000 visitors counted in March and 50 leads
    # created then: a measured visitor-to-lead rate of 2.5 %
    agreement = agreement_with_draft(cast)
    draft = fill_draft(agreement.versions.get(), cast)
    visitor_count_set(
        actor=cast.alice,
        agreement=agreement,
        month=dt.date(2026, 3, 1),
        source="organic",
        visitors=2000,
    )
    for n in range(50):
        lead(agreement, cast, created_at=local(3, 2 + n % 20))
    client.force_login(cast.alice)
    # when
    page = client.get(f"/agreements/versions/{draft.pk}/planner/").content.decode()
    # then the rate is offered as measured and the plan's first row is visitors
    assert 'name="visitor_to_lead"' in page and 'value="2.50"' in page
    assert page.index('data-stage="visitors"') < page.index('data-stage="leads"')
