"""The upload form of a CSV import (shape only; the rules live in leads.ingest)."""

from zoneinfo import available_timezones

from django import forms
from django.utils.translation import gettext_lazy as _

from leads.ingest.models import ImportFormat
from portal.models import Team, TeamFunction

MAX_UPLOAD_BYTES = 200 * 1024 * 1024


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
