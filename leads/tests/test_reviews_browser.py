"""Browser: Dan returns a lead and leaves feedback in the same flow; Alice sees it counted."""

import datetime as dt

import pytest

from leads.reviews import demo as demo_feedback
from leads.reviews.models import Feedback, ReviewSession
from leads.tests.review_factories import agreement_in_force, handed_off_lead
from portal.demo import DEMO_PASSWORD
from portal.tests.browser import login, screenshot
from slas import demo as slas_demo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_dan_rejects_a_lead_with_a_reason_and_alice_sees_it_under_its_source(page, cast):
    # given a Webinar lead handed to Dan an hour ago
    version = agreement_in_force(cast)
    now = dt.datetime.now(dt.UTC)
    lead = handed_off_lead(
        cast, version, now - dt.timedelta(hours=1), lead_source="Webinar", company="Nordwind"
    )
    # when Dan rejects it on the lead page with "no_budget"
    login(page, "dan", DEMO_PASSWORD)
    page.goto(lead.get_absolute_url())
    page.click("[data-testid=open-move-recycled]")
    move_form = page.locator("details:has([data-testid=move-recycled])")
    move_form.locator("select[name=reason_code]").select_option("no_budget")
    move_form.locator("[data-testid=move-recycled]").click()
    page.wait_for_url("**/feedback/new/**")
    # then he is prompted, with the rejection reason already ticked
    assert "tell marketing why" in page.locator("[data-testid=feedback-prompt]").inner_text()
    assert page.get_by_label("No budget this year").is_checked()
    page.get_by_label("2 · poor").check()
    page.get_by_label("What went wrong").fill("Budget frozen until next year")
    screenshot(page, "feedback-form-after-reject")
    page.get_by_role("button", name="Send feedback").click()
    page.wait_for_url(f"**{lead.get_absolute_url()}")
    assert "feedback on" in page.locator(".messages").inner_text()
    entry = Feedback.objects.get()
    assert (entry.author, entry.rating, entry.reason_codes) == (cast.dan, 2, ["no_budget"])

    # when Alice opens the feedback analysis
    page.context.clear_cookies()
    login(page, "alice", DEMO_PASSWORD)
    page.goto("/reviews/analysis/")
    # then the Webinar row counts one lead under "No budget this year"
    table = page.locator("[data-testid=analysis-table]")
    headers = [h.strip() for h in table.locator("thead th").all_text_contents()]
    column = headers.index("No budget this year")
    row = table.locator("[data-testid=analysis-row][data-value=Webinar]")
    assert row.locator("th, td").nth(column).inner_text().strip() == "1"
    screenshot(page, "feedback-analysis-alice")
    # and the number opens the lead behind it
    row.locator("th, td").nth(column).locator("a").click()
    assert page.locator("[data-testid=lead-row]").all_inner_texts()[0].count("Nordwind") == 1


def test_the_demo_minutes_home_and_analysis_read_well(page, cast):
    # given the demo agreements and the feedback demo
    slas_demo.seed()
    demo_feedback.seed()
    session = ReviewSession.objects.order_by("-period_start").first()
    # when Carol opens the latest session's minutes
    login(page, "carol", DEMO_PASSWORD)
    page.goto(session.get_absolute_url())
    assert page.locator("[data-testid=reviewed-lead]").count() >= 3
    assert page.locator("tr.overdue").count() == 1
    screenshot(page, "review-session-minutes-carol")
    page.goto("/reviews/")
    screenshot(page, "reviews-index-carol")
    page.goto("/reviews/sessions/new/")
    screenshot(page, "review-session-new-carol")
    # and Alice sees her overdue action item on her home page
    page.context.clear_cookies()
    login(page, "alice", DEMO_PASSWORD)
    assert "Overdue" in page.locator("main").inner_text()
    screenshot(page, "home-alice-action-items")
    page.goto("/reviews/analysis/?by=period")
    screenshot(page, "feedback-analysis-by-period-alice")
