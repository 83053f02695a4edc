"""The queue writes its rows' clock, score and feedback cells out (leads.views.QueueLine)
instead of including leads/_clock.html, leads/_score.html and
leads/reviews/_queue_action.html fifty times: they must read exactly as those templates
do, pauses and score explanations included."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.template.loader import render_to_string
from django.urls import reverse

from reports.tests.factories import (
    AgreementFactory,
    VersionFactory,
    commitments,
    lead,
    local,
    story,
)
from slas.models import ScoringRule
from slas.testing import version_take_effect

pytestmark = pytest.mark.django_db

SATURDAY = local(4, 11, 12)  # the clocks of the handoffs below stand still until Monday


def flat(html: str) -> str:
    return "".join(html.split())


@pytest.fixture
def world(cast):
    agreement = AgreementFactory()
    agreement.parties.set([cast.marketing, cast.sales])
    version = VersionFactory(agreement=agreement, number=1)
    commitments(version, marketing=cast.marketing, sales=cast.sales)
    ScoringRule.objects.create(
        version=version,
        attribute="job_title",
        operator="contains",
        value="VP",
        points=10,
        dimension="fit",
        position=1,
    )
    ScoringRule.objects.create(
        version=version,
        attribute="company",
        operator="equals",
        value="Acme & Sons",
        points=5,
        dimension="interest",
        position=2,
    )
    version_take_effect(version, in_force_from=local(1, 1, 0))
    at = local(4, 9, 9)
    # Two running clocks (paused for the weekend) and one stopped: no pause shared by all
    story(
        lead(agreement, cast, stage="mql", job_title="VP Sales", company="Acme & Sons"), ("mql", at)
    )
    story(
        lead(agreement, cast, stage="mql", job_title="Engineer"),
        ("mql", at + dt.timedelta(hours=1)),
    )
    story(
        lead(agreement, cast, stage="mql", job_title="VP Ops"),
        ("mql", at),
        ("attempt", at + dt.timedelta(minutes=20)),
    )
    return agreement


@pytest.mark.parametrize("language", ["en", "fa"])
def test_the_queue_cells_read_as_the_clock_score_and_feedback_templates(
    cast, world, client, language
):
    client.force_login(cast.carol)
    client.cookies["django_language"] = language
    with time_machine.travel(SATURDAY, tick=False):
        response = client.get(reverse("leads:team_queue") + "?page=1")
    page = flat(response.content.decode())
    lines = response.context["lines"]
    assert len(lines) == 3
    assert sum(bool(line.pause) for line in lines) == 2  # each running clock says it
    request = response.wsgi_request
    for line in lines:
        clock = render_to_string("leads/_clock.html", {"clock": line.row.clock}, request)
        score = render_to_string("leads/_score.html", {"score": line.score}, request)
        action = render_to_string(
            "leads/reviews/_queue_action.html", {"lead": line.row.lead}, request
        )
        for cell in (clock, score, action):
            assert f"<td>{flat(cell)}</td>" in page
    if language == "en":
        # and the explanation is the score's: both rules for the VP of Acme & Sons, escaped
        assert flat('job title contains “VP” <span class="muted">(VP Sales)</span>') in page
        assert flat("company = “Acme &amp; Sons”") in page
        assert flat("+10 fit") in page and flat("+5 interest") in page
        assert flat("fit 10 · interest 5") in page
