"""What the scheduler runs for signing: versions whose date has come take force, versions past their end expire, signature requests past their deadline expire, reminders go out. Each is safe to run twice: it re-checks under locks."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from portal import permissions
from portal.notifications import SIGNATORY, notification_create
from portal.text import Text
from slas.audit.chain import audit_append
from slas.audit.models import AuditAction
from slas.models import Version, VersionStatus
from slas.signing.activation import _version_expire, version_end_instant, version_take_force
from slas.signing.models import RequestStatus, RoundStatus, SignatureRequest, SigningRound
from slas.signing.rounds import _lock_versions, _round_void, _sign_url, _tell_everyone


def versions_activate_due(*, now: datetime.datetime | None = None) -> int:
    """Scheduled versions whose effective date has come take force (a periodic job).
    Returns how many did.

    In the order their dates came, the newer first on the same instant: after an outage
    the record reads as if the job had run on time (v3 on the 5th, then v4 on the 9th;
    or v4 on the 5th, and v3, due on the 9th, voided). A version already voided by a
    newer one earlier in the loop is skipped under the lock.
    """
    now = now or timezone.now()
    due = (
        SigningRound.objects.filter(
            status=RoundStatus.COMPLETED,
            activates_at__lte=now,
            version__status=VersionStatus.SCHEDULED,
        )
        .order_by("activates_at", "-version__number")
        .values_list("version__agreement_id", "version_id")
    )
    count = 0
    for agreement_id, version_id in list(due):
        with transaction.atomic():
            versions = _lock_versions(agreement_id)
            version = versions.get(version_id)
            rnd = SigningRound.objects.filter(
                version_id=version_id, status=RoundStatus.COMPLETED
            ).first()
            # Re-check under the lock: another worker may have done it.
            if version is None or version.status != VersionStatus.SCHEDULED or rnd is None:
                continue
            if version_take_force(version, versions=versions, at=rnd.activates_at):
                count += 1
    return count


def versions_expire_due(*, now: datetime.datetime | None = None) -> int:
    """Active versions whose end date has passed (in their time zone) become expired."""
    now = now or timezone.now()
    # Coarse filter in SQL (a day of slack covers every time zone), exact check below.
    candidates = Version.objects.filter(
        status=VersionStatus.ACTIVE, end_date__lte=(now + datetime.timedelta(days=1)).date()
    ).values_list("agreement_id", "pk")
    count = 0
    for agreement_id, version_id in candidates:
        with transaction.atomic():
            versions = _lock_versions(agreement_id)
            version = versions.get(version_id)
            if version is None or version.status != VersionStatus.ACTIVE:
                continue
            end = version_end_instant(version)
            if end > now:
                continue
            _version_expire(version, at=end)
            # "Has expired" is told by portal.sweep.version_expiry_sweep (from the
            # database), once per person; not here too.
            count += 1
    return count


def _open_pending_requests():
    return (
        SignatureRequest.objects.filter(
            status=RequestStatus.PENDING, round__status=RoundStatus.OPEN, opened_at__isnull=False
        )
        .select_related("round__version__agreement", "team", "user")
        .order_by("pk")
    )


def signature_request_deadline(request: SignatureRequest) -> datetime.datetime:
    return request.expires_at


def signing_requests_expire(*, now: datetime.datetime | None = None) -> int:
    """Close rounds with a request unsigned for `request_expiry_days` (a periodic job)."""
    now = now or timezone.now()
    rounds = {
        request.round_id: request.round.version
        for request in _open_pending_requests()
        if signature_request_deadline(request) <= now
    }
    count = 0
    for round_id, version in rounds.items():
        with transaction.atomic():
            versions = _lock_versions(version.agreement_id)
            version = versions[version.pk]
            rnd = SigningRound.objects.filter(pk=round_id, status=RoundStatus.OPEN).first()
            if rnd is None:
                continue
            rnd.version = version
            expired = [
                request
                for request in rnd.requests.filter(
                    status=RequestStatus.PENDING, opened_at__isnull=False
                ).select_related("round__version__agreement", "team", "user")
                if signature_request_deadline(request) <= now
            ]
            if not expired:
                continue
            labels = ", ".join(request.label for request in expired)
            requests = _round_void(
                rnd,
                version=version,
                status=RoundStatus.EXPIRED,
                actor=None,
                comment=_("Not signed in time by: %(who)s.") % {"who": labels},
                now=now,
            )
            audit_append(
                agreement=version.agreement_id,
                action=AuditAction.REQUEST_EXPIRED,
                version=version,
                at=now,
                data={"round": rnd.number, "unsigned": [request.label for request in expired]},
            )
            _tell_everyone(
                version,
                rnd,
                requests,
                kind="signing.expired",
                title=Text(
                    gettext_noop("Signature requests for %(version)s expired"), version=version
                ),
                body=Text(
                    gettext_noop(
                        "Not signed in time by %(who)s. The version is a draft again; send it again when ready."
                    ),
                    who=labels,
                ),
                key=f"signing:round:{rnd.pk}:expired",
            )
            count += 1
    return count


def signing_reminders_send(*, now: datetime.datetime | None = None) -> int:
    """Remind signers after `reminder_after_days`, then every `reminder_every_days`."""
    now = now or timezone.now()
    sent = 0
    for request in _open_pending_requests():
        agreement = request.round.version.agreement
        if signature_request_deadline(request) <= now:
            continue  # expiring, not reminding
        first = request.opened_at + datetime.timedelta(days=agreement.reminder_after_days)
        if now < first:
            continue
        due = 1
        if agreement.reminder_every_days:
            due += (now - first) // datetime.timedelta(days=agreement.reminder_every_days)
        if due <= request.reminders_sent:
            continue
        # Claim the reminder first: two runs at once race here and only one wins.
        claimed = SignatureRequest.objects.filter(
            pk=request.pk, reminders_sent__lt=due, status=RequestStatus.PENDING
        ).update(reminders_sent=due)
        if not claimed:
            continue
        version = request.round.version
        for user in permissions.request_signers(request):
            notification_create(
                recipient=user,
                kind="signing.reminder",
                title=Text(
                    gettext_noop("Reminder: your signature is needed on %(version)s"),
                    version=version,
                ),
                body=Text(
                    gettext_noop("Waiting since %(date)s; the request expires on %(deadline)s."),
                    date=request.opened_at,
                    deadline=signature_request_deadline(request),
                ),
                url=_sign_url(version),
                reason=SIGNATORY,
                dedupe_key=f"signing:request:{request.pk}:reminder:{due}",
            )
            sent += 1
    return sent
