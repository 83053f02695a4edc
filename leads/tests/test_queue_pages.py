"""My leads and the team queue read one page and no more (leads.selectors.queue_page):
open work first (running clocks, then the rest, nearest deadline first), closed leads
behind a filter, no count over the whole queue, and the same number of queries however
long the queue is."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from leads import selectors, views
from reports.tests.factories import lead, local, story, two_versions

pytestmark = pytest.mark.django_db

NOW = local(4, 6, 15)  # a Monday afternoon, v2 in force


def handed_off(agreement, cast, n: int, *, contacted: bool = False, stage: str = "mql", owner=None):
    """n leads handed off over the fortnight before NOW, one hour apart."""
    made = []
    for i in range(n):
        at = local(3, 23, 9) + dt.timedelta(hours=7 * i)
        steps = [("mql", at)]
        if contacted:
            steps.append(("attempt", at + dt.timedelta(minutes=30)))
        made.append(story(lead(agreement, cast, stage=stage, owner=owner or cast.dan), *steps))
    return made


def queue_sql(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return response, [q["sql"] for q in ctx.captured_queries]


def page_ids(response) -> list[int]:
    return [row.cycle.pk for row in response.context["rows"]]


@pytest.fixture
def world(cast):
    agreement, _v1, _v2 = two_versions(cast)
    return agreement


def test_my_leads_reads_the_same_queries_however_long_the_queue(cast, world, client):
    client.force_login(cast.dan)
    handed_off(world, cast, 2)
    handed_off(world, cast, 1, contacted=True)
    with time_machine.travel(NOW, tick=False):
        _, few = queue_sql(client, reverse("leads:queue"))
        handed_off(world, cast, 30)
        handed_off(world, cast, 30, contacted=True)
        response, many = queue_sql(client, reverse("leads:queue"))
    assert len(many) == len(few)
    assert len(page_ids(response)) == views.PAGE_SIZE
    # no exact count over the queue: the page reads one row past itself instead
    assert not [sql for sql in many if "COUNT(" in sql.upper() and "leads_cycle" in sql]


@pytest.mark.parametrize("name", ["leads:queue", "leads:team_queue"])
def test_pages_follow_the_queue_order_running_clocks_first(cast, world, client, monkeypatch, name):
    monkeypatch.setattr(views, "PAGE_SIZE", 3)
    handed_off(world, cast, 4, contacted=True)  # stopped clocks, earlier deadlines
    handed_off(world, cast, 4)  # running clocks
    handed_off(world, cast, 1, owner=cast.sara)  # the team's, not dan's
    user = cast.dan if name == "leads:queue" else cast.carol
    client.force_login(user)
    with time_machine.travel(NOW, tick=False):
        everyone = selectors.my_queue(user) if name == "leads:queue" else selectors.team_queue(user)
        expected = [cycle.pk for cycle in everyone]
        pages, number = [], 1
        while True:
            response = client.get(reverse(name), {"page": number})
            pages += page_ids(response)
            if not response.context["page"].has_next:
                break
            number += 1
    assert pages == expected
    assert len(expected) == (8 if name == "leads:queue" else 9)
    running = [cycle.clock_stop_at is None for cycle in everyone]
    assert running == sorted(running, reverse=True)  # every running clock before the rest
    assert number == -(-len(expected) // 3)


@pytest.mark.parametrize("name", ["leads:queue", "leads:team_queue"])
def test_a_later_page_builds_only_its_own_rows(cast, world, client, monkeypatch, name):
    """Page n's rows are read from the database's offset, not built from the start of
    the queue and dropped (a fifth page built 251 cycles, their leads and owners)."""
    from django.db.models.signals import post_init

    from leads.models import Cycle

    monkeypatch.setattr(views, "PAGE_SIZE", 3)
    handed_off(world, cast, 4, contacted=True)
    handed_off(world, cast, 4)
    client.force_login(cast.dan if name == "leads:queue" else cast.carol)
    built: list[int] = []

    def count(sender, instance, **kwargs):
        built.append(instance.pk)

    post_init.connect(count, sender=Cycle)
    try:
        with time_machine.travel(NOW, tick=False):
            for number in (1, 2, 3):
                built.clear()
                response = client.get(reverse(name), {"page": number})
                shown = page_ids(response)
                assert shown and set(shown) <= set(built)
                assert len(built) <= 3 + 1, (number, len(built))
    finally:
        post_init.disconnect(count, sender=Cycle)


def test_closed_leads_wait_behind_a_filter(cast, world, client):
    open_ = handed_off(world, cast, 2)
    closed = handed_off(world, cast, 2, contacted=True, stage="won")
    client.force_login(cast.dan)
    with time_machine.travel(NOW, tick=False):
        shown = {row.lead.pk for row in client.get(reverse("leads:queue")).context["rows"]}
        behind = {
            row.lead.pk for row in client.get(reverse("leads:queue"), {"closed": 1}).context["rows"]
        }
    assert shown == {lead.pk for lead in open_}
    assert behind == {lead.pk for lead in closed}


def test_my_leads_follows_the_cycle_owner(cast, world, client):
    """My leads filters on the cycle's owner (the partial index's column), which a
    reassignment moves with the lead."""
    from leads.services import lead_reassign

    (mine,) = handed_off(world, cast, 1)
    client.force_login(cast.sara)
    with time_machine.travel(NOW, tick=False):
        assert page_ids(client.get(reverse("leads:queue"))) == []
        lead_reassign(lead=mine, actor=cast.carol, owner=cast.sara)
        assert [row.lead.pk for row in client.get(reverse("leads:queue")).context["rows"]] == [
            mine.pk
        ]


def test_the_lead_page_reads_two_versions_rules_and_glossaries_once(cast, world, client):
    # given a lead handed off under v1 and shown while v2 is in force
    handed = story(lead(world, cast, stage="mql"), ("mql", local(3, 2, 9)))
    client.force_login(cast.dan)
    with time_machine.travel(NOW, tick=False):
        _, sql = queue_sql(client, reverse("leads:lead_detail", args=[handed.pk]))
    # then each version part is read in one query for both versions
    for table in ("slas_scoringrule", "slas_reasoncode", "slas_nurturetrack", "slas_term"):
        assert len([q for q in sql if f'FROM "{table}"' in q]) == 1, table
