"""Forms of the meetings pages; the services check everything again."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from reports.rituals.models import Frequency, MeetingKind

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class MeetingForm(forms.Form):
    kind = forms.ChoiceField(
        label=pgettext_lazy("meeting kind", "Meeting"), choices=MeetingKind.choices
    )
    scheduled_for = forms.DateTimeField(
        label=_("When"), widget=DATETIME, input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]
    )
    duration_minutes = forms.IntegerField(
        label=_("Length (minutes)"), min_value=5, max_value=480, initial=30
    )
    title = forms.CharField(label=_("Title (optional)"), required=False, max_length=200)
    review_session = forms.ModelChoiceField(
        label=_("Review session (lead reviews)"), queryset=None, required=False
    )
    attendees = forms.ModelMultipleChoiceField(
        label=_("Invite (empty: everybody on the parties)"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, sessions, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["review_session"].queryset = sessions
        self.fields["attendees"].queryset = people
        self.fields["attendees"].label_from_instance = lambda u: u.get_full_name() or u.username


class CadenceForm(forms.Form):
    kind = forms.ChoiceField(
        label=pgettext_lazy("meeting kind", "Meeting"), choices=MeetingKind.choices
    )
    frequency = forms.ChoiceField(label=_("How often"), choices=Frequency.choices)
    weekday = forms.TypedChoiceField(
        label=_("Weekday"),
        coerce=int,
        required=False,
        empty_value=None,
        choices=[
            ("", "—"),
            (0, _("Monday")),
            (1, _("Tuesday")),
            (2, _("Wednesday")),
            (3, _("Thursday")),
            (4, _("Friday")),
        ],
    )
    day_of_month = forms.IntegerField(
        label=_("Day of the month"), min_value=1, max_value=28, required=False
    )
    time = forms.TimeField(label=_("Local time"), widget=forms.TimeInput(attrs={"type": "time"}))
    duration_minutes = forms.IntegerField(
        label=_("Length (minutes)"), min_value=5, max_value=480, initial=30
    )


class MinutesForm(forms.Form):
    minutes = forms.CharField(
        label=_("Minutes"), required=False, widget=forms.Textarea(attrs={"rows": 6})
    )
    held = forms.BooleanField(label=_("The meeting was held"), required=False)
    attended = forms.TypedMultipleChoiceField(
        label=_("Attended"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, attendees, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["attended"].choices = [
            (a.user_id, a.user.get_full_name() or a.user.username) for a in attendees
        ]


class ActionForm(forms.Form):
    title = forms.CharField(label=_("Action"), max_length=255)
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=None)
    due_date = forms.DateField(label=_("Due"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = people
        self.fields["owner"].label_from_instance = lambda u: u.get_full_name() or u.username


class ProposeForm(forms.Form):
    change = forms.CharField(
        label=_("What should change in the agreement"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
