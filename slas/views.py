from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from portal import permissions
from slas import selectors


@login_required
def agreement_list(request):
    agreements = selectors.agreement_list_for(request.user)
    return render(request, "slas/agreement_list.html", {"agreements": agreements})


@login_required
def agreement_detail(request, pk: int):
    agreement = permissions.get_visible_or_404(selectors.agreement_list_for(request.user), pk=pk)
    return render(request, "slas/agreement_detail.html", {"agreement": agreement})


@login_required
def version_detail(request, pk: int):
    version = permissions.get_visible_or_404(
        permissions.visible_versions(request.user).select_related("agreement"), pk=pk
    )
    return render(request, "slas/version_detail.html", {"version": version})
