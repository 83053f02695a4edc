import pytest

from portal.demo import DEMO_PASSWORD
from portal.tests.browser import login, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_manager_logs_in_and_sees_the_home_page_with_the_team_name(page, cast):
    login(page, "alice", DEMO_PASSWORD)
    memberships = page.locator("[data-testid=membership]")
    assert "Marketing" in memberships.first.inner_text()
    assert page.locator("nav.areas").inner_text().split() == [
        "Agreements",
        "Leads",
        "Reports",
        "People",
    ]
    path = screenshot(page, "home-alice")
    assert path.stat().st_size > 10_000
