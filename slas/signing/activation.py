"""A version takes force, supersedes its predecessor, voids the older versions that never
took force, or expires: the transitions both the last signature and the scheduler make.
Agreement dates are read in the version's calendar zone.

The order of versions (docs/compliance.md#versions-in-force): a version never takes
force after a newer one did. When a version takes force, every older version of the
agreement that has not (a draft, awaiting signatures or scheduled) is voided: its open
round closes as voided, its signatures and requests are void, an audit entry says by
which version, and its signatories and the parties are told. A version whose turn comes
after a newer one took force (rows written before this rule) is voided instead of
taking force. Callers hold the locks of every version of the agreement, so two workers
(or the last signature and the scheduler) decide one after the other.
"""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

from django.utils import timezone
from django.utils.translation import gettext_noop

from portal.text import Text
from slas.audit.chain import audit_append
from slas.audit.models import AuditAction
from slas.models import UPCOMING_STATUSES, Version, VersionStatus
from slas.signals import version_in_force_changed
from slas.signing.models import RoundStatus, SigningRound
from slas.signing.rounds import _lifecycle_save, _round_signatures_void, _tell_everyone
from slas.signing.seal import SealState, signing_round_seal_write

# Time --------------------------------------------------------------------------------


def _local_midnight(day: datetime.date, tz_name: str) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(0, 0), tzinfo=ZoneInfo(tz_name))


def version_effective_instant(version: Version) -> datetime.datetime:
    """Start of the effective date in the calendar time zone."""
    return _local_midnight(version.effective_date, version.calendar_timezone)


def version_end_instant(version: Version) -> datetime.datetime:
    """End of the end date in the calendar time zone (the next local midnight)."""
    return _local_midnight(version.end_date + datetime.timedelta(days=1), version.calendar_timezone)


# Activation, supersession, expiry ------------------------------------------------------


def _round_complete(
    rnd: SigningRound, *, version: Version, versions: dict, now, actor=None
) -> None:
    rnd.status = RoundStatus.COMPLETED
    rnd.closed_at = now
    rnd.activates_at = max(now, version_effective_instant(version))
    rnd.save(update_fields=["status", "closed_at", "activates_at"])
    # Sealed again with every signature, before activation appends to the chain.
    signing_round_seal_write(rnd=rnd, state=SealState.COMPLETED)
    if rnd.activates_at <= now:
        version_take_force(version, versions=versions, at=now, actor=actor)
        return
    # Signed by everyone, in force on its date: scheduled (versions_activate_due takes it on).
    version.status = VersionStatus.SCHEDULED
    _lifecycle_save(version, ["status"], actor=actor, what="scheduled")
    requests = list(rnd.requests.select_related("team", "user"))
    _tell_everyone(
        version,
        rnd,
        requests,
        kind="signing.completed",
        title=Text(
            gettext_noop("%(version)s is signed and takes effect on %(date)s"),
            version=version,
            date=version.effective_date,
        ),
        body="",
        key=f"signing:round:{rnd.pk}:completed",
    )


def _newer_in_force(version: Version, versions: dict) -> Version | None:
    """The newest version of the agreement, newer than `version`, that has taken force."""
    newer = [
        v for v in versions.values() if v.number > version.number and v.in_force_from is not None
    ]
    return max(newer, key=lambda v: v.number, default=None)


def version_take_force(
    version: Version, *, versions: dict, at: datetime.datetime, actor=None
) -> bool:
    """`version`'s turn has come (last signature, or its date): it takes force from `at`,
    unless a newer version already did, and then it is voided. True if it took force.

    Callers hold the locks of `versions` (every version of the agreement).
    """
    newer = _newer_in_force(version, versions)
    if newer is not None:
        _version_void(version, by=newer, actor=actor)
        return False
    _version_activate(version, versions=versions, at=at, actor=actor)
    return True


def _version_activate(
    version: Version, *, versions: dict, at: datetime.datetime, actor=None
) -> None:
    """Make `version` the one in force from `at`; the previous active one ends at that
    instant, and every older version that has not taken force is voided."""
    previous = next(
        (v for v in versions.values() if v.status == VersionStatus.ACTIVE and v.pk != version.pk),
        None,
    )
    if previous is not None:
        previous_end = version_end_instant(previous)
        if previous_end <= at:
            # It ran out before this one starts: it expired, nothing is superseded.
            _version_expire(previous, at=previous_end)
        else:
            at = max(at, previous.in_force_from or at)  # intervals stay ordered
            previous.status = VersionStatus.SUPERSEDED
            previous.in_force_until = at
            _lifecycle_save(
                previous, ["status", "in_force_until"], actor=actor, what=gettext_noop("superseded")
            )
            audit_append(
                agreement=previous.agreement_id,
                action=AuditAction.SUPERSEDED,
                version=previous,
                data={"by_version": version.number, "in_force_until": at},
            )
    version.status = VersionStatus.ACTIVE
    version.in_force_from = at
    _lifecycle_save(
        version, ["status", "in_force_from"], actor=actor, what=gettext_noop("activated")
    )
    # handoffs since `at` are governed anew (leads re-governs its cycles)
    version_in_force_changed.send(sender=Version, agreement_id=version.agreement_id, since=at)
    audit_append(
        agreement=version.agreement_id,
        action=AuditAction.ACTIVATED,
        version=version,
        data={
            "in_force_from": at,
            "content_hash": version.content_hash,
            "supersedes": previous.number
            if previous is not None and previous.status == VersionStatus.SUPERSEDED
            else None,
        },
    )
    rnd = SigningRound.objects.filter(version=version, status=RoundStatus.COMPLETED).first()
    requests = list(rnd.requests.select_related("team", "user")) if rnd is not None else []
    _tell_everyone(
        version,
        rnd,
        requests,
        kind="signing.activated",
        title=Text(gettext_noop("%(version)s is now in force"), version=version),
        body=Text(
            gettext_noop("Signed by every party; in force since %(at)s."),
            at=at,
        ),
        key=f"signing:version:{version.pk}:activated",
    )
    if previous is not None and previous.status == VersionStatus.SUPERSEDED:
        _tell_everyone(
            previous,
            None,
            [],
            kind="signing.superseded",
            title=Text(
                gettext_noop("%(version)s was superseded by %(new)s"), version=previous, new=version
            ),
            body="",
            key=f"signing:version:{previous.pk}:superseded",
        )
    for older in sorted(versions.values(), key=lambda v: v.number):
        if older.number < version.number and older.status in UPCOMING_STATUSES:
            _version_void(older, by=version, actor=actor)


def _version_void(version: Version, *, by: Version, actor=None) -> None:
    """`by`, newer, took force first: `version` never will. Its open round closes as
    voided; the signatures of that round (or of its completed round, if it was
    scheduled) are void; audited; its signatories and the parties are told."""
    now = timezone.now()
    rnd = (
        SigningRound.objects.filter(
            version=version, status__in=[RoundStatus.OPEN, RoundStatus.COMPLETED]
        )
        .order_by("-number")
        .first()
    )
    requests = []
    if rnd is not None:
        requests = list(rnd.requests.select_related("team", "user").order_by("position"))
        if rnd.status == RoundStatus.OPEN:
            rnd.status = RoundStatus.VOIDED
            rnd.closed_at = now
            rnd.closed_by = actor
            rnd.save(update_fields=["status", "closed_at", "closed_by"])
        _round_signatures_void(rnd, now=now)
    was = version.status
    version.status = VersionStatus.VOIDED
    _lifecycle_save(version, ["status"], actor=actor, what=f"voided: v{by.number} took force")
    audit_append(
        agreement=version.agreement_id,
        action=AuditAction.VOIDED,
        actor=actor,
        version=version,
        data={
            "voided_by": by.number,
            "was": was,
            "round": rnd.number if rnd is not None else None,
        },
    )
    _tell_everyone(
        version,
        rnd,
        requests,
        kind="signing.voided",
        title=Text(
            gettext_noop("%(version)s will not take force: %(new)s took force first"),
            version=version,
            new=by,
        ),
        body=Text(
            gettext_noop(
                "Its signatures are void. To carry its changes over, start a new version from it."
            )
        ),
        key=f"signing:version:{version.pk}:voided",
    )


def _version_expire(version: Version, *, at: datetime.datetime) -> None:
    version.status = VersionStatus.EXPIRED
    version.in_force_until = at
    _lifecycle_save(version, ["status", "in_force_until"], actor=None, what=gettext_noop("expired"))
    # handoffs since `at` are governed anew (leads re-governs its cycles)
    version_in_force_changed.send(sender=Version, agreement_id=version.agreement_id, since=at)
    audit_append(
        agreement=version.agreement_id,
        action=AuditAction.EXPIRED,
        version=version,
        data={"in_force_until": at, "end_date": version.end_date},
    )
