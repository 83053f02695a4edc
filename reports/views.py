from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from slas import selectors


@login_required
def index(request):
    agreements = selectors.agreement_list_for(request.user)
    return render(request, "reports/index.html", {"agreements": agreements})
