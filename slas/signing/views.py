"""Signing pages: send, sign, decline, withdraw, certificate, exports, verify, audit log.

Every view: authorize (404 for what the user cannot see, 403 for what they may not
do), validate with a form, call a service in slas.signing, render or redirect.
"""

from __future__ import annotations

import datetime
import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from portal import dates, numbers, permissions
from portal.forms import client_address
from portal.models import Team
from portal.pdf import Flowchart, Heading, KeyValues, Paragraph, Spacer, Table, build_pdf
from slas.document import sealed_part_table
from slas.history import Source
from slas.models import CHANNELS, WEEKDAYS, Agreement, Version, VersionStatus, version_state
from slas.process import present as process_present
from slas.signing import selectors as signing_selectors
from slas.signing.checkpoints import checkpoint_statement
from slas.signing.forms import DeclineForm, SendForm, SignForm, VerifyForm, WithdrawForm
from slas.signing.integrity import seal_file, signing_round_seal_check
from slas.signing.models import CopyKind, SigningOrder
from slas.signing.rounds import SigningError
from slas.signing.seal import (
    bytes_hash,
    chunks_hash,
    signing_round_snapshot,
    version_content,
    version_part_relations,
)
from slas.signing.services import (
    CONSENT_STATEMENT,
    issued_copy_record,
    signature_add,
    signing_decline,
    signing_page_viewed,
    signing_withdraw,
    version_send_for_signature,
)
from slas.timeline import what_label


def _posted(request):
    """The POST data, even when empty (an empty POST must still be validated)."""
    return request.POST if request.method == "POST" else None


def _visible_version(request, pk: int) -> Version:
    return permissions.get_visible_or_404(
        permissions.visible_versions(request.user).select_related("agreement"), pk=pk
    )


def _apply_errors(form, error: SigningError) -> None:
    for name, message in error.field_errors.items():
        form.add_error(name if name in form.fields else None, message)
    if not error.field_errors or not set(error.field_errors) & set(form.fields):
        form.add_error(None, error.message)


def _when(value) -> str:
    """A certificate's instants: to the second, zone named, as the reader writes dates."""
    return dates.exact(value)


def _expiry_hint(form, agreement) -> dict:
    """When a request sent now would expire, with the days in the form (the agreement's
    until changed; the page's script hides the hint while the box says otherwise)."""
    days = agreement.request_expiry_days
    if form.is_bound:
        try:
            days = int(form.data.get("request_expiry_days") or days)
        except ValueError:
            pass
    days = min(max(days, 0), 3650)
    return {
        "expiry_days": days,
        "expires_if_sent_now": timezone.now() + datetime.timedelta(days=days),
    }


@login_required
def version_send(request, pk: int):
    version = _visible_version(request, pk)
    permissions.require(permissions.can_send_for_signature(request.user, version))
    form = SendForm(_posted(request), agreement=version.agreement)
    if request.method == "POST" and form.is_valid():
        try:
            version_send_for_signature(
                version=version,
                actor=request.user,
                signers=form.cleaned_data["signers"],
                order=form.cleaned_data["order"],
                reminder_after_days=form.cleaned_data["reminder_after_days"],
                reminder_every_days=form.cleaned_data["reminder_every_days"],
                request_expiry_days=form.cleaned_data["request_expiry_days"],
            )
        except SigningError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, _("Sent for signature. Everyone who must sign was told."))
            return redirect(version)
    return render(
        request,
        "slas/signing/send.html",
        {
            "version": version,
            "form": form,
            "parties": version.agreement.parties.all(),
            "missing_summary": not version.change_summary.strip(),
            "blockers": signing_selectors.version_send_blockers(version),
            "days_fields": [
                form[name]
                for name in ("request_expiry_days", "reminder_after_days", "reminder_every_days")
            ],
            **_expiry_hint(form, version.agreement),
        },
    )


@login_required
def version_sign(request, pk: int):
    version = _visible_version(request, pk)
    # Only required signatories of the open round reach the signing page.
    permissions.require(permissions.can_sign_version(request.user, version))
    panel = signing_selectors.version_signing_panel(version, request.user)
    form = SignForm(
        _posted(request), initial={"content_hash": version.content_hash, "consent": False}
    )
    if request.method == "POST":
        if form.is_valid():
            try:
                signature_add(
                    version=version,
                    user=request.user,
                    password=form.cleaned_data["password"],
                    full_name=form.cleaned_data["full_name"],
                    consent=form.cleaned_data["consent"],
                    content_hash_seen=form.cleaned_data["content_hash"],
                    ip_address=client_address(request) or None,
                    user_agent=request.META.get("HTTP_USER_AGENT", ""),
                )
            except SigningError as error:
                if error.code == "already_signed":
                    messages.info(request, error.message)
                    return redirect(version)
                _apply_errors(form, error)
            else:
                version.refresh_from_db()
                if version.status == VersionStatus.ACTIVE:
                    messages.success(request, _("Signed. Every party has signed: it is in force."))
                elif version.status == VersionStatus.SCHEDULED:
                    messages.success(
                        request,
                        _("Signed. Every party has signed: it takes force on %(date)s.")
                        % {"date": dates.day(version.effective_date)},
                    )
                else:
                    messages.success(request, _("Signed. Thank you."))
                return redirect(version)
    else:
        signing_page_viewed(version=version, user=request.user)
    return render(
        request,
        "slas/signing/sign.html",
        {
            "version": version,
            "panel": panel,
            "form": form,
            "consent_statement": CONSENT_STATEMENT,
            "expected_name": request.user.get_full_name(),
        },
    )


@login_required
def version_decline(request, pk: int):
    version = _visible_version(request, pk)
    panel = signing_selectors.version_signing_panel(version, request.user)
    permissions.require(panel.can_decline)
    form = DeclineForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            signing_decline(
                version=version, user=request.user, comment=form.cleaned_data["comment"]
            )
        except SigningError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, _("You declined. The version is a draft again."))
            return redirect(version)
    return render(
        request, "slas/signing/decline.html", {"version": version, "form": form, "panel": panel}
    )


@login_required
def version_withdraw(request, pk: int):
    version = _visible_version(request, pk)
    panel = signing_selectors.version_signing_panel(version, request.user)
    permissions.require(panel.can_withdraw)
    signed = version.is_scheduled
    form = WithdrawForm(_posted(request), signed=signed)
    if request.method == "POST" and form.is_valid():
        try:
            signing_withdraw(
                version=version, user=request.user, comment=form.cleaned_data["comment"]
            )
        except SigningError as error:
            _apply_errors(form, error)
        else:
            if signed:
                messages.success(
                    request,
                    _("Withdrawn: it will not take force. Everyone who signed it was told."),
                )
            else:
                messages.success(request, _("Withdrawn. The version is a draft again."))
            return redirect(version)
    return render(
        request,
        "slas/signing/withdraw.html",
        {"version": version, "form": form, "panel": panel, "signed": signed},
    )


# Certificate and exports ------------------------------------------------------------------


def _certificate_or_404(request, pk: int):
    from django.http import Http404

    version = _visible_version(request, pk)
    certificate = signing_selectors.certificate_for(version)
    if certificate is None:
        raise Http404
    return version, certificate


@login_required
@require_GET
def version_certificate(request, pk: int):
    version, certificate = _certificate_or_404(request, pk)
    seal = signing_round_seal_check(rnd=certificate.round)
    return render(
        request,
        "slas/signing/certificate.html",
        {
            "version": version,
            "certificate": certificate,
            "seal": seal,
            "seal_intact": seal.intact,
            "seal_reason": seal.reason,
            "chain_head": _chain_head(version),
        },
    )


def _chain_head(version: Version) -> dict:
    """The audit chain head, signed now, as printed on the certificate (the anchor a holder
    keeps: a chain later cut back below it was rolled back)."""
    signed = checkpoint_statement(version.agreement_id)
    return {**json.loads(signed["statement"]), **signed}


def _in_force_from(version: Version, certificate) -> str:
    if certificate.activated_at:
        return _when(certificate.activated_at)
    if version.is_scheduled:
        return _("scheduled for %(when)s") % {"when": _when(certificate.round.activates_at)}
    return _("never: it was %(state)s before it took force") % {
        "state": version.state_label.lower()
    }


def _certificate_pdf(version: Version, certificate) -> bytes:
    signer_names = ", ".join(
        s.user.get_full_name() or s.user.username for s in certificate.signatures
    )
    blocks = [
        KeyValues(
            [
                (_("Agreement"), version.agreement.title),
                (_("Version"), f"v{version.number}"),
                (_("Status"), f"{version.state_label}: {version.state_explanation}"),
                (_("Content hash (SHA-256)"), certificate.round.content_hash),
                (_("Sent by"), certificate.round.sent_by.get_full_name()),
                (_("Sent at"), _when(certificate.round.sent_at)),
                (_("Completed at"), _when(certificate.round.closed_at)),
                (_("In force from"), _in_force_from(version, certificate)),
                (_("Effective date"), dates.day(version.effective_date)),
                (_("End date"), dates.day(version.end_date)),
            ]
        ),
        Heading(_("Signers")),
        Table(
            [_("Name"), _("For"), _("Role"), _("Signed at"), _("IP address"), _("User agent")],
            [
                [
                    f"{s.user.get_full_name()} ({s.full_name})",
                    s.team.name if s.team_id else _("named signatory"),
                    s.role_label,
                    _when(s.signed_at)
                    + (
                        " · " + _("voided %(when)s") % {"when": _when(s.voided_at)}
                        if s.voided_at
                        else ""
                    ),
                    s.ip_address or "",
                    s.user_agent,
                ]
                for s in certificate.signatures
            ],
        ),
        Heading(_("Audit trail")),
        Table(
            [_("#"), _("When"), _("What"), _("Who"), _("Entry hash")],
            [
                [
                    numbers.number(e.seq),
                    _when(e.at),
                    str(e.get_action_display()),
                    e.actor_name,
                    e.entry_hash,
                ]
                for e in certificate.audit
            ],
        ),
        Heading(_("Seal")),
        KeyValues(_seal_lines(certificate.round, _chain_head(version))),
        Spacer(),
        Paragraph(
            _(
                "The content hash is the SHA-256 of the version's canonical JSON export. "
                "This PDF, the document PDF and the JSON export can each be checked on the "
                "portal's Verify page: upload the file unchanged."
            )
        ),
    ]
    return build_pdf(
        title=_("Certificate of completion"),
        subtitle=f"{version.agreement.title} · v{version.number}",
        blocks=blocks,
        meta={
            "subject": _("Signed by %(names)s") % {"names": signer_names},
            "keywords": certificate.round.content_hash,
            "creator": "SLA portal",
        },
    )


def _seal_lines(rnd, chain_head: dict) -> list[tuple[str, str]]:
    if rnd.seal_statement is None:
        lines = [(_("Seal"), _("Sealed before signatures: checked by its hashes only."))]
    else:
        lines = [
            (_("Seal key"), rnd.seal_key_id),
            (_("Seal signature (Ed25519)"), rnd.seal_signature),
        ]
    return lines + [
        (
            _("Audit chain head"),
            _("entry %(seq)s, %(hash)s")
            % {"seq": chain_head["seq"], "hash": chain_head["entry_hash"]},
        ),
        (_("Chain head signature"), f"{chain_head['key_id']} {chain_head['signature']}"),
    ]


@login_required
@require_GET
def version_certificate_pdf(request, pk: int):
    version, certificate = _certificate_or_404(request, pk)
    data = _certificate_pdf(version, certificate)
    # Recorded as it is handed out: the verify page knows this file by its own hash.
    issued_copy_record(rnd=certificate.round, kind=CopyKind.CERTIFICATE_PDF, data=data)
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="certificate-agreement{version.agreement_id}-v{version.number}.pdf"'
    )
    return response


@login_required
@require_GET
def version_export_json(request, pk: int):
    from django.http import Http404

    version, certificate = _certificate_or_404(request, pk)
    # The stored bytes that were hashed and signed, never rebuilt from live rows.
    data = signing_round_snapshot(certificate.round)
    if data is None:
        raise Http404(_("The signed content of this version was not stored."))
    response = HttpResponse(data, content_type="application/json")
    response["Content-Disposition"] = (
        f'attachment; filename="agreement{version.agreement_id}-v{version.number}.json"'
    )
    response["X-Content-Hash"] = bytes_hash(data)
    if certificate.round.seal_statement is not None:
        response["X-Seal-Key-Id"] = certificate.round.seal_key_id
        response["X-Seal-Signature"] = certificate.round.seal_signature
    return response


@login_required
@require_GET
def version_export_seal(request, pk: int):
    """The signature that goes with the JSON export (`<export>.seal.json`): the signed seal
    statement and a signed checkpoint of the chain head, verifiable with the public key."""
    version, certificate = _certificate_or_404(request, pk)
    data = seal_file(certificate.round)
    if data is None:
        raise Http404(_("This version was sealed before seals were signed."))
    response = HttpResponse(
        json.dumps(data, indent=1, ensure_ascii=False), content_type="application/json"
    )
    response["Content-Disposition"] = (
        f'attachment; filename="agreement{version.agreement_id}-v{version.number}.json.seal.json"'
    )
    return response


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, dict)):
        import json

        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


NUMBER_FIELDS = {
    "DecimalField",
    "FloatField",
    "IntegerField",
    "PositiveIntegerField",
    "PositiveSmallIntegerField",
    "SmallIntegerField",
    "BigIntegerField",
}


def _readable(field, value, team_names: dict[int, str]) -> str:
    """A sealed JSON value as a reader expects it: names, labels, weekdays, not codes."""
    if value is None or value == "" or value == []:
        return "—"
    if field is None:
        return _cell(value)
    if field.is_relation and isinstance(value, int):
        if field.related_model is Team:
            # The name as it was when signed (the sealed copy carries the parties' names).
            if value not in team_names:
                team_names[value] = Team.objects.filter(pk=value).values_list(
                    "name", flat=True
                ).first() or str(value)
            return team_names[value]
        return str(value)
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    kind = field.get_internal_type()
    if kind == "DateField":
        return dates.day(value)  # a calendar date, as every page writes it
    if kind == "TimeField":
        return dates.clock(datetime.time.fromisoformat(value) if isinstance(value, str) else value)
    if kind in NUMBER_FIELDS and not isinstance(value, bool):
        return numbers.number(value, -2)  # 1,000,000 (١٬٠٠٠٬٠٠٠), 2.5; no '.00'
    if field.name == "working_days" and isinstance(value, list):
        days = dict(WEEKDAYS)
        return ", ".join(str(days.get(day, day)) for day in value)
    if field.name == "channels" and isinstance(value, list):
        channels = dict(CHANNELS)
        return ", ".join(str(channels.get(code, code)) for code in value)
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, dict):
        return "; ".join(f"{key}: {_cell(item)}" for key, item in sorted(value.items()))
    return _cell(value)


def _label(field, key: str) -> str:
    return str(capfirst(field.verbose_name)) if field is not None else key


def _document_pdf(version: Version, certificate) -> bytes:
    """The signed document, read from the sealed copy (not the live rows), made readable."""
    import json

    snapshot = signing_round_snapshot(certificate.round)
    content = json.loads(snapshot) if snapshot is not None else version_content(version)
    team_names = {party["id"]: party["name"] for party in content.get("parties", [])}
    version_fields = {f.name: f for f in Version._meta.concrete_fields}
    sealed_version = content.get("version", {})
    # In the model's order, then anything sealed that the model no longer has.
    keys = [name for name in version_fields if name in sealed_version]
    keys += sorted(set(sealed_version) - set(keys))
    agreement = content.get("agreement", {})
    blocks = [
        KeyValues(
            [
                (_("Agreement"), agreement.get("title", version.agreement.title)),
                (_("Parties"), ", ".join(p["name"] for p in content.get("parties", []))),
            ]
            + ([(_("Purpose"), agreement["purpose"])] if agreement.get("purpose") else [])
        ),
        KeyValues(
            [
                (
                    _label(version_fields.get(key), key),
                    _readable(version_fields.get(key), sealed_version[key], team_names),
                )
                for key in keys
            ]
        ),
    ]
    for accessor, model in version_part_relations():
        rows = content.get(accessor) or []
        blocks.append(Heading(str(capfirst(model._meta.verbose_name_plural)), level=2))
        if not rows:
            blocks.append(Paragraph(_("None.")))
            continue
        rows = sorted(rows, key=lambda row: (row.get("position") or 0, _cell(row)))
        sentences = sealed_part_table(accessor, rows, team_names)
        if sentences is not None:  # rules read as the sentences they say
            blocks.append(Table(*sentences))
            continue
        fields = {f.attname: f for f in model._meta.concrete_fields}
        present = {key for row in rows for key in row} - {"position"}
        columns = [f.attname for f in model._meta.concrete_fields if f.attname in present]
        columns += sorted(present - set(columns))
        blocks.append(
            Table(
                [_label(fields.get(key), key) for key in columns],
                [
                    [_readable(fields.get(key), row.get(key), team_names) for key in columns]
                    for row in rows
                ],
            )
        )
    steps = content.get("process_steps") or []
    # The drawing is for left-to-right readers: the PDF engine draws an SVG's text letter
    # by letter, unshaped, so Arabic and Persian read the steps in the table above.
    if steps and not translation.get_language_bidi():
        chart = process_present.sealed_chart(steps, team_names)
        blocks.append(Heading(_("Lead process flowchart"), level=2))
        blocks.append(
            Flowchart(
                width=chart.width,
                height=chart.height,
                boxes=[
                    (b.x, b.y, b.width, b.height, f"{i}. {b.step.name}", b.step.detail)
                    for i, b in enumerate(chart.boxes, start=1)
                ],
                arrows=chart.arrows,
                loop=chart.loop_points,
                loop_label=_("recycle loop"),
            )
        )
    blocks.append(
        Paragraph(_("Content hash (SHA-256): %(hash)s") % {"hash": certificate.round.content_hash})
    )
    return build_pdf(
        title=f"{agreement.get('title', version.agreement.title)} · v{version.number}",
        subtitle=_("Signed version, effective %(date)s")
        % {"date": dates.day(version.effective_date)},
        blocks=blocks,
        meta={"keywords": certificate.round.content_hash, "creator": "SLA portal"},
    )


@login_required
@require_GET
def version_document_pdf(request, pk: int):
    version, certificate = _certificate_or_404(request, pk)
    data = _document_pdf(version, certificate)
    # Recorded as it is handed out: the verify page knows this file by its own hash.
    issued_copy_record(rnd=certificate.round, kind=CopyKind.DOCUMENT_PDF, data=data)
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="agreement{version.agreement_id}-v{version.number}.pdf"'
    )
    return response


# Verify and audit ---------------------------------------------------------------------------


@login_required
def signing_verify(request):
    form = VerifyForm(_posted(request), request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data.get("document")
        if upload is not None:
            # The exact bytes: any altered byte gives another hash.
            content_hash = chunks_hash(upload.chunks())
        else:
            content_hash = form.cleaned_data["content_hash"]
        result = signing_selectors.version_verify(request.user, content_hash)
    return render(request, "slas/signing/verify.html", {"form": form, "result": result})


#: What each key of an audit entry's `data` means, for people reading the log.
AUDIT_DETAIL_LABELS = {
    "round": gettext_lazy("Round"),
    "order": gettext_lazy("Signing order"),
    "content_hash": gettext_lazy("Content hash"),
    "signatories": gettext_lazy("Signatories"),
    "for": gettext_lazy("Signed for"),
    "team": gettext_lazy("Team"),
    "role": gettext_lazy("Role"),
    "full_name": gettext_lazy("Typed name"),
    "ip_address": gettext_lazy("IP address"),
    "user_agent": gettext_lazy("User agent"),
    "comment": gettext_lazy("Comment"),
    "unsigned": gettext_lazy("Not signed by"),
    "by_version": gettext_lazy("Superseded by version"),
    "voided_by": gettext_lazy("Voided by version, which took force first"),
    "was": gettext_lazy("State before"),
    "supersedes": gettext_lazy("Supersedes version"),
    "in_force_from": gettext_lazy("In force from"),
    "takes_force_at": gettext_lazy("Was to take force at"),
    "in_force_until": gettext_lazy("In force until"),
    "end_date": gettext_lazy("End date"),
    "source": gettext_lazy("Written from"),
    "what": gettext_lazy("What changed"),
    "why": gettext_lazy("Reason given"),
    "revision": gettext_lazy("Revision"),
    "copied_from": gettext_lazy("Copied from version"),
    "seal_key": gettext_lazy("Seal key"),
    "rebased_from": gettext_lazy("Was based on version"),
    "rebased_onto": gettext_lazy("Rebased onto version"),
    "kept": gettext_lazy("Kept the draft's value for"),
}


AUDIT_INSTANTS = {"in_force_from", "takes_force_at", "in_force_until"}
AUDIT_DAYS = {"end_date"}


def _audit_details(entry) -> list[tuple[str, str]]:
    details = []
    for key, value in (entry.data or {}).items():
        if value is None or value == "" or value == []:
            continue
        if key == "order" and value in SigningOrder.values:
            value = SigningOrder(value).label
        elif key == "source" and value in Source.values:
            value = Source(value).label
        elif key == "what" and isinstance(value, str):
            value = what_label(value)  # stored untranslated, read in the reader's language
        elif key == "was" and value in VersionStatus.values:
            value = version_state(value).label
        elif key in AUDIT_INSTANTS and isinstance(value, str):
            value = dates.when(value)  # stored as ISO 8601, read in the reader's zone
        elif key in AUDIT_DAYS and isinstance(value, str):
            value = dates.day(value)
        elif isinstance(value, list):
            value = ", ".join(str(item) for item in value)
        details.append((str(AUDIT_DETAIL_LABELS.get(key, key)), value))
    return details


@login_required
def agreement_audit(request, pk: int):
    agreement = permissions.get_visible_or_404(permissions.visible_agreements(request.user), pk=pk)
    if not isinstance(agreement, Agreement):  # pragma: no cover - defensive
        raise PermissionDenied
    entries = signing_selectors.audit_log(agreement)
    for entry in entries:
        entry.details = _audit_details(entry)
    return render(
        request,
        "slas/signing/audit.html",
        {
            "agreement": agreement,
            "entries": entries,
            "integrity": (integrity := signing_selectors.audit_summary(agreement)),
            "verification": integrity.chain,
        },
    )
