"""Issue 16, section 3: agreement dates read as the calendar days they are; instants
read in the reader's zone, named where the agreement's calendar runs in another."""

import datetime
import re

import pytest
import time_machine

from portal.models import Profile
from slas.signing.services import version_send_for_signature
from slas.tests.signing_factories import marketing_sales
from slas.tests.test_signing_services import sign

pytestmark = pytest.mark.django_db

# 1 December 2026, 10:00 UTC; the site's zone is UTC, the agreement's calendar Bucharest.
TODAY = datetime.datetime(2026, 12, 1, 10, 0, tzinfo=datetime.UTC)


def _page(client, user, url) -> str:
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def _fact(html: str, label: str) -> str:
    return re.search(rf"<dt>{label}</dt><dd>(.*?)</dd>", html, re.S).group(1)


@pytest.fixture
def agreement_versions(cast):
    with time_machine.travel(TODAY, tick=False):
        yield marketing_sales(cast, v3_effective=datetime.date(2026, 12, 21))


def test_a_term_reads_as_its_calendar_days_and_in_force_names_the_readers_zone(
    client, cast, agreement_versions
):
    # given v2, effective 23 August, in force from midnight on the Bucharest calendar
    _agreement, v2, _v3 = agreement_versions
    # when Carol, reading in the site's zone (UTC), opens it
    with time_machine.travel(TODAY, tick=False):
        html = _page(client, cast.carol, v2.get_absolute_url())
    # then the effective date is 23 August, unshifted, and "in force" is the same instant
    # in UTC (21:00 the day before), saying it is UTC
    assert _fact(html, "Effective date") == "23 Aug 2026"
    in_force = _fact(html, "In force")
    assert "22 Aug 2026, 21:00 (UTC)" in in_force
    assert "2026-08-22" not in html


def test_a_reader_in_the_calendars_zone_reads_in_force_without_a_zone_named(
    client, cast, agreement_versions
):
    # given Carol reads in Bucharest, the calendar's zone
    _agreement, v2, _v3 = agreement_versions
    Profile.objects.create(user=cast.carol, time_zone="Europe/Bucharest")
    # when she opens v2
    with time_machine.travel(TODAY, tick=False):
        html = _page(client, cast.carol, v2.get_absolute_url())
    # then in force reads from midnight on 23 August, nothing to confuse
    in_force = _fact(html, "In force")
    assert "23 Aug 2026, 00:00" in in_force and "(" not in in_force


def test_a_scheduled_version_takes_effect_on_its_effective_date_not_the_utc_evening_before(
    client, cast, agreement_versions
):
    # given v3, effective 21 December, signed by both parties
    _agreement, _v2, v3 = agreement_versions
    with time_machine.travel(TODAY, tick=False):
        version_send_for_signature(version=v3, actor=cast.alice)
        sign(v3, cast.carol)
        sign(v3, cast.alice)
        # when Bob opens it
        html = _page(client, cast.bob, v3.get_absolute_url())
    # then it takes effect on 21 December, a date, not "Dec. 20, 2026, 10 p.m."; the
    # instant that starts it is given in the reader's zone, which is named
    message = re.search(r"Signed by every party\. It takes effect on (.*?)</p>", html, re.S)
    assert message.group(1) == "21 Dec 2026, from 20 Dec 2026, 22:00 (UTC)."
    assert "p.m." not in html
