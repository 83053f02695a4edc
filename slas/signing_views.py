"""Signing pages: send, sign, decline, withdraw, certificate, exports, verify, audit log.

Every view: authorize (404 for what the user cannot see, 403 for what they may not
do), validate with a form, call a service in slas.signing, render or redirect.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from portal import permissions
from portal.forms import client_address
from portal.pdf import Heading, KeyValues, Paragraph, Spacer, Table, build_pdf
from slas import signing, signing_selectors
from slas.models import Agreement, Version, VersionStatus
from slas.signing_forms import DeclineForm, SendForm, SignForm, VerifyForm, WithdrawForm


def _posted(request):
    """The POST data, even when empty (an empty POST must still be validated)."""
    return request.POST if request.method == "POST" else None


def _visible_version(request, pk: int) -> Version:
    return permissions.get_visible_or_404(
        permissions.visible_versions(request.user).select_related("agreement"), pk=pk
    )


def _apply_errors(form, error: signing.SigningError) -> None:
    for name, message in error.field_errors.items():
        form.add_error(name if name in form.fields else None, message)
    if not error.field_errors or not set(error.field_errors) & set(form.fields):
        form.add_error(None, error.message)


def _when(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S %Z") if value else ""


@login_required
def version_send(request, pk: int):
    version = _visible_version(request, pk)
    permissions.require(permissions.can_send_for_signature(request.user, version))
    form = SendForm(_posted(request), agreement=version.agreement)
    if request.method == "POST" and form.is_valid():
        try:
            signing.version_send_for_signature(
                version=version,
                actor=request.user,
                signers=form.cleaned_data["signers"],
                order=form.cleaned_data["order"],
            )
        except signing.SigningError as error:
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
        },
    )


@login_required
def version_sign(request, pk: int):
    version = _visible_version(request, pk)
    panel = signing_selectors.version_signing_panel(version, request.user)
    # Only required signatories reach the signing page.
    permissions.require(panel.is_signatory and panel.round is not None and panel.round.is_open)
    form = SignForm(
        _posted(request), initial={"content_hash": version.content_hash, "consent": False}
    )
    if request.method == "POST":
        if form.is_valid():
            try:
                signing.signature_add(
                    version=version,
                    user=request.user,
                    password=form.cleaned_data["password"],
                    full_name=form.cleaned_data["full_name"],
                    consent=form.cleaned_data["consent"],
                    content_hash_seen=form.cleaned_data["content_hash"],
                    ip_address=client_address(request) or None,
                    user_agent=request.META.get("HTTP_USER_AGENT", ""),
                )
            except signing.SigningError as error:
                if error.code == "already_signed":
                    messages.info(request, error.message)
                    return redirect(version)
                _apply_errors(form, error)
            else:
                version.refresh_from_db()
                if version.status == VersionStatus.ACTIVE:
                    messages.success(request, _("Signed. Every party has signed: it is in force."))
                else:
                    messages.success(request, _("Signed. Thank you."))
                return redirect(version)
    else:
        signing.signing_page_viewed(version=version, user=request.user)
    return render(
        request,
        "slas/signing/sign.html",
        {
            "version": version,
            "panel": panel,
            "form": form,
            "consent_statement": signing.CONSENT_STATEMENT,
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
            signing.signing_decline(
                version=version, user=request.user, comment=form.cleaned_data["comment"]
            )
        except signing.SigningError as error:
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
    form = WithdrawForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            signing.signing_withdraw(
                version=version, user=request.user, comment=form.cleaned_data["comment"]
            )
        except signing.SigningError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, _("Withdrawn. The version is a draft again."))
            return redirect(version)
    return render(
        request, "slas/signing/withdraw.html", {"version": version, "form": form, "panel": panel}
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
    seal_intact = signing.version_content_hash(version) == certificate.round.content_hash
    return render(
        request,
        "slas/signing/certificate.html",
        {"version": version, "certificate": certificate, "seal_intact": seal_intact},
    )


def _certificate_pdf(version: Version, certificate) -> bytes:
    signer_names = ", ".join(
        s.user.get_full_name() or s.user.username for s in certificate.signatures
    )
    blocks = [
        KeyValues(
            [
                (_("Agreement"), version.agreement.title),
                (_("Version"), f"v{version.number}"),
                (_("Status"), str(version.get_status_display())),
                (_("Content hash (SHA-256)"), certificate.round.content_hash),
                (_("Sent by"), certificate.round.sent_by.get_full_name()),
                (_("Sent at"), _when(certificate.round.sent_at)),
                (_("Completed at"), _when(certificate.round.closed_at)),
                (_("In force from"), _when(certificate.activated_at) or _("not yet")),
                (_("Effective date"), version.effective_date.isoformat()),
                (_("End date"), version.end_date.isoformat()),
            ]
        ),
        Heading(_("Signers")),
        Table(
            [_("Name"), _("For"), _("Role"), _("Signed at"), _("IP address"), _("User agent")],
            [
                [
                    f"{s.user.get_full_name()} ({s.full_name})",
                    s.team.name if s.team_id else _("named signatory"),
                    s.role,
                    _when(s.signed_at),
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
                    str(e.seq),
                    _when(e.at),
                    str(e.get_action_display()),
                    e.actor_name,
                    e.entry_hash,
                ]
                for e in certificate.audit
            ],
        ),
        Spacer(),
        Paragraph(
            _(
                "The content hash is the SHA-256 of the version's canonical JSON export. "
                "Anyone can check an export against it on the portal's Verify page."
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


@login_required
@require_GET
def version_certificate_pdf(request, pk: int):
    version, certificate = _certificate_or_404(request, pk)
    response = HttpResponse(_certificate_pdf(version, certificate), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="certificate-agreement{version.agreement_id}-v{version.number}.pdf"'
    )
    return response


@login_required
@require_GET
def version_export_json(request, pk: int):
    version, certificate = _certificate_or_404(request, pk)
    data = signing.version_export_bytes(version)
    response = HttpResponse(data, content_type="application/json")
    response["Content-Disposition"] = (
        f'attachment; filename="agreement{version.agreement_id}-v{version.number}.json"'
    )
    response["X-Content-Hash"] = signing.bytes_hash(data)
    return response


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, dict)):
        import json

        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def _document_pdf(version: Version, certificate) -> bytes:
    content = signing.version_content(version)
    fields = {f.name: f for f in Version._meta.concrete_fields}
    blocks = [
        KeyValues(
            [
                (str(fields[name].verbose_name).capitalize(), _cell(value))
                for name, value in content["version"].items()
                if name in fields
            ]
        ),
        KeyValues([(_("Parties"), ", ".join(p["name"] for p in content["parties"]))]),
    ]
    for accessor, model in signing.version_part_relations():
        rows = content.get(accessor) or []
        blocks.append(Heading(str(model._meta.verbose_name_plural).capitalize(), level=2))
        if not rows:
            blocks.append(Paragraph(_("None.")))
            continue
        keys = sorted(rows[0])
        names = {f.attname: f for f in model._meta.concrete_fields}
        header = [str(names[k].verbose_name).capitalize() if k in names else k for k in keys]
        blocks.append(Table(header, [[_cell(row[k]) for k in keys] for row in rows]))
    blocks.append(
        Paragraph(_("Content hash (SHA-256): %(hash)s") % {"hash": certificate.round.content_hash})
    )
    return build_pdf(
        title=f"{version.agreement.title} · v{version.number}",
        subtitle=_("Signed version, effective %(date)s") % {"date": version.effective_date},
        blocks=blocks,
        meta={"keywords": certificate.round.content_hash, "creator": "SLA portal"},
    )


@login_required
@require_GET
def version_document_pdf(request, pk: int):
    version, certificate = _certificate_or_404(request, pk)
    response = HttpResponse(_document_pdf(version, certificate), content_type="application/pdf")
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
            content_hash = signing.bytes_hash(upload.read())
        else:
            content_hash = form.cleaned_data["content_hash"]
        result = signing_selectors.version_verify(request.user, content_hash)
    return render(request, "slas/signing/verify.html", {"form": form, "result": result})


@login_required
def agreement_audit(request, pk: int):
    agreement = permissions.get_visible_or_404(permissions.visible_agreements(request.user), pk=pk)
    if not isinstance(agreement, Agreement):  # pragma: no cover - defensive
        raise PermissionDenied
    return render(
        request,
        "slas/signing/audit.html",
        {
            "agreement": agreement,
            "entries": signing_selectors.audit_log(agreement),
            "verification": signing_selectors.audit_summary(agreement),
        },
    )
