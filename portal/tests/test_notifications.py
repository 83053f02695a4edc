"""The writer, preferences, the email task, the digest, and the helpers other areas call."""

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
                recipient=cast.dan, kind="k", title="T", dedupe_key="lead:1:at_risk"
            )
            second = notification_create(
                recipient=cast.dan, kind="k", title="T", dedupe_key="lead:1:at_risk"
            )
        assert first is not None and second is None
        assert cast.dan.notifications.count() == 1
        assert len(mail.outbox) == 1

    def test_a_rolled_back_transaction_sends_nothing(
        self, cast, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            with pytest.raises(RuntimeError), transaction.atomic():
                notification_create(recipient=cast.dan, kind="k", title="T", dedupe_key="x")
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

    def test_the_same_key_reaches_two_different_people(self, cast):
        notification_create(recipient=cast.dan, kind="k", title="T", dedupe_key="same")
        notification_create(recipient=cast.carol, kind="k", title="T", dedupe_key="same")
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

    def test_the_email_is_plain_text_with_title_reason_and_absolute_link(self, cast, settings):
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
        assert not email.alternatives

    def test_an_email_failure_is_retried_and_the_notification_stays_unsent(self, cast):
        # given a mail server that refuses
        with mock.patch.object(notification_email_send, "delay"):
            notification = notification_create(
                recipient=cast.dan, kind="lead_at_risk", title="T", dedupe_key="smtp"
            )
        with (
            mock.patch("portal.tasks.send_mail", side_effect=OSError("SMTP down")),
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
        assert set(prefs) == set(n.KINDS)

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


@pytest.mark.django_db
class TestHelpersForOtherAreas:
    """Signing, leads and review sessions call these with plain arguments."""

    @pytest.mark.parametrize(
        ("helper", "kwargs", "kind", "title_part"),
        [
            (
                n.notify_signature_requested,
                {"request_key": "req1", "version_label": "SLA v3"},
                "signature_requested",
                "Your signature is requested: SLA v3",
            ),
            (
                n.notify_signature_declined,
                {"version_key": "v3", "version_label": "SLA v3", "by": "Carol"},
                "signature_declined",
                "SLA v3 was declined by Carol",
            ),
            (
                n.notify_signature_withdrawn,
                {"version_key": "v3", "version_label": "SLA v3"},
                "signature_withdrawn",
                "withdrawn",
            ),
            (
                n.notify_version_activated,
                {"version_key": "v3", "version_label": "SLA v3"},
                "version_activated",
                "SLA v3 is now in force",
            ),
            (
                n.notify_version_superseded,
                {"version_key": "v2", "version_label": "SLA v2"},
                "version_superseded",
                "SLA v2 was superseded",
            ),
            (
                n.notify_signature_request_expired,
                {"request_key": "req1", "version_label": "SLA v3"},
                "signature_request_expired",
                "expired",
            ),
            (
                n.notify_review_session_scheduled,
                {"session_key": "s1", "session_label": "March review", "when": "2026-03-05"},
                "review_session_scheduled",
                "March review on 2026-03-05",
            ),
        ],
    )
    def test_each_helper_notifies_every_recipient_once_with_link_and_reason(
        self, cast, helper, kwargs, kind, title_part
    ):
        recipients = [cast.alice, cast.carol, cast.alice]
        # when the helper is called twice for the same object
        first = helper(recipients=recipients, url="/agreements/1/", **kwargs)
        second = helper(recipients=recipients, url="/agreements/1/", **kwargs)
        # then each person got it once, with the link and a reason
        assert len(first) == 2 and second == []
        rows = Notification.objects.filter(kind=kind)
        assert sorted(r.recipient.username for r in rows) == ["alice", "carol"]
        assert all(title_part in r.title and r.url == "/agreements/1/" and r.reason for r in rows)
        assert kind in n.KINDS

    def test_every_reminder_number_is_its_own_notification(self, cast):
        for number in (1, 2, 2):
            n.notify_signature_reminder(
                recipients=[cast.carol],
                request_key="req1",
                url="/x/",
                version_label="SLA v3",
                number=number,
            )
        assert cast.carol.notifications.filter(kind="signature_reminder").count() == 2

    def test_action_items_go_to_the_assignee(self, cast):
        n.notify_action_item_assigned(
            assignee=cast.dan, item_key="item9", url="/reviews/1/", item_label="Call Ada"
        )
        n.notify_action_item_overdue(
            assignee=cast.dan,
            item_key="item9",
            url="/reviews/1/",
            item_label="Call Ada",
            due="2026-03-09",
        )
        n.notify_action_item_overdue(
            assignee=cast.dan,
            item_key="item9",
            url="/reviews/1/",
            item_label="Call Ada",
            due="2026-03-09",
        )
        kinds = sorted(cast.dan.notifications.values_list("kind", flat=True))
        assert kinds == ["action_item_assigned", "action_item_overdue"]

    def test_a_lead_handed_over_tells_the_owner_once_per_handoff(self, cast):
        for handoff in ("h1", "h1", "h2"):
            n.notify_lead_handed(
                owner=cast.dan,
                lead_key="lead5",
                url="/leads/5/",
                lead_label="Ada",
                handoff_key=handoff,
            )
        assert cast.dan.notifications.filter(kind="lead_handed").count() == 2
        assert not cast.carol.notifications.exists()

    def test_inactive_people_are_skipped(self, cast):
        cast.bob.is_active = False
        cast.bob.save()
        created = n.notify_version_activated(
            recipients=[cast.bob, cast.alice], version_key="v1", url="/v/", version_label="SLA v1"
        )
        assert [c.recipient for c in created] == [cast.alice]
