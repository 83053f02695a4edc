from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from portal import dates, login_throttle, numbers
from portal.models import reader_language, time_zone_choices


def client_address(request) -> str:
    return request.META.get("REMOTE_ADDR", "") if request else ""


class ThrottledAuthenticationForm(AuthenticationForm):
    """Sign-in that says when a paused sign-in may be tried again (django-axes counts)."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _(
            "That username and password do not match. Check both and try again "
            "(the password is case-sensitive)."
        ),
        "locked": _(
            "Too many failed sign-in attempts for this username from your address. For your "
            "security, sign-in is paused until %(time)s (%(wait)s). Forgot your password? "
            "Reset it below, or ask an admin to unlock your account."
        ),
    }

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        self._raise_if_locked(username)
        try:
            return super().clean()
        except forms.ValidationError:
            if getattr(self.request, "axes_locked_out", False):  # this failure paused it
                self._raise_if_locked(username)
            raise

    def _raise_if_locked(self, username: str) -> None:
        until = login_throttle.locked_until(self.request, username)
        if until is None:
            return
        minutes = max(1, -(-int((until - timezone.now()).total_seconds()) // 60))
        raise forms.ValidationError(
            self.error_messages["locked"],
            code="locked",
            params={
                "time": dates.clock(until),
                "wait": numbers.fill(
                    ngettext("in %(n)d minute", "in %(n)d minutes", minutes), {"n": minutes}
                ),
            },
        )

    def is_locked_out(self) -> bool:
        return self.has_error("__all__", code="locked")


class ResetForm(PasswordResetForm):
    """Django's reset form, writing each e-mail in its recipient's language (the one they
    chose, else the language the reset was asked in)."""

    def send_mail(self, *args, **kwargs):
        context = args[2] if len(args) > 2 else kwargs["context"]
        language = reader_language(context["user"], translation.get_language() or "")
        with translation.override(language):
            super().send_mail(*args, **kwargs)


class TimeZoneForm(forms.Form):
    """The zone a person reads instants in; blank follows the site's."""

    time_zone = forms.ChoiceField(label=_("Your time zone"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        site = settings.TIME_ZONE
        self.fields["time_zone"].choices = [
            ("", _("The site's (%(zone)s)") % {"zone": site}),
            *time_zone_choices(),
        ]
        self.fields["time_zone"].help_text = _(
            "Times (handoffs, contacts, signatures) are shown in this zone, and the zone is "
            "named wherever an agreement's calendar runs in another. Agreement dates "
            "(effective, end, review) are days on the agreement's calendar and never move."
        )
        self.fields["time_zone"].error_messages["invalid_choice"] = _(
            "“%(value)s” is not a time zone we know. Pick one from the list."
        )
