"""Alice amends the SLA in the browser and compares her draft with the active version."""

import pytest

from portal.demo import DEMO_PASSWORD
from portal.tests.browser import login, screenshot
from slas.tests.factories import activate, agreement_with_draft, fill_draft

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_alice_drafts_a_new_version_edits_a_term_and_a_commitment_and_sees_both_in_the_redline(
    page, cast
):
    # given an active v1
    agreement = agreement_with_draft(cast)
    v1 = fill_draft(agreement.versions.get(), cast)
    activate(v1)
    login(page, "alice", DEMO_PASSWORD)
    page.goto(f"/agreements/{agreement.pk}/")
    screenshot(page, "agreement-detail-alice")

    # when she starts a new version
    page.click("[data-testid=new-version]")
    page.wait_for_url("**/edit/frame/")
    page.fill("#id_v-change_summary", "Sharper MQL definition and a higher MQL target.")
    page.click("[data-testid=save]")
    page.wait_for_selector(".message.success")

    # she edits a term
    page.click("nav.editor-nav >> text=Definitions")
    row = page.locator("tr.formset-row", has=page.locator("input[value='MQL']"))
    row.locator("textarea").fill("A lead with at least 60 points of fit and interest.")
    page.fill("#id_edit_reason", "Sales asked for a number they can check.")
    page.click("[data-testid=save]")
    assert "Definitions saved." in page.locator(".messages").inner_text()

    # and a commitment (the MQL volume target), adding a row with the inline button too
    page.click("nav.editor-nav >> text=KPIs and commitments")
    volume = page.locator(
        ".commitment-card", has=page.locator("select option[value=mql_volume][selected]")
    )
    volume.locator("input[name$='-target']").fill("150")
    screenshot(page, "version-edit-kpis")
    page.click("[data-testid=save]")
    assert "saved" in page.locator(".messages").inner_text()

    # then comparing with the active version shows both changes in the redline
    page.click("text=Read the whole document")
    screenshot(page, "version-document-draft")
    page.click("text=Compare with v1")
    comparison = page.locator("[data-testid=comparison]")
    text = comparison.inner_text()
    assert (
        "MQL" in text
        and "at least 60 points" in comparison.locator("ins").all_inner_texts().__str__()
    )
    assert "150" in comparison.locator("#cmp-kpis ins").all_inner_texts().__str__()
    assert "100" in comparison.locator("#cmp-kpis del").all_inner_texts().__str__()
    reasons = page.locator("[data-testid=edit-reasons]").inner_text()
    assert "Sales asked for a number they can check." in reasons
    screenshot(page, "compare-v1-v2")

    page.goto(f"/agreements/{agreement.pk}/history/")
    history = page.locator("[data-testid=timeline]").inner_text()
    assert "Alice Anders" in history
    assert "Sales asked for a number they can check." in history
    screenshot(page, "agreement-history")
