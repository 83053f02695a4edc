"""Every e-mail the portal sends (a notification, the daily digest, a password reset) has
a plain-text and an HTML part, rendered from templates in the recipient's language (the
one they chose on screen, else the site's), right to left for Arabic and Persian, with
dates written for the recipient, whoever or whatever task sends it."""

import datetime as dt
import re
from unittest import mock

import pytest
from django.core import mail
from django.core.cache import cache
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext_noop

from portal.emails import digest_email, notification_email
from portal.models import Notification, Profile, reader_language
from portal.notifications import notification_create
from portal.tasks import digest_send_one, notification_email_send
from portal.text import Text

pytestmark = pytest.mark.django_db

DUE = dt.date(2026, 3, 21)  # Nowruz: 1 Farvardin 1405


def _notify(user, key="k", **extra):
    with mock.patch.object(notification_email_send, "delay"):
        return notification_create(
            recipient=user,
            kind="action_item_assigned",
            title=Text(gettext_noop("Action for you: %(title)s"), title="Call Ada"),
            body=Text(
                gettext_noop("From the lead review “%(session)s”, due %(due)s."),
                session="March",
                due=DUE,
            ),
            url="/reviews/sessions/1/",
            dedupe_key=key,
            **extra,
        )


def _html(message) -> str:
    ((html, mimetype),) = message.alternatives
    assert mimetype == "text/html"
    return html


def test_a_person_who_never_chose_reads_the_sites_language(cast, settings):
    settings.LANGUAGE_CODE = "en"
    assert reader_language(cast.dan) == "en"
    assert reader_language(cast.dan, "ja") == "ja"


def test_choosing_a_language_on_screen_keeps_it_for_e_mails(cast):
    # given Dan is signed in
    client = Client()
    client.force_login(cast.dan)
    # when he switches the portal to Persian in the footer
    response = client.post("/i18n/setlang/", {"language": "fa", "next": "/"})
    # then the page switches, and his e-mails will be written in Persian
    assert response.status_code == 302
    assert response.cookies["django_language"].value == "fa"
    assert reader_language(cast.dan) == "fa"
    # and a language the portal does not ship changes nothing
    client.post("/i18n/setlang/", {"language": "xx", "next": "/"})
    assert reader_language(cast.dan) == "fa"


def test_an_anonymous_switch_stores_nothing(db):
    response = Client().post("/i18n/setlang/", {"language": "ar", "next": "/"})
    assert response.status_code == 302
    assert not Profile.objects.exists()


@pytest.mark.parametrize(
    ("lang", "direction", "title", "due"),
    [
        ("en", "ltr", "Action for you: Call Ada", "21 Mar 2026"),
        ("ro", "ltr", "Acțiune pentru dvs.: Call Ada", "21 martie 2026"),
        ("ja", "ltr", "あなたへのアクション: Call Ada", "2026年3月21日"),
        ("ar", "rtl", "إجراء مطلوب منك: Call Ada", "٢١ مارس ٢٠٢٦"),
        ("fa", "rtl", "اقدام برای شما: Call Ada", "۱ فروردین ۱۴۰۵"),
    ],
)
def test_a_notification_e_mail_is_written_in_the_recipients_language(
    cast, lang, direction, title, due
):
    # given Dan reads the portal in `lang`, and a task written in English notifies him
    Profile.objects.create(user=cast.dan, language=lang)
    with translation.override("en"):
        notification = _notify(cast.dan)
        # when the e-mail task sends it
        assert notification_email_send(notification.pk) is True
    (message,) = mail.outbox
    html = _html(message)
    # then subject, text and HTML parts are in his language, the due date his calendar's
    assert message.subject == title
    assert message.body.startswith(title)
    assert due in message.body and due in html
    assert f'<html lang="{lang}" dir="{direction}">' in html
    assert title in html
    assert 'href="http://127.0.0.1:8000/reviews/sessions/1/"' in html


def test_a_notification_e_mail_escapes_names_in_html_and_keeps_them_in_text(cast):
    with mock.patch.object(notification_email_send, "delay"):
        notification = notification_create(
            recipient=cast.dan,
            kind="lead_assigned",
            title=Text(gettext_noop("Lead handed to you: %(lead)s"), lead="<b>Ada</b> & Co"),
            dedupe_key="escape",
        )
    message = notification_email(notification)
    assert "<b>Ada</b> & Co" in message.body
    assert "&lt;b&gt;Ada&lt;/b&gt; &amp; Co" in _html(message)


def test_the_digest_is_written_in_the_recipients_language_with_each_notification(cast):
    # given Alice reads in Arabic and two notifications wait for her digest
    Profile.objects.create(user=cast.alice, language="ar")
    first = _notify(cast.alice, "d1")
    second = _notify(cast.alice, "d2")
    # when the digest is written
    message = digest_email(cast.alice, [first, second])
    html = _html(message)
    # then it is in Arabic, right to left, with both, and Arabic digits in the count
    assert message.subject.startswith("ملخص")
    assert "٢" in message.subject
    assert '<html lang="ar" dir="rtl">' in html
    assert html.count("إجراء مطلوب منك: Call Ada") == 2
    assert message.body.count("٢١ مارس ٢٠٢٦") == 2


def test_the_digest_task_sends_both_parts(cast, settings):
    # given Dan takes a digest, reads in Japanese, and has a notification waiting
    from portal.notifications import notification_preferences_update

    Profile.objects.create(user=cast.dan, language="ja")
    notification_preferences_update(user=cast.dan, choices={"action_item_assigned": "digest"})
    _notify(cast.dan, "digest")
    # when the digest of the day is sent
    assert digest_send_one(cast.dan.pk, "2026-03-21") is True
    (message,) = mail.outbox
    # then it is in Japanese, as text and as HTML
    assert "2026年3月21日" in message.body
    assert '<html lang="ja" dir="ltr">' in _html(message)


@pytest.fixture
def _fresh_counts():
    cache.clear()
    yield
    cache.clear()


@pytest.mark.usefixtures("_fresh_counts")
@pytest.mark.parametrize(
    ("chosen", "asked_in", "lang", "direction"),
    [("fa", "en", "fa", "rtl"), ("", "ja", "ja", "ltr"), ("ro", "ar", "ro", "ltr")],
)
def test_a_password_reset_is_written_in_the_recipients_language(
    cast, chosen, asked_in, lang, direction
):
    # given Alice chose `chosen` (or nothing), and the reset is asked from a page in `asked_in`
    if chosen:
        Profile.objects.create(user=cast.alice, language=chosen)
    client = Client(REMOTE_ADDR="203.0.113.20")
    client.cookies["django_language"] = asked_in
    # when she asks for the link
    client.post("/accounts/password/reset/", {"email": "alice@example.com"})
    (message,) = mail.outbox
    html = _html(message)
    # then the e-mail is in her language (else the page's), with the same link in both parts
    assert f'<html lang="{lang}" dir="{direction}">' in html
    link = re.search(r"(/accounts/reset/\S+/)", message.body).group(1)
    assert f"{link}" in html
    with translation.override(lang):
        from django.utils.translation import gettext

        expected = gettext("Reset your password for the SLA portal")
    assert message.subject == expected


def test_the_profile_says_which_language_e_mails_come_in(cast):
    client = Client()
    client.force_login(cast.dan)
    client.post("/i18n/setlang/", {"language": "ja", "next": "/"})
    client.cookies["django_language"] = "en"  # reading the page in English
    page = client.get("/people/me/").content.decode()
    assert "E-mails to you are written in 日本語" in page


def test_an_action_item_due_date_stored_as_text_is_migrated_to_a_day(cast):
    # given a notification written before due dates were stored as days
    from importlib import import_module

    from django.apps import apps

    stored = Notification.objects.create(
        recipient=cast.dan,
        kind="action_item_assigned",
        title="Action for you: Call Ada",
        dedupe_key="legacy",
        message={
            "body": {
                "msgid": "From the lead review “%(session)s”, due %(due)s.",
                "params": {"session": "March", "due": "2026-03-21"},
            }
        },
    )
    # when the data migration runs
    import_module("portal.migrations.0008_action_item_due_as_day").due_as_day(apps, None)
    stored.refresh_from_db()
    # then the due date reads in each reader's calendar
    with translation.override("fa"):
        assert "۱ فروردین ۱۴۰۵" in stored.body_text
