"""Carol adds a step with a step SLA to a draft on a phone-sized screen, compares the draft
with the version in force, and sees the new step in the flowchart (issue 19 §1)."""

import pytest

from portal.demo import DEMO_PASSWORD
from portal.tests.browser import login, screenshot
from slas import services
from slas.tests.factories import activate, agreement_with_draft, fill_draft

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_carol_adds_a_step_sla_compares_it_and_sees_it_in_the_flowchart(page, cast):
    # given v1 in force (its map has the SAL step) and a draft v2 copied from it
    agreement = agreement_with_draft(cast)
    v1 = fill_draft(agreement.versions.get(), cast)
    activate(v1)
    v2 = services.version_amend(actor=cast.alice, agreement=agreement)
    page.set_viewport_size({"width": 390, "height": 844})
    login(page, "carol", DEMO_PASSWORD)

    # when she adds the SQL step with a 16-hour step SLA in the process tab
    page.goto(f"/agreements/versions/{v2.pk}/edit/process/")
    row = page.locator("tr.formset-row").last
    row.locator("input[name$='-name']").fill("Sales-qualified lead")
    row.locator("input[type=checkbox][value=sql]").check()
    row.locator("select[name$='-owner_team']").select_option(label="Sales")
    row.locator("input[name$='-sla_hours']").fill("16")
    row.locator("input[name$='-position']").fill("3")
    screenshot(page, "process-editor-390")
    page.click("[data-testid=save]")
    assert "Lead process map saved." in page.locator(".messages").inner_text()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the editor page is {width}px wide"

    # then the comparison with v1 shows the step as added
    page.goto(f"/agreements/{agreement.pk}/compare/?a={v1.pk}&b={v2.pk}")
    comparison = page.locator("[data-testid=comparison]").inner_text()
    assert "Process steps" in comparison and "Sales-qualified lead" in comparison
    screenshot(page, "process-compare")

    # and the draft's flowchart draws it after the SAL step, with its SLA in the table
    page.goto(f"/agreements/versions/{v2.pk}/#c-process")
    chart = page.locator("[data-testid=flowchart] svg")
    names = chart.locator(".fc-name").all_text_contents()
    assert names == ["1. Sales-accepted lead", "2. Sales-qualified lead"]
    table = page.locator("[data-testid=flow-table]").inner_text()
    assert "16 business hours" in table
    screenshot(page, "process-flowchart-draft")
