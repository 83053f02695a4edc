"""Forms of the visitors page: one month and source, or a CSV export."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from leads.visitors.services import month_parse


class VisitorCountForm(forms.Form):
    month = forms.CharField(
        label=gettext_lazy("Month"),
        max_length=7,
        widget=forms.TextInput(attrs={"type": "month", "placeholder": "2026-03"}),
    )
    source = forms.CharField(
        label=gettext_lazy("Source"),
        max_length=64,
        help_text=gettext_lazy("e.g. organic, paid, social, referral, email"),
    )
    visitors = forms.IntegerField(label=gettext_lazy("Visitors"), min_value=0)

    def clean_month(self):
        try:
            return month_parse(self.cleaned_data["month"])
        except (ValueError, TypeError):
            raise forms.ValidationError(_("Give the month as YYYY-MM.")) from None


class VisitorCsvForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Web-analytics export (CSV)"),
        help_text=gettext_lazy("Columns month (YYYY-MM), source, visitors; all rows or none."),
    )
