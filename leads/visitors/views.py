"""The visitors page of an agreement: the monthly counts per source, entered by a party
manager one at a time or as a web-analytics CSV export."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from leads.visitors import selectors, services
from leads.visitors.forms import VisitorCountForm, VisitorCsvForm
from portal import permissions

MAX_CSV_BYTES = 1_000_000


@login_required
def visitor_counts(request, pk: int):
    agreement = permissions.get_visible_or_404(permissions.visible_agreements(request.user), pk=pk)
    can_manage = permissions.can_manage_agreement(request.user, agreement)
    form, upload = VisitorCountForm(), VisitorCsvForm()
    if request.method == "POST":
        permissions.require(can_manage)
        if request.POST.get("action") == "upload":
            upload = VisitorCsvForm(request.POST, request.FILES)
            if upload.is_valid():
                data = upload.cleaned_data["file"]
                if data.size > MAX_CSV_BYTES:
                    upload.add_error("file", _("The file is larger than 1 MB."))
                else:
                    text = data.read().decode("utf-8-sig", errors="replace")
                    written, problems = services.visitor_counts_import_csv(
                        actor=request.user, agreement=agreement, text=text
                    )
                    if not problems:
                        messages.success(request, _("%(n)s visitor counts saved.") % {"n": written})
                        return redirect("visitors:counts", agreement.pk)
                    for problem in problems[:20]:
                        upload.add_error("file", problem)
        else:
            form = VisitorCountForm(request.POST)
            if form.is_valid():
                try:
                    services.visitor_count_set(
                        actor=request.user, agreement=agreement, **form.cleaned_data
                    )
                except ValidationError as error:
                    for message in error.messages:
                        form.add_error(None, message)
                else:
                    messages.success(request, _("Visitor count saved."))
                    return redirect("visitors:counts", agreement.pk)
    rows = list(selectors.visitor_counts_of(agreement.pk)[:240])
    return render(
        request,
        "leads/visitors.html",
        {
            "agreement": agreement,
            "rows": rows,
            "form": form,
            "upload": upload,
            "can_manage": can_manage,
        },
        status=400 if request.method == "POST" else 200,
    )
