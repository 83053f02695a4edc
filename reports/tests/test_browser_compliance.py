"""Erin (exec) reads the active version's compliance and follows a breach to its lead."""

import datetime as dt

import pytest
from django.utils import timezone

from portal.demo import DEMO_PASSWORD
from portal.tests.browser import login, screenshot
from reports.tests.factories import (
    AgreementFactory,
    VersionFactory,
    commitments,
    feedback,
    lead,
    story,
)
from slas.testing import version_take_effect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _monday_10(weeks_ago: int) -> dt.datetime:
    today = timezone.now().astimezone(dt.UTC)
    monday = today - dt.timedelta(days=today.weekday(), weeks=weeks_ago)
    return monday.replace(hour=8, minute=0, second=0, microsecond=0)  # 10:00/11:00 Bucharest


@pytest.fixture
def world(cast):
    agreement = AgreementFactory(title="Marketing ⇄ Sales SLA")
    agreement.parties.set([cast.marketing, cast.sales])
    now = timezone.now()
    v1 = VersionFactory(agreement=agreement, number=1)
    v2 = VersionFactory(agreement=agreement, number=2)
    draft = VersionFactory(agreement=agreement, number=3, status="draft")
    for v in (v1, v2, draft):
        commitments(v, marketing=cast.marketing, sales=cast.sales, volume=6)
    version_take_effect(
        v1, in_force_from=now - dt.timedelta(days=150), in_force_until=now - dt.timedelta(days=60)
    )
    version_take_effect(v2, in_force_from=now - dt.timedelta(days=60))
    for weeks in range(2, 8):
        start = _monday_10(weeks)
        story(
            lead(agreement, cast, first_name="Quick", last_name=f"Quinn {weeks}"),
            ("mql", start),
            ("attempt", start + dt.timedelta(hours=1)),
            ("sal", start + dt.timedelta(hours=2)),
            ("sql", start + dt.timedelta(days=2)),
        )
    slow = _monday_10(3)
    story(
        lead(agreement, cast, first_name="Brenda", last_name="Breached", company="Acme Ltd"),
        ("mql", slow),
        ("attempt", slow + dt.timedelta(days=3)),
    )
    rejected = story(
        lead(agreement, cast, first_name="Rita", last_name="Rejected"),
        ("mql", slow + dt.timedelta(hours=1)),
        ("recycled", slow + dt.timedelta(hours=2), "no_budget"),
    )
    feedback(rejected, cast.dan, slow + dt.timedelta(hours=3))
    return agreement, v2, draft


def test_erin_follows_a_breach_from_the_scorecards_to_the_lead(page, cast, world):
    agreement, v2, draft = world
    # given Erin signed in, on the Reports home
    login(page, "erin", DEMO_PASSWORD)
    page.goto("/reports/")
    screenshot(page, "reports-home")
    # when she opens the active version's compliance page
    page.get_by_role("link", name="Compliance →").first.click()
    page.wait_for_url(f"**/reports/versions/{v2.pk}/")
    # then she sees both scorecards side by side
    cards = page.get_by_test_id("scorecard")
    assert cards.count() == 2
    assert "Marketing scorecard" in cards.nth(0).inner_text()
    assert "Sales scorecard" in cards.nth(1).inner_text()
    screenshot(page, "reports-version-compliance")
    # when she opens the breaches of the first-contact commitment
    row = page.locator("tr", has_text="First contact within 4 business hours")
    row.locator("td.cell a").filter(has_text="breached").first.click()
    page.wait_for_url("**/commitments/**")
    assert page.locator("nav.tabs a[aria-current=page]").inner_text().startswith("Breached")
    screenshot(page, "reports-breaches")
    # then she lands on the lead
    page.get_by_role("link", name="Brenda Breached").click()
    page.wait_for_url("**/leads/*/")
    assert "Brenda" in page.content()


def test_a_manager_tests_the_draft_against_last_period(page, cast, world):
    agreement, _, draft = world
    login(page, "alice", DEMO_PASSWORD)
    page.goto(f"/reports/versions/{draft.pk}/")
    page.get_by_role("link", name="Test this draft against last period").click()
    page.wait_for_url("**/what-if/**")
    assert page.get_by_test_id("whatif").is_visible()
    screenshot(page, "reports-whatif")
    page.goto(f"/reports/agreements/{agreement.pk}/monthly/")
    assert "Monthly report" in page.content()
    screenshot(page, "reports-monthly")


@pytest.mark.parametrize("language", ["en", "ar"])
def test_the_scorecards_open_on_the_period_shown(page, cast, world, language):
    """On a screen too narrow for every period, each scorecard opens scrolled to the
    period shown (the latest, by default), with the commitments' names still beside it;
    before, it opened on the oldest period and the one shown was out of sight."""
    agreement, v2, _ = world
    login(page, "erin", DEMO_PASSWORD)
    if language != "en":
        origin = "/".join(page.url.split("/")[:3]) + "/"
        page.context.add_cookies([{"name": "django_language", "value": language, "url": origin}])
    page.set_viewport_size({"width": 330, "height": 900})
    page.goto(f"/reports/versions/{v2.pk}/")
    cards = page.get_by_test_id("scorecard")
    assert cards.count() == 2
    for n in range(2):
        wrap = cards.nth(n).locator(".table-wrap")
        assert wrap.evaluate("e => e.scrollWidth > e.clientWidth + 40"), "nothing to scroll"
        seen = wrap.bounding_box()
        shown = cards.nth(n).locator("thead th.current").bounding_box()
        name = cards.nth(n).locator("tbody th[scope=row]").first.bounding_box()
        for box in (shown, name):
            where = (language, n, seen, box)
            assert seen["x"] - 1 <= box["x"], where
            assert box["x"] + box["width"] <= seen["x"] + seen["width"] + 1, where
    screenshot(page, f"reports-scorecards-narrow-{language}")


def test_a_charts_legend_reads_beside_its_swatches_right_to_left_too(page, cast, world):
    """A chart is drawn left to right in every language: in Persian its legend's words
    follow their swatches (they ran back over them) and its ticks stay inside it."""
    agreement, v2, _ = world
    login(page, "erin", DEMO_PASSWORD)
    origin = "/".join(page.url.split("/")[:3]) + "/"
    page.context.add_cookies([{"name": "django_language", "value": "fa", "url": origin}])
    page.goto(f"/reports/versions/{v2.pk}/")
    legend = page.locator("svg.chart .chart-legend").first
    swatches = legend.locator("rect").all()
    words = legend.locator("text").all()
    assert len(swatches) == len(words) >= 2
    for swatch, word in zip(swatches, words, strict=True):
        square, text = swatch.bounding_box(), word.bounding_box()
        assert text["x"] >= square["x"] + square["width"] - 1, (square, text)
    chart = page.locator("svg.chart").first.bounding_box()
    for tick in page.locator("svg.chart").first.locator("text.chart-tick").all():
        assert tick.bounding_box()["x"] >= chart["x"] - 1
