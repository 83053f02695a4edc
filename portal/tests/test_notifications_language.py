"""A notification reads in its reader's language, whoever (or whichever task) wrote it."""

import datetime as dt

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_noop

from leads.sweep import lead_clocks_sweep
from portal.models import Notification
from portal.notifications import notification_create
from portal.tests.leadclocks import active_agreement, handed_lead
from portal.text import Text

HANDOFF = dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC)  # Monday; 8 business hours, 09-17 UTC


def test_a_text_is_translated_when_read_with_its_parameters_nested_or_numeric():
    # given a message with a number and a nested message as parameters
    text = Text(
        gettext_noop("Breached: no first contact with %(lead)s within %(window)s"),
        lead="Ada Lovelace",
        window=Text(gettext_noop("%(minutes)d min"), minutes=5),
    )
    # when it is read in English and in Romanian, also after a round trip through JSON
    stored = Text.from_spec(text.spec())
    with translation.override("en"):
        english = str(stored)
    with translation.override("ro"):
        romanian = str(stored)
    # then each reads in its language, with the parameters filled in
    assert stored == text
    assert english == "Breached: no first contact with Ada Lovelace within 5 min"
    assert romanian.startswith("Încălcare: niciun prim contact cu Ada Lovelace")


@pytest.mark.django_db
def test_a_notification_written_in_romanian_reads_in_english_and_japanese(cast):
    # given Carol's action, in Romanian, writes Dan a notification
    with translation.override("ro"):
        notification_create(
            recipient=cast.dan,
            kind="signing.requested",
            title=Text(gettext_noop("Your signature is needed: %(version)s"), version="SLA v2"),
            dedupe_key="language-test",
            email=False,
        )
    notification = Notification.objects.get()
    # then the stored columns are in the site language, the message untranslated
    assert notification.title == "Your signature is needed: SLA v2"
    assert notification.message["title"]["msgid"] == "Your signature is needed: %(version)s"
    # and the kind's reason travels untranslated too
    assert notification.message["reason"]["msgid"] == (
        "You are a required signatory of this agreement."
    )
    # when Dan reads it in English, Romanian and Japanese, it reads in each
    with translation.override("en"):
        assert notification.title_text == "Your signature is needed: SLA v2"
    with translation.override("ro"):
        assert notification.title_text == "Este nevoie de semnătura dvs.: SLA v2"
        assert notification.reason_text != notification.reason
    with translation.override("ja"):
        assert notification.title_text not in (notification.title, "")
        assert "SLA v2" in notification.title_text


@pytest.mark.django_db
def test_a_sweep_breach_shows_in_the_readers_language_on_the_page_and_in_the_api(client, cast):
    # given the hourly sweep (no language of its own) finds Dan's lead breached
    version = active_agreement(cast, hours=8)
    lead = handed_lead(cast, version, at=HANDOFF)
    now = HANDOFF + dt.timedelta(days=1, hours=1)  # Tuesday 10:00: 9 of 8 business hours
    with time_machine.travel(now, tick=False):
        lead_clocks_sweep(now=now)
    breach = Notification.objects.get(recipient=cast.dan, kind="lead_breached")
    assert breach.title.startswith("Breached")  # stored in the site language
    # when Dan reads his notifications in Romanian
    client.force_login(cast.dan)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ro"
    page = client.get(reverse("notifications")).content.decode()
    # then the title and the reason are Romanian, with the lead's name in it
    assert f"Încălcare: niciun prim contact cu {lead}" in page
    assert "Breached: no first contact" not in page
    # and the API answers in the language the client asks for
    client.cookies.pop(settings.LANGUAGE_COOKIE_NAME)
    listed = client.get("/api/v1/notifications/", HTTP_ACCEPT_LANGUAGE="ro").json()["results"]
    assert listed[0]["title"].startswith("Încălcare")
    english = client.get("/api/v1/notifications/", HTTP_ACCEPT_LANGUAGE="en").json()["results"]
    assert english[0]["title"] == breach.title
