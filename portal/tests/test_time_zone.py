"""A reader's time zone: chosen on the profile, used for every instant on every page."""

import datetime as dt

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone, translation

from portal.models import Profile

pytestmark = pytest.mark.django_db


def test_a_person_without_a_choice_reads_in_the_sites_zone(client, cast, settings):
    # given the site runs in UTC and Dan chose nothing
    settings.TIME_ZONE = "UTC"
    client.force_login(cast.dan)
    # when he opens his profile
    html = client.get(reverse("profile")).content.decode()
    # then the site's zone is the one selected
    assert '<option value="" selected>The site&#x27;s (UTC)</option>' in html


def test_a_person_chooses_new_york_and_the_next_page_reads_in_it(client, cast):
    # given
    client.force_login(cast.dan)
    client.get(reverse("profile"))
    # when Dan saves New York
    response = client.post(reverse("profile"), {"time_zone": "America/New_York"})
    # then it is kept, said, and the next request runs in New York time
    assert response.status_code == 302
    assert Profile.objects.get(user=cast.dan).time_zone == "America/New_York"
    page = client.get(reverse("profile"))
    assert "Your time zone was saved." in page.content.decode()
    assert '<option value="America/New_York" selected>' in page.content.decode()
    assert client.session["reader_time_zone"] == [cast.dan.pk, "America/New_York"]


def test_an_unknown_zone_is_refused_with_a_message_and_nothing_changes(client, cast):
    # given Dan reads in Bucharest
    Profile.objects.create(user=cast.dan, time_zone="Europe/Bucharest")
    client.force_login(cast.dan)
    # when a hand-made request asks for a zone that does not exist
    response = client.post(reverse("profile"), {"time_zone": "Mars/Olympus_Mons"})
    # then the page says so and his zone stays
    assert response.status_code == 200
    assert "is not a time zone we know" in response.content.decode()
    assert Profile.objects.get(user=cast.dan).time_zone == "Europe/Bucharest"


def test_an_instant_names_the_readers_zone_only_when_the_calendars_differs():
    # given a handoff at 07:00 UTC on a Bucharest calendar
    at = dt.datetime(2026, 11, 27, 13, 0, tzinfo=dt.UTC)
    template = Template("{% load dates %}{{ at|when:tz }}")
    # when it is read in New York, then in Bucharest
    with translation.override("en"), timezone.override("America/New_York"):
        new_york = template.render(Context({"at": at, "tz": "Europe/Bucharest"}))
    with translation.override("en"), timezone.override("Europe/Bucharest"):
        bucharest = template.render(Context({"at": at, "tz": "Europe/Bucharest"}))
    # then New York's is named, Bucharest's needs no name
    assert new_york == "27 Nov 2026, 08:00 (America/New_York)"
    assert bucharest == "27 Nov 2026, 15:00"


def test_a_calendar_date_is_never_shifted_by_the_readers_zone():
    # given an effective date, 21 December
    template = Template("{% load dates %}{{ d|day }}")
    # when it is read in Honolulu and in Tokyo
    shown = set()
    for zone in ("Pacific/Honolulu", "Asia/Tokyo"):
        with translation.override("en"), timezone.override(zone):
            shown.add(template.render(Context({"d": dt.date(2026, 12, 21)})))
    # then both read 21 December
    assert shown == {"21 Dec 2026"}


def test_a_stored_message_writes_its_instant_when_read_in_the_readers_zone_and_language():
    # given a message stored with an instant and a date
    from portal.text import Text

    at = dt.datetime(2026, 12, 20, 22, 0, tzinfo=dt.UTC)
    stored = Text(
        "Signed; in force since %(at)s, ends %(end)s.", at=at, end=dt.date(2027, 12, 20)
    ).spec()
    # when it is read back in New York in English, and in Bucharest in Romanian
    with translation.override("en"), timezone.override("America/New_York"):
        in_new_york = str(Text.from_spec(stored))
    with translation.override("ro"), timezone.override("Europe/Bucharest"):
        in_bucharest = str(Text.from_spec(stored))
    # then the instant is written for each reader, and the date is the same day for both
    assert stored["params"]["at"] == {"instant": "2026-12-20T22:00:00+00:00"}
    assert in_new_york == "Signed; in force since 20 Dec 2026, 17:00, ends 20 Dec 2027."
    assert in_bucharest.startswith(
        "Signed; in force since 21 decembrie 2026, 00:00, ends 20 decembrie 2027"
    )


def test_an_email_writes_times_in_the_recipients_zone(cast):
    # given Dan reads in New York and a notification carries an instant
    from portal.emails import email_text
    from portal.notifications import notification_create
    from portal.text import Text

    Profile.objects.create(user=cast.dan, time_zone="America/New_York")
    at = dt.datetime(2026, 12, 20, 22, 0, tzinfo=dt.UTC)
    notification = notification_create(
        recipient=cast.dan,
        kind="signing.activated",
        title=Text("In force since %(at)s", at=at),
        body="",
        dedupe_key="tz-email",
    )
    # when its e-mail is written (by a task, away from any request)
    with translation.override("en"):
        text = email_text(notification)
    # then the time is New York's
    assert text.startswith("In force since 20 Dec 2026, 17:00")
