"""Browser: Dan leaves feedback on a lead Bob brought in; Bob is notified, reads it on his
feedback page and replies once. And an import lists its problems without a reload."""

import datetime as dt

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from leads.ingest.models import ImportJob, ImportStatus
from leads.models import LeadEvent
from leads.reviews.models import Feedback
from leads.tests.review_factories import agreement_in_force, rejected_lead
from portal.demo import DEMO_PASSWORD
from portal.tests.browser import login, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_bob_sees_dans_feedback_on_his_lead_and_its_notification_and_replies(page, cast):
    # given a lead Bob brought in, which Dan recycled an hour ago
    version = agreement_in_force(cast)
    now = dt.datetime.now(dt.UTC)
    lead = rejected_lead(
        cast, version, now - dt.timedelta(hours=3), reason="no_budget", company="Nordwind"
    )
    LeadEvent.objects.create(
        lead=lead, kind="created", occurred_at=now - dt.timedelta(days=2), actor=cast.bob
    )
    # when Dan gives his feedback from the lead page
    login(page, "dan", DEMO_PASSWORD)
    page.goto(lead.get_absolute_url())
    page.get_by_role("link", name="Give feedback").click()
    page.get_by_label("2 · poor").check()
    page.get_by_label("What went wrong").fill("No budget until next year.")
    page.get_by_role("button", name="Send feedback").click()
    page.wait_for_url(f"**{lead.get_absolute_url()}")
    entry = Feedback.objects.get()

    # then Bob has a notification
    page.context.clear_cookies()
    login(page, "bob", DEMO_PASSWORD)
    assert page.locator("[data-testid=unread-badge]").inner_text().strip() == "1"
    page.goto("/notifications/")
    notice = page.get_by_text(f"Feedback on {lead} from Dan Dumitrescu")
    assert notice.is_visible()
    screenshot(page, "feedback-loop-bob-notification")
    # and My leads sends him to the feedback on his leads, where Dan's entry is
    page.goto("/leads/")
    page.get_by_role("link", name="See what sales said about your leads").click()
    item = page.locator(f"#feedback-{entry.pk}")
    assert "No budget until next year." in item.inner_text()
    assert "Dan Dumitrescu" in item.inner_text()
    # when he replies
    item.locator("summary", has_text="Reply").click()
    item.get_by_label("Your reply").fill("Thanks: the form now asks for the budget.")
    item.get_by_role("button", name="Send reply").click()
    page.wait_for_selector(f"#feedback-{entry.pk} [data-testid=feedback-reply]")
    # then the reply shows, and there is no second reply box
    item = page.locator(f"#feedback-{entry.pk}")
    assert "the form now asks for the budget" in item.inner_text()
    assert item.locator("summary", has_text="Reply").count() == 0
    screenshot(page, "feedback-loop-bob-replied")
    entry.refresh_from_db()
    assert entry.replied_by == cast.bob


def test_an_import_lists_its_problems_when_it_ends_without_a_reload(page, cast):
    # given an import still running
    job = ImportJob.objects.create(
        file="lead-imports/running.csv",
        original_name="running.csv",
        format="events",
        marketing_team=cast.marketing,
        sales_team=cast.sales,
        created_by=cast.alice,
        status=ImportStatus.RUNNING,
        total_bytes=100,
        processed_bytes=40,
        enqueued_at=timezone.now(),
    )
    login(page, "alice", DEMO_PASSWORD)
    page.goto(job.get_absolute_url())
    assert page.locator("[data-testid=import-issues]").count() == 0
    page.evaluate("window.__same_page = true")
    # when it ends with a refused row
    job.issues_report.save(
        "issues.csv",
        ContentFile(b"row,column,severity,message\n7,occurred_at,error,Not a date: 31/02\n"),
        save=False,
    )
    job.status, job.failed, job.processed_bytes = ImportStatus.DONE, 1, 100
    job.finished_at = timezone.now()
    job.save()
    # then the page lists it, without a reload
    issues = page.locator("[data-testid=import-issues]")
    issues.wait_for()
    assert "Not a date: 31/02" in issues.inner_text()
    assert page.evaluate("window.__same_page") is True
    # and its counts, as the page writes them
    assert page.locator("[data-field=percent]").inner_text() == "100%"
    assert page.locator("[data-field=failed]").inner_text() == "1"
