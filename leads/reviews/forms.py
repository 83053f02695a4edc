"""Forms of the feedback and review pages: they validate input; services enforce the rules."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from leads.reviews.models import ActionStatus, PickReason, ReviewOutcome
from portal import limits
from slas.models import ReasonCode

RATING_CHOICES = [
    (5, _("5 · excellent")),
    (4, _("4 · good")),
    (3, _("3 · fair")),
    (2, _("2 · poor")),
    (1, _("1 · very poor")),
]


def _person(user) -> str:
    return user.get_full_name() or user.username


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return _person(obj)


class PeopleField(forms.ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def label_from_instance(self, obj) -> str:
        return _person(obj)


class FeedbackForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=_("How good was this lead?"),
        choices=RATING_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
    )
    reason_codes = forms.MultipleChoiceField(
        label=_("Reasons"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The reason codes agreed in the SLA version that governs this lead."),
    )
    helped = forms.CharField(
        label=_("What helped"),
        required=False,
        max_length=limits.NOTE,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    went_wrong = forms.CharField(
        label=_("What went wrong"),
        required=False,
        max_length=limits.NOTE,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    note = forms.CharField(
        label=_("Anything else"),
        required=False,
        max_length=limits.NOTE,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, reasons: list[ReasonCode], may_rate: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.may_rate = may_rate
        if may_rate:
            self.fields["reason_codes"].choices = [(r.code, r.label) for r in reasons]
        else:
            # Marketing comments: no rating, no reason codes (see portal.permissions).
            del self.fields["rating"]
            del self.fields["reason_codes"]
            self.fields["note"].label = _("Your comment")

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "rating": data.get("rating"),
            "reason_codes": data.get("reason_codes") or [],
            "helped": data.get("helped", ""),
            "went_wrong": data.get("went_wrong", ""),
            "note": data.get("note", ""),
        }


class SessionForm(forms.Form):
    title = forms.CharField(
        label=_("Title"), max_length=200, required=False, help_text=_("Optional.")
    )
    period = forms.ChoiceField(label=_("Period to review"))
    scheduled_for = forms.DateTimeField(
        label=_("Meeting time"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    attendees = PeopleField(label=_("Invite"), queryset=get_user_model().objects.none())
    pick = forms.ChoiceField(
        label=_("Put on the agenda"),
        required=False,
        choices=[("", _("No leads yet (pick them later)")), *PickReason.choices],
    )
    sample_size = forms.IntegerField(
        label=_("Random sample of"),
        required=False,
        min_value=1,
        max_value=100,
        help_text=_("Leave empty to take every matching lead."),
    )

    def __init__(self, *args, periods, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["period"].choices = [(p.label, p.label) for p in periods]
        self.fields["attendees"].queryset = people

    def clean_scheduled_for(self):
        value = self.cleaned_data["scheduled_for"]
        if timezone.is_naive(value):
            value = timezone.make_aware(value)
        return value


class PickLeadsForm(forms.Form):
    kind = forms.ChoiceField(label=_("Leads"), choices=PickReason.choices)
    lead_source = forms.ChoiceField(label=_("Source"), required=False)
    owner = forms.TypedChoiceField(label=_("Rep"), required=False, coerce=int, empty_value=None)
    sample_size = forms.IntegerField(
        label=_("Random sample of"), required=False, min_value=1, max_value=100
    )

    def __init__(self, *args, sources: list[str], reps, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lead_source"].choices = [("", _("Any source"))] + [(s, s) for s in sources]
        self.fields["owner"].choices = [("", _("Any rep"))] + [(u.pk, _person(u)) for u in reps]


class OutcomeForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=ReviewOutcome.choices)
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=limits.NOTE,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ActionItemForm(forms.Form):
    title = forms.CharField(label=_("Action"), max_length=255)
    owner = PersonChoiceField(label=_("Owner"), queryset=get_user_model().objects.none())
    due_date = forms.DateField(label=_("Due"), widget=forms.DateInput(attrs={"type": "date"}))
    reviewed_lead = forms.TypedChoiceField(
        label=_("About lead"), required=False, coerce=int, empty_value=None
    )

    def __init__(self, *args, people, reviewed, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = people
        self.fields["reviewed_lead"].choices = [("", _("The whole session"))] + [
            (r.pk, str(r.lead)) for r in reviewed
        ]
        if not self.is_bound:
            self.initial.setdefault("due_date", timezone.localdate() + dt.timedelta(days=14))


class MinutesForm(forms.Form):
    attended = PeopleField(
        label=_("Present"), required=False, queryset=get_user_model().objects.none()
    )
    summary = forms.CharField(
        label=_("Summary"),
        required=False,
        max_length=limits.LONG,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    held = forms.BooleanField(label=_("The meeting took place"), required=False)

    def __init__(self, *args, invited, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["attended"].queryset = invited


class ActionStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=ActionStatus.choices)


VERDICT_CHOICES = [
    ("", _("Any verdict")),
    ("poor", _("Poor (1-2)")),
    ("fair", _("Fair (3)")),
    ("good", _("Good (4-5)")),
    ("comment", _("Comments without a rating")),
]
REPLIED_CHOICES = [
    ("", _("Replied or not")),
    ("no", _("Waiting for your reply")),
    ("yes", _("Replied")),
]


class MyFeedbackFilterForm(forms.Form):
    """Filters of the rep's feedback page (GET): a bad value shows next to its field."""

    verdict = forms.ChoiceField(label=_("Verdict"), choices=VERDICT_CHOICES, required=False)
    reason = forms.ChoiceField(label=_("Reason"), required=False)
    since = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    replied = forms.ChoiceField(label=_("Reply"), choices=REPLIED_CHOICES, required=False)

    def __init__(self, *args, reasons: dict[str, str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].choices = [("", _("Any reason"))] + sorted(
            reasons.items(), key=lambda item: str(item[1])
        )

    def filters(self) -> dict:
        """The selector's keyword arguments (only the valid ones: the page still lists)."""
        data = getattr(self, "cleaned_data", {}) if self.is_bound else {}
        return {
            "verdict": data.get("verdict") or "",
            "reason": data.get("reason") or "",
            "since": data.get("since"),
            "until": data.get("until"),
            "replied": data.get("replied") or "",
        }


class FeedbackReplyForm(forms.Form):
    reply = forms.CharField(
        label=_("Your reply"),
        max_length=limits.NOTE,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("One reply per feedback entry; it shows at the next lead review."),
    )
