"""API tokens on the profile page: create (the secret is shown once), list, revoke."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from portal import numbers
from portal.models import TokenScope
from portal.tokens import api_token_create, api_token_revoke

# Creating tokens is rate limited per user: a leaked session should not mint hundreds.
TOKENS_PER_HOUR = 20

EXPIRY_CHOICES = [
    ("30", gettext_lazy("30 days")),
    ("90", gettext_lazy("90 days")),
    ("365", gettext_lazy("1 year")),
]


def expiry_choices() -> list[tuple[str, str]]:
    """The lifetimes a token may have: none longer than API_TOKEN_MAX_DAYS, which is one."""
    longest = settings.API_TOKEN_MAX_DAYS
    choices = [(days, label) for days, label in EXPIRY_CHOICES if int(days) < longest]
    label = dict(EXPIRY_CHOICES).get(str(longest)) or numbers.fill(
        ngettext("%(n)d day", "%(n)d days", longest), {"n": longest}
    )
    return [*choices, (str(longest), label)]


class TokenForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=100,
        help_text=gettext_lazy("What uses it, e.g. 'HubSpot sync' or 'my laptop'."),
    )
    scope = forms.ChoiceField(
        label=gettext_lazy("Access"), choices=TokenScope.choices, initial=TokenScope.READ
    )
    expires = forms.ChoiceField(
        label=gettext_lazy("Expires after"), choices=expiry_choices, initial="90"
    )


@login_required
def token_list(request):
    new_token = None
    if request.method == "POST":
        form = TokenForm(request.POST)
        key = f"token-create:{request.user.pk}"
        if cache.get(key, 0) >= TOKENS_PER_HOUR:
            form.add_error(
                None,
                _("You created many tokens in the last hour. Please wait before creating more."),
            )
        elif form.is_valid():
            cache.add(key, 0, timeout=3600)
            cache.incr(key)
            days = int(form.cleaned_data["expires"])
            token, new_token = api_token_create(
                user=request.user,
                name=form.cleaned_data["name"],
                scope=form.cleaned_data["scope"],
                expires_in_days=days,
            )
            messages.success(
                request,
                _("Token “%(name)s” created. Copy it now: it will not be shown again.")
                % {"name": token.name},
            )
            form = TokenForm()
    else:
        form = TokenForm()
    tokens = request.user.api_tokens.all()
    return render(
        request, "portal/tokens.html", {"form": form, "tokens": tokens, "new_token": new_token}
    )


@login_required
@require_POST
def token_revoke(request, pk: int):
    token = get_object_or_404(request.user.api_tokens, pk=pk)
    api_token_revoke(token=token)
    messages.success(request, _("Token “%(name)s” was revoked.") % {"name": token.name})
    return redirect("token_list")
