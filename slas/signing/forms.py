"""Forms for signing: shape only; the rules live in slas.signing.services."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from portal.models import Role
from slas.signing.models import (
    REMINDER_AFTER_DAYS,
    REMINDER_EVERY_DAYS,
    REQUEST_EXPIRY_DAYS,
    SigningOrder,
)


def _days_field(label, help_text, limits: tuple[int, int]) -> forms.IntegerField:
    """A number of days; its range (and that the first reminder comes before the expiry)
    is checked by the signing service, which says why in the field's own words."""
    low, high = limits
    return forms.IntegerField(
        label=label,
        help_text=help_text,
        required=False,
        widget=forms.NumberInput(attrs={"min": low, "max": high, "inputmode": "numeric"}),
    )


def possible_named_signers(agreement):
    """People who can see the agreement: members of its parties, and execs."""
    party_ids = [team.pk for team in agreement.parties.all()]
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(Q(memberships__team_id__in=party_ids) | Q(memberships__role=Role.EXEC))
        .distinct()
        .order_by("first_name", "last_name", "username")
    )


class SignerChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return obj.get_full_name() or obj.get_username()


class SendForm(forms.Form):
    order = forms.ChoiceField(
        label=_("Signing order"),
        choices=SigningOrder.choices,
        initial=SigningOrder.PARALLEL,
        widget=forms.RadioSelect,
        help_text=_(
            "In order: your team signs first, then the other parties, then the people named below."
        ),
    )
    signers = SignerChoiceField(
        label=_("Also ask these people to sign (optional)"),
        queryset=get_user_model().objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "For example an executive sponsor. A manager of every party team always signs."
        ),
    )

    request_expiry_days = _days_field(
        _("Requests expire after (days)"),
        _("An unsigned request then closes the round, and the version is a draft again."),
        REQUEST_EXPIRY_DAYS,
    )
    reminder_after_days = _days_field(
        _("First reminder after (days)"),
        _("Signers who have not signed are reminded by notification and e-mail."),
        REMINDER_AFTER_DAYS,
    )
    reminder_every_days = _days_field(
        _("Then remind every (days)"),
        _("0: one reminder only."),
        REMINDER_EVERY_DAYS,
    )

    def __init__(self, *args, agreement, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["signers"].queryset = possible_named_signers(agreement)
        for name in ("request_expiry_days", "reminder_after_days", "reminder_every_days"):
            self.fields[name].initial = getattr(agreement, name)


class SignForm(forms.Form):
    content_hash = forms.CharField(widget=forms.HiddenInput, max_length=64)
    full_name = forms.CharField(
        label=_("Your full name"),
        max_length=200,
        error_messages={"required": _("Type your full name to sign.")},
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        error_messages={"required": _("Enter your password to confirm it is you.")},
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    # Not required here: the service explains a missing consent with the other errors.
    consent = forms.BooleanField(required=False)


class DeclineForm(forms.Form):
    comment = forms.CharField(
        label=_("Why do you decline?"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=4000,
        error_messages={"required": _("A comment is required to decline.")},
        help_text=_("Everyone involved reads this; say what should change."),
    )


class WithdrawForm(forms.Form):
    comment = forms.CharField(
        label=_("Why are you withdrawing it? (optional)"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=4000,
        required=False,
    )

    def __init__(self, *args, signed: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if signed:
            # A version every party signed: the reason is what its signers are told.
            self.fields["comment"].label = _("Why are you withdrawing it?")


class VerifyForm(forms.Form):
    document = forms.FileField(
        label=_("A file from the portal"),
        required=False,
        help_text=_(
            "The document PDF, the certificate PDF or the signed JSON export of a version, "
            "exactly as downloaded."
        ),
    )
    content_hash = forms.CharField(
        label=_("…or a hash"),
        required=False,
        max_length=200,
        help_text=_(
            "64 hexadecimal characters: the content hash printed on the certificate, or the "
            "SHA-256 of a downloaded file."
        ),
    )

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("document") and not (cleaned.get("content_hash") or "").strip():
            raise forms.ValidationError(_("Upload an exported file or paste a content hash."))
        return cleaned
