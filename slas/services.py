"""Writes on agreements and versions: the one path every form, API call, admin action,
import and demo goes through.

Every function is keyword-only, checks who may act, refuses writes to anything but a
draft (`VersionLocked`), refuses stale edits (`EditConflict`, optimistic locking on
`Version.edit_revision`), validates with the models' own rules, and stamps each
history row with the actor and a change reason (`slas.history`).
Status changes and the in-force interval belong to the signing services (slas.signing),
but for the one a draft's authors make themselves: discarding it (`version_discard`).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from portal import permissions
from portal.models import Team, TeamFunction
from slas import compare, selectors
from slas.audit.chain import audit_append
from slas.exceptions import EditConflict, VersionLocked
from slas.history import WHY_MAX_LENGTH, Source, change_reason, stamp, unstamp, why_clean
from slas.models import (
    PART_MODELS,
    VERSION_NON_CONTENT_FIELDS,
    Agreement,
    Commitment,
    CommitmentKind,
    EscalationAction,
    Version,
    VersionPart,
    VersionStatus,
)
from slas.timeline import version_changes_since

#: Definitions every new agreement starts with (edited freely in the draft).
DEFAULT_TERMS = [
    ("Contact", "Any person in the database with at least a name and a way to reach them."),
    ("Lead", "A contact who has shown interest in our offer (a form, an event, a download)."),
    (
        "MQL",
        "Marketing-qualified lead: a lead whose fit and interest score reaches the MQL "
        "threshold, or who requested a demo.",
    ),
    ("SAL", "Sales-accepted lead: an MQL that sales has reviewed and accepted for follow-up."),
    ("SQL", "Sales-qualified lead: an SAL with a confirmed need, budget, authority and timing."),
    ("Opportunity", "An SQL with an open deal in the pipeline and a proposal in preparation."),
    ("Customer", "An organisation with a signed contract."),
    (
        "Recycled lead",
        "A lead that sales returns to marketing, with a reason code, to be nurtured.",
    ),
]

#: The escalation ladder every new agreement starts with: % of the first-contact window.
DEFAULT_ESCALATION = [
    (50, EscalationAction.REMIND_OWNER),
    (100, EscalationAction.NOTIFY_MANAGER),
    (150, EscalationAction.ALLOW_REASSIGN),
]

#: Fields of a draft that people edit (forms and API).
EDITABLE_VERSION_FIELDS = frozenset(
    field.name
    for field in Version._meta.concrete_fields
    if field.name not in VERSION_NON_CONTENT_FIELDS
)


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day `months` later, clamped to the month's last day (31 Jan + 1 = 28/29 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return day.replace(year=year, month=month, day=candidate)
        except ValueError:
            continue
    raise ValueError(day)  # pragma: no cover - day 28 exists in every month


def _require_manager(actor, agreement: Agreement) -> None:
    if actor is None or not permissions.can_manage_agreement(actor, agreement):
        raise PermissionDenied(_("Only managers of a party team edit this agreement's drafts."))


def _stamped_save(instance, *, actor, reason: str, **kwargs) -> None:
    stamp(instance, user=actor, reason=reason)
    try:
        instance.save(**kwargs)
    finally:
        unstamp(instance)  # a later save of this object must not reuse the reason


# Agreements ---------------------------------------------------------------------------


@transaction.atomic
def agreement_create(
    *,
    actor,
    title: str,
    parties: Iterable[Team],
    purpose: str = "",
    effective_date: datetime.date | None = None,
    source: str = Source.WEB,
) -> Agreement:
    """A new agreement between two or more teams, with draft version 1 ready to edit.

    The draft starts with the standard definitions and escalation ladder; the end date
    defaults to 12 months after the effective date, the review to 6 months.
    """
    parties = list({team.pk: team for team in parties}.values())
    if len(parties) < 2:
        raise ValidationError({"parties": _("An agreement is between at least two teams.")})
    if not (
        getattr(actor, "is_staff", False)
        or {t.pk for t in parties} & permissions.manager_team_ids(actor)
    ):
        raise PermissionDenied(_("Only a manager of one of the parties starts an agreement."))
    title = (title or "").strip()
    agreement = Agreement(title=title, purpose=purpose, created_by=actor)
    agreement.full_clean()
    reason = change_reason(source, gettext_noop("agreement created"))
    _stamped_save(agreement, actor=actor, reason=reason)
    agreement.parties.set(parties)
    start = effective_date or timezone.localdate()
    version = Version(
        agreement=agreement,
        number=1,
        effective_date=start,
        end_date=add_months(start, 12),
        review_date=add_months(start, 6),
        created_by=actor,
    )
    version.full_clean()
    _stamped_save(version, actor=actor, reason=reason)
    for position, (term, definition) in enumerate(DEFAULT_TERMS):
        _stamped_save(
            PART_MODELS["terms"](
                version=version, term=term, definition=definition, position=position
            ),
            actor=actor,
            reason=reason,
        )
    for position, (at_percent, action) in enumerate(DEFAULT_ESCALATION):
        _stamped_save(
            PART_MODELS["escalation_steps"](
                version=version, at_percent=at_percent, action=action, position=position
            ),
            actor=actor,
            reason=reason,
        )
    _audit(agreement, "created", actor=actor, version=version, data={"source": str(source)})
    return agreement


def _audit(agreement, action: str, *, actor, version=None, data=None) -> None:
    """Append to the agreement's hash-chained audit log (after the version row locks)."""
    audit_append(agreement=agreement, action=action, actor=actor, version=version, data=data)


# Versions ------------------------------------------------------------------------------


def _copy_part(part: VersionPart, version: Version) -> VersionPart:
    values = {
        field.attname: getattr(part, field.attname)
        for field in part._meta.concrete_fields
        if field.name not in ("id", "version")
    }
    return type(part)(version=version, **values)


@transaction.atomic
def version_amend(
    *,
    actor,
    agreement: Agreement,
    base: Version | None = None,
    source: str = Source.WEB,
) -> Version:
    """Copy a version with all its parts into draft N+1 (the way to change an SLA).

    `base`: the version to start from, any version of the agreement but a draft; by
    default the one in force (`selectors.version_default_base`), never a version that may still
    be declined. The new draft remembers it (`based_on`). One draft at a time per
    agreement: a second one would fork the document.
    """
    agreement = Agreement.objects.select_for_update().get(pk=agreement.pk)
    _require_manager(actor, agreement)
    versions = list(agreement.versions.all())
    open_draft = next((v for v in versions if v.is_draft), None)
    if open_draft is not None:
        raise ValidationError(
            _("Draft v%(number)s is already open: edit it instead of starting another.")
            % {"number": open_draft.number}
        )
    if base is None:
        base = selectors.version_default_base(versions)
    elif base.pk not in {v.pk for v in versions}:
        raise ValidationError(
            {"base": _("Start from a version of this agreement.")}, code="wrong_agreement"
        )
    latest = max(versions, key=lambda v: v.number, default=None)
    reason = change_reason(source, gettext_noop("new version"))
    today = timezone.localdate()
    # After every version that is in force or may still take force, so the new one
    # follows them.
    start = max(
        [today]
        + [
            v.effective_date + datetime.timedelta(days=1)
            for v in versions
            if v.status == VersionStatus.ACTIVE or v.is_upcoming
        ]
    )
    if base is None:
        copy_values: dict[str, Any] = {}
        parts: list[VersionPart] = []
    else:
        copy_values = {
            field.attname: getattr(base, field.attname)
            for field in Version._meta.concrete_fields
            if field.name in EDITABLE_VERSION_FIELDS
        }
        parts = [part for name in PART_MODELS for part in getattr(base, name).all()]
    copy_values.update(
        effective_date=start,
        end_date=add_months(start, 12),
        review_date=add_months(start, 6),
        change_summary="",
    )
    version = Version(
        agreement=agreement,
        number=(latest.number + 1) if latest else 1,
        status=VersionStatus.DRAFT,
        created_by=actor,
        based_on=base,
        **copy_values,
    )
    version.full_clean()
    _stamped_save(version, actor=actor, reason=reason)
    for part in parts:
        _stamped_save(_copy_part(part, version), actor=actor, reason=reason)
    _audit(
        agreement,
        "created",
        actor=actor,
        version=version,
        data={"source": str(source), "copied_from": base.number if base else None},
    )
    return version


def _check_version_invariants(version: Version) -> None:
    """Rules across the version and its parts, checked after every edit."""
    if version.mql_threshold is not None and not version.scoring_rules.exists():
        raise ValidationError(
            {
                "mql_threshold": _(
                    "An MQL threshold needs scoring rules: add at least one rule, or clear "
                    "the threshold."
                )
            }
        )


PartData = Mapping[str, Any]


@transaction.atomic
def version_edit(
    *,
    actor,
    version: Version,
    expected_revision: int | None,
    fields: PartData | None = None,
    create: Iterable[tuple[str, PartData]] = (),
    update: Iterable[tuple[VersionPart, PartData]] = (),
    delete: Iterable[VersionPart] = (),
    source: str = Source.WEB,
    what: str = "",
    why: str = "",
    based_on: Version | None = None,
) -> tuple[Version, list[VersionPart]]:
    """The one writer of a draft's content: version fields and parts in one edit.

    `expected_revision` is the `edit_revision` the editor loaded (None: API callers that
    do not ask for the check). Every saved edit bumps the revision once. `what` says what
    was edited, untranslated (a component or part key, or a `gettext_noop` message: see
    `slas.history`); `why` is the short reason the person gave, required once the draft
    was sent for signature and taken back (`Version.was_sent_before`). Both go on every
    history row of the edit and in the audit log. `based_on`: a rebase says which version
    the draft now starts from, in the same save. Returns the version and the created
    parts. Raises PermissionDenied, VersionLocked, EditConflict or ValidationError (and
    then nothing is saved).
    """
    locked = Version.objects.select_for_update().select_related("agreement").get(pk=version.pk)
    _require_manager(actor, locked.agreement)
    if locked.status != VersionStatus.DRAFT:
        raise VersionLocked(locked)
    if expected_revision is not None and int(expected_revision) != locked.edit_revision:
        raise EditConflict(
            version=locked,
            expected_revision=int(expected_revision),
            changes=version_changes_since(locked, int(expected_revision)),
        )
    why = why_clean(why)
    if len(why) > WHY_MAX_LENGTH:
        raise ValidationError(
            {
                "edit_reason": _("Keep the reason short: at most %(limit)s characters.")
                % {"limit": WHY_MAX_LENGTH}
            }
        )
    if not why and locked.was_sent_before():
        raise ValidationError(
            {
                "edit_reason": _(
                    "Say why you change this draft: it was sent for signature before and "
                    "taken back."
                )
            }
        )
    reason = change_reason(source, what, why)
    unknown = set(fields or {}) - EDITABLE_VERSION_FIELDS
    if unknown:
        raise ValidationError(
            _("These fields cannot be edited: %(names)s.") % {"names": ", ".join(sorted(unknown))}
        )
    for name, value in (fields or {}).items():
        setattr(locked, name, value)
    if fields:
        locked.full_clean(exclude=["agreement", "created_by"])

    for part in delete:
        if part.version_id != locked.pk:
            raise ValidationError(_("That row belongs to another version."))
        stamp(part, user=actor, reason=reason)
        try:
            part.delete()
        finally:
            unstamp(part)
    for part, data in update:
        if part.version_id != locked.pk:
            raise ValidationError(_("That row belongs to another version."))
        for name, value in data.items():
            if name in ("id", "version", "version_id"):
                continue
            setattr(part, name, value)
        part.full_clean()  # with the version: checks one-term-per-version etc.
        _stamped_save(part, actor=actor, reason=reason)
    created = []
    for part_name, data in create:
        model = PART_MODELS[part_name]
        values = {k: v for k, v in data.items() if k not in ("id", "version", "version_id")}
        part = model(version=locked, **values)
        part.full_clean()  # with the version: checks one-term-per-version etc.
        _stamped_save(part, actor=actor, reason=reason)
        created.append(part)

    _check_version_invariants(locked)
    if based_on is not None:
        locked.based_on = based_on
    locked.edit_revision += 1
    _stamped_save(locked, actor=actor, reason=reason)
    _audit(
        locked.agreement,
        "edited",
        actor=actor,
        version=locked,
        data={
            "source": str(source),
            "what": str(what),
            "revision": locked.edit_revision,
            **({"why": why} if why else {}),
        },
    )
    # The caller's instance now shows what was saved.
    for model_field in Version._meta.concrete_fields:
        setattr(version, model_field.attname, getattr(locked, model_field.attname))
    return locked, created


@transaction.atomic
def version_rebase(
    *,
    actor,
    version: Version,
    expected_revision: int | None,
    source: str = Source.WEB,
) -> compare.Merge:
    """Rebase a draft based on an older version onto the version in force.

    What the draft changed stays; what the version in force changed since the draft's
    base comes in; where both changed one thing, the draft's value stays and the result
    says so (`Merge.kept`). One edit (one revision, one history entry "rebased onto vN")
    that records the new base, and an audit entry. Raises PermissionDenied,
    VersionLocked, EditConflict, or ValidationError (code `not_needed`: the draft is
    already based on the version in force).
    """
    locked = Version.objects.select_for_update().select_related("agreement").get(pk=version.pk)
    _require_manager(actor, locked.agreement)
    if not locked.is_draft:
        raise VersionLocked(locked)
    if expected_revision is not None and int(expected_revision) != locked.edit_revision:
        raise EditConflict(
            version=locked,
            expected_revision=int(expected_revision),
            changes=version_changes_since(locked, int(expected_revision)),
        )
    notice = selectors.version_base_notice(locked, locked.agreement.versions.all())
    if notice is None:
        raise ValidationError(
            _("This draft already starts from the version in force: there is nothing to rebase."),
            code="not_needed",
        )
    merge = compare.version_merge(notice.base, locked, notice.in_force)
    version_edit(
        actor=actor,
        version=locked,
        expected_revision=locked.edit_revision,
        fields=merge.fields or None,
        create=merge.create,
        update=merge.update,
        delete=merge.delete,
        source=source,
        what=gettext_noop("rebased onto the version in force"),
        # The reason is the rebase itself (a draft taken back from signature needs one).
        why=_("Rebased onto v%(number)s, the version in force.")
        % {"number": notice.in_force.number},
        based_on=notice.in_force,
    )
    _audit(
        locked.agreement,
        "rebased",
        actor=actor,
        version=locked,
        data={
            "source": str(source),
            "rebased_from": notice.base.number,
            "rebased_onto": notice.in_force.number,
            "kept": [note.label for note in merge.kept],
        },
    )
    for model_field in Version._meta.concrete_fields:
        setattr(version, model_field.attname, getattr(locked, model_field.attname))
    return merge


@transaction.atomic
def version_discard(
    *, actor, version: Version, comment: str = "", source: str = Source.WEB
) -> Version:
    """A party manager abandons a draft. Nothing is deleted: the version stays, read-only,
    as "discarded" (its number is not reused, its history and audit entries keep their
    meaning), and "New version" can start from it again. Audited with the comment.

    Raises PermissionDenied, or VersionLocked for anything but a draft (a version awaiting
    signatures is withdrawn from signature first).
    """
    locked = Version.objects.select_for_update().select_related("agreement").get(pk=version.pk)
    _require_manager(actor, locked.agreement)
    if not locked.is_draft:
        if locked.status == VersionStatus.PENDING_SIGNATURE:
            raise VersionLocked(
                locked,
                _(
                    "Version %(number)s awaits signatures: withdraw it from signature first "
                    "(its sender can), then discard the draft."
                )
                % {"number": locked.number},
            )
        raise VersionLocked(locked)
    locked.status = VersionStatus.DISCARDED
    _stamped_save(
        locked,
        actor=actor,
        reason=change_reason(source, _("draft discarded")),
        update_fields=["status"],
    )
    _audit(
        locked.agreement,
        "discarded",
        actor=actor,
        version=locked,
        data={"source": str(source), "comment": (comment or "").strip()},
    )
    version.status = locked.status
    return locked


def version_update(
    *,
    actor,
    version: Version,
    data: PartData,
    expected_revision: int | None = None,
    source: str = Source.WEB,
    what: str = "",
    why: str = "",
) -> Version:
    updated, _created = version_edit(
        actor=actor,
        version=version,
        expected_revision=expected_revision,
        fields=data,
        source=source,
        what=what or gettext_noop("version details"),
        why=why,
    )
    return updated


def _part_name(instance: VersionPart) -> str:
    """The key of a part row's kind ("terms"): what its history rows say was edited."""
    return next(name for name, model in PART_MODELS.items() if isinstance(instance, model))


def version_part_create(
    *,
    actor,
    version: Version,
    part: str,
    data: PartData,
    expected_revision: int | None = None,
    source: str = Source.WEB,
    why: str = "",
) -> VersionPart:
    _version, created = version_edit(
        actor=actor,
        version=version,
        expected_revision=expected_revision,
        create=[(part, data)],
        source=source,
        what=part,
        why=why,
    )
    return created[0]


def version_part_update(
    *,
    actor,
    instance: VersionPart,
    data: PartData,
    expected_revision: int | None = None,
    source: str = Source.WEB,
    why: str = "",
) -> VersionPart:
    version_edit(
        actor=actor,
        version=instance.version,
        expected_revision=expected_revision,
        update=[(instance, data)],
        source=source,
        what=_part_name(instance),
        why=why,
    )
    return instance


def version_part_delete(
    *,
    actor,
    instance: VersionPart,
    expected_revision: int | None = None,
    source: str = Source.WEB,
    why: str = "",
) -> None:
    version_edit(
        actor=actor,
        version=instance.version,
        expected_revision=expected_revision,
        delete=[instance],
        source=source,
        what=_part_name(instance),
        why=why,
    )


def version_commitment_set_mql_volume(
    *,
    actor,
    version: Version,
    target: int,
    period: str | None = None,
    expected_revision: int | None = None,
    source: str = Source.WEB,
    why: str = "",
) -> Commitment:
    """Write the funnel planner's MQL volume into the draft's commitments.

    Updates the existing `mql_volume` commitment, or adds one owned by the marketing
    party (the team that delivers MQLs).
    """
    if target is None or int(target) < 0:
        raise ValidationError({"target": _("The MQL volume target cannot be negative.")})
    existing = (
        Commitment.objects.filter(version=version, kind=CommitmentKind.MQL_VOLUME)
        .order_by("position", "id")
        .first()
    )
    what = gettext_noop("MQL volume target from the funnel planner")
    data: dict[str, Any] = {"target": Decimal(int(target))}
    if period:
        data["period"] = period
    if existing is not None:
        version_edit(
            actor=actor,
            version=version,
            expected_revision=expected_revision,
            update=[(existing, data)],
            source=source,
            what=what,
            why=why,
        )
        return existing
    parties = list(version.agreement.parties.all())
    owner = next((t for t in parties if t.function == TeamFunction.MARKETING), parties[0])
    position = Commitment.objects.filter(version=version).count()
    _version, created = version_edit(
        actor=actor,
        version=version,
        expected_revision=expected_revision,
        create=[
            (
                "commitments",
                {
                    **data,
                    "owner_team": owner,
                    "kind": CommitmentKind.MQL_VOLUME,
                    "params": {},
                    "period": period or version.reporting_cadence,
                    "description": "",  # reads from its parameters, in each reader's language
                    "position": position,
                },
            )
        ],
        source=source,
        what=what,
        why=why,
    )
    return created[0]
