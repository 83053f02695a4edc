"""The lead page's action forms write an unbound field once per process (leads.forms.
WrittenOnce): what they write must be what Django writes, in every language, for every
set of choices, and a bound form (the person's input, its errors) is never reused."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.forms import BoundField
from django.utils import translation

from leads import forms as lead_forms
from leads.forms import ContactAttemptForm, MoveForm, NurtureForm

REASONS = [("no_budget", "No budget"), ("bad_fit", "Bad fit & size")]


def _forms():
    return [
        ContactAttemptForm(),
        MoveForm(initial={"to_stage": "recycled"}, reasons=REASONS),
        MoveForm(initial={"to_stage": "disqualified"}, reasons=REASONS[:1]),
        NurtureForm(tracks=["Slow burn", "Webinar"]),
    ]


def _written(form) -> list[str]:
    return [f"{form[name].label_tag()}{form[name]}" for name in form.fields]


def _as_django_writes(form) -> list[str]:
    out = []
    for name, field in form.fields.items():
        plain = BoundField(form, field, name)
        out.append(f"{plain.label_tag()}{plain}")
    return out


@pytest.fixture(autouse=True)
def _nothing_written():
    lead_forms._WRITTEN.clear()
    yield
    lead_forms._WRITTEN.clear()


def test_an_unbound_form_reads_as_django_writes_it_in_every_language():
    # one after the other in one process, as the pages ask: each language its own
    for _ in range(2):  # written, then reused
        for language, _name in settings.LANGUAGES:
            with translation.override(language):
                for form in _forms():
                    assert _written(form) == _as_django_writes(form), language
    assert lead_forms._WRITTEN


def test_another_set_of_choices_is_written_anew():
    with translation.override("en"):
        first = str(MoveForm(initial={"to_stage": "recycled"}, reasons=REASONS)["reason_code"])
        other = MoveForm(initial={"to_stage": "recycled"}, reasons=[("moved", "Moved")])
        assert "Moved" in str(other["reason_code"]) and "Moved" not in first
        assert "No budget" not in str(other["reason_code"])


def test_a_bound_form_writes_the_persons_input_and_is_never_reused():
    with translation.override("en"):
        ContactAttemptForm()["outcome"].as_widget()  # the empty one, written
        bound = ContactAttemptForm({"channel": "pigeon", "outcome": "left a message"})
        assert not bound.is_valid()
        assert 'value="left a message"' in str(bound["outcome"])
        assert 'aria-invalid="true"' in str(bound["channel"])
        assert 'value="left a message"' not in str(ContactAttemptForm()["outcome"])
