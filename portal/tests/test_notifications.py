"""The writer, preferences, the email task and the digest."""

import datetime as dt
from unittest import mock

import pytest
import time_machine
from django.core import mail
from django.db import transaction

from portal import notifications as n
from portal.models import EmailDelivery, EmailDigest, Notification, NotificationPreference
from portal.notifications import notification_create
from portal.tasks import digest_send_one, notification_digests_send, notification_email_send

UTC = dt.UTC


@pytest.mark.django_db
class TestNotificationCreate:
    def test_the_same_key_is_delivered_once(self, cast, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            first = notification_create(
                recipient=cast.dan, kind="lead_at_risk", title="T", dedupe_key="lead:1:at_risk"
            )
            second = notification_create(
                recipient=cast.dan, kind="lead_at_risk", title="T", dedupe_key="lead:1:at_risk"
            )
        assert first is not None and second is None
        assert cast.dan.notifications.count() == 1
        assert len(mail.outbox) == 1

    def test_a_rolled_back_transaction_sends_nothing(
        self, cast, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            with pytest.raises(RuntimeError), transaction.atomic():
                notification_create(
                    recipient=cast.dan, kind="lead_at_risk", title="T", dedupe_key="x"
                )
                raise RuntimeError
        assert callbacks == []
        assert len(mail.outbox) == 0
        assert not Notification.objects.exists()

    def test_the_email_is_enqueued_only_after_the_commit(
        self, cast, django_capture_on_commit_callbacks
    ):
        # given an open transaction that wrote a notification
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            notification_create(recipient=cast.dan, kind="lead_at_risk", title="T", dedupe_key="y")
            # then nothing was sent yet
            assert len(mail.outbox) == 0
        # when the transaction commits
        for callback in callbacks:
            callback()
        # then the email goes out once
        assert len(mail.outbox) == 1

    def test_a_kind_missing_from_the_registry_is_refused(self, cast):
        # when a notification of an unregistered kind is written
        with pytest.raises(n.UnknownKind):
            notification_create(recipient=cast.dan, kind="lead_handed", title="T", dedupe_key="u")
        # then nothing was written
        assert not Notification.objects.exists()

    def test_without_a_reason_the_kinds_reason_is_used(self, cast):
        notification = notification_create(
            recipient=cast.dan, kind="lead_assigned", title="T", dedupe_key="r", email=False
        )
        assert notification.reason == str(n.KINDS["lead_assigned"].reason)

    def test_an_in_app_only_kind_never_emails(self, cast, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            notification = notification_create(
                recipient=cast.dan, kind="signing.signed", title="T", dedupe_key="s"
            )
        assert notification.email_delivery == EmailDelivery.OFF
        assert mail.outbox == []

    def test_the_same_key_reaches_two_different_people(self, cast):
        notification_create(recipient=cast.dan, kind="lead_at_risk", title="T", dedupe_key="same")
        notification_create(recipient=cast.carol, kind="lead_at_risk", title="T", dedupe_key="same")
        assert Notification.objects.filter(dedupe_key="same").count() == 2


@pytest.mark.django_db
class TestEmailTask:
    def test_the_email_task_sends_once_even_when_run_twice(self, cast):
        # given a notification whose email is due
        notification = notification_create(
            recipient=cast.dan, kind="lead_at_risk", title="T", dedupe_key="y"
        )
        mail.outbox.clear()
        Notification.objects.filter(pk=notification.pk).update(emailed_at=None)
        # when the task runs twice
        assert notification_email_send(notification.pk) is True
        assert notification_email_send(notification.pk) is False
        # then one email went out
        assert len(mail.outbox) == 1

    def test_the_email_has_text_and_html_parts_with_title_reason_and_absolute_link(
        self, cast, settings
    ):
        settings.PORTAL_BASE_URL = "https://sla.example.com"
        with mock.patch.object(notification_email_send, "delay"):
            notification = notification_create(
                recipient=cast.dan,
                kind="lead_at_risk",
                title="At risk: Ada",
                dedupe_key="z",
                url="/leads/7/",
                reason="You own this lead.",
            )
        notification_email_send(notification.pk)
        (email,) = mail.outbox
        assert email.subject == "At risk: Ada"
        assert email.to == ["dan@example.com"]
        assert "At risk: Ada" in email.body
        assert "Why you get this: You own this lead." in email.body
        assert "https://sla.example.com/leads/7/" in email.body
        ((html, mimetype),) = email.alternatives
        assert mimetype == "text/html"
        assert "At risk: Ada" in html and 'href="https://sla.example.com/leads/7/"' in html

    def test_an_email_failure_is_retried_and_the_notification_stays_unsent(self, cast):
        # given a mail server that refuses
        with mock.patch.object(notification_email_send, "delay"):
            notification = notification_create(
                recipient=cast.dan, kind="lead_at_risk", title="T", dedupe_key="smtp"
            )
        with (
            mock.patch(
                "django.core.mail.EmailMultiAlternatives.send", side_effect=OSError("SMTP down")
            ),
            mock.patch.object(notification_email_send, "retry", side_effect=RuntimeError) as retry,
        ):
            # when the task runs
            with pytest.raises(RuntimeError):
                notification_email_send(notification.pk)
        # then it asks for a retry with a backoff, and the row is still to be emailed
        assert retry.call_args.kwargs["countdown"] == 30
        notification.refresh_from_db()
        assert notification.emailed_at is None
        # and a later run sends it
        assert notification_email_send(notification.pk) is True

    def test_an_email_the_broker_refused_is_sent_by_the_sweep(self, cast):
        from portal.sweep import pending_emails_requeue

        # given the broker was down when the notification was written
        with mock.patch.object(notification_email_send, "delay", side_effect=OSError("down")):
            notification = notification_create(
                recipient=cast.dan, kind="lead_at_risk", title="T", dedupe_key="lost"
            )
        assert len(mail.outbox) == 0
        # when the sweep runs a few minutes later
        later = notification.created_at + dt.timedelta(minutes=3)
        assert pending_emails_requeue(now=later) == 1
        # then the email went out, and another sweep sends nothing more
        assert len(mail.outbox) == 1
        assert pending_emails_requeue(now=later) == 0
        assert len(mail.outbox) == 1


@pytest.mark.django_db
class TestPreferences:
    def test_without_a_preference_the_kind_default_applies(self, cast):
        prefs = n.preferences_for(cast.dan)
        assert prefs["lead_at_risk"] == EmailDelivery.IMMEDIATE
        assert prefs["monthly_report_ready"] == EmailDelivery.DIGEST
        assert set(prefs) == {kind.code for kind in n.KIND_LIST if not kind.in_app_only}
        assert "signing.requested" in prefs and "lead_assigned" in prefs

    def test_email_off_keeps_the_notification_in_the_portal_only(
        self, cast, django_capture_on_commit_callbacks
    ):
        n.notification_preferences_update(user=cast.dan, choices={"lead_at_risk": "off"})
        with django_capture_on_commit_callbacks(execute=True):
            notification_create(recipient=cast.dan, kind="lead_at_risk", title="T", dedupe_key="a")
            notification_create(recipient=cast.dan, kind="lead_breached", title="B", dedupe_key="b")
        assert cast.dan.notifications.count() == 2
        assert [m.subject for m in mail.outbox] == ["B"]

    def test_an_unknown_kind_or_choice_is_refused(self, cast):
        with pytest.raises(ValueError):
            n.notification_preferences_update(user=cast.dan, choices={"nope": "off"})
        with pytest.raises(ValueError):
            n.notification_preferences_update(user=cast.dan, choices={"lead_at_risk": "loud"})
        assert not NotificationPreference.objects.exists()

    def test_a_changed_preference_does_not_resend_what_was_decided(self, cast):
        # given an at-risk notification written while email was off
        n.notification_preferences_update(user=cast.dan, choices={"lead_at_risk": "off"})
        notification = notification_create(
            recipient=cast.dan, kind="lead_at_risk", title="T", dedupe_key="a"
        )
        # when Dan turns email on and the task runs anyway
        n.notification_preferences_update(user=cast.dan, choices={"lead_at_risk": "immediate"})
        # then nothing is sent for the old notification
        assert notification_email_send(notification.pk) is False
        assert len(mail.outbox) == 0


@pytest.mark.django_db
class TestDigest:
    def test_a_digest_user_gets_one_email_a_day_with_every_unsent_notification(
        self, cast, settings, django_capture_on_commit_callbacks
    ):
        settings.NOTIFICATION_DIGEST_HOUR = 17
        n.notification_preferences_update(
            user=cast.dan, choices={"lead_at_risk": "digest", "lead_breached": "digest"}
        )
        with (
            time_machine.travel(dt.datetime(2026, 3, 2, 10, tzinfo=UTC), tick=False),
            django_capture_on_commit_callbacks(execute=True),
        ):
            notification_create(
                recipient=cast.dan, kind="lead_at_risk", title="At risk: Ada", dedupe_key="a"
            )
            notification_create(
                recipient=cast.dan, kind="lead_breached", title="Breached: Bo", dedupe_key="b"
            )
            notification_create(
                recipient=cast.carol, kind="lead_breached", title="Breached: Bo", dedupe_key="b"
            )
        # given Carol gets hers right away
        assert [m.to for m in mail.outbox] == [["carol@example.com"]]
        mail.outbox.clear()
        # when the digest job runs before the digest hour, nothing goes out
        with time_machine.travel(dt.datetime(2026, 3, 2, 16, 30, tzinfo=UTC), tick=False):
            assert notification_digests_send() == 0
        assert mail.outbox == []
        # when it runs at and after the hour
        with time_machine.travel(dt.datetime(2026, 3, 2, 17, 30, tzinfo=UTC), tick=False):
            notification_digests_send()
            notification_digests_send()
            assert digest_send_one(cast.dan.pk, "2026-03-02") is False
        # then Dan got one email with both
        (email,) = mail.outbox
        assert email.to == ["dan@example.com"]
        assert "At risk: Ada" in email.body and "Breached: Bo" in email.body
        assert "2 notifications" in email.subject
        assert EmailDigest.objects.get(recipient=cast.dan).day == dt.date(2026, 3, 2)
        assert not cast.dan.notifications.filter(emailed_at__isnull=True).exists()

    def test_notifications_after_the_digest_wait_for_the_next_day(self, cast, settings):
        settings.NOTIFICATION_DIGEST_HOUR = 17
        n.notification_preferences_update(user=cast.dan, choices={"lead_at_risk": "digest"})
        with time_machine.travel(dt.datetime(2026, 3, 2, 17, 30, tzinfo=UTC), tick=False):
            notification_create(recipient=cast.dan, kind="lead_at_risk", title="A", dedupe_key="a")
            notification_digests_send()
        with time_machine.travel(dt.datetime(2026, 3, 2, 18, 0, tzinfo=UTC), tick=False):
            notification_create(recipient=cast.dan, kind="lead_at_risk", title="B", dedupe_key="b")
            notification_digests_send()
        assert len(mail.outbox) == 1
        with time_machine.travel(dt.datetime(2026, 3, 3, 17, 30, tzinfo=UTC), tick=False):
            notification_digests_send()
        assert len(mail.outbox) == 2
        assert "B" in mail.outbox[1].body and "\nA\n" not in mail.outbox[1].body
