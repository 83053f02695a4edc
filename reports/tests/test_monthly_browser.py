"""Browser: Erin reads a monthly report whose goal progress has a currency and whose
figures agree with each other."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from portal.demo import DEMO_PASSWORD
from portal.tests.browser import login, screenshot
from reports.tests.factories import (
    AgreementFactory,
    VersionFactory,
    commitments,
    lead,
    local,
    story,
)
from slas.testing import version_take_effect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_erins_monthly_report_shows_goal_progress_in_the_agreements_currency(page, cast):
    # given 1,200,000 EUR in 12 months at 25,000 a deal; 3 deals won in January, 5 in March
    agreement = AgreementFactory()
    agreement.parties.set([cast.marketing, cast.sales])
    version = VersionFactory(
        agreement=agreement,
        number=1,
        revenue_goal_amount=Decimal("1200000"),
        revenue_goal_currency="EUR",
        avg_deal_size=Decimal("25000"),
    )
    commitments(version, marketing=cast.marketing, sales=cast.sales, volume=31)
    version_take_effect(version, in_force_from=local(1, 1, 0))
    for month, day in [(1, 5), (1, 12), (1, 19), (3, 3), (3, 4), (3, 5), (3, 10), (3, 11)]:
        at = local(month, day)
        story(lead(agreement, cast), ("mql", at), ("sal", at), ("won", at))
    # when Erin opens March's report
    login(page, "erin", DEMO_PASSWORD)
    page.goto(reverse("reports:monthly", args=[agreement.pk, "2026-03"]))
    month = page.locator("[data-testid=goal-month]").inner_text()
    to_date = page.locator("[data-testid=goal-to-date]").inner_text()
    screenshot(page, "monthly-goal-erin")
    # then the month is set against the month's share, in euros
    assert re.search(r"\b5\b.*deals won, against the month's share of the goal: 4", month)
    assert "125,000 EUR" in month and "100,000 EUR" in month
    # and January to March against the goal to date: 8 of 12 deals, 200,000 of 300,000 EUR
    assert "3 months of 12" in to_date
    assert re.search(r"\b8\b.*deals won, against the goal to date: 12", to_date)
    assert "200,000 EUR" in to_date and "300,000 EUR" in to_date
    # and the planner and the commitment stand side by side, the gap in words
    plan = page.locator("[data-testid=mql-plan]").inner_text()
    assert "31" in plan and "The commitment of 31" in plan
