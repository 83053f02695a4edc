from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone

from portal.models import Notification


@shared_task(bind=True, acks_late=True, max_retries=5, retry_backoff=True, retry_jitter=True)
def notification_email_send(self, notification_id: int) -> bool:
    """Email one notification. Idempotent: the row is claimed before sending."""
    # Claim first: two deliveries of this task (retry, redelivery after a lost worker)
    # race on this update and only one wins.
    claimed = Notification.objects.filter(pk=notification_id, emailed_at__isnull=True).update(
        emailed_at=timezone.now()
    )
    if not claimed:
        return False
    notification = Notification.objects.select_related("recipient").get(pk=notification_id)
    body = "\n\n".join(
        part for part in [notification.body, notification.url, notification.reason] if part
    )
    try:
        send_mail(
            notification.title,
            body,
            settings.DEFAULT_FROM_EMAIL,
            [notification.recipient.email],
        )
    except Exception as exc:
        # Release the claim so the retry can send.
        Notification.objects.filter(pk=notification_id).update(emailed_at=None)
        raise self.retry(exc=exc) from exc
    return True
