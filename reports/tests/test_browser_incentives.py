"""Erin (exec) opens the incentives page of the version in force from its compliance page
and follows a team's figure to the deals behind it."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from portal.demo import DEMO_PASSWORD
from portal.tests.browser import login, screenshot
from reports.tests.factories import AgreementFactory, VersionFactory, commitments, lead, story
from slas.models import Incentive
from slas.periods import period_containing
from slas.testing import version_take_effect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world(cast):
    agreement = AgreementFactory(title="Marketing ⇄ Sales SLA")
    agreement.parties.set([cast.marketing, cast.sales])
    now = timezone.now()
    version = VersionFactory(agreement=agreement, number=1, avg_deal_size=Decimal("25000"))
    commitments(version, marketing=cast.marketing, sales=cast.sales, volume=1)
    Incentive.objects.create(
        version=version,
        owner_team=cast.marketing,
        name="Won deals from our leads",
        measure="won_deals",
        amount=Decimal("250"),
        cap=Decimal("2500"),
    )
    Incentive.objects.create(
        version=version,
        owner_team=cast.sales,
        name="SQLs from marketing leads",
        measure="sqls",
        amount=Decimal("40"),
        position=1,
    )
    version_take_effect(version, in_force_from=now - dt.timedelta(days=90))
    # two deals won in the current month, whatever day of it today is
    month = period_containing(version.calendar_timezone, "month", now)
    start = month.start + (now - month.start) / 2
    for name in ("Wanda Won", "Walter Won"):
        first, last = name.split()
        story(
            lead(agreement, cast, first_name=first, last_name=last),
            ("mql", start - dt.timedelta(days=40)),
            ("sal", start - dt.timedelta(days=39)),
            ("sql", start - dt.timedelta(days=38)),
            ("opportunity", start - dt.timedelta(days=30)),
            ("won", start),
        )
    return version


def test_erin_opens_the_incentives_of_the_version_in_force(page, cast, world):
    login(page, "erin", DEMO_PASSWORD)
    page.goto(f"/reports/versions/{world.pk}/")
    page.get_by_test_id("incentives-link").click()
    page.wait_for_url(f"**/reports/versions/{world.pk}/incentives/")
    tiles = page.get_by_test_id("incentive-teams")
    assert "Marketing" in tiles.inner_text() and "500.00" in tiles.inner_text()
    screenshot(page, "reports-incentives")
    page.get_by_test_id("rule-units").first.click()
    page.wait_for_url(f"**/reports/versions/{world.pk}/incentives/*/*/")
    rows = page.get_by_test_id("counted-lead")
    assert rows.count() == 2
    assert "Wanda Won" in page.get_by_test_id("counted-leads").inner_text()
