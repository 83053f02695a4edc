""" "Meeting" is two words in some languages: a contact channel (meeting a lead in
person: 面談 in Japanese) and a kind of team meeting (a stand-up, a review: 会議). Each
use has its own message context, so a translator can tell them apart."""

import pytest
from django.utils import translation
from django.utils.translation import trans_real

from leads.models import Channel
from reports.rituals.forms import CadenceForm, MeetingForm
from slas.models import CHANNELS

CHANNEL_WORD = "面談"
KIND_WORD = "会議"


@pytest.fixture
def japanese_meeting_words():
    """The Japanese catalog with both words, each under its context (the shipped
    catalog gets them from the translators; locale/ is not edited here)."""
    catalog = trans_real.translation("ja")._catalog
    added = {
        "contact channel\x04Meeting": CHANNEL_WORD,
        "meeting kind\x04Meeting": KIND_WORD,
    }
    saved = {key: catalog.get(key) for key in added}
    for key, text in added.items():
        catalog[key] = text
    yield
    for key, text in saved.items():
        if text is None:
            for part in catalog._catalogs:
                part.pop(key, None)
        else:
            catalog[key] = text


def test_a_meeting_as_a_contact_channel_and_as_a_kind_of_meeting_read_as_different_words(
    japanese_meeting_words,
):
    # given the two uses of the English word
    with translation.override("ja"):
        # when each is read in Japanese
        lead_channel = str(Channel.MEETING.label)
        agreement_channel = str(dict(CHANNELS)["meeting"])
        meeting_label = str(MeetingForm.base_fields["kind"].label)
        cadence_label = str(CadenceForm.base_fields["kind"].label)
    # then a channel is 面談 and the meeting field is 会議
    assert (lead_channel, agreement_channel) == (CHANNEL_WORD, CHANNEL_WORD)
    assert (meeting_label, cadence_label) == (KIND_WORD, KIND_WORD)


def test_the_stored_channel_value_is_unchanged():
    assert Channel.MEETING.value == "meeting"
    assert "meeting" in dict(CHANNELS)
