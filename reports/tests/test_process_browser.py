"""Erin opens the compliance page of the version in force, reads the lead-process
flowchart and opens the leads behind a step's SLA breaches (issue 19)."""

from decimal import Decimal

import pytest
import time_machine

from portal.demo import DEMO_PASSWORD
from portal.tests.browser import login, screenshot
from reports.tests.factories import AgreementFactory, VersionFactory, lead, local, story
from slas.process.models import ProcessStep
from slas.testing import version_take_effect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_erin_opens_the_flowchart_and_the_leads_behind_a_breach(page, cast):
    # given v1 in force since 1 March with an 8-hour SAL step, and Bo over it (12 h)
    agreement = AgreementFactory()
    agreement.parties.set([cast.marketing, cast.sales])
    v1 = VersionFactory(agreement=agreement, number=1)
    for position, (name, stages, hours) in enumerate(
        [("MQL", ["mql"], None), ("SAL", ["sal"], Decimal(8)), ("Recycle", ["recycled"], None)]
    ):
        ProcessStep.objects.create(
            version=v1,
            name=name,
            stages=stages,
            owner_team=cast.sales,
            sla_hours=hours,
            position=position,
        )
    version_take_effect(v1, in_force_from=local(3, 1, 0))
    story(
        lead(agreement, cast, first_name="Bo", last_name="Breach"),
        ("mql", local(3, 24, 9)),
        ("sal", local(3, 24, 9)),
        ("recycled", local(3, 25, 13), "no_budget"),
    )
    with time_machine.travel(local(4, 8, 12), tick=True):
        login(page, "erin", DEMO_PASSWORD)
        # when she opens March on the compliance page
        page.goto(f"/reports/versions/{v1.pk}/?period=2026-03")
        chart = page.locator("[data-testid=process-map]")
        names = chart.locator("svg .fc-name").all_text_contents()
        assert names == ["1. MQL", "2. SAL", "3. Recycle"]
        screenshot(page, "process-compliance")
        # Sales owns the SLA and no commitment: its scorecard shows the step SLA line
        assert "Step SLA: SAL" in page.locator("[data-testid=step-sla-row]").inner_text()
        # then the SAL row's breaches open Bo
        row = chart.locator("[data-testid=flow-row]", has_text="SAL")
        row.locator("[data-testid=flow-figure]").last.click()
        page.wait_for_url("**/steps/**")
        assert "Bo Breach" in page.locator("[data-testid=cycles]").inner_text()
