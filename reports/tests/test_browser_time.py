"""Dan reads one handoff at the same time in his queue and in the compliance drill-down."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from portal.demo import DEMO_PASSWORD
from portal.models import Profile
from portal.tests.browser import login, screenshot
from reports.tests.factories import AgreementFactory, VersionFactory, commitments, lead, story
from slas.testing import version_take_effect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def handoff(cast):
    agreement = AgreementFactory(title="Marketing ⇄ Sales SLA")
    agreement.parties.set([cast.marketing, cast.sales])
    now = timezone.now()
    version = VersionFactory(agreement=agreement, number=1)  # a Bucharest calendar
    commitments(version, marketing=cast.marketing, sales=cast.sales)
    version_take_effect(version, in_force_from=now - dt.timedelta(days=60))
    at = (now - dt.timedelta(days=2)).replace(minute=7, second=0, microsecond=0)
    story(
        lead(agreement, cast, first_name="Nora", last_name="Noon", stage="mql"),
        ("mql", at),
    )
    # Dan reads in New York, seven hours from the agreement's calendar
    Profile.objects.create(user=cast.dan, time_zone="America/New_York")
    return version, at


def _time_of(text: str) -> tuple[str, str]:
    day, clock = re.search(r"(\d{1,2} \w{3}).*?(\d{2}:\d{2})", text).groups()
    return day, clock


def test_dan_reads_one_handoff_at_the_same_time_in_his_queue_and_the_drill_down(
    page, cast, handoff
):
    version, at = handoff
    # given Dan signed in, on his queue
    login(page, "dan", DEMO_PASSWORD)
    page.goto(reverse("leads:queue"))
    queue_time = page.get_by_test_id("queue-row").filter(has_text="Nora Noon").locator("time")
    shown_in_queue = queue_time.inner_text()
    screenshot(page, "time-queue")
    # when he opens the first-contact drill-down of the handoff's month, every list
    commitment = version.commitments.get(kind="first_contact_within")
    period = timezone.localtime(at, ZoneInfo(version.calendar_timezone)).strftime("%Y-%m")
    url = reverse("reports:breakdown", args=[version.pk, commitment.pk, period])
    shown_in_drill_down = None
    for bucket in ("breached", "at_risk", "open", "met"):
        page.goto(f"{url}?list={bucket}")
        row = page.locator("tr", has_text="Nora Noon")
        if row.count():
            shown_in_drill_down = row.locator("time").inner_text()
            screenshot(page, "time-drill-down")
            break
    # then both show the same day and time, New York's, and the drill-down names the zone
    expected = timezone.localtime(at, ZoneInfo("America/New_York"))
    assert shown_in_drill_down is not None
    assert _time_of(shown_in_queue) == _time_of(shown_in_drill_down)
    assert _time_of(shown_in_queue)[1] == expected.strftime("%H:%M")
    assert "(America/New_York)" in shown_in_drill_down
