"""The notification preferences form: one email choice per kind that may email."""

from django import forms

from portal.models import EmailDelivery
from portal.notifications import PREFERENCE_KINDS


class NotificationPreferencesForm(forms.Form):
    def __init__(self, *args, initial_choices: dict[str, str], **kwargs):
        super().__init__(*args, **kwargs)
        for kind in PREFERENCE_KINDS:
            self.fields[kind.code] = forms.ChoiceField(
                label=kind.label,
                help_text=kind.reason,
                choices=EmailDelivery.choices,
                initial=initial_choices.get(kind.code, kind.email_default),
                widget=forms.RadioSelect,
            )

    def groups(self) -> list[tuple[str, list]]:
        """[(group label, [bound fields])] in registry order, for the template."""
        grouped: dict[str, list] = {}
        for kind in PREFERENCE_KINDS:
            grouped.setdefault(str(kind.group), []).append(self[kind.code])
        return list(grouped.items())
