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
unique constraint. `version_parties_notify` tells everyone on the parties of a version's
agreement (signing: activated, superseded, declined, withdrawn, expired).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from portal.models import (
    EmailDelivery,
    Membership,
    Notification,
    NotificationPreference,
    Role,
)
from portal.tasks import notification_email_send
from portal.text import Text

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Kind:
    """A kind of notification: what the preferences page lists and the writer accepts.

    `reason` is why a person gets it, used when the sender gives no more precise one
    (a Text: stored untranslated, shown in the reader's language).
    `in_app_only` kinds never email (the sender says so), so they have no preference.
    """

    code: str
    label: str
    group: str
    reason: Text
    email_default: str = EmailDelivery.IMMEDIATE
    in_app_only: bool = False


class UnknownKind(ValueError):
    """A notification of a kind missing from `KINDS`: preferences would silently miss it."""


_LEADS = _("Leads")
_SIGNING = _("Signing")
_AGREEMENTS = _("Agreements")
_REVIEWS = _("Reviews")
_REPORTS = _("Reports")
_MEETINGS = _("Meetings")
PARTY_MEMBER = Text(gettext_noop("You are a member of a party team of this agreement."))
PARTY_MANAGER = Text(gettext_noop("You manage a party team of this agreement."))
SIGNATORY = Text(gettext_noop("You are a required signatory of this agreement."))

# Exactly the kinds the code sends (leads.services, leads.feedback, slas.signing (its
# integrity check: signing.seal_broken), portal.sweep); the writer refuses any other.
KIND_LIST = [
    Kind(
        "lead_assigned",
        _("A lead is handed to you"),
        _LEADS,
        Text(gettext_noop("You are the lead's owner.")),
    ),
    Kind(
        "lead_at_risk",
        _("Your lead's first-contact clock is at risk"),
        _LEADS,
        Text(
            gettext_noop(
                "You own this lead and at most a quarter of its first-contact window is left."
            )
        ),
    ),
    Kind(
        "lead_breached",
        _("A first-contact clock breached"),
        _LEADS,
        Text(
            gettext_noop(
                "You own this lead, or manage its sales team, and first contact came too late."
            )
        ),
    ),
    Kind(
        "lead_escalation",
        _("Escalation steps of the agreement"),
        _LEADS,
        Text(
            gettext_noop("The agreement's escalation ladder names you at this share of the window.")
        ),
    ),
    Kind(
        "step_at_risk",
        _("A step SLA clock of your team is at risk"),
        _LEADS,
        Text(gettext_noop("You manage the team that owns this step of the lead process.")),
    ),
    Kind(
        "step_breached",
        _("A step SLA of your team breached"),
        _LEADS,
        Text(gettext_noop("You manage the team that owns this step of the lead process.")),
    ),
    Kind("signing.requested", _("Your signature is requested"), _SIGNING, SIGNATORY),
    Kind("signing.reminder", _("Reminder: your signature is still awaited"), _SIGNING, SIGNATORY),
    Kind(
        "signing.signed",
        _("Someone signed a version you sent"),
        _SIGNING,
        Text(gettext_noop("You sent this version for signature.")),
        in_app_only=True,
    ),
    Kind(
        "signing.completed",
        _("A version is signed by every party and awaits its effective date"),
        _SIGNING,
        PARTY_MEMBER,
    ),
    Kind("signing.declined", _("A version was declined"), _SIGNING, PARTY_MEMBER),
    Kind("signing.withdrawn", _("A version was withdrawn from signature"), _SIGNING, PARTY_MEMBER),
    Kind("signing.activated", _("A version took effect"), _SIGNING, PARTY_MEMBER),
    Kind("signing.superseded", _("A version was superseded"), _SIGNING, PARTY_MEMBER),
    Kind("signing.expired", _("A signature request expired"), _SIGNING, PARTY_MEMBER),
    Kind(
        "signing.seal_broken",
        _("A signed agreement's seal or audit trail is broken"),
        _SIGNING,
        PARTY_MANAGER,
    ),
    Kind(
        "signing.voided",
        _("A version will not take force: a newer one took force first"),
        _SIGNING,
        PARTY_MEMBER,
    ),
    Kind(
        "agreement_review_due",
        _("An agreement review is due"),
        _AGREEMENTS,
        PARTY_MANAGER,
    ),
    Kind(
        "agreement_end_approaching",
        _("An agreement version is ending"),
        _AGREEMENTS,
        PARTY_MANAGER,
    ),
    Kind("version_expired", _("An agreement version expired"), _AGREEMENTS, PARTY_MANAGER),
    Kind(
        "review_session_scheduled",
        _("A lead review session is scheduled"),
        _REVIEWS,
        Text(gettext_noop("You were invited to this lead review.")),
    ),
    Kind(
        "action_item_assigned",
        _("An action item is assigned to you"),
        _REVIEWS,
        Text(gettext_noop("You are the owner of this action item.")),
    ),
    Kind(
        "action_item_overdue",
        _("Your action item is overdue"),
        _REVIEWS,
        Text(gettext_noop("You are the owner of this action item, and it is not done.")),
    ),
    Kind(
        "feedback_received",
        _("Feedback arrived on a lead you brought in or own"),
        _REVIEWS,
        Text(gettext_noop("You brought this lead in, or you own it.")),
    ),
    Kind(
        "feedback_replied",
        _("Marketing replied to your feedback"),
        _REVIEWS,
        Text(gettext_noop("You wrote this feedback.")),
    ),
    Kind(
        "meeting_scheduled",
        _("A meeting of your agreement is scheduled"),
        _MEETINGS,
        Text(gettext_noop("You are invited to this meeting of your agreement's teams.")),
    ),
    Kind(
        "monthly_report_ready",
        _("The monthly compliance report is ready"),
        _REPORTS,
        PARTY_MEMBER,
        EmailDelivery.DIGEST,
    ),
]
KINDS: dict[str, Kind] = {kind.code: kind for kind in KIND_LIST}
# What the preferences page offers: kinds that may email.
PREFERENCE_KINDS = [kind for kind in KIND_LIST if not kind.in_app_only]


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
    """{kind: email choice} for every kind that may email."""
    chosen = dict(NotificationPreference.objects.filter(user=user).values_list("kind", "email"))
    return {kind.code: chosen.get(kind.code, kind.email_default) for kind in PREFERENCE_KINDS}


@transaction.atomic
def notification_preferences_update(*, user, choices: dict[str, str]) -> None:
    """Store the user's email choice per kind (only kinds that may email, valid choices)."""
    valid = set(EmailDelivery.values)
    for kind, email in choices.items():
        if kind not in KINDS or KINDS[kind].in_app_only or email not in valid:
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
    title: str | Text,
    dedupe_key: str,
    url: str = "",
    body: str | Text = "",
    reason: str | Text = "",
    email: bool = True,
    event: dict | None = None,
) -> Notification | None:
    """Create the notification unless one with the same key exists; None if it did.

    `kind` must be in `KINDS` (UnknownKind otherwise: a kind the preferences page does
    not list would ignore the recipient's choice). Without a `reason`, the kind's is used.
    `email=False` keeps it in the portal whatever the preference says. Title, body and
    reason given as `Text` are shown in each reader's language (`Notification.message`).
    `event` ({"uid", "start", "end" (aware datetimes), "summary", "description"}): a
    calendar event, attached to the e-mail as an .ics file (`portal.emails.email_calendar`).
    """
    known = KINDS.get(kind)
    if known is None:
        raise UnknownKind(f"notification kind {kind!r} is not in portal.notifications.KINDS")
    reason = reason or known.reason
    parts = {"title": title, "body": body, "reason": reason}
    message = {part: value.spec() for part, value in parts.items() if isinstance(value, Text)}
    if event is not None:
        message["event"] = {
            key: value.isoformat() if hasattr(value, "isoformat") else str(value)
            for key, value in event.items()
        }
    with translation.override(settings.LANGUAGE_CODE):
        stored = {part: str(value) for part, value in parts.items()}
    delivery = EmailDelivery.OFF
    if email and not known.in_app_only and recipient.email:
        delivery = email_delivery_for(recipient, kind)
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                recipient=recipient,
                kind=kind,
                title=stored["title"][:255],
                dedupe_key=dedupe_key[:255],
                url=url,
                body=stored["body"],
                reason=stored["reason"][:255],
                message=message,
                email_delivery=delivery,
            )
    except IntegrityError:
        return None
    if delivery == EmailDelivery.IMMEDIATE:
        transaction.on_commit(lambda: notification_email_enqueue(notification.pk), robust=True)
    return notification


def notification_email_enqueue(notification_id: int) -> None:
    """Hand the email to the broker. If it is down, the sweep enqueues it again later."""
    try:
        notification_email_send.delay(notification_id)
    except Exception:  # the broker is unreachable: the row stays pending, nothing is lost
        logger.warning("Could not enqueue email of notification %s", notification_id)
        return
    Notification.objects.filter(pk=notification_id).update(email_queued_at=timezone.now())


# Everyone on the parties of an agreement ------------------------------------------------


def party_members(agreements, *, managers_only: bool = False) -> dict[int, list]:
    """{agreement_id: [users]} of the teams party to each agreement (one query of members)."""
    team_to_agreements: dict[int, set[int]] = defaultdict(set)
    for agreement in agreements:
        for team in agreement.parties.all():
            team_to_agreements[team.pk].add(agreement.pk)
    memberships = Membership.objects.filter(team_id__in=team_to_agreements).select_related(
        "user", "team"
    )
    if managers_only:
        memberships = memberships.filter(role=Role.MANAGER)
    result: dict[int, list] = defaultdict(list)
    for membership in memberships.order_by("user_id"):
        for agreement_id in team_to_agreements[membership.team_id]:
            if membership.user not in result[agreement_id]:
                result[agreement_id].append(membership.user)
    return result


def version_parties_notify(
    *,
    version,
    kind: str,
    title: str | Text,
    dedupe_key: str,
    url: str,
    body: str | Text = "",
    people: Iterable = (),
    people_reason: str | Text = "",
    exclude=None,
) -> list[Notification]:
    """Tell every member of the version's party teams, and `people` (e.g. the signers of
    a round, who may sit outside the parties) with their own reason; each person once."""
    reasons: dict[int, tuple] = {}
    for user in people:
        reasons.setdefault(user.pk, (user, people_reason))
    members = party_members([version.agreement]).get(version.agreement_id, [])
    for user in members:
        reasons.setdefault(user.pk, (user, PARTY_MEMBER))
    created = []
    for pk in sorted(reasons):
        user, reason = reasons[pk]
        if (exclude is not None and pk == exclude.pk) or not user.is_active:
            continue
        notification = notification_create(
            recipient=user,
            kind=kind,
            title=title,
            body=body,
            url=url,
            reason=reason,
            dedupe_key=dedupe_key,
        )
        if notification is not None:
            created.append(notification)
    return created
