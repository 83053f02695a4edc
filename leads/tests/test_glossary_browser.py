"""In a phone's browser, in Arabic: a tap on a lead's stage shows the definition agreed in
the version that governs the lead, and its link opens that term in the version's page."""

import datetime as dt

import pytest
from django.conf import settings
from django.utils import timezone

from portal.demo import DEMO_PASSWORD
from portal.tests.browser import login, screenshot
from reports.tests.factories import AgreementFactory, VersionFactory, lead, story
from slas.glossary import term_anchor
from slas.models import Term
from slas.testing import version_take_effect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

V1_MQL = "V1 says: a lead scoring 60 or more."


def test_a_tap_on_the_stage_shows_the_governing_definition_and_links_to_it(
    browser, live_server, cast
):
    # given v1 (until ten days ago) and v2 define MQL differently, and a lead handed off under v1
    now = timezone.now()
    agreement = AgreementFactory()
    agreement.parties.set([cast.marketing, cast.sales])
    v1 = VersionFactory(agreement=agreement, number=1)
    v2 = VersionFactory(agreement=agreement, number=2)
    term = Term.objects.create(version=v1, term="MQL", definition=V1_MQL)
    Term.objects.create(version=v2, term="MQL", definition="V2 says: something else.")
    version_take_effect(
        v1, in_force_from=now - dt.timedelta(days=60), in_force_until=now - dt.timedelta(days=10)
    )
    version_take_effect(v2, in_force_from=now - dt.timedelta(days=10))
    old = story(lead(agreement, cast, stage="mql"), ("mql", now - dt.timedelta(days=20)))
    # and dan on his phone, reading in Arabic
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 390, "height": 844}, has_touch=True
    )
    context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": "ar", "url": live_server.url}]
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        login(page, "dan", DEMO_PASSWORD)
        page.goto(old.get_absolute_url())
        assert page.get_attribute("html", "dir") == "rtl"
        badge = page.locator("[data-testid=stage]")
        tip = badge.locator("[data-testid=stage-definition]")
        assert tip.bounding_box()["width"] <= 1  # read by screen readers, not shown
        # when he taps the stage
        badge.tap()
        # then v1's definition shows under it, and its link opens the term in v1's page
        assert tip.bounding_box()["width"] > 100
        assert V1_MQL in tip.inner_text()
        screenshot(page, "glossary-stage-tap-rtl")
        tip.locator("a").click()
        page.wait_for_url(f"**{v1.get_absolute_url()}#{term_anchor(term.pk)}")
        assert page.locator(f"#{term_anchor(term.pk)}").is_visible()
    finally:
        context.close()
