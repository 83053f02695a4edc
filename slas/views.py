"""Pages of the agreement area. Each view: authorize, validate, call a service, render."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portal import numbers, permissions
from slas import compare, document, forms, selectors, services, timeline
from slas.exceptions import EditConflict, VersionLocked
from slas.glossary import term_anchor, version_glossary
from slas.history import Source
from slas.models import PART_MODELS, Agreement, Version, VersionStatus
from slas.process import present as process_present

EDITOR_TABS = [(key, title) for key, title, _f, _p in selectors.COMPONENTS]


def _agreement_or_404(user, pk: int, queryset=None) -> Agreement:
    queryset = queryset if queryset is not None else selectors.agreement_list_for(user)
    return permissions.get_visible_or_404(queryset, pk=pk)


def _version_or_404(user, pk: int, queryset=None) -> Version:
    queryset = queryset if queryset is not None else permissions.visible_versions(user)
    return permissions.get_visible_or_404(queryset.select_related("agreement"), pk=pk)


def _error_messages(error: ValidationError) -> list[str]:
    if hasattr(error, "error_dict"):
        return [f"{m}" for messages_ in error.message_dict.values() for m in messages_]
    return list(error.messages)


# Agreements ---------------------------------------------------------------------------


@login_required
def agreement_list(request):
    agreements = list(selectors.agreement_list_for(request.user))
    rows = []
    for agreement in agreements:
        versions = list(agreement.versions.all())
        rows.append(
            {
                "agreement": agreement,
                "active": next((v for v in versions if v.status == VersionStatus.ACTIVE), None),
                "in_flight": [v for v in versions if v.is_upcoming],
                "count": len(versions),
            }
        )
    return render(
        request,
        "slas/agreement_list.html",
        {"rows": rows, "can_create": permissions.can_create_agreement(request.user)},
    )


@login_required
def agreement_create(request):
    permissions.require(permissions.can_create_agreement(request.user))
    form = forms.AgreementForm(request.POST or None)
    form.fields["parties"].queryset = permissions.agreement_party_teams(request.user)
    if request.method == "POST" and form.is_valid():
        try:
            agreement = services.agreement_create(
                actor=request.user,
                title=form.cleaned_data["title"],
                purpose=form.cleaned_data["purpose"],
                parties=form.cleaned_data["parties"],
                effective_date=form.cleaned_data["effective_date"],
                source=Source.WEB,
            )
        except PermissionDenied as error:
            form.add_error("parties", str(error))
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request, _("Agreement created. Draft version 1 is ready: fill it in below.")
            )
            return redirect("slas:version_detail", agreement.versions.get().pk)
    return render(request, "slas/agreement_form.html", {"form": form})


@login_required
def agreement_detail(request, pk: int):
    agreement = _agreement_or_404(request.user, pk)
    versions = list(agreement.versions.all())
    draft = next((v for v in versions if v.status == VersionStatus.DRAFT), None)
    compare_form = forms.CompareForm(agreement=agreement, versions=versions)
    if len(versions) >= 2:
        compare_form.initial = {"a": versions[1].pk, "b": versions[0].pk}
    for index, version in enumerate(versions):
        version.previous = versions[index + 1] if index + 1 < len(versions) else None
    return render(
        request,
        "slas/agreement_detail.html",
        {
            "agreement": agreement,
            "versions": versions,
            "draft": draft,
            "default_base": selectors.version_default_base(versions),
            "can_manage": permissions.can_manage_agreement(request.user, agreement),
            "compare_form": compare_form,
        },
    )


@login_required
def version_amend(request, pk: int):
    """New version: GET says which version it would start from and offers the others;
    POST copies the chosen one (none chosen: the one in force) into a new draft."""
    agreement = _agreement_or_404(request.user, pk)
    permissions.require(permissions.can_manage_agreement(request.user, agreement))
    versions = list(agreement.versions.order_by("-number"))
    open_draft = next((v for v in versions if v.is_draft), None)
    # An empty POST (a plain "New version" button) is a choice too: the default base.
    form = forms.NewVersionForm(
        request.POST if request.method == "POST" else None, agreement=agreement
    )
    if request.method == "POST" and form.is_valid():
        base = form.cleaned_data["base"]
        try:
            version = services.version_amend(actor=request.user, agreement=agreement, base=base)
        except ValidationError as error:
            for message in _error_messages(error):
                messages.error(request, message)
            return redirect(agreement)
        messages.success(
            request,
            _(
                "Draft version %(number)s created from version %(base)s. Edit it, then write "
                "a change summary."
            )
            % {"number": version.number, "base": version.based_on.number}
            if version.based_on
            else _("Draft version %(number)s created. Fill it in, then write a change summary.")
            % {"number": version.number},
        )
        return redirect("slas:version_edit", version.pk, "frame")
    default = selectors.version_default_base(versions)
    chosen = form["base"].value() if form.is_bound else (default.pk if default else None)
    return render(
        request,
        "slas/version_new.html",
        {
            "agreement": agreement,
            "form": form,
            "bases": [v for v in versions if not v.is_draft],
            "chosen": str(chosen or ""),
            "default": default,
            "open_draft": open_draft,
        },
    )


@login_required
def agreement_compare(request, pk: int):
    agreement = _agreement_or_404(request.user, pk)
    form = forms.CompareForm(request.GET or None, agreement=agreement)
    comparison = None
    reasons = []
    if form.is_bound and form.is_valid():
        old, new = form.cleaned_data["a"], form.cleaned_data["b"]
        comparison = compare.version_compare(old, new)
        reasons = timeline.version_edit_reasons(old, new)
    elif not form.is_bound:
        versions = list(agreement.versions.order_by("-number")[:2])
        if len(versions) == 2:
            return redirect(
                f"{reverse('slas:agreement_compare', args=[agreement.pk])}?a={versions[1].pk}&b={versions[0].pk}"
            )
    return render(
        request,
        "slas/compare.html",
        {"agreement": agreement, "form": form, "comparison": comparison, "reasons": reasons},
    )


@login_required
def agreement_history(request, pk: int):
    agreement = _agreement_or_404(request.user, pk)
    versions = list(agreement.versions.order_by("number"))
    pairs = list(zip(versions, versions[1:], strict=False))
    return render(
        request,
        "slas/history.html",
        {
            "agreement": agreement,
            "versions": versions,
            "pairs": pairs,
            "timeline": timeline.agreement_timeline(agreement),
        },
    )


# Versions ------------------------------------------------------------------------------


@login_required
def version_detail(request, pk: int):
    version = _version_or_404(
        request.user, pk, selectors.versions_with_parts(permissions.visible_versions(request.user))
    )
    agreement = version.agreement
    siblings = list(agreement.versions.order_by("-number"))
    previous = next((v for v in siblings if v.number < version.number), None)
    flow = process_present.flow_rows(list(version.process_steps.all()))
    anchors = {t.term.strip().casefold(): term_anchor(t.pk) for t in version.terms.all()}
    for row in flow:
        row.term_anchor = anchors.get(row.step.term.strip().casefold(), "")
    return render(
        request,
        "slas/version_detail.html",
        {
            **document.version_document(version),
            "flow_rows": flow,
            "chart": process_present.flow_chart(flow, rtl=translation.get_language_bidi()),
            "flow_caption": numbers.fill(
                _("The lead process of version %(number)s, step by step."),
                {"number": version.number},
            ),
            "can_edit": permissions.can_edit_version(request.user, version),
            "can_manage": permissions.can_manage_agreement(request.user, agreement),
            "previous": previous,
            "open_draft": next((v for v in siblings if v.status == VersionStatus.DRAFT), None),
            "default_base": selectors.version_default_base(siblings),
        },
    )


def _editable_version(request, pk: int) -> Version:
    version = _version_or_404(request.user, pk)
    permissions.require(permissions.can_manage_agreement(request.user, version.agreement))
    return version


@login_required
def version_edit(request, pk: int, component: str = "frame"):
    version = _editable_version(request, pk)
    known = dict(EDITOR_TABS)
    if component not in known:
        raise Http404
    if not version.is_draft:
        messages.error(request, str(VersionLocked(version)))
        return redirect(version)
    fields_form_class = forms.component_form_class(component)
    part_names = next(p for key, _t, _f, p in selectors.COMPONENTS if key == component)
    data = request.POST if request.method == "POST" else None
    fields_form = (
        fields_form_class(data, instance=version, prefix="v") if fields_form_class else None
    )
    formsets = [
        (
            name,
            forms.part_formset_class(name)(data, version=version, prefix=name),
            str(capfirst(PART_MODELS[name]._meta.verbose_name_plural)),
        )
        for name in part_names
    ]
    reason_required = version.was_sent_before()
    revision_form = forms.RevisionMixin(
        data, initial={"edit_revision": version.edit_revision}, reason_required=reason_required
    )
    conflict = None
    moved = None
    move = request.POST.get("move", "") if request.method == "POST" else ""
    if move:
        # A move button without JavaScript: the cards come back in the new order, with
        # everything typed so far; nothing is saved until "Save".
        prefix, _sep, direction = move.partition(":")
        part = prefix.rsplit("-", 1)[0]
        for index, (name, formset, title) in enumerate(formsets):
            if name == part and hasattr(formset, "reorder"):
                data = formset.reorder(data, prefix=prefix, direction=direction)
                formsets[index] = (
                    name,
                    forms.part_formset_class(name)(data, version=version, prefix=name),
                    title,
                )
                moved = move
        if fields_form is not None:
            fields_form = fields_form_class(data, instance=version, prefix="v")
        revision_form = forms.RevisionMixin(data, reason_required=reason_required)
    elif request.method == "POST":
        all_valid = revision_form.is_valid()
        all_valid = (fields_form is None or fields_form.is_valid()) and all_valid
        all_valid = all(formset.is_valid() for _n, formset, _t in formsets) and all_valid
        if all_valid:
            create, update, delete = [], [], []
            for name, formset, _title in formsets:
                c, u, d = formset.changes()
                create += [(name, row) for row in c]
                update += u
                delete += d
            fields = None
            if fields_form is not None and fields_form.has_changed():
                fields = {name: fields_form.cleaned_data[name] for name in fields_form.changed_data}
            try:
                services.version_edit(
                    actor=request.user,
                    version=version,
                    expected_revision=revision_form.cleaned_data["edit_revision"],
                    fields=fields,
                    create=create,
                    update=update,
                    delete=delete,
                    source=Source.WEB,
                    what=component,  # the key: history shows its title in the reader's language
                    why=revision_form.cleaned_data["edit_reason"],
                )
            except VersionLocked as error:
                messages.error(request, str(error))
                return redirect(version)
            except EditConflict as error:
                conflict = error
                # Keep the person's input; a second save after reading applies it.
                revision_form = forms.RevisionMixin(
                    initial={
                        "edit_revision": error.current_revision,
                        "edit_reason": revision_form.cleaned_data["edit_reason"],
                    },
                    reason_required=reason_required,
                )
                revision_form.fields["edit_revision"].widget.attrs["value"] = error.current_revision
            except ValidationError as error:
                for message in _error_messages(error):
                    messages.error(request, message)
            else:
                messages.success(
                    request,
                    _("%(component)s saved.") % {"component": str(known[component])},
                )
                return redirect("slas:version_edit", version.pk, component)
    return render(
        request,
        "slas/version_edit.html",
        {
            "version": version,
            "agreement": version.agreement,
            "component": component,
            "component_title": known[component],
            "components": EDITOR_TABS,
            "fields_form": fields_form,
            "formsets": formsets,
            "revision_form": revision_form,
            "conflict": conflict,
            "moved": moved,
            "revision_value": (
                conflict.current_revision
                if conflict
                # After a move, the revision the editor was loaded at: a save then still
                # notices another manager's save in between.
                else (data.get("edit_revision") if moved else None) or version.edit_revision
            ),
        },
        status=409 if conflict else 200,
    )


@login_required
def version_discard(request, pk: int):
    """Discard a draft: GET asks (and says nothing is deleted), POST does it."""
    version = _editable_version(request, pk)
    if not version.is_draft:
        messages.error(request, str(VersionLocked(version)))
        return redirect(version)
    form = forms.DiscardForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.version_discard(
                actor=request.user,
                version=version,
                comment=form.cleaned_data["comment"],
                source=Source.WEB,
            )
        except VersionLocked as error:
            messages.error(request, str(error))
            return redirect(version)
        messages.success(
            request,
            _(
                "Draft v%(number)s is discarded. It stays in the history; to pick its work "
                "up again, start a new version from it."
            )
            % {"number": version.number},
        )
        return redirect(version.agreement)
    return render(
        request,
        "slas/version_discard.html",
        {"version": version, "agreement": version.agreement, "form": form},
    )


@login_required
def version_rebase(request, pk: int):
    """Rebase a draft based on an older version onto the version in force: GET previews
    what comes in and where the draft's own value is kept; POST (with the revision the
    preview was made from) does it."""
    version = _editable_version(request, pk)
    if not version.is_draft:
        messages.error(request, str(VersionLocked(version)))
        return redirect(version)
    notice = selectors.version_base_notice(version)
    if notice is None:
        messages.info(request, _("This draft already starts from the version in force."))
        return redirect(version)
    form = forms.RevisionMixin(
        request.POST if request.method == "POST" else None,
        initial={"edit_revision": version.edit_revision},
    )
    if request.method == "POST" and form.is_valid():
        try:
            merge = services.version_rebase(
                actor=request.user,
                version=version,
                expected_revision=form.cleaned_data["edit_revision"],
                source=Source.WEB,
            )
        except EditConflict:
            messages.error(
                request,
                _(
                    "Somebody changed the draft since this preview: nothing was rebased. "
                    "Review the new preview, then rebase."
                ),
            )
            return redirect("slas:version_rebase", version.pk)
        except ValidationError as error:
            for message in _error_messages(error):
                messages.error(request, message)
            return redirect(version)
        messages.success(
            request,
            _("Rebased onto v%(number)s: %(taken)s of its changes came in.")
            % {"number": notice.in_force.number, "taken": len(merge.taken)}
            + (
                " "
                + _("Where both changed the same thing, your draft's value was kept: %(what)s.")
                % {"what": "; ".join(note.label for note in merge.kept)}
                if merge.kept
                else ""
            ),
        )
        return redirect(version)
    return render(
        request,
        "slas/version_rebase.html",
        {
            "version": version,
            "agreement": version.agreement,
            "notice": notice,
            "merge": compare.version_merge(notice.base, version, notice.in_force),
            "form": form,
        },
    )


@login_required
def version_planner(request, pk: int):
    version = _editable_version(request, pk)
    if not version.is_draft:
        messages.error(request, str(VersionLocked(version)))
        return redirect(version)
    measured = selectors.funnel_rates_for(version.agreement)
    periods = version.revenue_goal_period_months
    if version.reporting_cadence == "quarter":
        periods = max(1, -(-periods // 3))
    initial = {
        "revenue_goal": version.revenue_goal_amount,
        "avg_deal_size": version.avg_deal_size,
        "periods": periods,
        **{key: (rate * 100).quantize(Decimal("0.01")) for key, rate in measured.rates.items()},
    }
    form = forms.FunnelForm(request.GET or None, initial=initial)
    if not form.is_bound and version.revenue_goal_amount and version.avg_deal_size:
        form = forms.FunnelForm(initial, initial=initial)
    plan = None
    if form.is_bound and form.is_valid():
        try:
            plan = form.plan()
        except ValueError as error:
            form.add_error(None, str(error))
    apply_form = forms.ApplyMqlVolumeForm(
        initial={
            "edit_revision": version.edit_revision,
            "mql_target": plan.per_period.mqls if plan else None,
            "period": version.reporting_cadence,
        },
        reason_required=version.was_sent_before(),
    )
    return render(
        request,
        "slas/planner.html",
        {
            "version": version,
            "agreement": version.agreement,
            "components": EDITOR_TABS,
            "component": "planner",
            "form": form,
            "plan": plan,
            "measured": measured,
            "planner_fields": [
                (
                    form[name],
                    ("measured" if measured.measured[name] else "default")
                    if name in measured.rates
                    else "",
                    measured.samples.get(name, 0),
                )
                for name in form.fields
            ],
            "apply_form": apply_form,
            # Each stage with the definition this version agrees for it (slas.glossary).
            "glossary": version_glossary(version.pk),
        },
    )


@login_required
@require_POST
def version_planner_apply(request, pk: int):
    version = _editable_version(request, pk)
    form = forms.ApplyMqlVolumeForm(request.POST, reason_required=version.was_sent_before())
    if not form.is_valid():
        if "edit_reason" in form.errors:
            for message in form.errors["edit_reason"]:
                messages.error(request, message)
        else:
            messages.error(request, _("The MQL target must be a whole number of at least zero."))
        return redirect("slas:version_planner", version.pk)
    try:
        services.version_commitment_set_mql_volume(
            actor=request.user,
            version=version,
            target=form.cleaned_data["mql_target"],
            period=form.cleaned_data["period"],
            expected_revision=form.cleaned_data["edit_revision"],
            source=Source.WEB,
            why=form.cleaned_data["edit_reason"],
        )
    except VersionLocked as error:
        messages.error(request, str(error))
        return redirect(version)
    except EditConflict as error:
        messages.error(request, str(error))
        return redirect("slas:version_planner", version.pk)
    except ValidationError as error:
        for message in _error_messages(error):
            messages.error(request, message)
        return redirect("slas:version_planner", version.pk)
    messages.success(
        request,
        _("The MQL volume commitment is now %(target)s per period.")
        % {"target": form.cleaned_data["mql_target"]},
    )
    return redirect("slas:version_edit", version.pk, "kpis")
