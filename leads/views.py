from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from portal import permissions


@login_required
def queue(request):
    leads = (
        permissions.visible_leads(request.user)
        .filter(owner=request.user)
        .select_related("sales_team")[:200]
    )
    return render(request, "leads/queue.html", {"leads": leads})


@login_required
def lead_detail(request, pk: int):
    lead = permissions.get_visible_or_404(permissions.visible_leads(request.user), pk=pk)
    return render(request, "leads/lead_detail.html", {"lead": lead, "events": lead.events.all()})
