"""What a sales rep's pages cost in queries (issue 18 §5): My leads, the lead page and a
logged contact attempt each read what they show once, whatever the page holds. The
counts include the session, the user, their memberships and the unread-notifications
badge of the base page."""

from __future__ import annotations

import pytest
import time_machine
from django.urls import reverse

from leads.models import Lead, LeadEvent
from leads.tests.test_views import NOW, handoffs

pytestmark = pytest.mark.django_db

# session, user, memberships; the page's two parts of open work; the versions (their
# numbers and thresholds too); the notifications badge. The activated versions' holidays,
# scoring rules and terms come from the shared cache (slas/frozen.py).
MY_LEADS_QUERIES = 7
# ... the lead; its cycles; the versions (their holidays, rules and terms: the cache); the
# timeline; the badge; feedback
LEAD_PAGE_QUERIES = 9
# ... the lead, locked once; the event; the lead's events, read once for the derivation
# and the cycles; the cycles (read and written); the stored results kept in line (the
# teams' agreement is not looked up: the lead names it)
CONTACT_QUERIES = 17


def lead_reads(queries) -> list[str]:
    return [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith("SELECT") and 'FROM "leads_lead"' in q["sql"]
    ]


def event_reads(queries) -> list[str]:
    # PostgreSQL reads them through a server-side cursor (DECLARE ... FOR SELECT)
    return [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith(("SELECT", "DECLARE")) and 'FROM "leads_leadevent"' in q["sql"]
    ]


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def test_my_leads(client, cast, sla, frozen, django_assert_max_num_queries):
    handoffs(cast, 12)
    client.force_login(cast.dan)
    client.get(reverse("leads:queue"))
    with django_assert_max_num_queries(MY_LEADS_QUERIES):
        response = client.get(reverse("leads:queue"))
    assert len(response.context["rows"]) == 12


def test_an_empty_queue_says_whose_work_it_is(client, cast, sla, frozen):
    """Whether the person works leads at all is asked only of an empty queue."""
    client.force_login(cast.dan)
    assert "No leads are waiting on you." in client.get(reverse("leads:queue")).content.decode()
    client.force_login(cast.bob)  # marketing
    html = client.get(reverse("leads:queue")).content.decode()
    assert "Sales works the leads you hand off, so none wait on you here." in html
    assert "No leads are waiting on you." not in html


def test_the_lead_page(client, cast, sla, frozen, django_assert_max_num_queries):
    handoffs(cast, 1)
    lead = Lead.objects.get(external_id="Q0")
    client.force_login(cast.dan)
    client.post(reverse("leads:lead_contact", args=[lead.pk]), {"channel": "email"})
    client.get(lead.get_absolute_url())
    with django_assert_max_num_queries(LEAD_PAGE_QUERIES) as queries:
        response = client.get(lead.get_absolute_url())
    assert response.status_code == 200
    assert len(lead_reads(queries)) == 1
    assert [e.kind for e in response.context["events"]][0] == "contact_attempt"


def test_a_contact_attempt_reads_the_lead_once(
    client, cast, sla, frozen, django_assert_max_num_queries
):
    handoffs(cast, 1)
    lead = Lead.objects.get(external_id="Q0")
    client.force_login(cast.dan)
    url = reverse("leads:lead_contact", args=[lead.pk])
    client.post(url, {"channel": "email", "outcome": "first"})
    with django_assert_max_num_queries(CONTACT_QUERIES) as queries:
        response = client.post(url, {"channel": "phone", "outcome": "second"})
    assert response.status_code == 302
    assert response["Location"] == lead.get_absolute_url()
    assert len(lead_reads(queries)) == 1
    assert len(event_reads(queries)) == 1
    assert LeadEvent.objects.filter(lead=lead, kind="contact_attempt").count() == 2
