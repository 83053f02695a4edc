"""In the browser: Alice compares two versions and reads values as values (issue 22):
a date change reads "21 Aug → 28 Aug", a commitment as the sentence it says."""

import datetime
import re
from decimal import Decimal

import pytest

from portal.demo import DEMO_PASSWORD
from portal.tests.browser import login, screenshot
from slas import services
from slas.tests.factories import activate, agreement_with_draft, fill_draft

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_compare_page_reads_a_date_change_as_one_date_to_another(page, cast):
    # given v1 effective on 21 August, in force
    agreement = agreement_with_draft(cast)
    v1 = fill_draft(agreement.versions.get(), cast)
    services.version_update(
        actor=cast.alice,
        version=v1,
        data={
            "effective_date": datetime.date(2026, 8, 21),
            "end_date": datetime.date(2027, 8, 21),
            "review_date": datetime.date(2027, 2, 19),
        },
    )
    activate(v1)
    # and v2 a week later, with first contact within 16 business hours
    v2 = services.version_amend(actor=cast.alice, agreement=agreement)
    services.version_update(
        actor=cast.alice,
        version=v2,
        data={
            "effective_date": datetime.date(2026, 8, 28),
            "end_date": datetime.date(2027, 8, 28),
            "review_date": datetime.date(2027, 2, 26),
        },
    )
    services.version_part_update(
        actor=cast.alice,
        instance=v2.commitments.get(kind="first_contact_within"),
        data={"params": {"hours": 16}, "target": Decimal(95)},
    )

    # when Alice, on a phone-sized screen, opens the compare link of the versions table
    page.set_viewport_size({"width": 390, "height": 844})
    login(page, "alice", DEMO_PASSWORD)
    page.goto(f"/agreements/{agreement.pk}/")
    table = page.locator("[data-testid=versions]")
    assert "Compare" in [t.strip() for t in table.locator("thead th").all_text_contents()]
    table.locator("a", has_text="Compare with v1").click()
    page.wait_for_selector("[data-testid=comparison]")
    screenshot(page, "compare-dates-390")

    # then the effective date reads as one date to another, never digit by digit
    frame = page.locator("#cmp-frame").inner_text()
    assert re.search(r"Effective date\s+21 Aug\s*→\s*28 Aug", frame), frame
    assert "2026-" not in frame
    # and the commitment reads as its sentence, its target in its unit
    kpis = page.locator("#cmp-kpis").inner_text()
    assert "Sales · First contact within 16 business hours" in kpis
    assert re.search(
        r"First contact within 24 business hours\s*→\s*First contact within 16 business hours",
        kpis,
    ), kpis
    assert re.search(r"90%\s*→\s*95%", kpis) and "hours=" not in kpis
    # and nothing overflows the small screen sideways
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
