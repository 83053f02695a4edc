"""What a sales rep's pages cost in queries (issue 18 §5): each reads what it shows once,
whatever the page holds. The
counts include the session, the user, their memberships and the unread-notifications
badge of the base page."""

from __future__ import annotations

import pytest
import time_machine
from django.urls import reverse

from leads.tests.test_views import NOW, handoffs

pytestmark = pytest.mark.django_db

# session, user, memberships; the page's two parts of open work; holidays and versions;
# the scoring rules and thresholds of the version in force; the glossaries (two); the
# notifications badge
MY_LEADS_QUERIES = 12


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
