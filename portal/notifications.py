"""Writing notifications: one row per (recipient, dedupe key), delivered once.

`notification_create` is the only writer. Every kind the portal sends is in `KINDS`
(what the preferences page lists). The email copy follows the recipient's preference
for the kind, decided when the row is written:
- immediate: a Celery task is enqueued after the transaction commits; it locks the row
  while sending and marks it emailed in the same transaction, so a retried, duplicated
  or redelivered task never sends twice (see `portal.tasks`);
- digest: the daily digest task sends one email per person and day;
- off: in the portal only.
If enqueueing fails (broker down), the periodic sweep re-enqueues every immediate email
still unsent, so nothing is lost.

Dedupe keys are `<kind>:<object>[:<step>]`; the recipient is the other half of the
unique constraint. Helpers for areas whose objects live elsewhere (signing, reviews)
take plain arguments: recipients, an object key, a link and a title.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urljoin

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.models import EmailDelivery, EmailDigest, Notification, NotificationPreference

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Kind:
    code: str
    label: str
    group: str
    email_default: str = EmailDelivery.IMMEDIATE


_LEADS = _("Leads")
_SIGNING = _("Signing")
_AGREEMENTS = _("Agreements")
_REVIEWS = _("Reviews")
_REPORTS = _("Reports")

KIND_LIST = [
    Kind("lead_handed", _("A lead is handed to you"), _LEADS),
    Kind("lead_at_risk", _("Your lead's first-contact clock is at risk"), _LEADS),
    Kind("lead_breached", _("A first-contact clock breached"), _LEADS),
    Kind("lead_escalation", _("Escalation steps of the agreement"), _LEADS),
    Kind("signature_requested", _("Your signature is requested"), _SIGNING),
    Kind("signature_reminder", _("Reminder: a signature is still awaited"), _SIGNING),
    Kind("signature_declined", _("A version was declined"), _SIGNING),
    Kind("signature_withdrawn", _("A version was withdrawn from signature"), _SIGNING),
    Kind("version_activated", _("A version took effect"), _SIGNING),
    Kind("version_superseded", _("A version was superseded"), _SIGNING),
    Kind("signature_request_expired", _("A signature request expired"), _SIGNING),
    Kind("agreement_review_due", _("An agreement review is due"), _AGREEMENTS),
    Kind("agreement_end_approaching", _("An agreement version is ending"), _AGREEMENTS),
    Kind("version_expired", _("An agreement version expired"), _AGREEMENTS),
    Kind("review_session_scheduled", _("A lead review session is scheduled"), _REVIEWS),
    Kind("action_item_assigned", _("An action item is assigned to you"), _REVIEWS),
    Kind("action_item_overdue", _("Your action item is overdue"), _REVIEWS),
    Kind(
        "monthly_report_ready",
        _("The monthly compliance report is ready"),
        _REPORTS,
        EmailDelivery.DIGEST,
    ),
]
KINDS: dict[str, Kind] = {kind.code: kind for kind in KIND_LIST}


# Preferences --------------------------------------------------------------------


def email_delivery_for(user, kind: str) -> str:
    """The user's email choice for a kind: their preference, else the kind's default."""
    chosen = (
        NotificationPreference.objects.filter(user=user, kind=kind)
        .values_list("email", flat=True)
        .first()
    )
    if chosen:
        return chosen
    known = KINDS.get(kind)
    return known.email_default if known else EmailDelivery.IMMEDIATE


def preferences_for(user) -> dict[str, str]:
    """{kind: email choice} for every registered kind."""
    chosen = dict(NotificationPreference.objects.filter(user=user).values_list("kind", "email"))
    return {code: chosen.get(code, kind.email_default) for code, kind in KINDS.items()}


@transaction.atomic
def notification_preferences_update(*, user, choices: dict[str, str]) -> None:
    """Store the user's email choice per kind (only registered kinds and valid choices)."""
    valid = set(EmailDelivery.values)
    for kind, email in choices.items():
        if kind not in KINDS or email not in valid:
            raise ValueError(f"unknown kind or choice: {kind}={email}")
        NotificationPreference.objects.update_or_create(
            user=user, kind=kind, defaults={"email": email}
        )


def notifications_mark_all_read(*, user) -> int:
    """Mark every unread notification of the user read; returns how many."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def notification_mark_read(*, user, notification_id: int) -> bool:
    """Mark one of the user's notifications read; False if it already was."""
    return bool(
        Notification.objects.filter(
            pk=notification_id, recipient=user, read_at__isnull=True
        ).update(read_at=timezone.now())
    )


# The writer ------------------------------------------------------------------------


def notification_create(
    *,
    recipient,
    kind: str,
    title: str,
    dedupe_key: str,
    url: str = "",
    body: str = "",
    reason: str = "",
    email: bool = True,
) -> Notification | None:
    """Create the notification unless one with the same key exists; None if it did.

    `email=False` keeps it in the portal whatever the preference says.
    """
    delivery = EmailDelivery.OFF
    if email and recipient.email:
        delivery = email_delivery_for(recipient, kind)
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                recipient=recipient,
                kind=kind,
                title=str(title)[:255],
                dedupe_key=dedupe_key[:255],
                url=url,
                body=str(body),
                reason=str(reason)[:255],
                email_delivery=delivery,
            )
    except IntegrityError:
        return None
    if delivery == EmailDelivery.IMMEDIATE:
        transaction.on_commit(lambda: notification_email_enqueue(notification.pk), robust=True)
    return notification


def notification_email_enqueue(notification_id: int) -> None:
    """Hand the email to the broker. If it is down, the sweep enqueues it again later."""
    from portal.tasks import notification_email_send

    try:
        notification_email_send.delay(notification_id)
    except Exception:  # the broker is unreachable: the row stays pending, nothing is lost
        logger.warning("Could not enqueue email of notification %s", notification_id)
        return
    Notification.objects.filter(pk=notification_id).update(email_queued_at=timezone.now())


def notify(
    *,
    recipients: Iterable,
    kind: str,
    object_key: str,
    title: str,
    url: str = "",
    reason: str = "",
    body: str = "",
    step: str = "",
) -> list[Notification]:
    """Notify several people of one event; returns the notifications newly written.

    The dedupe key is `<kind>:<object_key>[:<step>]`, once per recipient.
    """
    key = f"{kind}:{object_key}" + (f":{step}" if step else "")
    created = []
    seen: set[int] = set()
    for recipient in recipients:
        if recipient is None or recipient.pk in seen or not recipient.is_active:
            continue
        seen.add(recipient.pk)
        notification = notification_create(
            recipient=recipient,
            kind=kind,
            title=title,
            dedupe_key=key,
            url=url,
            body=body,
            reason=reason,
        )
        if notification is not None:
            created.append(notification)
    return created


# Helpers for other areas (plain arguments) -------------------------------------------


def notify_lead_handed(*, owner, lead_key: str, url: str, lead_label: str, handoff_key: str):
    """leads: a lead was handed to `owner` (handoff_key: the handoff event id)."""
    return notify(
        recipients=[owner],
        kind="lead_handed",
        object_key=lead_key,
        step=handoff_key,
        title=_("Lead handed to you: %(lead)s") % {"lead": lead_label},
        url=url,
        reason=_("You are the owner of this lead; the first-contact clock has started."),
    )


def notify_signature_requested(*, recipients, request_key: str, url: str, version_label: str):
    return notify(
        recipients=recipients,
        kind="signature_requested",
        object_key=request_key,
        title=_("Your signature is requested: %(version)s") % {"version": version_label},
        url=url,
        reason=_("You are a manager of a party team and may sign for it."),
    )


def notify_signature_reminder(
    *, recipients, request_key: str, url: str, version_label: str, number: int
):
    return notify(
        recipients=recipients,
        kind="signature_reminder",
        object_key=request_key,
        step=str(number),
        title=_("Reminder: your signature is awaited on %(version)s") % {"version": version_label},
        url=url,
        reason=_("Your team has not signed yet and the request is still open."),
    )


def notify_signature_declined(
    *, recipients, version_key: str, url: str, version_label: str, by: str
):
    return notify(
        recipients=recipients,
        kind="signature_declined",
        object_key=version_key,
        title=_("%(version)s was declined by %(by)s") % {"version": version_label, "by": by},
        url=url,
        reason=_("You are a member of a party team of this agreement."),
    )


def notify_signature_withdrawn(*, recipients, version_key: str, url: str, version_label: str):
    return notify(
        recipients=recipients,
        kind="signature_withdrawn",
        object_key=version_key,
        title=_("%(version)s was withdrawn from signature") % {"version": version_label},
        url=url,
        reason=_("You are a member of a party team of this agreement."),
    )


def notify_version_activated(*, recipients, version_key: str, url: str, version_label: str):
    return notify(
        recipients=recipients,
        kind="version_activated",
        object_key=version_key,
        title=_("%(version)s is now in force") % {"version": version_label},
        url=url,
        reason=_("You are a member of a party team of this agreement."),
    )


def notify_version_superseded(*, recipients, version_key: str, url: str, version_label: str):
    return notify(
        recipients=recipients,
        kind="version_superseded",
        object_key=version_key,
        title=_("%(version)s was superseded") % {"version": version_label},
        url=url,
        reason=_("You are a member of a party team of this agreement."),
    )


def notify_signature_request_expired(*, recipients, request_key: str, url: str, version_label: str):
    return notify(
        recipients=recipients,
        kind="signature_request_expired",
        object_key=request_key,
        title=_("The signature request for %(version)s expired") % {"version": version_label},
        url=url,
        reason=_("You are a manager of a party team of this agreement."),
    )


def notify_review_session_scheduled(
    *, recipients, session_key: str, url: str, session_label: str, when: str
):
    return notify(
        recipients=recipients,
        kind="review_session_scheduled",
        object_key=session_key,
        step=when,  # rescheduling notifies again
        title=_("Lead review session %(session)s on %(when)s")
        % {"session": session_label, "when": when},
        url=url,
        reason=_("You are invited to this lead review session."),
    )


def notify_action_item_assigned(*, assignee, item_key: str, url: str, item_label: str):
    return notify(
        recipients=[assignee],
        kind="action_item_assigned",
        object_key=item_key,
        step=f"user{assignee.pk}",
        title=_("Action item assigned to you: %(item)s") % {"item": item_label},
        url=url,
        reason=_("You are the assignee of this action item."),
    )


def notify_action_item_overdue(*, assignee, item_key: str, url: str, item_label: str, due: str):
    return notify(
        recipients=[assignee],
        kind="action_item_overdue",
        object_key=item_key,
        step=due,
        title=_("Action item overdue since %(due)s: %(item)s") % {"item": item_label, "due": due},
        url=url,
        reason=_("You are the assignee of this action item and it is not done."),
    )


# Email text ----------------------------------------------------------------------------


def absolute_url(path: str) -> str:
    if not path:
        return ""
    return urljoin(settings.PORTAL_BASE_URL.rstrip("/") + "/", path.lstrip("/"))


def email_text(notification: Notification) -> str:
    """Plain text: the title, the reason, the body, and an absolute link."""
    parts = [notification.title]
    if notification.body:
        parts.append(notification.body)
    if notification.reason:
        parts.append(str(_("Why you get this: %(reason)s") % {"reason": notification.reason}))
    if notification.url:
        parts.append(absolute_url(notification.url))
    return "\n\n".join(parts)


def _digest_pending(user_id: int):
    return Notification.objects.filter(
        recipient_id=user_id,
        email_delivery=EmailDelivery.DIGEST,
        emailed_at__isnull=True,
    )


def digest_recipients() -> list[int]:
    """Ids of the people with notifications waiting for their digest."""
    return list(
        Notification.objects.filter(email_delivery=EmailDelivery.DIGEST, emailed_at__isnull=True)
        .order_by("recipient_id")
        .values_list("recipient_id", flat=True)
        .distinct()
    )


def digest_send(*, user_id: int, day: str | dt.date) -> bool:
    """Send the person's digest of `day` once: True if this call sent it.

    The EmailDigest row (unique per person and day) is locked while the email goes out
    and marked sent in the same transaction, like single emails (see portal.tasks).
    """
    if isinstance(day, str):
        day = dt.date.fromisoformat(day)
    EmailDigest.objects.get_or_create(recipient_id=user_id, day=day)
    with transaction.atomic():
        digest = (
            EmailDigest.objects.select_for_update(skip_locked=True)
            .select_related("recipient")
            .filter(recipient_id=user_id, day=day, sent_at__isnull=True)
            .first()
        )
        if digest is None:
            return False
        items = list(_digest_pending(user_id).order_by("created_at", "id"))
        if not items or not digest.recipient.email:
            return False
        subject = _("Your SLA portal digest: %(count)s notifications") % {"count": len(items)}
        body = "\n\n---\n\n".join(email_text(item) for item in items)
        send_mail(str(subject), body, settings.DEFAULT_FROM_EMAIL, [digest.recipient.email])
        now = timezone.now()
        Notification.objects.filter(pk__in=[item.pk for item in items]).update(
            emailed_at=now, digest=digest
        )
        digest.sent_at = now
        digest.save(update_fields=["sent_at"])
    return True
