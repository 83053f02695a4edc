"""Forms of the lead pages: each action is a small form with a button."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.forms import BoundField
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from leads.models import Channel
from portal.models import Role

#: The HTML of unbound action forms' widgets and labels, by what it is made of.
_WRITTEN: dict[tuple, str] = {}
_WRITTEN_MAX = 2048


class WrittenOnce(BoundField):
    """A field of an unbound action form, written once per process: every lead page shows
    the same empty forms (a contact attempt, the moves, nurturing), and their twenty-odd
    widget and label templates were a sixth of its time. The key holds what the
    HTML is made of (form class, field, language, id, value, choices: the rest is fixed
    by the class); a bound form (the person's input and errors) is written afresh."""

    def _written(self, part: str, render) -> str:
        form = self.form
        if form.is_bound:
            return render()
        choices = getattr(self.field, "choices", ())
        key = (
            type(form).__qualname__,
            self.name,
            part,
            get_language(),
            form.auto_id,
            form.prefix,
            str(self.value()),
            tuple((str(value), str(label)) for value, label in choices),
        )
        html = _WRITTEN.get(key)
        if html is None:
            if len(_WRITTEN) >= _WRITTEN_MAX:
                _WRITTEN.clear()
            html = _WRITTEN[key] = render()
        return html

    def as_widget(self, widget=None, attrs=None, only_initial=False):
        if widget is not None or attrs or only_initial:
            return super().as_widget(widget, attrs, only_initial)
        return self._written("widget", super().as_widget)

    def label_tag(self, contents=None, attrs=None, label_suffix=None, tag=None):
        if contents is not None or attrs or label_suffix is not None or tag is not None:
            return super().label_tag(contents, attrs, label_suffix, tag)
        return self._written("label", super().label_tag)


class ContactAttemptForm(forms.Form):
    bound_field_class = WrittenOnce

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
    bound_field_class = WrittenOnce

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
    bound_field_class = WrittenOnce

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
