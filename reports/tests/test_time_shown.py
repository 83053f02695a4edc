"""Issue 16, section 3: one instant reads the same on every page, in the reader's zone."""

import re

import pytest
import time_machine
from django.urls import reverse

from portal.models import Profile
from reports.tests.factories import lead as make_lead
from reports.tests.factories import local, story, two_versions

NOW = local(4, 8, 12)


@pytest.fixture
def waiting(cast):
    agreement, _, v2 = two_versions(cast)
    # handed off 09:00 on the Bucharest calendar, 06:00 UTC
    wanda = story(
        make_lead(agreement, cast, first_name="Wanda", last_name="Waiting", stage="mql"),
        ("mql", local(4, 8, 9)),
    )
    return v2, wanda


def _row(html: str, name: str) -> str:
    rows = re.findall(r"<tr[^>]*>.*?</tr>", html, re.S)
    return next(row for row in rows if name in row)


def _shown_time(row: str) -> str:
    return re.search(r"<time[^>]*>(.*?)</time>", row, re.S).group(1)


def _page(client, user, url) -> str:
    client.force_login(user)
    with time_machine.travel(NOW, tick=False):
        response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.django_db
def test_my_leads_and_the_compliance_drill_down_show_one_handoff_at_the_same_time(
    client, cast, waiting
):
    # given a handoff at 09:00 Bucharest, read by people on the site's zone (UTC)
    v2, _ = waiting
    fc = v2.commitments.get(kind="first_contact_within")
    drill_down = reverse("reports:breakdown", args=[v2.pk, fc.pk, "2026-04"]) + "?list=at_risk"
    # when Dan reads his queue and Carol the drill-down
    queue_row = _row(_page(client, cast.dan, reverse("leads:queue")), "Wanda Waiting")
    drill_row = _row(_page(client, cast.carol, drill_down), "Wanda Waiting")
    # then both say 06:00 on 8 April, and the drill-down names the reader's zone,
    # because the agreement's calendar is in Bucharest
    assert "8 Apr, 06:00" in _shown_time(queue_row)
    assert "8 Apr 2026, 06:00" in _shown_time(drill_row)
    assert "(UTC)" in _shown_time(drill_row)
    assert "09:00" not in drill_row


@pytest.mark.django_db
def test_a_reader_in_new_york_reads_the_handoff_in_new_york_time_on_both_pages(
    client, cast, waiting
):
    # given Dan and Carol read in New York
    v2, _ = waiting
    for person in (cast.dan, cast.carol):
        Profile.objects.create(user=person, time_zone="America/New_York")
    fc = v2.commitments.get(kind="first_contact_within")
    drill_down = reverse("reports:breakdown", args=[v2.pk, fc.pk, "2026-04"]) + "?list=at_risk"
    # when they read the queue and the drill-down
    queue_row = _row(_page(client, cast.dan, reverse("leads:queue")), "Wanda Waiting")
    drill_row = _row(_page(client, cast.carol, drill_down), "Wanda Waiting")
    # then 06:00 UTC reads 02:00 (EDT) on both, the zone named where it could be confused
    assert "8 Apr, 02:00" in _shown_time(queue_row)
    assert "8 Apr 2026, 02:00 (America/New_York)" in _shown_time(drill_row)


@pytest.mark.django_db
def test_a_clock_paused_after_hours_says_so_and_when_it_resumes_on_both_pages(client, cast):
    # given Paula's clock, handed off at 15:00 Bucharest, read at 20:00 Bucharest (17:00
    # UTC): the working day ended at 17:00 with 2 of 4 hours used
    agreement, _, v2 = two_versions(cast)
    story(
        make_lead(agreement, cast, first_name="Paula", last_name="Paused", stage="mql"),
        ("mql", local(4, 8, 15)),
    )
    fc = v2.commitments.get(kind="first_contact_within")
    drill_down = reverse("reports:breakdown", args=[v2.pk, fc.pk, "2026-04"]) + "?list=open"
    # when Dan reads his queue and Carol the drill-down
    with time_machine.travel(local(4, 8, 20), tick=False):
        client.force_login(cast.dan)
        queue_row = _row(client.get(reverse("leads:queue")).content.decode(), "Paula Paused")
        client.force_login(cast.carol)
        drill_row = _row(client.get(drill_down).content.decode(), "Paula Paused")
    # then both say the clock is paused outside working hours and resumes at 09:00
    # Bucharest the next day, 06:00 in the reader's zone (UTC, named)
    for row in (queue_row, drill_row):
        assert "paused outside working hours" in row
        assert "resumes 9 Apr, 06:00 (UTC)" in row


@pytest.mark.django_db
def test_the_compliance_page_says_when_a_version_took_force_with_its_time_and_zone(
    client, cast, waiting
):
    # given v2 took force at midnight on 15 March on the Bucharest calendar (22:00 UTC on
    # the 14th): the demo's "in force from 2026-05-19" for a 20 May start
    v2, _ = waiting
    # when Carol, reading in UTC, opens v2's compliance page
    html = _page(client, cast.carol, reverse("reports:version", args=[v2.pk]))
    # then it names the instant with its time and her zone, not a bare day before the start
    assert "in force from 14 Mar 2026, 22:00 (UTC)" in html
    assert "2026-03-14" not in html


@pytest.mark.django_db
def test_a_queue_whose_clocks_all_stand_still_says_so_once_not_on_every_row(client, cast):
    # given two of Dan's clocks, both paused by the end of the same working day
    agreement, _, _v2 = two_versions(cast)
    for first, hour in (("Paula", 15), ("Petra", 16)):
        story(
            make_lead(agreement, cast, first_name=first, last_name="Paused", stage="mql"),
            ("mql", local(4, 8, hour)),
        )
    # when Dan reads his queue in the evening
    with time_machine.travel(local(4, 8, 20), tick=False):
        client.force_login(cast.dan)
        html = client.get(reverse("leads:queue")).content.decode()
    # then the pause is said once, above the list, and no row repeats it
    assert html.count('data-testid="clock-pause"') == 1
    assert 'data-testid="queue-pause"' in html
    assert "resumes 9 Apr, 06:00 (UTC)" in html
