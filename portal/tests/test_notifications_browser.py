import datetime as dt

import pytest

from leads.sweep import lead_clocks_sweep
from portal.demo import DEMO_PASSWORD
from portal.tests.browser import login, screenshot
from portal.tests.leadclocks import handed_lead, round_the_clock_version

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_dan_sees_the_badge_opens_the_at_risk_notification_and_lands_on_the_lead(page, cast):
    # given Dan's lead with 30 minutes left of a 4-hour first-contact window
    version = round_the_clock_version(cast, hours=4)
    now = dt.datetime.now(dt.UTC)
    lead = handed_lead(cast, version, at=now - dt.timedelta(hours=3, minutes=30), name="Grace")
    assert lead_clocks_sweep(now=now) == 1
    # when Dan signs in, he sees one unread notification
    login(page, "dan", DEMO_PASSWORD)
    assert page.locator("[data-testid=unread-badge]").inner_text() == "1"
    # and opens the notification centre
    page.click("a.bell")
    item = page.locator("[data-testid=notification]").first
    assert "At risk" in item.inner_text() and "Grace" in item.inner_text()
    assert "Why you get this" in item.inner_text()
    screenshot(page, "notifications-dan")
    # then following it lands on the lead, and the badge is gone
    item.locator("a.notification-title").click()
    page.wait_for_url(f"**{lead.get_absolute_url()}")
    assert page.locator("[data-testid=unread-badge]").count() == 0


def test_dan_switches_an_email_off_on_the_preferences_page(page, cast):
    from portal.notifications import preferences_for

    login(page, "dan", DEMO_PASSWORD)
    page.goto("/people/me/")
    page.click("text=Notification preferences")
    page.check("input[name=lead_escalation][value=off]")
    screenshot(page, "notification-preferences")
    page.click("button:has-text('Save preferences')")
    assert "saved" in page.locator(".messages").inner_text()
    assert preferences_for(cast.dan)["lead_escalation"] == "off"
