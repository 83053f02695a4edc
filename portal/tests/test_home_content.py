"""The home page shows the same to-dos however it computes them, in every language.

The demo company (every seed step of `seed_demo`) at a fixed instant, with a few more
rows so that nearly every section of the page has something to show (a signing
notification, an upcoming lead review, a lead without owner; "Reviews due" is slas/tests/test_review_todo.py's); the page of a manager, a sales manager, a rep
and an exec, in each language, is compared with the one recorded in `home_pages/`.

A deliberate change of what the home page shows (or of its catalogs) records the pages
anew: `HOME_PAGES_RECORD=1 pytest portal/tests/test_home_content.py`, then read the diff.
"""

from __future__ import annotations

import datetime as dt
import importlib
import os
import re
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth import get_user_model

from portal.management.commands.seed_demo import SEED_STEPS

NOW = dt.datetime(2026, 11, 24, 11, tzinfo=dt.UTC)
PAGES = Path(__file__).parent / "home_pages"
PEOPLE = ("alice", "carol", "dan", "erin")
#: What each person's page may cost, in queries (the whole request: session, user,
#: memberships, the sections, the notification count of the menu).
QUERIES = {"alice": 25, "carol": 25, "dan": 17, "erin": 21}
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


def _seed() -> None:
    from leads.lifecycle import ACTIVE_STAGES
    from leads.models import Cycle, Lead
    from leads.reviews.models import ReviewSession, SessionAttendee
    from portal.models import Notification

    for name in SEED_STEPS:
        importlib.import_module(name).seed()
    users = {u.username: u for u in get_user_model().objects.all()}
    Notification.objects.create(
        recipient=users["alice"],
        kind="signing.requested",
        title="Sign the agreement",
        body="A version waits for your signature.",
        url="/agreements/",
        dedupe_key="home-content-test",
    )
    # a handed-off lead nobody owns: "Unassigned handoffs" for the sales managers
    cycle = (
        Cycle.objects.filter(ended_at__isnull=True, lead__stage__in=ACTIVE_STAGES)
        .order_by("pk")
        .first()
    )
    Lead.objects.filter(pk=cycle.lead_id).update(owner=None)
    session = ReviewSession.objects.order_by("pk").first()
    ReviewSession.objects.filter(pk=session.pk).update(scheduled_for=NOW + dt.timedelta(days=2))
    for username in ("alice", "dan"):
        SessionAttendee.objects.get_or_create(session=session, user=users[username])


def _content(page: str) -> str:
    """The page's own part (not the menu of base.html), without the per-session token."""
    start, end = page.index('<div class="page-header">'), page.index("</main>")
    return CSRF.sub('name="csrfmiddlewaretoken" value=""', page[start:end])


# The recorded pages carry ids (links such as /versions/3/): the sequences start afresh
# whatever ran before in the same database (--reuse-db, PostgreSQL or SQLite).
@pytest.mark.django_db(transaction=True, reset_sequences=True)
def test_the_home_page_shows_the_same_for_every_role_and_language(
    client, django_assert_max_num_queries
):
    with time_machine.travel(NOW, tick=False):
        _seed()
        users = {u.username: u for u in get_user_model().objects.all()}
        pages = {}
        for person in PEOPLE:
            client.force_login(users[person])
            for lang, _name in settings.LANGUAGES:
                client.cookies[settings.LANGUAGE_COOKIE_NAME] = lang
                response = client.get("/")
                assert response.status_code == 200
                pages[f"{person}-{lang}.html"] = _content(response.content.decode())
            # and in a fixed number of queries, whatever the number of to-dos
            with django_assert_max_num_queries(QUERIES[person]):
                client.get("/")
    if os.environ.get("HOME_PAGES_RECORD") == "1":
        PAGES.mkdir(exist_ok=True)
        for name, content in pages.items():
            (PAGES / name).write_text(content, encoding="utf-8")
    for name, content in pages.items():
        assert content == (PAGES / name).read_text(encoding="utf-8"), name
    # nearly every section the home page knows has something to show on one of these pages
    english = "".join(pages[f"{person}-en.html"] for person in PEOPLE)
    for title in (
        "Leads waiting for first contact",
        "Unassigned handoffs in your team",
        "Drafts you can edit",
        "Agreements",
        "Awaiting my signature",
        "Signing news",
        "Versions being signed",
        "Your action items from lead reviews",
        "Upcoming lead reviews",
        "Returned leads waiting for your feedback",
        "Feedback on your leads",
        "Your meetings and their action items",
        "Commitments at risk this period",
    ):
        assert f">{title}</h2>" in english, title
