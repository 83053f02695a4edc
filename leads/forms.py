"""Forms of the lead pages: each action is a small form with a button."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from leads.models import Channel
from portal.models import Role


class ContactAttemptForm(forms.Form):
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices)
    outcome = forms.CharField(
        label=_("Outcome"),
        max_length=255,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. no answer, left voicemail, talked")}),
    )
    note = forms.CharField(
        label=_("Note"), max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class MoveForm(forms.Form):
    to_stage = forms.CharField(widget=forms.HiddenInput)
    reason_code = forms.ChoiceField(label=_("Reason"), required=False, choices=())
    note = forms.CharField(
        label=_("Note"), max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    override_reason = forms.CharField(
        label=_("Why recycle it anyway"),
        help_text=_(
            "Managers of the lead's sales team only: recorded on the lead's timeline and "
            "counted as an override in compliance."
        ),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, reasons: list[tuple[str, str]] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason_code"].choices = [("", _("Choose a reason…")), *(reasons or [])]


class NurtureForm(forms.Form):
    track = forms.ChoiceField(label=_("Nurture track"), choices=())
    note = forms.CharField(label=_("Note"), max_length=5000, required=False)

    def __init__(self, *args, tracks: list[str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["track"].choices = [(t, t) for t in tracks or []]


class ReassignForm(forms.Form):
    owner = forms.ModelChoiceField(label=_("New owner"), queryset=get_user_model().objects.none())

    def __init__(self, *args, sales_team_id: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = (
            get_user_model()
            .objects.filter(
                memberships__team_id=sales_team_id, memberships__role=Role.REP, is_active=True
            )
            .order_by("first_name", "username")
        )
        self.fields["owner"].label_from_instance = lambda u: u.get_full_name() or u.username
