import pytest
from django.core import mail

from portal.notifications import notification_create


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
        from django.db import transaction

        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            with pytest.raises(RuntimeError), transaction.atomic():
                notification_create(recipient=cast.dan, kind="k", title="T", dedupe_key="x")
                raise RuntimeError
        assert callbacks == []
        assert len(mail.outbox) == 0

    def test_the_email_task_sends_once_even_when_run_twice(self, cast):
        from portal.tasks import notification_email_send

        notification = notification_create(
            recipient=cast.dan, kind="k", title="T", dedupe_key="y", email=False
        )
        assert notification_email_send(notification.pk) is True
        assert notification_email_send(notification.pk) is False
        assert len(mail.outbox) == 1
