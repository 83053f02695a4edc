"""Forms of the lead pages: each action is a small form with a button."""

from __future__ import annotations

from zoneinfo import available_timezones

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from leads.ingest.models import ImportFormat
from leads.models import Channel
from portal.models import Role, Team, TeamFunction

MAX_UPLOAD_BYTES = 200 * 1024 * 1024


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


class ImportForm(forms.Form):
    file = forms.FileField(label=_("CSV file"), help_text=_("UTF-8 CSV, up to 200 MB."))
    format = forms.ChoiceField(label=_("Format"), choices=ImportFormat.choices)
    tz = forms.CharField(
        label=_("Time zone"),
        initial="UTC",
        max_length=64,
        help_text=_("Used for times written without an offset, e.g. Europe/Bucharest."),
    )
    marketing_team = forms.ModelChoiceField(
        label=_("Marketing team"),
        queryset=Team.objects.filter(function=TeamFunction.MARKETING),
        empty_label=None,
    )
    sales_team = forms.ModelChoiceField(
        label=_("Sales team"),
        queryset=Team.objects.filter(function=TeamFunction.SALES),
        empty_label=None,
    )

    def clean_tz(self):
        tz = self.cleaned_data["tz"].strip()
        if tz not in available_timezones():
            raise forms.ValidationError(
                _("“%(tz)s” is not a time zone name; use one like UTC or Europe/Bucharest."),
                params={"tz": tz},
            )
        return tz

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                _("The file is larger than 200 MB; split it and upload the parts.")
            )
        if upload.size == 0:
            raise forms.ValidationError(_("The file is empty."))
        return upload
